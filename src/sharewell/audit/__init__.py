"""Tamper-evident audit: an append-only SHA-256 hash chain in the operational store.

Every governed access, reveal, export, ingest, agreement change, login and deletion is one
entry. ``verify`` detects edited, deleted, inserted and reordered entries and says where.
"""

from sharewell.audit.chain import (
    GENESIS_HASH,
    AuditAction,
    AuditEntry,
    AuditEvent,
    AuditOutcome,
    ChainProblem,
    VerificationReport,
    verify_chain,
)
from sharewell.audit.log import (
    append,
    append_change,
    audit_transaction,
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

__all__ = [
    "GENESIS_HASH",
    "AgreementUsage",
    "AuditAction",
    "AuditEntry",
    "AuditEvent",
    "AuditOutcome",
    "ChainProblem",
    "SubjectAccessReport",
    "VerificationReport",
    "agreement_usage_report",
    "append",
    "append_change",
    "audit_transaction",
    "entries",
    "insert_audited",
    "record",
    "subject_access_report",
    "verify",
    "verify_chain",
]
