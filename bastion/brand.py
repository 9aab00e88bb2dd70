"""The platform's own look, checked before Bastion serves it: its logo file, its stylesheet, and an
accent colour with text colours that stay readable on it (WCAG 2.2 contrast).

Pure functions over bytes and colours; the settings (bastion.config) call them at start-up, so a
logo or stylesheet that cannot be served stops the start with a sentence saying why.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

LOGO_PATH = "/brand/logo"  # where Bastion serves a logo file
MAX_LOGO_BYTES = 256 * 1024
MAX_STYLESHEET_BYTES = 256 * 1024
# The image types every browser and mail reader shows; the content must match the file's name.
LOGO_TYPES = {".svg": "image/svg+xml", ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg",
              ".webp": "image/webp"}
# An SVG is a document: served from Bastion's origin, a script in it would run there if opened.
_SVG_ACTIVE = re.compile(rb"<script|<foreignobject|javascript:|\son[a-z]+\s*=", re.IGNORECASE)
_COLOUR = re.compile(r"#[0-9a-fA-F]{6}")

# WCAG 2.2 §1.4.3 (text, AA) and §1.4.11 (focus indicators and controls).
TEXT_CONTRAST = 4.5
NON_TEXT_CONTRAST = 3.0
# Text on the accent: white when it reads, else the pages' own ink, else black.
TEXT_CANDIDATES = ("#ffffff", "#16202c", "#000000")
# The backgrounds links sit on (bastion.css: --page and --surface, light and dark).
LIGHT_BACKGROUNDS = ("#ffffff", "#f2f4f7")
DARK_BACKGROUNDS = ("#0d1117", "#161b22")


@dataclass(frozen=True, slots=True)
class Logo:
    content_type: str
    data: bytes


def read_logo(path: Path) -> Logo:
    """The logo file's type and bytes; ValueError with the reason when it cannot be served as one."""
    content_type = LOGO_TYPES.get(path.suffix.lower())
    if content_type is None:
        raise ValueError(f"{path}: a logo is an .svg, .png, .jpg or .webp file")
    data = _read_bounded(path, MAX_LOGO_BYTES)
    if not _looks_like(content_type, data):
        raise ValueError(f"{path}: the file is not the {content_type} image its name says")
    if content_type == "image/svg+xml" and _SVG_ACTIVE.search(data):
        raise ValueError(f"{path}: an SVG logo may not hold scripts, event handlers or embedded HTML")
    return Logo(content_type, data)


def read_stylesheet(path: Path) -> bytes:
    data = _read_bounded(path, MAX_STYLESHEET_BYTES)
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        raise ValueError(f"{path}: a stylesheet must be UTF-8 text") from None
    return data


def _read_bounded(path: Path, limit: int) -> bytes:
    if not path.is_file():
        raise ValueError(f"{path}: no such file")
    size = path.stat().st_size
    if not 0 < size <= limit:
        raise ValueError(f"{path}: {size} bytes; it must hold between 1 and {limit} bytes")
    return path.read_bytes()


def _looks_like(content_type: str, data: bytes) -> bool:
    if content_type == "image/png":
        return data.startswith(b"\x89PNG\r\n\x1a\n")
    if content_type == "image/jpeg":
        return data.startswith(b"\xff\xd8\xff")
    if content_type == "image/webp":
        return data[:4] == b"RIFF" and data[8:12] == b"WEBP"
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return False
    return re.search(r"<svg[\s>]", text) is not None


# Colours


def is_colour(value: str) -> bool:
    return _COLOUR.fullmatch(value) is not None


def luminance(colour: str) -> float:
    """WCAG 2.2 relative luminance of a #rrggbb colour."""
    channels = [int(colour[index:index + 2], 16) / 255 for index in (1, 3, 5)]
    red, green, blue = (c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def contrast(first: str, second: str) -> float:
    """WCAG contrast ratio, 1 to 21."""
    lighter, darker = sorted((luminance(first), luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def readable_text(background: str) -> str:
    """The text colour for `background`: the first candidate with 4.5:1; ValueError if none reaches it."""
    for candidate in TEXT_CANDIDATES:
        if contrast(candidate, background) >= TEXT_CONTRAST:
            return candidate
    raise ValueError(f"no text colour reaches a contrast of {TEXT_CONTRAST}:1 on {background}")


def mix(colour: str, toward: str, share: float) -> str:
    """`colour` moved `share` (0-1) of the way to `toward`, channel by channel."""
    channels = (round(int(colour[i:i + 2], 16) * (1 - share) + int(toward[i:i + 2], 16) * share) for i in (1, 3, 5))
    return "#" + "".join(f"{channel:02x}" for channel in channels)


def readable_on(colour: str, backgrounds: tuple[str, ...], target: float = TEXT_CONTRAST) -> str:
    """`colour` itself when it reads on every background, else the nearest shade of it that does
    (darker on light backgrounds, lighter on dark ones)."""
    toward = "#000000" if luminance(backgrounds[0]) > 0.5 else "#ffffff"
    for step in range(21):
        shade = mix(colour, toward, step / 20)
        if all(contrast(shade, background) >= target for background in backgrounds):
            return shade
    raise ValueError(f"no shade of {colour} reaches a contrast of {target}:1 on {', '.join(backgrounds)}")


@dataclass(frozen=True, slots=True)
class Scheme:
    """The accent's colours for one colour scheme (light or dark)."""

    primary: str  # links, primary buttons, the current section
    primary_hover: str
    on_primary: str  # text on a primary button, in both its states


def scheme(colour: str, backgrounds: tuple[str, ...]) -> Scheme:
    primary = readable_on(colour, backgrounds)
    on_primary = readable_text(primary)
    # Hovering moves away from the text colour, so the label only gains contrast.
    hover = mix(primary, "#000000" if on_primary == "#ffffff" else "#ffffff", 0.15)
    if contrast(on_primary, hover) < TEXT_CONTRAST:  # pragma: no cover - a lighter or darker shade only gains
        raise ValueError(f"text on {hover} does not reach {TEXT_CONTRAST}:1")
    return Scheme(primary, hover, on_primary)


def theme_css(colour: str) -> str:
    """The stylesheet that puts BASTION_BRAND_COLOR on the pages: custom properties only, light and dark."""
    colour = colour.lower()
    on_brand = readable_text(colour)
    light, dark = scheme(colour, LIGHT_BACKGROUNDS), scheme(colour, DARK_BACKGROUNDS)

    def properties(accent: Scheme) -> str:
        return (f"--brand: {colour}; --on-brand: {on_brand}; --primary: {accent.primary}; "
                f"--primary-dark: {accent.primary_hover}; --on-primary: {accent.on_primary};")

    return (f"/* BASTION_BRAND_COLOR {colour}; text colours computed for a WCAG contrast of at least "
            f"{TEXT_CONTRAST}:1. */\n:root {{ {properties(light)} }}\n"
            f"@media (prefers-color-scheme: dark) {{\n  :root {{ {properties(dark)} }}\n}}\n")
