"""Diagnoses the service makes itself instead of asking: maintenance now, an outdated app or
browser, cookies that do not come back, and the time to set a phone's clock by.

Clock drift and pauses are diagnosed where they happen — the second step answers
`mfa.clock_skew` with the estimated drift, a pause answers with `Retry-After` — and a
reference tells, live, when a pause ends (`references.py`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from bastion.context import Client
from bastion.errors import BastionError
from bastion.ops.client_versions import check_client_version
from bastion.ops.maintenance import upcoming_windows
from bastion.ops.maintenance_window import Window
from bastion.services import Services

# Oldest browser versions with what the sign-in pages rely on: SameSite cookies, WebAuthn
# (passkeys) and modern TLS. Families as ua-parser names them.
MINIMUM_BROWSERS = {
    "Chrome": 80, "Chrome Mobile": 80, "Chromium": 80, "Edge": 80, "Opera": 67, "Firefox": 78,
    "Firefox Mobile": 78, "Safari": 14, "Mobile Safari": 14, "Samsung Internet": 13,
}


@dataclass(frozen=True, slots=True)
class Maintenance:
    now: Window | None
    next: Window | None


@dataclass(frozen=True, slots=True)
class BrowserCheck:
    name: str | None
    version: int | None
    minimum: int | None

    @property
    def outdated(self) -> bool:
        return self.version is not None and self.minimum is not None and self.version < self.minimum


@dataclass(frozen=True, slots=True)
class AppCheck:
    """What the client-version policy says of the app that asked (nothing when it did not say)."""

    platform: str | None
    version: str | None
    outdated: bool = False
    minimum_version: str | None = None
    update_available: bool = False
    update_url: str | None = None


def maintenance(services: Services) -> Maintenance:
    now = services.clock.now()
    windows = upcoming_windows(services)
    return Maintenance(next((w for w in windows if w.starts_at <= now), None),
                       next((w for w in windows if w.starts_at > now), None))


@lru_cache(maxsize=256)
def check_browser(user_agent: str | None) -> BrowserCheck:
    if not user_agent:
        return BrowserCheck(None, None, None)
    from ua_parser import parse

    found = parse(user_agent[:512]).user_agent
    if found is None or found.family == "Other":
        return BrowserCheck(None, None, None)
    version = int(found.major) if found.major and found.major.isdigit() else None
    return BrowserCheck(found.family, version, MINIMUM_BROWSERS.get(found.family))


def check_app(services: Services, client: Client) -> AppCheck:
    """The same check sign-in makes (`client.outdated` / `update_available`), without signing in."""
    try:
        hint = check_client_version(services, client)
    except BastionError as refusal:
        return AppCheck(client.platform, client.version, outdated=True,
                        minimum_version=refusal.extra.get("minimum_version"),
                        update_url=refusal.extra.get("update_url"))
    if hint:
        return AppCheck(client.platform, client.version, update_available=True,
                        update_url=hint.get("update_url") or None)
    return AppCheck(client.platform, client.version)


def server_time(services: Services) -> datetime:
    """What a phone's clock should read (authenticator codes depend on it to the half minute)."""
    return services.clock.now()
