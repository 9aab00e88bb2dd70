"""Security headers on every answer; a strict Content-Security-Policy on pages; HSTS over https.

Computed once per kind of path (`security_headers`), added to each answer by the edge
(bastion/web/edge.py) unless the answer set its own (`with_security_headers`). Served by `bastion
serve`, they go to the protocol rendered once (`rendered`, bastion/ops/http_heads.py's
`FIXED_HEADERS`) rather than as headers it checks again for every answer.
"""

from __future__ import annotations

import re
from functools import cache


def page_csp(image_origin: str = "") -> str:
    """No inline script or style anywhere: everything is served from /static (and /brand). Images
    may also come from `image_origin`, the platform's logo elsewhere (BASTION_BRAND_LOGO)."""
    images = f"'self' data: {image_origin}".rstrip()
    return (f"default-src 'none'; script-src 'self'; style-src 'self'; img-src {images}; "
            "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")


PAGE_CSP = page_csp()
_COMMON = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
    # Nothing here uses the camera, microphone, location or payments; passkeys (publickey-credentials-*)
    # keep their default: this origin only.
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), payment=(), usb=()"),
)
# RFC 6797: once seen over https, the browser refuses plain http to this host for a year.
_HSTS = (b"strict-transport-security", b"max-age=31536000; includeSubDomains")
_NO_STORE = (b"cache-control", b"no-store")
# The interactive API reference loads its viewer from a CDN; it holds no account data. Exact paths:
# a prefix would lift the policy from any page whose path starts the same ("/docsanything").
_DOCS_PATHS = frozenset(("/docs", "/docs/oauth2-redirect", "/redoc"))


def security_headers(path: str, https: bool, image_origin: str = "") -> tuple[tuple[bytes, bytes], ...]:
    """The headers every answer to `path` carries (`https`: the public URL is https — behind a
    proxy the request itself may arrive as plain http; `image_origin`: see `page_csp`)."""
    return _headers_for(path in _DOCS_PATHS, path.startswith("/static/"), https, image_origin)


@cache
def _headers_for(docs: bool, static: bool, https: bool, image_origin: str) -> tuple[tuple[bytes, bytes], ...]:
    csp = () if docs else ((b"content-security-policy", page_csp(image_origin).encode()),)
    return (*_COMMON, *((_HSTS,) if https else ()), *csp, *(() if static else (_NO_STORE,)))


def with_security_headers(headers: list[tuple[bytes, bytes]],
                          ours: tuple[tuple[bytes, bytes], ...]) -> list[tuple[bytes, bytes]]:
    """`headers` and ours, except those the answer set itself (e.g. a page's own CSP or caching)."""
    if sets_none_of_ours(headers):
        return [*headers, *ours]
    present = {name for name, _ in headers}
    return [*headers, *[item for item in ours if item[0] not in present]]


_OURS_NAMES = frozenset(name for name, _ in (*_COMMON, _HSTS, _NO_STORE, (b"content-security-policy", b"")))


def sets_none_of_ours(headers: list[tuple[bytes, bytes]]) -> bool:
    """The answer set none of the security headers itself (the usual case): ours go whole."""
    return _OURS_NAMES.isdisjoint(name for name, _ in headers)


# What HTTP allows in a header's name (a token, RFC 9110 §5.6.2) and value (visible characters,
# spaces and tabs): a header rendered here is written as it is.
_NAME = re.compile(rb"[!#$%&'*+.^_`|~0-9a-z-]+")
_VALUE = re.compile(rb"[\t\x20-\x7e]*")


@cache
def rendered(headers: tuple[tuple[bytes, bytes], ...]) -> bytes:
    """`headers` as they are written in an answer's head (`security_headers`' tuples: a few, cached)."""
    for name, value in headers:
        if not (_NAME.fullmatch(name) and _VALUE.fullmatch(value)):
            raise ValueError(f"not a header HTTP allows: {name!r}")
    return b"".join(name + b": " + value + b"\r\n" for name, value in headers)
