"""Web benchmarks: a signed-in page vs the health check; an upload through the API vs ingest."""

from __future__ import annotations

import re
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

Row = dict[str, Any]  # as in benchmarks.registry (not imported: the registry imports us)


def _median_ms(client: Any, url: str, n: int) -> float:
    times = []
    for _ in range(n):
        start = time.perf_counter()
        response = client.get(url)
        times.append(time.perf_counter() - start)
        assert response.status_code == 200, (url, response.status_code)
    return statistics.median(times) * 1000


def bench_web(quick: bool = False) -> list[Row]:
    """Median latency of the agreements page for a signed-in IG lead, in-process."""
    from fastapi.testclient import TestClient

    from sharewell.agreements import seed_demo_partnership
    from sharewell.config import Settings
    from sharewell.partnership import hub_engine
    from sharewell.partnership.accounts import set_password
    from sharewell.store.hub import init_hub
    from sharewell.web import create_app

    n = 20 if quick else 200
    password = "benchmark password 1"
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(hub_dir=Path(tmp) / "hub")
        init_hub(settings)
        engine = hub_engine(settings)
        seed_demo_partnership(engine, actor="bench")
        set_password(engine, "westshire_fire.ig_lead", password, actor="bench")
        app = create_app(settings)
        client = TestClient(app)
        form = client.get("/sign-in").text
        token = re.search(r'name="csrf_token" value="([^"]+)"', form)
        assert token is not None
        client.post(
            "/sign-in",
            data={
                "username": "westshire_fire.ig_lead",
                "password": password,
                "csrf_token": token.group(1),
            },
        )
        page = _median_ms(client, "/agreements", n)
        floor = _median_ms(client, "/api/v1/health", n)
        upload_rows = _upload_rows(settings, engine, app, password, quick)
        engine.dispose()
        app.state.engine.dispose()
    return [
        upload_rows,
        {
            "benchmark": "web: signed-in agreements page (median)",
            "size": n,
            "value": f"{page:.1f} ms",
            "baseline": f"{floor:.1f} ms",
            "baseline_name": "health check (no session, no store, no template)",
            "ratio": page / floor,
            "target": "under 100 ms per page",
        },
    ]


def _extract(path: Path, rows: int) -> None:
    given = ["ann", "bob", "cat", "dan", "eve", "fay", "gus", "hal"]
    family = ["smith", "jones", "brown", "patel", "okafor", "hughes", "rowe", "clarke"]
    with path.open("w", encoding="utf-8") as out:
        out.write("record_id,given_name,family_name,date_of_birth,sex,postcode\n")
        for i in range(rows):
            dob = f"19{40 + i % 50}-{1 + i % 12:02d}-{1 + i % 28:02d}"
            out.write(
                f"P{i},{given[i % 8]},{family[i // 8 % 8]},{dob},"
                f"{'female' if i % 2 else 'male'},WS{1 + i % 9} {i % 10}AA\n"
            )


def _upload_rows(settings: Any, engine: Any, app: Any, password: str, quick: bool) -> Row:
    """Rows per second loaded through POST /api/v1/uploads vs ingest called directly."""
    from fastapi.testclient import TestClient

    from sharewell.ingest import ingest_file
    from sharewell.partnership.accounts import set_password
    from sharewell.store import Workspace

    rows = 5_000 if quick else 100_000
    path = settings.hub_dir.parent / "extract.csv"
    _extract(path, rows)
    set_password(engine, "westshire_fire.analyst", password, actor="bench")
    client = TestClient(app)
    form = client.get("/sign-in").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', form)
    assert token is not None
    client.post(
        "/sign-in",
        data={
            "username": "westshire_fire.analyst",
            "password": password,
            "csrf_token": token.group(1),
        },
    )
    start = time.perf_counter()
    with path.open("rb") as fh:
        response = client.post(
            "/api/v1/uploads",
            data={"source_type": "person"},
            files={"extract": ("extract.csv", fh, "text/csv")},
        )
    web_s = time.perf_counter() - start
    assert response.status_code == 201, response.text[:300]
    # The same file, directly (another partner, so it is a fresh load, not a recognised one).
    start = time.perf_counter()
    with Workspace(settings.workspace_path()) as ws:
        ingest_file(ws, partner="westshire_cc", path=path, source_type="person", loaded_by="bench")
    direct_s = time.perf_counter() - start
    return {
        "benchmark": "web: extract uploaded through POST /api/v1/uploads",
        "size": rows,
        "value": f"{rows / web_s:,.0f} rows/s",
        "baseline": f"{rows / direct_s:,.0f} rows/s",
        "baseline_name": "ingest_file on the same file (no HTTP, no audit)",
        "ratio": direct_s / web_s,
        "target": "within 80% of ingest's own rate",
    }
