"""Past its limit of requests in flight the web app answers 503 at once, and recovers."""

from __future__ import annotations

import asyncio

import httpx
from fastapi.responses import PlainTextResponse
from starlette.types import Receive, Scope, Send

from sharewell.config import Settings
from sharewell.web.app import LoadShedding


def test_requests_past_the_limit_are_shed_with_retry_after_and_served_again_after() -> None:
    release = asyncio.Event()
    started = 0

    async def slow_app(scope: Scope, receive: Receive, send: Send) -> None:
        nonlocal started
        started += 1
        await release.wait()
        await PlainTextResponse("done")(scope, receive, send)

    async def scenario() -> None:
        app = LoadShedding(slow_app, limit=2)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://hub") as client:
            busy = [asyncio.create_task(client.get("/safe-and-well")) for _ in range(2)]
            while started < 2:
                await asyncio.sleep(0)
            shed = await asyncio.wait_for(client.get("/api/v1/lookup"), timeout=5)
            assert shed.status_code == 503
            assert shed.headers["Retry-After"] == "1"
            assert shed.json()["error"]["kind"] == "Overloaded"
            assert started == 2  # the shed request did no work
            health = asyncio.create_task(client.get("/api/v1/health"))
            while started < 3:  # the health check is never shed
                await asyncio.sleep(0)
            release.set()
            assert [r.status_code for r in await asyncio.gather(*busy, health)] == [200] * 3
            assert (await client.get("/safe-and-well")).status_code == 200
            assert app.in_flight == 0

    asyncio.run(scenario())


def test_the_limit_is_a_setting_with_a_sane_default() -> None:
    assert Settings().max_in_flight == 16
    assert Settings(max_in_flight=8).max_in_flight == 8
