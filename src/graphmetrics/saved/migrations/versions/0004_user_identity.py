"""Accounts keyed on the provider's identity; user names unique whatever their case.

``oidc_issuer`` + ``oidc_subject`` (the ID token's ``iss`` and ``sub``) become the key
of an account signed in through OpenID Connect.  Accounts made before this revision
have neither: nobody is attached to them by a name the token suggests; an operator
binds each to its person with ``graphmetrics-web identity bind USER ISSUER SUBJECT``
(docs/operations.md, "Accounts and identities").

Names differing only in case (``ALICE``, ``alice``) become distinct: the oldest
account keeps its name, each later one is renamed ``<name>-<id>`` (logged), then a
unique index on ``lower(name)`` keeps it so.

Revision ID: 0004_user_identity
Revises: 0003_user_sign_in_generation
Create Date: 2026-12-06
"""

from __future__ import annotations

import logging

import sqlalchemy as sa
from alembic import op

revision = "0004_user_identity"
down_revision = "0003_user_sign_in_generation"
branch_labels = None
depends_on = None

log = logging.getLogger("graphmetrics.saved.migrations")


def _rename_case_duplicates() -> None:
    connection = op.get_bind()
    users = sa.table("users", sa.column("id", sa.Integer), sa.column("name", sa.String))
    rows = connection.execute(sa.select(users.c.id, users.c.name).order_by(users.c.id)).all()
    taken = {name.lower() for _, name in rows}
    seen: set[str] = set()
    for user_id, name in rows:
        key = name.lower()
        if key not in seen:
            seen.add(key)
            continue
        new = f"{name[: 63 - len(str(user_id))]}-{user_id}"
        while new.lower() in taken:
            new = f"{new[:62]}-x"
        taken.add(new.lower())
        connection.execute(users.update().where(users.c.id == user_id).values(name=new))
        log.warning("user %r renamed %r: another account is %r in another case", name, new, key)


def upgrade() -> None:
    # Plain ADD COLUMN and unique indexes: SQLite's batch mode would copy the table and
    # drop the old one, and with foreign keys on, the drop cascades to every page.
    op.add_column("users", sa.Column("oidc_issuer", sa.String(length=255), nullable=True))
    op.add_column("users", sa.Column("oidc_subject", sa.String(length=255), nullable=True))
    op.create_index("uq_users_oidc_identity", "users", ["oidc_issuer", "oidc_subject"], unique=True)
    _rename_case_duplicates()
    op.create_index("uq_users_name_lower", "users", [sa.text("lower(name)")], unique=True)


def downgrade() -> None:
    op.drop_index("uq_users_name_lower", table_name="users")
    op.drop_index("uq_users_oidc_identity", table_name="users")
    op.drop_column("users", "oidc_subject")
    op.drop_column("users", "oidc_issuer")
