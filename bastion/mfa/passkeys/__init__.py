"""Passkeys (WebAuthn): registration, sign-in assertions, management and their storage."""
