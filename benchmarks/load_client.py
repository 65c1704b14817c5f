"""The load generator: a separate process that drives ``sharewell serve`` over loopback.

Open loop: request i is sent at ``start + i / rate`` whether or not earlier ones have
answered (a closed loop would slow down with the server and hide queueing). At most
``MAX_IN_FLIGHT`` requests wait at once; a request due when that many are outstanding is
counted as refused ("overloaded"), as a browser's user would give up, rather than queued in
the generator (which would then measure itself, not the server). Each request is
one of the front-line journeys, in a fixed mix: flag lookups (a person found, a person not
found) and the two list views; ``api_lookup_found`` / ``api_lookup_unknown`` send the same
lookups as JSON to ``/api/v1/lookup``, as a control room's system would. Prints one JSON
summary on stdout.

    python -m benchmarks.load_client --base http://127.0.0.1:8000 --rate 200 --seconds 60 \
        --password ... --lookup-json '{"given_name": ...}'
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import time
from collections import Counter
from typing import Any

import httpx

FIRE_CREW = "westshire_fire.frontline"
CRISIS_TEAM = "westshire_mht.frontline"
# Lookups are the police's (the agreement grants it the crisis flag): a crisis team member
# holds no flag grant, so its lookups are refused before any search.
OFFICER = "westshire_police.frontline"
AS_OF = "2025-12-31"
# Out of every ten requests: six lookups (half of them finding someone), two Safe and Well
# lists, two crisis cohorts.
MIX = (
    "lookup_found",
    "lookup_unknown",
    "safe_and_well",
    "lookup_found",
    "lookup_unknown",
    "crisis_cohort",
    "lookup_found",
    "lookup_unknown",
    "safe_and_well",
    "crisis_cohort",
)
MAX_IN_FLIGHT = 256
UNKNOWN = {
    "given_name": "Nobody",
    "family_name": "Atall",
    "date_of_birth": "1901-01-01",
    "postcode": "ZZ99 9ZZ",
}


async def sign_in(client: httpx.AsyncClient, username: str, password: str) -> str:
    """Sign in through the form as a browser would; the lookup form's CSRF token."""
    page = await client.get("/sign-in")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    if token is None:
        raise RuntimeError("the sign-in page has no CSRF token")
    answer = await client.post(
        "/sign-in",
        data={"username": username, "password": password, "csrf_token": token.group(1)},
    )
    if answer.status_code != 303:
        raise RuntimeError(f"sign-in as {username} failed: {answer.status_code}")
    form = await client.get("/lookup")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    if token is None:
        raise RuntimeError("the lookup page has no CSRF token")
    return token.group(1)


def request_for(
    kind: str, csrf: dict[str, str], found: dict[str, str]
) -> tuple[str, dict[str, Any]]:
    """Which signed-in user sends ``kind``, and the request's arguments."""
    if kind == "health":
        return FIRE_CREW, {"method": "GET", "url": "/api/v1/health"}
    if kind == "safe_and_well":
        return FIRE_CREW, {"method": "GET", "url": f"/safe-and-well?as_of={AS_OF}"}
    if kind == "crisis_cohort":
        return CRISIS_TEAM, {"method": "GET", "url": f"/crisis-cohort?as_of={AS_OF}"}
    details = found if kind.endswith("lookup_found") else UNKNOWN
    if kind.startswith("api_"):
        # As a control room's or A&E's system calls it: JSON, the officer's session.
        body = {"purpose": "mh_crisis_care", "as_of": AS_OF, **_iso(details)}
        return OFFICER, {"method": "POST", "url": "/api/v1/lookup", "json": body}
    data = {"csrf_token": csrf[OFFICER], "purpose": "mh_crisis_care", "as_of": AS_OF}
    return OFFICER, {"method": "POST", "url": "/lookup", "data": {**data, **details}}


