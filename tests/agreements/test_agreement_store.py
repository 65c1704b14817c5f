"""Agreements are versioned: a change is a new version, the old one is kept, all audited."""

from __future__ import annotations

from pathlib import Path

import pytest
from agreement_examples import example, write_yaml
from sqlalchemy import Engine, func, select

from sharewell.agreements import (
    add_agreement_file,
    agreement_history,
    current_agreements,
    get_agreement,
    seed_demo_partnership,
    suspend_agreement,
)
from sharewell.audit import entries, verify
from sharewell.errors import AgreementError, NotFound
from sharewell.store.tables import agreements


def test_seeding_the_demo_twice_changes_nothing(demo_engine: Engine) -> None:
    again = seed_demo_partnership(demo_engine, actor="test")
    assert again.organisations_added == 0 and again.users_added == 0
    assert set(again.agreements.values()) == {"unchanged"}
    assert [a.id for a in current_agreements(demo_engine)] == [
        "fire-prevention",
        "mh-crisis-care",
        "service-evaluation",
    ]


def test_a_changed_agreement_must_say_it_is_a_new_version(
    demo_engine: Engine, tmp_path: Path
) -> None:
    data = example("fire_prevention")
    data["retention_days"] = 180
    with pytest.raises(AgreementError, match=r"version: .* fix: set `version: 2`"):
        add_agreement_file(demo_engine, write_yaml(tmp_path / "fire.yaml", data), actor="ig")

    data["version"] = 2
    result = add_agreement_file(demo_engine, write_yaml(tmp_path / "fire.yaml", data), actor="ig")

    assert result.outcome == "new_version"
    history = agreement_history(demo_engine, "fire-prevention")
    assert [(h.agreement.version, h.agreement.retention_days) for h in history] == [
        (1, 365),
        (2, 180),
    ]
    assert get_agreement(demo_engine, "fire-prevention", 1).agreement.retention_days == 365
    change = entries(demo_engine, agreement_id="fire-prevention")[-1]
    assert (change.action, change.actor, change.agreement_version) == ("agreement_change", "ig", 2)


def test_an_invalid_agreement_is_not_stored(demo_engine: Engine, tmp_path: Path) -> None:
    data = example("fire_prevention")
    data["id"] = "broken"
    data["recipients"][0]["organisation"] = "nowhere"
    with pytest.raises(AgreementError, match="unknown organisation 'nowhere'"):
        add_agreement_file(demo_engine, write_yaml(tmp_path / "b.yaml", data), actor="ig")
    with pytest.raises(NotFound):
        agreement_history(demo_engine, "broken")


def test_suspending_keeps_the_old_version_and_is_audited(demo_engine: Engine) -> None:
    result = suspend_agreement(
        demo_engine, "mh-crisis-care", actor="westshire_mht.ig_lead", reason="review"
    )
    assert (result.version, result.status) == (2, "suspended")
    statuses = [h.agreement.status for h in agreement_history(demo_engine, "mh-crisis-care")]
    assert statuses == ["active", "suspended"]
    assert entries(demo_engine)[-1].detail["change"] == "suspended: review"
    assert (
        suspend_agreement(demo_engine, "mh-crisis-care", actor="x", reason="again").outcome
        == "unchanged"
    )
    with pytest.raises(NotFound):
        suspend_agreement(demo_engine, "no-such", actor="x", reason="y")


def test_an_agreement_and_its_audit_entry_are_written_together(
    engine: Engine, tmp_path: Path
) -> None:
    seed_demo_partnership(engine, actor="test", examples_dir=tmp_path)  # organisations only
    with engine.begin() as conn:
        conn.execute(agreements.delete())
        conn.exec_driver_sql("DELETE FROM audit_chain_head")  # the next audit append will fail
    data = example("fire_prevention")
    with pytest.raises(Exception, match="chain head is missing"):
        add_agreement_file(engine, write_yaml(tmp_path / "f.yaml", data), actor="ig")
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(agreements)).scalar() == 0
    assert not verify(engine).ok  # and the missing head itself is reported
