"""Client-version policy (requirements §32): per platform, a minimum and a recommended version.

Apps send `X-Client-Platform` (web, ios, android) and `X-Client-Version` (semver).
Below the minimum: 426 `client.outdated` with the update URL. Below the recommended:
sign-in answers carry `update_available`. A version that does not parse counts as
below any minimum; no header, or no policy for the platform, is not gated.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import select

from bastion.context import Client
from bastion.errors import BastionError, Reason
from bastion.i18n import _
from bastion.ops.models import ClientVersionPolicy
from bastion.services import Services
from bastion.store.upsert import insert_ignoring_duplicates

PLATFORMS = ("web", "ios", "android")
_SEMVER = re.compile(r"^v?(\d{1,6})(?:\.(\d{1,6}))?(?:\.(\d{1,6}))?(?:[-+][0-9A-Za-z.+-]*)?$")


def parse_version(text: str) -> tuple[int, int, int] | None:
    match = _SEMVER.match(text.strip())
    if not match:
        return None
    return tuple(int(part or 0) for part in match.groups())  # type: ignore[return-value]


@dataclass(frozen=True, slots=True)
class Policy:
    platform: str
    minimum: str | None
    recommended: str | None
    update_url: str | None


def set_policy(services: Services, platform: str, minimum: str | None, recommended: str | None,
               update_url: str | None) -> Policy:
    if platform not in PLATFORMS:
        raise BastionError(Reason.REQUEST_INVALID,
                           detail=_("Platform must be one of %(platforms)s.") % {"platforms": ", ".join(PLATFORMS)})
    for label, value in (("minimum", minimum), ("recommended", recommended)):
        if value is not None and parse_version(value) is None:
            raise BastionError(Reason.REQUEST_INVALID, detail=_("The %(field)s version %(value)s is not semver.")
                               % {"field": label, "value": repr(value[:32])})
    if minimum and recommended and parse_version(recommended) < parse_version(minimum):  # type: ignore[operator]
        raise BastionError(Reason.REQUEST_INVALID, detail=_("The recommended version cannot be below the minimum."))
    now = services.clock.now()
    values = dict(platform=platform, minimum=minimum, recommended=recommended, update_url=update_url, updated_at=now)
    with services.db.transaction() as tx:
        if not insert_ignoring_duplicates(tx, ClientVersionPolicy, values, conflict_column="platform"):
            row = tx.get_one(ClientVersionPolicy, platform)
            row.minimum, row.recommended, row.update_url, row.updated_at = minimum, recommended, update_url, now
    return Policy(platform, minimum, recommended, update_url)


def all_policies(services: Services) -> list[Policy]:
    with services.db.transaction() as tx:
        rows = tx.execute(select(ClientVersionPolicy).order_by(ClientVersionPolicy.platform)).scalars()
        return [Policy(row.platform, row.minimum, row.recommended, row.update_url) for row in rows]


def check_client_version(services: Services, client: Client) -> dict[str, str] | None:
    """Refuse an outdated client; return the `update_available` hint for one below the recommended."""
    if not client.platform or not client.version:
        return None
    policy = next((item for item in all_policies(services) if item.platform == client.platform.lower()), None)
    if policy is None:
        return None
    version = parse_version(client.version)
    if policy.minimum and (version is None or version < parse_version(policy.minimum)):  # type: ignore[operator]
        raise BastionError(Reason.CLIENT_OUTDATED,
                           detail=_("Update the app to version %(version)s or newer.") % {"version": policy.minimum},
                           extra={"minimum_version": policy.minimum, "update_url": policy.update_url})
    if policy.recommended and version is not None and version < parse_version(policy.recommended):  # type: ignore[operator]
        return {"recommended_version": policy.recommended, "update_url": policy.update_url or ""}
    return None
