"""Front-line views on a linked synthetic partnership: only what the agreements grant, audited."""

from __future__ import annotations

import csv
import json
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import openpyxl
import pytest

from sharewell.audit import entries, verify
from sharewell.cli import ExitCode, main
from sharewell.errors import AccessDenied
from sharewell.synth import SynthConfig
from sharewell.views.crisis_care import cohort_summary, crisis_cohort_for
from sharewell.views.export import export_visit_list
from sharewell.views.linked_reads import linked_read
from sharewell.views.lookup import WorkspaceCandidates, flag_access_report, lookup
from sharewell.views.safe_and_well import safe_and_well_list

from .conftest import LinkedHub

AS_OF = SynthConfig().history_end
FIRE_CREW = "westshire_fire.frontline"
CRISIS_TEAM = "westshire_mht.frontline"
POLICE_OFFICER = "westshire_police.frontline"


def test_fire_crew_list_is_ranked_explained_and_audited(linked_hub: LinkedHub) -> None:
    before = len(entries(linked_hub.engine))
    visits = safe_and_well_list(
        linked_hub.engine, linked_hub.workspace.conn, username=FIRE_CREW, as_of=AS_OF
    )
    assert len(visits.households) > 100
    scores = [h.risk.logit for h in visits.households]
    assert scores == sorted(scores, reverse=True)
    top = visits.households[0]
    assert top.address and top.postcode and top.names
    assert top.risk.reasons != "no recorded risk factors"
    # one audit entry per source read, each naming the people whose data was seen; every
    # source the agreement does not grant is a refusal, also on record
    logged = entries(linked_hub.engine)[before:]
    allowed = [e for e in logged if e.outcome == "allow"]
    assert [e.seq for e in allowed] == list(visits.audit_seqs)
    assert len(allowed) >= 5 and all(e.persons for e in allowed)
    assert len(logged) - len(allowed) == len(visits.withheld)
    assert all(e.actor == FIRE_CREW for e in logged)
    assert verify(linked_hub.engine).ok


def test_fire_crew_cannot_see_diagnosis(linked_hub: LinkedHub) -> None:
    with pytest.raises(AccessDenied):
        linked_read(
            linked_hub.engine,
            linked_hub.workspace.conn,
            username=FIRE_CREW,
            purpose="fire_prevention",
            source="mh_trust.crisis_contact",
            level="identifiable",
            fields=["diagnosis"],
            as_of=AS_OF,
        )
    visits = safe_and_well_list(
        linked_hub.engine, linked_hub.workspace.conn, username=FIRE_CREW, as_of=AS_OF
    )
    diagnoses = {
        str(r[0]).lower()
        for r in linked_hub.workspace.conn.execute(
            "SELECT DISTINCT diagnosis FROM records_mh_trust_crisis_contact "
            "WHERE diagnosis IS NOT NULL"
        ).fetchall()
    }
    shown = " ".join(h.risk.reasons.lower() for h in visits.households)
    assert diagnoses and not any(d in shown for d in diagnoses)
    police_flags = linked_read(
        linked_hub.engine,
        linked_hub.workspace.conn,
        username=FIRE_CREW,
        purpose="fire_prevention",
        source="police.mh_incident",
        level="flag_only",
        fields=["mh_crisis_contact_last_12m"],
        as_of=AS_OF,
    )
    assert police_flags.rows
    assert all(set(r) == {"person_id", "mh_crisis_contact_last_12m"} for r in police_flags.rows)


def test_a_user_of_another_purpose_gets_nothing(linked_hub: LinkedHub) -> None:
    with pytest.raises(AccessDenied):
        crisis_cohort_for(
            linked_hub.engine, linked_hub.workspace.conn, username=FIRE_CREW, as_of=AS_OF
        )
    with pytest.raises(AccessDenied):
        safe_and_well_list(
            linked_hub.engine, linked_hub.workspace.conn, username=CRISIS_TEAM, as_of=AS_OF
        )
    denials = [e for e in entries(linked_hub.engine) if e.outcome == "deny"]
    assert {e.actor for e in denials} >= {FIRE_CREW, CRISIS_TEAM}


