"""The OpenID provider's statements about its own tables, one module per group of tables: the
clients, the grants with their tokens, the signing keys, the consents, the authorization requests
waiting for the person, and the back-channel logout deliveries. The flows (authorize, token,
logout, consent, key rotation) decide; these run the statements, in the flows' transactions."""
