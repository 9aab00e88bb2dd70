"""Branding settings (BASTION_BRAND_*, BASTION_TEMPLATES_DIR, BASTION_RETURN_URLS): checked at start-up,
each refusal saying what is wrong; and the accent colour's text colours reach WCAG AA contrast."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bastion import brand
from bastion.config import ConfigError, load_settings
from tests.test_config import SAFE_PROD

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><rect width="10" height="10"/></svg>'


def write(folder: Path, name: str, data: bytes) -> Path:
    path = folder / name
    path.write_bytes(data)
    return path


def test_the_brand_name_is_the_default_authenticator_issuer() -> None:
    assert load_settings().totp_issuer == "Bastion"
    assert load_settings(brand_name="  Example Exchange ").totp_issuer == "Example Exchange"
    assert load_settings(brand_name="Example Exchange", totp_issuer="Example 2FA").totp_issuer == "Example 2FA"


@pytest.mark.parametrize("name", ["", "   ", "Tab\tName", "x" * 65])
def test_a_brand_name_no_one_could_read_is_refused(name: str) -> None:
    with pytest.raises(ConfigError, match="brand_name"):
        load_settings(brand_name=name)


@pytest.mark.parametrize("name, data", [("logo.svg", SVG), ("logo.png", PNG), ("logo.JPG", b"\xff\xd8\xff\xe0" + b"0" * 20),
                                        ("logo.webp", b"RIFF\x10\x00\x00\x00WEBPVP8 " + b"0" * 20)])
def test_a_logo_file_of_each_type_is_accepted(tmp_path: Path, name: str, data: bytes) -> None:
    path = write(tmp_path, name, data)
    assert load_settings(brand_logo=str(path)).brand_logo == str(path)
    assert brand.read_logo(path).content_type == brand.LOGO_TYPES[Path(name).suffix.lower()]


@pytest.mark.parametrize("name, data, complaint", [
    ("logo.gif", b"GIF89a", "an .svg, .png, .jpg or .webp file"),
    ("logo.png", SVG, "not the image/png image its name says"),
    ("logo.svg", PNG, "not the image/svg\\+xml image"),
    ("logo.png", b"", "between 1 and"),
    ("logo.png", PNG + b"\x00" * brand.MAX_LOGO_BYTES, "between 1 and"),
    ("logo.svg", SVG.replace(b"<rect", b"<script>alert(1)</script><rect"), "may not hold scripts"),
    ("logo.svg", SVG.replace(b"<rect", b'<rect onload="alert(1)"'), "may not hold scripts"),
    ("logo.svg", SVG.replace(b"<rect", b"<foreignObject><p>x</p></foreignObject><rect"), "embedded HTML"),
])
def test_a_logo_that_cannot_be_served_stops_the_start(tmp_path: Path, name: str, data: bytes, complaint: str) -> None:
    with pytest.raises(ConfigError, match=complaint):
        load_settings(brand_logo=str(write(tmp_path, name, data)))


@pytest.mark.parametrize("value", ["http://cdn.example/logo.svg", "https://user@cdn.example/logo.svg",
                                   "javascript:alert(1)", "/no/such/logo.svg", "https://cdn.example\\logo.svg"])
def test_a_logo_address_must_be_https_or_an_existing_file(value: str) -> None:
    with pytest.raises(ConfigError, match="brand_logo"):
        load_settings(brand_logo=value)


def test_a_logo_url_is_kept_as_it_is() -> None:
    assert load_settings(brand_logo="https://cdn.example/logo.svg").brand_logo == "https://cdn.example/logo.svg"


@pytest.mark.parametrize("value", ["1f5fbf", "#1f5fb", "#1f5fbfa", "#gggggg", "blue", "#FFF"])
def test_a_brand_colour_must_be_rrggbb(value: str) -> None:
    with pytest.raises(ConfigError, match="#rrggbb"):
        load_settings(brand_color=value)


def test_a_colour_no_text_reads_on_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    # Black or white reads on every colour (at least 4.58:1), so only a narrower choice of text
    # colours can fail; the refusal is what keeps a changed choice honest.
    monkeypatch.setattr(brand, "TEXT_CANDIDATES", ("#ffffff",))
    with pytest.raises(ConfigError, match=r"no text colour reaches a contrast of 4\.5:1 on #ffdd00"):
        load_settings(brand_color="#FFDD00")


@pytest.mark.parametrize("colour", [f"#{red:02x}{green:02x}{blue:02x}" for red in range(0, 256, 51)
                                    for green in range(0, 256, 51) for blue in range(0, 256, 85)])
def test_every_colour_gets_readable_text_and_links_in_both_schemes(colour: str) -> None:
    css = brand.theme_css(colour)
    light, dark = re.findall(r":root \{ ([^}]*) \}", css)
    for properties, backgrounds in ((light, brand.LIGHT_BACKGROUNDS), (dark, brand.DARK_BACKGROUNDS)):
        values = dict(re.findall(r"--([a-z-]+): (#[0-9a-f]{6});", properties))
        assert values["brand"] == colour
        assert brand.contrast(values["on-brand"], values["brand"]) >= 4.5
        assert brand.contrast(values["on-primary"], values["primary"]) >= 4.5
        assert brand.contrast(values["on-primary"], values["primary-dark"]) >= 4.5
        assert all(brand.contrast(values["primary"], background) >= 4.5 for background in backgrounds)


def test_the_theme_is_custom_properties_only() -> None:
    css = brand.theme_css("#E8590C")
    assert css.count("@media (prefers-color-scheme: dark)") == 1
    assert "--brand: #e8590c; --on-brand: #16202c;" in css  # white on this orange is 3.6:1: too little
    assert not re.search(r"[{;]\s*(?!--)[a-z-]+\s*:", css.split("*/", 1)[1].replace("@media (prefers-color-scheme: dark)", ""))


def test_contrast_is_wcags() -> None:
    assert round(brand.contrast("#000000", "#ffffff"), 1) == 21.0
    assert round(brand.contrast("#767676", "#ffffff"), 2) == 4.54
    assert brand.contrast("#123456", "#123456") == 1.0


def test_a_stylesheet_must_be_a_bounded_text_file(tmp_path: Path) -> None:
    good = write(tmp_path, "extra.css", b".brand span { letter-spacing: .1em; }")
    assert load_settings(brand_css=str(good)).brand_css == good
    for data, complaint in ((b"\xff\xfe\x00", "UTF-8"), (b"a" * (brand.MAX_STYLESHEET_BYTES + 1), "between 1 and")):
        with pytest.raises(ConfigError, match=complaint):
            load_settings(brand_css=str(write(tmp_path, "bad.css", data)))
    with pytest.raises(ConfigError, match="no such file"):
        load_settings(brand_css=str(tmp_path / "missing.css"))


def test_a_templates_folder_must_hold_pages_or_emails(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such folder"):
        load_settings(templates_dir=str(tmp_path / "missing"))
    with pytest.raises(ConfigError, match="neither a pages/ nor an emails/ folder"):
        load_settings(templates_dir=str(tmp_path))
    (tmp_path / "emails").mkdir()
    assert load_settings(templates_dir=str(tmp_path)).templates_dir == tmp_path


def test_return_urls_are_exact_origins() -> None:
    settings = load_settings(return_urls="https://exchange.example, https://app.example:8443/, http://localhost:3000")
    assert settings.return_origins == {"https://exchange.example", "https://app.example:8443", "http://localhost:3000"}
    assert load_settings(return_urls="https://exchange.example:443").return_origins == {"https://exchange.example"}


@pytest.mark.parametrize("value", ["https://exchange.example/markets", "https://exchange.example?x=1",
                                   "https://user@exchange.example", "exchange.example", "//exchange.example",
                                   "javascript:alert(1)", "ftp://exchange.example", "https://exchange.example#top"])
def test_a_return_url_that_is_not_an_origin_is_refused(value: str) -> None:
    with pytest.raises(ConfigError, match="is not an origin"):
        load_settings(return_urls=value)


def test_prod_returns_only_to_https_origins() -> None:
    with pytest.raises(ConfigError, match="BASTION_RETURN_URLS must be https"):
        load_settings(**SAFE_PROD, return_urls="http://exchange.example")
    assert load_settings(**SAFE_PROD, return_urls="https://exchange.example").return_origins
