"""Staging: validate and normalise an extract in temporary tables, ready to be written.

The staged table holds per source-type column the normalised value (``v_``), plus per row
the problems found (``_issues``) and whether one refuses the row (``_bad``); the issues
table lists every problem; ``_BAD`` the rows refused. Nothing here touches the workspace's
own tables: a failure leaves only temporary tables, which ``drop_staging`` removes.
"""

from __future__ import annotations

import duckdb

from sharewell.ingest.mapping import Mapping
from sharewell.ingest.normalisers import (
    clean_text_sql,
    mapped_sql,
    missing_markers,
    nicknames,
    normaliser_for,
    quote_literal,
    render,
    too_long_reason_sql,
    too_long_sql,
)
from sharewell.ingest.readers import RawExtract
from sharewell.ingest.source_types import SourceType

__all__ = ["BAD", "ISSUES", "STAGED", "collect_issues", "drop_staging", "load_nicknames", "stage"]

STAGED, ISSUES, BAD = "_ingest_staged", "_ingest_issues", "_ingest_bad_rows"
_STAGED, _ISSUES, _BAD = STAGED, ISSUES, BAD


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _layers_sql(
    stype: SourceType,
    mapping: Mapping,
    sources: dict[str, str | None],
    base: str,
    keep: list[str],
) -> str:
    """SELECT ``keep`` plus, per column of ``sources``, its text (in_), value (v_) and
    problem (why_), from the FROM clause ``base``.

    Each layer (cleaned text, mapped text, intermediate, value, problem) is its own nested
    SELECT so that DuckDB computes it once, however often the next layer refers to it.
    """
    names = list(sources)
    norms = {n: normaliser_for(stype.columns[n]) for n in names}
    t = {n: _ident("t_" + n) for n in names}
    x = {n: _ident("in_" + n) for n in names}
    p = {n: _ident("p_" + n) for n in names}
    v = {n: _ident("v_" + n) for n in names}
    # Kept columns are given as "expr AS alias" on the innermost layer, by alias above it.
    k0 = "".join(f"{c}, " for c in keep)
    k = "".join(f"{c.rsplit(' AS ', 1)[-1]}, " for c in keep)
    # Whitespace is checked once per row on all columns joined together, and only a row with
    # odd whitespace (a tab, a double or edge space, a no-break space) is cleaned column by
    # column: checking every value separately costs about an eighth of the whole load.
    given = {n: src for n, src in sources.items() if src}
    raw_cols = ", ".join(f"{src} AS {_ident('s_' + n)}" for n, src in given.items())
    joined = (
        "concat_ws(chr(31), " + ", ".join(_ident("s_" + n) for n in given) + ")" if given else "''"
    )
    odd = " OR ".join(
        [f"contains(_all, chr({c}))" for c in (9, 10, 13, 160, 8203, 65279)]
        + [
            "contains(_all, '  ')",
            "contains(_all, ' ' || chr(31))",
            "contains(_all, chr(31) || ' ')",
            "starts_with(_all, ' ')",
            "ends_with(_all, ' ')",
        ]
    )
    s_cols = "".join(f"{_ident('s_' + n)}, " for n in given)
    cleaned = ", ".join(
        f"CASE WHEN _odd THEN {clean_text_sql(_ident('s_' + n), free_text=norms[n].free_text)} "
        f"ELSE nullif({_ident('s_' + n)}, '') END AS {t[n]}"
        if n in given
        else f"CAST(NULL AS VARCHAR) AS {t[n]}"
        for n in names
    )
    mapped = ", ".join(
        f"{mapped_sql(t[n], mapping.values.get(n), missing_markers(stype.columns[n]))} AS {x[n]}"
        for n in names
    )
    xs, ps, vs = (", ".join(d.values()) for d in (x, p, v))
    preps = ", ".join(f"{render(norms[n].prep, x[n])} AS {p[n]}" for n in names)
    values = ", ".join(
        f"CAST(CASE WHEN {too_long_sql(x[n])} THEN NULL ELSE {render(norms[n].value, x[n], p[n])}"
        f" END AS {norms[n].sql_type}) AS {v[n]}"
        for n in names
    )
    problems = ", ".join(
        f"CASE WHEN {x[n]} IS NULL THEN {_missing_sql(stype, n)} WHEN {v[n]} IS NULL THEN "
        f"CASE WHEN {too_long_sql(x[n])} THEN {too_long_reason_sql(x[n])} "
        f"ELSE {render(norms[n].problem, x[n], p[n])} END END AS {_ident('why_' + n)}"
        for n in names
    )
    return (
        f"SELECT {k}{xs}, {vs}, {problems} FROM ("
        f"SELECT {k}{xs}, {ps}, {values} FROM ("
        f"SELECT {k}{xs}, {preps} FROM ("
        f"SELECT {k}{mapped} FROM ("
        f"SELECT {k}{cleaned} FROM ("
        f"SELECT {k}{s_cols}{odd} AS _odd FROM ("
        f"SELECT {k0}{raw_cols}{', ' if raw_cols else ''}{joined} AS _all FROM {base}))))))"
    )


