"""each approval names the documents it approved (a digest of their hashes)

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06 15:20:00
"""

import sqlalchemy as sa
from alembic import op

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('case_approvals', schema=None) as batch_op:
        batch_op.add_column(sa.Column('documents_sha256', sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('case_approvals', schema=None) as batch_op:
        batch_op.drop_column('documents_sha256')
