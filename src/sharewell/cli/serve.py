"""Running it: ``serve`` (the web app and API) and ``demo`` (every stage end to end)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from sharewell.cli.options import (
    HubOption,
    JsonOption,
    settings_for,
)
from sharewell.cli.output import (
    console,
    emit_json,
)
from sharewell.cli.root import app


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[
        int,
        typer.Option(
            min=1,
            max=64,
            help="Server processes sharing the port (uvicorn's supervisor restarts any that dies).",
        ),
    ] = 1,
    hub: HubOption = None,
) -> None:
    """Start the web app and API (GOV.UK-style pages, /api/v1, /openapi.json)."""
    import uvicorn

    from sharewell.web import create_app

    settings = settings_for(hub)
    if workers == 1:
        uvicorn.run(create_app(settings), host=host, port=port)
        return
    # Each worker process builds its own app from the environment: pass --hub on that way.
    os.environ["SHAREWELL_HUB_DIR"] = str(settings.hub_dir.resolve())
    uvicorn.run(
        "sharewell.web.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        # A worker warming a county's lookup index is busy for a while: the supervisor must
        # not take that for a hung worker and kill it (its default patience is 5 s).
        timeout_worker_healthcheck=120,
    )


# --- demo ---------------------------------------------------------------------------------


@app.command()
def demo(
    out: Annotated[Path, typer.Option(help="Directory for the demo hub and extracts.")] = Path(
        "demo-hub"
    ),
    people: Annotated[int, typer.Option(min=10, help="People in the synthetic county.")] = 5000,
    seed: Annotated[int, typer.Option(help="Random seed for the synthetic partnership.")] = 42,
    linkage: Annotated[
        str,
        typer.Option(
            help="plaintext (the hub links names) or pprl (partners send encodings only)."
        ),
    ] = "plaintext",
    as_json: JsonOption = False,
) -> None:
    """Run every stage end to end on a synthetic partnership and say where to look."""
    from sharewell.demo import run_demo

    summary = run_demo(
        out,
        people=people,
        seed=seed,
        console=None if as_json else console,
        linkage=linkage,  # type: ignore[arg-type]  # run_demo refuses any other value
    )
    if as_json:
        emit_json(summary)
