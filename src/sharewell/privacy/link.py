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
    "link_encodings",
    "load_encodings",
    "pairwise_accuracy",
]


@dataclass(frozen=True)
class PprlSettings:
    """When the hub accepts a pair of encoded records as one person."""

    threshold: float = 0.80  # Dice at or above which a pair links
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
        tables.append(table.select(["record_id", "partner", "source", "clk", "nhs_number_pseudonym"]
                                   + [f"block_{k}" for k in BLOCKING_KEYS]))
    if settings is None:
        raise LinkageError("no encoded files given to link")
    table = pa.concat_tables(tables)
    unique = np.array(
        [f"{p}:{s}:{r}" for p, s, r in zip(*(table.column(c).to_pylist() for c in ("partner", "source", "record_id")), strict=True)],
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
    bar = np.where(both & ~same, settings.nhs_conflict_threshold, settings.threshold)
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
