"""The words support agents read, in one place: case kinds and states, account states, holds, what
each audit event means, risk signals, and why an action is not available now.

Small dictionaries of whole sentences with named fields, so each can be translated as it stands.
Nothing here is a raw code: every code an agent could meet has its words (tests/support checks
that every audit event the code records has them).
"""

from __future__ import annotations

import string
from datetime import datetime
from typing import Any

from bastion.errors import Reason
from bastion.i18n.times import duration_words, moment_words, parse_moment

CASE_KINDS = {"mfa_reset": "2FA reset", "unfreeze": "Unfreeze", "allowlist_reset": "IP allowlist reset"}
CASE_STATES = {"awaiting_documents": "Waiting for documents", "in_review": "To review",
               "waiting": "Approved, waiting", "completed": "Completed", "rejected": "Rejected",
               "cancelled": "Cancelled by the owner", "expired": "Expired"}
ACCOUNT_STATES = {"active": "Active", "frozen": "Frozen", "suspended": "Suspended", "banned": "Banned"}
# How an owner froze their account (`accounts.status.freeze_in`'s `via`).
FROZEN_VIA = {"self_service": "frozen by the owner in their security settings",
              "email_link": "frozen by the owner with the “this wasn't me” link of an email",
              "case_cancel_link": "frozen by the owner when they cancelled a recovery request",
              "cli": "frozen by an operator"}
HOLD_KINDS = {"withdrawal": "Withdrawals held"}
HOLD_REASONS = {"password_reset": "after a password reset", "mfa_disabled": "after 2FA was turned off",
                "mfa_reset_completed": "after a 2FA reset through support",
                "unfreeze_completed": "after an unfreeze", "allowlist_reset_completed": "after an IP allowlist reset",
                "allowlist_cleared": "after support cleared the IP allowlist"}
OUTCOMES = {"success": "Signed in", "failure": "Refused", "challenge": "Another step asked"}
SIGN_IN_STEPS = {"password": "password", "passkey": "passkey", "totp": "authenticator code",
                 "backup_code": "backup code", "device": "emailed code"}
ACTORS = {"owner": "the account holder", "system": "Bastion (automatic)", "staff": "{email}",
          "unknown": "a staff account no longer present"}
DOCUMENTS = {"id_front": "ID document, front", "id_back": "ID document, back",
             "selfie": "Photo of the owner holding the ID and a dated note"}
DOCUMENTS_SHORT = {"id_front": "ID front", "id_back": "ID back", "selfie": "photo with the ID"}
VIA = {"support_api": "through the support API", "support_console": "in the support console",
       "admin_console": "in the admin console", "cli": "with the command line", "email_link": "from an email's link",
       "self_service": "in the security settings", "recovery_case": "by a recovery request",
       "case_cancel_link": "with a case email's cancel link", "changed_by_owner": "by the owner",
       "cleared_by_staff": "by staff"}

# What each audit event means, for the timelines. Fields come from the event's data, in words.
# What an agent opened (`support.viewed`), in words.
OPENED = {"account": "the account's facts", "account_timeline": "the account's timeline", "case": "the case",
          "case_timeline": "the case's timeline", "search": "a search"}
