"""The ``sharewell`` command line: each command is a few lines that call a capability.

One module per command group, as ``sharewell --help`` lists them; each registers its commands
on the root app (``root``) when imported, so the order of the imports below is the order
``--help`` shows. What is printed and how the process ends (exit codes: 0 success, 1 internal
failure, 2 bad usage, 3 bad input, 4 access denied, 5 not found) is in ``output``; the shared
options in ``options``.
"""

from __future__ import annotations

# isort: off
# Imported for the commands they register, in the order --help lists them.
from sharewell.cli import ingest, governance, audit, link, frontline  # noqa: F401
from sharewell.cli import savings, privacy, tokens, serve  # noqa: F401

# isort: on
from sharewell.cli.output import ExitCode, main
from sharewell.cli.root import app

__all__ = ["ExitCode", "app", "main"]
