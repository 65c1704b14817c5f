"""Bloom-filter encodings of fuzzy identifiers (CLKs, Schnell et al. 2011) and hardening.

A record's names, date of birth, sex and postcode are split into tokens (bigrams of names
and postcode; year, month, day of the date); each token sets ``hashes`` bits of one
record-level filter (a cryptographic long-term key, CLK), chosen by keyed double hashing:
``h1 + i*h2 mod bits`` with ``h1, h2`` from HMAC-SHA256 of the token under the partnership's
key. The number of hashes per field is its weight. Similar records set similar bits, so the
hub can compare encodings (Dice coefficient) without seeing a name.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

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


def record_tokens(person: PersonIdentifiers) -> list[tuple[str, str]]:
    """The (field, token) pairs one record's filter is built from."""
    out: list[tuple[str, str]] = []
    if person.given_name_canonical:
        out += [("name", t) for t in _bigrams(person.given_name_canonical)]
    if person.family_name:
        out += [("name", t) for t in _bigrams(person.family_name)]
    if person.date_of_birth:
        y, m, d = person.date_of_birth.split("-")
        # Day and month also as an unordered pair, so a transposed date keeps half its bits.
        out.append(("birth_year", y))
        out += [("birth_date", t) for t in (f"m{m}", f"d{d}", "p" + min(m, d) + max(m, d))]
    if person.sex:
        out.append(("sex", person.sex))
    if person.postcode:
        out += [("postcode", t) for t in _bigrams(person.postcode)]
    return out


def _token_mask(key: bytes, token: str, hashes: int, bits: int) -> np.ndarray:
    digest = hmac.digest(key, token.encode(), "sha256")
    h1 = int.from_bytes(digest[:8], "little")
    h2 = int.from_bytes(digest[8:16], "little") | 1  # odd, so the probes cycle through bits
    positions = np.array([(h1 + i * h2) % bits for i in range(hashes)], dtype=np.int64)
    mask = np.zeros(bits // 64, dtype=np.uint64)
    np.bitwise_or.at(
        mask, positions >> 6, np.left_shift(np.uint64(1), (positions & 63).astype(np.uint64))
    )
    return mask


def encode_clks(
    people: Sequence[PersonIdentifiers], key: SecretKey, settings: ClkSettings
) -> np.ndarray:
    """Encode records as CLKs: an (n, words) uint64 array, hardened as the settings say."""
    bloom_key = key.subkey("bloom")
    weights = dict(settings.weights)
    salted = "salt" in settings.hardening
    vocabulary: dict[str, int] = {}
    masks: list[np.ndarray] = []
    ids: list[int] = []
    owners: list[int] = []
    for row, person in enumerate(people):
        # Record-level salt: the year of birth mixed into every token, so equal bigrams of
        # people born in different years set different bits (frequency attacks lose power).
        salt = (person.birth_year or "") if salted else ""
        for field, token in record_tokens(person):
            if field not in weights:
                continue
            text = f"{field}\x1f{salt}\x1f{token}"
            tid = vocabulary.get(text)
            if tid is None:
                tid = vocabulary[text] = len(masks)
                masks.append(_token_mask(bloom_key, text, weights[field], settings.bits))
            ids.append(tid)
            owners.append(row)
    filters = np.zeros((len(people), settings.bits // 64), dtype=np.uint64)
    if ids:
        token_masks = np.stack(masks)[np.asarray(ids)]
        owner = np.asarray(owners)
        starts = np.flatnonzero(np.r_[True, owner[1:] != owner[:-1]])
        filters[owner[starts]] = np.bitwise_or.reduceat(token_masks, starts, axis=0)
    if "balance" in settings.hardening:
        filters = balance(filters, key)
    if "xor_fold" in settings.hardening:
        filters = xor_fold(filters)
    return filters


def xor_fold(filters: np.ndarray) -> np.ndarray:
    """XOR the two halves of each filter (Schnell, Borgs, Encarnação 2016): half the bits."""
    half = filters.shape[1] // 2
    return filters[:, :half] ^ filters[:, half:]


def balance(filters: np.ndarray, key: SecretKey, chunk: int = 8192) -> np.ndarray:
    """Append each filter's complement and permute the bits with a keyed permutation.

    Every balanced filter has exactly half its bits set (Berger 1961; Schnell et al. 2016),
    so the number of bits set no longer tells how long a name is.
    """
    n, words = filters.shape
    seed = int.from_bytes(key.subkey("balance")[:16], "little")
    order = np.random.default_rng(seed).permutation(words * 128)
    out = np.empty((n, words * 2), dtype=np.uint64)
    for start in range(0, n, chunk):
        part = filters[start : start + chunk]
        bits = np.unpackbits(np.ascontiguousarray(part).view(np.uint8), axis=1, bitorder="little")
        both = np.concatenate([bits, 1 - bits], axis=1)[:, order]
        packed = np.packbits(both, axis=1, bitorder="little")
        out[start : start + chunk] = np.ascontiguousarray(packed).view(np.uint64)
    return out


def as_bytes(filters: np.ndarray) -> list[bytes]:
    """Each filter as bytes (for Parquet)."""
    return [row.tobytes() for row in filters]


def from_bytes(encodings: Iterable[bytes], words: int) -> np.ndarray:
    """Filters back from bytes; ``words`` uint64 words each."""
    joined = b"".join(encodings)
    return np.frombuffer(joined, dtype=np.uint64).reshape(-1, words).copy()
