"""Property: over random partnerships, agreements and requests, no field is ever granted that
an active agreement in force does not grant to that organisation, role and purpose — and
everything that is granted is allowed (the policy is exact, not merely cautious)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

from hypothesis import event, given, settings
from hypothesis import strategies as st

from sharewell.agreements import FLAGS, AccessRequest, Agreement, decide, newest_versions
from sharewell.agreements.model import LEVELS
from sharewell.ingest.source_types import load_source_types
from sharewell.partnership import PURPOSES, ROLES

SOURCE_TYPES = load_source_types()
ANY = sorted({c for s in SOURCE_TYPES.values() for c in s.columns} | set(FLAGS))
ORGS = ("org_a", "org_b", "org_c", "org_d")
DAY0 = date(2026, 1, 1)


def _fields_for(source_type: str, level: str) -> list[str]:
    if level == "flag_only":
        return sorted(n for n, f in FLAGS.items() if source_type in f.reads) or ["lives_alone"]
    return sorted(SOURCE_TYPES[source_type].columns)


@st.composite
def grants(draw: st.DrawFn) -> dict[str, object]:
    source = draw(st.sampled_from(sorted(SOURCE_TYPES)))
    level = draw(st.sampled_from(LEVELS))
    fields = draw(
        st.lists(st.sampled_from(_fields_for(source, level)), min_size=1, max_size=5, unique=True)
    )
    return {
        "source_type": source,
        "level": level,
        "fields": fields,
        "min_cell_size": draw(st.integers(2, 20)) if level == "aggregate_only" else None,
    }


@st.composite
def agreements(draw: st.DrawFn) -> Agreement:
    purposes = draw(st.lists(st.sampled_from(PURPOSES), min_size=1, max_size=3, unique=True))
    recipients = [
        {
            "organisation": org,
            "roles": draw(st.lists(st.sampled_from(ROLES), min_size=1, max_size=3, unique=True)),
            # Mostly within the agreement's purposes, sometimes not (an invalid agreement
            # must still never grant more than it says).
            "purposes": draw(
                st.lists(st.sampled_from(purposes), min_size=1, max_size=2, unique=True)
                if draw(st.integers(0, 4))
                else st.lists(st.sampled_from(PURPOSES), max_size=2, unique=True)
            ),
            "datasets": draw(st.lists(grants(), min_size=1, max_size=4)),
        }
        for org in draw(st.lists(st.sampled_from(ORGS), min_size=1, max_size=3, unique=True))
    ]
    start = DAY0 + timedelta(days=draw(st.integers(-400, 400)))
    return Agreement.model_validate(
        {
            "id": draw(st.sampled_from(["dsa-1", "dsa-2", "dsa-3", "dsa-4", "dsa-5"])),
            "version": draw(st.integers(1, 3)),
            "title": "random",
            "status": draw(st.sampled_from(["active"] * 6 + ["draft", "suspended", "expired"])),
            "purposes": purposes,
            "lawful_basis": {"article_6": "public_task"},
            "providers": [
                {"organisation": draw(st.sampled_from(ORGS)), "datasets": sorted(SOURCE_TYPES)}
            ],
            "recipients": recipients,
            "retention_days": 30,
            "start": start,
            "end": start + timedelta(days=draw(st.integers(0, 800))),
            "review": start,
        }
    )


@st.composite
def requests(draw: st.DrawFn) -> AccessRequest:
    source = draw(st.sampled_from(sorted(SOURCE_TYPES)))
    level = draw(st.sampled_from(LEVELS))
    every = sorted(set(_fields_for(source, "identifiable")) | set(_fields_for(source, "flag_only")))
    return AccessRequest(
        user="someone",
        organisation=draw(st.sampled_from(ORGS)),
        role=draw(st.sampled_from(ROLES)),
        purpose=draw(st.sampled_from(PURPOSES)),
        dataset=source,
        fields=tuple(draw(st.lists(st.sampled_from(every), min_size=1, max_size=8, unique=True))),
        level=level,  # type: ignore[arg-type]
        provider=draw(st.none() | st.sampled_from(ORGS)),
    )


def granted_by(a: Agreement, r: AccessRequest, on: date) -> set[str]:
    """An independent reading of the rules: what ``a`` grants for ``r`` on ``on``."""
    if a.status != "active" or not (a.start <= on <= a.end) or r.purpose not in a.purposes:
        return set()
    providers = {p.organisation for p in a.providers if r.dataset in p.datasets}
    if r.provider is not None and r.provider not in providers:
        return set()
    out: set[str] = set()
    for rec in a.recipients:
        if rec.organisation == r.organisation and r.role in rec.roles and r.purpose in rec.purposes:
            for g in rec.datasets:
                if g.source_type == r.dataset and g.level == r.level:
                    out |= set(g.fields)
    return out


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[list[Agreement], AccessRequest, date]:
    """Agreements and a request; most requests aim at a real grant, then may stray from it."""
    agreements_ = draw(st.lists(agreements(), max_size=6))
    request = draw(requests())
    on = DAY0 + timedelta(days=draw(st.integers(-500, 1300)))
    if agreements_ and draw(st.integers(0, 9)) < 8:
        a = draw(st.sampled_from(newest_versions(agreements_)))
        rec = draw(st.sampled_from(a.recipients))
        grant = draw(st.sampled_from(rec.datasets))
        asked = draw(st.lists(st.sampled_from(grant.fields), min_size=1, unique=True))
        common = [p for p in rec.purposes if p in a.purposes]
        request = AccessRequest(
            user="someone",
            organisation=rec.organisation,
            role=draw(st.sampled_from(rec.roles)),
            purpose=draw(st.sampled_from(common or list(a.purposes))),
            dataset=grant.source_type,
            fields=tuple(asked + list(draw(st.lists(st.sampled_from(ANY), max_size=3)))),
            level=grant.level,
            provider=draw(st.none() | st.just(a.providers[0].organisation)),
        )
        if draw(st.integers(0, 4)) > 0:
            on = a.start + timedelta(days=draw(st.integers(0, (a.end - a.start).days)))
        # Stray on one axis at random, so near misses are exercised as well as hits.
        axis = draw(st.sampled_from(["none"] * 5 + ["organisation", "role", "purpose", "level"]))
        if axis != "none":
            strays = {
                "organisation": st.sampled_from(ORGS),
                "role": st.sampled_from(ROLES),
                "purpose": st.sampled_from(PURPOSES),
                "level": st.sampled_from(LEVELS),
            }
            request = replace(request, **{axis: draw(strays[axis])})
    return agreements_, request, on


@settings(max_examples=200, deadline=None)
@given(scenarios())
def test_no_field_is_ever_granted_beyond_an_agreement_in_force(
    scenario: tuple[list[Agreement], AccessRequest, date],
) -> None:
    agreements_, request, on = scenario
    decision = decide(request, agreements_, on)
    event("allowed" if decision.allowed else "denied")
    in_force = newest_versions(agreements_)
    grantable = {a.id: granted_by(a, request, on) & set(request.fields) for a in in_force}

    if decision.allowed:
        assert decision.level == request.level
        assert decision.agreement_id is not None
        # Every permitted field is granted by the one agreement the decision cites.
        assert set(decision.fields) <= grantable[decision.agreement_id]
        assert set(decision.fields) | set(decision.withheld) == set(request.fields)
        assert set(decision.fields).isdisjoint(decision.withheld)
    else:
        assert decision.fields == ()
        assert not any(grantable.values()), "a grant in force was refused"
