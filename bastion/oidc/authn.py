"""How the person behind a session proved who they are: the ID token's `acr`, `amr` and `auth_time`,
and what an app's request (`prompt=login`, `max_age`, `acr_values=aal2`) still asks of them.

Sign-in and step-up write what they did to the audit trail in the same transaction
(`signin.succeeded` with the session, its steps and assurance level; `reauth.succeeded` with the
method): that record is read here, so the sign-in code needs no knowledge of OpenID.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session as Tx

from bastion.audit.queries import account_events_since
from bastion.mfa.passkeys import repo as passkey_repo
from bastion.mfa.registry import METHODS
from bastion.oidc.grants import Authentication
from bastion.sessions.tokens import SessionInfo
from bastion.signin.flow import flow_facts

AAL1, AAL2 = "aal1", "aal2"
ACR_VALUES = (AAL1, AAL2)


def _amr(method: str) -> str | None:
    """The RFC 8176 name of a way of proving who one is (each second-factor method names its own)."""
    if method == "password":
        return "pwd"
    factor = METHODS.get(method)
    return factor.amr if factor is not None else None


def _step_up_factors(tx: Tx, account_id: str) -> tuple[str, ...]:
    """The account's second-factor methods that may confirm it's the person."""
    enrolled = METHODS.enrolled(tx, account_id)
    return tuple(factor.name for factor in METHODS if factor.step_up and factor.name in enrolled)

_PASSKEY_USE_WINDOW = timedelta(seconds=60)


def authentication_of(tx: Tx, session: SessionInfo) -> Authentication:
    events = account_events_since(tx, session.account_id, ("signin.succeeded", "reauth.succeeded"),
                                  session.created_at - timedelta(seconds=5))
    methods: list[str] = []
    second_factor_at = session.created_at if session.aal >= 2 else None
    for kind, at, data in events:
        if data.get("session_id") != session.id:
            continue
        if kind == "signin.succeeded":
            methods += _sign_in_methods(tx, session, data)
        elif _amr(str(data.get("method"))):
            methods.append(str(_amr(str(data["method"]))))
            if data["method"] != "password":
                second_factor_at = at
    if not methods:
        methods = ["pwd"]  # a session from before the trail recorded its steps
    acr = AAL2 if second_factor_at is not None else AAL1
    if acr == AAL2:
        methods.append("mfa")
    return Authentication(acr, tuple(dict.fromkeys(methods)), session.authenticated_at, second_factor_at)


def _sign_in_methods(tx: Tx, session: SessionInfo, data: dict[str, object]) -> list[str]:
    steps = set(data.get("steps") or ())  # type: ignore[call-overload]
    methods = ["pwd"] if "password" in steps else []
    facts = flow_facts(tx, str(data.get("flow_id") or ""))
    second = (facts.get("mfa_method") if facts is not None else None) or ("passkey" if "passkey" in steps else None)
    if second == "passkey":
        methods.append(_passkey_kind(tx, session))
    elif second is not None and _amr(str(second)):
        methods.append(str(_amr(str(second))))
    return methods


def _passkey_kind(tx: Tx, session: SessionInfo) -> str:
    """`hwk` for a passkey bound to its device, `swk` for one synced between devices (backed up)."""
    backed_up = passkey_repo.backed_up_used_near(tx, session.account_id, session.created_at, _PASSKEY_USE_WINDOW)
    return "swk" if backed_up else "hwk"


@dataclass(frozen=True, slots=True)
class Needs:
    """What the person must still do before the app gets its code: nothing, confirm it's them, or
    prove a second factor (`methods`: how they can)."""

    what: str | None  # None | "reauth" | "second_factor"
    methods: tuple[str, ...] = ()


def needs_for(tx: Tx, session: SessionInfo, auth: Authentication, requested_at: datetime,
              prompt_login: bool, max_age: int | None, acr_values: tuple[str, ...]) -> Needs:
    """Ages count from the moment of the request, so a proof given in answer to it always satisfies it
    (even `max_age=0`)."""
    fresh_after: datetime | None = None
    if prompt_login:
        fresh_after = requested_at
    if max_age is not None:
        oldest = requested_at - timedelta(seconds=max_age)
        fresh_after = oldest if fresh_after is None else max(fresh_after, oldest)
    if AAL2 in acr_values and AAL1 not in acr_values:
        proven_after = fresh_after or session.created_at
        if auth.second_factor_at is None or auth.second_factor_at < proven_after:
            usable = _step_up_factors(tx, session.account_id)
            if usable:
                return Needs("second_factor", usable)
            # No second factor to prove: acr_values is a voluntary request (OIDC Core §3.1.2.1), the
            # ID token says aal1 and the app decides.
    if fresh_after is not None and auth.auth_time < fresh_after:
        return Needs("reauth", ("password", *_step_up_factors(tx, session.account_id)))
    return Needs(None)
