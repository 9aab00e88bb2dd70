"""Sign-up and email verification.

The same answer whether or not the address is taken, in the same time (requirements §6); each
sign-up keeps its own password with its own link, and the confirmed link decides:
docs/design/sign-up-confirmation.md.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session as Tx

from bastion import i18n
from bastion.accounts.confirmation import VERIFY_EMAIL, claim_first_confirmation, clear_before_confirmation
from bastion.accounts.models import Account, OneTimeToken
from bastion.accounts.onetime import issue_token
from bastion.accounts.passwords import check_password_policy
from bastion.accounts.repo import find_account_by_email, get_account, normalize_email
from bastion.audit import record_event
from bastion.clock import rfc3339
from bastion.context import Client
from bastion.crypto import hash_token
from bastion.errors import BastionError, Reason
from bastion.geo import locate
from bastion.guard.passwords import check_password, clear_pauses, hash_password
from bastion.guard.tokens import guarded_token
from bastion.notify.outbox import enqueue
from bastion.ops.client_versions import check_client_version
from bastion.ops.maintenance import check_maintenance
from bastion.services import Services
from bastion.store.changes import rows_changed
from bastion.store.types import new_id
from bastion.store.upsert import insert_ignoring_duplicates

RESENT_AT_MOST = 3  # open sign-ups whose links one "send it again" renews, newest first

__all__ = ["VERIFY_EMAIL", "open_sign_up", "send_verification_email", "sign_up", "start_sign_up", "verify_email"]


def sign_up(services: Services, email: str, password: str, client: Client) -> None:
    start_sign_up(services, email, password, client)()


def start_sign_up(services: Services, email: str, password: str, client: Client) -> Callable[[], None]:
    """Every check that may refuse, now; the work that depends on whether the address is taken
    (the account or the owner's email) is returned, to run once the answer has gone."""
    check_maintenance(services)
    check_client_version(services, client)
    email = normalize_email(email)
    # Counted before the password's strength is estimated, the costliest check here; per address too
    # (existing or not, so the limit tells nothing), as each sign-up emails the address.
    now = services.clock.now()
    services.throttle.spend(now, ("signup_ip", client.ip or "unknown"), ("signup_identifier", email))
    check_password_policy(password, email)
    # The language the person signs up in becomes the account's: its emails are in it from the first
    # one, and no later request (by someone else) chooses their language (bastion.notify.outbox).
    language = i18n.current().tag if i18n.current().tag in i18n.LANGUAGES else None
    return partial(_create_or_tell_the_owner, services, email, password, client, language)


def _create_or_tell_the_owner(services: Services, email: str, password: str, client: Client,
                              language: str | None = None) -> None:
    # After the answer: in the shared line, behind owners' known devices, never refused (nothing lost).
    password_hash = hash_password(services, password, known_device=False, after_answer=True)
    now = services.clock.now()
    origin = sign_up_origin(client, now)
    with services.db.transaction() as tx:
        account_id = new_id()
        created = insert_ignoring_duplicates(
            tx,
            Account,
            dict(id=account_id, email=email, password_hash=password_hash, status="active",
                 roles="", created_at=now, password_changed_at=now, language=language),
            conflict_column="email",
        )
        account = get_account(tx, account_id) if created else find_account_by_email(tx, email)
        if account is None:  # inserted or found just above, in this transaction
            raise LookupError("the account row is missing inside its own transaction")
        if created:
            record_event(tx, now, "account.created", account.id, client)
        # Conditional: a confirmation that commits first wins, and then this is a taken address.
        unconfirmed = rows_changed(tx,
            update(Account).where(Account.id == account.id, Account.email_verified_at.is_(None))
            .values(password_hash=password_hash)  # the newest sign-up is told to confirm when it signs in
        ) == 1
        if unconfirmed:
            open_sign_up(services, tx, account, password_hash, origin)
        else:
            enqueue(services, tx, "signup_existing", account,
                    dedup_key=f"signup_existing/{account.id}/{now:%Y-%m-%d}", now=now)


def sign_up_origin(client: Client | None, now: datetime) -> dict[str, Any]:
    """When and from where, for the email: the person can tell their own sign-up from another. The
    device and the country are kept as data (the user agent, the code): the email puts them in words
    in the language it is written in, which a resent one may not share with the sign-up."""
    if client is None:
        return {"at": rfc3339(now)}
    return {"at": rfc3339(now), "ip": client.ip, "user_agent": (client.user_agent or "")[:512],
            "country": locate(client.ip).country}


def open_sign_up(services: Services, tx: Tx, account: Account, password_hash: str | None,
                 origin: dict[str, Any], send: bool = True) -> None:
    """A sign-up waiting for its confirmation: its own link, carrying its own password.

    Older sign-ups' links keep working (the person who confirms chooses which password);
    `send=False` opens it without an email (an operator's account, confirmed through a resend)."""
    now = services.clock.now()
    hours = services.settings.email_verification_hours
    token = issue_token(tx, now, account.id, VERIFY_EMAIL, timedelta(hours=hours), newest_only=False,
                        password_hash=password_hash, origin=origin)
    if send:
        _email_link(services, tx, account, token, origin)


def _email_link(services: Services, tx: Tx, account: Account, token: str, origin: dict[str, Any]) -> None:
    hours = services.settings.email_verification_hours
    enqueue(
        services, tx, "verify_email", account,
        dedup_key=f"verify_email/{hash_token(token)[:32]}",
        now=services.clock.now(),
        link=f"{services.settings.public_url}/confirm?token={token}",
        valid_hours=hours,
        origin=_origin_for_email(origin),
    )


def _origin_for_email(origin: dict[str, Any]) -> dict[str, Any]:
    """A sign-up's origin as its email reads it: a person's (with an address, maybe not known) or
    the operator's (a time alone). An origin kept before the device and the country were data holds
    them in words already (`device`, `place`): they are shown as they are."""
    return {"at": origin.get("at", ""), "by_person": "ip" in origin, "ip": origin.get("ip"),
            "user_agent": origin.get("user_agent"), "country": origin.get("country"),
            "device": origin.get("device"), "place": origin.get("place")}


def send_verification_email(services: Services, tx: Tx, account: Account) -> None:
    """"Send it again": each open sign-up (the newest few) gets a new link for its own password; the old
    ones stop working. With none open (they expired), the email says how to get a new one."""
    now = services.clock.now()
    open_ones = list(tx.execute(
        select(OneTimeToken)
        .where(OneTimeToken.account_id == account.id, OneTimeToken.purpose == VERIFY_EMAIL,
               OneTimeToken.used_at.is_(None), OneTimeToken.expires_at > now)
        .order_by(OneTimeToken.created_at.desc(), OneTimeToken.id)
        .limit(RESENT_AT_MOST)
    ).scalars())
    if not open_ones:
        enqueue(services, tx, "verify_email_expired", account,
                dedup_key=f"verify_email_expired/{account.id}/{now:%Y-%m-%dT%H:%M}", now=now,
                signup_link=f"{services.settings.public_url}/signup",
                reset_link=f"{services.settings.public_url}/password-reset")
        return
    for row in reversed(open_ones):  # oldest first, so the mailbox's newest email is the newest sign-up
        renewed = rows_changed(tx,
            update(OneTimeToken).where(OneTimeToken.id == row.id, OneTimeToken.used_at.is_(None))
            .values(used_at=now)
        ) == 1
        if renewed:  # a concurrent confirmation or resend did not get there first
            open_sign_up(services, tx, account, row.password_hash, row.origin or {"at": rfc3339(row.created_at)})


def confirmation_link_state(services: Services, token: str, client: Client) -> str:
    """What the confirmation link's page offers, without using the link: "confirm", or
    "confirm_with_password" when the address was signed up more than once and not yet confirmed
    (whoever confirms must type the password of the sign-up the link belongs to), or
    "already_confirmed" when this very link confirmed its address (a second click). Any other dead
    link is refused as before."""
    now = services.clock.now()
    with guarded_token(services, client), services.db.transaction() as tx:
        try:
            carried = _open_link(tx, token, now)
        except BastionError as refusal:
            if refusal.code == Reason.TOKEN_INVALID and _confirmed_with(tx, token):
                return "already_confirmed"
            raise
        return "confirm_with_password" if _contested(tx, carried, now) else "confirm"


def _confirmed_with(tx: Tx, token: str) -> bool:
    """Whether this link itself confirmed the address: `verify_email` marks the link used at the very
    instant it confirms. A link replaced by a newer one, or void because another link or a reset
    confirmed first, was not: the click learns no more than what its own link did."""
    row = tx.execute(select(OneTimeToken.used_at, Account.email_verified_at)
                     .join(Account, Account.id == OneTimeToken.account_id)
                     .where(OneTimeToken.token_hash == hash_token(token), OneTimeToken.purpose == VERIFY_EMAIL,
                            OneTimeToken.used_at.is_not(None))).first()
    return row is not None and row.email_verified_at is not None and row.used_at == row.email_verified_at


def _contested(tx: Tx, carried: OneTimeToken, now: datetime) -> bool:
    return tx.execute(select(OneTimeToken.id).where(
        OneTimeToken.account_id == carried.account_id, OneTimeToken.purpose == VERIFY_EMAIL,
        OneTimeToken.id != carried.id, OneTimeToken.used_at.is_(None), OneTimeToken.expires_at > now,
        OneTimeToken.password_hash.is_not(None)).limit(1)).first() is not None


def verify_email(services: Services, token: str, client: Client, password: str | None = None) -> str:
    """Confirm the address the token was sent to, with the password of the sign-up it belongs to;
    returns the account id.

    An address signed up more than once (an attacker may have signed it up first, and the two
    emails may arrive in either order) is confirmed only with the password of the link's own
    sign-up, checked by the guard: clicking the other sign-up's link confirms nothing."""
    now = services.clock.now()
    with guarded_token(services, client), services.db.transaction() as tx:
        carried = _open_link(tx, token, now)
        contested, chosen = _contested(tx, carried, now), carried.password_hash
        email = get_account(tx, carried.account_id).email
    if contested and chosen is not None:
        if not password:
            raise BastionError(Reason.SIGNUP_PASSWORD_REQUIRED)
        if not check_password(services, email, password, client, against=chosen).matched:
            raise BastionError(Reason.SIGNUP_PASSWORD_MISMATCH)
    with guarded_token(services, client), services.db.transaction() as tx:
        carried = _open_link(tx, token, now)
        if not claim_first_confirmation(tx, carried.account_id, now):
            # Another link or a password reset confirmed the address first: this one is void.
            raise BastionError(Reason.TOKEN_INVALID)
        used = rows_changed(tx,
            update(OneTimeToken).where(OneTimeToken.id == carried.id, OneTimeToken.used_at.is_(None))
            .values(used_at=now)
        ) == 1
        if not used:
            raise BastionError(Reason.TOKEN_INVALID)
        account = get_account(tx, carried.account_id)
        if carried.password_hash is not None:
            account.password_hash = carried.password_hash
            account.password_changed_at = now
        clear_before_confirmation(tx, account, now, client, via="link")
        confirmed = account.id
    # The link proved the mailbox, as a password reset does: wrong passwords sent for the address
    # before its account existed (an attacker's, to lock it out in advance) pause it no more.
    clear_pauses(services, email)
    return confirmed


def _open_link(tx: Tx, token: str, now: datetime) -> OneTimeToken:
    """The link's row if it would be accepted now; else `token.invalid` or `token.expired`."""
    row = tx.execute(
        select(OneTimeToken).where(OneTimeToken.token_hash == hash_token(token), OneTimeToken.purpose == VERIFY_EMAIL,
                                   OneTimeToken.used_at.is_(None))
    ).scalar_one_or_none()
    if row is None:
        raise BastionError(Reason.TOKEN_INVALID)
    if row.expires_at <= now:
        raise BastionError(Reason.TOKEN_EXPIRED)
    return row
