"""Privacy-preserving linkage: encoding and comparison speed against clkhash and anonlink,
blocking recall, F1 per hardening option, and a 100k x 100k link, all in one run."""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

Row = dict[str, Any]
KEY = b"benchmark-secret-0123456789abcdef"


def _row(
    benchmark: str,
    size: Any,
    value: str,
    baseline: str,
    name: str,
    ratio: float | None,
    target: str,
) -> Row:
    return {
        "benchmark": benchmark,
        "size": size,
        "value": value,
        "baseline": baseline,
        "baseline_name": name,
        "ratio": ratio,
        "target": target,
    }


def _best_rate(count: int, run: Any, repeat: int = 2) -> float:
    """Items a second, best of ``repeat`` runs (the machine is shared: best is least noisy)."""
    best = float("inf")
    for _ in range(repeat):
        began = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - began)
    return count / best


def _people(n: int) -> tuple[list[Any], Any]:
    """n people to encode, and clkhash's own rows of them (None without clkhash).

    clkhash's random names (with random dates of birth, so salting sees many years) when it
    is installed; otherwise the synthetic county's people.
    """
    from sharewell.privacy.normalise import PersonIdentifiers

    try:
        from clkhash.randomnames import NameList
    except ImportError:
        from sharewell.synth import SynthConfig, generate

        p = generate(SynthConfig(people=n, seed=9)).population.people
        rows = [
            (str(i), f"{p.given_name[i]} {p.family_name[i]}", str(p.date_of_birth[i]), "F")
            for i in range(n)
        ]
        clk_rows = None
    else:
        rows = [tuple(str(x) for x in r) for r in NameList(n).names]
        clk_rows = rows
    people = []
    for _, name, dob, sex in rows:
        given, _, family = name.partition(" ")
        people.append(
            PersonIdentifiers(
                given_name=given.lower(),
                given_name_canonical=given.lower(),
                family_name=family.lower(),
                date_of_birth=dob.replace("/", "-"),
                sex={"F": "female", "M": "male"}.get(sex),
            )
        )
    return people, clk_rows


def _best_rates(count: int, runs: dict[str, Any], repeat: int = 5) -> dict[str, float]:
    """Items a second of each run, best of ``repeat``, the runs taking turns: on a shared
    machine, a rival's measurement then meets the same load as ours."""
    best = dict.fromkeys(runs, float("inf"))
    for _ in range(repeat):
        for name, run in runs.items():
            began = time.perf_counter()
            run()
            best[name] = min(best[name], time.perf_counter() - began)
    return {name: count / seconds for name, seconds in best.items()}


def _encoding_speed(n: int) -> list[Row]:
    from sharewell.privacy import ClkSettings, SecretKey, encode_clks

    people, clk_rows = _people(n)
    key = SecretKey(KEY)
    encode_clks(people[:100], key, ClkSettings())  # load the compiled kernel before timing
    rates = {
        hardening: _best_rate(
            n, lambda h=hardening: encode_clks(people, key, ClkSettings(hardening=h))
        )
        for hardening in ((), ("balance", "xor_fold"), ("balance", "xor_fold", "salt"))
    }
    baseline, base_name = float("nan"), "clkhash not installed"
    if clk_rows is not None:
        from clkhash.clk import generate_clks
        from clkhash.randomnames import NameList

        baseline = _best_rate(
            n,
            lambda: generate_clks(
                clk_rows, NameList.SCHEMA, "secret", validate=False, max_workers=1
            ),
            repeat=1,
        )
        base_name = "clkhash 0.18 (1 worker, its randomnames schema and names)"
    out = []
    for hardening, rate in rates.items():
        out.append(
            _row(
                f"privacy: encode records (CLK), hardening {'+'.join(hardening) or 'none'}",
                n,
                f"{rate:,.0f} records/s",
                f"{baseline:,.0f} records/s",
                base_name,
                rate / baseline if baseline == baseline else None,
                ">= 40,000 records/s",
            )
        )
    plain = rates[()]
    salted = rates[("balance", "xor_fold", "salt")]
    out.append(
        _row(
            "privacy: encode records, salted against unsalted",
            n,
            f"{salted:,.0f} records/s",
            f"{plain:,.0f} records/s",
            "sharewell unhardened, same run",
            salted / plain,
            ">= 40,000 records/s",
        )
    )
    return out


