"""Signed checkpoints: "entry N has hash H", kept by each partner, outside the hub.

A key withheld from an attacker stops them rewriting the log; a checkpoint held elsewhere
stops even someone who has the key (or the hub's operator) rewriting what it covers, because
the hash at entry N commits to every entry before it. Each checkpoint is signed with the
hub's Ed25519 key (the current audit key's ``signing_seed``), so a partner can show it came
from the hub, and check that with the public key alone (``sharewell audit check-checkpoint``).
An RFC 3161 timestamp authority would add a trusted time; none is reachable from a hub on a
closed network, so the partners' own copies are the anchor (docs/security.md).

    {"format": "sharewell-audit-checkpoint/1", "organisation": "westshire_fire",
     "seq": 1204, "hash": "…", "taken_at": "…", "taken_by": "…",
     "key_id": "…", "public_key": "<base64>", "signature": "<base64>"}
"""

from __future__ import annotations

import base64
import json
import os
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from sharewell.audit.chain import AuditEvent, canonical_json
from sharewell.audit.keys import AuditKey, KeyRing, load_key_ring
from sharewell.audit.log import audit_key_file, record, verify
from sharewell.audit.verify import Anchor
from sharewell.errors import StoreError

__all__ = [
    "Checkpoint",
    "anchor_of",
    "check_signature",
    "read_checkpoint",
    "take_checkpoint",
]

CHECKPOINT_FORMAT = "sharewell-audit-checkpoint/1"


@dataclass(frozen=True)
class Checkpoint:
    """One signed claim about the log: entry ``seq`` has hash ``hash``."""

    organisation: str
    seq: int
    hash: str
    taken_at: str
    taken_by: str
    key_id: str
    public_key: str
    signature: str = ""

    def signed_content(self) -> bytes:
        """What the signature covers: every field but the signature, canonically."""
        body = {k: v for k, v in asdict(self).items() if k != "signature"}
        return canonical_json({"format": CHECKPOINT_FORMAT, **body}).encode("utf-8")


def _private_key(key: AuditKey) -> Any:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    return Ed25519PrivateKey.from_private_bytes(key.signing_seed)


def public_key_of(key: AuditKey) -> str:
    """The base64 Ed25519 public key a partner checks this key's checkpoints with."""
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    raw = _private_key(key).public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    return base64.b64encode(raw).decode("ascii")


def check_signature(checkpoint: Checkpoint, public_key: str | None = None) -> str | None:
    """Why the checkpoint's signature does not hold (None when it does).

    Checked against ``public_key`` when given (the hub's, as published to the partner),
    else against the key the file names — which only shows the file is intact.
    """
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    if public_key is not None and public_key != checkpoint.public_key:
        return "it was signed with another key than the hub's public key given"
    try:
        key = Ed25519PublicKey.from_public_bytes(base64.b64decode(checkpoint.public_key))
        key.verify(base64.b64decode(checkpoint.signature), checkpoint.signed_content())
    except (InvalidSignature, ValueError):
        return "its signature does not match its content: it was altered or not made by a hub"
    return None


def take_checkpoint(engine: Engine, out: Path, *, organisation: str, actor: str) -> Checkpoint:
    """Write a signed checkpoint of the log's head to ``out`` (a new file) and record it.

    The log is verified first: a checkpoint of a broken log would vouch for it.
    """
    if out.exists():
        raise StoreError(f"{out} exists: keep every checkpoint; write this one to a new file")
    report = verify(engine)
    if not report.ok:
        raise StoreError(
            f"the audit log does not verify ({len(report.problems)} problem(s); run "
            "`sharewell audit verify`): no checkpoint was taken"
        )
    ring = load_key_ring(audit_key_file(engine))
    key = ring.newest
    assert key is not None
    unsigned = Checkpoint(
        organisation=organisation,
        seq=report.head_seq,
        hash=report.head_hash,
        taken_at=datetime.now(UTC).isoformat(timespec="seconds"),
        taken_by=actor,
        key_id=key.id,
        public_key=public_key_of(key),
    )
    signature = _private_key(key).sign(unsigned.signed_content())
    checkpoint = replace(unsigned, signature=base64.b64encode(signature).decode("ascii"))
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.part")
    tmp.write_text(
        json.dumps({"format": CHECKPOINT_FORMAT, **asdict(checkpoint)}, indent=2) + "\n",
        encoding="utf-8",
    )
    os.replace(tmp, out)
    record(
        engine,
        AuditEvent(
            actor=actor,
            action="export",
            target=f"audit checkpoint for {organisation} at entry {checkpoint.seq}",
            outcome="ok",
            organisation=organisation,
            detail={"seq": checkpoint.seq, "hash": checkpoint.hash, "key_id": key.id},
        ),
    )
    return checkpoint


def read_checkpoint(path: Path) -> Checkpoint:
    """A checkpoint file; StoreError saying what is wrong with it otherwise."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise StoreError(f"checkpoint file {path} does not exist") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise StoreError(f"checkpoint file {path} cannot be read: {exc}") from exc
    if not isinstance(raw, dict) or raw.get("format") != CHECKPOINT_FORMAT:
        raise StoreError(f"{path} is not a sharewell audit checkpoint ({CHECKPOINT_FORMAT})")
    try:
        return Checkpoint(
            organisation=str(raw["organisation"]),
            seq=int(raw["seq"]),
            hash=str(raw["hash"]),
            taken_at=str(raw["taken_at"]),
            taken_by=str(raw["taken_by"]),
            key_id=str(raw["key_id"]),
            public_key=str(raw["public_key"]),
            signature=str(raw["signature"]),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise StoreError(f"checkpoint file {path} lacks a field or has a wrong one: {exc}") from exc


def anchor_of(path: Path, ring: KeyRing) -> Anchor:
    """The claim a checkpoint file makes, once its signature is shown to be this hub's."""
    checkpoint = read_checkpoint(path)
    key = ring.by_id(checkpoint.key_id)
    if key is None:
        raise StoreError(
            f"checkpoint {path} was signed with key {checkpoint.key_id}, which this hub has "
            "never held: it is another hub's, or forged"
        )
    why = check_signature(checkpoint, public_key_of(key))
    if why is not None:
        raise StoreError(f"checkpoint {path} cannot be trusted: {why}")
    return Anchor(
        checkpoint.seq,
        checkpoint.hash,
        f"checkpoint {path.name} ({checkpoint.organisation}, {checkpoint.taken_at})",
    )
