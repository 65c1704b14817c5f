"""Readers: turn a partner's CSV, Excel or Parquet file into a table of text in DuckDB.

Every reader produces the same shape, a ``RawExtract``: a temporary table holding ``_row``
(the row number a person sees: header = row 1 for CSV and Excel, the record's position for
Parquet) and one VARCHAR column per column of the file, plus the problems found while
reading (rows that could not be split into fields, merged cells, formulas). A file that
cannot be read at all raises ``IngestError`` and leaves nothing behind.
"""

from __future__ import annotations

import contextlib
import csv
import io
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from sharewell.errors import IngestError
from sharewell.ingest.encodings import detect_encoding, transcode

__all__ = ["RawExtract", "ReaderProblem", "read_extract"]

CSV_SUFFIXES = (".csv", ".txt", ".tsv")
EXCEL_SUFFIXES = (".xlsx", ".xlsm")
PARQUET_SUFFIXES = (".parquet", ".pq")
DELIMITERS = (",", ";", "\t", "|")
# Workbooks above this are read in openpyxl's streaming mode (merged cells not checked).
EXCEL_FULL_CHECK_BYTES = 20 * 1024 * 1024
# One field may be long (free-text narratives), but not without bound.
MAX_LINE_BYTES = 64 * 1024 * 1024
# The header is read from the file's first characters; a header longer is not a header.
HEADER_SAMPLE_CHARS = 256 * 1024


@dataclass(frozen=True)
class ReaderProblem:
    """Something wrong with one row (or one cell, when ``column`` is set) of the file."""

    row: int
    column: str | None
    reason: str
    text: str | None = None


@dataclass(frozen=True)
class RawExtract:
    """A file read into a temporary DuckDB table of text, with what reading found."""

    table: str
    columns: tuple[str, ...]
    rows: int
    format: str
    problems: tuple[ReaderProblem, ...] = ()
    details: dict[str, str] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()

    def column_sql(self, index: int) -> str:
        """The SQL name of the file's ``index``-th column in ``table``."""
        return f"c{index}"


def _refuse(path: Path, why: str) -> IngestError:
    return IngestError(f"{path.name}: {why}; nothing was loaded")


def _sniff_kind(path: Path) -> str:
    """csv, xlsx or parquet, from the name and checked against the first bytes."""
    try:
        size = path.stat().st_size
        with path.open("rb") as fh:
            head = fh.read(8)
            fh.seek(max(size - 4, 0))
            tail = fh.read(4)
    except FileNotFoundError:
        raise IngestError(f"{path} does not exist") from None
    except OSError as exc:
        raise IngestError(f"cannot read {path}: {exc.strerror}") from exc
    if size == 0:
        raise _refuse(path, "the file is empty (0 bytes)")
    suffix = path.suffix.lower()
    is_zip = head.startswith(b"PK\x03\x04")
    is_ole = head.startswith(b"\xd0\xcf\x11\xe0")
    is_parquet = head.startswith(b"PAR1")
    if suffix == ".xls" or (is_ole and suffix not in EXCEL_SUFFIXES):
        raise _refuse(path, "this is an old-style Excel .xls file; save it as .xlsx or CSV")
    if suffix in CSV_SUFFIXES:
        if is_zip:
            raise _refuse(path, "named as CSV but is a zip or Excel workbook; save it as CSV")
        if is_parquet:
            raise _refuse(path, "named as CSV but is a Parquet file; rename it to .parquet")
        return "csv"
    if suffix in EXCEL_SUFFIXES:
        if is_ole:
            raise _refuse(path, "this workbook is encrypted or in old .xls format; save as .xlsx")
        if not is_zip:
            raise _refuse(path, "not a valid Excel .xlsx workbook (wrong type or corrupted)")
        return "xlsx"
    if suffix in PARQUET_SUFFIXES:
        if not is_parquet:
            raise _refuse(path, "not a Parquet file (wrong type or corrupted)")
        if tail != b"PAR1":
            raise _refuse(path, "the Parquet file is truncated (its footer is missing)")
        return "parquet"
    raise _refuse(
        path,
        f"unsupported file type {suffix or '(none)'}; send CSV (.csv), Excel (.xlsx) "
        "or Parquet (.parquet)",
    )


# --- CSV --------------------------------------------------------------------------------


