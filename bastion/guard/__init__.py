"""The guard: every check of a secret passes here, so every route spends the same budgets.

A password (sign-in, step-up, password change, the 2FA-reset and unfreeze requests), a second
step (authenticator code, backup code, passkey, the emailed device code) and an emailed link's
token are each checked in the same order: the budgets first — held requests are refused before
any hash, look-up or decryption — then the check, then the outcome counted, with the owner told
once per burst and the audit log written. What each kind spends:

- `passwords`: the network's budgets (IP, subnet), then the identifier's (or, from a device that
  signed in before, that device's own); one argon2 computation in the hash gate;
- `steps`: the network's budgets, then the account's second-step budget and the flow's own;
- `tokens`: the network's budgets (a token cannot be guessed, but a flood of made-up ones is
  refused like any other guessing).

`alerts` tells the owner, once per burst, with the count.
"""
