"""A refused lookup reveals nothing about the person asked for, and is still on record.

The adversarial cases: a wrong purpose, an organisation with no agreement, the wrong role.
Each used to answer "Identified on family_name, date_of_birth, given_name" with the person's
internal id, so anyone could learn whether someone was on the trust's records. Now the
policy is decided before anyone is matched: the same refusal whether or not they exist.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from sharewell.audit import entries
from sharewell.cli import ExitCode, main
from sharewell.errors import AccessDenied
from sharewell.synth import SynthConfig
from sharewell.views.lookup import lookup
from sharewell.views.lookup_policy import decide_lookup

from .conftest import LinkedHub

AS_OF = SynthConfig().history_end

# (user, purpose, the rule that refuses, in the refusal's words)
REFUSALS = [
    (
        "westshire_police.frontline",
        "fire_prevention",
        "agreement mh-crisis-care v1 does not allow westshire_police to use "
        "mh_trust.crisis_contact for fire_prevention",
    ),
    (
        "westshire_icb.frontline",
        "mh_crisis_care",
        "no agreement grants westshire_icb any flags (flag_only) for any purpose",
    ),
    (
        "westshire_police.analyst",
        "mh_crisis_care",
        "agreement mh-crisis-care v1 does not grant role analyst at westshire_police "
        "(only frontline)",
    ),
]


def _someone_known(hub: LinkedHub) -> dict[str, str | None]:
    row = hub.workspace.conn.execute(
        "SELECT given_name, family_name, strftime(date_of_birth, '%d/%m/%Y'), postcode "
        "FROM records_mh_trust_crisis_contact WHERE contact_date > ? AND given_name IS NOT NULL "
        "AND family_name IS NOT NULL AND date_of_birth IS NOT NULL AND postcode IS NOT NULL "
        "ORDER BY family_name, given_name LIMIT 1",
        [AS_OF - timedelta(days=200)],
    ).fetchone()
    assert row is not None
    given, family, dob, postcode = row
    return {"given_name": given, "family_name": family, "date_of_birth": dob, "postcode": postcode}


NOBODY = {
    "given_name": "Zebedee",
    "family_name": "Quillfeather",
    "date_of_birth": "29/02/1904",
    "postcode": "ZZ9 9ZZ",
}


def _refusal(hub: LinkedHub, user: str, purpose: str, details: dict[str, str | None]) -> str:
    with pytest.raises(AccessDenied) as refused:
        lookup(
            hub.engine,
            hub.workspace.conn,
            username=user,
            purpose=purpose,
            details=details,
            as_of=AS_OF,
        )
    return str(refused.value)


def test_the_allowed_lookup_does_identify_the_person_these_tests_use(
    linked_hub: LinkedHub,
) -> None:
    result = lookup(
        linked_hub.engine,
        linked_hub.workspace.conn,
        username="westshire_police.frontline",
        purpose="mh_crisis_care",
        details=_someone_known(linked_hub),
        as_of=AS_OF,
    )
    assert result.identification.identified  # so the refusals below hide a real person


@pytest.mark.parametrize(("user", "purpose", "rule"), REFUSALS)
def test_a_refusal_is_the_same_whether_or_not_the_person_exists_and_is_audited(
    linked_hub: LinkedHub, user: str, purpose: str, rule: str
) -> None:
    before = len(entries(linked_hub.engine))
    known = _refusal(linked_hub, user, purpose, _someone_known(linked_hub))
    unknown = _refusal(linked_hub, user, purpose, NOBODY)
    assert known == unknown
    assert rule in known
    assert "Identified" not in known and "person" not in known.split("says nothing")[0]
    logged = entries(linked_hub.engine)[before:]
    assert [(e.actor, e.action, e.outcome, e.purpose) for e in logged] == [
        (user, "access", "deny", purpose)
    ] * 2
    # nobody is named, and nothing says whether anyone matched
    assert all(e.persons == () and "identified" not in e.detail for e in logged)
    assert logged[0].detail == logged[1].detail


@pytest.mark.parametrize(("user", "purpose", "rule"), REFUSALS)
def test_the_lookup_command_exits_4_and_prints_the_same_for_anyone(
    linked_hub: LinkedHub,
    capsys: pytest.CaptureFixture[str],
    user: str,
    purpose: str,
    rule: str,
) -> None:
    answers = []
    for details in (_someone_known(linked_hub), NOBODY):
        args = ["lookup", "--user", user, "--purpose", purpose, "--as-of", AS_OF.isoformat()]
        args += ["--given-name", str(details["given_name"])]
        args += ["--family-name", str(details["family_name"])]
        args += ["--dob", str(details["date_of_birth"]), "--postcode", str(details["postcode"])]
        args += ["--hub", str(linked_hub.settings.hub_dir), "--json"]
        assert main(args) == ExitCode.DENIED
        out, err = capsys.readouterr()
        assert out == ""  # no JSON: no identification, no person_id
        answers.append(" ".join(err.split()))
    assert answers[0] == answers[1]
    assert answers[0].startswith("Access denied: flag lookup refused:") and rule in answers[0]
    assert "Identified on" not in answers[0]


def test_an_inactive_user_is_refused_before_any_match() -> None:
    decision = decide_lookup(
        [],
        organisation="westshire_police",
        role="frontline",
        active=False,
        purpose="mh_crisis_care",
        username="westshire_police.frontline",
        at=datetime(2026, 6, 1),
    )
    assert not decision.allowed and "no longer active" in decision.reason
