"""Pages declare their dashboard variables: ``[{"name": ..., "pattern": ...}]``.

Every existing page gets an empty list (it declares none: the built-in ``$customer``
and ``$host`` still serve its graphs, see README.md, "Dashboard variables").

Revision ID: 0005_page_variables
Revises: 0004_user_identity
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_page_variables"
down_revision = "0004_user_identity"
branch_labels = None
depends_on = None


# Plain ADD and DROP COLUMN, no batch mode: SQLite's batch copies the table and drops
# the old one, and with foreign keys on, the drop cascades to every graph (see 0004).


def upgrade() -> None:
    op.add_column("pages", sa.Column("variables", sa.JSON(), nullable=False, server_default="[]"))


def downgrade() -> None:
    op.drop_column("pages", "variables")
