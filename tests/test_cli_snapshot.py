"""Every command's ``--help`` is unchanged: a snapshot of each, so moving code cannot alter it.

The command tree is walked from the Typer app itself (``typer.main.get_command`` and each
group's ``.commands``: click's, which Typer vendors), so a new command or sub-command is covered
without editing this file: its snapshot is missing until written. The helps are rendered in one
child process with a fixed width and no colour (Typer reads ``TERMINAL_WIDTH`` when it is
imported), so they do not depend on the terminal the tests run in.
``SHAREWELL_UPDATE_SNAPSHOTS=1`` rewrites the snapshots under ``tests/snapshots/cli_help/`` (one
file per command path, e.g. ``sharewell.link.review.txt``); review the diff before committing.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

SNAPSHOTS = Path(__file__).parent / "snapshots" / "cli_help"
UPDATE = os.environ.get("SHAREWELL_UPDATE_SNAPSHOTS") == "1"
WIDTH = "100"

# Run in the child: walk the click tree built from the Typer app, render each --help.
_RENDER = r"""
import contextlib, io, json, sys
import typer
from sharewell.cli import app, main

def walk(cmd, path):
    yield path
    subcommands = getattr(cmd, "commands", None) or {}  # a group's (Typer vendors click)
    for name in sorted(subcommands):
        yield from walk(subcommands[name], [*path, name])

helps = {}
for path in walk(typer.main.get_command(app), []):
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main([*path, "--help"])
    helps[".".join(["sharewell", *path])] = {"code": int(code), "text": out.getvalue()}
sys.stdout.write(json.dumps(helps))
"""


def _render_all_helps() -> dict[str, dict[str, object]]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"FORCE_COLOR", "PY_COLORS", "GITHUB_ACTIONS", "TERM", "COLORTERM"}
    }
    env |= {
        "COLUMNS": WIDTH,
        "LINES": "50",
        "TERMINAL_WIDTH": WIDTH,
        "NO_COLOR": "1",
        "_TYPER_FORCE_DISABLE_TERMINAL": "1",
    }
    done = subprocess.run(
        [sys.executable, "-c", _RENDER], env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    helps: dict[str, dict[str, object]] = json.loads(done.stdout)
    return helps


def test_every_command_help_matches_its_snapshot() -> None:
    helps = _render_all_helps()
    assert "sharewell" in helps and len(helps) > 1
    for name, help_ in helps.items():
        assert help_["code"] == 0, f"{name} --help exited {help_['code']}"
        assert help_["text"], f"{name} --help printed nothing"
    if UPDATE:
        SNAPSHOTS.mkdir(parents=True, exist_ok=True)
        for stale in SNAPSHOTS.glob("*.txt"):
            if stale.stem not in helps:
                stale.unlink()
        for name, help_ in helps.items():
            (SNAPSHOTS / f"{name}.txt").write_text(str(help_["text"]))
    stored = {p.stem for p in SNAPSHOTS.glob("*.txt")}
    missing = sorted(set(helps) - stored)
    assert not missing, f"no snapshot for {missing}: run with SHAREWELL_UPDATE_SNAPSHOTS=1"
    stale = sorted(stored - set(helps))
    assert not stale, f"snapshots of commands that no longer exist: {stale}"
    changed = [n for n, h in helps.items() if (SNAPSHOTS / f"{n}.txt").read_text() != h["text"]]
    assert not changed, (
        f"--help changed for {changed}; if meant, run with SHAREWELL_UPDATE_SNAPSHOTS=1 and "
        "review the diff"
    )
