"""LTI launches, attempts, passback queue, progress

Revision ID: 0001
Revises: (none)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('lti_login',
    sa.Column('state', sa.String(length=100), nullable=False),
    sa.Column('nonce', sa.String(length=100), nullable=False),
    sa.Column('issuer', sa.String(length=500), nullable=False),
    sa.Column('client_id', sa.String(length=500), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('used_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('state'),
    sa.UniqueConstraint('nonce')
    )
    with op.batch_alter_table('lti_login', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lti_login_created_at'), ['created_at'], unique=False)

    op.create_table('lti_tool_key',
    sa.Column('kid', sa.String(length=100), nullable=False),
    sa.Column('private_pem', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('kid')
    )
    op.create_table('lti_user',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('issuer', sa.String(length=500), nullable=False),
    sa.Column('sub', sa.String(length=255), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('issuer', 'sub')
    )
    op.create_table('lti_launch',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('issuer', sa.String(length=500), nullable=False),
    sa.Column('client_id', sa.String(length=500), nullable=False),
    sa.Column('deployment_id', sa.String(length=255), nullable=False),
    sa.Column('message_type', sa.String(length=50), nullable=False),
    sa.Column('context_id', sa.String(length=255), nullable=False),
    sa.Column('context_title', sa.String(length=500), nullable=False),
    sa.Column('resource_link_id', sa.String(length=255), nullable=False),
    sa.Column('roles', sa.JSON(), nullable=False),
    sa.Column('locale', sa.String(length=10), nullable=False),
    sa.Column('target_kind', sa.String(length=20), nullable=False),
    sa.Column('target', sa.JSON(), nullable=True),
    sa.Column('lineitem_url', sa.Text(), nullable=True),
    sa.Column('deep_linking', sa.JSON(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['lti_user.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('token_hash')
    )
    with op.batch_alter_table('lti_launch', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lti_launch_context_id'), ['context_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_lti_launch_user_id'), ['user_id'], unique=False)

    op.create_table('lti_progress',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('lesson', sa.String(length=100), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['lti_user.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('user_id', 'lesson')
    )
    op.create_table('lti_attempt',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('launch_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('context_id', sa.String(length=255), nullable=False),
    sa.Column('resource_link_id', sa.String(length=255), nullable=False),
    sa.Column('score', sa.Float(), nullable=False),
    sa.Column('correct', sa.Integer(), nullable=False),
    sa.Column('total', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['launch_id'], ['lti_launch.id'], ),
    sa.ForeignKeyConstraint(['user_id'], ['lti_user.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('lti_attempt', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lti_attempt_context_id'), ['context_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_lti_attempt_launch_id'), ['launch_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_lti_attempt_user_id'), ['user_id'], unique=False)

    op.create_table('lti_passback',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('attempt_id', sa.Integer(), nullable=False),
    sa.Column('issuer', sa.String(length=500), nullable=False),
    sa.Column('client_id', sa.String(length=500), nullable=False),
    sa.Column('scores_url', sa.Text(), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('tries', sa.Integer(), nullable=False),
    sa.Column('next_try_at', sa.DateTime(), nullable=False),
    sa.Column('lease_until', sa.DateTime(), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=False),
    sa.Column('sent_at', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['attempt_id'], ['lti_attempt.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('attempt_id')
    )
    with op.batch_alter_table('lti_passback', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lti_passback_next_try_at'), ['next_try_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_lti_passback_status'), ['status'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('lti_passback', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lti_passback_status'))
        batch_op.drop_index(batch_op.f('ix_lti_passback_next_try_at'))

    op.drop_table('lti_passback')
    with op.batch_alter_table('lti_attempt', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lti_attempt_user_id'))
        batch_op.drop_index(batch_op.f('ix_lti_attempt_launch_id'))
        batch_op.drop_index(batch_op.f('ix_lti_attempt_context_id'))

    op.drop_table('lti_attempt')
    op.drop_table('lti_progress')
    with op.batch_alter_table('lti_launch', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lti_launch_user_id'))
        batch_op.drop_index(batch_op.f('ix_lti_launch_context_id'))

    op.drop_table('lti_launch')
    op.drop_table('lti_user')
    op.drop_table('lti_tool_key')
    with op.batch_alter_table('lti_login', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lti_login_created_at'))

    op.drop_table('lti_login')
