"""The reason-code catalogue — the one place every refusal is defined.

Each reason carries its HTTP status, a plain message for a stressed person,
ordered recovery steps, the action that fixes it (a page and, for apps, an
endpoint), the guided troubleshooter's page for it, and whether it may be shown
before the first factor succeeds (`pre_auth`: an answer that cannot reveal
whether an account exists). A code is never reused for another meaning.
The entries live in one module per area; `CATALOGUE` keeps the order of `Reason`.
tests/help/test_every_reason.py provokes every code here through the HTTP app.
"""

from __future__ import annotations

from bastion.catalogue import accounts, general, oidc, recovery, second_factor, sessions, sign_in
from bastion.catalogue.codes import Reason
from bastion.catalogue.entry import HELP_PATH, Action, ReasonEntry

__all__ = ["CATALOGUE", "ENTRIES", "HELP_PATH", "Action", "Reason", "ReasonEntry", "find"]

ENTRIES = tuple(entry for area in (sign_in, second_factor, sessions, recovery, accounts, oidc, general)
                for entry in area.ENTRIES)
_ORDER = {code: position for position, code in enumerate(Reason)}
# tests/help/test_catalogue.py proves each code has exactly one entry.
CATALOGUE: dict[Reason, ReasonEntry] = {entry.code: entry for entry in sorted(ENTRIES, key=lambda e: _ORDER[e.code])}


def find(code: str) -> ReasonEntry | None:
    """The entry for a code read back from storage or a request, or None when it is not ours."""
    try:
        return CATALOGUE[Reason(code)]
    except ValueError:
        return None
