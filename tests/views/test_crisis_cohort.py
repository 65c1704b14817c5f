"""The crisis cohort finds people in repeated crisis across agencies, with a joined timeline."""

from __future__ import annotations

from datetime import date

from sharewell.views.crisis_cohort import CrisisEvent, contacts_by_agency, crisis_cohort

AS_OF = date(2026, 6, 30)


def _e(person: str, when: str, agency: str, kind: str) -> CrisisEvent:
    return CrisisEvent(person, date.fromisoformat(when), agency, kind)


EVENTS = [
    _e("p1", "2026-01-05", "westshire_police", "section_136"),
    _e("p1", "2026-02-10", "westshire_ambulance", "conveyed_ae"),
    _e("p1", "2026-03-01", "westshire_mht", "crisis_team"),
    _e("p1", "2026-03-02", "westshire_mht", "safe_haven_referral"),
    _e("p2", "2026-01-01", "westshire_police", "mental_health"),
    _e("p2", "2026-02-01", "westshire_police", "mental_health"),
    _e("p2", "2024-02-01", "westshire_police", "mental_health"),  # outside the window
    _e("p3", "2026-05-01", "westshire_police", "concern_for_welfare"),
    _e("p3", "2026-05-02", "westshire_police", "concern_for_welfare"),
    _e("p3", "2026-05-03", "westshire_police", "concern_for_welfare"),
]


def test_people_with_repeated_crisis_are_in_the_cohort_with_a_joined_timeline() -> None:
    cohort = crisis_cohort(EVENTS, as_of=AS_OF, min_contacts=3)
    assert [m.person_id for m in cohort] == ["p1", "p3"]
    p1 = cohort[0]
    assert p1.agencies == ("westshire_ambulance", "westshire_mht", "westshire_police")
    assert p1.crisis_contacts == 3  # the referral shows on the timeline but is not a crisis
    assert p1.referred_to_safe_haven
    assert [e.event_date.isoformat() for e in p1.timeline] == [
        "2026-01-05",
        "2026-02-10",
        "2026-03-01",
        "2026-03-02",
    ]
    assert p1.timeline[0].description == "Section 136 detention"


def test_events_outside_the_window_do_not_count() -> None:
    assert "p2" not in {m.person_id for m in crisis_cohort(EVENTS, as_of=AS_OF)}
    assert "p2" in {m.person_id for m in crisis_cohort(EVENTS, as_of=AS_OF, window_days=1000)}


def test_requiring_several_agencies_keeps_only_those_seen_by_more_than_one() -> None:
    cohort = crisis_cohort(EVENTS, as_of=AS_OF, min_agencies=2)
    assert [m.person_id for m in cohort] == ["p1"]
    assert contacts_by_agency(cohort) == {
        "westshire_ambulance": 1,
        "westshire_mht": 1,
        "westshire_police": 1,
    }
