"""Every table: each feature declares its own in its `models.py` on the one shared `Base`.

This is the one place that imports them all, so Alembic (`store/migrations/env.py`) compares and
migrates the whole schema, and the ORM resolves every foreign key by table name. `services.py`
imports it before it opens the database. A new feature's models module is added here; the layer
test fails on a models module that is missing.
"""

from __future__ import annotations

import bastion.accounts.models
import bastion.audit.models
import bastion.help.models
import bastion.mfa.backup_codes.models
import bastion.mfa.passkeys.models
import bastion.mfa.totp.models
import bastion.notify.models
import bastion.oidc.models
import bastion.ops.models
import bastion.recovery.models
import bastion.risk.models
import bastion.sessions.models
import bastion.signin.models
import bastion.store.models
import bastion.support.models
import bastion.throttle.models
from bastion.store.base import Base

# Every feature's models module, in one tuple: the layer test checks none is missing.
MODELS = (
    bastion.accounts.models, bastion.audit.models, bastion.help.models, bastion.mfa.backup_codes.models,
    bastion.mfa.passkeys.models, bastion.mfa.totp.models, bastion.notify.models, bastion.oidc.models,
    bastion.ops.models, bastion.recovery.models, bastion.risk.models, bastion.sessions.models,
    bastion.signin.models, bastion.store.models, bastion.support.models, bastion.throttle.models,
)
metadata = Base.metadata
