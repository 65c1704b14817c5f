"""Privacy-preserving record linkage: keyed pseudonyms, Bloom-filter encodings, matching.

Partners run ``encode`` on their own machines with a secret the hub never holds; the hub
links the encodings (``link``) into the same person index plaintext linkage writes; only
the data provider can turn a pseudonymous id back into its own record (``reveal``).
See docs/privacy.md.
"""

from sharewell.privacy.bloom import ClkSettings, encode_clks
from sharewell.privacy.encode import EncodingReport, EncodingSchema, encode_file, load_schema
from sharewell.privacy.keys import SecretKey, read_secret
from sharewell.privacy.link import (
    EncodedRecords,
    PprlResult,
    PprlSettings,
    link_encodings,
    load_encodings,
    pairwise_accuracy,
)
from sharewell.privacy.normalise import PersonIdentifiers, normalise_people, normalise_person

__all__ = [
    "ClkSettings",
    "EncodedRecords",
    "EncodingReport",
    "EncodingSchema",
    "PersonIdentifiers",
    "PprlResult",
    "PprlSettings",
    "SecretKey",
    "encode_clks",
    "encode_file",
    "link_encodings",
    "load_encodings",
    "load_schema",
    "normalise_people",
    "normalise_person",
    "pairwise_accuracy",
    "read_secret",
]