def _header(text_path: Path) -> tuple[str, list[str]]:
    """The delimiter (the commonest candidate in the first line) and the header's fields."""
    with text_path.open(encoding="utf-8-sig", newline="") as fh:
        sample = fh.read(HEADER_SAMPLE_CHARS)
    first_line = sample.split("\n", 1)[0]
    if not sample.strip():
        raise IngestError("the file has no content (only blank lines)")
    if len(sample) == HEADER_SAMPLE_CHARS and not any(end in sample for end in "\r\n"):
        raise IngestError(
            f"row 1 (the header) is longer than {HEADER_SAMPLE_CHARS // 1024} KB with no line "
            "break: this is not a CSV extract with a header row (is it the right file?)"
        )
    delimiter = max(DELIMITERS, key=first_line.count)
    if first_line.count(delimiter) == 0:
        delimiter = ","
    try:
        # newline="": a lone carriage return (old Mac line endings, or a stray one) ends a
        # line here as it does for the csv module, instead of failing as a "new-line in a
        # field".
        header = next(csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter), [])
    except csv.Error as exc:
        why = str(exc)
        if "field larger than field limit" in why:
            why = (
                f"a column name is longer than {csv.field_size_limit() // 1024} KB "
                "(an unclosed quote?)"
            )
        raise IngestError(f"row 1 (the header) cannot be read: {why}") from None
    return delimiter, [h.strip() for h in header]


def _read_csv(conn: duckdb.DuckDBPyConnection, path: Path, table: str, tmp: Path) -> RawExtract:
    encoding, mixed = detect_encoding(path)
    warnings: list[str] = []
    text_path = path
    if encoding not in ("utf-8", "utf-8-sig"):
        text_path = tmp / "extract-utf8.csv"
        transcode(path, encoding, mixed, text_path)
        if mixed:
            warnings.append(
                f"the file mixes UTF-8 and {encoding} lines; each line was read in the encoding "
                "it is valid in — check accented names in the result"
            )
    try:
        delimiter, header = _header(text_path)
    except IngestError as exc:
        raise _refuse(path, str(exc)) from None
    names = [f"c{i}" for i in range(len(header))]
    rej, scans = f"{table}_rejects", f"{table}_scans"
    column_spec = "{" + ", ".join(f"{_lit(n)}: 'VARCHAR'" for n in names) + "}"
    options = (
        f"header=true, delim={_lit(delimiter)}, quote='\"', escape='\"', "
        f"columns={column_spec}, "
        "auto_detect=false, null_padding=false, "
        f"max_line_size={MAX_LINE_BYTES}, buffer_size={2 * MAX_LINE_BYTES}, "
        f"store_rejects=true, rejects_table={_lit(rej)}, rejects_scan={_lit(scans)}"
    )
    try:
        conn.execute(f"DROP TABLE IF EXISTS {rej}")
        conn.execute(f"DROP TABLE IF EXISTS {scans}")
        conn.execute(
            f"CREATE TEMP TABLE {table}_parsed AS "
            f"SELECT * FROM read_csv({_lit(str(text_path))}, {options})"
        )
        rejected = conn.execute(
            f"SELECT line, min(error_type::VARCHAR), min(error_message), min(csv_line) "
            f"FROM {rej} GROUP BY line ORDER BY line"
        ).fetchall()
    except duckdb.InterruptException:
        raise KeyboardInterrupt from None
    except duckdb.Error as exc:
        raise _refuse(path, f"cannot be read as CSV ({_first_line(exc)})") from exc
    finally:
        conn.execute(f"DROP TABLE IF EXISTS {scans}")
    conn.execute(f"DROP TABLE IF EXISTS {rej}")

    (parsed,) = conn.execute(f"SELECT count(*) FROM {table}_parsed").fetchone() or (0,)
    if parsed == 0 and not rejected:
        conn.execute(f"DROP TABLE {table}_parsed")
        raise _refuse(path, "the file has a header row but no data rows")

    problems = [
        ReaderProblem(
            row=int(line),
            column=None,
            reason=_reject_reason(str(kind), str(message), len(header), delimiter),
            text=text,
        )
        for line, kind, message, text in rejected
    ]
    cols = ", ".join(names)
    if rejected:
        # Rows DuckDB could not split are missing from the parsed table: number the parsed
        # rows with the file's row numbers that remain once the rejected ones are taken out.
        conn.execute(f"CREATE TEMP TABLE {table}_rej (line BIGINT)")
        conn.executemany(f"INSERT INTO {table}_rej VALUES (?)", [[p.row] for p in problems])
        conn.execute(
            f"CREATE TEMP VIEW {table} AS "
            f"WITH lines AS (SELECT x AS line, row_number() OVER (ORDER BY x) - 1 AS ord "
            f"FROM range(2, {parsed + len(rejected) + 2}) t(x) "
            f"WHERE x NOT IN (SELECT line FROM {table}_rej)) "
            f"SELECT lines.line AS _row, {cols} FROM {table}_parsed p "
            f"JOIN lines ON p.rowid = lines.ord"
        )
    else:
        # A view, not a copy: the parsed rows are read once more, when they are normalised.
        conn.execute(
            f"CREATE TEMP VIEW {table} AS SELECT rowid + 2 AS _row, {cols} FROM {table}_parsed"
        )
    label = {"\t": "tab", ",": "comma", ";": "semicolon", "|": "pipe"}[delimiter]
    return RawExtract(
        table=table,
        columns=tuple(header),
        rows=parsed + len(rejected),
        format="csv",
        problems=tuple(problems),
        details={
            "encoding": encoding + (" (mixed with utf-8)" if mixed else ""),
            "delimiter": label,
        },
        warnings=tuple(warnings),
    )


