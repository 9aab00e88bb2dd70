"""The OpenID provider over HTTP: the protocol endpoints, the pages a person meets on the way to an
app (confirm, consent, sign out), the admin console's app registry and the security center's list
of connected apps. Routes are gathered in `routes.py`."""
