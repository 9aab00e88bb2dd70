"""Setting up, confirming and removing the authenticator app (requirements §8, §11, §13, §14).

Every step needs a recent sign-in or step-up, and a staff account's first factor its emailed
enrolment link (`bastion.mfa.flows.staff_enrolment`). Setup makes a 160-bit secret, stores it encrypted
(bound to its row) and shows it once, with its otpauth:// URI and a QR code (SVG). Confirming
with a current code turns it on — that code's step counts as used — and issues the first backup
codes. Adding and removing are audited and emailed; removing the last factor voids the backup
codes too.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import timedelta

import segno

from bastion.accounts.repo import get_account
from bastion.context import Client
from bastion.errors import BastionError, Reason
from bastion.i18n import _
from bastion.mfa.backup_codes import codes as backup_codes
from bastion.mfa.flows.factor_removal import after_factor_removed
from bastion.mfa.flows.notices import record_factor_change
from bastion.mfa.flows.staff_enrolment import check_may_enrol, claim_enrolment
from bastion.mfa.totp import otp as totp
from bastion.mfa.totp import repo as totp_repo
from bastion.mfa.totp.check import match_code
from bastion.services import Services
from bastion.sessions.stepup import require_recent_auth
from bastion.sessions.tokens import SessionInfo


@dataclass(frozen=True, slots=True)
class TotpSetup:
    secret: str
    otpauth_uri: str
    qr_svg: str


def qr_code(uri: str) -> segno.QRCode:
    return segno.make(uri, error="m", micro=False)


def begin_totp_setup(services: Services, session: SessionInfo) -> TotpSetup:
    require_recent_auth(services, session)
    now = services.clock.now()
    secret = totp.new_secret()
    with services.db.transaction() as tx:
        if totp_repo.confirmed_credential(tx, session.account_id) is not None:
            raise BastionError(Reason.MFA_ALREADY_ENROLLED)
        check_may_enrol(tx, now, session)
        totp_repo.replace_pending(tx, services.keys, session.account_id, secret, now)
        email = get_account(tx, session.account_id).email
    return _present(services, secret, email)


def resume_totp_setup(services: Services, session: SessionInfo) -> TotpSetup:
    """The setup in progress, shown again: a mistyped code should not mean scanning a new QR code."""
    require_recent_auth(services, session)
    with services.db.transaction() as tx:
        pending = totp_repo.find_credential(tx, session.account_id)
        if pending is not None and pending.confirmed_at is not None:
            raise BastionError(Reason.MFA_ALREADY_ENROLLED)
        if pending is None or services.clock.now() - pending.created_at > _setup_window(services):
            raise BastionError(Reason.MFA_SETUP_REQUIRED)
        secret = totp_repo.decrypt_secret(services.keys, pending)
        email = get_account(tx, session.account_id).email
    return _present(services, secret, email)


def _setup_window(services: Services) -> timedelta:
    return timedelta(minutes=services.settings.totp_setup_minutes)


def _present(services: Services, secret: str, email: str) -> TotpSetup:
    uri = totp.provisioning_uri(secret, email, services.settings.totp_issuer)
    buffer = io.BytesIO()
    qr_code(uri).save(buffer, kind="svg", xmldecl=False, scale=5, dark="#000", light="#fff",
                      title=_("QR code to scan with your authenticator app"))
    return TotpSetup(secret=secret, otpauth_uri=uri, qr_svg=buffer.getvalue().decode())


def confirm_totp(services: Services, session: SessionInfo, code: str, client: Client) -> list[str]:
    """Turn the authenticator on with a current code; returns the new backup codes (shown once)."""
    require_recent_auth(services, session)
    now = services.clock.now()
    with services.db.transaction() as tx:
        pending = totp_repo.find_credential(tx, session.account_id)
        if pending is not None and pending.confirmed_at is not None:
            raise BastionError(Reason.MFA_ALREADY_ENROLLED)
        if pending is None or now - pending.created_at > _setup_window(services):
            raise BastionError(Reason.MFA_SETUP_REQUIRED)
        credential_id = pending.id
        secret = totp_repo.decrypt_secret(services.keys, pending)
    valid = match_code(services, credential_id, secret, code, now)
    with services.db.transaction() as tx:
        claim_enrolment(tx, now, session)
        if not totp_repo.confirm(tx, credential_id, valid.step, now):
            raise BastionError(Reason.MFA_SETUP_REQUIRED)
        codes = backup_codes.issue_set(tx, services.keys, session.account_id, now)
        record_factor_change(services, tx, session.account_id, "totp_enabled", client)
    return codes


def remove_totp(services: Services, session: SessionInfo, client: Client) -> None:
    require_recent_auth(services, session)
    with services.db.transaction() as tx:
        if totp_repo.confirmed_credential(tx, session.account_id) is None:
            raise BastionError(Reason.MFA_METHOD_UNAVAILABLE,
                               detail=_("No authenticator app is set up on this account."))
        totp_repo.remove(tx, session.account_id)
        record_factor_change(services, tx, session.account_id, "totp_removed", client)
        after_factor_removed(services, tx, session.account_id, client)
