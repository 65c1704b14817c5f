"""Linking encodings at the hub: blocking, Dice, clusters into the workspace person index."""

from __future__ import annotations

import json

import duckdb
import numpy as np
import pytest

from sharewell.cli import main
from sharewell.privacy import EncodingSchema, link_encodings, load_encodings
from sharewell.privacy.encode import METADATA_KEY, encode_rows
from sharewell.privacy.link import (
    EncodedRecords,
    candidate_pairs,
    pairwise_accuracy,
    records_from_table,
)


def _true_pairs(truth_ids: np.ndarray) -> int:
    _, counts = np.unique(truth_ids, return_counts=True)
    return int((counts * (counts - 1) // 2).sum())


def test_blocking_keeps_nearly_every_true_pair_and_compares_few(encoded, truth):
    records = load_encodings(encoded)
    people = np.array([truth[u] for u in records.unique_ids])
    left, right = candidate_pairs(records)
    found = int((people[left] == people[right]).sum())
    n = len(records)
    assert found / _true_pairs(people) >= 0.99
    assert len(left) / (n * (n - 1) / 2) <= 0.02


def test_hub_links_encodings_as_well_as_the_truth_allows(encoded, truth):
    records = load_encodings(encoded)
    result = link_encodings(records)
    scores = pairwise_accuracy(list(result.person_ids), [truth[u] for u in records.unique_ids])
    assert scores["precision"] >= 0.98
    assert scores["f1"] >= 0.98


def _encode(rows, key, hardening=("balance", "xor_fold")) -> EncodedRecords:
    schema = EncodingSchema(source_type="person", columns={}, hardening=hardening)
    table = encode_rows(rows, key, schema, "westshire_cc")
    return records_from_table(table, json.loads(table.schema.metadata[METADATA_KEY]))


def test_twins_stay_apart_while_a_nickname_and_a_typo_still_link(key):
    home = {"family_name": "Ashworth", "postcode": "WX3 4AB", "date_of_birth": "1990-05-17"}
    rows = [
        {"record_id": "1", "given_name": "Robert", "sex": "male", **home},
        {"record_id": "2", "given_name": "Bob", "sex": "male", **home, "family_name": "Ashwroth"},
        {"record_id": "3", "given_name": "Oliver", "sex": "male", **home},  # Robert's twin
        # His father, of the same name, at the same address, born 30 years before.
        {
            "record_id": "4",
            "given_name": "Robert",
            "sex": "male",
            **home,
            "date_of_birth": "1960-02-03",
        },
    ]
    result = link_encodings(_encode(rows, key))
    ids = list(result.person_ids)
    assert ids[0] == ids[1]
    assert len({ids[0], ids[2], ids[3]}) == 3


def test_equal_nhs_pseudonyms_link_records_whose_names_differ(key):
    rows = [
        {
            "record_id": "1",
            "given_name": "Mary",
            "family_name": "Platt",
            "nhs_number": "9434765919",
        },
        {
            "record_id": "2",
            "given_name": "Mary",
            "family_name": "Okonkwo",
            "nhs_number": "943 476 5919",
        },
    ]
    result = link_encodings(_encode(rows, key))
    assert result.person_ids[0] == result.person_ids[1]


def test_pprl_link_writes_the_person_index_views_read(encoded, truth, tmp_path, capsys):
    hub = tmp_path / "hub"
    truth_csv = tmp_path / "truth.csv"
    truth_csv.write_text("unique_id,person_id\n" + "".join(f"{u},{p}\n" for u, p in truth.items()))
    argv = ["pprl", "link", *map(str, encoded), "--hub", str(hub), "--truth", str(truth_csv)]
    assert main([*argv, "--json"]) == 0
    assert '"f1"' in capsys.readouterr().out
    con = duckdb.connect(str(hub / "workspace.duckdb"), read_only=True)
    try:
        records = con.execute(
            "SELECT count(*), count(DISTINCT person_id) FROM person_index"
        ).fetchone()
        links = con.execute("SELECT count(*), min(match_probability) FROM person_links").fetchone()
        run = con.execute("SELECT kind, persons FROM linkage_runs").fetchall()
    finally:
        con.close()
    assert records[0] == len(load_encodings(encoded))
    assert links[0] > 0 and links[1] >= 0.8
    assert run == [("pprl", records[1])]


def test_files_from_different_schemas_are_refused(partnership, key, encoded, tmp_path):
    from sharewell.errors import LinkageError
    from sharewell.privacy.encode import encode_file, load_schema

    schema = load_schema(partnership / "mappings/westshire_police.mh_incidents.yaml")
    odd = encode_file(
        partnership / "westshire_police/mh_incidents.csv",
        schema.model_copy(update={"hardening": ("xor_fold",)}),
        key,
        tmp_path / "odd.parquet",
        "westshire_police",
    )
    with pytest.raises(LinkageError, match="hardening"):
        load_encodings([*encoded[:1], odd.out])