EVENTS = {
    "account.created": "Account created",
    "account.email_verified": "Email address confirmed",
    "account.verification_resent": "Confirmation email sent again",
    "account.frozen": "Account frozen {via}",
    "account.suspended": "Account suspended: {reason}",
    "account.banned": "Account banned until {until}: {reason}",
    "account.reinstated": "Restriction lifted: {reason}",
    "account.unlocked": "Wrong-password pause lifted: {reason}",
    "account.exported": "Account record exported: {reason}",
    "support.viewed": "Opened by support: {what}",
    "anti_phishing_code.changed": "Anti-phishing code changed",
    "case.opened": "{case_kind} requested",
    "case.link_resent": "{case_kind} requested again (new link emailed)",
    "case.document_added": "Document uploaded: {document}",
    "case.submitted": "All documents in: ready for review",
    "case.review_restarted": "Document replaced during review ({document}): earlier approvals no longer count; the "
                            "claim was dropped",
    "case.document_viewed": "Document viewed: {document}",
    "case.documents_viewed": "Documents viewed: {documents}",
    "case.claimed": "Case claimed",
    "case.released": "Case released",
    "case.note_added": "Internal note added",
    "case.approved": "Approved ({approvals} of {required}): {reason}",
    "case.rejected": "Rejected: {reason}",
    "case.stopped": "Stopped before taking effect: {reason}",
    "case.cancelled": "Cancelled by the owner with the email's cancel link",
    "case.completed": "{case_kind} took effect",
    "case.expired": "Closed: the documents did not arrive in time",
    "case.documents_purged": "Identity documents deleted after the retention period",
    "device.code_resent": "Device code sent again",
    "device.forgotten": "Device forgotten",
    "device.verified": "New device confirmed",
    "device.locked": "Emailed-code step paused after too many wrong codes",
    "ip_allowlist.changed": "IP allowlist changed",
    "ip_allowlist.cleared": "IP allowlist cleared {via}",
    "maintenance.scheduled": "Maintenance window scheduled",
    "maintenance.stopped": "Maintenance ended",
    "mfa.backup_code_used": "Backup code used",
    "mfa.failed_alert_sent": "Owner warned of failed second steps",
    "mfa.locked": "Second step paused after too many wrong codes",
    "mfa.passkey_cloned": "A passkey looked copied and was refused",
    "mfa.totp_code_reused": "An authenticator code was used twice and refused",
    "mfa.totp_enabled": "Authenticator app set up",
    "staff_enrolment.link_sent": "Staff enrolment link emailed",
    "staff_enrolment.link_used": "Staff enrolment link used to unlock setting up a second factor",
    "mfa.totp_removed": "Authenticator app removed",
    "mfa.backup_codes_regenerated": "New backup codes made",
    "mfa.passkey_added": "Passkey added",
    "mfa.passkey_renamed": "Passkey renamed",
    "mfa.passkey_removed": "Passkey removed",
    "mfa.mfa_disabled": "2FA turned off",
    "password.changed": "Password changed",
    "password.change_refused": "Password change refused",
    "password_reset.requested": "Password reset link sent",
    "password_reset.completed": "Password reset",
    "reauth.succeeded": "Identity confirmed for a change",
    "reauth.failed": "Identity confirmation failed",
    "risk.assessed": "Sign-in checked for risk",
    "signin.paused": "Sign-in paused after wrong passwords",
    "signin.succeeded": "Signed in",
    "oidc.consent_given": "Let an app sign in with this account",
    "oidc.access_removed": "Took an app's access away",
    "oidc.code_reused": "An app's sign-in code was used twice: everything it gave was ended",
    "oidc.refresh_reused": "An app's old refresh token was used again: the app's access was ended",
    "oidc.tokens_issued": "An app got access after a sign-in",
    "oidc.tokens_refreshed": "An app renewed its access",
    "oidc.token_revoked": "An app gave up its access",
    "oidc.logout": "Signed out from an app",
    "session.signed_out": "Signed out",
    "rejection_reason.saved": "Prepared rejection reason saved: {title}",
    "rejection_reason.retired": "Prepared rejection reason withdrawn: {title}",
}
# Events Bastion records by itself (its scheduler), though they name the account as their actor.
SYSTEM_EVENTS = frozenset({"case.completed", "case.expired", "case.documents_purged", "mfa.failed_alert_sent"})

# What matched a search (bastion.support.search).
MATCHES = {
    "email": "Email address matches",
    "account_id": "Account id matches",
    "reference": "The refusal with this reference, {at}",
    "case": "Recovery request ({kind}) from {ip}, {last_at}",
    "device": "Device last seen at {ip}, {last_at}",
    "sign_in": "{count} sign-in attempts from {ip} ({refused} refused), the last {last_at}",
    "sign_in_one": "One sign-in attempt from {ip} ({refused} refused), {last_at}",
    "device_sign_in": "{count} sign-in attempts from this device ({refused} refused), the last {last_at}",
    "device_sign_in_one": "One sign-in attempt from this device ({refused} refused), {last_at}",
}
AGES = {24: "over a day", 72: "over 3 days", 168: "over a week"}

# Audit seals, in words (bastion.audit.spot_check).
SEALS = {"verified": "Verified in the audit chain", "pending": "Not sealed yet (sealed within a minute)",
         "changed": "Changed after it was sealed", "forged": "Seal not made with Bastion's key",
         "unlinked": "Its place in the chain does not match: events around it were removed or moved"}

# Risk signals beside a case (bastion.support.signals).
SIGNALS = {
    "case_new_country": "Requested from {place}, where the account never signed in",
    "case_anonymizer": "Requested through an anonymising network ({network})",
    "case_new_address": "Requested from an address the account never signed in from ({ip})",
    "recent_password_change": "Password changed {when}, shortly before the request",
    "recent_factor_change": "Second factors changed {when}, shortly before the request",
    "recent_failures": "{count} refused sign-ins in the last 7 days",
    "recent_failures_one": "A refused sign-in in the last 7 days",
    "risky_sign_ins": "{count} sign-ins with risk signals in the last 30 days: {kinds}",
    "risky_sign_ins_one": "A sign-in with risk signals in the last 30 days: {kinds}",
    "previous_refusals": "{count} earlier requests rejected or cancelled by the owner",
    "previous_refusals_one": "An earlier request was rejected or cancelled by the owner",
    "new_account": "Account created {when}",
    "no_sign_in": "The account never signed in",
}
RISK_SIGNALS = {"new_device": "new device", "new_country": "new country", "impossible_travel": "impossible travel",
                "anonymizer": "anonymising network", "failure_velocity": "many wrong passwords"}

