"""Backup codes: one-time codes, generated, consumed atomically, and their flows."""
