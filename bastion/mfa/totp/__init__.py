"""TOTP (RFC 6238): the code check, enrolment and its storage."""
