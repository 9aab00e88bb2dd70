"""sign-in attempts: no foreign key to accounts (a log row must not lock its account's row)

A foreign key makes every INSERT of an attempt check and share-lock the account's row
(SELECT ... FOR KEY SHARE): work a wrong password for an existing email pays and one for an
unknown email does not (a difference in time, requirements §6), and contention when many
attempts name one account (credential stuffing). Attempts are a log, written only with ids
just read, like security events, which never had one; accounts are never deleted.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-22 11:00:00
"""

from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('sign_in_attempts', schema=None) as batch_op:
        batch_op.drop_constraint('fk_sign_in_attempts_account_id_accounts', type_='foreignkey')


def downgrade() -> None:
    with op.batch_alter_table('sign_in_attempts', schema=None) as batch_op:
        batch_op.create_foreign_key('fk_sign_in_attempts_account_id_accounts', 'accounts', ['account_id'], ['id'],
                                    ondelete='SET NULL')
