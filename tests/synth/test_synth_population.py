"""The generator's promises about people, households, recording problems, risk and effects."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

import numpy as np
import pytest

from sharewell.synth import PartnerQuality, Partnership, SynthConfig, generate
from sharewell.synth.events import NEVER
from sharewell.synth.names import NICKNAMES


def test_age_structure_and_households_look_like_england(big_partnership: Partnership) -> None:
    p, hh = big_partnership.population.people, big_partnership.population.households
    assert len(p.age) == 60000
    assert 0.16 <= (p.age >= 65).mean() <= 0.22  # England 2021: 18.4%
    assert 0.16 <= (p.age < 16).mean() <= 0.23  # England 2021: 18.6%
    assert 2.2 <= hh.size.mean() <= 2.5  # England 2021: 2.36
    assert 0.27 <= (hh.size == 1).mean() <= 0.33
    # Most people living alone past 80 are women.
    old_alone = (p.age >= 80) & p.lives_alone
    assert (p.sex[old_alone] == "female").mean() > 0.6


def test_surnames_are_skewed_like_real_ones(big_partnership: Partnership) -> None:
    counts = Counter(big_partnership.population.people.family_name.tolist())
    ranked = [name for name, _ in counts.most_common()]
    assert "Smith" in ranked[:3]
    top10 = sum(c for _, c in counts.most_common(10)) / 60000
    assert 0.05 <= top10 <= 0.2
    assert len(counts) > 300


def test_households_hold_the_traps_that_catch_a_careless_linker(
    big_partnership: Partnership,
) -> None:
    people = big_partnership.people_truth()
    by_id = {pid: i for i, pid in enumerate(people["person_id"])}

    twins = [(i, by_id[t]) for i, t in enumerate(people["twin_of"]) if t]
    assert len(twins) >= 20
    for a, b in twins:
        assert people["household_id"][a] == people["household_id"][b]
        assert people["date_of_birth"][a] == people["date_of_birth"][b]
        assert people["family_name"][a] == people["family_name"][b]
        assert people["given_name"][a] != people["given_name"][b]

    namesakes = [(i, by_id[n]) for i, n in enumerate(people["namesake_of"]) if n]
    assert len(namesakes) >= 20
    for a, b in namesakes:
        assert people["household_id"][a] == people["household_id"][b]
        assert people["given_name"][a] == people["given_name"][b]
        assert people["family_name"][a] == people["family_name"][b]
        assert abs(people["age"][a] - people["age"][b]) >= 16

    # Relatives share a surname and an address: in the over-65 register too (older couples).
    register = next(e for e in big_partnership.extracts if e.shape.name == "over65_register")
    col = {canon: i for i, (_, canon) in enumerate(register.shape.columns)}
    keys = Counter(
        (row[col["family_name"]], row[col["uprn"]])
        for row, dup in zip(register.rows, register.duplicate_of, strict=True)
        if not dup and row[col["uprn"]]
    )
    assert sum(1 for n in keys.values() if n >= 2) >= 100


def _asked() -> PartnerQuality:
    return PartnerQuality(
        typo=0.10, nickname=0.30, swapped_names=0.05, dob_transposed=0.10, dob_partial=0.05,
        dob_missing=0.05, address_variant=0.30, stale_address=0.50, postcode_missing=0.10,
        uprn_missing=0.50, nhs_missing=0.60, nhs_typo=0.05, sex_unknown=0.05, name_suffix=0.5,
        duplicate=0.10, event_date_missing=0.02,
    )  # fmt: skip


def _close(observed: float, asked: float, n: int) -> bool:
    """Within four binomial standard errors (and a little slack) of the rate asked for."""
    return abs(observed - asked) <= 4 * np.sqrt(asked * (1 - asked) / n) + 0.005


def test_recording_problems_occur_at_the_rates_asked() -> None:
    asked = _asked()
    config = SynthConfig(people=20000, seed=3)
    config = replace(config, quality={**config.quality, "westshire_police/mh_incidents": asked})
    partnership = generate(config)
    police = next(e for e in partnership.extracts if e.shape.name == "mh_incidents")
    col = {canon: i for i, (_, canon) in enumerate(police.shape.columns)}
    rows, n = police.rows, len(police.rows)
    tags = [set(e.split(";")) for e in police.errors]
    assert n > 3000

    def share(field: str) -> float:
        return sum(1 for r in rows if r[col[field]] == "") / n

    # Missing values are measured from the file's own cells.
    assert _close(share("nhs_number"), asked.nhs_missing, n)
    assert _close(share("uprn"), asked.uprn_missing, n)
    assert _close(share("postcode"), asked.postcode_missing, n)
    assert _close(share("date_of_birth"), asked.dob_missing, n)
    assert _close(share("incident_date"), asked.event_date_missing, n)
    unconditional = {
        "typo": asked.typo,
        "swapped_names": asked.swapped_names,
        "address_variant": asked.address_variant,
        "dob_partial": asked.dob_partial,
    }
    for tag, rate in unconditional.items():
        assert _close(sum(tag in t for t in tags) / n, rate, n), tag

    sex_codes = [r[col["sex"]] for r in rows]
    assert _close(sex_codes.count("U") / n, asked.sex_unknown, n)
    has_nhs = [r[col["nhs_number"]] != "" for r in rows]
    mistyped = sum(1 for t, h in zip(tags, has_nhs, strict=True) if h and "nhs_typo" in t)
    assert _close(mistyped / sum(has_nhs), asked.nhs_typo, sum(has_nhs))

    originals = sum(1 for d in police.duplicate_of if not d)
    assert _close((n - originals) / originals, asked.duplicate, originals)

    # Conditional problems: only where they can happen.
    p = partnership.population.people
    true_given = p.given_name[police.person_index]
    can_nick = np.array([g in NICKNAMES for g in true_given])
    nick = np.array(["nickname" in t for t in tags])
    assert _close(nick[can_nick].mean(), asked.nickname, int(can_nick.sum()))
    recorded_given = np.array([r[col["given_name"]] for r in rows], dtype=object)
    changed = recorded_given != true_given
    assert changed[nick].all()

    dob = p.date_of_birth[police.person_index]
    day = (dob - dob.astype("datetime64[M]")).astype(int) + 1
    month = (dob.astype("datetime64[M]") - dob.astype("datetime64[Y]")).astype(int) + 1
    other_dob = np.array([bool(t & {"dob_missing", "dob_partial"}) for t in tags])
    can_swap = (day <= 12) & (day != month) & ~other_dob
    swapped = np.array(["dob_transposed" in t for t in tags])
    assert _close(swapped[can_swap].mean(), asked.dob_transposed / 0.9, int(can_swap.sum()))

    hh = partnership.population.households
    household = p.household[police.person_index]
    dated = np.array([r[col["incident_date"]] != "" for r in rows])
    event_day = np.array(
        [np.datetime64("-".join(reversed(r[col["incident_date"]].split("/")))) for r in rows]
    )
    moved_before = (hh.previous_address[household] >= 0) & (
        (event_day - partnership.population.start).astype(int) >= hh.moved_on[household]
    )
    stale = np.array(["stale_address" in t for t in tags])
    assert moved_before.sum() > 50
    assert _close(stale[moved_before].mean(), asked.stale_address, int(moved_before.sum()))
    assert not stale[dated & ~moved_before].any()


def test_dwelling_fires_follow_risk_so_a_risk_list_beats_age_alone(
    big_partnership: Partnership,
) -> None:
    pop, fires = big_partnership.population, big_partnership.events.fire_incidents
    p, hh = pop.people, pop.households
    h = len(hh.size)
    dwelling = fires.fields["incident_type"] == "dwelling_fire"
    fire_hh = np.unique(
        p.household[fires.person[dwelling]] * 10_000 + fires.fields["incident"][dwelling]
    )
    fire_count = np.bincount(fire_hh // 10_000, minlength=h)
    assert fire_count.sum() > 150

    smoker = np.bincount(p.household, weights=p.smoker, minlength=h) > 0
    assert fire_count[smoker].mean() > 1.5 * fire_count[~smoker].mean()
    prone = np.bincount(p.household, weights=p.crisis_prone, minlength=h) > 0
    assert fire_count[prone].mean() > 1.5 * fire_count[~prone].mean()

    # The tenth of households with most risk factors has more fires than the oldest tenth.
    oldest = np.zeros(h, dtype=int)
    np.maximum.at(oldest, p.household, p.age)
    top = h // 10
    by_risk = np.argsort(-hh.fire_rate, kind="stable")[:top]
    by_age = np.argsort(-oldest, kind="stable")[:top]
    assert fire_count[by_risk].sum() > 1.3 * fire_count[by_age].sum()

    # Casualties: older and less mobile people are hurt more often.
    age = p.age[fires.person[dwelling]]
    hurt = fires.fields["casualty"][dwelling]
    assert hurt[age >= 75].mean() > 1.5 * hurt[age < 65].mean()

    # Fires span every year of the window, so weights can be fitted on past years and tested
    # on the last one.
    years = (pop.start + fires.day[dwelling].astype("timedelta64[D]")).astype("datetime64[Y]")
    assert len(np.unique(years)) == 6


def _did(partnership: Partnership, stream: str, kinds: tuple[str, ...]) -> float:
    """Relative change in event rates after the index date, referred vs not (1 - ratio of ratios).

    Each eligible person's index date is their first crisis contact after the safe haven opened
    (the referral date for those referred); rates are events per person-day before and after it.
    """
    events = getattr(partnership.events, stream)
    label = next(iter(events.fields))
    haven = partnership.events.safe_haven
    days = partnership.population.days
    index = haven.index_day
    eligible = index < NEVER
    mask = np.isin(events.fields[label], kinds) if kinds else np.ones(len(events), dtype=bool)
    who, when = events.person[mask], events.day[mask]
    ok = eligible[who]
    after = when >= index[who]
    pre = np.bincount(who[ok & ~after], minlength=len(index))
    post = np.bincount(who[ok & after], minlength=len(index))

    def ratio(group: np.ndarray) -> float:
        pre_rate = pre[group].sum() / index[group].sum()
        post_rate = post[group].sum() / (days - index[group]).sum()
        return float(post_rate / pre_rate)

    return 1 - ratio(eligible & haven.referred) / ratio(eligible & ~haven.referred)


def test_safe_haven_effect_is_recovered_by_difference_in_differences(
    big_partnership: Partnership,
) -> None:
    effect = big_partnership.config.safe_haven_effect
    haven = big_partnership.events.safe_haven
    assert (
        haven.referred.sum() >= 150 and (~haven.referred & (haven.index_day < NEVER)).sum() >= 150
    )
    police = _did(big_partnership, "police", ("mental_health", "section_136"))
    ae = _did(big_partnership, "crisis_contacts", ("ae_attendance",))
    assert police == pytest.approx(effect, abs=0.12)
    assert ae == pytest.approx(effect, abs=0.15)
    # Streams the safe haven does not touch show no effect.
    assert _did(big_partnership, "police", ("concern_for_welfare",)) == pytest.approx(0, abs=0.15)
    assert _did(big_partnership, "ambulance", ()) == pytest.approx(0, abs=0.15)

    # Referrals are in the trust's extract, on or after the opening date only.
    crisis = next(e for e in big_partnership.extracts if e.shape.name == "crisis_contacts")
    col = {canon: i for i, (_, canon) in enumerate(crisis.shape.columns)}
    referral_dates = [
        r[col["contact_date"]] for r in crisis.rows if r[col["contact_type"]] == "SAFEHAVEN"
    ]
    assert len(referral_dates) >= haven.referred.sum()
    dated = [d for d in referral_dates if d]  # a few rows lose their date (event_date_missing)
    assert len(dated) > 0.95 * len(referral_dates)
    assert min(dated) >= str(big_partnership.config.safe_haven_open)


def test_without_a_safe_haven_effect_there_is_none_to_find() -> None:
    partnership = generate(SynthConfig(people=60000, seed=11, safe_haven_effect=0.0))
    assert _did(partnership, "police", ("mental_health", "section_136")) == pytest.approx(
        0, abs=0.12
    )
