"""Tables. Each feature reaches its tables through its own repository functions."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar

from sqlalchemy import (
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from bastion.store.types import BigIntPK, JSONText, UTCDateTime, new_id

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    if TYPE_CHECKING:
        __table__: ClassVar[Table]  # every model here maps one table, never a join or a subquery


class Account(Base):
    __tablename__ = "accounts"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    email_verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # active | frozen | suspended | banned (REQUIREMENTS 28, 30)
    status: Mapped[str] = mapped_column(String(16), default="active")
    status_reason: Mapped[str | None] = mapped_column(String(500))
    status_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # CIDRs the owner allows sign-in from (REQUIREMENTS 29); empty: anywhere.
    ip_allowlist: Mapped[list[str]] = mapped_column(JSONText, default=list, server_default="[]")
    roles: Mapped[str] = mapped_column(String(64), default="")
    # AES-GCM under the key ring (REQUIREMENTS 14, 22).
    anti_phishing_code: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    password_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The last password reset or change, or 2FA reset: sign-ins started before it never finish.
    security_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def role_set(self) -> frozenset[str]:
        return frozenset(role for role in self.roles.split(",") if role)


class OneTimeToken(Base):
    """Emailed single-use tokens: email confirmation, password reset, freeze and cancel links.

    A sign-up's confirmation link carries the password hash that sign-up chose (applied when the
    link is confirmed, then cleared) and its `origin` in words, for the email.
    """

    __tablename__ = "one_time_tokens"
    __table_args__ = (Index("ix_one_time_tokens_account_purpose", "account_id", "purpose"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    purpose: Mapped[str] = mapped_column(String(32))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    origin: Mapped[dict[str, str] | None] = mapped_column(JSONText)


class SignInFlow(Base):
    """A sign-in in progress: which stages are done and what is still required."""

    __tablename__ = "sign_in_flows"
    __table_args__ = (Index("ix_sign_in_flows_account_id", "account_id"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    account_id: Mapped[str | None] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    state: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    remember: Mapped[bool] = mapped_column(Boolean, default=False)
    ip: Mapped[str | None] = mapped_column(String(45))
    user_agent: Mapped[str | None] = mapped_column(String(512))
    device_id: Mapped[str | None] = mapped_column(String(64))
    facts: Mapped[dict[str, Any]] = mapped_column(JSONText, default=dict)


class Session(Base):
    __tablename__ = "sessions"
    __table_args__ = (Index("ix_sessions_account_created", "account_id", "created_at"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Last time the person proved who they are (sign-in or step-up).
    authenticated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    idle_seconds: Mapped[int] = mapped_column(Integer)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoke_reason: Mapped[str | None] = mapped_column(String(32))
    aal: Mapped[int] = mapped_column(Integer, default=1)
    remember: Mapped[bool] = mapped_column(Boolean, default=False)
    ip: Mapped[str | None] = mapped_column(String(45))
    user_agent: Mapped[str | None] = mapped_column(String(512))
    device_id: Mapped[str | None] = mapped_column(String(64))


class SignInAttempt(Base):
    """Every sign-in step, kept for the owner's history and support's look-up by reference."""

    __tablename__ = "sign_in_attempts"
    __table_args__ = (
        Index("ix_sign_in_attempts_account_id_id", "account_id", "id"),
        Index("ix_sign_in_attempts_identifier_id", "identifier", "id"),
        # Support's search by address or network: equality, and LIKE on a prefix with PostgreSQL's pattern ops.
        Index("ix_sign_in_attempts_ip", "ip", postgresql_ops={"ip": "text_pattern_ops"}),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    reference: Mapped[str | None] = mapped_column(String(12), unique=True)
    # No foreign key: an attempt is a log row, and one would lock the account's row (migration 0009).
    account_id: Mapped[str | None] = mapped_column(String(36))
    identifier: Mapped[str] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    method: Mapped[str] = mapped_column(String(16))
    outcome: Mapped[str] = mapped_column(String(16))
    code: Mapped[str | None] = mapped_column(String(48))
    ip: Mapped[str | None] = mapped_column(String(45))
    user_agent: Mapped[str | None] = mapped_column(String(512))
    device_id: Mapped[str | None] = mapped_column(String(64))
    flow_id: Mapped[str | None] = mapped_column(String(36))
    # Where the address was (REQUIREMENTS 18–19): ISO country code and AS organisation, offline lookup.
    country: Mapped[str | None] = mapped_column(String(2))
    asn_name: Mapped[str | None] = mapped_column(String(100))
    # The risk decision and its signals, when the sign-in was assessed.
    risk: Mapped[dict[str, Any] | None] = mapped_column(JSONText)


class Refusal(Base):
    """Refusals outside sign-in, so every reference can be looked up."""

    __tablename__ = "refusals"

    reference: Mapped[str] = mapped_column(String(12), primary_key=True)
    code: Mapped[str] = mapped_column(String(48))
    status: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    account_id: Mapped[str | None] = mapped_column(String(36))
    method: Mapped[str] = mapped_column(String(8))
    path: Mapped[str] = mapped_column(String(200))
    ip: Mapped[str | None] = mapped_column(String(45))


class SecurityEvent(Base):
    """The audit trail: append-only and hash-chained (bastion/audit.py). `data` never holds a secret.

    A row is written unsealed in its cause's transaction; the sealer then gives it the next
    `chain_seq`, the previous row's hash (`chain_prev`), its own hash over both, and a MAC of
    that hash under the key ring. Database triggers refuse deletes and any change but sealing.
    """

    __tablename__ = "security_events"
    __table_args__ = (
        Index("ix_security_events_account_id_id", "account_id", "id"),
        Index("ix_security_events_actor_id_id", "actor_id", "id"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    account_id: Mapped[str | None] = mapped_column(String(36))
    actor_id: Mapped[str | None] = mapped_column(String(36))
    kind: Mapped[str] = mapped_column(String(48))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ip: Mapped[str | None] = mapped_column(String(45))
    data: Mapped[dict[str, Any]] = mapped_column(JSONText, default=dict)
    chain_seq: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    chain_prev: Mapped[str | None] = mapped_column(String(64))
    chain_hash: Mapped[str | None] = mapped_column(String(64))
    chain_mac: Mapped[str | None] = mapped_column(String(64))


class AuditChainHead(Base):
    """The one row naming the chain's last sealed event, so removing events at the end shows too."""

    __tablename__ = "audit_chain_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(BigInteger)
    hash: Mapped[str] = mapped_column(String(64))
    mac: Mapped[str | None] = mapped_column(String(64))
    sealed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class OutboxMessage(Base):
    """Mail written in the same transaction as its cause; delivered at least once."""

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    dedup_key: Mapped[str] = mapped_column(String(160), unique=True)
    account_id: Mapped[str | None] = mapped_column(String(36))
    to_address: Mapped[str] = mapped_column(String(320))
    template: Mapped[str] = mapped_column(String(64))
    subject: Mapped[str] = mapped_column(String(255))
    # Bodies may carry one-time links: encrypted at rest like every other secret.
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    transport: Mapped[str | None] = mapped_column(String(16))
    last_error: Mapped[str | None] = mapped_column(String(500))