def _reject_reason(kind: str, message: str, columns: int, delimiter: str) -> str:
    if kind in ("MISSING COLUMNS", "TOO MANY COLUMNS"):
        found = message.rsplit(":", 1)[-1].strip()
        hint = " (is the delimiter right, or a quote missing?)" if found == "1" else ""
        return f"row has {found} fields but the header has {columns}{hint}"
    if kind == "LINE SIZE OVER MAXIMUM":
        return f"row is longer than {MAX_LINE_BYTES // (1024 * 1024)} MB"
    if kind == "UNQUOTED VALUE":
        return 'a quote inside a field is not escaped (write "" for a quote inside quotes)'
    return f"row cannot be split into fields: {message}"


# --- Excel ------------------------------------------------------------------------------


def _cell_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat(" ")
    if isinstance(value, date | time):
        return value.isoformat()
    return str(value)


def _read_excel(
    conn: duckdb.DuckDBPyConnection, path: Path, table: str, sheet: str | None
) -> RawExtract:
    from openpyxl import load_workbook
    from openpyxl.utils import get_column_letter

    full = path.stat().st_size <= EXCEL_FULL_CHECK_BYTES
    try:
        values_wb = load_workbook(path, read_only=not full, data_only=True)
        formulas_wb = load_workbook(path, read_only=not full, data_only=False) if full else None
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError) as exc:
        raise _refuse(
            path, f"not a readable Excel workbook (corrupted or truncated: {exc})"
        ) from exc
    try:
        names = values_wb.sheetnames
        if sheet is not None and sheet not in names:
            raise _refuse(path, f"has no sheet {sheet!r}; its sheets are: {', '.join(names)}")
        sheet_name = sheet or names[0]
        ws = values_wb[sheet_name]
        rows_iter = ws.iter_rows(values_only=True)
        header_row = 0
        header: list[str] = []
        for number, row in enumerate(rows_iter, start=1):
            if any(_cell_text(v) not in (None, "") for v in row):
                header_row = number
                header = [
                    (_cell_text(v) or "").strip() or f"(column {get_column_letter(i + 1)})"
                    for i, v in enumerate(row)
                ]
                break
        if not header:
            raise _refuse(path, f"sheet {sheet_name!r} is empty")
        width = len(header)
        data: list[list[str | None]] = [[] for _ in range(width + 1)]
        overflow_rows: list[int] = []
        for number, row in enumerate(rows_iter, start=header_row + 1):
            texts = [_cell_text(v) for v in row]
            if not any(t not in (None, "") for t in texts):
                continue  # blank rows between or after the data are not records
            if any(t not in (None, "") for t in texts[width:]):
                overflow_rows.append(number)
            data[0].append(str(number))
            for i in range(width):
                data[i + 1].append(texts[i] if i < len(texts) else None)
        if not data[0]:
            raise _refuse(path, f"sheet {sheet_name!r} has a header row but no data rows")

        problems: list[ReaderProblem] = [
            ReaderProblem(
                row=r, column=None, reason="row has values to the right of the last headed column"
            )
            for r in overflow_rows
        ]
        warnings: list[str] = []
        if full:
            problems.extend(_merged_cell_problems(ws, header, header_row))
            assert formulas_wb is not None
            problems.extend(_formula_problems(formulas_wb[sheet_name], ws, header, header_row))
        else:
            warnings.append("large workbook read in streaming mode: merged cells not checked")
    finally:
        values_wb.close()
        if formulas_wb is not None:
            formulas_wb.close()

    arrays = [pa.array([int(x) for x in data[0] if x is not None], pa.int64())]
    arrays += [pa.array(col, pa.string()) for col in data[1:]]
    arrow = pa.Table.from_arrays(arrays, names=["_row"] + [f"c{i}" for i in range(width)])
    conn.register(f"{table}_arrow", arrow)
    conn.execute(f"CREATE TEMP TABLE {table}_parsed AS SELECT * FROM {table}_arrow")
    conn.unregister(f"{table}_arrow")
    conn.execute(f"CREATE TEMP VIEW {table} AS SELECT * FROM {table}_parsed")
    return RawExtract(
        table=table,
        columns=tuple(header),
        rows=len(data[0]),
        format="xlsx",
        problems=tuple(problems),
        details={"sheet": sheet_name},
        warnings=tuple(warnings),
    )


