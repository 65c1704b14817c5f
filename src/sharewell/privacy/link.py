"""Linking encodings at the hub: blocking, Dice similarity, clustering into a person index.

The hub holds only the partners' upload files (pseudonyms, encodings, blocking keys). It
compares every pair of records sharing a blocking key (within and across partners, so a
partner's own duplicates are found too), accepts a pair when its encodings are similar
enough, and clusters accepted pairs into persons: the same ``person_index`` and
``person_links`` relations the plaintext linkage writes, so views work unchanged.
"""

from __future__ import annotations

import hashlib
import json
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from sharewell.errors import LinkageError, NotFound
from sharewell.privacy.blocking import BLOCKING_KEYS
from sharewell.privacy.bloom import from_bytes
from sharewell.privacy.encode import METADATA_KEY
from sharewell.privacy.similarity import dice_pairs, popcounts
from sharewell.store.snapshot import publish_snapshot

__all__ = [
    "EncodedRecords",
    "PprlResult",
    "PprlSettings",
    "candidate_pairs",
    "default_threshold",
    "link_encodings",
    "load_encodings",
    "pairwise_accuracy",
    "read_truth",
    "records_from_table",
    "write_person_index",
]


# Dice at or above which a pair links, by hardening (salting leaves Dice unchanged). Chosen on
# the synthetic partnership (docs/privacy.md): balancing adds the agreeing zeros, so its
# similarities run higher; folding XORs unrelated bits together, so they run lower.
DEFAULT_THRESHOLDS: dict[frozenset[str], float] = {
    frozenset(): 0.80,
    frozenset({"xor_fold"}): 0.75,
    frozenset({"balance"}): 0.92,
    frozenset({"balance", "xor_fold"}): 0.85,
}


def default_threshold(hardening: Sequence[str]) -> float:
    """The Dice threshold that suits encodings hardened this way."""
    return DEFAULT_THRESHOLDS[frozenset(hardening) - {"salt"}]


@dataclass(frozen=True)
class PprlSettings:
    """When the hub accepts a pair of encoded records as one person."""

    threshold: float | None = None  # Dice at or above which a pair links; None: by hardening
    # NHS pseudonyms present on both and different: link only on near-identical encodings
    # (a mistyped NHS number), since two people can share names, date of birth and address.
    # Evidence against a pair raises its bar part of the way from the threshold to 1:
    # NHS numbers that differ (a mistyped one keeps everything else);
    nhs_conflict: float = 0.8
    # years of birth that differ (a father and son of one name and address; a year typo
    # keeps everything else);
    year_conflict: float = 0.7
    # dates that differ in the same year (a transposed or partial date; or twins).
    dob_conflict: float = 0.2


@dataclass(frozen=True)
class EncodedRecords:
    """The partners' encoded records, concatenated, with what the hub needs to link them."""

    unique_ids: np.ndarray  # str objects: partner:source:record_id
    filters: np.ndarray  # (n, words) uint64
    nhs: pa.Array  # binary, null where missing
    blocks: pa.Table  # one binary column per blocking key
    birth_year: pa.Array  # keyed comparison value, null where missing
    fingerprint: str
    encoded_bits: int
    hardening: tuple[str, ...] = ()

    def __len__(self) -> int:
        return len(self.unique_ids)


def load_encodings(paths: Sequence[Path]) -> EncodedRecords:
    """Read partners' upload files; refuse files encoded with another key or settings."""
    tables = []
    settings: dict[str, Any] | None = None
    for path in paths:
        if not path.is_file():
            raise NotFound(f"encoded file {path} does not exist")
        table = pq.read_table(path)
        raw = (table.schema.metadata or {}).get(METADATA_KEY)
        if raw is None:
            raise LinkageError(f"{path} is not a file written by `sharewell encode`")
        meta = json.loads(raw)
        shared = {k: meta[k] for k in ("key_fingerprint", "encoded_bits", "weights", "hardening")}
        if settings is None:
            settings = shared
        elif shared != settings:
            differs = sorted(k for k in shared if shared[k] != settings[k])
            raise LinkageError(
                f"{path} was encoded differently from {paths[0]} ({', '.join(differs)}); "
                "every partner must encode with the same secret key and schema settings"
            )
        tables.append(
            table.select(
                ["record_id", "partner", "source", "clk", "nhs_number_pseudonym"]
                + ["compare_birth_year"]
                + [f"block_{k}" for k in BLOCKING_KEYS]
            )
        )
    if settings is None:
        raise LinkageError("no encoded files given to link")
    return records_from_table(pa.concat_tables(tables), settings)


