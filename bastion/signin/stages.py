"""The ordered stages every sign-in passes after its first factor: the one place they are listed.

service gates (maintenance) → account gates → risk → second factor → device trust (docs/design.md; why
risk before the second factor: docs/design/risk-before-second-factor.md).
"""

from __future__ import annotations

from bastion.mfa.stage import MfaStage
from bastion.risk.stage import DeviceTrustStage, RiskStage
from bastion.signin.flow import Stage
from bastion.signin.gates import AccountGate, ServiceGate

STAGES: tuple[Stage, ...] = (ServiceGate(), AccountGate(), RiskStage(), MfaStage(), DeviceTrustStage())
