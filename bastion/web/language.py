"""The language and time zone each request is answered in, and the headers that say so.

The edge (bastion/web/edge.py) asks `voice_of` before the application runs and wraps the call in
`i18n.speaking`; the session dependency later applies the signed-in account's saved preference
(bastion/web/deps.py). Pages and problem+json answers carry `Content-Language` (the language
actually used) and `Vary: Accept-Language, Cookie`. Cheap: a cookie is parsed only when it
holds one of ours, and Accept-Language headers are negotiated once each (lru_cache).
"""

from __future__ import annotations

from functools import cache
from urllib.parse import parse_qsl, unquote

from starlette.requests import cookie_parser
from starlette.types import Scope

from bastion.i18n import SOURCE
from bastion.i18n.negotiation import negotiate, supported, valid_zone

LANGUAGE_COOKIE = "bastion_lang"  # the language menu's choice (bastion/web/pages/language.py)
ZONE_COOKIE = "bastion_tz"  # the browser's IANA zone, set by bastion.js
_OURS = (LANGUAGE_COOKIE.encode() + b"=", ZONE_COOKIE.encode() + b"=")
_TRANSLATED = (b"text/html", b"application/problem+json", b"application/json")
_VARY = b"Accept-Language, Cookie"


def voice_of(scope: Scope, pseudo: bool = False) -> tuple[str, str | None, bool]:
    """The request's language, the browser's zone (None: unknown), and whether the person chose
    the language (`?lang=` or the menu's cookie) rather than the browser's settings."""
    accept = b""
    cookies: list[bytes] = []
    for name, value in scope["headers"]:
        if name == b"accept-language":
            accept = value
        elif name == b"cookie" and (_OURS[0] in value or _OURS[1] in value):
            cookies.append(value)
    tag = zone = None
    query = scope.get("query_string", b"")
    if b"lang=" in query:
        tag = supported(dict(parse_qsl(query.decode("latin-1"))).get("lang"), pseudo)
    if cookies:
        values = cookie_parser("; ".join(cookie.decode("latin-1") for cookie in cookies))
        tag = tag or supported(values.get(LANGUAGE_COOKIE), pseudo)
        zone = valid_zone(unquote(values.get(ZONE_COOKIE, "")))
    if tag is not None:
        return tag, zone, True
    return (negotiate(accept.decode("latin-1")) if accept else SOURCE), zone, False


def with_language(headers: list[tuple[bytes, bytes]], tag: str) -> list[tuple[bytes, bytes]]:
    """`headers`, with Content-Language and Vary when the answer may hold words a person reads (a page, a
    problem, or JSON such as the reasons' help or a request's next step)."""
    translated, vary = _language_of(headers)
    if not translated:
        return headers
    if vary is None:
        return [*headers, (b"content-language", tag.encode()), (b"vary", _VARY)]
    kept = [item for item in headers if item[0] != b"vary"]
    return [*kept, (b"content-language", tag.encode()), (b"vary", vary + b", " + _VARY)]


def rendered_language(headers: list[tuple[bytes, bytes]], tag: str) -> bytes | None:
    """What `with_language` adds, rendered as written in the answer's head (b"": nothing), for the
    protocol's fixed headers (bastion/ops/http_heads.py) rather than headers it checks again; None
    when the answer's own Vary must be extended (`with_language` does that)."""
    translated, vary = _language_of(headers)
    if not translated:
        return b""
    return language_label(tag) if vary is None else None


def _language_of(headers: list[tuple[bytes, bytes]]) -> tuple[bool, bytes | None]:
    """Whether the answer's words are to be labelled (a translated type, no Content-Language of its
    own), and its own Vary. One plain loop: this runs for every answer."""
    translated = False
    vary: bytes | None = None
    for name, value in headers:
        if name == b"content-type":
            translated = value.startswith(_TRANSLATED)
        elif name == b"content-language":
            return False, None
        elif name == b"vary":
            vary = value
    return translated, vary


@cache
def language_label(tag: str) -> bytes:
    """Content-Language and Vary for words in `tag` (a shipped language's), as written in an answer's head."""
    return b"content-language: " + tag.encode() + b"\r\nvary: " + _VARY + b"\r\n"