class ServiceKey(Base):
    """Keys the platform's own services use to introspect sessions."""

    __tablename__ = "service_keys"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(100))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ThrottleCounter(Base):
    """Failure counters and lock holds of the database throttle backend."""

    __tablename__ = "throttle_counters"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    count: Mapped[int] = mapped_column(Integer)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class Device(Base):
    """A browser (device cookie) or app (X-Device-Id) that signed in to the account (REQUIREMENTS 18).

    Only a hash of the device identifier is kept.
    """

    __tablename__ = "devices"
    __table_args__ = (UniqueConstraint("account_id", "device_hash", name="uq_devices_account_device"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    device_hash: Mapped[str] = mapped_column(String(64))
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_ip: Mapped[str | None] = mapped_column(String(45))
    user_agent: Mapped[str | None] = mapped_column(String(512))
    # Parsed user agent (ua-parser) and last location (geoip2fast: country, AS organisation).
    browser: Mapped[str | None] = mapped_column(String(64))
    os: Mapped[str | None] = mapped_column(String(64))
    device_family: Mapped[str | None] = mapped_column(String(64))
    last_country: Mapped[str | None] = mapped_column(String(2))
    last_asn_name: Mapped[str | None] = mapped_column(String(100))
    # "Remember this device" (REQUIREMENTS 20): trusted until, and over which security state.
    trusted_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    trust_fingerprint: Mapped[str | None] = mapped_column(String(64))


class DeviceChallenge(Base):
    """An emailed device-verification code and link for one sign-in flow (REQUIREMENTS 20).

    Only keyed hashes are kept; `attempts` is raised by a conditional UPDATE before a code is checked.
    Issuing a new one voids the account's older open ones (only the newest works).
    """

    __tablename__ = "device_challenges"
    __table_args__ = (Index("ix_device_challenges_account_id", "account_id"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    flow_id: Mapped[str] = mapped_column(ForeignKey("sign_in_flows.id", ondelete="CASCADE"), index=True)
    code_mac: Mapped[str] = mapped_column(String(64))
    link_hash: Mapped[str] = mapped_column(String(64), unique=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


# --- Second factors (REQUIREMENTS 8–14) -------------------------------------------------------


class TotpCredential(Base):
    """An authenticator app (RFC 6238). `secret` is AES-GCM under the key ring, bound to the row id.

    `last_step` is the highest time step ever accepted: a step is accepted only by a conditional
    UPDATE that raises it, so no code works twice (REQUIREMENTS 8).
    """

    __tablename__ = "totp_credentials"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), unique=True)
    secret: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_step: Mapped[int | None] = mapped_column(BigInteger)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class TotpBurnedStep(Base):
    """Future time steps whose code was presented early (clock-skew diagnosis): never accepted later."""

    __tablename__ = "totp_burned_steps"

    credential_id: Mapped[str] = mapped_column(
        ForeignKey("totp_credentials.id", ondelete="CASCADE"), primary_key=True)
    step: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class BackupCodeSet(Base):
    """One set of backup codes; `hash_key` (random, AES-GCM under the key ring) keys the codes' HMACs."""

    __tablename__ = "backup_code_sets"
    __table_args__ = (Index("ix_backup_code_sets_account_id", "account_id"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    hash_key: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    voided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class BackupCode(Base):
    __tablename__ = "backup_codes"
    __table_args__ = (UniqueConstraint("set_id", "code_mac", name="uq_backup_codes_set_mac"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    set_id: Mapped[str] = mapped_column(ForeignKey("backup_code_sets.id", ondelete="CASCADE"))
    code_mac: Mapped[str] = mapped_column(String(64))
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Passkey(Base):
    """A WebAuthn credential (REQUIREMENTS 12). The public key is public; nothing here is secret."""

    __tablename__ = "passkeys"
    __table_args__ = (Index("ix_passkeys_account_id", "account_id"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    credential_id: Mapped[str] = mapped_column(String(1400), unique=True)  # base64url, ≤1023 raw bytes
    public_key: Mapped[str] = mapped_column(Text)  # base64url COSE key
    sign_count: Mapped[int] = mapped_column(BigInteger, default=0)
    name: Mapped[str] = mapped_column(String(64))
    aaguid: Mapped[str | None] = mapped_column(String(36))
    transports: Mapped[list[str]] = mapped_column(JSONText, default=list)
    backed_up: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class PasskeyChallenge(Base):
    """A WebAuthn challenge, kept only as its SHA-256, used once (registration, second factor, passwordless)."""

    __tablename__ = "passkey_challenges"

    challenge_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    purpose: Mapped[str] = mapped_column(String(16))
    account_id: Mapped[str | None] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    flow_id: Mapped[str | None] = mapped_column(ForeignKey("sign_in_flows.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SecurityHold(Base):
    """A restriction the platform must respect, e.g. no withdrawals for 24 h after a password reset."""

    __tablename__ = "security_holds"
    __table_args__ = (Index("ix_security_holds_account_until", "account_id", "until"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    until: Mapped[datetime] = mapped_column(UTCDateTime)


class MaintenanceWindow(Base):
    """A scheduled or immediate maintenance window (REQUIREMENTS 31)."""

    __tablename__ = "maintenance_windows"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    message: Mapped[str] = mapped_column(String(500))
    # Whether signed-in sessions are refused too; by default they keep working.
    block_sessions: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str | None] = mapped_column(String(36))


class ClientVersionPolicy(Base):
    """Minimum and recommended app versions per platform (REQUIREMENTS 32)."""

    __tablename__ = "client_version_policies"

    platform: Mapped[str] = mapped_column(String(16), primary_key=True)
    minimum: Mapped[str | None] = mapped_column(String(32))
    recommended: Mapped[str | None] = mapped_column(String(32))
    update_url: Mapped[str | None] = mapped_column(String(500))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Announcement(Base):
    """Security advisories and phishing warnings on the status page."""

    __tablename__ = "announcements"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    kind: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    publish_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class RecoveryCase(Base):
    """A support-reviewed way back in: a 2FA reset or the lifting of a freeze (REQUIREMENTS 16-17, 28).

    `access_hash` is the hash of the link emailed to the account (uploads and status need it);
    `due_at` is when an approved case takes effect, unless the owner cancels it first.
    """

    __tablename__ = "recovery_cases"
    __table_args__ = (
        Index("ix_recovery_cases_account_id", "account_id"),
        Index("ix_recovery_cases_status_due_at", "status", "due_at"),
        Index("ix_recovery_cases_status_created_at", "status", "created_at"),  # the queue, oldest first
        # At most one open case of each kind per account, even under concurrent requests.
        Index("uq_recovery_cases_open", "account_id", "kind", unique=True,
              sqlite_where=text("closed_at IS NULL"), postgresql_where=text("closed_at IS NULL")),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(24))
    access_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ip: Mapped[str | None] = mapped_column(String(45))
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by: Mapped[str | None] = mapped_column(String(36))
    decision_reason: Mapped[str | None] = mapped_column(String(500))
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    purged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The agent working on it (bastion.support.claims): one at a time, taken by a conditional UPDATE.
    claimed_by: Mapped[str | None] = mapped_column(String(36))
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class CaseApproval(Base):
    """One agent's approval; a case may need approvals from two different agents."""

    __tablename__ = "case_approvals"

    case_id: Mapped[str] = mapped_column(ForeignKey("recovery_cases.id", ondelete="CASCADE"), primary_key=True)
    agent_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    reason: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class CaseNote(Base):
    """An agent's internal note on a case: staff read it, the account holder never does."""

    __tablename__ = "case_notes"
    __table_args__ = (Index("ix_case_notes_case_id_id", "case_id", "id"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("recovery_cases.id", ondelete="CASCADE"))
    author_id: Mapped[str] = mapped_column(String(36))
    body: Mapped[str] = mapped_column(String(2000))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class RejectionReason(Base):
    """A prepared reason for rejecting a case, written by an admin; agents may edit it before sending.

    `kinds` lists the case kinds it fits (comma-separated; empty: every kind). A retired reason is
    kept, so the audit log's references to it keep their meaning.
    """

    __tablename__ = "rejection_reasons"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    title: Mapped[str] = mapped_column(String(80))
    body: Mapped[str] = mapped_column(String(500))
    kinds: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def kind_list(self) -> list[str]:
        return [kind for kind in self.kinds.split(",") if kind]


class CaseDocument(Base):
    """Identity evidence: the file is AES-GCM encrypted under the key ring; `data` is emptied on purge."""

    __tablename__ = "case_documents"
    __table_args__ = (UniqueConstraint("case_id", "kind", name="uq_case_documents_case_kind"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    case_id: Mapped[str] = mapped_column(ForeignKey("recovery_cases.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    content_type: Mapped[str] = mapped_column(String(32))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    data: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


# The OpenID provider keeps its own tables in its package, on this Base.
import bastion.oidc.models  # noqa: F401
