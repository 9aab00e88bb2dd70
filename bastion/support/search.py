"""One search box for agents: an email (or part of it), an account, case or device id, a refusal's
reference, an IP address or a network. Results are accounts, each with what matched in words.

Only staff reach this (role support or admin, signed in with a second factor): it tells whether an
account exists, so it must never be open to anyone else. A network must be narrow enough to
mean something (IPv4 /8, IPv6 /32 or longer). Addresses are matched in the sign-in log, in the
devices' last addresses and in the addresses recovery requests came from.
"""

from __future__ import annotations

import ipaddress
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session as Tx

from bastion.accounts import devices
from bastion.accounts import repo as accounts
from bastion.clock import rfc3339
from bastion.errors import BastionError, Reason
from bastion.help.references import normalize_reference
from bastion.i18n import _
from bastion.recovery import repo as cases
from bastion.services import Services
from bastion.signin import attempts as sign_ins
from bastion.support.views import AccountSummary, find_reference, search_accounts

RESULTS = 50
SCAN = 2000  # rows read per table for a network (newest first), before grouping by account
_ID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
_REFERENCE = re.compile(r"^\s*r[\s-]", re.IGNORECASE)
NARROWEST = {4: 8, 6: 32}
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
# A sign-in attempt as the search groups it: account_id, identifier, ip, outcome, created_at.
Trace = tuple[str | None, str, str | None, str, datetime]


@dataclass
class Found:
    kind: str  # email · id · reference · ip · network · device
    query: str
    accounts: list[dict[str, Any]] = field(default_factory=list)
    unknown_emails: list[dict[str, Any]] = field(default_factory=list)  # attempts whose email has no account
    reference: dict[str, Any] | None = None
    case_id: str | None = None


def search(services: Services, text: str) -> Found:
    query = text.strip()[:320]
    if not query:
        raise BastionError(Reason.REQUEST_INVALID,
                           detail=_("Type an email, an id, a reference, an address or a network."))
    if _REFERENCE.match(query) and normalize_reference(query):
        return _by_reference(services, query)
    network = _network(query)
    if network is not None:
        return _by_address(services, query, network)
    if _ID.match(query.lower()):
        return _by_id(services, query.lower())
    return Found("email", query, [dict(item, matches=[{"what": "email"}]) for item in search_accounts(services, query)])


def _network(query: str) -> Network | None:
    try:
        network = ipaddress.ip_network(query, strict=False)
    except ValueError:
        return None
    if network.prefixlen < NARROWEST[network.version]:
        raise BastionError(Reason.REQUEST_INVALID,
                           detail=_("Search a network of /%(prefix)d or narrower.")
                           % {"prefix": NARROWEST[network.version]})
    return network


def _by_reference(services: Services, query: str) -> Found:
    explained = find_reference(services, query)
    owner = (explained.get("attempt") or explained.get("request") or {}).get("account_id")
    found = Found("reference", explained["reference"], reference=explained)
    if owner:
        found.accounts = _accounts(services, {owner: [{"what": "reference", "at": explained["occurred_at"]}]})
    return found


def _by_id(services: Services, value: str) -> Found:
    found = Found("id", value)
    matches: dict[str, list[dict[str, Any]]] = defaultdict(list)
    with services.db.transaction() as tx:
        if accounts.find_account(tx, value) is not None:
            matches[value].append({"what": "account_id"})
        elif (case := cases.find_case(tx, value)) is not None:
            found.case_id = case.id
            matches[case.account_id].append({"what": "case", "case_id": case.id, "kind": case.kind, "ip": case.ip,
                                             "last_at": rfc3339(case.created_at)})
        elif (device := devices.find_device_by_id(tx, value)) is not None:
            found.kind = "device"
            _by_device(tx, device.device_hash, matches, found)
    found.accounts = _accounts(services, matches)
    return found


