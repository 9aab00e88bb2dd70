"""The guard: every check of a secret passes here, so every route spends the same budgets.

Budgets first (held requests are refused before any hash, look-up or decryption), then the check,
then the outcome counted and the owner told once per burst: `passwords`, `steps`, `tokens`,
`alerts`. What each kind spends and why: docs/design/guard.md.
"""
