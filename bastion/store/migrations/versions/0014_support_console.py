"""the support console: claiming cases, internal notes, prepared rejection reasons, and the indexes
of the queue and of the search by address (issue 23)

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 09:00:00
"""

import sqlalchemy as sa
from alembic import op

import bastion.store.types

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('recovery_cases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('claimed_by', sa.String(length=36), nullable=True))
        batch_op.add_column(sa.Column('claimed_at', bastion.store.types.UTCDateTime(), nullable=True))
        batch_op.create_index('ix_recovery_cases_status_created_at', ['status', 'created_at'], unique=False)
    with op.batch_alter_table('sign_in_attempts', schema=None) as batch_op:
        batch_op.create_index('ix_sign_in_attempts_ip', ['ip'], unique=False,
                              postgresql_ops={'ip': 'text_pattern_ops'})
    op.create_table('case_notes',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('case_id', sa.String(length=36), nullable=False),
    sa.Column('author_id', sa.String(length=36), nullable=False),
    sa.Column('body', sa.String(length=2000), nullable=False),
    sa.Column('created_at', bastion.store.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['recovery_cases.id'], name=op.f('fk_case_notes_case_id_recovery_cases'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_notes'))
    )
    with op.batch_alter_table('case_notes', schema=None) as batch_op:
        batch_op.create_index('ix_case_notes_case_id_id', ['case_id', 'id'], unique=False)
    op.create_table('rejection_reasons',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('title', sa.String(length=80), nullable=False),
    sa.Column('body', sa.String(length=500), nullable=False),
    sa.Column('kinds', sa.String(length=64), nullable=False),
    sa.Column('created_at', bastion.store.types.UTCDateTime(), nullable=False),
    sa.Column('updated_at', bastion.store.types.UTCDateTime(), nullable=False),
    sa.Column('retired_at', bastion.store.types.UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rejection_reasons'))
    )


def downgrade() -> None:
    op.drop_table('rejection_reasons')
    with op.batch_alter_table('case_notes', schema=None) as batch_op:
        batch_op.drop_index('ix_case_notes_case_id_id')
    op.drop_table('case_notes')
    with op.batch_alter_table('sign_in_attempts', schema=None) as batch_op:
        batch_op.drop_index('ix_sign_in_attempts_ip', postgresql_ops={'ip': 'text_pattern_ops'})
    with op.batch_alter_table('recovery_cases', schema=None) as batch_op:
        batch_op.drop_index('ix_recovery_cases_status_created_at')
        batch_op.drop_column('claimed_at')
        batch_op.drop_column('claimed_by')
