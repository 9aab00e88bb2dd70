"""What authlib's server reads and answers, without any web framework: a request carrying the HTTP
method, headers and parameters the web layer parsed, and an answer (status, body, headers).

authlib refuses plain http request URIs (OAuth 2 needs TLS). Transport security is Bastion's
configuration's job instead: BASTION_PUBLIC_URL must be https:// in prod (config.py), and behind
a TLS-terminating proxy the request's own scheme says nothing. So the URI given to authlib is
always the public URL's path over https.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from authlib.oauth2.rfc6749 import OAuth2Payload, OAuth2Request  # type: ignore[import-untyped]
from authlib.oauth2.rfc6749.errors import OAuth2Error  # type: ignore[import-untyped]

from bastion.context import Client

_MAX_VALUE = 2048  # longer parameters are cut: nothing legitimate is this long


class _Payload(OAuth2Payload):  # type: ignore[misc]
    def __init__(self, items: list[tuple[str, str]]) -> None:
        self._datalist: defaultdict[str, list[str]] = defaultdict(list)
        for key, value in items:
            self._datalist[key].append(value[:_MAX_VALUE])
        self._data = {key: values[0] for key, values in self._datalist.items()}

    @property
    def data(self) -> dict[str, str]:
        return self._data

    @property
    def datalist(self) -> defaultdict[str, list[str]]:
        return self._datalist


class ProviderRequest(OAuth2Request):  # type: ignore[misc]
    """One request to the provider. `params`: the query for GET, the form for POST (both for the
    authorization endpoint, which accepts either, RFC 6749 §3.1)."""

    def __init__(self, method: str, path: str, headers: Mapping[str, str], params: list[tuple[str, str]],
                 client: Client, public_url: str) -> None:
        host = urlsplit(public_url).netloc
        super().__init__(method, f"https://{host}{path}", headers=headers)
        self.payload = _Payload(params)
        self.bastion_client = client

    @property
    def args(self) -> dict[str, str]:
        return self.payload.data

    @property
    def form(self) -> dict[str, str]:
        return self.payload.data


@dataclass
class Answer:
    """authlib's (status, body, headers), as one object (its issuer extension edits `location`)."""

    status: int
    body: Any
    headers: list[tuple[str, str]] = field(default_factory=list)

    @property
    def location(self) -> str | None:
        return next((value for name, value in self.headers if name.lower() == "location"), None)

    @location.setter
    def location(self, value: str) -> None:
        self.headers = [(name, item) for name, item in self.headers if name.lower() != "location"]
        self.headers.append(("Location", value))


class TooManyAttempts(OAuth2Error):  # type: ignore[misc]
    """Client authentication is paused after too many failures (429, with Retry-After)."""

    error = "temporarily_unavailable"
    status_code = 429

    def __init__(self, retry_after: int) -> None:
        super().__init__(description="Too many failed client authentications: paused, try again later.")
        self.retry_after = retry_after

    def get_headers(self) -> list[tuple[str, str]]:
        return [*super().get_headers(), ("Retry-After", str(self.retry_after))]
