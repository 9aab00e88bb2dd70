"""The OpenID provider: registered apps, authorization, tokens, consent, signing keys and back-channel logout."""
