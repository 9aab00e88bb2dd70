"""The ordered stages every sign-in passes after its first factor. Add a stage here."""

from __future__ import annotations

from bastion.mfa.stage import MfaStage
from bastion.signin.flow import Stage
from bastion.signin.gates import AccountGate

STAGES: list[Stage] = [AccountGate(), MfaStage()]
