"""Every command that shows partner data leaves an audit entry with its purpose.

Each command of the CLI is classified: it reads partner data (and is run below, as a user
allowed to, checking the entries it wrote), or it says why it does not. A new command fails
``test_every_command_is_classified`` until someone decides which it is.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer

from sharewell.audit import entries
from sharewell.cli import ExitCode, app, main
from sharewell.config import Settings
from sharewell.demo import build_linked_hub
from sharewell.partnership import hub_engine
from tests.web.conftest import someone_in_crisis

AS_OF = "2024-12-31"

# command -> (user, extra arguments, purpose its entries carry); {tmp} is a temporary folder
PARTNER_READS: dict[str, tuple[str, list[str], str]] = {
    "risk list": ("westshire_fire.frontline", ["--as-of", AS_OF], "fire_prevention"),
    "risk calibrate": ("westshire_fire.analyst", ["--cutoff", "2023-12-31"], "fire_prevention"),
    "crisis cohort": ("westshire_mht.frontline", ["--as-of", AS_OF], "mh_crisis_care"),
    "lookup": ("westshire_police.frontline", ["--purpose", "mh_crisis_care"], "mh_crisis_care"),
    "link review": ("westshire_mht.analyst", ["--limit", "50"], "mh_crisis_care"),
    "savings evidence": ("westshire_cc.analyst", [], "service_evaluation"),
}
"""Commands that show partner records or figures computed from them across partners."""

SMALL_COUNTY_REFUSES = {"risk calibrate", "savings evidence"}
"""Commands that read, then find the demo county too small to conclude anything from."""

NOT_PARTNER_DATA: dict[str, str] = {
    "init": "creates a hub",
    "synth": "writes a synthetic partnership",
    "ingest": "loads a partner's own extract (audited as ingest)",
    "datasets": "the registry of loads: counts, no records",
    "link-files": "links two files the user holds, outside any hub",
    "link": "runs linkage inside the hub; prints counts",
    "link decide": "records a decision (audited as linkage_decision under its purpose)",
    "link report": "the model's quality for the hub's operator: no record values (withheld)",
    "flag-access": "the audit log's reads of an owner's flags",
    "encode": "runs on a partner's own machine over its own extract",
    "serve": "the web app (its routes: tests/web/test_partner_reads_audited.py)",
    "demo": "a synthetic county end to end (its views run as users, audited)",
    "org add": "partnership data",
    "org list": "partnership data",
    "user add": "partnership data",
    "user list": "partnership data",
    "partnership load": "partnership data",
    "partnership seed-demo": "partnership data",
    "agreement add": "an agreement",
    "agreement list": "agreements",
    "agreement show": "an agreement",
    "agreement check": "an agreement file",
    "agreement suspend": "an agreement change",
    "audit verify": "the chain's check",
    "audit person": "who saw a person, from the audit log: --user (IG lead or admin), recorded",
    "audit agreement": "an agreement's use from the audit log",
    "audit checkpoint": "a signed (entry number, hash) of the audit chain: no records",
    "audit check-checkpoint": "checks a checkpoint's signature on a partner's machine",
    "audit reseal": "reseals the chain head on record (audited): no records",
    "audit rotate-key": "rotates the audit key (pinned in the key file): no records",
    "retention run": "deletes data past retention: counts only, audited",
    "savings ask": "an appraisal from templates and unit costs",
    "savings report": "appraisals from templates and unit costs",
    "savings unit-costs": "the unit cost library",
    "pprl load": "loads partners' encodings (no identifiers)",
    "pprl link": "links encodings inside the hub; prints counts",
    "pprl reveal": "run by the provider over its own extract, logged and audited",
    "token add": "an API token",
    "token list": "API tokens",
    "token revoke": "an API token",
}


def _commands(group: Any, prefix: str = "") -> Iterator[str]:
    for name, command in getattr(group, "commands", {}).items():
        full = f"{prefix} {name}".strip()
        if hasattr(command, "commands"):
            if getattr(command, "invoke_without_command", False) or command.callback:
                yield full
            yield from _commands(command, full)
        else:
            yield full


def test_every_command_is_classified() -> None:
    commands = set(_commands(typer.main.get_command(app)))
    unclassified = commands - set(PARTNER_READS) - set(NOT_PARTNER_DATA)
    assert not unclassified, (
        "commands nobody has said whether they show partner data (add each to PARTNER_READS,"
        f" run and audited, or NOT_PARTNER_DATA with why): {sorted(unclassified)}"
    )
    assert not (set(PARTNER_READS) | set(NOT_PARTNER_DATA)) - commands, "commands that are gone"


@pytest.fixture(scope="module")
def linked(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """The demo county (3,000 people), ingested and linked, as `make demo` builds it."""
    root = tmp_path_factory.mktemp("cli-reads")
    settings, _ = build_linked_hub(root, people=3000, seed=42, settings=Settings())
    return settings


def _someone_in_crisis(settings: Settings) -> list[str]:
    given, family, dob, postcode = someone_in_crisis(
        settings, "strftime(date_of_birth, '%d/%m/%Y')"
    )
    return ["--given-name", given, "--family-name", family, "--dob", dob, "--postcode", postcode]


@pytest.mark.parametrize("command", sorted(PARTNER_READS))
def test_each_command_reading_partner_data_is_audited(
    linked: Settings, command: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    user, extra, purpose = PARTNER_READS[command]
    if command == "lookup":
        extra = [*extra, *_someone_in_crisis(linked), "--as-of", AS_OF]
    engine = hub_engine(linked)
    try:
        before = max((e.seq for e in entries(engine)), default=0)
        args = [*command.split(), "--user", user, *extra, "--hub", str(linked.hub_dir), "--json"]
        # A county of 3,000 has too few past fires to calibrate on, and too few safe haven
        # referrals to estimate from: the command says so after its governed reads, which are
        # on record all the same (a computation that stopped is a "failed" entry).
        small = command in SMALL_COUNTY_REFUSES
        ok = {ExitCode.OK, ExitCode.BAD_INPUT} if small else {ExitCode.OK}
        assert main(args) in ok, capsys.readouterr().err
        written = [e for e in entries(engine) if e.seq > before and e.actor == user]
        # without --user the same command is refused as a usage error, reading nothing
        without = [a for a in args if a != user and a != "--user"]
        assert main(without) == ExitCode.USAGE
    finally:
        engine.dispose()
    outcomes = ("allow", "failed") if command in SMALL_COUNTY_REFUSES else ("allow",)
    reads = [e for e in written if e.action in ("access", "export") and e.outcome in outcomes]
    assert reads, (command, [(e.action, e.outcome, e.purpose) for e in written])
    assert {e.purpose for e in reads} == {purpose}, command
    assert all(e.agreement_id for e in reads), command
