"""Reveal by the data provider: only its own records, only agreed fields, always logged."""

from __future__ import annotations

import csv
import hashlib
import json

import pytest

from sharewell.cli import main
from sharewell.errors import ConfigError
from sharewell.privacy.encode import load_schema
from sharewell.privacy.reveal import reveal_file

POLICE = "westshire_police/mh_incidents.csv"
SCHEMA = "mappings/westshire_police.mh_incidents.yaml"


def test_provider_reveals_only_its_own_records_and_agreed_fields(partnership, tmp_path):
    ids = tmp_path / "ids.txt"
    ids.write_text(
        "unique_id\n"
        "westshire_police:police.mh_incident:WP-0000002\n"
        "westshire_mht:mh_trust.crisis_contact:RW1-0000001\n"  # another partner's: not ours
        "westshire_police:police.mh_incident:WP-9999999\n"  # not in this extract
    )
    out, log = tmp_path / "for_fire.csv", tmp_path / "reveals.jsonl"
    result = reveal_file(
        partnership / POLICE,
        load_schema(partnership / SCHEMA),
        ids,
        ["address", "postcode"],
        out,
        partner="westshire_police",
        purpose="fire_prevention",
        recipient="westshire_fire",
        log=log,
    )
    with out.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["unique_id"] for r in rows] == ["westshire_police:police.mh_incident:WP-0000002"]
    assert set(rows[0]) == {"unique_id", "address", "postcode"}  # no name, no date of birth
    assert result.not_found == ("westshire_police:police.mh_incident:WP-9999999",)
    entry = json.loads(log.read_text())
    assert (entry["purpose"], entry["recipient"], entry["records"]) == (
        "fire_prevention",
        "westshire_fire",
        1,
    )
    assert "WP-0000002" not in log.read_text()  # the log records that, not whom


def test_reveal_log_is_a_hash_chain(partnership, tmp_path, capsys):
    ids = tmp_path / "ids.txt"
    ids.write_text("westshire_police:police.mh_incident:WP-0000001\n")
    argv = ["pprl", "reveal", str(partnership / POLICE), "--schema", str(partnership / SCHEMA)]
    argv += ["--ids", str(ids), "--fields", "address", "--out", str(tmp_path / "out.csv")]
    argv += ["--purpose", "fire_prevention", "--recipient", "westshire_fire"]
    argv += ["--partner", "westshire_police", "--log", str(tmp_path / "log.jsonl"), "--json"]
    assert main(argv) == 0
    assert main(argv) == 0
    first, second = (tmp_path / "log.jsonl").read_text().splitlines()
    assert json.loads(first)["previous"] == "0" * 64
    assert json.loads(second)["previous"] == hashlib.sha256(first.encode()).hexdigest()


def test_reveal_refuses_fields_the_extract_does_not_have(partnership, tmp_path):
    ids = tmp_path / "ids.txt"
    ids.write_text("WP-0000001\n")
    with pytest.raises(ConfigError, match="diagnosis"):
        reveal_file(
            partnership / POLICE,
            load_schema(partnership / SCHEMA),
            ids,
            ["diagnosis"],
            tmp_path / "out.csv",
            partner="westshire_police",
            purpose="fire_prevention",
            recipient="westshire_fire",
            log=tmp_path / "log.jsonl",
        )


def test_reveal_is_written_to_the_hubs_audit_log(partnership, hub_settings, tmp_path):
    from sharewell.audit import entries, verify
    from sharewell.store import init_hub, operational_engine

    init_hub(hub_settings)
    engine = operational_engine(hub_settings.operational_url(), hub_settings.audit_key_path())
    ids = tmp_path / "ids.txt"
    ids.write_text("westshire_police:police.mh_incident:WP-0000002\n")
    try:
        reveal_file(
            partnership / POLICE,
            load_schema(partnership / SCHEMA),
            ids,
            ["address"],
            tmp_path / "out.csv",
            partner="westshire_police",
            purpose="fire_prevention",
            recipient="westshire_fire",
            log=tmp_path / "log.jsonl",
            audit=engine,
            agreement_id="fire-police-2025",
        )
        [entry] = [e for e in entries(engine) if e.action == "reveal"]
        assert entry.persons == ("westshire_police:police.mh_incident:WP-0000002",)
        assert (entry.purpose, entry.agreement_id) == ("fire_prevention", "fire-police-2025")
        assert entry.detail["recipient"] == "westshire_fire"
        assert verify(engine).ok
    finally:
        engine.dispose()
