"""Recovery: password reset and security holds (2FA reset cases come here too)."""