def _random_filters(n: int, words: int = 16) -> np.ndarray:
    rng = np.random.default_rng(0)
    # Filters about 25% full, as CLKs of names, date and postcode are.
    return rng.integers(0, 2**63, size=(n, words), dtype=np.uint64) & rng.integers(
        0, 2**63, size=(n, words), dtype=np.uint64
    )


def _comparison_speed(n: int, pairs: int) -> list[Row]:
    """Dice per second on one core: candidate pairs against NumPy, all-against-all against
    anonlink's C++ kernel, each baseline on the same filters in the same run."""
    from sharewell.privacy.similarity import dice_pairs, dice_pairs_numpy, popcounts

    filters = _random_filters(n)
    counts = popcounts(filters)
    rng = np.random.default_rng(1)
    left = np.sort(rng.integers(0, n, pairs))
    right = rng.integers(0, n, pairs)
    dice_pairs(filters, left[:10], right[:10], counts)  # load the compiled kernel
    rates = _best_rates(
        pairs,
        {
            "ours": lambda: dice_pairs(filters, left, right, counts),
            "numpy": lambda: dice_pairs_numpy(filters, left, right, counts),
        },
        repeat=3,
    )
    ours, numpy_rate = rates["ours"], rates["numpy"]
    out = [
        _row(
            f"privacy: Dice of candidate pairs in random order ({n:,} filters, 1 core)",
            pairs,
            f"{ours / 1e6:,.1f} M pairs/s",
            f"{numpy_rate / 1e6:,.1f} M pairs/s",
            "NumPy popcount kernel (bitwise_count), same pairs",
            ours / numpy_rate,
            ">= 100 M pairs/s per core",
        ),
    ]
    side = 2000
    a_rows, b_rows = np.arange(side), np.arange(side, 2 * side)
    dense_left, dense_right = np.repeat(a_rows, side), np.tile(b_rows, side)
    runs = {"ours": lambda: dice_pairs(filters, dense_left, dense_right, counts)}
    base_name = "anonlink not installed"
    try:
        from anonlink.similarities import dice_coefficient_accelerated
        from bitarray import bitarray
    except ImportError:
        pass
    else:
        arrays = []
        for row in filters[: 2 * side]:
            b = bitarray()
            b.frombytes(row.tobytes())
            arrays.append(b)
        runs["anonlink"] = lambda: dice_coefficient_accelerated([arrays[:side], arrays[side:]], 0.8)
        base_name = "anonlink 0.15 C++ kernel (dice_coefficient_accelerated), same filters"
    dense_rates = _best_rates(side * side, runs)
    dense, baseline = dense_rates["ours"], dense_rates.get("anonlink", float("nan"))
    out.append(
        _row(
            "privacy: Dice all-against-all (compiled kernel, 1 core)",
            f"{side}x{side}",
            f"{dense / 1e6:,.1f} M pairs/s",
            f"{baseline / 1e6:,.1f} M pairs/s",
            base_name,
            dense / baseline if baseline == baseline else None,
            ">= 100 M pairs/s per core (anonlink: 120-150 M idle)",
        )
    )
    return out


