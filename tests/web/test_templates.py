"""Every page template compiles, and none has inline script or style (the Content-Security-Policy
would block them)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bastion.web.pages.render import templates

TEMPLATES = sorted(str(path.relative_to(Path(templates.env.loader.searchpath[0])))  # type: ignore[attr-defined]
                   for path in Path(templates.env.loader.searchpath[0]).rglob("*.html"))  # type: ignore[attr-defined]


@pytest.mark.parametrize("name", TEMPLATES)
def test_template_compiles_without_inline_script_or_style(name: str) -> None:
    templates.env.get_template(name)
    source = Path(templates.env.loader.searchpath[0], name).read_text()  # type: ignore[attr-defined]
    assert not re.search(r"<script(?![^>]*\bsrc=)", source), "inline script"
    assert "<style" not in source and not re.search(r"\sstyle=", source), "inline style"
    assert not re.search(r"\son[a-z]+=", source), "inline event handler"
