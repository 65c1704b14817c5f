"""Record linkage: find the same person across every partner's records (Splink)."""

from sharewell.linkage.run import RunSummary, link_workspace

__all__ = ["RunSummary", "link_workspace"]
