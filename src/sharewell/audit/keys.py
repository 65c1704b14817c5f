"""The audit key file: HMAC keys held outside the operational store, one per period of the log.

Anyone who can write to the database can rewrite an unkeyed hash chain and its head. So each
entry is sealed with HMAC-SHA256 under a key kept in a file the database does not hold
(``Settings.audit_key_file``; by default ``hub_dir/audit-keys.json``, mode 0600, which a real
deployment moves to where the database's administrators cannot read it). The file holds
every key the hub has used: a key signs the entries from its ``from_seq`` until the next key
takes over, so old entries still verify after ``sharewell audit rotate-key``. Each key also
records the entry the chain had reached when it took over (``after_hash``): a pin of the log,
outside the database, at every rotation. A key's 32-byte ``signing_seed`` is the Ed25519
private key that signs checkpoints (``audit/checkpoint.py``).

    {"format": "sharewell-audit-keys/1",
     "keys": [{"id": "…", "from_seq": 1, "after_hash": "000…", "created_at": "…",
               "status": "active", "secret": "<base64>", "signing_seed": "<base64>"}]}
"""

from __future__ import annotations

import base64
import hmac
import json
import os
import secrets
import threading
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from itertools import pairwise
from pathlib import Path
from typing import Any, Literal

from sharewell.errors import StoreError

__all__ = [
    "AuditKey",
    "KeyRing",
    "activated",
    "hmac_hex",
    "load_key_ring",
    "new_key",
    "parse_key_ring",
    "write_key_ring",
]

KEY_FILE_FORMAT = "sharewell-audit-keys/1"


def hmac_hex(secret: bytes, message: bytes) -> str:
    """HMAC-SHA256 of ``message`` under ``secret``, as hex (one-shot, in OpenSSL)."""
    return hmac.digest(secret, message, "sha256").hex()


@dataclass(frozen=True)
class AuditKey:
    """One key: which entries it signs (from ``from_seq``), and its secrets."""

    id: str
    from_seq: int
    after_hash: str  # the hash of entry from_seq - 1 when this key took over
    created_at: str
    status: Literal["pending", "active"]  # pending: being brought in, may have signed nothing
    secret: bytes = b""
    signing_seed: bytes = b""

    def mac(self, message: bytes) -> str:
        """HMAC-SHA256 of ``message`` under this key, as hex."""
        return hmac_hex(self.secret, message)


@dataclass(frozen=True)
class KeyRing:
    """Every audit key of a hub, oldest first (``from_seq`` strictly increasing)."""

    keys: tuple[AuditKey, ...]

    @property
    def keyed_from(self) -> int | None:
        """The first entry a key signs; entries before it were written before keys existed."""
        return self.keys[0].from_seq if self.keys else None

    def covering(self, seq: int) -> AuditKey | None:
        """The key that signs entry ``seq`` (None: the entry predates every key)."""
        found = None
        for key in self.keys:
            if key.from_seq <= seq:
                found = key
        return found

    def sealing(self, seq: int) -> AuditKey | None:
        """The key that seals a chain head at ``seq``: the one covering it, else the first."""
        return self.covering(seq) or (self.keys[0] if self.keys else None)

    def by_id(self, key_id: str | None) -> AuditKey | None:
        """The key with this id, if the ring holds it."""
        return next((k for k in self.keys if k.id == key_id), None)

    @property
    def newest(self) -> AuditKey | None:
        """The key that signs new entries."""
        return self.keys[-1] if self.keys else None


def new_key(*, from_seq: int, after_hash: str) -> AuditKey:
    """A fresh random key taking over at ``from_seq``, pending until its first entry is in."""
    secret = secrets.token_bytes(32)
    return AuditKey(
        # A public name derived from the secret by a one-way function: safe to print.
        id=hmac_hex(secret, b"sharewell audit key id")[:16],
        from_seq=from_seq,
        after_hash=after_hash,
        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
        status="pending",
        secret=secret,
        signing_seed=secrets.token_bytes(32),
    )


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _key_to_json(key: AuditKey) -> dict[str, Any]:
    return {
        "id": key.id,
        "from_seq": key.from_seq,
        "after_hash": key.after_hash,
        "created_at": key.created_at,
        "status": key.status,
        "secret": _b64(key.secret),
        "signing_seed": _b64(key.signing_seed),
    }


def _key_from_json(raw: Any, path: Path) -> AuditKey:
    try:
        key = AuditKey(
            id=str(raw["id"]),
            from_seq=int(raw["from_seq"]),
            after_hash=str(raw["after_hash"]),
            created_at=str(raw["created_at"]),
            status="pending" if raw["status"] == "pending" else "active",
            secret=base64.b64decode(raw["secret"], validate=True),
            signing_seed=base64.b64decode(raw["signing_seed"], validate=True),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise StoreError(f"the audit key file {path} has an unreadable key: {exc}") from exc
    if len(key.secret) < 32 or len(key.signing_seed) != 32:
        raise StoreError(f"the audit key file {path} has a key of the wrong length ({key.id})")
    return key


def parse_key_ring(text: str, path: Path) -> KeyRing:
    """A key ring from the key file's text; StoreError saying what is wrong otherwise."""
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise StoreError(f"the audit key file {path} is not valid JSON: {exc}") from exc
    if not isinstance(raw, dict) or raw.get("format") != KEY_FILE_FORMAT:
        raise StoreError(f"{path} is not a sharewell audit key file ({KEY_FILE_FORMAT})")
    keys = tuple(_key_from_json(k, path) for k in raw.get("keys") or [])
    if not keys or any(b.from_seq <= a.from_seq for a, b in pairwise(keys)):
        raise StoreError(f"the audit key file {path} holds no keys, or keys out of order")
    return KeyRing(keys)


_cache: dict[str, tuple[tuple[int, int, int], KeyRing]] = {}
_cache_lock = threading.Lock()


def load_key_ring(path: Path) -> KeyRing:
    """The key ring in ``path``, re-read whenever the file changes (a rotation elsewhere)."""
    try:
        stat = path.stat()
    except FileNotFoundError:
        raise StoreError(
            f"the audit key file {path} does not exist: a new hub gets one from `sharewell "
            "init`; an existing hub's must be restored (or SHAREWELL_AUDIT_KEY_FILE pointed at "
            "it), since without it no audit entry can be written or checked"
        ) from None
    signature = (stat.st_ino, stat.st_mtime_ns, stat.st_size)
    with _cache_lock:
        cached = _cache.get(str(path))
        if cached is not None and cached[0] == signature:
            return cached[1]
    try:
        ring = parse_key_ring(path.read_text(encoding="utf-8"), path)
    except OSError as exc:
        raise StoreError(f"cannot read the audit key file {path}: {exc.strerror}") from exc
    with _cache_lock:
        _cache[str(path)] = (signature, ring)
    return ring


def write_key_ring(path: Path, keys: Sequence[AuditKey]) -> None:
    """Write the key file atomically (a reader sees the old file or the new), owner-only."""
    path.parent.mkdir(parents=True, exist_ok=True)
    body = json.dumps(
        {"format": KEY_FILE_FORMAT, "keys": [_key_to_json(k) for k in keys]}, indent=2
    )
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.part")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(body + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def activated(keys: Sequence[AuditKey], key_id: str) -> list[AuditKey]:
    """``keys`` with the one called ``key_id`` marked active (its first entry is in)."""
    return [replace(k, status="active") if k.id == key_id else k for k in keys]
