"""audit chain: security events sealed into a hash chain, its head, append-only triggers (issue 11)

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-23 09:00:00
"""

import sqlalchemy as sa
from alembic import op

import bastion.store.types

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

GENESIS = "0" * 64
_CONTENT = ("id", "account_id", "actor_id", "kind", "created_at", "ip", "data")
_SEAL = ("chain_seq", "chain_prev", "chain_hash")

# Only sealing may change a row, once; nothing may delete one. The database owner can still
# drop these triggers: the chain (bastion audit verify) is what shows such an edit.
_PG_FUNCTION = """
CREATE OR REPLACE FUNCTION security_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'UPDATE' THEN
        RAISE EXCEPTION 'security_events is append-only';
    END IF;
    IF {content_changed} OR (OLD.chain_seq IS NOT NULL AND ({seal_changed})) THEN
        RAISE EXCEPTION 'security_events is append-only: only sealing may update a row, once';
    END IF;
    RETURN NEW;
END $$
""".format(
    content_changed=" OR ".join(f"NEW.{c} IS DISTINCT FROM OLD.{c}" for c in _CONTENT),
    seal_changed=" OR ".join(f"NEW.{c} IS DISTINCT FROM OLD.{c}" for c in _SEAL),
)
_SQLITE_UPDATE = """
CREATE TRIGGER security_events_append_only_update BEFORE UPDATE ON security_events
WHEN {content_changed} OR (OLD.chain_seq IS NOT NULL AND ({seal_changed}))
BEGIN SELECT RAISE(ABORT, 'security_events is append-only: only sealing may update a row, once'); END
""".format(
    content_changed=" OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in _CONTENT),
    seal_changed=" OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in _SEAL),
)
_SQLITE_DELETE = """
CREATE TRIGGER security_events_append_only_delete BEFORE DELETE ON security_events
BEGIN SELECT RAISE(ABORT, 'security_events is append-only'); END
"""


def upgrade() -> None:
    op.create_table('audit_chain_head',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('seq', sa.BigInteger(), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.Column('mac', sa.String(length=64), nullable=True),
    sa.Column('sealed_at', bastion.store.types.UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_chain_head'))
    )
    op.execute(sa.text("INSERT INTO audit_chain_head (id, seq, hash) VALUES (1, 0, :genesis)")
               .bindparams(genesis=GENESIS))
    with op.batch_alter_table('security_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('chain_seq', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('chain_prev', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('chain_hash', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('chain_mac', sa.String(length=64), nullable=True))
        batch_op.create_index('ix_security_events_actor_id_id', ['actor_id', 'id'], unique=False)
        batch_op.create_unique_constraint(batch_op.f('uq_security_events_chain_seq'), ['chain_seq'])

    if op.get_bind().dialect.name == "postgresql":
        op.execute(_PG_FUNCTION)
        op.execute("CREATE TRIGGER security_events_append_only BEFORE UPDATE OR DELETE ON security_events "
                   "FOR EACH ROW EXECUTE FUNCTION security_events_append_only()")
        op.execute("CREATE TRIGGER security_events_no_truncate BEFORE TRUNCATE ON security_events "
                   "FOR EACH STATEMENT EXECUTE FUNCTION security_events_append_only()")
    else:
        op.execute(_SQLITE_UPDATE)
        op.execute(_SQLITE_DELETE)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS security_events_no_truncate ON security_events")
        op.execute("DROP TRIGGER IF EXISTS security_events_append_only ON security_events")
        op.execute("DROP FUNCTION IF EXISTS security_events_append_only()")
    else:
        op.execute("DROP TRIGGER IF EXISTS security_events_append_only_update")
        op.execute("DROP TRIGGER IF EXISTS security_events_append_only_delete")
    with op.batch_alter_table('security_events', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_security_events_chain_seq'), type_='unique')
        batch_op.drop_index('ix_security_events_actor_id_id')
        batch_op.drop_column('chain_mac')
        batch_op.drop_column('chain_hash')
        batch_op.drop_column('chain_prev')
        batch_op.drop_column('chain_seq')

    op.drop_table('audit_chain_head')
