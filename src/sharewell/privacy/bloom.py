"""Bloom-filter encodings of fuzzy identifiers (CLKs, Schnell et al. 2011) and hardening.

A record's names, date of birth, sex and postcode are split into tokens (bigrams of names
and postcode; year, month, day of the date); each token sets ``hashes`` bits of one
record-level filter (a cryptographic long-term key, CLK), chosen by keyed double hashing:
``h1 + i*h2 mod bits`` with ``h1, h2`` from HMAC-SHA256 of the token under the partnership's
key. The number of hashes per field is its weight. Similar records set similar bits, so the
hub can compare encodings (Dice coefficient) without seeing a name.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from sharewell.privacy.kernels import or_rows_kernel
from sharewell.privacy.keys import SecretKey
from sharewell.privacy.normalise import PersonIdentifiers

__all__ = [
    "DEFAULT_WEIGHTS",
    "HARDENINGS",
    "ClkSettings",
    "as_bytes",
    "balance",
    "encode_clks",
    "from_bytes",
    "record_tokens",
    "record_values",
    "value_tokens",
    "xor_fold",
]

# Hash functions per token, by field: the field's weight in the similarity. The date gets
# most per token (few tokens, and it separates twins from father/son namesakes best).
# Given and family names share one field, so names recorded the wrong way round still match.
DEFAULT_WEIGHTS: dict[str, int] = {
    "name": 13,
    "birth_year": 30,
    "birth_date": 12,
    "sex": 6,
    "postcode": 6,
}
HARDENINGS = ("balance", "xor_fold", "salt")


@dataclass(frozen=True)
class ClkSettings:
    """How records are encoded; every partner of a partnership must use the same."""

    bits: int = 1024
    weights: tuple[tuple[str, int], ...] = tuple(DEFAULT_WEIGHTS.items())
    hardening: tuple[str, ...] = ()  # any of HARDENINGS, applied salt, balance, xor_fold

    def __post_init__(self) -> None:
        if self.bits % 128:
            raise ValueError("bits must be a multiple of 128 (whole 64-bit words when folded)")
        unknown = set(self.hardening) - set(HARDENINGS)
        if unknown:
            raise ValueError(f"unknown hardening {sorted(unknown)}; use {', '.join(HARDENINGS)}")

    @property
    def encoded_bits(self) -> int:
        """Length of the encodings the hub receives, after balancing and folding."""
        bits = self.bits * (2 if "balance" in self.hardening else 1)
        return bits // 2 if "xor_fold" in self.hardening else bits


def _bigrams(text: str) -> list[str]:
    padded = f"_{text.replace(' ', '')}_"
    return [padded[i : i + 2] for i in range(len(padded) - 1)]


def record_values(person: PersonIdentifiers) -> list[tuple[str, str]]:
    """The (field, value) pairs one record's filter is built from, before tokenising."""
    out: list[tuple[str, str]] = []
    if person.given_name_canonical:
        out.append(("name", person.given_name_canonical))
    if person.family_name:
        out.append(("name", person.family_name))
    if person.date_of_birth:
        out.append(("birth_year", person.date_of_birth[:4]))
        out.append(("birth_date", person.date_of_birth[5:]))
    if person.sex:
        out.append(("sex", person.sex))
    if person.postcode:
        out.append(("postcode", person.postcode))
    return out


def value_tokens(field: str, value: str) -> list[str]:
    """Tokens of one field's value: bigrams of names and postcode, parts of a date."""
    if field == "birth_date":
        m, d = value.split("-")
        # Day and month also as an unordered pair, so a transposed date keeps a third.
        return [f"m{m}", f"d{d}", "p" + min(m, d) + max(m, d)]
    if field in ("birth_year", "sex"):
        return [value]
    return _bigrams(value)


def record_tokens(person: PersonIdentifiers) -> list[tuple[str, str]]:
    """The (field, token) pairs one record's filter is built from."""
    return [(f, t) for f, v in record_values(person) for t in value_tokens(f, v)]


