"""The client registry: the platform's apps that sign people in through Bastion.

A confidential client (a server-side app) gets a secret, shown once and stored as its SHA-256
(256 random bits cannot be guessed from a fast hash, so no slow password KDF is needed on every token
request; the check is a constant-time comparison of hashes);
a public client (a mobile or single-page app) has none and must use PKCE. Redirect addresses
are matched exactly (RFC 9700 §4.1.1), and must be https, http on the loopback interface
(RFC 8252 §7.3), or, for public clients, an app's own reverse-domain scheme (RFC 8252 §7.1).
"""

from __future__ import annotations

import ipaddress
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from bastion.crypto import constant_time_equal, hash_token, new_token
from bastion.errors import BastionError, Reason
from bastion.i18n import N_, _
from bastion.oidc.backchannel import internal_allowed, is_internal_host
from bastion.oidc.models import OidcClient
from bastion.oidc.repo import clients as repo
from bastion.oidc.repo import grants as grant_repo
from bastion.services import Services
from bastion.store.invalidation import sessions_changed

CLIENT_PREFIX = "app_"
SECRET_PREFIX = "bcs_"  # noqa: S105 - the visible prefix of every client secret, not a secret
SCOPES = ("openid", "email", "restrictions", "offline_access")
MAX_URIS = 20
REDIRECT_ADDRESS = N_("redirect address")  # what a refusal calls the URI it checks (see check_uri)


def client_group(client_id: str) -> str:
    """What a change to this client is called in the cache's invalidation (bastion.store.cache)."""
    return f"oidc-client:{client_id}"


@dataclass(frozen=True, slots=True)
class NewClient:
    name: str
    redirect_uris: tuple[str, ...]
    public: bool = False
    first_party: bool = False
    allow_offline: bool = False
    post_logout_redirect_uris: tuple[str, ...] = ()
    backchannel_logout_uri: str | None = None


class RegisteredClient:
    """A client as authlib's grants and endpoints ask about it (authlib.oauth2.rfc6749.ClientMixin)."""

    def __init__(self, row: OidcClient) -> None:
        self.row = row
        self.client_id = row.id
        self.name = row.name
        self.public = row.secret_hash is None
        self.client_metadata = {"post_logout_redirect_uris": list(row.post_logout_redirect_uris)}

    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> str | None:
        return None  # OIDC Core §3.1.2.1: redirect_uri is required in every request

    def get_allowed_scope(self, scope: str) -> str:
        allowed = [item for item in (scope or "").split() if item in SCOPES]
        if "offline_access" in allowed and not self.row.allow_offline:
            allowed.remove("offline_access")  # OIDC Core §11: ignored unless the client may have it
        return " ".join(dict.fromkeys(allowed))

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_uri in self.row.redirect_uris  # exact string match, nothing normalised

    def check_client_secret(self, client_secret: str) -> bool:
        stored = self.row.secret_hash
        return stored is not None and constant_time_equal(stored, hash_token(client_secret))

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        if self.public:
            return method == "none"
        return method in ("client_secret_basic", "client_secret_post")

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type in ("authorization_code", "refresh_token")


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_uri(uri: str, public: bool = False, label: str = REDIRECT_ADDRESS, internal: bool = True) -> str:
    """`request.invalid` unless the address is one a client may register (`internal`: one on an
    internal network may be)."""
    uri = uri.strip()
    try:
        parts = urlsplit(uri)
    except ValueError:
        parts = None
    fine = parts is not None and len(uri) <= 500 and not parts.fragment and not any(c.isspace() for c in uri)
    if fine and parts is not None:
        if parts.scheme == "https":
            fine = bool(parts.hostname)
        elif parts.scheme == "http":
            fine = bool(parts.hostname) and _loopback(parts.hostname or "")
        else:  # an installed app's own scheme, e.g. com.example.app:/callback
            fine = public and "." in parts.scheme and label == REDIRECT_ADDRESS
    if fine and parts is not None and not internal and is_internal_host(parts.hostname or ""):
        raise BastionError(Reason.REQUEST_INVALID, detail=_("The %(label)s %(uri)s is on an internal network: use "
                                                            "a public https:// address (or set "
                                                            "BASTION_OIDC_BACKCHANNEL_ALLOW_INTERNAL).")
                           % {"label": _(label), "uri": repr(uri[:80])})
    if not fine:
        raise BastionError(Reason.REQUEST_INVALID, detail=_("The %(label)s %(uri)s is not allowed: use https://, "
                                                            "http:// on the loopback interface, or (for a public "
                                                            "app) its own reverse-domain scheme.")
                           % {"label": _(label), "uri": repr(uri[:80])})
    return uri


