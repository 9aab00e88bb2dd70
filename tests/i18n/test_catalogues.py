"""Every shipped language translates every message the code marks: none missing, empty or fuzzy,
and each with the placeholders of its original (`tools/i18n.py check`, on a fresh extraction).

Marked `catalogue`: deselected by default until the translations are complete
(`pytest -m catalogue tests/i18n/test_catalogues.py`)."""

from __future__ import annotations

import pytest

from tools import i18n as tool

pytestmark = pytest.mark.catalogue


def test_every_shipped_language_translates_every_message() -> None:
    problems = tool.check()
    assert not problems, f"{len(problems)} catalogue problems:\n" + "\n".join(problems)
