"""Evidence from linked data: a matched difference-in-differences built as an evaluator would.

Inputs are plain relations in a DuckDB connection (linkage's person index gives ``person_id``):

- events: ``person_id``, ``event_type``, ``event_date`` (DATE), optionally ``quantity``
  (e.g. bed days of an admission; default 1);
- cohort: ``person_id``, ``index_date`` (DATE), e.g. people referred to the safe haven;
- people (optional): who may be a comparison person, with any of ``index_date`` (their own:
  e.g. their first crisis contact after the service opened), ``sex``, ``date_of_birth``.
  Without an ``index_date`` each gets a cohort member's index date at random, so calendar
  time is alike in both groups.

The design (``sharewell.savings.matching`` holds the arithmetic): everyone's events in the
year before the index date, the year after, and the year before that; each cohort member
matched to up to three comparisons of the same sex, age band and index quarter with the
nearest history **per event type**; a balance table; for every event type the
difference-in-differences with Bonferroni-corrected intervals; a pre-trend test; a grade
earned from the design; and a refusal below ``MIN_MATCHED`` matched members. SQL builds the
windows; numpy does the rest.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

import duckdb
import numpy as np

from sharewell.errors import SavingsError
from sharewell.savings.initiative import Evidence, Initiative
from sharewell.savings.matching import (
    MIN_MATCHED,
    Balance,
    balance,
    by_set,
    design_grade,
    did_effect,
    match,
    worst_smd,
)

__all__ = ["DidEstimate", "DidResult", "apply_evidence", "measure_did"]

_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_.]*$")


@dataclass(frozen=True)
class DidEstimate:
    """The change in one event type per person-month attributable to the initiative."""

    event_type: str
    effect_per_person_month: float
    ci_low: float
    """Lower end of the Bonferroni-corrected interval (what the appraisal's range uses)."""
    ci_high: float
    ci95_low: float
    """Uncorrected 95% interval (bootstrap percentiles)."""
    ci95_high: float
    p_value: float
    p_adjusted: float
    clear: bool
    """Whether the corrected interval excludes zero."""
    pre_trend: float
    """Difference-in-differences between the two years before the index date."""
    pre_trend_low: float
    pre_trend_high: float
    pre_trend_ok: bool
    """True only when tested (enough sets with two years before) and no clear difference."""
    pre_trend_sets: int
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
            clear=self.clear,
            source=source,
        )


@dataclass(frozen=True)
class DidResult:
    """Estimates by event type, the balance table, and how the cohort was matched."""

    estimates: dict[str, DidEstimate]
    cohort_size: int
    matched: int
    window_months: int
    match_on: tuple[str, ...]
    bootstrap: int
    balance: tuple[Balance, ...] = ()
    pool_size: int = 0
    followed: int = 0
    """Cohort members with a full year before and after their index date in the data."""
    matched_on: tuple[str, ...] = ()
    """The exact-match keys used (sex, age band, index quarter, where known)."""

    @property
    def clear(self) -> tuple[str, ...]:
        """Event types with a clear effect after correction."""
        return tuple(t for t, e in self.estimates.items() if e.clear)


def _ident(name: str) -> str:
    if not _IDENT.match(name):
        raise SavingsError(f"{name!r} is not a table name")
    return name


def _columns(con: duckdb.DuckDBPyConnection, table: str, needed: Sequence[str]) -> set[str]:
    try:
        cols = {c[0] for c in con.execute(f"SELECT * FROM {table} LIMIT 0").description}
    except duckdb.Error as exc:
        raise SavingsError(f"cannot read table {table}: {exc}") from None
    missing = [c for c in needed if c not in cols]
    if missing:
        raise SavingsError(f"table {table} lacks column(s) {', '.join(missing)}")
    return cols