def _merged_cell_problems(ws: Any, header: list[str], header_row: int) -> Iterator[ReaderProblem]:
    for merged in ws.merged_cells.ranges:
        for row, col in merged.cells:
            if row <= header_row or (row, col) == (merged.min_row, merged.min_col):
                continue
            if col > len(header):
                continue
            yield ReaderProblem(
                row=row,
                column=header[col - 1],
                reason=(
                    f"cell {_coord(row, col)} is inside merged cells {merged.coord}; "
                    "unmerge them and fill in every row"
                ),
            )


def _formula_problems(
    formulas_ws: Any, values_ws: Any, header: list[str], header_row: int
) -> Iterator[ReaderProblem]:
    for row in formulas_ws.iter_rows(min_row=header_row + 1, max_col=len(header)):
        for cell in row:
            if cell.data_type != "f":
                continue
            cached = values_ws.cell(row=cell.row, column=cell.column).value
            if cached is None:
                yield ReaderProblem(
                    row=cell.row,
                    column=header[cell.column - 1],
                    reason=(
                        f"cell {cell.coordinate} is a formula ({str(cell.value)[:40]}) with no "
                        "saved result; paste values and send again"
                    ),
                )


def _coord(row: int, col: int) -> str:
    from openpyxl.utils import get_column_letter

    return f"{get_column_letter(col)}{row}"


# --- Parquet ----------------------------------------------------------------------------


def _read_parquet(conn: duckdb.DuckDBPyConnection, path: Path, table: str) -> RawExtract:
    source = f"read_parquet({_lit(str(path))})"
    try:
        schema = conn.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()
        casts = []
        for i, (name, kind, *_rest) in enumerate(schema):
            ref = _ident(name)
            if kind in ("FLOAT", "DOUBLE"):
                # NHS numbers and UPRNs stored as floats must not come out as '9434765919.0'.
                casts.append(
                    f"CASE WHEN {ref} = trunc({ref}) AND abs({ref}) < 1e15 "
                    f"THEN CAST(CAST({ref} AS BIGINT) AS VARCHAR) ELSE CAST({ref} AS VARCHAR) "
                    f"END AS c{i}"
                )
            else:
                casts.append(f"CAST({ref} AS VARCHAR) AS c{i}")
        conn.execute(f"CREATE TEMP TABLE {table}_parsed AS SELECT {', '.join(casts)} FROM {source}")
    except duckdb.InterruptException:
        raise KeyboardInterrupt from None
    except duckdb.Error as exc:
        raise _refuse(path, f"cannot be read as Parquet ({_first_line(exc)})") from exc
    (rows,) = conn.execute(f"SELECT count(*) FROM {table}_parsed").fetchone() or (0,)
    if rows == 0:
        conn.execute(f"DROP TABLE {table}_parsed")
        raise _refuse(path, "the Parquet file has no rows")
    cols = ", ".join(f"c{i}" for i in range(len(schema)))
    conn.execute(
        f"CREATE TEMP VIEW {table} AS SELECT rowid + 1 AS _row, {cols} FROM {table}_parsed"
    )
    return RawExtract(
        table=table,
        columns=tuple(str(s[0]) for s in schema),
        rows=rows,
        format="parquet",
    )


# --- entry point ------------------------------------------------------------------------


def _lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


@contextmanager
def read_extract(
    conn: duckdb.DuckDBPyConnection, path: Path, *, table: str, sheet: str | None = None
) -> Iterator[RawExtract]:
    """Read ``path`` into temporary table ``table``; the table is dropped when the block ends."""
    kind = _sniff_kind(path)
    with tempfile.TemporaryDirectory(prefix="sharewell-ingest-") as tmp:
        try:
            if kind == "csv":
                raw = _read_csv(conn, path, table, Path(tmp))
            elif kind == "xlsx":
                raw = _read_excel(conn, path, table, sheet)
            else:
                raw = _read_parquet(conn, path, table)
            yield raw
        finally:
            # A cleanup failure after an interrupt must not hide what really happened.
            with contextlib.suppress(duckdb.Error, RuntimeError):
                _drop(conn, table)


def _drop(conn: duckdb.DuckDBPyConnection, table: str) -> None:
    """Drop the temporary view and tables a reader made."""
    conn.execute(f"DROP VIEW IF EXISTS {table}")
    for suffix in ("_parsed", "_rej", "_rejects", "_scans"):
        conn.execute(f"DROP TABLE IF EXISTS {table}{suffix}")
