"""Demo accounts for `bastion demo` (dev only)."""

from __future__ import annotations

from bastion.accounts.admin import create_account
from bastion.accounts.repo import find_account_by_email
from bastion.services import Services

DEMO_ACCOUNTS = [
    ("alice@example.com", "amber kettle mosaic 58 sunrise", "trader"),
    ("support@example.com", "quiet lantern meadow 42 harbor", "support"),
    ("admin@example.com", "river orchard compass 17 maple", "admin"),
]


def seed_demo_accounts(services: Services) -> list[tuple[str, str, str]]:
    """Create the demo accounts that are missing; returns (email, password, role) for each."""
    for email, password, role in DEMO_ACCOUNTS:
        with services.db.transaction() as tx:
            exists = find_account_by_email(tx, email) is not None
        if not exists:
            roles = [] if role == "trader" else [role]
            create_account(services, email, password, roles=roles, verified=True)
    return DEMO_ACCOUNTS