def _clean(new: NewClient, internal_backchannel: bool) -> NewClient:
    name = new.name.strip()
    if not 1 <= len(name) <= 100:
        raise BastionError(Reason.REQUEST_INVALID, detail=_("The name must be 1 to 100 characters."))
    if not new.redirect_uris or len(new.redirect_uris) > MAX_URIS or len(new.post_logout_redirect_uris) > MAX_URIS:
        raise BastionError(Reason.REQUEST_INVALID,
                           detail=_("Give 1 to %(count)d redirect addresses.") % {"count": MAX_URIS})
    backchannel = new.backchannel_logout_uri.strip() if new.backchannel_logout_uri else None
    return NewClient(
        name=name,
        redirect_uris=tuple(dict.fromkeys(check_uri(uri, new.public) for uri in new.redirect_uris)),
        public=new.public, first_party=new.first_party, allow_offline=new.allow_offline,
        post_logout_redirect_uris=tuple(dict.fromkeys(
            check_uri(uri, new.public, N_("post-logout address")) for uri in new.post_logout_redirect_uris)),
        backchannel_logout_uri=check_uri(backchannel, label=N_("back-channel logout address"),
                                         internal=internal_backchannel) if backchannel else None,
    )


def create_client(services: Services, new: NewClient) -> tuple[OidcClient, str | None]:
    """The new client and, for a confidential one, its secret (shown once, never stored in clear)."""
    new = _clean(new, internal_allowed(services.settings))
    secret = None if new.public else new_token(SECRET_PREFIX)
    row = OidcClient(id=CLIENT_PREFIX + uuid.uuid4().hex[:20], name=new.name,  # public: not a secret
                     secret_hash=hash_token(secret) if secret else None, first_party=new.first_party,
                     allow_offline=new.allow_offline, redirect_uris=list(new.redirect_uris),
                     post_logout_redirect_uris=list(new.post_logout_redirect_uris),
                     backchannel_logout_uri=new.backchannel_logout_uri, created_at=services.clock.now())
    with services.db.transaction() as tx:
        repo.add_client(tx, row)
    return row, secret


def list_clients(services: Services) -> list[OidcClient]:
    with services.db.transaction() as tx:
        return repo.all_clients(tx)


def find_client(services: Services, client_id: str) -> OidcClient | None:
    with services.db.transaction() as tx:
        return repo.find_client(tx, client_id[:64])


def get_client(services: Services, client_id: str) -> OidcClient:
    row = find_client(services, client_id)
    if row is None:
        raise BastionError(Reason.RESOURCE_NOT_FOUND, detail=_("No such app."))
    return row


def rotate_client_secret(services: Services, client_id: str) -> str:
    """A new secret for a confidential client; the old one stops working at once."""
    secret = new_token(SECRET_PREFIX)
    with services.db.transaction() as tx:
        changed = repo.replace_secret(tx, client_id[:64], hash_token(secret), services.clock.now())
        sessions_changed(tx, client_group(client_id[:64]))
    if not changed:
        raise BastionError(Reason.RESOURCE_NOT_FOUND,
                           detail=_("No such confidential app (public apps have no secret)."))
    return secret


def delete_client(services: Services, client_id: str) -> bool:
    """The client and, with it, every grant, token and consent it had."""
    with services.db.transaction() as tx:
        sessions_changed(tx, client_group(client_id[:64]))
        # Its tokens and grants first, in the lock order of every revocation (bastion.oidc.repo.grants);
        # the rest goes with the client (ON DELETE CASCADE).
        grant_repo.delete_grants_of_client(tx, client_id[:64])
        return repo.delete_client(tx, client_id[:64])


def client_view(row: OidcClient) -> dict[str, Any]:
    """What the CLI's --json and the console show: never a secret."""
    return {"client_id": row.id, "name": row.name, "type": "public" if row.secret_hash is None else "confidential",
            "first_party": row.first_party, "offline_access": row.allow_offline,
            "redirect_uris": list(row.redirect_uris), "post_logout_redirect_uris": list(row.post_logout_redirect_uris),
            "backchannel_logout_uri": row.backchannel_logout_uri, "created_at": _iso(row.created_at)}


def _iso(moment: datetime) -> str:
    return moment.replace(microsecond=0).isoformat()