def records_from_table(table: pa.Table, settings: dict[str, Any]) -> EncodedRecords:
    """Encoded records from upload tables (concatenated) and their shared settings."""
    unique = np.array(
        [
            f"{p}:{s}:{r}"
            for p, s, r in zip(
                *(table.column(c).to_pylist() for c in ("partner", "source", "record_id")),
                strict=True,
            )
        ],
        dtype=object,
    )
    if len(set(unique)) != len(unique):
        raise LinkageError("the same record (partner:source:record_id) is in more than one file")
    bits = int(settings["encoded_bits"])
    return EncodedRecords(
        unique_ids=unique,
        filters=from_bytes(table.column("clk").to_pylist(), bits // 64),
        nhs=table.column("nhs_number_pseudonym").combine_chunks(),
        blocks=table.select([f"block_{k}" for k in BLOCKING_KEYS]),
        birth_year=table.column("compare_birth_year").combine_chunks(),
        fingerprint=str(settings["key_fingerprint"]),
        encoded_bits=bits,
        hardening=tuple(str(h) for h in settings["hardening"]),
    )


def candidate_pairs(records: EncodedRecords) -> tuple[np.ndarray, np.ndarray]:
    """Pairs (i < j) of records sharing any blocking key or NHS pseudonym, each once."""
    keys = records.blocks.append_column("block_nhs", records.nhs)
    keys = keys.append_column("row", pa.array(np.arange(len(records), dtype=np.int64)))
    con = duckdb.connect()
    try:
        con.register("keys", keys)
        joins = " UNION ".join(
            f"SELECT a.row AS l, b.row AS r FROM keys a JOIN keys b "
            f"ON a.{c} = b.{c} AND a.row < b.row"
            for c in keys.column_names
            if c != "row"
        )
        pairs = con.execute(f"SELECT l, r FROM ({joins}) ORDER BY l, r").fetchnumpy()
    finally:
        con.close()
    return np.asarray(pairs["l"], dtype=np.int64), np.asarray(pairs["r"], dtype=np.int64)


@dataclass(frozen=True)
class PprlResult:
    """A person index over encoded records and how it was reached."""

    unique_ids: np.ndarray
    person_ids: np.ndarray
    link_left: np.ndarray
    link_right: np.ndarray
    link_score: np.ndarray
    records: int
    candidate_pairs: int
    all_pairs: int
    persons: int
    seconds: float
    threshold: float

    @property
    def links(self) -> int:
        """Accepted links."""
        return len(self.link_left)


def _person_id(unique_id: str) -> str:
    # As plaintext linkage names persons: a hash of the cluster's lowest record id.
    return "P" + hashlib.md5(unique_id.encode()).hexdigest()[:12].upper()


def _agreement(
    values: pa.Array, left: np.ndarray, right: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Per pair: both present and equal; both present and different (keyed values only)."""
    codes = np.full(len(values), -1, dtype=np.int64)
    present = ~np.asarray(values.is_null(), dtype=bool)
    if present.any():
        encoded = pc.dictionary_encode(values.filter(pa.array(present))).indices
        codes[present] = np.asarray(encoded, dtype=np.int64)
    both = (codes[left] >= 0) & (codes[right] >= 0)
    same = both & (codes[left] == codes[right])
    return same, both & ~same


def cluster_links(
    n: int, left: np.ndarray, right: np.ndarray, score: np.ndarray, anchored: np.ndarray
) -> tuple[int, np.ndarray]:
    """Cluster accepted links; records not ``anchored`` (no date of birth) cannot bridge.

    A record with no date of birth is as like a father as his son of the same name and
    address; joining every cluster it links to would merge the two. So anchored records
    cluster by their links among themselves, and each unanchored record (or group of them)
    joins only the one cluster it is most like.
    """
    both = anchored[left] & anchored[right]
    graph = coo_matrix((np.ones(int(both.sum()), np.int8), (left[both], right[both])), (n, n))
    _, labels = connected_components(graph, directed=False)
    labels = labels.astype(np.int64)
    # Groups of unanchored records linked among themselves act as one.
    loose = ~anchored[left] & ~anchored[right]
    graph = coo_matrix((np.ones(int(loose.sum()), np.int8), (left[loose], right[loose])), (n, n))
    _, groups = connected_components(graph, directed=False)
    # Each group's best link to an anchored record decides the cluster it joins.
    mixed = anchored[left] != anchored[right]
    free = np.where(anchored[left[mixed]], right[mixed], left[mixed])
    fixed = np.where(anchored[left[mixed]], left[mixed], right[mixed])
    order = np.argsort(-score[mixed], kind="stable")
    best_group, first = np.unique(groups[free[order]], return_index=True)
    target = {int(g): int(labels[fixed[order][i]]) for g, i in zip(best_group, first, strict=True)}
    unanchored = np.flatnonzero(~anchored)
    for rec in unanchored:
        joined = target.get(int(groups[rec]))
        labels[rec] = joined if joined is not None else n + int(groups[rec])
    _, labels = np.unique(labels, return_inverse=True)
    return int(labels.max()) + 1 if n else 0, labels


def link_encodings(records: EncodedRecords, settings: PprlSettings | None = None) -> PprlResult:
    """Block, compare and cluster encoded records into persons."""
    settings = settings or PprlSettings()
    began = time.perf_counter()
    left, right = candidate_pairs(records)
    score = dice_pairs(records.filters, left, right, popcounts(records.filters))
    nhs_same, nhs_conflict = _agreement(records.nhs, left, right)
    _, dob_conflict = _agreement(records.blocks.column("block_dob").combine_chunks(), left, right)
    _, year_conflict = _agreement(records.birth_year, left, right)
    # Equal NHS pseudonyms: one person. Evidence against raises the bar (PprlSettings).
    score = np.where(nhs_same, np.float32(1.0), score)
    threshold = settings.threshold
    if threshold is None:
        threshold = default_threshold(records.hardening)
    raise_by = np.zeros(len(left), dtype=np.float32)
    for conflict, share in (
        (dob_conflict, settings.dob_conflict),
        (year_conflict, settings.year_conflict),
        (nhs_conflict, settings.nhs_conflict),
    ):
        raise_by[conflict] = np.maximum(raise_by[conflict], share)
    bar = threshold + raise_by * (1 - threshold)
    accepted = score >= bar
    left, right, score = left[accepted], right[accepted], score[accepted]
    n = len(records)
    has_dob = ~np.asarray(records.blocks.column("block_dob").is_null(), dtype=bool)
    persons, labels = cluster_links(n, left, right, score, has_dob)
    # Name each cluster after its lowest unique id, as plaintext linkage does.
    order = np.lexsort((records.unique_ids.astype(str), labels))
    sorted_labels, sorted_ids = labels[order], records.unique_ids[order]
    first = np.flatnonzero(np.r_[True, sorted_labels[1:] != sorted_labels[:-1]])
    names = np.empty(persons, dtype=object)
    names[sorted_labels[first]] = [_person_id(str(u)) for u in sorted_ids[first]]
    person_ids = names[labels]
    return PprlResult(
        unique_ids=records.unique_ids,
        person_ids=person_ids,
        link_left=left,
        link_right=right,
        link_score=score,
        records=n,
        candidate_pairs=int(accepted.size),
        all_pairs=n * (n - 1) // 2,
        persons=int(persons),
        seconds=time.perf_counter() - began,
        threshold=threshold,
    )


def pairwise_accuracy(predicted: Sequence[str], truth: Sequence[str]) -> dict[str, float]:
    """Pairwise precision, recall and F1 of a clustering against true person ids."""
    pred = np.unique(np.asarray(predicted, dtype=str), return_inverse=True)[1]
    true = np.unique(np.asarray(truth, dtype=str), return_inverse=True)[1]
    joint = np.unique(pred.astype(np.int64) * (true.max() + 1) + true, return_counts=True)[1]

    def pairs(counts: np.ndarray) -> int:
        return int((counts.astype(np.int64) * (counts - 1) // 2).sum())

    tp = pairs(joint)
    p_pairs, t_pairs = pairs(np.bincount(pred)), pairs(np.bincount(true))
    precision = tp / p_pairs if p_pairs else 1.0
    recall = tp / t_pairs if t_pairs else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1}


def match_weight(score: float) -> float:
    """log2 odds of a [0, 1] score, bounded, for the ``match_weight`` column."""
    p = min(max(score, 1e-6), 1 - 1e-6)
    return math.log2(p / (1 - p))


# The relations of docs/extracts.md, created as plaintext linkage creates them.
_DDL = """
CREATE TABLE IF NOT EXISTS linkage_runs (
    run_id VARCHAR, kind VARCHAR, started TIMESTAMP, finished TIMESTAMP, engine VARCHAR,
    settings_hash VARCHAR, threshold DOUBLE, threshold_method VARCHAR, records BIGINT,
    new_records BIGINT, pairs_scored BIGINT, links BIGINT, persons BIGINT,
    review_pairs BIGINT, model_path VARCHAR, model_json VARCHAR
);
CREATE TABLE IF NOT EXISTS person_index (
    unique_id VARCHAR, person_id VARCHAR, run_id VARCHAR
);
CREATE TABLE IF NOT EXISTS person_links (
    unique_id_l VARCHAR, unique_id_r VARCHAR, match_probability DOUBLE, match_weight DOUBLE,
    run_id VARCHAR
);
"""


def write_person_index(
    conn: duckdb.DuckDBPyConnection, result: PprlResult, records: EncodedRecords
) -> str:
    """Replace the workspace's person index and links with this result; returns the run id."""
    run_id = "pprl-" + time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    index = pa.table(
        {
            "unique_id": pa.array(result.unique_ids.astype(str)),
            "person_id": pa.array(result.person_ids.astype(str)),
        }
    )
    score = result.link_score.astype(np.float64)
    links = pa.table(
        {
            "unique_id_l": pa.array(result.unique_ids[result.link_left].astype(str)),
            "unique_id_r": pa.array(result.unique_ids[result.link_right].astype(str)),
            # No probability model in PPRL mode: the decision score (Dice, or 1 for equal
            # NHS pseudonyms) stands in, and its log2 odds as the weight.
            "match_probability": pa.array(score),
            "match_weight": pa.array([match_weight(float(x)) for x in score]),
        }
    )
    settings_hash = hashlib.sha256(
        json.dumps([records.fingerprint, records.encoded_bits, records.hardening]).encode()
    ).hexdigest()[:16]
    conn.execute("BEGIN TRANSACTION")
    try:
        conn.execute(_DDL)
        conn.register("sw_pprl_index", index)
        conn.register("sw_pprl_links", links)
        conn.execute("DELETE FROM person_index")
        conn.execute(
            "INSERT INTO person_index SELECT unique_id, person_id, ? FROM sw_pprl_index", [run_id]
        )
        conn.execute("DELETE FROM person_links")
        conn.execute(
            "INSERT INTO person_links SELECT unique_id_l, unique_id_r, match_probability, "
            "match_weight, ? FROM sw_pprl_links",
            [run_id],
        )
        conn.execute(
            "INSERT INTO linkage_runs VALUES (?, 'pprl', now() - to_microseconds(?), now(), "
            "'numpy', ?, ?, 'default for hardening', ?, ?, ?, ?, ?, 0, NULL, NULL)",
            [
                run_id,
                int(result.seconds * 1e6),
                settings_hash,
                result.threshold,
                result.records,
                result.records,
                result.candidate_pairs,
                result.links,
                result.persons,
            ],
        )
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    finally:
        conn.unregister("sw_pprl_index")
        conn.unregister("sw_pprl_links")
    publish_snapshot(conn)  # what the views read, for the web's workers
    return run_id


def read_truth(path: Path, result: PprlResult) -> list[str]:
    """True person ids in the result's record order, from a CSV of unique_id, person_id."""
    import csv

    if not path.is_file():
        raise NotFound(f"truth file {path} does not exist")
    with path.open(encoding="utf-8-sig", newline="") as fh:
        truth = {r["unique_id"]: r["person_id"] for r in csv.DictReader(fh)}
    missing = [u for u in result.unique_ids if u not in truth]
    if missing:
        raise LinkageError(
            f"truth file {path} has no person for {len(missing)} records, e.g. {missing[0]}"
        )
    return [truth[str(u)] for u in result.unique_ids]
