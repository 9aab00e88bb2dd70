"""Limits declared as data: "COUNT/WINDOW/SCOPE", e.g. "50/10m/ip" — parsed and checked at start-up."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

from bastion.config import Settings

SCOPES = frozenset({"ip", "subnet", "mfa_flow", "mfa_account", "reset_identifier", "reset_ip", "signup_ip",
                    "passkey_ip", "case_identifier", "case_ip", "resend_identifier", "resend_ip", "device_account",
                    "oidc_client", "oidc_client_ip", "oidc_pending_ip", "upload_case", "upload_ip", "signup_identifier"})
DEFAULT_LIMITS = (
    "50/10m/ip,"  # requirements §3
    "200/10m/subnet,"  # requirements §3
    "5/15m/mfa_flow,"  # requirements §10 (per sign-in flow; a flow lives 15 min)
    "10/15m/mfa_account,"  # requirements §10
    "10/1h/device_account,"  # wrong emailed device codes per account, across sign-ins and resends (requirements §20)
    "5/1h/reset_identifier,"  # requirements §15: rate-limited per identifier and IP
    "20/1h/reset_ip,"
    "20/1h/signup_ip,"
    "5/1h/signup_identifier,"  # each sign-up emails the address: no mailbox is flooded through it
    "60/10m/passkey_ip,"  # passwordless options: a flow and a challenge written per call
    "5/1d/case_identifier,"  # 2FA reset and unfreeze requests: each may email the owner
    "20/1d/case_ip,"
    "1/1m/resend_identifier,"  # "send the email again": a cooldown per address and kind of email
    "20/1h/resend_ip,"
    "20/10m/oidc_client,"  # failed client authentications at the token endpoint, per confidential client id and IP
    "50/10m/oidc_client_ip,"  # ... and per IP, whatever client id it names
    "60/10m/oidc_pending_ip,"  # authorization requests left waiting for sign-in (each a stored row), per IP
    "30/1d/upload_case,"  # identity documents: three per case, each may be sent again a few times
    "60/1h/upload_ip"  # every upload attempt, before its case link is checked or its body read
)
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_RULE = re.compile(r"^\s*(\d+)\s*/\s*(\d+)\s*([smhd])\s*/\s*([a-z_]+)\s*$")


@dataclass(frozen=True, slots=True)
class Limit:
    count: int
    window: timedelta


def parse_duration(text: str) -> timedelta:
    match = re.fullmatch(r"\s*(\d+)\s*([smhd])\s*", text)
    if not match or int(match.group(1)) <= 0:
        raise ValueError(f"{text!r} is not a duration like 30s, 15m, 1h or 7d")
    return timedelta(seconds=int(match.group(1)) * _UNITS[match.group(2)])


def parse_limits(text: str) -> dict[str, Limit]:
    """Every scope gets its default unless the text names it; unknown scopes are refused."""
    limits: dict[str, Limit] = {}
    for source in (DEFAULT_LIMITS, text):
        for rule in filter(str.strip, source.split(",")):
            match = _RULE.match(rule)
            if not match:
                raise ValueError(f"{rule.strip()!r} is not a limit like 5/15m/identifier")
            count, amount, unit, scope = match.groups()
            if scope not in SCOPES:
                raise ValueError(f"unknown limit scope {scope!r} (known: {', '.join(sorted(SCOPES))})")
            if int(count) <= 0 or int(amount) <= 0:
                raise ValueError(f"{rule.strip()!r}: count and window must be positive")
            limits[scope] = Limit(int(count), timedelta(seconds=int(amount) * _UNITS[unit]))
    return limits


def check_throttle_settings(settings: Settings) -> None:
    """Parse the throttle's settings now, so a typo stops the start rather than the first sign-in."""
    parse_limits(settings.rate_limits)
    for name in ("lockout_first_delay", "lockout_max_delay", "ip_lockout"):
        try:
            parse_duration(getattr(settings, name))
        except ValueError as error:
            raise ValueError(f"BASTION_{name.upper()}: {error}") from error
