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

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from sharewell.errors import LinkageError, NotFound
from sharewell.privacy.blocking import BLOCKING_KEYS
from sharewell.privacy.bloom import from_bytes
from sharewell.privacy.encode import METADATA_KEY
from sharewell.privacy.similarity import dice_pairs, popcounts

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
    nhs_conflict_threshold: float = 0.96


@dataclass(frozen=True)
class EncodedRecords:
    """The partners' encoded records, concatenated, with what the hub needs to link them."""

    unique_ids: np.ndarray  # str objects: partner:source:record_id
    filters: np.ndarray  # (n, words) uint64
    nhs: pa.Array  # binary, null where missing
    blocks: pa.Table  # one binary column per blocking key
    fingerprint: str
    encoded_bits: int
    hardening: tuple[str, ...] = ()

    def __len__(self) -> int:
        return len(self.unique_ids)


def load_encodings(paths: Sequence[Path]) -> EncodedRecords:
    """Read partners' upload files; refuse files encoded with another key or settings."""
    tables = []
    settings: dict[str, object] | None = None
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
                + [f"block_{k}" for k in BLOCKING_KEYS]
            )
        )
    if settings is None:
        raise LinkageError("no encoded files given to link")
    table = pa.concat_tables(tables)
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
    bits = int(str(settings["encoded_bits"]))
    return EncodedRecords(
        unique_ids=unique,
        filters=from_bytes(table.column("clk").to_pylist(), bits // 64),
        nhs=table.column("nhs_number_pseudonym").combine_chunks(),
        blocks=table.select([f"block_{k}" for k in BLOCKING_KEYS]),
        fingerprint=str(settings["key_fingerprint"]),
        encoded_bits=bits,
        hardening=tuple(str(h) for h in settings["hardening"]),  # type: ignore[attr-defined]
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


def link_encodings(records: EncodedRecords, settings: PprlSettings | None = None) -> PprlResult:
    """Block, compare and cluster encoded records into persons."""
    settings = settings or PprlSettings()
    began = time.perf_counter()
    left, right = candidate_pairs(records)
    score = dice_pairs(records.filters, left, right, popcounts(records.filters))
    nhs = records.nhs
    present = ~np.asarray(nhs.is_null(), dtype=bool)
    # Equal NHS pseudonyms: one person. Different ones: a high bar (see PprlSettings).
    nhs_codes = np.full(len(records), -1, dtype=np.int64)
    if present.any():
        codes = pa.compute.dictionary_encode(nhs.filter(pa.array(present))).indices
        nhs_codes[present] = np.asarray(codes, dtype=np.int64)
    both = (nhs_codes[left] >= 0) & (nhs_codes[right] >= 0)
    same = both & (nhs_codes[left] == nhs_codes[right])
    score = np.where(same, np.float32(1.0), score)
    threshold = settings.threshold
    if threshold is None:
        threshold = default_threshold(records.hardening)
    bar = np.where(both & ~same, settings.nhs_conflict_threshold, threshold)
    accepted = score >= bar
    left, right, score = left[accepted], right[accepted], score[accepted]
    n = len(records)
    graph = coo_matrix((np.ones(len(left), dtype=np.int8), (left, right)), shape=(n, n))
    persons, labels = connected_components(graph, directed=False)
    # Name each cluster after its lowest unique id, as plaintext linkage does.
    order = np.lexsort((records.unique_ids.astype(str), labels))
    first = np.flatnonzero(np.r_[True, labels[order][1:] != labels[order][:-1]])
    lowest = {int(labels[order][i]): str(records.unique_ids[order][i]) for i in first}
    person_ids = np.array([_person_id(lowest[int(c)]) for c in labels], dtype=object)
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
