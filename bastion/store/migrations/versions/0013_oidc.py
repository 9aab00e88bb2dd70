"""OpenID provider: clients, signing keys, grants and tokens, consents, pending requests, logout deliveries (issue 21)

Revision ID: 0013
Revises: 0011
Create Date: 2026-12-06 10:29:12.478980
"""

import sqlalchemy as sa
from alembic import op

import bastion.store.types

revision = '0013'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('oidc_clients',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('secret_hash', sa.String(length=64), nullable=True),
    sa.Column('first_party', sa.Boolean(), nullable=False),
    sa.Column('allow_offline', sa.Boolean(), nullable=False),
    sa.Column('redirect_uris', bastion.store.types.JSONText(), nullable=False),
    sa.Column('post_logout_redirect_uris', bastion.store.types.JSONText(), nullable=False),
    sa.Column('backchannel_logout_uri', sa.String(length=500), nullable=True),
    sa.Column('created_at', bastion.store.types.UTCDateTime(), nullable=False),
    sa.Column('secret_rotated_at', bastion.store.types.UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_oidc_clients'))
    )
    op.create_table('oidc_signing_keys',
    sa.Column('kid', sa.String(length=64), nullable=False),
    sa.Column('alg', sa.String(length=8), nullable=False),
    sa.Column('private_jwk', sa.Text(), nullable=False),
    sa.Column('public_jwk', bastion.store.types.JSONText(), nullable=False),
    sa.Column('created_at', bastion.store.types.UTCDateTime(), nullable=False),
    sa.Column('retired_at', bastion.store.types.UTCDateTime(), nullable=True),
    sa.Column('unpublish_at', bastion.store.types.UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('kid', name=op.f('pk_oidc_signing_keys'))
    )
    op.create_table('oidc_authorization_requests',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('browser_hash', sa.String(length=64), nullable=False),
    sa.Column('client_id', sa.String(length=64), nullable=False),
    sa.Column('params', bastion.store.types.JSONText(), nullable=False),
    sa.Column('created_at', bastion.store.types.UTCDateTime(), nullable=False),
    sa.Column('expires_at', bastion.store.types.UTCDateTime(), nullable=False),
    sa.Column('used_at', bastion.store.types.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['client_id'], ['oidc_clients.id'], name=op.f('fk_oidc_authorization_requests_client_id_oidc_clients'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_oidc_authorization_requests'))
    )
    with op.batch_alter_table('oidc_authorization_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_oidc_authorization_requests_expires_at'), ['expires_at'], unique=False)

    op.create_table('oidc_consents',
    sa.Column('account_id', sa.String(length=36), nullable=False),
    sa.Column('client_id', sa.String(length=64), nullable=False),
    sa.Column('scopes', bastion.store.types.JSONText(), nullable=False),
    sa.Column('created_at', bastion.store.types.UTCDateTime(), nullable=False),
    sa.Column('updated_at', bastion.store.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_oidc_consents_account_id_accounts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['client_id'], ['oidc_clients.id'], name=op.f('fk_oidc_consents_client_id_oidc_clients'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('account_id', 'client_id', name=op.f('pk_oidc_consents'))
    )
    op.create_table('oidc_grants',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('client_id', sa.String(length=64), nullable=False),
    sa.Column('account_id', sa.String(length=36), nullable=False),
    sa.Column('session_id', sa.String(length=36), nullable=True),
    sa.Column('scope', sa.String(length=500), nullable=False),
    sa.Column('redirect_uri', sa.String(length=500), nullable=False),
    sa.Column('nonce', sa.String(length=255), nullable=True),
    sa.Column('code_hash', sa.String(length=64), nullable=False),
    sa.Column('code_challenge', sa.String(length=128), nullable=True),
    sa.Column('code_challenge_method', sa.String(length=8), nullable=True),
    sa.Column('acr', sa.String(length=16), nullable=False),
    sa.Column('amr', bastion.store.types.JSONText(), nullable=False),
    sa.Column('auth_time', bastion.store.types.UTCDateTime(), nullable=False),
    sa.Column('offline', sa.Boolean(), nullable=False),
    sa.Column('created_at', bastion.store.types.UTCDateTime(), nullable=False),
    sa.Column('code_expires_at', bastion.store.types.UTCDateTime(), nullable=False),
    sa.Column('code_used_at', bastion.store.types.UTCDateTime(), nullable=True),
    sa.Column('revoked_at', bastion.store.types.UTCDateTime(), nullable=True),
    sa.Column('revoke_reason', sa.String(length=32), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_oidc_grants_account_id_accounts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['client_id'], ['oidc_clients.id'], name=op.f('fk_oidc_grants_client_id_oidc_clients'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_oidc_grants')),
    sa.UniqueConstraint('code_hash', name=op.f('uq_oidc_grants_code_hash'))
    )
    with op.batch_alter_table('oidc_grants', schema=None) as batch_op:
        batch_op.create_index('ix_oidc_grants_account_client', ['account_id', 'client_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_oidc_grants_revoked_at'), ['revoked_at'], unique=False)
        batch_op.create_index('ix_oidc_grants_session_id', ['session_id'], unique=False)

    op.create_table('oidc_logout_deliveries',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('client_id', sa.String(length=64), nullable=False),
    sa.Column('account_id', sa.String(length=36), nullable=False),
    sa.Column('session_id', sa.String(length=36), nullable=False),
    sa.Column('jti', sa.String(length=64), nullable=False),
    sa.Column('created_at', bastion.store.types.UTCDateTime(), nullable=False),
    sa.Column('next_attempt_at', bastion.store.types.UTCDateTime(), nullable=False),
    sa.Column('locked_until', bastion.store.types.UTCDateTime(), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('sent_at', bastion.store.types.UTCDateTime(), nullable=True),
    sa.Column('last_error', sa.String(length=500), nullable=True),
    sa.ForeignKeyConstraint(['client_id'], ['oidc_clients.id'], name=op.f('fk_oidc_logout_deliveries_client_id_oidc_clients'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_oidc_logout_deliveries')),
    sa.UniqueConstraint('jti', name=op.f('uq_oidc_logout_deliveries_jti'))
    )
    with op.batch_alter_table('oidc_logout_deliveries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_oidc_logout_deliveries_next_attempt_at'), ['next_attempt_at'], unique=False)

    op.create_table('oidc_tokens',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('grant_id', sa.String(length=36), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('scope', sa.String(length=500), nullable=False),
    sa.Column('created_at', bastion.store.types.UTCDateTime(), nullable=False),
    sa.Column('expires_at', bastion.store.types.UTCDateTime(), nullable=False),
    sa.Column('used_at', bastion.store.types.UTCDateTime(), nullable=True),
    sa.Column('revoked_at', bastion.store.types.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['grant_id'], ['oidc_grants.id'], name=op.f('fk_oidc_tokens_grant_id_oidc_grants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_oidc_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_oidc_tokens_token_hash'))
    )
    with op.batch_alter_table('oidc_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_oidc_tokens_expires_at'), ['expires_at'], unique=False)
        batch_op.create_index('ix_oidc_tokens_grant_id', ['grant_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('oidc_tokens', schema=None) as batch_op:
        batch_op.drop_index('ix_oidc_tokens_grant_id')
        batch_op.drop_index(batch_op.f('ix_oidc_tokens_expires_at'))

    op.drop_table('oidc_tokens')
    with op.batch_alter_table('oidc_logout_deliveries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_oidc_logout_deliveries_next_attempt_at'))

    op.drop_table('oidc_logout_deliveries')
    with op.batch_alter_table('oidc_grants', schema=None) as batch_op:
        batch_op.drop_index('ix_oidc_grants_session_id')
        batch_op.drop_index(batch_op.f('ix_oidc_grants_revoked_at'))
        batch_op.drop_index('ix_oidc_grants_account_client')

    op.drop_table('oidc_grants')
    op.drop_table('oidc_consents')
    with op.batch_alter_table('oidc_authorization_requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_oidc_authorization_requests_expires_at'))

    op.drop_table('oidc_authorization_requests')
    op.drop_table('oidc_signing_keys')
    op.drop_table('oidc_clients')
