"""one-time tokens: a sign-up's own password and where it came from

Each sign-up of an unconfirmed address keeps the password hash it chose with its own
confirmation link, and confirming that link applies that password: whoever confirms the
address gets their own password, never the one of an earlier or later sign-up (issue 18).
`origin` (when, IP, device and place in words) lets the email say which sign-up a link is.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 10:00:00
"""

import sqlalchemy as sa
from alembic import op

import bastion.store.types

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('one_time_tokens', schema=None) as batch_op:
        batch_op.add_column(sa.Column('password_hash', sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column('origin', bastion.store.types.JSONText(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('one_time_tokens', schema=None) as batch_op:
        batch_op.drop_column('origin')
        batch_op.drop_column('password_hash')
