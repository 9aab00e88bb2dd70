"""Security headers on every answer; a strict Content-Security-Policy on pages; HSTS over https.

Computed once per kind of path (`security_headers`), added to each answer by the edge
(bastion/web/edge.py) unless the answer set its own (`with_security_headers`).
"""

from __future__ import annotations

from functools import cache

# No inline script or style anywhere: everything is served from /static.
PAGE_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
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
_CSP = (b"content-security-policy", PAGE_CSP.encode())
_NO_STORE = (b"cache-control", b"no-store")
# The interactive API reference loads its viewer from a CDN; it holds no account data.
_DOCS_PATHS = ("/docs", "/redoc")


def security_headers(path: str, https: bool) -> tuple[tuple[bytes, bytes], ...]:
    """The headers every answer to `path` carries (`https`: the public URL is https — behind a
    proxy the request itself may arrive as plain http)."""
    return _headers_for(path.startswith(_DOCS_PATHS), path.startswith("/static/"), https)


@cache
def _headers_for(docs: bool, static: bool, https: bool) -> tuple[tuple[bytes, bytes], ...]:
    return (*_COMMON, *((_HSTS,) if https else ()), *(() if docs else (_CSP,)), *(() if static else (_NO_STORE,)))


def with_security_headers(headers: list[tuple[bytes, bytes]],
                          ours: tuple[tuple[bytes, bytes], ...]) -> list[tuple[bytes, bytes]]:
    """`headers` and ours, except those the answer set itself (e.g. a page's own CSP or caching)."""
    present = {name for name, _ in headers}
    return [*headers, *(item for item in ours if item[0] not in present)]
