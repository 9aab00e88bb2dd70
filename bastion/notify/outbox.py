"""Writing mail to the outbox, in the transaction of the change that caused it (requirements §24)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any, Protocol

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, PackageLoader, StrictUndefined, select_autoescape
from sqlalchemy import select
from sqlalchemy.orm import Session as Tx

from bastion import i18n
from bastion.agents import describe_agent
from bastion.brand import LOGO_PATH
from bastion.crypto import KeyRing
from bastion.crypto.rotation import Protected
from bastion.i18n import N_
from bastion.i18n.places import place_words
from bastion.i18n.times import duration_words, text_moment_words
from bastion.metrics import EMAILS
from bastion.notify.models import OutboxMessage
from bastion.services import Services
from bastion.store.upsert import insert_ignoring_duplicates

# Translated where the message is rendered, in the reader's language.
SUBJECTS = {
    "verify_email": N_("Confirm your email address"),
    "verify_email_expired": N_("Your sign-up link has expired"),
    "signup_existing": N_("Someone tried to create an account with your email"),
    "anti_phishing_changed": N_("Your anti-phishing code was changed"),
    "mfa_failed": N_("Correct password, failed second step: was it you?"),
    "mfa_locked": N_("Second step of sign-in paused after wrong attempts"),
    "totp_code_reused": N_("An authenticator code was used twice"),
    "backup_code_used": N_("A backup code was used"),
    "factor_changed": N_("Your 2FA changed"),
    "passkey_cloned": N_("A passkey was refused: it may have been copied"),
    "account_frozen": N_("Your account is frozen"),
    "sign_in_locked": N_("Sign-in to your account is paused after wrong passwords"),
    "ip_allowlist_changed": N_("Your IP allowlist was changed"),
    "ip_allowlist_cleared": N_("Support cleared your IP allowlist"),
    "password_reset": N_("Set a new password"),
    "staff_enrolment_link": N_("Set up 2FA for your staff account"),
    "password_reset_done": N_("Your password was changed"),
    "password_changed": N_("Your password was changed"),
    "device_verification": N_("Confirm it's you: sign-in from a new device or place"),
    "new_sign_in": N_("New sign-in to your account"),
    "case_opened": N_("Your recovery request: upload your identity documents"),
    "case_submitted": N_("Your recovery request is being reviewed"),
    "case_approved": N_("Your recovery request was approved: waiting period started"),
    "case_rejected": N_("Your recovery request was not approved"),
    "case_completed": N_("Your recovery request is complete"),
}

_env = Environment(
    loader=PackageLoader("bastion.notify", "templates"),
    autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
    undefined=StrictUndefined,
    keep_trailing_newline=True,
    extensions=["jinja2.ext.i18n"],
)
_env.install_gettext_callables(i18n.gettext, i18n.ngettext, newstyle=True)  # type: ignore[attr-defined]
_env.globals["brand"] = "Bastion"  # the platform's name, as on the pages (BASTION_BRAND_NAME in enqueue)
_env.globals["brand_logo"] = None  # an absolute address of its logo, if it has one (BASTION_BRAND_LOGO)
_env.filters["when"] = text_moment_words
_env.filters["duration"] = duration_words
# A device (its user agent) and a place (a country code) in words, in the reader's language: callers
# pass them as data, since they do not write in the account's language (see enqueue).
_env.filters["device"] = describe_agent
_env.filters["place"] = place_words


_RFC3339 = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d(?::\d\d(?:\.\d+)?)?(?:Z|[+-]\d\d:\d\d)?")


@cache
def _environment(overrides: Path | None) -> Environment:
    """The templates, with BASTION_TEMPLATES_DIR/emails in front of the shipped ones, file by file."""
    if overrides is None:
        return _env
    return _env.overlay(loader=ChoiceLoader([FileSystemLoader(str(overrides / "emails")),
                                             PackageLoader("bastion.notify", "templates")]))


def in_words(value: Any) -> Any:
    """The context as a person reads it: every time (a datetime, or RFC 3339 text) in words, in the
    reader's zone and language, naming the zone; lists and dicts looked into."""
    if isinstance(value, datetime) or (isinstance(value, str) and _RFC3339.fullmatch(value)):
        return text_moment_words(value)
    if isinstance(value, dict):
        return {key: in_words(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(in_words(item) for item in value)
    return value


def email_logo(logo: str | None, public_url: str) -> str | None:
    """The logo's absolute address: an https:// URL as it is; a file as Bastion serves it (/brand/logo)."""
    if not logo:
        return None
    return logo if "://" in logo else public_url + LOGO_PATH


class Recipient(Protocol):
    """What a message needs of the account it goes to (an account row of `bastion.accounts`)."""

    @property
    def id(self) -> str: ...

    @property
    def email(self) -> str: ...

    @property
    def anti_phishing_code(self) -> str | None:
        """Encrypted under the key ring (`anti_phishing_aad`)."""

    @property
    def language(self) -> str | None:
        """The language its owner reads Bastion in; None: the request's."""

    @property
    def time_zone(self) -> str | None:
        """The zone its owner reads times in; None: the request's."""


def anti_phishing_code(keys: KeyRing, account: Recipient) -> str | None:
    if account.anti_phishing_code is None:
        return None
    return keys.decrypt(account.anti_phishing_code, anti_phishing_aad(account.id))


def anti_phishing_aad(account_id: str) -> str:
    return f"accounts/{account_id}/anti_phishing_code"


def render(template: str, context: dict[str, Any], overrides: Path | None = None) -> tuple[str, str, str]:
    """Subject, plain text and HTML of one message, in the current language and zone (bastion.i18n);
    no time in them is left for a program to read."""
    subject = i18n.gettext(SUBJECTS[template])
    full = {"subject": subject, **in_words(context)}
    env = _environment(overrides)
    text = env.get_template(f"{template}.txt").render(full)
    html = env.get_template(f"{template}.html").render(full)
    return subject, text, html


def enqueue(
    services: Services,
    tx: Tx,
    template: str,
    account: Recipient,
    dedup_key: str,
    now: datetime,
    **context: Any,
) -> None:
    """Queue one message to the account's address; a repeated dedup_key is sent only once.

    Written in the account's saved language (set at sign-up, changed in the settings) and time zone;
    without them, in English and UTC — never in the asker's, who may not be the owner. So the context carries what the
    message puts in words as data or as N_() constants, never words translated by the caller:
    times (RFC 3339), a user agent (`| device`), a country code (`| place`), an unknown IP as None
    (`ip or _("unknown")`), a label (`_(what)`)."""
    settings = services.settings
    # Never the asker's: a password reset or a sign-up can be asked by anyone for any address.
    with i18n.speaking(account.language or i18n.SOURCE, account.time_zone or "UTC"):
        subject, text, html = render(
            template,
            {
                "public_url": settings.public_url,
                "brand": settings.brand_name,
                "brand_logo": email_logo(settings.brand_logo, settings.public_url),
                "email": account.email,
                "anti_phishing_code": anti_phishing_code(services.keys, account),
                **context,
            },
            settings.templates_dir,
        )
    aad = f"outbox/{dedup_key}"
    queued = insert_ignoring_duplicates(
        tx,
        OutboxMessage,
        dict(
            dedup_key=dedup_key,
            account_id=account.id,
            to_address=account.email,
            template=template,
            subject=subject,
            body_text=services.keys.encrypt(text, aad),
            body_html=services.keys.encrypt(html, aad),
            created_at=now,
            next_attempt_at=now,
            attempts=0,
        ),
        conflict_column="dedup_key",
    )
    if queued:
        EMAILS.labels("queued").inc()


# Encrypted under the key ring: rotated by `bastion keys rotate` (bastion.protected).
PROTECTED = (Protected("email bodies (outbox)", OutboxMessage, ("body_text", "body_html"),
                       lambda row: f"outbox/{row.dedup_key}"),)


def message_bodies(keys: KeyRing, message: OutboxMessage) -> tuple[str, str]:
    aad = f"outbox/{message.dedup_key}"
    return keys.decrypt(message.body_text, aad), keys.decrypt(message.body_html, aad)


@dataclass(frozen=True, slots=True)
class MailboxMessage:
    """A message as the dev mailbox shows it; the bodies only when one message is read."""

    id: int
    to_address: str
    subject: str
    created_at: datetime
    text: str = ""
    html: str = ""


def recent_messages(services: Services, limit: int) -> list[MailboxMessage]:
    """The newest messages first (the dev mailbox)."""
    with services.db.transaction() as tx:
        rows = tx.execute(select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(limit)).scalars()
        return [MailboxMessage(row.id, row.to_address, row.subject, row.created_at) for row in rows]


def find_message(services: Services, message_id: int) -> MailboxMessage | None:
    """One message with its bodies decrypted (the dev mailbox)."""
    with services.db.transaction() as tx:
        row = tx.get(OutboxMessage, message_id)
    if row is None:
        return None
    text, html = message_bodies(services.keys, row)
    return MailboxMessage(row.id, row.to_address, row.subject, row.created_at, text, html)
