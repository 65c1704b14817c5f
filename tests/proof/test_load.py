"""Under load from another process, every request that succeeds leaves its audit entries."""

from __future__ import annotations

from pathlib import Path

from benchmarks.load import load_run
from benchmarks.proof_hub import build_hub


def test_every_successful_request_under_load_is_audited(
    tmp_path: Path, database_url: str | None
) -> None:
    # SQLite here; PostgreSQL too when make test runs the operational tests on it.
    settings = build_hub(tmp_path, people=5_000, database_url=database_url)
    result = load_run(settings, rate=8, seconds=3, log=tmp_path / "serve.log")

    assert result["sent"] == 24
    assert result["error_rate"] == 0, result["outcomes"]
    audit = result["audit"]
    # each kind of request writes its entries (lists read several partners' data)
    assert all(n >= 1 for n in audit["entries_per_request"].values()), audit
    assert audit["written"] == audit["expected_for_successes"] > 0, audit
    assert audit["chain_verifies"], audit
