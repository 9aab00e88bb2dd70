"""The language and time zone an account reads Bastion in: its pages wherever the browser made no
choice of its own, and every email sent to it (bastion.notify.outbox renders in them).

Not a security setting: no step-up, no email about the change. A language is one Bastion ships
(bastion.i18n.LANGUAGES), a zone one zoneinfo knows; None means "as the browser says".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, select

from bastion.accounts.models import Account
from bastion.accounts.repo import get_account
from bastion.errors import BastionError, Reason
from bastion.i18n import LANGUAGES
from bastion.i18n import gettext as _
from bastion.i18n.negotiation import supported, valid_zone
from bastion.services import Services

FIELDS = ("language", "time_zone")


@dataclass(frozen=True, slots=True)
class Preferences:
    language: str | None = None
    time_zone: str | None = None


# Read on every signed-in page and API call: built once.
_READ = select(Account.language, Account.time_zone).where(Account.id == bindparam("account_id"))


def preferences_of(services: Services, account_id: str) -> Preferences:
    with services.db.reading() as reader:
        row = reader.execute(_READ, {"account_id": account_id}).one_or_none()
    return Preferences(row[0], row[1]) if row is not None else Preferences()


def save_preferences(services: Services, account_id: str, changes: dict[str, Any]) -> Preferences:
    """Set the named preferences (None or "" clears one; a name not in `changes` stays as it is);
    `request.invalid` names a language Bastion does not ship or a zone it does not know."""
    values = {name: _checked(name, changes[name]) for name in FIELDS if name in changes}
    with services.db.transaction() as tx:
        account = get_account(tx, account_id)
        for name, value in values.items():
            setattr(account, name, value)
        return Preferences(account.language, account.time_zone)


def _checked(name: str, value: Any) -> str | None:
    if value is None or value == "":
        return None
    text = value if isinstance(value, str) else ""
    if name == "language":
        tag = supported(text)
        if tag is None:
            raise _invalid(name, _("Choose one of the languages offered: %(languages)s.")
                           % {"languages": ", ".join(LANGUAGES)})
        return tag
    zone = valid_zone(text.strip())
    if zone is None:
        raise _invalid(name, _("Choose a time zone by its name, such as Europe/Madrid or America/New_York."))
    return zone


def _invalid(field: str, detail: str) -> BastionError:
    # The field named as the API and the page name it, never the value sent.
    return BastionError(Reason.REQUEST_INVALID, detail=detail, extra={"errors": [{"field": field, "message": detail}]})
