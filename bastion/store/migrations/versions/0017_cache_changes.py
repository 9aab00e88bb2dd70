"""changes to cached sessions as rows, read by nodes without Redis instead of re-reading every cached session

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06 20:20:00
"""

import sqlalchemy as sa
from alembic import op

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'cache_changes',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('groups', sa.String(length=2000), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_cache_changes')),
        sqlite_autoincrement=True,
    )


def downgrade() -> None:
    op.drop_table('cache_changes')