def _token_hashes(key: SecretKey, texts: Sequence[str], salted: bool) -> np.ndarray:
    """Two keyed 64-bit hashes per token text: (tokens, 2) uint64.

    HMAC-SHA256 for plain tokens. Salting multiplies the tokens by the years of birth, so
    salted tokens use keyed BLAKE2b instead: a PRF as HMAC is, three times faster here.
    """
    if salted:
        subkey = key.subkey("bloom/salted")
        digests = b"".join(
            hashlib.blake2b(t.encode(), key=subkey, digest_size=16).digest() for t in texts
        )
    else:
        subkey = key.subkey("bloom")
        digests = b"".join(hmac.digest(subkey, t.encode(), "sha256")[:16] for t in texts)
    return np.frombuffer(digests, dtype="<u8").reshape(-1, 2)


def _token_masks(
    h: np.ndarray,
    hashes: np.ndarray,
    bits: int,
    balance_order: np.ndarray | None = None,
) -> np.ndarray:
    """One (words,) uint64 mask per token: its ``hashes`` bits, by keyed double hashing.

    With ``balance_order``, each bit lands where balancing would move it (twice: the filter
    and its complement half), so the record-level work stays one OR per token.
    """
    h1, h2 = h[:, 0], h[:, 1] | np.uint64(1)  # h2 odd, so the probes cycle through all bits
    probe = np.arange(int(hashes.max(initial=1)), dtype=np.uint64)
    # Wrapping uint64 arithmetic, then mod bits (a power of two divides 2**64: no bias).
    positions = ((h1[:, None] + probe[None, :] * h2[:, None]) % np.uint64(bits)).astype(np.int64)
    wanted = probe[None, :] < hashes[:, None].astype(np.uint64)
    rows = np.broadcast_to(np.arange(len(h))[:, None], wanted.shape)[wanted]
    where = positions[wanted]
    out_bits = bits
    if balance_order is not None:
        # Spreading writes input bit p to the output bits j with order[j] in {p, p + bits}.
        inverse = np.argsort(balance_order)
        rows = np.concatenate([rows, rows])
        where = np.concatenate([inverse[where], inverse[where + bits]])
        out_bits = 2 * bits
    masks = np.zeros((len(h), out_bits // 64), dtype=np.uint64)
    np.bitwise_or.at(
        masks, (rows, where >> 6), np.left_shift(np.uint64(1), (where & 63).astype(np.uint64))
    )
    return masks


def _token_texts(
    vocabulary: Sequence[tuple[str, str]], salts: Sequence[str], token_salt: np.ndarray | None
) -> list[str]:
    """The text each token's bits are keyed on: field, salt (or nothing) and token."""
    if token_salt is None:
        return [f"{f}\x1f\x1f{t}" for f, t in vocabulary]
    base, salt = np.divmod(token_salt, max(len(salts), 1))
    return [
        f"{vocabulary[b][0]}\x1f{salts[s]}\x1f{vocabulary[b][1]}"
        for b, s in zip(base.tolist(), salt.tolist(), strict=True)
    ]


def _distinct(values: np.ndarray, bound: int) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(values, return_inverse=True)`` for values below ``bound``, without sorting."""
    if bound > 50_000_000:  # a lookup table that large costs more than the sort
        distinct, inverse = np.unique(values, return_inverse=True)
        return distinct, inverse.reshape(-1)
    seen = np.zeros(bound, dtype=bool)
    seen[values] = True
    distinct = np.flatnonzero(seen)
    lookup = np.empty(bound, dtype=np.int64)
    lookup[distinct] = np.arange(len(distinct))
    return distinct, lookup[values]


def encode_clks(
    people: Sequence[PersonIdentifiers],
    key: SecretKey,
    settings: ClkSettings,
) -> np.ndarray:
    """Encode records as CLKs: an (n, words) uint64 array, hardened as the settings say."""
    weights = dict(settings.weights)
    salted = "salt" in settings.hardening
    vocabulary: dict[tuple[str, str], int] = {}  # (field, token) -> id
    known: dict[tuple[str, str], list[int]] = {}  # (field, value) -> token ids
    salts: dict[str, int] = {}
    record_salt = np.zeros(len(people), dtype=np.int64)
    ids: list[int] = []
    counts = np.zeros(len(people), dtype=np.int64)
    for row, person in enumerate(people):
        before = len(ids)
        for field, value in record_values(person):
            found = known.get((field, value))
            if found is None:
                found = known[(field, value)] = (
                    [
                        vocabulary.setdefault((field, t), len(vocabulary))
                        for t in value_tokens(field, value)
                    ]
                    if field in weights
                    else []
                )
            ids.extend(found)
        counts[row] = len(ids) - before
        if salted:
            # Record-level salt: the year of birth mixed into every token, so equal bigrams of
            # people born in different years set different bits (frequency attacks lose power).
            record_salt[row] = salts.setdefault(person.birth_year or "", len(salts))
    token_ids = np.asarray(ids, dtype=np.int64)
    fields = [f for f, _ in vocabulary]
    token_salt = None
    if salted:
        # A salted token is a (token, salt) pair; only the pairs that occur are hashed.
        token_salt, token_ids = _distinct(
            token_ids * max(len(salts), 1) + np.repeat(record_salt, counts),
            len(vocabulary) * max(len(salts), 1),
        )
        fields = [fields[b] for b in (token_salt // max(len(salts), 1)).tolist()]
    texts = _token_texts(list(vocabulary), list(salts), token_salt)
    hashes = np.array([weights[f] for f in fields], dtype=np.int64)
    balanced = "balance" in settings.hardening
    # Balancing commutes with OR, so it is applied to each token's bits, not each filter.
    order = _balance_order(key, settings.bits // 64) if balanced else None
    masks = _token_masks(_token_hashes(key, texts, salted), hashes, settings.bits, order)
    filters = np.zeros((len(people), masks.shape[1]), dtype=np.uint64)
    or_rows_kernel()(masks, token_ids, np.cumsum(counts), filters)
    if order is not None:
        filters ^= _balance_constant(order, settings.bits // 64)
    if "xor_fold" in settings.hardening:
        filters = xor_fold(filters)
    return filters


def xor_fold(filters: np.ndarray) -> np.ndarray:
    """XOR the two halves of each filter (Schnell, Borgs, Encarnação 2016): half the bits."""
    half = filters.shape[1] // 2
    return filters[:, :half] ^ filters[:, half:]


def _balance_order(key: SecretKey, words: int) -> np.ndarray:
    seed = int.from_bytes(key.subkey("balance")[:16], "little")
    return np.random.default_rng(seed).permutation(words * 128)


def _spread(filters: np.ndarray, order: np.ndarray, chunk: int = 8192) -> np.ndarray:
    """Each filter written twice, bits permuted by ``order``: OR-preserving, unlike balance."""
    n, words = filters.shape
    out = np.empty((n, words * 2), dtype=np.uint64)
    for start in range(0, n, chunk):
        part = np.ascontiguousarray(filters[start : start + chunk]).view(np.uint8)
        bits = np.unpackbits(part, axis=1, bitorder="little")
        both = np.concatenate([bits, bits], axis=1)[:, order]
        packed = np.packbits(both, axis=1, bitorder="little")
        out[start : start + chunk] = np.ascontiguousarray(packed).view(np.uint64)
    return out


def _balance_constant(order: np.ndarray, words: int) -> np.ndarray:
    """The balanced encoding of an empty filter: the complement half, all ones, permuted."""
    bits = np.zeros((1, words * 128), dtype=np.uint8)
    bits[0, words * 64 :] = 1
    return np.packbits(bits[:, order], axis=1, bitorder="little").view(np.uint64)[0]


def balance(filters: np.ndarray, key: SecretKey) -> np.ndarray:
    """Append each filter's complement and permute the bits with a keyed permutation.

    Every balanced filter has exactly half its bits set (Berger 1961; Schnell et al. 2016),
    so the number of bits set no longer tells how long a name is. Computed as
    ``spread(f) XOR constant``: the bits of the complement half are those of ``f`` flipped.
    """
    order = _balance_order(key, filters.shape[1])
    return _spread(filters, order) ^ _balance_constant(order, filters.shape[1])


def as_bytes(filters: np.ndarray) -> list[bytes]:
    """Each filter as bytes (for Parquet)."""
    return [row.tobytes() for row in filters]


def from_bytes(encodings: Iterable[bytes], words: int) -> np.ndarray:
    """Filters back from bytes; ``words`` uint64 words each."""
    joined = b"".join(encodings)
    return np.frombuffer(joined, dtype=np.uint64).reshape(-1, words).copy()
