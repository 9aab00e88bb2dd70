"""Second factors: TOTP, backup codes and passkeys (one module each), their storage, and the
flows that enrol them, sign in with them and step up with them (`mfa.flows`)."""
