"""Tamper-evident audit: an append-only chain of entries sealed with keys kept outside the store.

Every governed access, reveal, export, ingest, agreement change, login and deletion is one
entry, sealed with HMAC-SHA256 under the hub's audit key (``keys.py``; rotated with
``keying.py``). ``verify`` detects edited, deleted, renumbered, inserted, forged and
reordered entries and a cut tail, and checks each checkpoint a partner holds
(``checkpoint.py``). What that proves, and against whom: docs/security.md.
"""

from sharewell.audit.chain import (
    GENESIS_HASH,
    AuditAction,
    AuditEntry,
    AuditEvent,
    AuditOutcome,
    ChainHead,
    ChainProblem,
    VerificationReport,
)
from sharewell.audit.log import (
    append,
    append_change,
    audit_transaction,
    bind_audit_keys,
    entries,
    insert_audited,
    record,
    verify,
)
from sharewell.audit.reports import (
    AgreementUsage,
    SubjectAccessReport,
    agreement_usage_report,
    subject_access_report,
)
from sharewell.audit.verify import Anchor, verify_chain

__all__ = [
    "GENESIS_HASH",
    "AgreementUsage",
    "Anchor",
    "AuditAction",
    "AuditEntry",
    "AuditEvent",
    "AuditOutcome",
    "ChainHead",
    "ChainProblem",
    "SubjectAccessReport",
    "VerificationReport",
    "agreement_usage_report",
    "append",
    "append_change",
    "audit_transaction",
    "bind_audit_keys",
    "entries",
    "insert_audited",
    "record",
    "subject_access_report",
    "verify",
    "verify_chain",
]