def _missing_sql(stype: SourceType, name: str) -> str:
    if stype.columns[name].required:
        return quote_literal(f"{name} is required but empty")
    return "CAST(NULL AS VARCHAR)"


def stage(
    conn: duckdb.DuckDBPyConnection,
    raw: RawExtract,
    stype: SourceType,
    mapping: Mapping,
    found: dict[str, int],
) -> None:
    """Build the staged table: per column the normalised value (v_), plus per row the list of
    problems found (``_issues``) and whether one of them refuses the row (``_bad``).

    Columns whose values repeat (names, dates, postcodes, categories) are normalised once
    per distinct value and joined back, which on a real extract is several times faster than
    normalising every row; only the values and the rare problem lists are stored.
    """
    names = list(stype.columns)
    column_of = {name: raw.columns[i] for name, i in found.items()}
    repeated = [n for n in names if n in found and normaliser_for(stype.columns[n]).repetitive]
    direct = {n: (raw.column_sql(found[n]) if n in found else None) for n in names}
    for n in repeated:
        del direct[n]
        layers = _layers_sql(
            stype,
            mapping,
            {n: "raw_value"},
            f"(SELECT DISTINCT {raw.column_sql(found[n])} AS raw_value FROM {raw.table} "
            f"WHERE {raw.column_sql(found[n])} IS NOT NULL)",
            ["raw_value"],
        )
        if n == "given_name":
            # The canonical given name of each distinct name, for each sex (Alex is Alexander
            # or Alexandra): resolved once here instead of joining nicknames on every row.
            first = "split_part(g.v_given_name, ' ', 1)"
            canon = {
                sex: f"coalesce({alias}.canonical, n_any.canonical, {first})"
                for sex, alias in (("female", "n_f"), ("male", "n_m"), ("", "n_any"))
            }
            layers = (
                f"SELECT g.*, {canon['female']} AS canon_female, {canon['male']} AS canon_male, "
                f"{canon['']} AS canon_any FROM ({layers}) g "
                + " ".join(
                    f"LEFT JOIN _ingest_nicknames {alias} ON {alias}.nickname = {first} "
                    f"AND {alias}.sex = '{sex}'"
                    for sex, alias in (("female", "n_f"), ("male", "n_m"), ("", "n_any"))
                )
            )
        conn.execute(f"CREATE TEMP TABLE {_ident('_ingest_dict_' + n)} AS {layers}")
    keep = ["_row"] + [f"{raw.column_sql(found[n])} AS {_ident('raw_' + n)}" for n in repeated]
    inner = _layers_sql(stype, mapping, direct, raw.table, keep)
    joined = ["q._row"]
    joins = []
    for n in names:
        if n in direct:
            joined += [f"q.{_ident(c + n)}" for c in ("in_", "v_", "why_")]
            continue
        d = _ident("d_" + n)
        joined += [
            f"{d}.{_ident('in_' + n)}",
            f"{d}.{_ident('v_' + n)}",
            f"CASE WHEN q.{_ident('raw_' + n)} IS NULL THEN {_missing_sql(stype, n)} "
            f"ELSE {d}.{_ident('why_' + n)} END AS {_ident('why_' + n)}",
        ]
        joins.append(
            f"LEFT JOIN {_ident('_ingest_dict_' + n)} {d} ON q.{_ident('raw_' + n)} = {d}.raw_value"
        )
    canonical = "CAST(NULL AS VARCHAR)"
    canonical_source = "NULL AS _unused"
    if "given_name" in repeated:
        canonical_source = (
            "d_given_name.canon_female, d_given_name.canon_male, d_given_name.canon_any"
        )
        sex = '"v_sex"' if "sex" in names else "NULL"
        canonical = (
            f"CASE {sex} WHEN 'female' THEN canon_female "
            "WHEN 'male' THEN canon_male ELSE canon_any END"
        )

    why = {n: _ident("why_" + n) for n in names}
    any_problem = " OR ".join(f"{why[n]} IS NOT NULL" for n in names)
    required = [n for n in names if stype.columns[n].required]
    refused = " OR ".join(f"{why[n]} IS NOT NULL" for n in required) or "FALSE"
    structs = ", ".join(
        f"{{'field': {quote_literal(n)}, 'column_name': {quote_literal(column_of.get(n, n))}, "
        f"'value': {_ident('in_' + n)}, 'reason': {why[n]}, "
        f"'required': {str(n in required).upper()}}}"
        for n in names
    )
    vs = ", ".join(_ident("v_" + n) for n in names)
    conn.execute(
        f"CREATE TEMP TABLE {_STAGED} AS "
        f"SELECT _row, {vs}, {canonical} AS given_name_canonical, CASE WHEN {any_problem} "
        f"THEN list_filter([{structs}], lambda i: i.reason IS NOT NULL) END AS _issues, "
        f"({refused}) AS _bad FROM ("
        f"SELECT {', '.join(joined)}, {canonical_source} FROM ({inner}) q {' '.join(joins)})"
    )
    for n in repeated:
        conn.execute(f"DROP TABLE {_ident('_ingest_dict_' + n)}")


