"""Every value encrypted under the key ring, for `bastion keys rotate` (requirements §14).

Each feature lists its own encrypted columns beside the code that encrypts them (a second-factor
method in its `protected`, the others in a module's `PROTECTED`); this gathers them.
"""

from __future__ import annotations

from bastion.accounts.settings import PROTECTED as ACCOUNT_VALUES
from bastion.crypto.rotation import Protected
from bastion.mfa.registry import METHODS
from bastion.notify.outbox import PROTECTED as OUTBOX_VALUES
from bastion.oidc.keys import PROTECTED as OIDC_VALUES


def protected_values() -> tuple[Protected, ...]:
    return (*METHODS.protected(), *ACCOUNT_VALUES, *OUTBOX_VALUES, *OIDC_VALUES)
