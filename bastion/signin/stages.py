"""The ordered stages every sign-in passes after its first factor. Add a stage here.

password → account gates → risk → second factor (DESIGN; why risk before 2FA: bastion/risk/stage.py).
"""

from __future__ import annotations

from bastion.mfa.stage import MfaStage
from bastion.risk.stage import RiskStage
from bastion.signin.flow import Stage
from bastion.signin.gates import AccountGate

STAGES: list[Stage] = [AccountGate(), RiskStage(), MfaStage()]
