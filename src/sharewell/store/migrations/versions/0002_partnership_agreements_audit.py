"""Governance: organisations, users, purposes, versioned agreements, hash-chained audit log.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

# Hash the first audit entry chains to (no entry before it).
GENESIS_HASH = "0" * 64

# Append-only in the database itself, not only by convention in the code: updates and
# deletes of audit rows are refused. (Someone who can drop a trigger can still tamper;
# the hash chain is what detects that.)
GUARDED = ("audit_log", "audit_persons")


def _guard_audit_tables() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for table in GUARDED:
            for verb in ("update", "delete"):
                op.execute(
                    f"CREATE TRIGGER {table}_no_{verb} BEFORE {verb.upper()} ON {table} "
                    f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END"
                )
    elif dialect == "postgresql":
        op.execute(
            "CREATE FUNCTION sharewell_append_only() RETURNS trigger AS $$ BEGIN "
            "RAISE EXCEPTION '% is append-only', TG_TABLE_NAME; END; $$ LANGUAGE plpgsql"
        )
        for table in GUARDED:
            op.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION sharewell_append_only()"
            )


def _unguard_audit_tables() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for table in GUARDED:
            for verb in ("update", "delete"):
                op.execute(f"DROP TRIGGER IF EXISTS {table}_no_{verb}")
    elif dialect == "postgresql":
        for table in GUARDED:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
        op.execute("DROP FUNCTION IF EXISTS sharewell_append_only()")


def upgrade() -> None:
    op.create_table(
        "organisations",
        sa.Column("slug", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("type", sa.String(32), nullable=False),
        sa.Column("code", sa.String(16), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("code", name="uq_organisations_code"),
    )
    op.create_table(
        "purposes",
        sa.Column("slug", sa.String(64), primary_key=True),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("description", sa.Text, nullable=False),
    )
    op.create_table(
        "users",
        sa.Column("username", sa.String(64), primary_key=True),
        sa.Column("display_name", sa.String(200), nullable=False),
        sa.Column(
            "organisation",
            sa.String(64),
            sa.ForeignKey("organisations.slug", name="fk_users_organisation_organisations"),
            nullable=False,
        ),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=True),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "agreements",
        sa.Column("agreement_id", sa.String(64), primary_key=True),
        sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("document", sa.Text, nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("source_file", sa.String(500), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by", sa.String(64), nullable=False),
    )
    op.create_table(
        "audit_log",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("recorded_at", sa.String(40), nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("organisation", sa.String(64), nullable=True),
        sa.Column("role", sa.String(16), nullable=True),
        sa.Column("purpose", sa.String(64), nullable=True),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("target", sa.Text, nullable=False),
        sa.Column("agreement_id", sa.String(64), nullable=True),
        sa.Column("agreement_version", sa.Integer, nullable=True),
        sa.Column("persons", sa.Text, nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("detail", sa.Text, nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.UniqueConstraint("hash", name="uq_audit_log_hash"),
    )
    op.create_index("ix_audit_log_agreement_id", "audit_log", ["agreement_id"])
    op.create_table(
        "audit_persons",
        sa.Column(
            "seq",
            sa.Integer,
            sa.ForeignKey("audit_log.seq", name="fk_audit_persons_seq_audit_log"),
            primary_key=True,
            autoincrement=False,
        ),
        sa.Column("person_id", sa.String(64), primary_key=True),
    )
    op.create_index("ix_audit_persons_person_id", "audit_persons", ["person_id"])
    head = op.create_table(
        "audit_chain_head",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
    )
    op.bulk_insert(head, [{"id": 1, "seq": 0, "hash": GENESIS_HASH}])
    _guard_audit_tables()


def downgrade() -> None:
    _unguard_audit_tables()
    op.drop_table("audit_chain_head")
    op.drop_index("ix_audit_persons_person_id", table_name="audit_persons")
    op.drop_table("audit_persons")
    op.drop_index("ix_audit_log_agreement_id", table_name="audit_log")
    op.drop_table("audit_log")
    op.drop_table("agreements")
    op.drop_table("users")
    op.drop_table("purposes")
    op.drop_table("organisations")
