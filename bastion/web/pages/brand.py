"""The platform's logo and stylesheets (BASTION_BRAND_*), at fixed addresses: nothing in a request
names a file. Each address is versioned by its content, so browsers may keep an answer a day."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from bastion.errors import BastionError, Reason
from bastion.web.brand import LOGO_PATH, STYLESHEET_PATH, THEME_PATH, look

router = APIRouter()

_CACHE = "public, max-age=86400"
# An SVG is a document: opened on its own, nothing in it may run or load (it was checked at start too).
_IMAGE_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; sandbox"


@router.get(LOGO_PATH)
def logo(request: Request) -> Response:
    found = look(request).logo
    if found is None:
        raise BastionError(Reason.RESOURCE_NOT_FOUND)
    return Response(found.data, media_type=found.content_type,
                    headers={"cache-control": _CACHE, "content-security-policy": _IMAGE_CSP})


@router.get(THEME_PATH)
def theme(request: Request) -> Response:
    return _stylesheet(look(request).theme)


@router.get(STYLESHEET_PATH)
def stylesheet(request: Request) -> Response:
    return _stylesheet(look(request).stylesheet)


def _stylesheet(content: bytes | None) -> Response:
    if content is None:
        raise BastionError(Reason.RESOURCE_NOT_FOUND)
    return Response(content, media_type="text/css; charset=utf-8", headers={"cache-control": _CACHE})