def _units_sql(
    events: str, cohort: str, people: str | None, c_cols: set[str], p_cols: set[str], seed: int
) -> str:
    """Everyone in the design: person, index date, cohort or not, sex, date of birth.

    A cohort member's sex and date of birth come from the cohort table, else from ``people``.
    """

    def col(name: str, cast: str) -> str:
        parts = [f"{t}.{name}" for t, cols in (("c", c_cols), ("p", p_cols)) if name in cols]
        expr = "coalesce(" + ", ".join(parts) + ")" if parts else "NULL"
        return f"CAST({expr} AS {cast})"

    join = f"LEFT JOIN {people} p ON p.person_id = c.person_id" if people else ""
    pool_sex = "CAST(p.sex AS VARCHAR)" if "sex" in p_cols else "CAST(NULL AS VARCHAR)"
    pool_dob = (
        "CAST(p.date_of_birth AS DATE)" if "date_of_birth" in p_cols else "CAST(NULL AS DATE)"
    )
    if "index_date" in p_cols:
        pool_index = "CAST(p.index_date AS DATE)"
        pool = (
            f"(SELECT DISTINCT ON (person_id) * FROM {people} WHERE index_date IS NOT NULL "
            "ORDER BY person_id, index_date) p"
        )
    else:
        # A cohort member's index date, drawn by a seeded hash of the person.
        pool_index = (
            "(SELECT list(index_date ORDER BY index_date) FROM t)"
            f"[1 + CAST(hash(CAST(p.person_id AS VARCHAR) || '{seed}') % "
            "(SELECT count(*) FROM t) AS BIGINT)]"
        )
        pool = (
            f"(SELECT DISTINCT ON (person_id) * FROM {people}) p"
            if people
            else f"(SELECT DISTINCT person_id FROM {events}) p"
        )
    return f"""
        WITH t AS (
            SELECT c.person_id, CAST(min(c.index_date) AS DATE) AS index_date, TRUE AS treated,
                   any_value({col("sex", "VARCHAR")}) AS sex,
                   any_value({col("date_of_birth", "DATE")}) AS date_of_birth
            FROM {cohort} c {join}
            GROUP BY c.person_id
        )
        SELECT * FROM t
        UNION ALL
        SELECT p.person_id, {pool_index}, FALSE, {pool_sex}, {pool_dob}
        FROM {pool}
        WHERE p.person_id NOT IN (SELECT person_id FROM t)
    """


@dataclass(frozen=True)
class _Windows:
    ids: list[object]
    treated: np.ndarray
    index: list[date]
    sex: list[object]
    dob: list[object]
    pre2: np.ndarray
    pre1: np.ndarray
    post: np.ndarray
    pre2_seen: np.ndarray


def _windows(
    con: duckdb.DuckDBPyConnection,
    units_sql: str,
    events: str,
    types: Sequence[str],
    w: int,
    has_quantity: bool,
) -> _Windows:
    qty = "coalesce(CAST(e.quantity AS DOUBLE), 0)" if has_quantity else "1.0"
    con.execute(f"CREATE OR REPLACE TEMP TABLE _did_units AS {units_sql}")
    try:
        con.execute(
            f"""
            CREATE OR REPLACE TEMP TABLE _did_units_kept AS
            WITH span AS (
                SELECT min(CAST(event_date AS DATE)) AS first, max(CAST(event_date AS DATE)) AS last
                FROM {events}
            )
            SELECT u.*, CAST(u.index_date - to_months({2 * w}) AS DATE) >= span.first AS pre2_seen
            FROM _did_units u, span
            WHERE u.index_date IS NOT NULL
              AND CAST(u.index_date + to_months({w}) AS DATE) <= span.last
              AND CAST(u.index_date - to_months({w}) AS DATE) >= span.first
            """
        )
        units = con.execute(
            "SELECT person_id, index_date, treated, sex, date_of_birth, pre2_seen "
            "FROM _did_units_kept ORDER BY treated DESC, person_id"
        ).fetchall()
        counts = con.execute(
            f"""
            SELECT u.person_id, e.event_type,
                sum({qty}) FILTER (WHERE CAST(e.event_date AS DATE)
                    >= CAST(u.index_date - to_months({2 * w}) AS DATE)
                    AND CAST(e.event_date AS DATE) < CAST(u.index_date - to_months({w}) AS DATE)),
                sum({qty}) FILTER (WHERE CAST(e.event_date AS DATE)
                    >= CAST(u.index_date - to_months({w}) AS DATE)
                    AND CAST(e.event_date AS DATE) < u.index_date),
                sum({qty}) FILTER (WHERE CAST(e.event_date AS DATE) > u.index_date
                    AND CAST(e.event_date AS DATE) <= CAST(u.index_date + to_months({w}) AS DATE))
            FROM _did_units_kept u JOIN {events} e ON e.person_id = u.person_id
            WHERE e.event_type IN (SELECT unnest($types))
            GROUP BY ALL
            """,
            {"types": list(types)},
        ).fetchall()
    finally:
        con.execute("DROP TABLE IF EXISTS _did_units")
        con.execute("DROP TABLE IF EXISTS _did_units_kept")
    row_of = {u[0]: i for i, u in enumerate(units)}
    col_of = {t: j for j, t in enumerate(types)}
    shape = (len(units), len(types))
    pre2, pre1, post = np.zeros(shape), np.zeros(shape), np.zeros(shape)
    for pid, ety, a, b, c in counts:
        i, j = row_of[pid], col_of[ety]
        pre2[i, j], pre1[i, j], post[i, j] = a or 0.0, b or 0.0, c or 0.0
    return _Windows(
        ids=[u[0] for u in units],
        treated=np.array([bool(u[2]) for u in units], dtype=bool),
        index=[u[1] for u in units],
        sex=[u[3] for u in units],
        dob=[u[4] for u in units],
        pre2=pre2,
        pre1=pre1,
        post=post,
        pre2_seen=np.array([bool(u[5]) for u in units], dtype=bool),
    )


