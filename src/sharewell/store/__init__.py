"""The two stores: the operational store (SQLAlchemy) and the analytic workspace (DuckDB)."""

from sharewell.store.hub import HubStatus, init_hub
from sharewell.store.operational import migrate, operational_engine
from sharewell.store.workspace import Workspace

__all__ = ["HubStatus", "Workspace", "init_hub", "migrate", "operational_engine"]
