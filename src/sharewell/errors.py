"""The one exception tree of sharewell.

Every error a person can act on derives from ``SharewellError``; anything else
that escapes is a bug (an internal failure). The CLI (``cli/output.py``) and the web
app map these classes to exit codes and HTTP statuses, each in one place.

    SharewellError            something a user can fix; the message says what and where
    ├── ConfigError           settings are missing or contradictory
    ├── StoreError            the operational store or workspace cannot be used
    │   └── StoreUnavailable  its server cannot be reached just now (web: 503)
    ├── IngestError           an extract cannot be read or loaded as a whole
    ├── AgreementError        a data sharing agreement is invalid or unusable
    ├── AccessDenied          the policy refused a read (carries the reason)
    ├── LinkageError          record linkage cannot run on what it was given
    ├── SavingsError          an initiative, unit cost or evidence input cannot be used
    └── NotFound              a named thing (dataset, agreement, person) does not exist
"""

from __future__ import annotations

__all__ = [
    "AccessDenied",
    "AgreementError",
    "ConfigError",
    "IngestError",
    "LinkageError",
    "NotFound",
    "SavingsError",
    "SharewellError",
    "StoreError",
    "StoreUnavailable",
]


class SharewellError(Exception):
    """Base of every error a council analyst or IG lead can act on."""


class ConfigError(SharewellError):
    """Settings are missing, malformed or contradictory."""


class StoreError(SharewellError):
    """The operational store or the analytic workspace cannot be used."""


class StoreUnavailable(StoreError):
    """The store's server cannot be reached just now (down, refused, timed out); try later."""


class IngestError(SharewellError):
    """A partner extract cannot be read or loaded as a whole."""


class AgreementError(SharewellError):
    """A data sharing agreement is invalid, or cannot be used as asked."""


class AccessDenied(SharewellError):
    """The policy refused a request; the message gives the reason."""


class LinkageError(SharewellError):
    """Record linkage cannot run on the data or settings it was given."""


class SavingsError(SharewellError):
    """An initiative file, unit cost library or evidence table cannot be used as given."""


class NotFound(SharewellError):
    """A named dataset, agreement, person or file does not exist."""
