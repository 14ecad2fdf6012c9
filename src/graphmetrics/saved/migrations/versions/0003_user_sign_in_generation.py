"""Users' sign-in generation: signing out moves it on, ending earlier sign-in tickets.

Revision ID: 0003_user_sign_in_generation
Revises: 0002_api_tokens
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_user_sign_in_generation"
down_revision = "0002_api_tokens"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(
            sa.Column("sign_in_generation", sa.Integer(), nullable=False, server_default="0")
        )


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_column("sign_in_generation")
