"""Tables of the operational store; Alembic migrations in ``migrations/`` create them."""

from __future__ import annotations

from sqlalchemy import Column, DateTime, MetaData, String, Table

__all__ = ["hub_info", "metadata"]

# Naming convention so that constraint names are stable across SQLite and PostgreSQL.
metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

hub_info = Table(
    "hub_info",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", String(256), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)
