"""Evidence from linked data: difference-in-differences against comparisons matched on prior use.

Inputs are two plain relations in a DuckDB connection (the person index from linkage provides
``person_id``):

- events: ``person_id``, ``agency``, ``event_type``, ``event_date`` (DATE)
- cohort: ``person_id``, ``index_date`` (DATE), e.g. people referred to the safe haven

Each cohort member is matched, on the same index date, to up to ``controls_per_person`` people
outside the cohort with the same count of prior events (``match_on`` types, in the window
before the index date, capped). For every event type the effect is the mean over matched
cohort members of (their change in events per person-month, after minus before) less (the
mean change of their controls); its 95% interval comes from resampling matched sets
(bootstrap). Matching is done in SQL; the arithmetic in numpy.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import duckdb
import numpy as np

from sharewell.errors import SavingsError
from sharewell.savings.initiative import Evidence, Initiative

__all__ = ["DidEstimate", "DidResult", "apply_evidence", "grade_for", "measure_did"]

_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_.]*$")


@dataclass(frozen=True)
class DidEstimate:
    """The change in one event type per person-month attributable to the initiative."""

    event_type: str
    effect_per_person_month: float
    ci_low: float
    ci_high: float
    treated: int
    controls: int
    treated_before: float
    treated_after: float
    controls_before: float
    controls_after: float
    confidence_grade: int

    def as_evidence(self, people_per_year: float, months_followed: float, source: str) -> Evidence:
        """This estimate as an initiative outcome's ``evidence``."""
        return Evidence(
            effect_per_person_month=self.effect_per_person_month,
            ci_low=self.ci_low,
            ci_high=self.ci_high,
            people_per_year=people_per_year,
            months_followed=months_followed,
            confidence_grade=self.confidence_grade,
            source=source,
        )


@dataclass(frozen=True)
class DidResult:
    """Estimates by event type, and how many cohort members could be matched."""

    estimates: dict[str, DidEstimate]
    cohort_size: int
    matched: int
    window_months: int
    match_on: tuple[str, ...]
    bootstrap: int


def grade_for(ci_low: float, ci_high: float, matched: int) -> int:
    """Confidence grade for a local estimate: 2 if robust and large, 3 if clear, else 5."""
    clear = ci_high < 0 or ci_low > 0
    if clear and matched >= 100:
        return 2
    return 3 if clear else 5


def _ident(name: str) -> str:
    if not _IDENT.match(name):
        raise SavingsError(f"{name!r} is not a table name")
    return name


def _check_columns(con: duckdb.DuckDBPyConnection, table: str, needed: Sequence[str]) -> None:
    try:
        cols = {c[0] for c in con.execute(f"SELECT * FROM {table} LIMIT 0").description}
    except duckdb.Error as exc:
        raise SavingsError(f"cannot read table {table}: {exc}") from None
    missing = [c for c in needed if c not in cols]
    if missing:
        raise SavingsError(f"table {table} lacks column(s) {', '.join(missing)}")


