"""Accounts: the account and its devices, sign-up, email verification, password policy, profile settings, status."""
