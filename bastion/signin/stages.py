"""The ordered stages every sign-in passes after its first factor.

service gates (maintenance) → account gates → risk → second factor → device trust (docs/design.md; why
risk before the second factor: docs/design/risk-before-second-factor.md). Risk and second factors are
features above sign-in, so the list is written where every feature is known, `bastion.startup`
(`SIGN_IN_STAGES`), and handed to sign-in at start-up.
"""

from __future__ import annotations

from bastion.plugs import Plug
from bastion.signin.flow import Stage

STAGES: Plug[tuple[Stage, ...]] = Plug("the sign-in stages (bastion.startup.SIGN_IN_STAGES)")
