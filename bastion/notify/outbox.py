"""Writing mail to the outbox, in the transaction of the change that caused it (requirements §24)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from sqlalchemy import select
from sqlalchemy.orm import Session as Tx

from bastion import i18n
from bastion.crypto import KeyRing
from bastion.crypto.rotation import Protected
from bastion.metrics import EMAILS
from bastion.notify.models import OutboxMessage
from bastion.services import Services
from bastion.store.upsert import insert_ignoring_duplicates

SUBJECTS = {
    "verify_email": "Confirm your email address",
    "verify_email_expired": "Your sign-up link has expired",
    "signup_existing": "Someone tried to create an account with your email",
    "anti_phishing_changed": "Your anti-phishing code was changed",
    "mfa_failed": "Correct password, failed second step: was it you?",
    "mfa_locked": "Second step of sign-in paused after wrong attempts",
    "totp_code_reused": "An authenticator code was used twice",
    "backup_code_used": "A backup code was used",
    "factor_changed": "Your two-step sign-in changed",
    "passkey_cloned": "A passkey was refused: it may have been copied",
    "account_frozen": "Your account is frozen",
    "sign_in_locked": "Sign-in to your account is paused after wrong passwords",
    "ip_allowlist_changed": "Your IP allowlist was changed",
    "ip_allowlist_cleared": "Support cleared your IP allowlist",
    "password_reset": "Set a new password",
    "staff_enrolment_link": "Set up two-step sign-in for your staff account",
    "password_reset_done": "Your password was changed",
    "password_changed": "Your password was changed",
    "device_verification": "Confirm it's you: sign-in from a new device or place",
    "new_sign_in": "New sign-in to your account",
    "case_opened": "Your recovery request: upload your identity documents",
    "case_submitted": "Your recovery request is being reviewed",
    "case_approved": "Your recovery request was approved: waiting period started",
    "case_rejected": "Your recovery request was not approved",
    "case_completed": "Your recovery request is complete",
}

_env = Environment(
    loader=PackageLoader("bastion.notify", "templates"),
    autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
    undefined=StrictUndefined,
    keep_trailing_newline=True,
    extensions=["jinja2.ext.i18n"],
)
_env.install_gettext_callables(i18n.gettext, i18n.ngettext, newstyle=True)  # type: ignore[attr-defined]
_env.globals["brand"] = "Bastion"  # the platform's name, as on the pages


class Recipient(Protocol):
    """What a message needs of the account it goes to (an account row of `bastion.accounts`)."""

    @property
    def id(self) -> str: ...

    @property
    def email(self) -> str: ...

    @property
    def anti_phishing_code(self) -> str | None:
        """Encrypted under the key ring (`anti_phishing_aad`)."""


def anti_phishing_code(keys: KeyRing, account: Recipient) -> str | None:
    if account.anti_phishing_code is None:
        return None
    return keys.decrypt(account.anti_phishing_code, anti_phishing_aad(account.id))


def anti_phishing_aad(account_id: str) -> str:
    return f"accounts/{account_id}/anti_phishing_code"


def render(template: str, context: dict[str, Any]) -> tuple[str, str, str]:
    """Subject, plain text and HTML of one message."""
    subject = SUBJECTS[template]
    full = {"subject": subject, **context}
    text = _env.get_template(f"{template}.txt").render(full)
    html = _env.get_template(f"{template}.html").render(full)
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
    """Queue one message to the account's address; a repeated dedup_key is sent only once."""
    subject, text, html = render(
        template,
        {
            "public_url": services.settings.public_url,
            "email": account.email,
            "anti_phishing_code": anti_phishing_code(services.keys, account),
            **context,
        },
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
