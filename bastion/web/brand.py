"""How the pages look on this platform: its name, logo, accent colour and stylesheet (BASTION_BRAND_*),
read once per application from the settings.

Files the settings name are read into memory here and served at fixed addresses
(bastion/web/pages/brand.py): nothing about a request chooses a file. Each address carries a
version (a hash of the content), so browsers may keep them and still see a change.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from starlette.requests import Request

from bastion import brand
from bastion.config import Settings
from bastion.urls import exact_origin

LOGO_PATH = brand.LOGO_PATH
THEME_PATH = "/brand/theme.css"
STYLESHEET_PATH = "/brand/custom.css"
DEFAULT_LOGO = "/static/shield.svg"


@dataclass(frozen=True, slots=True)
class Look:
    name: str = "Bastion"
    logo: brand.Logo | None = None  # a file Bastion serves
    logo_url: str | None = None  # or an image elsewhere, used as is
    theme: bytes | None = None  # the accent colour's custom properties
    stylesheet: bytes | None = None
    templates_dir: Path | None = None

    @classmethod
    def of(cls, settings: Settings) -> Look:
        logo = logo_url = None
        if settings.brand_logo and "://" in settings.brand_logo:
            logo_url = settings.brand_logo
        elif settings.brand_logo:
            logo = brand.read_logo(Path(settings.brand_logo))
        return cls(
            name=settings.brand_name, logo=logo, logo_url=logo_url,
            theme=brand.theme_css(settings.brand_color).encode() if settings.brand_color else None,
            stylesheet=brand.read_stylesheet(settings.brand_css) if settings.brand_css else None,
            templates_dir=settings.templates_dir,
        )

    @property
    def logo_src(self) -> str:
        """The logo as the pages show it."""
        if self.logo_url:
            return self.logo_url
        return _versioned(LOGO_PATH, self.logo.data) if self.logo else DEFAULT_LOGO

    @property
    def theme_href(self) -> str | None:
        return _versioned(THEME_PATH, self.theme) if self.theme else None

    @property
    def stylesheet_href(self) -> str | None:
        return _versioned(STYLESHEET_PATH, self.stylesheet) if self.stylesheet else None



def image_origin(settings: Settings) -> str:
    """Where the logo comes from when it is not this site: the pages' CSP lets images load from there."""
    logo = settings.brand_logo or ""
    return (exact_origin(logo) or "") if "://" in logo else ""


def _versioned(path: str, content: bytes) -> str:
    return f"{path}?v={hashlib.sha256(content).hexdigest()[:12]}"


def look(request: Request) -> Look:
    """This application's look, read from its settings at the first request that needs it."""
    return look_of(request.app.state)


def look_of(state: Any) -> Look:
    """The look of the application whose `app.state` this is."""
    found: Look | None = getattr(state, "look", None)
    if found is None:
        found = state.look = Look.of(state.services.settings)
    return found
