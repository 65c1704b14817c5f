"""The CLI lists its commands, reports in JSON, and maps errors to distinct exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sharewell.cli import ExitCode, app, main


def test_help_lists_every_command_with_a_description(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == ExitCode.OK
    out = capsys.readouterr().out
    for command in app.registered_commands:
        name = command.name or command.callback.__name__  # type: ignore[union-attr]
        assert name in out
        assert command.callback is not None and command.callback.__doc__, name


def test_init_json_reports_the_hub(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["init", str(tmp_path / "hub"), "--json"]) == ExitCode.OK
    report = json.loads(capsys.readouterr().out)
    assert report["created"] is True
    assert report["workspace_path"].endswith("workspace.duckdb")

    assert main(["init", str(tmp_path / "hub"), "--json"]) == ExitCode.OK
    assert json.loads(capsys.readouterr().out)["created"] is False


def test_bad_input_and_bad_usage_have_different_exit_codes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a_file = tmp_path / "not-a-dir"
    a_file.write_text("x")
    assert main(["init", str(a_file)]) == ExitCode.BAD_INPUT
    assert "not a directory" in capsys.readouterr().err
    assert main(["init", "--no-such-option"]) == ExitCode.USAGE
