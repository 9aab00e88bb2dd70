"""Accounts: sign-up, email verification, password policy, profile settings."""
