"""security changes end the sign-ins in progress: when the account's last one happened, and the
index that finds an account's open flows

A password reset or change, or a 2FA reset, voids every sign-in flow of the account that has not
finished; a flow started before `security_changed_at` can never finish, even one written by a
transaction that raced the change.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 12:00:00
"""

import sqlalchemy as sa
from alembic import op

import bastion.store.types

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('security_changed_at', bastion.store.types.UTCDateTime(), nullable=True))
    with op.batch_alter_table('sign_in_flows', schema=None) as batch_op:
        batch_op.create_index('ix_sign_in_flows_account_id', ['account_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('sign_in_flows', schema=None) as batch_op:
        batch_op.drop_index('ix_sign_in_flows_account_id')
    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.drop_column('security_changed_at')
