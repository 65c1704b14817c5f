"""Upload jobs in the operational store, so every web worker sees every upload's progress.

Revision ID: 0005
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "upload_jobs",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column(
            "username",
            sa.String(64),
            sa.ForeignKey("users.username", name="fk_upload_jobs_username_users"),
            nullable=False,
        ),
        sa.Column("organisation", sa.String(64), nullable=False),
        sa.Column("file_name", sa.String(500), nullable=False),
        sa.Column("source_type", sa.String(64), nullable=False),
        sa.Column("stage", sa.String(500), nullable=False),
        sa.Column("step", sa.Integer, nullable=False),
        sa.Column("started", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished", sa.DateTime(timezone=True)),
        sa.Column("dataset_version", sa.Integer),
        sa.Column("recognised", sa.Boolean, nullable=False),
        sa.Column("error", sa.Text),
        sa.Column("upload_dir", sa.Text),
        sa.Column("path", sa.Text, nullable=False),
        sa.Column("mapping", sa.Text),
        sa.Column("preview", sa.Text),
        sa.Column("decided", sa.Boolean, nullable=False),
        sa.Column("kept_current", sa.Boolean, nullable=False),
        sa.Column("worker", sa.String(200), nullable=False),
    )
    op.create_index("ix_upload_jobs_started", "upload_jobs", ["started"])


def downgrade() -> None:
    op.drop_index("ix_upload_jobs_started", table_name="upload_jobs")
    op.drop_table("upload_jobs")
