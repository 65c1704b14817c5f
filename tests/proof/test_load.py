"""Under load from another process, every request that succeeds leaves its audit entries."""

from __future__ import annotations

from pathlib import Path

from benchmarks.faults import Hub
from benchmarks.load import load_run
from benchmarks.proof_hub import build_hub


def test_every_successful_request_under_load_is_audited(
    tmp_path: Path, database_url: str | None, linked_hub: Hub
) -> None:
    # SQLite: the shared hub; PostgreSQL (make test's second pass): a hub on the server.
    settings = (
        build_hub(tmp_path, people=5_000, database_url=database_url)
        if database_url
        else linked_hub.settings
    )
    result = load_run(settings, rate=8, seconds=3, log=tmp_path / "serve.log")

    assert result["sent"] == 24
    assert result["error_rate"] == 0, result["outcomes"]
    audit = result["audit"]
    # each kind of request writes its entries (lists read several partners' data)
    assert all(n >= 1 for n in audit["entries_per_request"].values()), audit
    assert audit["written"] == audit["expected_for_successes"] > 0, audit
    assert audit["chain_verifies"], audit