# Why an action is not available to this agent now (bastion.support.rules).
WHY_NOT = {
    "own_account": "This case is about your own account: another agent must handle it.",
    "closed": "The case is closed ({state}); nothing more can be decided on it.",
    "claimed_by_other": "{agent} is working on this case. Ask them, or an admin, to release it.",
    "claimed_by_you": "You are working on this case.",
    "not_claimed": "Nobody is working on this case.",
    "not_yours": "{agent} is working on this case; only they or an admin can release it.",
    "documents_missing": "The owner has not uploaded everything yet (missing: {missing}).",
    "approved_by_you": "You approved it; another agent must make the next approval.",
    "approved": "It is approved and takes effect {due}. The owner can still stop it with the cancel link "
                "in every email about it.",
    "not_waiting": "Only an approved case that has not taken effect yet can be stopped.",
    "nothing_to_claim": "Only a case waiting for documents or for review can be claimed.",
}

# Refusals on console pages, told to the agent (the catalogue's words are the account holder's).
AGENT_REFUSALS = {
    Reason.CASE_NOT_READY: ("Not possible in this state", ("Read the case's state and the actions it offers.",)),
    Reason.CASE_CLOSED: ("The case is closed",
                         ("Nothing more can be decided on it; open the queue for the next one.",)),
    Reason.CASE_CLAIMED: ("Another agent is working on this case",
                          ("Pick another case, or ask them (or an admin) to release it.",)),
    Reason.CASE_ALREADY_APPROVED: ("You approved it already", ("Another agent must make the next approval.",)),
    Reason.CASE_OWN_ACCOUNT: ("This is your own account's case", ("Another agent must handle it.",)),
    Reason.CASE_DOCUMENTS_CHANGED: ("The documents changed since you opened the case",
                                    ("Review the new documents, then decide.",)),
    Reason.SUPPORT_OWN_ACCOUNT: ("This is your own account", ("Another agent must handle it.",)),
    Reason.SUPPORT_STAFF_ACCOUNT: ("A staff account: an admin's to handle",
                                   ("Ask an administrator; support agents handle customers' accounts only.",)),
}


class _Blank(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return ""


def fill(template: str, **fields: Any) -> str:
    """A sentence with its fields; a field the data lacks reads as nothing, never as an error."""
    return string.Formatter().vformat(template, (), _Blank(fields)).strip().rstrip(":").strip()


def when_words(moment: datetime) -> str:
    """A time as people read it, in their zone and language, naming the zone: '5 Jan 2026, 10:00 CET'
    ('5 Jan 2026, 09:00 UTC' while the reader's zone is not known)."""
    return moment_words(moment)


def _when_text(value: object) -> str:
    """A time the data holds as RFC 3339, in words (text that is not a time, as it is)."""
    parsed = parse_moment(str(value))
    return str(value) if parsed is None else when_words(parsed)


def signal_words(item: dict[str, Any]) -> str:
    """A risk signal (bastion.support.signals) as its sentence."""
    fields = dict(item)
    if fields.get("when"):
        fields["when"] = _when_text(fields["when"])
    if fields.get("signals"):
        fields["kinds"] = ", ".join(RISK_SIGNALS.get(name, "other") for name in fields["signals"])
    name = str(item["signal"])
    if item.get("count") == 1 and f"{name}_one" in SIGNALS:
        name = f"{name}_one"
    return fill(SIGNALS.get(name, "Other signal"), **fields)


def match_words(match: dict[str, Any]) -> str:
    fields = dict(match)
    for key in ("at", "last_at"):
        if fields.get(key):
            fields[key] = _when_text(fields[key])
    fields["kind"] = CASE_KINDS.get(str(match.get("kind", "")), "recovery request")
    what = str(match["what"])
    if match.get("count") == 1 and f"{what}_one" in MATCHES:
        what = f"{what}_one"
    return fill(MATCHES.get(what, "Matches"), **fields)


def age_words(seconds: int) -> str:
    """'35 min', '5 hr', '3 days': how long ago, short, in the reader's language."""
    return duration_words(max(seconds, 60), short=True, threshold=1)


def status_reason_words(reason: str | None) -> str:
    """An account's status reason: a freeze's `via` in words; an admin's own reason as typed."""
    if not reason:
        return ""
    if reason.startswith("frozen by the owner (") and reason.endswith(")"):
        return FROZEN_VIA.get(reason[len("frozen by the owner ("):-1], "frozen by the owner")
    return reason