def _iso(details: dict[str, str]) -> dict[str, str]:
    """The details with the date of birth as the API takes it (ISO), not as typed (d/m/Y)."""
    dob = details.get("date_of_birth", "")
    if "/" in dob:
        day, month, year = dob.split("/")
        dob = f"{year}-{month}-{day}"
    return {**details, "date_of_birth": dob}


async def run(
    base: str,
    rate: float,
    seconds: float,
    password: str,
    found: dict[str, str],
    timeout: float = 10.0,
    mix: tuple[str, ...] = MIX,
) -> dict[str, Any]:
    """Send ``rate`` requests a second for ``seconds``; statuses and latencies per kind."""
    limits = httpx.Limits(max_connections=MAX_IN_FLIGHT, max_keepalive_connections=64)
    clients = {
        user: httpx.AsyncClient(
            base_url=base, timeout=timeout, limits=limits, follow_redirects=False
        )
        for user in (FIRE_CREW, CRISIS_TEAM, OFFICER)
    }
    csrf = {user: await sign_in(client, user, password) for user, client in clients.items()}
    results: list[tuple[str, str, float]] = []
    in_flight = 0

    async def one(kind: str) -> None:
        nonlocal in_flight
        user, args = request_for(kind, csrf, found)
        began = time.perf_counter()
        in_flight += 1
        try:
            response = await clients[user].request(**args)
            outcome = str(response.status_code)
        except httpx.TimeoutException:
            outcome = "timeout"
        except httpx.TransportError as exc:
            outcome = type(exc).__name__
        finally:
            in_flight -= 1
        results.append((kind, outcome, time.perf_counter() - began))

    total = int(rate * seconds)
    tasks = []
    start = time.perf_counter()
    for i in range(total):
        delay = start + i / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        kind = mix[i % len(mix)]
        if in_flight >= MAX_IN_FLIGHT:
            results.append((kind, "overloaded", 0.0))
            continue
        tasks.append(asyncio.create_task(one(kind)))
    sent_in = time.perf_counter() - start
    await asyncio.gather(*tasks)
    elapsed = time.perf_counter() - start
    for client in clients.values():
        await client.aclose()
    return summarise(results, rate=rate, seconds=seconds, sent_in=sent_in, elapsed=elapsed)


def _percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def summarise(
    results: list[tuple[str, str, float]],
    *,
    rate: float,
    seconds: float,
    sent_in: float,
    elapsed: float,
) -> dict[str, Any]:
    """Error rate, p50/p99 of successful requests, and successes per kind (for the audit)."""
    ok = [latency for _kind, outcome, latency in results if outcome == "200"]
    outcomes = Counter(outcome for _kind, outcome, _latency in results)
    successes = Counter(kind for kind, outcome, _latency in results if outcome == "200")
    p50, p99 = _percentile(ok, 0.50), _percentile(ok, 0.99)
    return {
        "offered_rate": rate,
        "seconds": seconds,
        "sent": len(results),
        "sent_in_seconds": round(sent_in, 2),
        "elapsed_seconds": round(elapsed, 2),
        "succeeded": len(ok),
        "achieved_rate": round(len(ok) / elapsed, 1) if elapsed else 0.0,
        "error_rate": 1 - len(ok) / len(results) if results else 0.0,
        "outcomes": dict(outcomes),
        "successes_by_kind": dict(successes),
        "p50_ms": round(p50 * 1000, 1) if p50 is not None else None,
        "p99_ms": round(p99 * 1000, 1) if p99 is not None else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--base", required=True)
    parser.add_argument("--rate", type=float, default=200)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--password", required=True)
    parser.add_argument("--found", required=True, help="JSON details of a person who exists.")
    parser.add_argument("--timeout", type=float, default=10.0)
    parser.add_argument("--mix", default=",".join(MIX), help="Request kinds, comma-separated.")
    args = parser.parse_args()
    mix = tuple(args.mix.split(","))
    found = json.loads(args.found)
    summary = asyncio.run(
        run(args.base, args.rate, args.seconds, args.password, found, args.timeout, mix)
    )
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
