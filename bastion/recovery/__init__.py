"""Recovery: password reset, recovery cases (2FA reset, unfreeze, allowlist reset) and their completion."""
