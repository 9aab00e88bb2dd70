"""Sessions: tokens, validation (whoami and introspection), revocation, step-up, security holds."""
