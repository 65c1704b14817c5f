"""sharewell: lawful, audited information sharing for the public services of one place."""

from sharewell.errors import (
    AccessDenied,
    AgreementError,
    ConfigError,
    IngestError,
    LinkageError,
    SharewellError,
    StoreError,
)

__version__ = "0.1.0"

__all__ = [
    "AccessDenied",
    "AgreementError",
    "ConfigError",
    "IngestError",
    "LinkageError",
    "SharewellError",
    "StoreError",
    "__version__",
]
