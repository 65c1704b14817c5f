"""A partnership whose agreements say PPRL: the hub takes encodings, refuses names in clear,
and the demo runs end to end on encodings with the same views and savings on top."""

from __future__ import annotations

import duckdb
import pytest

from sharewell.agreements import seed_demo_partnership
from sharewell.audit.log import entries
from sharewell.cli import main
from sharewell.config import Settings
from sharewell.demo import pprl_agreements, run_demo
from sharewell.partnership import hub_engine
from sharewell.privacy.encode import encode_file, load_schema
from sharewell.store import init_hub

POLICE = "westshire_police/mh_incidents.csv"
POLICE_SCHEMA = "mappings/westshire_police.mh_incidents.yaml"
IDENTIFIERS = ("given_name", "family_name", "date_of_birth", "address", "postcode", "nhs_number")


@pytest.fixture
def pprl_hub(tmp_path):
    """A hub whose demo agreements all say `linkage: pprl`."""
    settings = Settings(hub_dir=tmp_path / "hub")
    init_hub(settings)
    engine = hub_engine(settings)
    seed_demo_partnership(engine, actor="test", examples_dir=pprl_agreements(tmp_path / "dsa"))
    yield settings, engine
    engine.dispose()


def test_hub_refuses_names_from_a_partner_whose_agreement_says_pprl(pprl_hub, partnership, capsys):
    settings, engine = pprl_hub
    argv = ["ingest", str(partnership / POLICE), "--partner", "westshire_police"]
    argv += ["--mapping", str(partnership / POLICE_SCHEMA), "--hub", str(settings.hub_dir)]
    assert main(argv) != 0
    message = capsys.readouterr().err
    assert "privacy-preserving linkage" in message and "sharewell encode" in message
    assert "fire-prevention" in message or "mh-crisis-care" in message
    # Refused before anything was loaded, and the refusal is in the audit log.
    with duckdb.connect(str(settings.workspace_path()), read_only=True) as con:
        tables = {r[0] for r in con.execute("SHOW TABLES").fetchall()}
        if "person_records" in tables:
            assert con.execute("SELECT count(*) FROM person_records").fetchone() == (0,)
    [refused] = [e for e in entries(engine) if e.action == "ingest"]
    assert refused.outcome == "failed"
    assert "sharewell encode" in refused.detail["reason"]


def test_hub_loads_a_pprl_partners_encoded_file_without_any_identifier(
    pprl_hub, partnership, key, tmp_path, capsys
):
    settings, engine = pprl_hub
    schema = load_schema(partnership / POLICE_SCHEMA, ["incident_date", "incident_type"])
    upload = encode_file(
        partnership / POLICE, schema, key, tmp_path / "police.parquet", "westshire_police"
    )
    argv = ["pprl", "load", str(upload.out), "--hub", str(settings.hub_dir), "--json"]
    assert main(argv) == 0
    assert '"rows_accepted"' in capsys.readouterr().out
    with duckdb.connect(str(settings.workspace_path()), read_only=True) as con:
        rows, named = con.execute(
            "SELECT count(*), count(*) FILTER (WHERE "
            + " OR ".join(f"{c} IS NOT NULL" for c in IDENTIFIERS)
            + ") FROM person_records"
        ).fetchone()
        events = con.execute(
            "SELECT count(incident_date), count(incident_type) FROM records_police_mh_incident"
        ).fetchone()
    assert rows > 0.95 * upload.records  # (ingest quarantines rows with no event date)
    assert named == 0
    assert events[0] > 0 and events[1] > 0  # the events the agreement lets through are there
    [loaded] = [e for e in entries(engine) if e.action == "ingest"]
    assert loaded.outcome == "ok"


def test_plaintext_agreements_still_take_names(tmp_path, partnership, capsys):
    settings = Settings(hub_dir=tmp_path / "hub")
    init_hub(settings)
    engine = hub_engine(settings)
    try:
        seed_demo_partnership(engine, actor="test")
    finally:
        engine.dispose()
    argv = ["ingest", str(partnership / POLICE), "--partner", "westshire_police"]
    argv += ["--mapping", str(partnership / POLICE_SCHEMA), "--hub", str(settings.hub_dir)]
    assert main([*argv, "--json"]) == 0


