"""Origins of absolute URLs, read strictly: what a browser would visit must be what Python parsed.

A URL a browser and Python read differently is refused rather than guessed at: backslashes
(browsers read `https:\\\\evil` as `https://evil`), spaces and control characters (stripped by
browsers), userinfo (`https://exchange.example@evil` goes to `evil`), anything but http(s).
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

MAX_URL_LENGTH = 2048
_UNSAFE = re.compile(r"[\x00-\x20\x7f\\]")
_DEFAULT_PORTS = {"http": 80, "https": 443}


def exact_origin(url: str) -> str | None:
    """'scheme://host[:port]' of an absolute http(s) URL (the default port left out), or None."""
    if not url or len(url) > MAX_URL_LENGTH or not url.isascii() or _UNSAFE.search(url):
        return None
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not url[len(scheme):].startswith("://") or not parts.hostname:
        return None
    if "@" in parts.netloc:
        return None
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    return f"{scheme}://{host}" + ("" if port in (None, _DEFAULT_PORTS[scheme]) else f":{port}")


def is_bare_origin(url: str) -> bool:
    """'https://exchange.example' (a trailing slash allowed), with no path, query or fragment."""
    origin = exact_origin(url)
    if origin is None:
        return False
    parts = urlsplit(url)
    return parts.path in {"", "/"} and not parts.query and not parts.fragment and not url.endswith(("?", "#"))
