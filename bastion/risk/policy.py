"""The risk policy: which signal leads to allow, verify or deny — declared as data, checked at start-up.

`BASTION_RISK_POLICY="anonymizer=deny,impossible_travel=verify,new_country=verify,new_device=allow,failure_velocity=verify"`
(the default; why a new device alone is "allow" by default: `stage.py`). A signal not named is "allow"; of several signals the strongest action wins
(deny > verify > allow).

Anonymizing networks: `BASTION_RISK_ANONYMIZER_ASNS` and `BASTION_RISK_ANONYMIZER_CIDRS` (comma
separated) are added to the shipped list of well-known hosting providers below. geoip2fast's data
names an address's AS *organisation*, not its number, so an ASN entry is either a number from
`KNOWN_ASNS` (translated to the organisation names GeoLite2 uses for it) or an organisation name
as the data spells it (case-insensitive, e.g. `"Stiftung Erneuerbare Freiheit"`); a number Bastion
cannot translate is refused at start-up rather than silently ignored. Tor exits change daily:
list them as CIDRs.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache

from bastion.config import Settings
from bastion.throttle.limits import parse_duration

SIGNALS = ("new_device", "new_country", "impossible_travel", "anonymizer", "failure_velocity")
ACTIONS = ("allow", "verify", "deny")  # weakest to strongest
DEFAULT_POLICY = "anonymizer=deny,impossible_travel=verify,new_country=verify,new_device=allow,failure_velocity=verify"

# AS number → the organisation names GeoLite2 (2024-06) gives it. Checked against the shipped data.
KNOWN_ASNS: dict[int, tuple[str, ...]] = {
    16509: ("AMAZON-02",),  # AWS
    14618: ("AMAZON-AES",),  # AWS us-east
    396982: ("GOOGLE-CLOUD-PLATFORM",),  # Google Cloud
    15169: ("GOOGLE",),  # Google
    8075: ("MICROSOFT-CORP-MSN-AS-BLOCK",),  # Azure
    14061: ("DIGITALOCEAN-ASN",),  # DigitalOcean
    16276: ("OVH SAS",),  # OVHcloud
    24940: ("Hetzner Online GmbH",),  # Hetzner
    63949: ("Akamai Connected Cloud", "Linode, LLC"),  # Linode / Akamai
    20473: ("AS-CHOOPA", "AS-VULTR"),  # Vultr
    51167: ("Contabo GmbH",),  # Contabo
    12876: ("SCALEWAY S.A.S.", "Online S.a.s."),  # Scaleway
    45102: ("Alibaba US Technology Co., Ltd.",),  # Alibaba Cloud
    31898: ("ORACLE-BMC-31898",),  # Oracle Cloud
}
DEFAULT_ANONYMIZER_ASNS = (16509, 14618, 396982, 15169, 8075, 14061, 16276, 24940, 63949, 20473, 51167, 12876,
                           45102, 31898)


def _split(text: str) -> list[str]:
    return [item.strip() for item in text.split(",") if item.strip()]


def parse_policy(text: str) -> dict[str, str]:
    """Every signal → its action; raises ValueError naming what is wrong."""
    policy = dict.fromkeys(SIGNALS, "allow")
    for rule in _split(text):
        signal, sep, action = (part.strip() for part in rule.partition("="))
        if not sep or signal not in SIGNALS or action not in ACTIONS:
            raise ValueError(f"{rule!r} is not signal=action (signals: {', '.join(SIGNALS)}; "
                             f"actions: {', '.join(ACTIONS)})")
        policy[signal] = action
    return policy


def parse_asn_names(text: str) -> frozenset[str]:
    names: set[str] = set()
    for item in _split(text):
        number = item.upper().removeprefix("AS")
        if number.isdigit():
            if int(number) not in KNOWN_ASNS:
                raise ValueError(f"AS{number}: the offline data names organisations, not numbers, and this number "
                                 "is not in Bastion's table; give the organisation name instead")
            names.update(KNOWN_ASNS[int(number)])
        else:
            names.add(item.strip('"'))
    return frozenset(name.casefold() for name in names)


def parse_cidrs(text: str) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    networks = []
    for item in _split(text):
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError as error:
            raise ValueError(f"{item!r} is not a CIDR") from error
    return tuple(networks)


def strongest(actions: list[str]) -> str:
    return max(actions, key=ACTIONS.index, default="allow")


@dataclass(frozen=True)
class RiskPolicy:
    actions: dict[str, str]
    anonymizer_asn_names: frozenset[str]
    anonymizer_networks: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]

    @classmethod
    def from_settings(cls, policy: str, asns: str, cidrs: str) -> RiskPolicy:
        defaults = ",".join(str(number) for number in DEFAULT_ANONYMIZER_ASNS)
        return cls(parse_policy(policy), parse_asn_names(f"{defaults},{asns}"), parse_cidrs(cidrs))

    def is_anonymizer(self, ip: str | None, asn_name: str | None) -> bool:
        if asn_name and asn_name.casefold() in self.anonymizer_asn_names:
            return True
        if not ip or not self.anonymizer_networks:
            return False
        try:
            address = ipaddress.ip_address(ip)
        except ValueError:
            return False
        return any(address in network for network in self.anonymizer_networks)

    def decide(self, signals: list[str]) -> str:
        return strongest([self.actions[signal] for signal in signals])


@lru_cache(maxsize=8)
def _policy(policy: str, asns: str, cidrs: str) -> RiskPolicy:
    return RiskPolicy.from_settings(policy, asns, cidrs)


def policy_of(settings: Settings) -> RiskPolicy:
    """The policy the settings declare, parsed once per process."""
    return _policy(settings.risk_policy, settings.risk_anonymizer_asns, settings.risk_anonymizer_cidrs)


def failure_velocity(setting: str) -> tuple[int, timedelta]:
    """'10/1h' → (10, 1 hour): that many wrong passwords on the account within the window."""
    count, _, window = setting.partition("/")
    if not count.strip().isdigit() or int(count) <= 0:
        raise ValueError(f"{setting!r} is not COUNT/WINDOW like 10/1h")
    return int(count), parse_duration(window)


def check_risk_settings(settings: Settings) -> None:
    """Parse the risk settings now, so a typo stops the start rather than the first sign-in."""
    try:
        policy_of(settings)
        failure_velocity(settings.risk_failure_velocity)
    except ValueError as error:
        raise ValueError(f"BASTION_RISK_*: {error}") from error