def _by_device(tx: Tx, device_hash: str, matches: dict[str, list[dict[str, Any]]], found: Found) -> None:
    """Every account this browser or app signed in to (the same device cookie), and its attempts."""
    for device in devices.devices_with_hash(tx, device_hash):
        matches[device.account_id].append({"what": "device", "last_at": rfc3339(device.last_seen_at),
                                           "ip": device.last_ip})
    _attempts_into(matches, found, sign_ins.attempts_from_device(tx, device_hash, SCAN), "device_sign_in")


def _by_address(services: Services, query: str, network: Network) -> Found:
    single = network.num_addresses == 1
    kind, shown = ("ip", str(network.network_address)) if single else ("network", str(network))
    found = Found(kind, shown)
    matches: dict[str, list[dict[str, Any]]] = defaultdict(list)
    # One address exactly; a network by the text its addresses start with, then each checked.
    address, prefix = (shown, False) if single else (_prefix(network), True)
    with services.db.transaction() as tx:
        _attempts_into(matches, found, sign_ins.attempts_from_address(tx, address, SCAN, prefix), "sign_in", network)
        for device in devices.devices_last_seen_from(tx, address, SCAN, prefix):
            if _inside(device.last_ip, network):
                matches[device.account_id].append({"what": "device", "ip": device.last_ip,
                                                   "last_at": rfc3339(device.last_seen_at)})
        for case in cases.cases_opened_from(tx, address, SCAN, prefix):
            if _inside(case.ip, network):
                matches[case.account_id].append({"what": "case", "ip": case.ip, "case_id": case.id,
                                                 "kind": case.kind, "last_at": rfc3339(case.created_at)})
    found.accounts = _accounts(services, matches)
    return found


def _attempts_into(matches: dict[str, list[dict[str, Any]]], found: Found, rows: Sequence[Trace], what: str,
                   network: Network | None = None) -> None:
    """Sign-in attempts, grouped: per account (count, last, how many refused), and per email with no account."""
    grouped: dict[tuple[str | None, str], dict[str, Any]] = {}
    for account_id, identifier, ip, outcome, at in rows:
        if network is not None and not _inside(ip, network):
            continue
        key = (account_id, "" if account_id else identifier)
        entry = grouped.setdefault(key, {"what": what, "count": 0, "refused": 0, "last_at": rfc3339(at), "ip": ip})
        entry["count"] += 1
        entry["refused"] += outcome == "failure"
    for (account_id, identifier), entry in grouped.items():
        if account_id:
            matches[account_id].append(entry)
        else:
            found.unknown_emails.append({"email": identifier, **entry})


def _prefix(network: Network) -> str:
    """The text every address in `network` starts with (as Bastion writes addresses): the whole
    octets or groups the prefix covers, before any group an address may write as '::'."""
    if network.version == 4:
        octets = str(network.network_address).split(".")[:network.prefixlen // 8]
        return ".".join(octets) + "." if octets else ""
    groups = []
    for group in network.network_address.exploded.split(":")[:network.prefixlen // 16]:
        if group == "0000":
            break
        groups.append(group.lstrip("0"))
    return ":".join(groups) + ":" if groups else ""


def _inside(ip: str | None, network: Network) -> bool:
    try:
        return ip is not None and ipaddress.ip_address(ip) in network
    except ValueError:
        return False


def _accounts(services: Services, matches: dict[str, list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """The matched accounts with what matched, those with the latest match first."""
    if not matches:
        return []
    with services.db.transaction() as tx:
        found_accounts: dict[str, AccountSummary] = {
            account.id: account for account in accounts.find_accounts(tx, list(matches)[:RESULTS * 4])}
        counts = cases.count_open_cases(tx, list(found_accounts))
    found: list[dict[str, Any]] = [
        {"id": account.id, "email": account.email, "status": account.status, "roles": sorted(account.role_set),
         "created_at": rfc3339(account.created_at), "open_cases": counts.get(account.id, 0),
         "matches": matches[account.id]} for account in found_accounts.values()]
    found.sort(key=lambda item: max((match.get("last_at") or "" for match in item["matches"]), default=""),
               reverse=True)
    return found[:RESULTS]