def measure_did(
    con: duckdb.DuckDBPyConnection,
    *,
    events: str = "events",
    cohort: str = "cohort",
    people: str | None = None,
    event_types: Sequence[str] | None = None,
    match_on: Sequence[str] | None = None,
    window_months: int = 12,
    controls_per_person: int = 3,
    prior_cap: int = 8,
    bootstrap: int = 2000,
    seed: int = 0,
) -> DidResult:
    """Difference-in-differences for a cohort against controls matched on prior use.

    Args:
        con: DuckDB connection holding the tables.
        events: table of person_id, agency, event_type, event_date.
        cohort: table of person_id, index_date.
        people: optional table of person_id: everyone who could be a control (default:
            everyone with an event).
        event_types: event types to estimate (default: all in the events table).
        match_on: event types counted as prior use for matching (default: ``event_types``).
        window_months: months before and after the index date compared.
        controls_per_person: controls matched to each cohort member.
        prior_cap: prior-use counts at or above this are one matching group.
        bootstrap: resamples for the 95% interval.
        seed: makes matching and resampling repeatable.

    Returns:
        Estimates by event type.
    """
    events, cohort = _ident(events), _ident(cohort)
    _check_columns(con, events, ["person_id", "event_type", "event_date"])
    _check_columns(con, cohort, ["person_id", "index_date"])
    if people is not None:
        _check_columns(con, _ident(people), ["person_id"])
    if window_months < 1 or controls_per_person < 1:
        raise SavingsError("window_months and controls_per_person must be at least 1")
    if event_types is None:
        rows = con.execute(f"SELECT DISTINCT event_type FROM {events} ORDER BY 1").fetchall()
        event_types = [r[0] for r in rows]
    types = list(event_types)
    match_types = list(match_on) if match_on is not None else types
    if not types:
        raise SavingsError(f"table {events} has no events")
    w, k, cap, s = int(window_months), int(controls_per_person), int(prior_cap), int(seed)
    pool = f"(SELECT DISTINCT person_id FROM {people or events})"
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE _did_prior AS
        WITH t AS (
            SELECT person_id, CAST(min(index_date) AS DATE) AS index_date
            FROM {cohort} GROUP BY person_id
        ),
        ev AS (
            SELECT person_id, event_type, CAST(event_date AS DATE) AS event_date FROM {events}
        ),
        data_end AS (SELECT max(event_date) AS d FROM ev),
        followed AS (
            SELECT t.* FROM t, data_end
            WHERE CAST(t.index_date + to_months({w}) AS DATE) <= data_end.d
        ),
        dates AS (SELECT DISTINCT index_date FROM followed),
        candidates AS (
            SELECT p.person_id, d.index_date
            FROM {pool} p CROSS JOIN dates d
            WHERE p.person_id NOT IN (SELECT person_id FROM t)
        ),
        everyone AS (
            SELECT person_id, index_date, TRUE AS treated FROM followed
            UNION ALL
            SELECT person_id, index_date, FALSE FROM candidates
        ),
        prior AS (
            SELECT e.person_id, e.index_date, e.treated,
                   least(count(ev.person_id), {cap}) AS prior_use
            FROM everyone e
            LEFT JOIN ev ON ev.person_id = e.person_id
              AND ev.event_type IN (SELECT unnest($match_types))
              AND ev.event_date >= CAST(e.index_date - to_months({w}) AS DATE)
              AND ev.event_date < e.index_date
            GROUP BY ALL
        )
        SELECT * FROM prior
        """,
        {"match_types": match_types},
    )
    _match_without_replacement(con, k, s)
    counts = con.execute(
        f"""
        WITH ev AS (
            SELECT person_id, event_type, CAST(event_date AS DATE) AS event_date FROM {events}
            WHERE event_type IN (SELECT unnest($types))
        )
        SELECT s.set_id, s.treated, ty.event_type,
               count(ev.person_id) FILTER (
                   WHERE ev.event_date >= CAST(s.index_date - to_months({w}) AS DATE)
                     AND ev.event_date < s.index_date) AS before,
               count(ev.person_id) FILTER (
                   WHERE ev.event_date > s.index_date
                     AND ev.event_date <= CAST(s.index_date + to_months({w}) AS DATE)) AS after
        FROM _did_sets s
        CROSS JOIN (SELECT unnest($types) AS event_type) ty
        LEFT JOIN ev ON ev.person_id = s.person_id AND ev.event_type = ty.event_type
        GROUP BY s.set_id, s.person_id, s.treated, ty.event_type
        ORDER BY s.set_id, ty.event_type
        """,
        {"types": types},
    ).fetchall()
    cohort_size = con.execute(f"SELECT count(DISTINCT person_id) FROM {cohort}").fetchone()[0]  # type: ignore[index]
    con.execute("DROP TABLE IF EXISTS _did_sets")
    con.execute("DROP TABLE IF EXISTS _did_prior")
    return _estimate(counts, types, w, bootstrap, s, cohort_size, tuple(match_types))


def _match_without_replacement(con: duckdb.DuckDBPyConnection, k: int, seed: int) -> None:
    """Give each cohort member up to ``k`` controls of equal prior use on its index date.

    Greedy, in random order, without replacement: no person is a control twice, so matched
    sets are independent and resampling them gives an honest interval.
    """
    treated = con.execute(
        "SELECT person_id, index_date, prior_use FROM _did_prior WHERE treated ORDER BY person_id"
    ).fetchall()
    pools: dict[tuple[object, int], list[object]] = {}
    # Only a random few candidates per (date, prior use) cell are needed: enough for every
    # cohort member in the cell even after others have been used on other dates.
    rows = con.execute(
        f"""
        WITH cells AS (
            SELECT index_date, prior_use, count(*) AS n FROM _did_prior WHERE treated
            GROUP BY ALL
        ),
        ranked AS (
            SELECT c.index_date, c.prior_use, c.person_id, cells.n, row_number() OVER (
                PARTITION BY c.index_date, c.prior_use
                ORDER BY hash(
                    CAST(c.person_id AS VARCHAR) || CAST(c.index_date AS VARCHAR) || '{seed}'
                )
            ) AS rn
            FROM _did_prior c JOIN cells USING (index_date, prior_use)
            WHERE NOT c.treated
        )
        SELECT index_date, prior_use, person_id FROM ranked WHERE rn <= n * {k} * 4 + 20
        ORDER BY index_date, prior_use, rn
        """
    ).fetchall()
    for index_date, prior_use, person_id in rows:
        pools.setdefault((index_date, prior_use), []).append(person_id)
    rng = np.random.default_rng(seed)
    used: set[object] = set()
    sets: list[tuple[str, object, object, bool]] = []
    for i in rng.permutation(len(treated)):
        person_id, index_date, prior_use = treated[i]
        pool = pools.get((index_date, prior_use), [])
        chosen = []
        for j in rng.permutation(len(pool)):
            if pool[j] not in used:
                chosen.append(pool[j])
                if len(chosen) == k:
                    break
        if not chosen:
            continue
        used.update(chosen)
        sets.append((str(person_id), person_id, index_date, True))
        sets += [(str(person_id), c, index_date, False) for c in chosen]
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _did_sets "
        "(set_id VARCHAR, person_id VARCHAR, index_date DATE, treated BOOLEAN)"
    )
    if sets:
        con.executemany(
            "INSERT INTO _did_sets VALUES (?, ?, ?, ?)",
            [(a, str(b), c, d) for a, b, c, d in sets],
        )


def _estimate(
    counts: Sequence[tuple[object, bool, str, int, int]],
    types: Sequence[str],
    w: int,
    bootstrap: int,
    seed: int,
    cohort_size: int,
    match_on: tuple[str, ...],
) -> DidResult:
    sets = sorted({str(r[0]) for r in counts})
    index = {sid: i for i, sid in enumerate(sets)}
    n = len(sets)
    if n == 0:
        raise SavingsError(
            "no cohort member could be matched to a comparison person with the same prior use "
            "and a full follow-up window; widen the data or lower window_months"
        )
    rng = np.random.default_rng(seed)
    resamples = rng.integers(0, n, size=(bootstrap, n))
    estimates = {}
    n_controls = 0
    for ty in types:
        t_before, t_after = np.zeros(n), np.zeros(n)
        c_before, c_after, c_count = np.zeros(n), np.zeros(n), np.zeros(n)
        for sid, treated, etype, before, after in counts:
            if etype != ty:
                continue
            i = index[str(sid)]
            if treated:
                t_before[i], t_after[i] = before, after
            else:
                c_before[i] += before
                c_after[i] += after
                c_count[i] += 1
        n_controls = int(c_count.sum())
        c_before, c_after = c_before / c_count, c_after / c_count
        per_set = ((t_after - t_before) - (c_after - c_before)) / w
        effect = float(per_set.mean())
        boot = per_set[resamples].mean(axis=1)
        lo, hi = (float(x) for x in np.percentile(boot, [2.5, 97.5]))
        estimates[ty] = DidEstimate(
            event_type=ty,
            effect_per_person_month=effect,
            ci_low=lo,
            ci_high=hi,
            treated=n,
            controls=n_controls,
            treated_before=float(t_before.mean() / w),
            treated_after=float(t_after.mean() / w),
            controls_before=float(c_before.mean() / w),
            controls_after=float(c_after.mean() / w),
            confidence_grade=grade_for(lo, hi, n),
        )
    return DidResult(
        estimates=estimates,
        cohort_size=cohort_size,
        matched=n,
        window_months=w,
        match_on=match_on,
        bootstrap=bootstrap,
    )


def apply_evidence(
    initiative: Initiative,
    outcome: str,
    estimate: DidEstimate,
    *,
    people_per_year: float,
    months_followed: float,
    source: str = "difference-in-differences on the partnership's linked data",
) -> Initiative:
    """The initiative with one outcome's events taken from a measured estimate."""
    names = [o.name for o in initiative.outcomes]
    if outcome not in names:
        raise SavingsError(
            f"{initiative.slug}: no outcome {outcome!r} (outcomes: {', '.join(names)})"
        )
    evidence = estimate.as_evidence(people_per_year, months_followed, source)
    outcomes = [
        o.model_copy(
            update={
                "evidence": evidence,
                "events_avoided": None,
                "range": None,
                "confidence_grade": None,
            }
        )
        if o.name == outcome
        else o
        for o in initiative.outcomes
    ]
    return initiative.model_copy(update={"outcomes": outcomes})
