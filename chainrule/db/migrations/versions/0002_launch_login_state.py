"""A launch remembers the login it consumed, so that its own browser can reload the page

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('lti_launch', schema=None) as batch_op:
        batch_op.add_column(sa.Column('login_state', sa.String(length=100), nullable=True))
        batch_op.create_index(batch_op.f('ix_lti_launch_login_state'), ['login_state'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('lti_launch', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lti_launch_login_state'))
        batch_op.drop_column('login_state')