def _real_pairs_speed(filters: np.ndarray, left: np.ndarray, right: np.ndarray) -> Row:
    """Dice of the pairs the hub's blocking actually yields, against NumPy, taking turns."""
    from sharewell.privacy.similarity import dice_pairs, dice_pairs_numpy, popcounts

    counts = popcounts(filters)
    # Repeated so each timing is long enough to measure (the real pairs take milliseconds).
    times = max(1, 5_000_000 // max(len(left), 1))
    many_left, many_right = np.tile(left, times), np.tile(right, times)
    dice_pairs(filters, left[:10], right[:10], counts)
    rates = _best_rates(
        len(many_left),
        {
            "ours": lambda: dice_pairs(filters, many_left, many_right, counts),
            "numpy": lambda: dice_pairs_numpy(filters, many_left, many_right, counts),
        },
        repeat=3,
    )
    return _row(
        "privacy: Dice of the hub's candidate pairs (default hardening, 1 core)",
        f"{len(left):,} pairs x {times}",
        f"{rates['ours'] / 1e6:,.1f} M pairs/s",
        f"{rates['numpy'] / 1e6:,.1f} M pairs/s",
        "NumPy popcount kernel (bitwise_count), same pairs",
        rates["ours"] / rates["numpy"],
        ">= 100 M pairs/s per core",
    )


def _plaintext_linkage(
    home: Path, hub: Path, truth: dict[str, str]
) -> tuple[float, set[str], float]:
    """Ingest and link the partnership in clear: F1, the records linked, seconds."""
    import duckdb

    from sharewell.config import Settings
    from sharewell.ingest.manifest import ingest_manifest
    from sharewell.linkage import link_workspace
    from sharewell.privacy import pairwise_accuracy
    from sharewell.store import Workspace, init_hub

    settings = Settings(hub_dir=hub)
    init_hub(settings)
    with Workspace(settings.workspace_path()) as ws:
        ingest_manifest(ws, home, loaded_by="benchmark")
    began = time.perf_counter()
    link_workspace(settings)
    seconds = time.perf_counter() - began
    con = duckdb.connect(str(settings.workspace_path()), read_only=True)
    try:
        rows = con.execute("SELECT unique_id, person_id FROM person_index").fetchall()
    finally:
        con.close()
    scores = pairwise_accuracy([p for _, p in rows], [truth[u] for u, _ in rows])
    return scores["f1"], {u for u, _ in rows}, seconds


def _accuracy(people: int) -> list[Row]:
    import csv

    from sharewell.privacy import (
        PprlSettings,
        SecretKey,
        link_encodings,
        load_encodings,
        pairwise_accuracy,
    )
    from sharewell.privacy.encode import encode_partnership
    from sharewell.privacy.link import candidate_pairs
    from sharewell.synth import SynthConfig, generate, write_partnership

    out: list[Row] = []
    key = SecretKey(KEY)
    options: list[tuple[str, ...]] = [
        (),
        ("salt",),
        ("xor_fold",),
        ("balance",),
        ("balance", "xor_fold"),
        ("balance", "xor_fold", "salt"),
    ]
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "westshire"
        write_partnership(generate(SynthConfig(people=people, seed=3)), home)
        with (home / "truth" / "records.csv").open(encoding="utf-8") as fh:
            truth = {r["unique_id"]: r["person_id"] for r in csv.DictReader(fh)}
        plain_f1, plain_ids, plain_seconds = _plaintext_linkage(home, Path(tmp) / "hub", truth)
        f1s: dict[tuple[str, ...], float] = {}
        for hardening in options:
            files = [
                r.out
                for r in encode_partnership(
                    home, key, Path(tmp) / "-".join(hardening or ("none",)), hardening
                )
            ]
            records = load_encodings(files)
            ids = [truth[u] for u in records.unique_ids]
            result = link_encodings(records, PprlSettings())
            scores = pairwise_accuracy(list(result.person_ids), ids)
            # Against plaintext, only the records plaintext linkage saw (ingest quarantines
            # rows with no event date; the encoder passes them on).
            kept = [k for k, u in enumerate(records.unique_ids) if u in plain_ids]
            f1s[hardening] = pairwise_accuracy(
                [result.person_ids[k] for k in kept], [ids[k] for k in kept]
            )["f1"]
            if hardening == ("balance", "xor_fold"):
                left, right = candidate_pairs(records)
                truth_ids = np.array(ids)
                _, counts = np.unique(truth_ids, return_counts=True)
                true_pairs = int((counts * (counts - 1) // 2).sum())
                recall = float((truth_ids[left] == truth_ids[right]).sum()) / true_pairs
                share = len(left) / result.all_pairs
                out.append(_real_pairs_speed(records.filters, left, right))
                out.append(
                    _row(
                        "privacy: blocking recall / share of pairs compared",
                        f"{people} people, {len(records)} records",
                        f"recall {recall:.4f}, {100 * share:.2f}% of pairs",
                        "0.99 / 2%",
                        "issue 9 target",
                        None,
                        "recall >= 0.99, <= 2% of pairs",
                    )
                )
                out.append(
                    _row(
                        "privacy: link encodings (default hardening)",
                        f"{len(records)} records",
                        f"{result.seconds:.2f} s, P {scores['precision']:.4f} "
                        f"R {scores['recall']:.4f}",
                        f"{plain_seconds:.2f} s",
                        "plaintext linkage (Splink), same partnership",
                        result.seconds / plain_seconds,
                        "-",
                    )
                )
        for hardening, f1 in f1s.items():
            out.append(
                _row(
                    f"privacy: F1 vs truth, hardening {'+'.join(hardening) or 'none'}",
                    f"{people} people",
                    f"{f1:.4f} ({f1 - plain_f1:+.4f})",
                    f"{plain_f1:.4f}",
                    f"plaintext linkage (Splink, {plain_seconds:.0f} s), same records",
                    f1 / plain_f1,
                    "within 0.01 of plaintext",
                )
            )
    return out


def link_noisy_copies(n: int) -> tuple[Any, dict[str, float], float]:
    """Link n x n encodings: a county's people against a noisy second copy of them.

    Returns the PPRL result, its accuracy and the seconds spent encoding the 2n records.
    """
    import pyarrow as pa

    from sharewell.privacy import PprlSettings, SecretKey, link_encodings, pairwise_accuracy
    from sharewell.privacy.encode import METADATA_KEY, EncodingSchema, encode_rows
    from sharewell.privacy.link import records_from_table
    from sharewell.synth import SynthConfig, generate

    population = generate(SynthConfig(people=n, seed=9)).population
    p, hh, ad = population.people, population.households, population.addresses
    rng = np.random.default_rng(1)
    postcode = ad.postcode[hh.address[p.household]]
    base = [
        {
            "given_name": str(p.given_name[i]),
            "family_name": str(p.family_name[i]),
            "date_of_birth": str(p.date_of_birth[i]),
            "sex": str(p.sex[i]),
            "postcode": str(postcode[i]),
            "nhs_number": str(p.nhs_number[i]),
        }
        for i in range(n)
    ]
    noisy = []
    for row in base:
        row = dict(row)
        u = rng.random(5)
        if u[0] < 0.05 and len(row["given_name"]) > 3:  # a keying slip
            g = row["given_name"]
            row["given_name"] = g[:2] + g[3] + g[2] + g[4:]
        if u[1] < 0.05:
            row["date_of_birth"] = None
        if u[2] < 0.10:  # moved
            row["postcode"] = str(ad.postcode[rng.integers(len(ad.postcode))])
        if u[3] < 0.7:
            row["nhs_number"] = None
        noisy.append(row)
    key = SecretKey(KEY)
    schema = EncodingSchema(source_type="person")
    began = time.perf_counter()
    tables = [
        encode_rows(rows, key, schema, partner) for rows, partner in ((base, "a"), (noisy, "b"))
    ]
    encoded = time.perf_counter() - began
    table = pa.concat_tables(tables).drop_columns(["partner", "record_id"])
    table = table.append_column("partner", pa.array(["a"] * n + ["b"] * n))
    table = table.append_column("record_id", pa.array([str(i) for _ in "ab" for i in range(n)]))
    records = records_from_table(table, json.loads(tables[0].schema.metadata[METADATA_KEY]))
    result = link_encodings(records, PprlSettings())
    truth = [str(i) for _ in "ab" for i in range(n)]
    scores = pairwise_accuracy(list(result.person_ids), truth)
    return result, scores, encoded


def _scale(n: int) -> list[Row]:
    """Link n x n encodings with blocking (see ``link_noisy_copies``)."""
    result, scores, encoded = link_noisy_copies(n)
    pair_rate = result.candidate_pairs / result.seconds
    return [
        _row(
            "privacy: link n x n encodings with blocking",
            f"{n}x{n}",
            f"{result.seconds:.1f} s link ({result.candidate_pairs:,} pairs, "
            f"{100 * result.candidate_pairs / result.all_pairs:.3f}%), "
            f"{encoded:.1f} s encode, F1 {scores['f1']:.4f}",
            f"{pair_rate / 1e6:.1f} M pairs/s end to end",
            "blocking + Dice + clustering",
            None,
            "completes on the 2-core machine",
        ),
    ]


def bench_privacy(quick: bool = False) -> list[Row]:
    """Encoding, comparison, blocking, F1 per hardening and scale (small with ``quick``)."""
    rows = _encoding_speed(5_000 if quick else 50_000)
    rows += _comparison_speed(20_000 if quick else 100_000, 1_000_000 if quick else 10_000_000)
    rows += _accuracy(1_000 if quick else 20_000)
    rows += _scale(5_000 if quick else 100_000)
    return rows


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    for r in bench_privacy(parser.parse_args().quick):
        print(
            f"{r['benchmark']:<56} {r['size']!s:<26} {r['value']:<40} "
            f"{r['baseline']:<20} {r['baseline_name']}"
        )
