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
from sharewell.linkage.model import PERSON_FIELDS, ModelSpec, veto_sql
from sharewell.linkage.normalise import FIELD_SYNONYMS, RAW_FIELDS, invalid_sql, normalised_sql
from sharewell.linkage.prepare import prepared_records_sql
from sharewell.linkage.run import histogram
from sharewell.linkage.threshold import choose_threshold
from sharewell.linkage.training import Step, predict, train_linker

__all__ = [
    "FieldMapping",
    "FilesLinkSummary",
    "InvalidValues",
    "link_files",
    "parse_mapping",
]


@dataclass(frozen=True)
class FieldMapping:
    """One standard field (or extra exact-match column) and the column holding it per file."""

    field: str
    left: str
    right: str


@dataclass(frozen=True)
class InvalidValues:
    """Values present in a file but unreadable for a field; treated as missing."""

    file: str
    field: str
    count: int
    examples: list[str]
    reason: str = ""  # ingest's reason for one of them, e.g. "'31/02/1980' is not a real..."


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


def _key(name: str) -> str:
    return "".join(ch for ch in name.lower() if ch.isalnum())


def _standard_field(*names: str) -> str | None:
    for name in names:
        found = FIELD_SYNONYMS.get(_key(name))
        if found:
            return found
    return None


def parse_mapping(entries: Sequence[str]) -> list[FieldMapping]:
    """Parse ``[FIELD:]LEFTCOL[=RIGHTCOL]`` entries; the field is inferred from the names.

    A column that is not a standard field (by name or common synonym) becomes an extra
    exact-match column named after the left column.
    """
    out: list[FieldMapping] = []
    for entry in entries:
        explicit, _, cols = entry.rpartition(":") if ":" in entry else ("", "", entry)
        left, _, right = cols.partition("=")
        left, right = left.strip(), (right.strip() or left.strip())
        if not left:
            raise LinkageError(f"--map {entry!r}: expected LEFTCOL=RIGHTCOL")
        if explicit and explicit not in RAW_FIELDS:
            raise LinkageError(
                f"--map {entry!r}: {explicit!r} is not a standard field ({', '.join(RAW_FIELDS)})"
            )
        name = explicit or _standard_field(left, right) or _key(left)
        if not name or not name.isidentifier():
            raise LinkageError(f"--map {entry!r}: cannot name a column after {left!r}")
        out.append(FieldMapping(name, left, right))
    names = [m.field for m in out]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise LinkageError(f"--map names the field(s) {', '.join(dupes)} more than once")
    return out


def _auto_mapping(left_cols: list[str], right_cols: list[str]) -> list[FieldMapping]:
    right_by_field = {_standard_field(c): c for c in right_cols if _standard_field(c)}
    out: list[FieldMapping] = []
    for col in left_cols:
        f = _standard_field(col)
        if f and f in right_by_field and f not in {m.field for m in out}:
            out.append(FieldMapping(f, col, right_by_field[f]))
    return out


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
    def pick(m: FieldMapping) -> str:
        col = m.left if side == "left" else m.right
        if col not in columns:
            raise LinkageError(
                f"{path}: no column {col!r} for {m.field} (columns: {', '.join(columns)})"
            )
        return f'CAST("{col}" AS VARCHAR)'

    chosen = {m.field: pick(m) for m in mapping}
    if id_column is not None and id_column not in columns:
        raise LinkageError(f"{path}: no id column {id_column!r} (columns: {', '.join(columns)})")
    uid = f'CAST("{id_column}" AS VARCHAR)' if id_column else "'row ' || sw_row"
    fields = [f"{chosen.get(f, 'NULL::VARCHAR')} AS {f}" for f in RAW_FIELDS]
    extras = [f"{v} AS {f}" for f, v in chosen.items() if f not in RAW_FIELDS]
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
            "choose a unique id column or leave --id out to use row numbers"
        )


def link_files(
    left: Path,
    right: Path | None,
    mapping_entries: Sequence[str],
    out: Path,
    *,
    threshold: float | None = None,
    id_columns: tuple[str | None, str | None] = (None, None),
    include_unlinked: bool = False,
    step: Step = lambda _: None,
) -> FilesLinkSummary:
    """Link ``left`` to ``right`` (or dedupe ``left``) and write pairs to ``out`` (CSV/Parquet)."""
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
            mapping = (
                parse_mapping(mapping_entries)
                if mapping_entries
                else _auto_mapping(left_cols, right_cols)
            )
            if not any(m.field in RAW_FIELDS for m in mapping):
                raise LinkageError(
                    "no column maps onto a person field: use --map, e.g. "
                    "--map Forename=first_name --map DOB=date_of_birth"
                )
            sides = [("left", "sw_file_left", left, id_columns[0])]
            if right is not None:
                sides.append(("right", "sw_file_right", right, id_columns[1]))
            for side, table, path, id_col in sides:
                _raw(
                    con,
                    table,
                    side,
                    path,
                    left_cols if side == "left" else right_cols,
                    mapping,
                    side,
                    id_col,
                )
            extra = tuple(m.field for m in mapping if m.field not in RAW_FIELDS)
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
                + prepared_records_sql("sw_norm", keep=("source_dataset", *extra))
            )
            summary = _link(con, mode, extra, threshold, out, include_unlinked, step)
            counts = dict(
                con.execute(
                    "SELECT source_dataset, count(*) FROM sw_prepared GROUP BY 1"
                ).fetchall()
            )
        finally:
            con.close()
    return FilesLinkSummary(
        mode=mode,
        left=left,
        right=right,
        out=out,
        records_left=int(counts.get("left", 0)),
        records_right=int(counts.get("right", 0)),
        mapping=mapping,
        pairs_scored=summary[0],
        links=summary[1],
        threshold=summary[2],
        threshold_method=summary[3],
        invalid=invalid,
        seconds=round(time.perf_counter() - t0, 2),
        training_notes=summary[4],
    )


def _present(con: duckdb.DuckDBPyConnection, mode: str) -> frozenset[str]:
    # For a link, a field helps only when both files have it.
    row = con.execute(
        "SELECT "
        + ", ".join(
            f"least(count({c}) FILTER (source_dataset = 'left'), "
            f"coalesce(count({c}) FILTER (source_dataset = 'right'), 0))"
            if mode == "link"
            else f"count({c})"
            for c in PERSON_FIELDS
        )
        + " FROM sw_prepared"
    ).fetchall()[0]
    return frozenset(c for c, n in zip(PERSON_FIELDS, row, strict=True) if n)


def _link(
    con: duckdb.DuckDBPyConnection,
    mode: str,
    extra: tuple[str, ...],
    threshold: float | None,
    out: Path,
    include_unlinked: bool,
    step: Step,
) -> tuple[int, int, float, str, tuple[str, ...]]:
    spec = ModelSpec(
        present=_present(con, mode),
        extra_exact=extra,
        link_type="link_only" if mode == "link" else "dedupe_only",
    )
    if not spec.prediction_rules():
        raise LinkageError(
            "the mapped fields are too few to compare records: map at least names and a "
            "date of birth or postcode"
        )
    db_api = DuckDBAPI(connection=con)
    n = int(con.execute("SELECT count(*) FROM sw_prepared").fetchall()[0][0])
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
        f"CREATE TABLE sw_pairs AS SELECT *, {veto_sql(spec)} AS veto FROM {scored.physical_name}"
    )
    if threshold is None:
        choice = choose_threshold(histogram(con, "sw_pairs"))
        thr, method = choice.match_probability, choice.method
    else:
        thr, method = threshold, "given"
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
    return int(pairs), int(links), thr, method, training.notes