def test_crisis_cohort_joins_agencies_and_suppresses_small_numbers(linked_hub: LinkedHub) -> None:
    cohort = crisis_cohort_for(
        linked_hub.engine, linked_hub.workspace.conn, username=CRISIS_TEAM, as_of=AS_OF
    )
    assert cohort.members
    assert any(len(m.agencies) > 1 for m in cohort.members)
    for member in cohort.members:
        assert member.crisis_contacts >= 3
        assert all(AS_OF - timedelta(days=365) <= e.event_date <= AS_OF for e in member.timeline)
    summary = cohort_summary(cohort, min_cell_size=10)
    assert sum(c["count"] or 0 for c in summary) + sum(
        1 for c in summary if c["suppressed"]
    ) <= len(cohort.members)
    for cell in summary:
        assert cell["suppressed"] == (cell["count"] is None)
        assert cell["count"] is None or cell["count"] >= 10


def _recent_crisis_people(hub: LinkedHub) -> list[tuple[str, str, date, str]]:
    return hub.workspace.conn.execute(
        "SELECT DISTINCT given_name, family_name, date_of_birth, postcode "
        "FROM records_mh_trust_crisis_contact "
        "WHERE contact_date > ? AND given_name IS NOT NULL AND family_name IS NOT NULL "
        "AND date_of_birth IS NOT NULL AND postcode IS NOT NULL ORDER BY 2, 1 LIMIT 20",
        [AS_OF - timedelta(days=300)],
    ).fetchall()


def test_police_lookup_shows_only_the_granted_flag_and_tells_its_owner(
    linked_hub: LinkedHub,
) -> None:
    found = []
    for given, family, dob, postcode in _recent_crisis_people(linked_hub):
        result = lookup(
            linked_hub.engine,
            linked_hub.workspace.conn,
            username=POLICE_OFFICER,
            purpose="mh_crisis_care",
            details={
                "given_name": given.upper(),
                "family_name": f" {family.title()} ",
                "date_of_birth": dob.strftime("%d/%m/%Y"),
                "postcode": postcode.replace(" ", "").lower(),
            },
            as_of=AS_OF,
        )
        if result.identification.identified:
            found.append(result)
    assert found, "no recent crisis contact could be identified from name, DOB and postcode"
    for result in found:
        assert {f.name for f in result.flags} <= {"mh_crisis_contact_last_12m"}
        assert all(f.owner == "westshire_mht" for f in result.flags)
    assert any(result.flags for result in found)
    told = flag_access_report(linked_hub.engine, "westshire_mht")
    assert told and all(t["who"] == POLICE_OFFICER for t in told)


def test_a_lookup_with_too_little_detail_is_not_identified_but_is_audited(
    linked_hub: LinkedHub,
) -> None:
    before = len(entries(linked_hub.engine))
    result = lookup(
        linked_hub.engine,
        linked_hub.workspace.conn,
        username=POLICE_OFFICER,
        purpose="mh_crisis_care",
        details={"family_name": "Smith"},
        as_of=AS_OF,
    )
    assert not result.identification.identified
    assert result.flags == ()
    assert len(entries(linked_hub.engine)) == before + 1


def test_a_bad_date_of_birth_is_named_not_guessed(linked_hub: LinkedHub) -> None:
    result = lookup(
        linked_hub.engine,
        linked_hub.workspace.conn,
        username=POLICE_OFFICER,
        purpose="mh_crisis_care",
        details={"given_name": "Ann", "family_name": "Smith", "date_of_birth": "31/02/1990"},
        as_of=AS_OF,
    )
    assert "date_of_birth" in result.problems
    assert not result.identification.identified


def test_too_little_or_contradicting_detail_about_a_real_person_is_not_identified(
    linked_hub: LinkedHub,
) -> None:
    given, family, dob, postcode = _recent_crisis_people(linked_hub)[0]
    whole = {
        "given_name": given,
        "family_name": family,
        "date_of_birth": dob.strftime("%d/%m/%Y"),
        "postcode": postcode,
    }

    def ask(details: dict[str, str | None]) -> str:
        result = lookup(
            linked_hub.engine,
            linked_hub.workspace.conn,
            username=POLICE_OFFICER,
            purpose="mh_crisis_care",
            details=details,
            as_of=AS_OF,
        )
        assert result.identification.identified == (result.identification.reason == "identified")
        if not result.identification.identified:
            assert result.flags == ()
        return result.identification.reason

    assert ask(whole) == "identified"
    before = len(entries(linked_hub.engine))
    # each of these is true of the person, but says too little to be sure it is them
    for fields in (("family_name", "date_of_birth"), ("given_name", "family_name", "postcode")):
        assert ask({f: whole[f] for f in fields}).startswith("not identified: give an NHS number")
    # a given name that is not theirs is nobody, not the nearest match
    assert ask({**whole, "given_name": given + "ina"}) == (
        "not identified: no one matches these details"
    )
    # an NHS number that belongs to no one, even with their name and date of birth
    assert ask({**whole, "nhs_number": "4010232137"}).startswith("not identified")
    logged = entries(linked_hub.engine)[before:]
    assert len(logged) == 4
    assert all(e.detail.get("identified") is False and not e.persons for e in logged)