def collect_issues(
    conn: duckdb.DuckDBPyConnection,
    raw: RawExtract,
    stype: SourceType,
    found: dict[str, int],
) -> None:
    """Gather every problem into one table: row, field, file column, value, reason, required;
    and the rows refused (``_BAD``)."""
    column_of = {name: raw.columns[i] for name, i in found.items()}
    conn.execute(
        f"CREATE TEMP TABLE {_ISSUES} AS SELECT _row, i.field AS field, "
        "i.column_name AS column_name, i.value AS value, i.reason AS reason, "
        f"i.required AS required FROM (SELECT _row, unnest(_issues) AS i FROM {_STAGED} "
        "WHERE _issues IS NOT NULL)"
    )
    # The first row with a record_id keeps it; later rows with the same id are refused.
    conn.execute(
        f"INSERT INTO {_ISSUES} SELECT s._row, 'record_id', "
        f"{quote_literal(column_of.get('record_id', 'record_id'))}, s.v_record_id, "
        "'record_id ''' || s.v_record_id || ''' is also on row ' || d.first_row || "
        "'; each record needs its own id', TRUE FROM "
        f"(SELECT v_record_id, min(_row) AS first_row FROM {_STAGED} "
        "WHERE v_record_id IS NOT NULL GROUP BY v_record_id HAVING count(*) > 1) d "
        f"JOIN {_STAGED} s ON s.v_record_id = d.v_record_id AND s._row > d.first_row"
    )
    # Problems the reader found (merged cells, formulas, rows it could not split). One in a
    # column the mapping ignores does not matter; one about the whole row always does.
    field_of = {raw.columns[i]: name for name, i in found.items()}
    rows = [
        (p.row, field_of.get(p.column) if p.column else None, p.column, p.text, p.reason, True)
        for p in raw.problems
        if p.column is None or p.column in field_of
    ]
    if rows:
        conn.execute(
            "CREATE TEMP TABLE _ingest_reader_issues (_row BIGINT, field VARCHAR, "
            "column_name VARCHAR, value VARCHAR, reason VARCHAR, required BOOLEAN)"
        )
        conn.executemany("INSERT INTO _ingest_reader_issues VALUES (?, ?, ?, ?, ?, ?)", rows)
        # The reader's reason (a merged cell, a formula) explains an empty value better than
        # "required but empty" does: keep only the reader's for that cell.
        conn.execute(
            f"DELETE FROM {_ISSUES} WHERE (_row, field) IN "
            "(SELECT (_row, field) FROM _ingest_reader_issues WHERE field IS NOT NULL)"
        )
        conn.execute(f"INSERT INTO {_ISSUES} SELECT * FROM _ingest_reader_issues")
    conn.execute(f"CREATE TEMP TABLE {_BAD} AS SELECT DISTINCT _row FROM {_ISSUES} WHERE required")


def load_nicknames(conn: duckdb.DuckDBPyConnection) -> None:
    """The shipped nickname table, as a temporary table for the canonical given name."""
    conn.execute(
        "CREATE OR REPLACE TEMP TABLE _ingest_nicknames "
        "(nickname VARCHAR, canonical VARCHAR, sex VARCHAR)"
    )
    conn.executemany("INSERT INTO _ingest_nicknames VALUES (?, ?, ?)", list(nicknames()))


def drop_staging(conn: duckdb.DuckDBPyConnection) -> None:
    """Drop every temporary table staging made (the reader drops its own)."""
    rows = conn.execute(
        "SELECT table_name FROM duckdb_tables() WHERE temporary "
        "AND starts_with(table_name, '_ingest_') AND NOT starts_with(table_name, '_ingest_raw')"
    ).fetchall()
    for (table,) in rows:
        conn.execute(f"DROP TABLE IF EXISTS {_ident(table)}")