def _age(index: date, dob: object) -> float:
    if not isinstance(dob, date):
        return float("nan")
    return (index - dob).days / 365.25


def _design(
    win: _Windows, match_cols: Sequence[int], types: Sequence[str]
) -> tuple[np.ndarray, np.ndarray, list[str], np.ndarray, list[str]]:
    """Exact-match keys, matching history, balance covariates (names, values), keys used."""
    n = len(win.ids)
    ages = np.array([_age(i, d) for i, d in zip(win.index, win.dob, strict=True)])
    keys: list[list[object]] = [[] for _ in range(n)]
    used: list[str] = []
    if any(s is not None for s in win.sex):
        used.append("sex")
        for k, s in zip(keys, win.sex, strict=True):
            k.append(s or "unknown")
    if not np.isnan(ages).all():
        used.append("age band")
        for k, a in zip(keys, ages, strict=True):
            k.append(-1 if np.isnan(a) else min(int(a // 10), 9))
    used.append("index quarter")
    for k, d in zip(keys, win.index, strict=True):
        k.append(d.year * 4 + (d.month - 1) // 3)
    names, columns = [], []
    if "sex" in used:
        names.append("female (share)")
        columns.append(np.array([1.0 if s in ("F", "female", "f") else 0.0 for s in win.sex]))
    if "age band" in used:
        names.append("age at index date")
        columns.append(np.where(np.isnan(ages), np.nanmean(ages), ages))
    for j, t in enumerate(types):
        names.append(f"{t}: events in the year before")
        columns.append(win.pre1[:, j])
    history = win.pre1[:, list(match_cols)]
    return np.array(keys, dtype=object), history, names, np.column_stack(columns), used


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
    min_matched: int = MIN_MATCHED,
    bootstrap: int = 2000,
    seed: int = 0,
) -> DidResult:
    """Matched difference-in-differences of a cohort against comparison people.

    Args:
        con: DuckDB connection holding the tables.
        events: table of person_id, event_type, event_date (and optionally quantity).
        cohort: table of person_id, index_date.
        people: optional table of who may be a comparison person (person_id, and any of
            index_date, sex, date_of_birth); default everyone with an event.
        event_types: event types to estimate (default: all in the events table).
        match_on: event types whose history is matched on (default: ``event_types``).
        window_months: months before and after the index date compared.
        controls_per_person: comparisons matched to each cohort member.
        min_matched: fewer matched cohort members than this and nothing is estimated.
        bootstrap: resamples of matched sets for the standard errors.
        seed: makes matching and resampling repeatable.

    Raises:
        SavingsError: a table lacks a column, or too few cohort members could be followed or
            matched to say anything.
    """
    events, cohort = _ident(events), _ident(cohort)
    ev_cols = _columns(con, events, ["person_id", "event_type", "event_date"])
    c_cols = _columns(con, cohort, ["person_id", "index_date"])
    p_cols = _columns(con, _ident(people), ["person_id"]) if people is not None else set()
    if window_months < 1 or controls_per_person < 1:
        raise SavingsError("window_months and controls_per_person must be at least 1")
    if event_types is None:
        rows = con.execute(f"SELECT DISTINCT event_type FROM {events} ORDER BY 1").fetchall()
        event_types = [r[0] for r in rows]
    types = list(event_types)
    if not types:
        raise SavingsError(f"table {events} has no events")
    match_types = [t for t in (match_on if match_on is not None else types) if t in types]
    w, s = int(window_months), int(seed)
    cohort_size = int(con.execute(f"SELECT count(DISTINCT person_id) FROM {cohort}").fetchone()[0])  # type: ignore[index]
    units = _units_sql(events, cohort, people, c_cols, p_cols, s)
    win = _windows(con, units, events, types, w, "quantity" in ev_cols)
    keys, history, names, covars, used = _design(win, [types.index(t) for t in match_types], types)
    t_idx, p_idx = np.flatnonzero(win.treated), np.flatnonzero(~win.treated)
    followed = int(t_idx.size)
    # Up to ``controls_per_person`` each, but no more than the pool can give everyone: with a
    # pool hardly larger than the cohort, one each keeps most of the cohort in the design.
    k = max(1, min(controls_per_person, int(p_idx.size) // max(followed, 1)))
    matched = match(keys[t_idx], history[t_idx], keys[p_idx], history[p_idx], k=k, seed=s)
    n = int(matched.treated.size)
    if n < min_matched:
        raise SavingsError(
            f"the cohort has {cohort_size} people, {followed} with a full year before and after "
            f"their index date in the data and {n} matched to comparison people: an evaluation "
            f"needs at least {min_matched} matched to tell an effect from chance, so nothing "
            "was estimated"
        )
    bal = tuple(balance(names, covars[t_idx], covars[p_idx], matched))
    worst = worst_smd(bal)
    seen = win.pre2_seen
    trend_sets = [
        i
        for i, c in enumerate(matched.controls)
        if seen[t_idx[matched.treated[i]]] and seen[p_idx[c]].all()
    ]
    estimates = {}
    for j, ty in enumerate(types):
        tb, cb = by_set(win.pre1[t_idx, j], win.pre1[p_idx, j], matched)
        ta, ca = by_set(win.post[t_idx, j], win.post[p_idx, j], matched)
        eff = did_effect(
            tb, ta, cb, ca, months=w, tests=len(types), bootstrap=bootstrap, seed=s + j
        )
        t2, c2 = by_set(win.pre2[t_idx, j], win.pre2[p_idx, j], matched)
        sel = np.array(trend_sets, dtype=int)
        trend = did_effect(
            t2[sel],
            tb[sel],
            c2[sel],
            cb[sel],
            months=w,
            tests=len(types),
            bootstrap=bootstrap,
            seed=s + 100 + j,
        )
        # Untestable (too few sets with two years of history) counts as not shown to be fine.
        trend_ok = sel.size >= min(min_matched, n) // 2 and not trend.clear
        estimates[ty] = DidEstimate(
            event_type=ty,
            effect_per_person_month=eff.effect,
            ci_low=eff.ci_low,
            ci_high=eff.ci_high,
            ci95_low=eff.ci95_low,
            ci95_high=eff.ci95_high,
            p_value=eff.p_value,
            p_adjusted=eff.p_adjusted,
            clear=eff.clear,
            pre_trend=trend.effect,
            pre_trend_low=trend.ci_low,
            pre_trend_high=trend.ci_high,
            pre_trend_ok=trend_ok,
            pre_trend_sets=int(sel.size),
            treated=n,
            controls=int(sum(c.size for c in matched.controls)),
            treated_before=float(tb.mean() / w),
            treated_after=float(ta.mean() / w),
            controls_before=float(cb.mean() / w),
            controls_after=float(ca.mean() / w),
            confidence_grade=design_grade(eff, trend_ok, worst, n),
        )
    return DidResult(
        estimates=estimates,
        cohort_size=cohort_size,
        matched=n,
        window_months=w,
        match_on=tuple(match_types),
        bootstrap=bootstrap,
        balance=bal,
        pool_size=int(p_idx.size),
        followed=followed,
        matched_on=tuple(used),
    )


def apply_evidence(
    initiative: Initiative,
    outcome: str,
    estimate: DidEstimate,
    *,
    people_per_year: float,
    months_followed: float,
    source: str = "matched difference-in-differences on the partnership's linked data",
    unit_costs: Mapping[str, float] | None = None,
) -> Initiative:
    """The initiative with one outcome's events taken from a measured estimate.

    A clear effect is applied at its estimate, a rise as a cost (a disbenefit); an effect that
    is not clear after correction is applied at none, its interval kept as the range. With
    ``unit_costs``, an outcome the initiative lacks is added (a measured effect is never left
    out because the appraiser did not foresee it). Deadweight and attribution are never
    applied on top of a measured effect.
    """
    names = [o.name for o in initiative.outcomes]
    evidence = estimate.as_evidence(people_per_year, months_followed, source)
    if outcome not in names:
        if unit_costs is None:
            raise SavingsError(
                f"{initiative.slug}: no outcome {outcome!r} (outcomes: {', '.join(names)})"
            )
        from sharewell.savings.outcome import Outcome

        added = Outcome(name=outcome, unit_costs=dict(unit_costs), evidence=evidence)
        return initiative.model_copy(update={"outcomes": [*initiative.outcomes, added]})
    cleared = {
        "evidence": evidence,
        "events_avoided": None,
        "cohort": None,
        "range": None,
        "confidence_grade": None,
        "deadweight": None,
        "deadweight_range": None,
        "attribution": None,
        "attribution_range": None,
    }
    outcomes = [
        o.model_copy(update=cleared) if o.name == outcome else o for o in initiative.outcomes
    ]
    return initiative.model_copy(update={"outcomes": outcomes})
