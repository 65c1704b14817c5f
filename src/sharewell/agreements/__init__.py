"""Data sharing agreements the software enforces: model, YAML loader, checks, policy, retention.

``decide`` is the one policy function; ``governed_read`` is the one path that decides,
minimises and audits every read across an organisation boundary.
"""

from sharewell.agreements.demo_partnership import (
    EXAMPLES_DIR,
    DemoPartnership,
    seed_demo_partnership,
)
from sharewell.agreements.flags import FLAGS, Flag, derive_flags
from sharewell.agreements.governed import GovernedResult, governed_read
from sharewell.agreements.minimise import aggregate_counts, minimise_rows
from sharewell.agreements.model import (
    LEVELS,
    Agreement,
    AgreementStatus,
    Approval,
    DatasetGrant,
    LawfulBasis,
    Level,
    Provider,
    Recipient,
)
from sharewell.agreements.policy import (
    AccessRequest,
    Decision,
    decide,
    effective_status,
    newest_versions,
)
from sharewell.agreements.retention import (
    HeldDataset,
    RetentionDecision,
    RetentionReport,
    retention_decisions,
    run_retention,
)
from sharewell.agreements.store import (
    AddResult,
    StoredAgreement,
    add_agreement,
    add_agreement_file,
    agreement_history,
    current_agreements,
    get_agreement,
    known_organisations,
    suspend_agreement,
)
from sharewell.agreements.validation import (
    Problem,
    check_agreement,
    load_agreement,
    parse_agreement,
)

__all__ = [
    "EXAMPLES_DIR",
    "FLAGS",
    "LEVELS",
    "AccessRequest",
    "AddResult",
    "Agreement",
    "AgreementStatus",
    "Approval",
    "DatasetGrant",
    "Decision",
    "DemoPartnership",
    "Flag",
    "GovernedResult",
    "HeldDataset",
    "LawfulBasis",
    "Level",
    "Problem",
    "Provider",
    "Recipient",
    "RetentionDecision",
    "RetentionReport",
    "StoredAgreement",
    "add_agreement",
    "add_agreement_file",
    "aggregate_counts",
    "agreement_history",
    "check_agreement",
    "current_agreements",
    "decide",
    "derive_flags",
    "effective_status",
    "get_agreement",
    "governed_read",
    "known_organisations",
    "load_agreement",
    "minimise_rows",
    "newest_versions",
    "parse_agreement",
    "retention_decisions",
    "run_retention",
    "seed_demo_partnership",
    "suspend_agreement",
]
