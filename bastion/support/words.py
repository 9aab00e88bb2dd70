"""The words support agents read, in one place: case kinds and states, account states, holds, what
each audit event means, risk signals, and why an action is not available now.

Small dictionaries of whole sentences with named fields (`%(reason)s`), so each can be translated
as it stands. Each is a `Words`: its labels are marked for the catalogue and come out of it in the
reader's language, so code and templates look them up (`CASE_STATES[status]`) and never translate
them again. A count is a plural message (`N_plural`, shown with `ngettext`). Nothing here is a raw
code: every code an agent could meet has its words (tests/support checks that every audit event
the code records has them).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from datetime import datetime
from typing import Any, TypeVar

from bastion.errors import Reason
from bastion.i18n import N_, N_plural, _, ngettext
from bastion.i18n.times import duration_words, moment_words, parse_moment
from bastion.mfa.method import SecondFactorMethod
from bastion.mfa.registry import METHODS

K = TypeVar("K")


class Words(Mapping[K, str]):
    """Labels marked with N_(), read in the reader's language: a look-up translates.

    `of_method` adds the labels each second-factor method carries (`bastion.mfa.method.HistoryWords`),
    asked at each look-up, so that a table never names the methods and sees one registered later.
    """

    __slots__ = ("_labels", "_of_method")

    def __init__(self, labels: dict[K, str],
                 of_method: Callable[[SecondFactorMethod], Mapping[K, str]] | None = None) -> None:
        self._labels = labels
        self._of_method = of_method

    def _methods_labels(self) -> dict[K, str]:
        if self._of_method is None:
            return {}
        return {key: label for method in METHODS for key, label in self._of_method(method).items()}

    def __getitem__(self, key: K) -> str:
        label = self._labels[key] if key in self._labels else self._methods_labels()[key]
        return _(label)

    def __contains__(self, key: object) -> bool:
        return key in self._labels or key in self._methods_labels()

    def __iter__(self) -> Iterator[K]:
        return iter({**self._labels, **self._methods_labels()})

    def __len__(self) -> int:
        return len({**self._labels, **self._methods_labels()})


CASE_KINDS = Words({"mfa_reset": N_("2FA reset"), "unfreeze": N_("Unfreeze"),
                    "allowlist_reset": N_("IP allowlist reset")})
CASE_STATES = Words({"awaiting_documents": N_("Waiting for documents"), "in_review": N_("To review"),
                     "waiting": N_("Approved, waiting"), "completed": N_("Completed"), "rejected": N_("Rejected"),
                     "cancelled": N_("Cancelled by the owner"), "expired": N_("Expired")})
ACCOUNT_STATES = Words({"active": N_("Active"), "frozen": N_("Frozen"), "suspended": N_("Suspended"),
                        "banned": N_("Banned")})
ROLES = Words({"support": N_("Support"), "admin": N_("Admin")})
# How an owner froze their account (`accounts.status.freeze_in`'s `via`).
FROZEN_VIA = Words({"self_service": N_("frozen by the owner in their security settings"),
                    "email_link": N_("frozen by the owner with the “this wasn't me” link of an email"),
                    "case_cancel_link": N_("frozen by the owner when they cancelled a recovery request"),
                    "cli": N_("frozen by an operator")})
HOLD_KINDS = Words({"withdrawal": N_("Withdrawals held")})
HOLD_REASONS = Words({"password_reset": N_("after a password reset"),
                      "mfa_disabled": N_("after 2FA was turned off"),
                      "mfa_reset_completed": N_("after a 2FA reset through support"),
                      "unfreeze_completed": N_("after an unfreeze"),
                      "allowlist_reset_completed": N_("after an IP allowlist reset"),
                      "allowlist_cleared": N_("after support cleared the IP allowlist")})
OUTCOMES = Words({"success": N_("Signed in"), "failure": N_("Refused"), "challenge": N_("Another step asked")})
# The steps of a sign-in, in "%(outcome)s at the %(step)s step"; each second-factor method names its own.
SIGN_IN_STEPS = Words({"password": N_("password"), "device": N_("emailed code")},
                      lambda method: {method.name: method.history.console_step})
# The same steps as a label of their own ("Password step"): a whole phrase, so each language words it.
STEP_LABELS = Words({"password": N_("Password step"), "device": N_("Emailed code step")},
                    lambda method: {method.name: method.history.console_step_label})
# Who did it; a staff member is named by their email (timeline.actor_of).
ACTORS = Words({"owner": N_("the account holder"), "system": N_("%(brand)s (automatic)"),
                "unknown": N_("a staff account no longer present")})
DOCUMENTS = Words({"id_front": N_("ID document, front"), "id_back": N_("ID document, back"),
                   "selfie": N_("Photo of the owner holding the ID and a dated note")})
DOCUMENTS_SHORT = Words({"id_front": N_("ID front"), "id_back": N_("ID back"), "selfie": N_("photo with the ID")})
VIA = Words({"support_api": N_("through the support API"), "support_console": N_("in the support console"),
             "admin_console": N_("in the admin console"), "cli": N_("with the command line"),
             "email_link": N_("from an email's link"), "self_service": N_("in the security settings"),
             "recovery_case": N_("by a recovery request"), "case_cancel_link": N_("with a case email's cancel link"),
             "changed_by_owner": N_("by the owner"), "cleared_by_staff": N_("by staff")})

# What an agent opened (`support.viewed`), in words.
OPENED = Words({"account": N_("the account's facts"), "account_timeline": N_("the account's timeline"),
                "case": N_("the case"), "case_timeline": N_("the case's timeline"), "search": N_("a search")})
# What each audit event means, for the timelines. Fields come from the event's data, in words. Each
# second-factor method words its own events (`history.events`: "mfa.passkey_added").
EVENTS = Words({
    "account.created": N_("Account created"),
    "account.email_verified": N_("Email address confirmed"),
    "account.verification_resent": N_("Confirmation email sent again"),
    "account.frozen": N_("Account frozen %(via)s"),
    "account.suspended": N_("Account suspended: %(reason)s"),
    "account.banned": N_("Account banned until %(until)s: %(reason)s"),
    "account.reinstated": N_("Restriction lifted: %(reason)s"),
    "account.unlocked": N_("Wrong-password pause lifted: %(reason)s"),
    "account.exported": N_("Account record exported: %(reason)s"),
    "support.viewed": N_("Opened by support: %(what)s"),
    "anti_phishing_code.changed": N_("Anti-phishing code changed"),
    "case.opened": N_("%(case_kind)s requested"),
    "case.link_resent": N_("%(case_kind)s requested again (new link emailed)"),
    "case.document_added": N_("Document uploaded: %(document)s"),
    "case.submitted": N_("All documents in: ready for review"),
    "case.review_restarted": N_("Document replaced during review (%(document)s): earlier approvals no longer "
                                "count; the claim was dropped"),
    "case.document_viewed": N_("Document viewed: %(document)s"),
    "case.documents_viewed": N_("Documents viewed: %(documents)s"),
    "case.claimed": N_("Case claimed"),
    "case.released": N_("Case released"),
    "case.note_added": N_("Internal note added"),
    "case.approved": N_("Approved (%(approvals)s of %(required)s): %(reason)s"),
    "case.rejected": N_("Rejected: %(reason)s"),
    "case.stopped": N_("Stopped before taking effect: %(reason)s"),
    "case.cancelled": N_("Cancelled by the owner with the email's cancel link"),
    "case.completed": N_("%(case_kind)s took effect"),
    "case.expired": N_("Closed: the documents did not arrive in time"),
    "case.documents_purged": N_("Identity documents deleted after the retention period"),
    "device.code_resent": N_("Device code sent again"),
    "device.forgotten": N_("Device forgotten"),
    "device.verified": N_("New device confirmed"),
    "device.locked": N_("Emailed-code step paused after too many wrong codes"),
    "ip_allowlist.changed": N_("IP allowlist changed"),
    "ip_allowlist.cleared": N_("IP allowlist cleared %(via)s"),
    "maintenance.scheduled": N_("Maintenance window scheduled"),
    "maintenance.stopped": N_("Maintenance ended"),
    "mfa.failed_alert_sent": N_("Owner warned of failed second steps"),
    "mfa.locked": N_("Second step paused after too many wrong codes"),
    "staff_enrolment.link_sent": N_("Staff enrolment link emailed"),
    "staff_enrolment.link_used": N_("Staff enrolment link used to unlock setting up a second factor"),
    "mfa.mfa_disabled": N_("2FA turned off"),
    "password.changed": N_("Password changed"),
    "password.change_refused": N_("Password change refused"),
    "password_reset.requested": N_("Password reset link sent"),
    "password_reset.completed": N_("Password reset"),
    "reauth.succeeded": N_("Identity confirmed for a change"),
    "reauth.failed": N_("Identity confirmation failed"),
    "risk.assessed": N_("Sign-in checked for risk"),
    "signin.paused": N_("Sign-in paused after wrong passwords"),
    "signin.succeeded": N_("Signed in"),
    "oidc.consent_given": N_("Let an app sign in with this account"),
    "oidc.access_removed": N_("Took an app's access away"),
    "oidc.code_reused": N_("An app's sign-in code was used twice: everything it gave was ended"),
    "oidc.refresh_reused": N_("An app's old refresh token was used again: the app's access was ended"),
    "oidc.tokens_issued": N_("An app got access after a sign-in"),
    "oidc.tokens_refreshed": N_("An app renewed its access"),
    "oidc.token_revoked": N_("An app gave up its access"),
    "oidc.logout": N_("Signed out from an app"),
    "session.signed_out": N_("Signed out"),
    "rejection_reason.saved": N_("Prepared rejection reason saved: %(title)s"),
    "rejection_reason.retired": N_("Prepared rejection reason withdrawn: %(title)s"),
}, lambda method: {kind: words.console for kind, words in method.history.events.items()})
# Events Bastion records by itself (its scheduler), though they name the account as their actor.
SYSTEM_EVENTS = frozenset({"case.completed", "case.expired", "case.documents_purged", "mfa.failed_alert_sent"})

# What matched a search (bastion.support.search); a count of attempts is a plural message.
MATCHES = Words({
    "email": N_("Email address matches"),
    "account_id": N_("Account id matches"),
    "reference": N_("The refusal with this reference, %(at)s"),
    "case": N_("Recovery request (%(kind)s) from %(ip)s, %(last_at)s"),
    "device": N_("Device last seen at %(ip)s, %(last_at)s"),
})
COUNTED_MATCHES = {
    "sign_in": N_plural("One sign-in attempt from %(ip)s (%(refused)s refused), %(last_at)s",
                        "%(count)s sign-in attempts from %(ip)s (%(refused)s refused), the last %(last_at)s"),
    "device_sign_in": N_plural("One sign-in attempt from this device (%(refused)s refused), %(last_at)s",
                               "%(count)s sign-in attempts from this device (%(refused)s refused), the last "
                               "%(last_at)s"),
}
AGES = Words({24: N_("Over a day"), 72: N_("Over 3 days"), 168: N_("Over a week")})

# Audit seals, in words (bastion.audit.spot_check).
SEALS = Words({"verified": N_("Verified in the audit chain"),
               "pending": N_("Not sealed yet (sealed within a minute)"),
               "changed": N_("Changed after it was sealed"), "forged": N_("Seal not made with %(brand)s's key"),
               "unlinked": N_("Its place in the chain does not match: events around it were removed or moved")})

# Risk signals beside a case (bastion.support.signals); a count is a plural message.
SIGNALS = Words({
    "case_new_country": N_("Requested from %(place)s, where the account never signed in"),
    "case_anonymizer": N_("Requested through an anonymising network (%(network)s)"),
    "case_new_address": N_("Requested from an address the account never signed in from (%(ip)s)"),
    "recent_password_change": N_("Password changed %(when)s, shortly before the request"),
    "recent_factor_change": N_("Second factors changed %(when)s, shortly before the request"),
    "new_account": N_("Account created %(when)s"),
    "no_sign_in": N_("The account never signed in"),
})
COUNTED_SIGNALS = {
    "recent_failures": N_plural("A refused sign-in in the last 7 days",
                                "%(count)s refused sign-ins in the last 7 days"),
    "risky_sign_ins": N_plural("A sign-in with risk signals in the last 30 days: %(kinds)s",
                               "%(count)s sign-ins with risk signals in the last 30 days: %(kinds)s"),
    "previous_refusals": N_plural("An earlier request was rejected or cancelled by the owner",
                                  "%(count)s earlier requests rejected or cancelled by the owner"),
}
RISK_SIGNALS = Words({"new_device": N_("new device"), "new_country": N_("new country"),
                      "impossible_travel": N_("impossible travel"), "anonymizer": N_("anonymising network"),
                      "failure_velocity": N_("many wrong passwords")})

# Why an action is not available to this agent now (bastion.support.rules).
WHY_NOT = Words({
    "own_account": N_("This case is about your own account: another agent must handle it."),
    "closed": N_("The case is closed (%(state)s); nothing more can be decided on it."),
    "claimed_by_other": N_("%(agent)s is working on this case. Ask them, or an admin, to release it."),
    "claimed_by_you": N_("You are working on this case."),
    "not_claimed": N_("Nobody is working on this case."),
    "not_yours": N_("%(agent)s is working on this case; only they or an admin can release it."),
    "documents_missing": N_("The owner has not uploaded everything yet (missing: %(missing)s)."),
    "approved_by_you": N_("You approved it; another agent must make the next approval."),
    "approved": N_("It is approved and takes effect %(due)s. The owner can still stop it with the cancel link "
                   "in every email about it."),
    "not_waiting": N_("Only an approved case that has not taken effect yet can be stopped."),
    "nothing_to_claim": N_("Only a case waiting for documents or for review can be claimed."),
})

# Refusals on console pages, told to the agent (the catalogue's words are the account holder's);
# translated where they are shown (bastion.web.pages.staff).
AGENT_REFUSALS = {
    Reason.CASE_NOT_READY: (N_("Not possible in this state"),
                            (N_("Read the case's state and the actions it offers."),)),
    Reason.CASE_CLOSED: (N_("The case is closed"),
                         (N_("Nothing more can be decided on it; open the queue for the next one."),)),
    Reason.CASE_CLAIMED: (N_("Another agent is working on this case"),
                          (N_("Pick another case, or ask them (or an admin) to release it."),)),
    Reason.CASE_ALREADY_APPROVED: (N_("You approved it already"), (N_("Another agent must make the next approval."),)),
    Reason.CASE_OWN_ACCOUNT: (N_("This is your own account's case"), (N_("Another agent must handle it."),)),
    Reason.CASE_DOCUMENTS_CHANGED: (N_("The documents changed since you opened the case"),
                                    (N_("Review the new documents, then decide."),)),
    Reason.SUPPORT_OWN_ACCOUNT: (N_("This is your own account"), (N_("Another agent must handle it."),)),
    Reason.SUPPORT_STAFF_ACCOUNT: (N_("A staff account: an admin's to handle"),
                                   (N_("Ask an administrator; support agents handle customers' accounts only."),)),
}


class _Blank(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return ""


def fill(template: str, **fields: Any) -> str:
    """A sentence with its fields; a field the data lacks reads as nothing, never as an error."""
    return (template % _Blank(fields)).strip().rstrip(":\uff1a").strip()  # U+FF1A: the colon Chinese writes


def counted(forms: tuple[str, str], count: int, **fields: Any) -> str:
    """A plural message (`N_plural`) for `count`, with its fields."""
    return fill(ngettext(*forms, count), count=count, **fields)


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
        fields["kinds"] = ", ".join(RISK_SIGNALS.get(name, _("other")) for name in fields["signals"])
    name = str(item["signal"])
    if name in COUNTED_SIGNALS:
        return counted(COUNTED_SIGNALS[name], int(fields.pop("count", 0) or 0), **fields)
    return fill(SIGNALS.get(name, _("Other signal")), **fields)


def match_words(match: dict[str, Any]) -> str:
    fields = dict(match)
    for key in ("at", "last_at"):
        if fields.get(key):
            fields[key] = _when_text(fields[key])
    fields["kind"] = CASE_KINDS.get(str(match.get("kind", "")), _("recovery request"))
    what = str(match["what"])
    if what in COUNTED_MATCHES:
        return counted(COUNTED_MATCHES[what], int(fields.pop("count", 0) or 0), **fields)
    return fill(MATCHES.get(what, _("Matches")), **fields)


def age_words(seconds: int) -> str:
    """'35 min', '5 hr', '3 days': how long ago, short, in the reader's language."""
    return duration_words(max(seconds, 60), short=True, threshold=1)


def status_reason_words(reason: str | None) -> str:
    """An account's status reason: a freeze's `via` in words; an admin's own reason as typed."""
    if not reason:
        return ""
    if reason.startswith("frozen by the owner (") and reason.endswith(")"):
        return FROZEN_VIA.get(reason[len("frozen by the owner ("):-1], _("frozen by the owner"))
    return reason