def test_an_export_of_the_visit_list_is_formula_safe_and_audited(
    linked_hub: LinkedHub, tmp_path: Path
) -> None:
    visits = safe_and_well_list(
        linked_hub.engine, linked_hub.workspace.conn, username=FIRE_CREW, as_of=AS_OF
    )
    # a partner's extract carried a formula in an address: it must reach the crew as text
    first = replace(visits.households[0], address='=HYPERLINK("http://evil","click")')
    visits = replace(visits, households=(first, *visits.households[1:]))
    for name in ("visits.csv", "visits.xlsx"):
        before = len(entries(linked_hub.engine))
        written = export_visit_list(linked_hub.engine, visits, tmp_path / name, username=FIRE_CREW)
        assert written == len(visits.households)
        (entry,) = entries(linked_hub.engine)[before:]
        assert (entry.action, entry.actor, entry.purpose) == (
            "export",
            FIRE_CREW,
            "fire_prevention",
        )
        assert set(entry.persons) == {p.person_id for h in visits.households for p in h.risk.people}
    with (tmp_path / "visits.csv").open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert rows[0]["address"] == "'" + first.address
    sheet = openpyxl.load_workbook(tmp_path / "visits.xlsx").active
    assert sheet is not None
    assert sheet.cell(row=2, column=2).value == "'" + first.address
    assert sheet.cell(row=2, column=2).data_type == "s"
    assert verify(linked_hub.engine).ok


def test_a_one_off_lookup_answers_as_the_services_index_does(linked_hub: LinkedHub) -> None:
    conn = linked_hub.workspace.conn
    for given, family, dob, postcode in _recent_crisis_people(linked_hub)[:8]:
        details = {
            "given_name": given,
            "family_name": family,
            "date_of_birth": dob.isoformat(),
            "postcode": postcode,
        }
        answers = [
            lookup(
                linked_hub.engine,
                conn,
                username=POLICE_OFFICER,
                purpose="mh_crisis_care",
                details=details,
                as_of=AS_OF,
                index=index,
            )
            for index in (None, WorkspaceCandidates(conn))
        ]
        service, one_off = answers
        assert service.identification == one_off.identification
        assert service.flags == one_off.flags


def test_lookup_command_reports_in_json_and_is_audited(
    linked_hub: LinkedHub, capsys: pytest.CaptureFixture[str]
) -> None:
    given, family, dob, postcode = _recent_crisis_people(linked_hub)[0]
    before = len(entries(linked_hub.engine))
    args = ["lookup", "--user", POLICE_OFFICER, "--purpose", "mh_crisis_care"]
    args += ["--given-name", given, "--family-name", family, "--postcode", postcode]
    args += ["--dob", dob.strftime("%d/%m/%Y"), "--as-of", AS_OF.isoformat()]
    args += ["--hub", str(linked_hub.settings.hub_dir), "--json"]
    assert main(args) == ExitCode.OK
    answer = json.loads(capsys.readouterr().out)
    assert answer["identification"]["person_id"]
    assert {f["name"] for f in answer["flags"]} <= {"mh_crisis_contact_last_12m"}
    assert answer["audit_seqs"]
    assert [e.seq for e in entries(linked_hub.engine)[before:]] == answer["audit_seqs"]
    # the trust, whose flag it is, sees that the officer looked, and why
    hub = str(linked_hub.settings.hub_dir)
    assert main(["flag-access", "--owner", "westshire_mht", "--hub", hub, "--json"]) == 0
    told = json.loads(capsys.readouterr().out)
    person = answer["identification"]["person_id"]
    assert any(
        t["who"] == POLICE_OFFICER and t["purpose"] == "mh_crisis_care" and person in t["persons"]
        for t in told
    )
