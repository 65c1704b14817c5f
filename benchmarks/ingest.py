"""Ingest benchmark: validate + normalise + load a police extract CSV of 1,000,000 rows.

sharewell runs in a child process that reports its own wall time and peak RSS; the baseline
is a straightforward pandas row-by-row normaliser (iterrows, Python per field) over a
subset, measured in the same run and compared in rows per second.

    python -m benchmarks.ingest [--quick]
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path
from typing import Any

import duckdb

FULL_ROWS = 1_000_000
QUICK_ROWS = 100_000
BASELINE_ROWS = 50_000
QUICK_BASELINE_ROWS = 10_000
TARGET_ROWS_PER_S = 250_000
TARGET_PEAK_MB = 2048

MAPPING = """\
source_type: police.mh_incident
columns:
  Incident Ref: record_id
  Forename: given_name
  Surname: family_name
  DOB: date_of_birth
  Gender: sex
  Address: address
  Post Code: postcode
  NHS No: nhs_number
  Telephone: phone
  Incident Date: incident_date
  Type: incident_type
  Officer Hours: officer_hours
values:
  incident_type: {MH: mental_health, S136: section_136, CFW: concern_for_welfare}
  sex: {F: female, M: male, U: unknown}
"""


def write_extract(path: Path, rows: int) -> None:
    """A synthetic police extract in a partner's own shape, with ~3% bad values.

    Cardinalities are those of a county: ~2,000 given-name spellings, ~4,000 family names,
    ~25,000 birth dates, ~25,000 postcodes, unique NHS numbers, phones and references.
    """
    # Pseudo-random but deterministic picks: h(k) mixes the row number with a salt k.
    h = "(hash(i, {k}) % {n})::INTEGER"
    first = "['Bob','Alice','Zoë','Mohammed','Jane','Tom','Sarah','Li','Amy','Sam','Alex','Ann']"
    syl = "['ar','ben','cal','dor','el','fen','gar','hol','is','jon','kel','lor','mar','nor']"
    titles = "['', '', '', 'Mr ', 'Mrs ', 'Dr ']"
    letters = "['A','B','D','E','F','G','H','J','L','N','P','Q','R','S','T','U','W','X','Y','Z']"

    def cap(expr: str) -> str:
        return f"(upper(left({expr}, 1)) || substr({expr}, 2))"

    nine = f"(100000000 + {h.format(k=7, n=899999999)})::BIGINT"
    weighted = " + ".join(f"({nine} // {10 ** (9 - j)} % 10) * {11 - j}" for j in range(1, 10))
    duckdb.execute(
        f"""
        COPY (
          SELECT
            'INC' || lpad(i::VARCHAR, 8, '0') AS "Incident Ref",
            {titles}[1 + {h.format(k=1, n=6)}] || {first}[1 + {h.format(k=2, n=12)}]
              || CASE WHEN {h.format(k=3, n=4)} = 0 THEN ''
                      ELSE ' ' || {letters}[1 + {h.format(k=4, n=20)}] || '.' END AS "Forename",
            {cap(f"{syl}[1 + {h.format(k=5, n=14)}]")} || {syl}[1 + {h.format(k=6, n=14)}]
              || ['son','ley','ton','well','by','er','s','ford','ham','wood','ins','e',
                  '-Smith','ston','more','field','man','ridge','dale','ock']
                 [1 + {h.format(k=8, n=20)}]
              AS "Surname",
            CASE WHEN {h.format(k=9, n=100)} = 0 THEN '31/02/1990'
                 ELSE strftime(DATE '1925-01-01' + {h.format(k=10, n=25000)}, '%d/%m/%Y')
            END AS "DOB",
            ['F','M','U'][1 + {h.format(k=11, n=3)}] AS "Gender",
            {h.format(k=12, n=300)}::VARCHAR || ' ' || {cap(f"{syl}[1 + {h.format(k=13, n=14)}]")}
              || ['ton Road','field Lane','way','bury Close'][1 + {h.format(k=14, n=4)}]
              || ', Westshire' AS "Address",
            CASE WHEN {h.format(k=15, n=97)} = 0 THEN 'N/A'
                 ELSE 'WS' || (1 + {h.format(k=16, n=25)})::VARCHAR || ' '
                      || {h.format(k=17, n=10)}::VARCHAR || {letters}[1 + {h.format(k=18, n=20)}]
                      || {letters}[1 + {h.format(k=19, n=20)}] END AS "Post Code",
            CASE WHEN {h.format(k=20, n=3)} = 0 THEN ''
                 WHEN (11 - ({weighted}) % 11) % 11 = 10 THEN ''
                 WHEN {h.format(k=21, n=60)} = 0 THEN {nine}::VARCHAR || '0'
                 ELSE {nine}::VARCHAR || ((11 - ({weighted}) % 11) % 11)::VARCHAR END
              AS "NHS No",
            '01632 ' || lpad((i % 999999)::VARCHAR, 6, '0') AS "Telephone",
            CASE WHEN {h.format(k=26, n=200)} = 0 THEN ''
                 ELSE strftime(DATE '2023-01-01' + {h.format(k=22, n=700)}, '%Y-%m-%d') END
              AS "Incident Date",
            ['MH','S136','CFW'][1 + {h.format(k=23, n=3)}] AS "Type",
            CASE WHEN {h.format(k=24, n=101)} = 0 THEN 'lots'
                 ELSE ({h.format(k=25, n=40)} / 4.0)::VARCHAR END AS "Officer Hours"
          FROM range({rows}) t(i)
        ) TO '{path}' (HEADER, DELIMITER ',')
        """
    )


CHILD = textwrap.dedent(
    """
    import json, resource, sys, time
    from pathlib import Path
    from sharewell.ingest import ingest_file
    from sharewell.store import Workspace

    extract, mapping, workspace = (Path(a) for a in sys.argv[1:4])
    start = time.perf_counter()
    with Workspace(workspace) as ws:
        report = ingest_file(ws, partner="westshire_police", path=extract, mapping=mapping,
                             loaded_by="benchmark")
    seconds = time.perf_counter() - start
    usage = resource.getrusage(resource.RUSAGE_SELF)
    peak_kb = usage.ru_maxrss
    print(json.dumps({"seconds": seconds, "peak_mb": peak_kb / 1024,
                      "cpu_seconds": usage.ru_utime + usage.ru_stime,
                      "rows_read": report.rows_read, "accepted": report.rows_accepted,
                      "quarantined": report.rows_quarantined}))
    """
)


def run_sharewell(extract: Path, mapping: Path, workspace: Path) -> dict[str, Any]:
    """Ingest in a fresh child process; its wall time and peak resident memory."""
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(extract), str(mapping), str(workspace)],
        check=True,
        capture_output=True,
        text=True,
    )
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def run_pandas_baseline(extract: Path, rows: int, workspace: Path) -> float:
    """Rows per second of a row-by-row pandas normaliser writing to DuckDB."""
    import re
    import unicodedata
    from datetime import datetime

    import pandas as pd

    postcode = re.compile(r"^([A-Z]{1,2}[0-9][A-Z0-9]?)([0-9][A-Z]{2})$")

    def name(text: str) -> str:
        text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
        words = re.sub(r"[^a-z ]", " ", text.replace("'", "")).split()
        return " ".join(w for w in words if w not in ("mr", "mrs", "dr"))

    def date(text: str) -> Any:
        try:
            return datetime.strptime(text, "%d/%m/%Y").date()
        except ValueError:
            try:
                return datetime.strptime(text, "%Y-%m-%d").date()
            except ValueError:
                return None

    def nhs(text: str) -> str | None:
        digits = re.sub(r"\s", "", text)
        if not re.fullmatch(r"\d{10}", digits):
            return None
        check = (11 - sum(int(d) * (10 - i) for i, d in enumerate(digits[:9])) % 11) % 11
        return digits if check == int(digits[9]) else None

    start = time.perf_counter()
    frame = pd.read_csv(extract, dtype=str, keep_default_na=False, nrows=rows)
    out = []
    for _, row in frame.iterrows():
        squeezed = re.sub(r"[^A-Z0-9]", "", row["Post Code"].upper())
        match = postcode.match(squeezed)
        out.append(
            {
                "record_id": row["Incident Ref"],
                "given_name": name(row["Forename"]),
                "family_name": name(row["Surname"]),
                "date_of_birth": date(row["DOB"]),
                "sex": {"F": "female", "M": "male"}.get(row["Gender"], "unknown"),
                "postcode": f"{match[1]} {match[2]}" if match else None,
                "nhs_number": nhs(row["NHS No"]),
                "incident_date": date(row["Incident Date"]),
                "incident_type": row["Type"],
            }
        )
    result = pd.DataFrame(out)
    with duckdb.connect(str(workspace)) as conn:
        conn.register("result", result)
        conn.execute("CREATE TABLE baseline AS SELECT * FROM result")
    return rows / (time.perf_counter() - start)


def bench_ingest(quick: bool = False) -> list[dict[str, Any]]:
    """The ingest benchmark row for the table in ``python -m benchmarks``."""
    rows = QUICK_ROWS if quick else FULL_ROWS
    baseline_rows = QUICK_BASELINE_ROWS if quick else BASELINE_ROWS
    with tempfile.TemporaryDirectory(prefix="sharewell-bench-") as tmp:
        base = Path(tmp)
        extract, mapping = base / "police.csv", base / "police.yaml"
        write_extract(extract, rows)
        mapping.write_text(MAPPING)
        ours = run_sharewell(extract, mapping, base / "workspace.duckdb")
        baseline = run_pandas_baseline(extract, baseline_rows, base / "baseline.duckdb")
    rate = ours["rows_read"] / ours["seconds"]
    # Other work on the machine slows the wall clock; CPU seconds and load say how much.
    load = os.getloadavg()[0]
    return [
        {
            "benchmark": "ingest CSV (validate + normalise + load)",
            "size": rows,
            "value": f"{rate:,.0f} rows/s; peak {ours['peak_mb']:,.0f} MB; "
            f"{ours['cpu_seconds']:.1f} CPU-s; load {load:.1f}; "
            f"{ours['quarantined']:,} quarantined",
            "baseline": f"{baseline:,.0f} rows/s ({baseline_rows:,} rows)",
            "baseline_name": "pandas row by row",
            "ratio": rate / baseline,
            "target": f">= {TARGET_ROWS_PER_S:,} rows/s, peak < {TARGET_PEAK_MB:,} MB",
        }
    ]


if __name__ == "__main__":
    print(json.dumps(bench_ingest(quick="--quick" in sys.argv), indent=2))
