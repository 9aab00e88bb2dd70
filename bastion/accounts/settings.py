"""Account settings the owner changes: the anti-phishing code (requirements §22), the IP allowlist (requirements §29).

Each needs step-up, is recorded, and is notified by email with a "this wasn't me" freeze link.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from datetime import datetime

from sqlalchemy.orm import Session as Tx

from bastion.accounts.models import Account
from bastion.accounts.repo import get_account
from bastion.accounts.status import freeze_link
from bastion.audit import record_event
from bastion.clock import rfc3339
from bastion.context import Client
from bastion.crypto.rotation import Protected
from bastion.errors import BastionError, Reason
from bastion.i18n import _
from bastion.notify.outbox import anti_phishing_aad, enqueue
from bastion.plugs import Plug
from bastion.services import Services
from bastion.sessions.stepup import require_recent_auth
from bastion.sessions.tokens import SessionInfo
from bastion.store.types import new_id


def set_anti_phishing_code(services: Services, session: SessionInfo, code: str, client: Client) -> None:
    """Needs step-up; stored encrypted; the owner is told — in an email that already shows the new code."""
    require_recent_auth(services, session)
    now = services.clock.now()
    with services.db.transaction() as tx:
        account = get_account(tx, session.account_id)
        account.anti_phishing_code = services.keys.encrypt(code, anti_phishing_aad(account.id))
        record_event(tx, now, "anti_phishing_code.changed", account.id, client)
        enqueue(services, tx, "anti_phishing_changed", account,
                dedup_key=f"anti_phishing_changed/{new_id()}", now=now,
                when=rfc3339(now), ip=client.ip, freeze_link=freeze_link(services, tx, account.id))


# Encrypted under the key ring: rotated by `bastion keys rotate` (bastion.protected).
PROTECTED = (Protected("anti-phishing codes", Account, ("anti_phishing_code",), lambda row: anti_phishing_aad(row.id)),)


def has_anti_phishing_code(services: Services, account_id: str) -> bool:
    with services.db.transaction() as tx:
        return get_account(tx, account_id).anti_phishing_code is not None


MAX_ALLOWLIST = 20  # requirements §29
# The owner's pending allowlist-reset request is done once they set the allowlist themselves: left
# open, it would clear the new one later. (transaction, now, account id, client, via)
CloseAllowlistRequest = Callable[[Tx, datetime, str, Client, str], None]
ALLOWLIST_REQUESTS: Plug[CloseAllowlistRequest] = Plug("closing allowlist-reset requests (bastion.recovery)")


def normalize_allowlist(cidrs: list[str]) -> list[str]:
    """Validated, canonical and de-duplicated networks; `request.invalid` names the bad entry."""
    if len(cidrs) > MAX_ALLOWLIST:
        raise BastionError(Reason.REQUEST_INVALID, detail=_("At most %(count)d networks.") % {"count": MAX_ALLOWLIST})
    networks: list[str] = []
    for entry in cidrs:
        try:
            network = str(ipaddress.ip_network(entry.strip(), strict=False))
        except ValueError:
            raise BastionError(Reason.REQUEST_INVALID, detail=_("%(entry)s is not an IP address or CIDR.")
                               % {"entry": repr(entry[:50])}) from None
        if network not in networks:
            networks.append(network)
    return networks


def set_ip_allowlist(services: Services, session: SessionInfo, cidrs: list[str], client: Client) -> list[str]:
    require_recent_auth(services, session)
    networks = normalize_allowlist(cidrs)
    now = services.clock.now()
    with services.db.transaction() as tx:
        account = get_account(tx, session.account_id)
        account.ip_allowlist = networks
        record_event(tx, now, "ip_allowlist.changed", account.id, client, networks=networks)
        ALLOWLIST_REQUESTS()(tx, now, account.id, client, "changed_by_owner")
        enqueue(services, tx, "ip_allowlist_changed", account, dedup_key=f"ip_allowlist_changed/{new_id()}",
                now=now, when=rfc3339(now), ip=client.ip, cidrs=networks,
                freeze_link=freeze_link(services, tx, account.id))
    return networks


def get_ip_allowlist(services: Services, account_id: str) -> list[str]:
    with services.db.transaction() as tx:
        return list(get_account(tx, account_id).ip_allowlist)
