"""The people of the county: households at addresses, names, dates of birth, NHS numbers."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sharewell.synth.addresses import Addresses, build_addresses
from sharewell.synth.config import SynthConfig
from sharewell.synth.identifiers import nhs_numbers
from sharewell.synth.names import GIVEN_NAMES, given_name_weights, surname_table
from sharewell.synth.risk import household_fire_risk, person_risk

__all__ = ["HOUSEHOLD_KINDS", "Addresses", "Households", "People", "Population", "populate"]

HOUSEHOLD_KINDS = ("one_person", "couple", "couple_with_children", "lone_parent", "sharers")
# Shares of English households (Census 2021, rounded); mean size comes out near 2.35.
_KIND_SHARES = (0.30, 0.26, 0.27, 0.11, 0.06)

# England's population by five-year age band (ONS mid-2021 estimates, per cent, 90+ last).
_AGE_BANDS = (
    5.4, 5.9, 6.0, 5.7, 6.0, 6.6, 6.9, 6.7, 6.4, 6.4,
    6.9, 6.7, 5.9, 5.0, 5.1, 3.7, 2.5, 1.5, 0.9,
)  # fmt: skip
MAX_AGE = 100


@dataclass(frozen=True)
class Households:
    """Every household: where it lives now, where it lived before a move, and its fire risk."""

    kind: np.ndarray
    size: np.ndarray
    first: np.ndarray  # index of its first member in People
    address: np.ndarray
    previous_address: np.ndarray  # -1 when the household did not move
    moved_on: np.ndarray  # day offset from history_start; a huge number when it did not move
    working_alarm: np.ndarray
    fire_rate: np.ndarray  # true dwelling fires a year


@dataclass(frozen=True)
class People:
    """Every person: identity as it truly is, and the risk factors that drive events."""

    household: np.ndarray
    role: np.ndarray
    age: np.ndarray  # whole years at history_end
    date_of_birth: np.ndarray  # datetime64[D]
    sex: np.ndarray
    given_name: np.ndarray
    family_name: np.ndarray
    nhs_number: np.ndarray
    twin_of: np.ndarray  # -1 or the index of the twin
    namesake_of: np.ndarray  # -1 or the father/son with the same name at the same address
    smoker: np.ndarray
    alcohol_misuse: np.ndarray
    reduced_mobility: np.ndarray
    hoarding: np.ndarray
    lives_alone: np.ndarray
    crisis_prone: np.ndarray
    crisis_rate: np.ndarray  # expected crisis team contacts a year
    diagnosis: np.ndarray


@dataclass(frozen=True)
class Population:
    """The county: addresses, households and people, with the window their history covers."""

    addresses: Addresses
    households: Households
    people: People
    start: np.datetime64
    end: np.datetime64

    @property
    def days(self) -> int:
        """Days in the history window."""
        return int((self.end - self.start).astype(int)) + 1


def _age_weights() -> np.ndarray:
    """Relative frequency of each single year of age 0..MAX_AGE in England."""
    weights = np.repeat(np.array(_AGE_BANDS[:-1]) / 5.0, 5)
    old = np.array(_AGE_BANDS[-1]) * 0.75 ** np.arange(MAX_AGE - 89)
    old = old / old.sum() * _AGE_BANDS[-1]
    return np.concatenate([weights, old])


def _draw_ages(rng: np.random.Generator, n: int, lo: int, hi: int, bias: np.ndarray) -> np.ndarray:
    ages = np.arange(MAX_AGE + 1)
    weights = _age_weights() * bias
    weights[(ages < lo) | (ages > hi)] = 0.0
    return rng.choice(ages, size=n, p=weights / weights.sum())


def _bias(points: dict[int, float]) -> np.ndarray:
    """A step function over ages: ``{from_age: multiplier}``."""
    out = np.ones(MAX_AGE + 1)
    for age, mult in sorted(points.items()):
        out[age:] = mult
    return out


def _households(rng: np.random.Generator, people: int) -> tuple[np.ndarray, np.ndarray]:
    """Kinds and sizes of just enough households to hold ``people``."""
    estimate = int(people / 1.8) + 16  # mean size is about 2.3, so this always suffices
    kinds = rng.choice(len(HOUSEHOLD_KINDS), size=estimate, p=_KIND_SHARES)
    children = rng.choice([1, 2, 3], size=estimate, p=[0.45, 0.40, 0.15])
    size = np.select(
        [kinds == 0, kinds == 1, kinds == 2, kinds == 3],
        [1, 2, 2 + children, 1 + children],
        2 + rng.integers(0, 3, size=estimate),
    )
    total = np.cumsum(size)
    count = int(np.searchsorted(total, people)) + 1
    kinds, size = kinds[:count], size[:count].copy()
    size[-1] -= int(total[count - 1]) - people  # the last household takes whoever is left
    return kinds, size


def _given_names(rng: np.random.Generator, sex: np.ndarray, born: np.ndarray) -> np.ndarray:
    era = np.where(born < 1955, "older", np.where(born < 1985, "middle", "younger"))
    out = np.empty(len(sex), dtype=object)
    for (s, e), names in GIVEN_NAMES.items():
        mask = (sex == s) & (era == e)
        out[mask] = rng.choice(
            np.array(names, dtype=object), size=int(mask.sum()), p=given_name_weights(names)
        )
    return out


def populate(config: SynthConfig, rng: np.random.Generator) -> Population:
    """Households at addresses, their people, identities and risk factors (no events yet)."""
    n = config.people
    start = np.datetime64(config.history_start, "D")
    end = np.datetime64(config.history_end, "D")
    days = int((end - start).astype(int)) + 1

    kinds, size = _households(rng, n)
    h = len(kinds)
    first = np.concatenate([[0], np.cumsum(size)[:-1]])
    hh = np.repeat(np.arange(h), size)
    pos = np.arange(n) - first[hh]
    kind = kinds[hh]
    is_child = ((kind == 2) & (pos >= 2)) | ((kind == 3) & (pos >= 1))
    is_partner = (kind <= 2) & (kind >= 1) & (pos == 1)
    role = np.select(
        [kind == 0, is_child, is_partner, kind == 4],
        ["single", "child", "partner", "sharer"],
        "head",
    ).astype(object)

    # Ages: heads by household kind, partners near the head, children from the head's age.
    head_age = np.select(
        [kinds == 0, kinds == 1, kinds == 2, kinds == 3],
        [
            _draw_ages(rng, h, 18, MAX_AGE, _bias({18: 0.3, 25: 0.6, 65: 2.4, 75: 4.2})),
            _draw_ages(rng, h, 20, MAX_AGE, _bias({20: 0.3, 25: 0.6, 50: 1.6, 65: 2.6})),
            _draw_ages(rng, h, 26, 62, _bias({26: 0.6, 33: 1.3, 50: 0.9})),
            _draw_ages(rng, h, 20, 58, _bias({20: 1.0, 45: 0.6})),
        ],
        _draw_ages(rng, h, 18, 40, _bias({18: 2.0, 30: 0.6})),
    )
    age = head_age[hh].copy()
    partner_gap = np.rint(rng.normal(-1.5, 3.0, n)).astype(int)
    age = np.where(is_partner, np.clip(age + partner_gap, 18, MAX_AGE), age)
    # Children span the years since the head was 20 (up to 45), capped at 24: few toddlers
    # have a parent of 50, few adult children a parent of 35.
    youngest = np.clip(head_age[hh] - 45, 0, 18)
    eldest = np.clip(head_age[hh] - 20, 1, 24)
    child_age = youngest + (rng.random(n) * (eldest - youngest + 1)).astype(int)
    age = np.where(is_child, np.minimum(child_age, eldest), age)
    sharer_age = _draw_ages(rng, n, 18, 40, _bias({18: 2.0, 30: 0.6}))
    age = np.where(role == "sharer", np.where(pos == 0, age, sharer_age), age)

    # Sex: older people living alone are mostly women; couples mostly of opposite sex.
    u = rng.random(n)
    female_share = np.select(
        [role == "single", (role == "head") & (kind == 3)],
        [np.select([age >= 80, age >= 65], [0.72, 0.6], 0.45), np.full(n, 0.87)],
        0.5,
    )
    female = u < female_share
    head_female = female[first][hh]
    same_sex = rng.random(n) < 0.03
    female = np.where(is_partner, head_female == same_sex, female)
    sex = np.where(female, "female", "male").astype(object)

    ref = end
    offset = (age * 365.25 + rng.integers(0, 365, n)).astype(int)
    dob = ref - offset.astype("timedelta64[D]")

    # Twins: the eldest two children of some families with two or more.
    child_start = first + np.where(kinds == 2, 2, 1)
    has_two = ((kinds == 2) & (size >= 4)) | ((kinds == 3) & (size >= 3))
    twin_h = np.flatnonzero(has_two & (rng.random(h) < config.twin_rate))
    a, b = child_start[twin_h], child_start[twin_h] + 1
    dob[b], age[b] = dob[a], age[a]
    twin_of = np.full(n, -1)
    twin_of[a], twin_of[b] = b, a

    born = dob.astype("datetime64[Y]").astype(int) + 1970
    given = _given_names(rng, sex, born)

    surnames, surname_p = surname_table()
    surname_arr = np.array(surnames, dtype=object)
    family = surname_arr[rng.choice(len(surnames), size=h, p=surname_p)][hh]
    own = surname_arr[rng.choice(len(surnames), size=n, p=surname_p)]
    keeps_own = (is_partner & (rng.random(n) < 0.25)) | ((role == "sharer") & (pos > 0))
    family = np.where(keeps_own, own, family)

    # Father and son of one name (Jr/Sr): a son of 16+ named after his father.
    namesake_of = np.full(n, -1)
    son = is_child & (sex == "male") & (age >= 16) & (sex[first][hh] == "male") & (kind == 2)
    son_idx = np.flatnonzero(son)
    _, first_son = np.unique(hh[son_idx], return_index=True)
    son_idx = son_idx[first_son]
    son_idx = son_idx[rng.random(len(son_idx)) < config.namesake_rate]
    father_idx = first[hh[son_idx]]
    given[son_idx] = given[father_idx]
    namesake_of[son_idx], namesake_of[father_idx] = father_idx, son_idx

    # No two other members of one household share a given name (twins included).
    seen: set[tuple[int, str]] = set()
    for i in range(n):
        key = (int(hh[i]), str(given[i]))
        while key in seen and namesake_of[i] < 0:
            names = GIVEN_NAMES[(str(sex[i]), "younger" if born[i] >= 1985 else "middle")]
            given[i] = names[int(rng.integers(0, len(names)))]
            key = (int(hh[i]), str(given[i]))
        seen.add(key)

    # Addresses: a few spare ones become the previous homes of households that moved.
    addresses = build_addresses(rng, int(h * 1.08) + 8)
    a_count = len(addresses.uprn)
    address = rng.permutation(a_count)[:h]
    moved = rng.random(h) < config.move_rate
    previous = np.where(moved, (address + rng.integers(1, a_count, h)) % a_count, -1)
    never = np.iinfo(np.int64).max // 4
    moved_on = np.where(moved, rng.integers(30, days - 30, h), never)

    risk = person_risk(
        rng,
        config,
        age=age,
        sex=sex,
        household=hh,
        household_size=size,
        deprivation=addresses.deprivation[address][hh],
        trap_pairs=((a, b), (father_idx, son_idx)),
    )
    people = People(
        household=hh,
        role=role,
        age=age,
        date_of_birth=dob,
        sex=sex,
        given_name=given,
        family_name=family,
        nhs_number=nhs_numbers(rng, n).astype(object),
        twin_of=twin_of,
        namesake_of=namesake_of,
        smoker=risk.smoker,
        alcohol_misuse=risk.alcohol_misuse,
        reduced_mobility=risk.reduced_mobility,
        hoarding=risk.hoarding,
        lives_alone=risk.lives_alone,
        crisis_prone=risk.crisis_prone,
        crisis_rate=risk.crisis_rate,
        diagnosis=risk.diagnosis,
    )
    working_alarm, fire_rate = household_fire_risk(
        rng,
        config,
        age=age,
        household=hh,
        household_size=size,
        deprivation=addresses.deprivation[address],
        risk=risk,
    )
    households = Households(
        kind=np.array(HOUSEHOLD_KINDS, dtype=object)[kinds],
        size=size,
        first=first,
        address=address,
        previous_address=previous,
        moved_on=moved_on,
        working_alarm=working_alarm,
        fire_rate=fire_rate,
    )
    return Population(
        addresses=addresses, households=households, people=people, start=start, end=end
    )
