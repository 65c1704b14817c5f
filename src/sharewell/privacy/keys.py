"""The partnership's secret key: read from a file at the partner, never sent to the hub."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from sharewell.errors import ConfigError, NotFound

__all__ = ["MIN_SECRET_BYTES", "SecretKey", "read_secret"]

# 256 bits: a shorter key would let a dictionary attack on the pseudonyms succeed offline.
MIN_SECRET_BYTES = 32


@dataclass(frozen=True)
class SecretKey:
    """A long-term secret shared by the partners (not the hub); subkeys per purpose."""

    secret: bytes = field(repr=False)

    def subkey(self, purpose: str) -> bytes:
        """An independent key for one purpose, so one leaked use does not expose the others."""
        return _subkey(self.secret, purpose)

    @property
    def fingerprint(self) -> str:
        """A short public tag: encodings with different fingerprints cannot be linked."""
        return self.subkey("fingerprint").hex()[:16]


@lru_cache(maxsize=64)
def _subkey(secret: bytes, purpose: str) -> bytes:
    return hmac.digest(secret, b"sharewell/privacy/" + purpose.encode(), "sha256")


def read_secret(path: Path) -> SecretKey:
    """Read a secret key file (text or binary; at least 32 bytes of it)."""
    if not path.is_file():
        raise NotFound(
            f"secret key file {path} does not exist; make one with "
            "`openssl rand -hex 32 > KEYFILE` and share it only with the partners"
        )
    raw = path.read_bytes().strip()
    if len(raw) < MIN_SECRET_BYTES:
        raise ConfigError(
            f"secret key file {path} holds {len(raw)} bytes; at least {MIN_SECRET_BYTES} are "
            "needed (make one with `openssl rand -hex 32 > KEYFILE`)"
        )
    return SecretKey(hashlib.sha256(b"sharewell-secret" + raw).digest())
