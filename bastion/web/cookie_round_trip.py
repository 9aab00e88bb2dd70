"""Detecting a browser that refuses cookies, instead of guessing.

A pre-sign-in form carries its CSRF token twice: in a cookie and in a hidden field. When the
POST comes back with a well-formed token in the field, from our own page (the browser says
so: `Sec-Fetch-Site: same-origin`, or an `Origin` equal to ours), yet with no cookie at all,
the browser took the page and dropped the cookie: cookies are blocked. A forged cross-site
POST does not pass the same-origin test and stays `csrf.invalid`.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from fastapi import Request


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def from_our_page(request: Request) -> bool:
    site = request.headers.get("sec-fetch-site")
    if site is not None:
        return site == "same-origin"
    origin = request.headers.get("origin")
    if not origin or origin == "null":
        return False
    ours = {_origin(str(request.base_url)), _origin(request.app.state.services.settings.public_url)}
    return origin.lower().rstrip("/") in ours


def cookies_refused(request: Request, token_well_formed: bool) -> bool:
    """The form came back from our page without any cookie: the browser refused them."""
    return token_well_formed and not request.headers.get("cookie") and from_our_page(request)
