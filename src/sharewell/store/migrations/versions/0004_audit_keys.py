"""Keyed audit: each entry records the audit key that sealed it; the chain head is sealed.

Revision ID: 0004
Revises: 0003

Entries already in the log keep a NULL ``key_id``: they were sealed with plain SHA-256 and
stay verifiable as such. ``sharewell init`` then creates the hub's first audit key (outside
the database), which pins the last of them and seals every entry after.
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Adding a nullable column rewrites no row, so the append-only triggers are untouched.
    op.add_column("audit_log", sa.Column("key_id", sa.String(32), nullable=True))
    op.add_column("audit_chain_head", sa.Column("key_id", sa.String(32), nullable=True))
    op.add_column("audit_chain_head", sa.Column("seal", sa.String(64), nullable=True))


def downgrade() -> None:
    # ALTER TABLE ... DROP COLUMN (SQLite 3.35+), not a table copy: the triggers stay.
    op.drop_column("audit_chain_head", "seal")
    op.drop_column("audit_chain_head", "key_id")
    op.drop_column("audit_log", "key_id")
