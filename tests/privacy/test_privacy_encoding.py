"""Encoding at the partner: nothing identifying leaves in clear; another key links nothing."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

from sharewell.cli import main
from sharewell.errors import ConfigError, LinkageError, NotFound
from sharewell.privacy import SecretKey, load_encodings, read_secret
from sharewell.privacy.encode import encode_file, load_schema
from sharewell.privacy.similarity import dice_pairs

POLICE = "westshire_police/mh_incidents.csv"
POLICE_SCHEMA = "mappings/westshire_police.mh_incidents.yaml"
IDENTIFYING = ("Forename", "Surname", "DOB", "Address", "Postcode", "UPRN", "NHS Number")


def _encode_police(partnership: Path, key: SecretKey, out: Path) -> Path:
    schema = load_schema(partnership / POLICE_SCHEMA, ["incident_date", "incident_type"])
    return encode_file(partnership / POLICE, schema, key, out, "westshire_police").out


def _fragments(value: str, size: int) -> set[str]:
    """Every substring of ``size`` characters of a value, in the cases it may be written."""
    out = set()
    for form in {value, value.lower(), value.upper(), re.sub(r"\W", "", value)}:
        out |= {form[i : i + size] for i in range(len(form) - size + 1)}
    return out


def test_encoded_file_holds_no_identifier_in_clear(partnership, key, tmp_path):
    out = _encode_police(partnership, key, tmp_path / "police.parquet")
    with (partnership / POLICE).open(encoding="utf-8-sig") as fh:
        raw = list(csv.DictReader(fh))
    table = pq.read_table(out)
    passed = ("incident_date", "incident_type")  # the agreement lets these through as sent
    text_cells, byte_cells = [], []
    for name in table.column_names:
        for cell in table.column(name).to_pylist():
            if isinstance(cell, bytes):
                byte_cells.append(cell.decode("latin-1"))
            elif cell is not None and name not in passed:
                text_cells.append(str(cell))
    clear_text = "\n".join(text_cells)
    clear_bytes = "\n".join(byte_cells)
    metadata = str(table.schema.metadata)  # settings in English words: whole values only
    whole_file = out.read_bytes().decode("latin-1")
    leaks = set()
    for row in raw:
        for col in IDENTIFYING:
            value = (row[col] or "").strip()
            # Four characters of any identifier in the text; six in the random-looking bytes
            # (four would turn up there by chance); whole values anywhere in the file.
            for frag in _fragments(value, 4):
                if frag.strip() and not frag.isdigit() and frag in clear_text:
                    leaks.add((col, frag))
            for frag in _fragments(value, 6):
                if frag in clear_bytes:
                    leaks.add((col, frag))
            if col != "DOB" and len(value) >= 6 and (value in whole_file or value in metadata):
                leaks.add((col, value))
    assert table.num_rows == len(raw)
    assert not leaks, sorted(leaks)[:10]
    # What passes through is exactly what the partner sent in those columns, nothing more.
    assert set(table.column("incident_date").to_pylist()) == {
        r["Incident Date"] or None for r in raw
    }


def test_different_secret_gives_unlinkable_encodings(partnership, key, tmp_path):
    other_file = tmp_path / "other.key"
    other_file.write_text("f" * 64)
    ours = _encode_police(partnership, key, tmp_path / "ours.parquet")
    theirs = _encode_police(partnership, read_secret(other_file), tmp_path / "theirs.parquet")
    a, b = pq.read_table(ours), pq.read_table(theirs)
    # Exact pseudonyms and blocking keys never coincide.
    for name in a.column_names:
        if name.endswith("_pseudonym") or name.startswith("block_") or name == "clk":
            shared = set(a.column(name).drop_null().to_pylist()) & set(
                b.column(name).drop_null().to_pylist()
            )
            assert not shared, name
    # The same record under the two keys is no more alike than two different records.
    words = len(a.column("clk")[0].as_py()) // 8
    both = np.concatenate(
        [
            np.frombuffer(b"".join(t.column("clk").to_pylist()), np.uint64).reshape(-1, words)
            for t in (a, b)
        ]
    )
    n = a.num_rows
    same = dice_pairs(both, np.arange(n), np.arange(n) + n)
    rng = np.random.default_rng(0)
    random = dice_pairs(both, rng.integers(0, n, n), rng.integers(0, n, n) + n)
    assert abs(float(same.mean()) - float(random.mean())) < 0.01
    assert same.max() < 0.85  # below the linking threshold for this hardening
    # ... and the hub refuses to link them at all.
    with pytest.raises(LinkageError, match="same secret key"):
        load_encodings([ours, theirs])


def test_same_secret_encodes_identically(partnership, key, tmp_path):
    first = pq.read_table(_encode_police(partnership, key, tmp_path / "a.parquet"))
    again = pq.read_table(_encode_police(partnership, key, tmp_path / "b.parquet"))
    assert first.equals(again)


def test_identifiers_cannot_be_passed_through(partnership):
    with pytest.raises(ConfigError, match="identifies a person"):
        load_schema(partnership / POLICE_SCHEMA, ["family_name"])


def test_short_or_missing_secret_is_refused(tmp_path):
    short = tmp_path / "short.key"
    short.write_text("abc")
    with pytest.raises(ConfigError, match="at least 32"):
        read_secret(short)
    with pytest.raises(NotFound, match="openssl rand"):
        read_secret(tmp_path / "nowhere.key")


def test_encode_command_writes_the_upload(partnership, secret_file, tmp_path, capsys):
    out = tmp_path / "upload.parquet"
    argv = ["encode", str(partnership / POLICE), "--secret-file", str(secret_file)]
    argv += ["--schema", str(partnership / POLICE_SCHEMA), "--out", str(out)]
    assert main([*argv, "--partner", "westshire_police", "--json"]) == 0
    assert '"records"' in capsys.readouterr().out
    assert pq.read_table(out).num_rows > 0
    # Without a partner the command says what is missing (bad input, exit 3).
    assert main(argv) == 3