def test_demo_runs_on_encodings_with_views_and_savings_on_top(tmp_path):
    out = tmp_path / "demo"
    summary = run_demo(out, people=300, seed=2, console=None, linkage="pprl")
    stages = summary.stages
    assert stages["partnership and agreements"]["linkage mode (in every agreement)"] == "pprl"
    linkage = stages["privacy-preserving linkage"]
    assert float(linkage["pairwise precision (against the truth file)"]) >= 0.95
    assert float(linkage["pairwise recall (against the truth file)"]) >= 0.95
    # The secret stays with the partners, outside the hub's directory.
    assert (out / "partners" / "partnership.key").is_file()
    assert not list((out / "hub").rglob("*.key"))
    with duckdb.connect(str(out / "hub" / "workspace.duckdb"), read_only=True) as con:
        named = con.execute(
            "SELECT count(*) FROM person_records WHERE "
            + " OR ".join(f"{c} IS NOT NULL" for c in IDENTIFIERS)
        ).fetchone()
        indexed = con.execute("SELECT count(DISTINCT unique_id) FROM person_index").fetchone()
        kind = con.execute("SELECT DISTINCT kind FROM linkage_runs").fetchall()
    assert named == (0,)
    assert indexed[0] == linkage["records"]
    assert kind == [("pprl",)]
    # The crisis cohort and savings run on the PPRL person index as on plaintext linkage.
    cohort = stages["crisis cohort for westshire_mht.frontline"]
    assert cohort["people in repeated crisis"] > 0
    assert cohort["seen by 2+ agencies"] > 0
    # 300 people give fewer safe haven referrals than an evaluation needs: the measurement ran
    # on the PPRL index, through the governed path, and refused to estimate from so few.
    haven = stages["savings"]["safe haven evidence"]
    assert "measured from linked data" in haven or "at least 50 matched" in haven
    assert (out / "savings" / "savings-report.html").is_file()
    # Names reach the crisis team only from the providers, each reveal logged and audited.
    revealed = stages["names for westshire_mht.frontline, revealed by the providers"]
    assert revealed["westshire_police: records revealed"] > 0
    handed = (out / "partners" / "westshire_police" / "for_westshire_mht.csv").read_text()
    assert handed.splitlines()[0] == "unique_id,given_name,family_name,date_of_birth"
    assert len(handed.splitlines()) == revealed["westshire_police: records revealed"] + 1
    engine = hub_engine(Settings(hub_dir=out / "hub"))
    try:
        reveals = [e for e in entries(engine) if e.action == "reveal"]
    finally:
        engine.dispose()
    for_crisis = [e for e in reveals if e.purpose == "mh_crisis_care"]
    assert {e.organisation for e in for_crisis} == {"westshire_police", "westshire_ambulance"}
    assert all(e.agreement_id == "mh-crisis-care" for e in for_crisis)
    # The visit list works on encodings too; its addresses come from the registers' holders.
    assert stages["Safe and Well list for westshire_fire.frontline"]["households ranked"] > 0
    for_fire = [e for e in reveals if e.purpose == "fire_prevention"]
    assert for_fire and {e.organisation for e in for_fire} <= {"westshire_icb", "westshire_cc"}
    assert {e.purpose for e in reveals} == {"mh_crisis_care", "fire_prevention"}


def test_a_web_upload_of_names_from_a_pprl_partner_is_refused_too(pprl_hub, partnership):
    from sharewell.errors import IngestError
    from sharewell.ingest.mapping import load_mapping
    from sharewell.web.upload_jobs import load_upload

    settings, engine = pprl_hub
    mapping = load_mapping(partnership / POLICE_SCHEMA)
    with pytest.raises(IngestError, match="sharewell encode"):
        load_upload(
            settings,
            engine,
            path=partnership / POLICE,
            username="westshire_police.analyst",
            organisation="westshire_police",
            source_type=mapping.source_type,
            mapping=mapping,
        )
    [refused] = [e for e in entries(engine) if e.action == "ingest"]
    assert refused.outcome == "failed" and refused.actor == "westshire_police.analyst"
