"""Web benchmark: a signed-in page (session, governed read, GOV.UK render) vs the health check."""

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
    from sharewell.store.hub import init_hub
    from sharewell.web import create_app
    from sharewell.web.accounts import set_password

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
        engine.dispose()
        app.state.engine.dispose()
    return [
        {
            "benchmark": "web: signed-in agreements page (median)",
            "size": n,
            "value": f"{page:.1f} ms",
            "baseline": f"{floor:.1f} ms",
            "baseline_name": "health check (no session, no store, no template)",
            "ratio": page / floor,
            "target": "under 100 ms per page",
        }
    ]
