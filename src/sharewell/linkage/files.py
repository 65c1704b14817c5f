"""Link two person files (or find duplicates in one) with no hub: ``sharewell link-files``.

An analyst with two extracts maps their columns onto the standard fields, and gets record
pairs with a match probability. The model trains on the files themselves (unsupervised).
Unreadable values become missing and are reported; no record is dropped.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
from splink import DuckDBAPI

from sharewell.errors import LinkageError, NotFound
from sharewell.linkage.columns import (
    FieldMapping,
    auto_mapping,
    default_id_columns,
    parse_mapping,
    unused_columns,
)
from sharewell.linkage.fields import FIELD_LABELS, LINK_FIELDS
from sharewell.linkage.model import ModelSpec, differs_sql, household_sql, veto_sql
from sharewell.linkage.normalise import RAW_FIELDS, invalid_sql, normalised_sql
from sharewell.linkage.prepare import OPTIONAL_SOURCE_COLUMNS, prepared_records_sql
from sharewell.linkage.rivals import with_rivals_sql
from sharewell.linkage.run import histogram
from sharewell.linkage.threshold import choose_threshold
from sharewell.linkage.training import Step, guard_blocking, predict, train_linker

__all__ = [
    "FieldMapping",
    "FilesLinkSummary",
    "InvalidValues",
    "link_files",
    "parse_mapping",
]


@dataclass(frozen=True)
class InvalidValues:
    """Values present in a file but unreadable for a field; treated as missing."""

    file: str
    field: str
    count: int
    examples: list[str]
    reason: str = ""  # ingest's reason for one of them, e.g. "'31/02/1980' is not a real..."


@dataclass(frozen=True)
class UnusedColumns:
    """Columns of one file that the linkage did not read."""

    file: str
    columns: list[str]


@dataclass(frozen=True)
class FilesLinkSummary:
    """What ``link_files`` did."""

    mode: str
    left: Path
    right: Path | None
    out: Path
    records_left: int
    records_right: int
    mapping: list[FieldMapping]
    pairs_scored: int
    links: int
    threshold: float
    threshold_method: str
    invalid: list[InvalidValues] = field(default_factory=list)
    seconds: float = 0.0
    training_notes: tuple[str, ...] = ()
    # The person fields compared (both files hold values for them), in model order.
    fields_used: tuple[str, ...] = ()
    # Fields mapped but with no values on one side or both: not compared.
    fields_empty: tuple[str, ...] = ()
    unused: list[UnusedColumns] = field(default_factory=list)
    id_columns: tuple[str | None, str | None] = (None, None)


# Prepared columns -> the raw field names link-files reports them under.
_RAW_OF = {"dob": "date_of_birth"}


def _read(con: duckdb.DuckDBPyConnection, path: Path, name: str) -> list[str]:
    if not path.exists():
        raise NotFound(f"file {path} does not exist")
    suffix = path.suffix.lower()
    if suffix in (".parquet", ".pq"):
        reader = f"read_parquet('{path}')"
    elif suffix in (".csv", ".txt", ".tsv"):
        reader = f"read_csv('{path}', all_varchar = true, header = true)"
    else:
        raise LinkageError(f"{path}: link-files reads CSV or Parquet, not {suffix or 'this'}")
    try:
        con.execute(
            f"CREATE TABLE {name} AS SELECT *, row_number() OVER () AS sw_row FROM {reader}"
        )
    except duckdb.Error as exc:
        raise LinkageError(f"cannot read {path}: {exc}") from exc
    return [r[0] for r in con.execute(f"DESCRIBE {name}").fetchall() if r[0] != "sw_row"]


def _raw(
    con: duckdb.DuckDBPyConnection,
    table: str,
    label: str,
    path: Path,
    columns: list[str],
    mapping: list[FieldMapping],
    side: str,
    id_column: str | None,
) -> None:
    def pick(col: str, f: str) -> str:
        if col not in columns:
            raise LinkageError(f"{path}: no column {col!r} for {f} (columns: {', '.join(columns)})")
        return f'CAST("{col}" AS VARCHAR)'

    chosen: dict[str, list[str]] = {}
    for m in mapping:
        for col in (m.left if side == "left" else m.right).split("+"):
            chosen.setdefault(m.field, []).append(pick(col.strip(), m.field))

    def value(f: str) -> str:
        parts = chosen.get(f)
        if not parts:
            return "NULL::VARCHAR"
        # Address lines join with a space; an empty line adds nothing.
        return parts[0] if len(parts) == 1 else f"nullif(concat_ws(' ', {', '.join(parts)}), '')"

    if id_column is not None and id_column not in columns:
        raise LinkageError(f"{path}: no id column {id_column!r} (columns: {', '.join(columns)})")
    uid = f'CAST("{id_column}" AS VARCHAR)' if id_column else "'row ' || sw_row"
    fields = [f"{value(f)} AS {f}" for f in RAW_FIELDS]
    extras = [f"{value(f)} AS {f}" for f in chosen if f not in RAW_FIELDS]
    con.execute(
        f"CREATE TABLE sw_raw_{side} AS SELECT {uid} AS unique_id, '{label}' AS source_dataset, "
        + ", ".join(fields + extras)
        + f" FROM {table}"
    )
    dup = con.execute(
        f"SELECT unique_id, count(*) FROM sw_raw_{side} GROUP BY 1 HAVING count(*) > 1 LIMIT 1"
    ).fetchall()
    if dup:
        raise LinkageError(
            f"{path}: id {dup[0][0]!r} appears {dup[0][1]} times in column {id_column!r}; "
            "choose a unique id column with --id, or rename it so rows are numbered"
        )


def link_files(
    left: Path,
    right: Path | None,
    mapping_entries: Sequence[str],
    out: Path,
    *,
    threshold: float | None = None,
    id_columns: tuple[str | None, str | None] | None = None,
    include_unlinked: bool = False,
    step: Step = lambda _: None,
) -> FilesLinkSummary:
    """Link ``left`` to ``right`` (or dedupe ``left``) and write pairs to ``out`` (CSV/Parquet).

    ``id_columns`` names each file's record id column; by default a ``record_id`` column
    is used where a file has one, and rows are numbered otherwise.
    """
    if threshold is not None and not 0 < threshold < 1:
        raise LinkageError(f"threshold must be a probability between 0 and 1, not {threshold}")
    if out.suffix.lower() not in (".csv", ".parquet"):
        raise LinkageError(f"--out {out}: write .csv or .parquet")
    t0 = time.perf_counter()
    mode = "dedupe" if right is None else "link"
    with tempfile.TemporaryDirectory(prefix="sharewell-link-files-") as tmp:
        con = duckdb.connect(":memory:")
        con.execute(f"SET temp_directory = '{tmp}'")
        try:
            step("reading files")
            left_cols = _read(con, left, "sw_file_left")
            right_cols = _read(con, right, "sw_file_right") if right is not None else left_cols
            ids = id_columns or default_id_columns(
                left_cols, right_cols if right is not None else None
            )
            mapping = (
                parse_mapping(mapping_entries)
                if mapping_entries
                else auto_mapping(left_cols, right_cols, skip=[c for c in ids if c])
            )
            if not any(m.field in RAW_FIELDS for m in mapping):
                raise LinkageError(
                    "no column maps onto a person field: use --map, e.g. "
                    "--map Forename=first_name --map DOB=date_of_birth"
                )
            sides = [("left", "sw_file_left", left, ids[0], left_cols)]
            if right is not None:
                sides.append(("right", "sw_file_right", right, ids[1], right_cols))
            for side, table, path, id_col, cols in sides:
                _raw(con, table, side, path, cols, mapping, side, id_col)
            unused = [
                UnusedColumns(side, unused_columns(cols, mapping, side, id_col))
                for side, _, _, id_col, cols in sides
            ]
            extra = tuple(dict.fromkeys(m.field for m in mapping if m.field not in RAW_FIELDS))
            step("normalising and checking values")
            con.execute(
                "CREATE TABLE sw_raw AS SELECT * FROM sw_raw_left"
                + (" UNION ALL SELECT * FROM sw_raw_right" if right is not None else "")
            )
            con.execute("CREATE TABLE sw_norm AS " + normalised_sql("sw_raw", extra))
            invalid = [
                InvalidValues(r[0], r[1], int(r[2]), list(r[3]), str(r[4]))
                for r in con.execute(invalid_sql("sw_norm")).fetchall()
            ]
            con.execute(
                "CREATE TABLE sw_prepared AS "
                + prepared_records_sql(
                    "sw_norm", keep=("source_dataset", *extra), has=OPTIONAL_SOURCE_COLUMNS
                )
            )
            spec = _spec(con, mode, extra, mapping)
            result = _link(con, mode, spec, threshold, out, include_unlinked, step)
            counts = dict(
                con.execute(
                    "SELECT source_dataset, count(*) FROM sw_prepared GROUP BY 1"
                ).fetchall()
            )
        finally:
            con.close()
    mapped = {m.field for m in mapping if m.field in RAW_FIELDS}
    used = tuple(_RAW_OF.get(f, f) for f in LINK_FIELDS if f in spec.present)
    return FilesLinkSummary(
        mode=mode,
        left=left,
        right=right,
        out=out,
        records_left=int(counts.get("left", 0)),
        records_right=int(counts.get("right", 0)),
        mapping=mapping,
        pairs_scored=result[0],
        links=result[1],
        threshold=result[2],
        threshold_method=result[3],
        invalid=invalid,
        seconds=round(time.perf_counter() - t0, 2),
        training_notes=result[4],
        fields_used=used + spec.extra_ids + spec.extra_exact,
        fields_empty=tuple(f for f in RAW_FIELDS if f in mapped and f not in used),
        unused=[u for u in unused if u.columns],
        id_columns=ids,
    )


def _counts(con: duckdb.DuckDBPyConnection, mode: str, columns: Sequence[str]) -> dict[str, int]:
    """Per column, how many records hold a value — for a link, on the side with fewer."""
    if not columns:
        return {}
    row = con.execute(
        "SELECT "
        + ", ".join(
            f"least(count({c}) FILTER (source_dataset = 'left'), "
            f"count({c}) FILTER (source_dataset = 'right'))"
            if mode == "link"
            else f"count({c})"
            for c in columns
        )
        + " FROM sw_prepared"
    ).fetchall()[0]
    return dict(zip(columns, (int(n or 0) for n in row), strict=True))


def _side_counts(con: duckdb.DuckDBPyConnection, side: str) -> dict[str, int]:
    row = con.execute(
        "SELECT "
        + ", ".join(f"count({c})" for c in LINK_FIELDS)
        + f" FROM sw_prepared WHERE source_dataset = '{side}'"
    ).fetchall()[0]
    return dict(zip(LINK_FIELDS, (int(n or 0) for n in row), strict=True))


def _spec(
    con: duckdb.DuckDBPyConnection, mode: str, extra: tuple[str, ...], mapping: list[FieldMapping]
) -> ModelSpec:
    """The model for the fields both files hold; refuses when that is too little to link on."""
    sides = ["left", "right"] if mode == "link" else ["left"]
    for side in sides:
        if not any(_side_counts(con, side).values()):
            mapped = ", ".join(m.left if side == "left" else m.right for m in mapping)
            raise LinkageError(
                f"the {side} file's identifying columns ({mapped}) are all empty "
                "or unreadable: there is nothing to link on"
            )
    counts = _counts(con, mode, [*LINK_FIELDS, *extra])
    present = frozenset(f for f in LINK_FIELDS if counts[f])
    if len(present) < 2:
        held = ", ".join(FIELD_LABELS[f] for f in sorted(present)) or "none"
        raise LinkageError(
            f"the files share {len(present)} identifying field(s) with values ({held}): "
            "linking needs at least two, e.g. names and a date of birth or address. "
            "Map more columns with --map FIELD:LEFTCOL=RIGHTCOL"
        )
    kept = [c for c in extra if counts[c]]
    ids = tuple(c for c in kept if _looks_like_identifier(con, c))
    return ModelSpec(
        present=present,
        extra_ids=ids,
        extra_exact=tuple(c for c in kept if c not in ids),
        link_type="link_only" if mode == "link" else "dedupe_only",
    )


def _looks_like_identifier(con: duckdb.DuckDBPyConnection, column: str) -> bool:
    """Mostly distinct codes of five or more letters and digits: a customer or social
    security number, compared exactly or with one character wrong (not a category)."""
    row = con.execute(
        f"SELECT count({column}), count(DISTINCT {column}), "
        f"count(*) FILTER (regexp_full_match({column}, '[0-9a-z -]{{5,}}')) "
        f"FROM sw_prepared"
    ).fetchall()[0]
    n, distinct, coded = (int(x or 0) for x in row)
    return n > 0 and distinct >= 0.5 * n and coded >= 0.9 * n


def _link(
    con: duckdb.DuckDBPyConnection,
    mode: str,
    spec: ModelSpec,
    threshold: float | None,
    out: Path,
    include_unlinked: bool,
    step: Step,
) -> tuple[int, int, float, str, tuple[str, ...]]:
    db_api = DuckDBAPI(connection=con)
    n = int(con.execute("SELECT count(*) FROM sw_prepared").fetchall()[0][0])
    spec, guard_notes = guard_blocking(con, "sw_prepared", spec, n)
    if mode == "link":
        con.execute(
            "CREATE TABLE sw_left AS SELECT * EXCLUDE (source_dataset) FROM sw_prepared "
            "WHERE source_dataset = 'left'"
        )
        con.execute(
            "CREATE TABLE sw_right AS SELECT * EXCLUDE (source_dataset) FROM sw_prepared "
            "WHERE source_dataset = 'right'"
        )
        inputs = [
            db_api.register("sw_left", table_name="left"),
            db_api.register("sw_right", table_name="right"),
        ]
        training = train_linker(inputs, spec, n_records=n, step=step)
    else:
        training = train_linker(
            db_api.register("sw_prepared", table_name="records"), spec, n_records=n, step=step
        )
    linker = training.linker
    step("scoring candidate pairs")
    scored = predict(linker)
    con.execute(
        f"CREATE TABLE sw_scored AS SELECT *, {veto_sql(spec)} AS veto, "
        f"{household_sql(spec)} AS household, {differs_sql(spec)} AS differs "
        f"FROM {scored.physical_name}"
    )
    if threshold is None:
        choice = choose_threshold(histogram(con, "sw_scored"))
        thr, method = choice.match_probability, choice.method
    else:
        thr, method = threshold, "given"
    con.execute("CREATE TABLE sw_pairs AS " + with_rivals_sql("sw_scored", thr))
    if mode == "link":
        ids = (
            "CASE WHEN source_dataset_l = 'left' THEN unique_id_l ELSE unique_id_r END AS left_id, "
            "CASE WHEN source_dataset_l = 'left' THEN unique_id_r ELSE unique_id_l END AS right_id"
        )
    else:
        ids = "unique_id_l AS id_l, unique_id_r AS id_r"
    linked = f"(match_probability >= {thr!r} AND veto IS NULL)"
    cols = f"{ids}, match_probability, match_weight"
    if include_unlinked:
        cols += f", {linked} AS linked, veto"
    where = "" if include_unlinked else f"WHERE {linked}"
    fmt = "parquet" if out.suffix.lower() == ".parquet" else "csv, header true"
    out.parent.mkdir(parents=True, exist_ok=True)
    step(f"writing {out}")
    con.execute(
        f"COPY (SELECT {cols} FROM sw_pairs {where} ORDER BY match_probability DESC, 1, 2) "
        f"TO '{out}' (FORMAT {fmt})"
    )
    pairs, links = con.execute(
        f"SELECT count(*), count(*) FILTER ({linked}) FROM sw_pairs"
    ).fetchall()[0]
    return int(pairs), int(links), thr, method, (*guard_notes, *training.notes)
