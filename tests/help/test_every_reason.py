"""Every reason in the catalogue, provoked through the HTTP app (tests/help/reason_table*.py).

For each code: the status and code of the answer, its help steps, action and help page; the
reference recorded and resolvable through GET /v1/help/references; and, for a code that may
be answered before the first factor, the same answer whether or not the email has an account.

The rows run on SQLite (each in its own database): recording and finding references is the
same code on both databases, and runs on PostgreSQL too in test_references.py.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest

from bastion.catalogue import CATALOGUE
from tests.help import reason_table_cases, reason_table_factors, reason_table_oidc  # noqa: F401 — they register their rows
from tests.help.conftest import REFERENCE, Lab
from tests.help.reason_table import BY_EMAIL, CASES

EMAIL = "someone@example.com"
_CSRF = re.compile(r'name="csrf_token" value="[^"]*"')


def test_every_catalogued_code_has_a_row_and_every_row_a_code() -> None:
    assert sorted(set(CATALOGUE) - set(CASES)) == [], "codes in the catalogue nobody provokes"
    assert sorted(set(CASES) - set(CATALOGUE)) == [], "rows for codes the catalogue does not have"


def test_every_code_answerable_before_the_first_factor_is_compared_or_says_why_not() -> None:
    for code, reason in CATALOGUE.items():
        if reason.pre_auth and code in CASES:
            assert CASES[code].twin, f"{code}: compare existing and unknown accounts, or say why there is no pair"


@pytest.mark.parametrize("code", sorted(CATALOGUE))
def test_the_refusal_is_provoked_recorded_and_explained(code: str, lab_factory: Callable[..., Lab]) -> None:
    case = CASES.get(code)
    assert case is not None, f"no row provokes {code}"
    reason = CATALOGUE[code]
    lab = lab_factory(app_hook=case.app_hook, **case.settings)
    if case.twin == BY_EMAIL:
        lab.account(EMAIL)
    answer = case.provoke(lab, EMAIL)

    assert answer.status_code == reason.status, answer.text[:1000]
    reference = lab.reference_in(answer)
    if answer.headers["content-type"].startswith("application/problem+json"):
        body = answer.json()
        assert body["code"] == code and body["status"] == reason.status
        assert body["help"] == list(reason.steps) and body["help"]
        assert body["help_url"] == reason.help_url and body["action"]["href"]
        assert ("retry_after" in body) == ("retry-after" in answer.headers)
    else:  # a page: the refusal's title, steps and reference, never the raw code
        assert reason.title.replace("'", "&#39;") in answer.text and code not in answer.text

    explained = lab.client.get(f"/v1/help/references/{reference}")
    assert explained.status_code == 200, explained.text
    assert explained.json()["code"] == code and explained.json()["steps"] == list(reason.steps)
    assert explained.json()["occurred_at"]

    if reason.pre_auth and case.twin == BY_EMAIL:
        stranger = lab_factory(app_hook=case.app_hook, **case.settings)  # no account has EMAIL here
        assert _same_answer(answer, case.provoke(stranger, EMAIL))


def _same_answer(known: Any, unknown: Any) -> bool:
    """Identical but for the reference (and a page's fresh CSRF token)."""
    assert known.status_code == unknown.status_code
    assert known.headers.get("retry-after") == unknown.headers.get("retry-after")

    def normalized(answer: Any) -> str:
        return _CSRF.sub("", REFERENCE.sub("R-XXXXXXXX", answer.text))

    assert normalized(known) == normalized(unknown)
    return True
