"""Governance by construction: only the modules that must may touch partner data directly.

Partner data lives in the analytic workspace (docs/extracts.md). Only ingest, linkage,
privacy-preserving linkage, the store itself and the governed read (``views.linked_reads``)
may run SQL over its partner tables or open it; a few edges may open it only to hand the
connection to those (``EDGES``, each with its reason). Everything else reads partner data
through ``governed_read`` / ``linked_read`` / ``linked_aggregate``, which decide and audit.

The check reads every module of ``src/sharewell`` with Python's ``ast`` (no import-linter:
the rule is about SQL text and a few names, not only about imports), and fails on:

1. SQL naming a partner table (a string or f-string holding an SQL keyword and the name of
   a partner table, or a string that is just such a table's name), outside ``GOVERNED``;
2. a source type's ``.table_name`` (the name of its partner table), outside ``GOVERNED``;
3. opening the workspace — importing ``Workspace`` or ``attach_workspace``, the web's
   workspace helpers, or ``duckdb.connect`` on a workspace path — outside ``GOVERNED`` and
   ``EDGES``.

``SYNTHETIC`` modules build partner-shaped tables of their own synthetic data in memory (rules
1 and 2 do not apply; they may still not open the workspace). A new module that does any of
these fails until it is added here with a reason, which a
reviewer then has to accept. Docstrings are prose and are not read.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

from sharewell.ingest.source_types import load_source_types

SRC = Path(__file__).parents[1] / "src" / "sharewell"

# Tables holding partner records or what was derived from them (docs/extracts.md): each
# source type's typed table, the common person table, linkage's and PPRL's.
PARTNER_TABLES = "|".join(
    sorted(
        {t.table_name for t in load_source_types().values()}
        | {"person_records", "person_index", "person_links", "household_keys", "quarantine"}
        | {"linkage_review_queue"}
    )
)
_TABLE = re.compile(rf"\b(?:ws\.)?(?:{PARTNER_TABLES})\b")
_ONLY_TABLE = re.compile(rf"^\s*(?:ws\.)?(?:{PARTNER_TABLES})\s*$")
_SQL = re.compile(r"\b(?:SELECT|FROM|JOIN|INSERT|UPDATE|DELETE|CREATE|DROP|ALTER|COPY)\b")

GOVERNED = (
    "sharewell.store",  # the workspace itself: its file, schema and transactions
    "sharewell.ingest",  # loads partner extracts into partner tables
    "sharewell.linkage",  # links records into the person index; clerical review's reads
    "sharewell.privacy.link",  # privacy-preserving linkage writes the person index
    "sharewell.privacy.upload",  # loads partners' encodings
    "sharewell.views.linked_reads",  # the governed read: fetches run only once allowed
)
"""Modules (or packages) that may run SQL over partner tables and open the workspace."""

EDGES = {
    "sharewell.agreements.governed_ingest": "hands the workspace to ingest, auditing the load",
    "sharewell.cli": "opens the workspace to hand it to ingest, linkage and the governed views",
    "sharewell.demo": "runs every stage as the CLI does, handing the workspace on",
    "sharewell.web.workspace": "the web's one opener: the lock, then the connection",
    "sharewell.web.loads": "opens it for ingest's own registry and quarantine readers",
    "sharewell.web.upload_jobs": "opens it for ingest (an upload)",
    "sharewell.web.review": "holds the web's workspace lock around review_access",
    "sharewell.web.data_dates": "opens it for ingest's registry and event-date readers",
    "sharewell.web.person_search": "hands the connection to the governed read's search",
    "sharewell.web.upload_preview": "opens it, and a scratch workspace, for ingest's readers",
    "sharewell.web.routers.crisis": "hands the connection to the governed views",
    "sharewell.web.routers.lookup": "hands the connection to the governed views",
    "sharewell.web.routers.safe_and_well": "hands the connection to the governed views",
    "sharewell.web.routers.linkage": "holds the workspace lock around linkage's run readers",
}
"""Modules that may open the workspace, only to hand it to a governed module; no SQL."""

SYNTHETIC = {
    "sharewell.savings.calibration": "builds synthetic partnerships in its own in-memory "
    "DuckDB to calibrate the evidence method; never opens a hub's workspace",
}
"""Modules that write partner-shaped tables of their own synthetic data (rules 1 and 2 only)."""

_OPENERS = {"Workspace", "attach_workspace"}
_WEB_OPENERS = {"held_workspace", "open_workspace", "workspace_connection"}


@dataclass(frozen=True)
class Breach:
    """One place where a module touches partner data outside the governed path."""

    module: str
    line: int
    what: str

    def __str__(self) -> str:
        return f"{self.module}:{self.line}: {self.what}"


def _within(module: str, allowed: tuple[str, ...] | dict[str, str]) -> bool:
    return any(module == a or module.startswith(a + ".") for a in allowed)


def _docstrings(tree: ast.AST) -> set[int]:
    """ids of the string nodes that are docstrings (prose, not SQL)."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                found.add(id(body[0].value))
    return found


def _text(node: ast.AST) -> str | None:
    """The literal text of a string, an f-string or a + of them (placeholders as blanks)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return " ".join(_text(v) or " " for v in node.values)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return f"{_text(node.left) or ' '} {_text(node.right) or ' '}"
    return None


def breaches(module: str, source: str) -> list[Breach]:
    """Every way ``module`` (its dotted name and code) touches partner data directly."""
    may_open = _within(module, GOVERNED) or _within(module, EDGES)
    governed = _within(module, GOVERNED) or _within(module, SYNTHETIC)
    tree = ast.parse(source)
    skip = _docstrings(tree)
    found: list[Breach] = []
    inner: set[int] = set()  # parts of a text already judged as a whole
    for node in ast.walk(tree):
        line = getattr(node, "lineno", 0)
        if not governed and id(node) not in skip and id(node) not in inner:
            text = _text(node)
            if text is not None:
                inner.update(id(n) for n in ast.walk(node) if n is not node)
                if (_SQL.search(text) and _TABLE.search(text)) or _ONLY_TABLE.match(text):
                    table = _TABLE.search(text)
                    assert table is not None
                    found.append(Breach(module, line, f"SQL over partner table {table[0]}"))
        if not governed and isinstance(node, ast.Attribute) and node.attr == "table_name":
            found.append(Breach(module, line, "a source type's partner table (.table_name)"))
        if may_open:
            continue
        if isinstance(node, ast.ImportFrom) and node.module:
            names = {a.name for a in node.names}
            if node.module.startswith("sharewell.") and names & _OPENERS:
                found.append(Breach(module, line, f"opens the workspace ({node.module})"))
            if node.module == "sharewell.web.workspace" and names & _WEB_OPENERS:
                found.append(Breach(module, line, "opens the workspace (sharewell.web.workspace)"))
        if isinstance(node, ast.Import | ast.ImportFrom):
            mod = node.module if isinstance(node, ast.ImportFrom) else None
            mods = [mod] if mod else [a.name for a in node.names]
            if "sharewell.store.workspace" in mods:
                found.append(
                    Breach(module, line, "opens the workspace (sharewell.store.workspace)")
                )
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "connect"
            and "workspace" in ast.unparse(node).lower()
        ):
            found.append(Breach(module, line, "opens the workspace (duckdb.connect)"))
    return found


def _modules() -> list[tuple[str, Path]]:
    out = []
    for path in sorted(SRC.rglob("*.py")):
        parts = path.relative_to(SRC.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        out.append((name, path))
    return out


def test_no_module_outside_the_governed_path_touches_partner_data() -> None:
    found = [b for name, path in _modules() for b in breaches(name, path.read_text())]
    assert not found, "partner data read outside the governed path:\n" + "\n".join(map(str, found))


def test_every_exemption_names_a_module_that_exists() -> None:
    names = {name for name, _ in _modules()}
    for allowed in (*GOVERNED, *EDGES, *SYNTHETIC):
        assert any(n == allowed or n.startswith(allowed + ".") for n in names), allowed


# --- the check itself fails on an offending module -------------------------------------------

OFFENDER = '''
"""A new view that reads person_records directly (the docstring is not the breach)."""
import duckdb
from sharewell.store import Workspace
from sharewell.ingest.source_types import source_type


def names(conn: duckdb.DuckDBPyConnection) -> list[tuple[str, str]]:
    return conn.execute(
        "SELECT given_name, family_name FROM person_records r "
        "JOIN person_index i USING (unique_id)"
    ).fetchall()


def crisis(conn, source):
    return conn.execute(f"SELECT * FROM {source_type(source).table_name}").fetchall()


def incidents(conn):
    return conn.execute(f"SELECT count(*) FROM " + "records_police_mh_incident").fetchall()


def opened(settings):
    return duckdb.connect(str(settings.workspace_path()), read_only=True)
'''


def test_the_check_fails_on_a_new_module_that_reads_partner_tables() -> None:
    found = breaches("sharewell.views.rogue", OFFENDER)
    what = sorted({b.what for b in found})
    assert what == [
        "SQL over partner table person_records",
        "SQL over partner table records_police_mh_incident",
        "a source type's partner table (.table_name)",
        "opens the workspace (duckdb.connect)",
        "opens the workspace (sharewell.store)",
    ], found
    # The same code in a governed module is its job; in an edge only the opening is allowed.
    assert breaches("sharewell.linkage.rogue", OFFENDER) == []
    assert {b.what for b in breaches("sharewell.cli", OFFENDER)} == {
        "SQL over partner table person_records",
        "SQL over partner table records_police_mh_incident",
        "a source type's partner table (.table_name)",
    }


def test_prose_and_other_tables_are_not_breaches() -> None:
    harmless = '''
"""Reads the person_index? No: this docstring only talks about it."""
NOTE = "the quarantine report lists every problem"
def runs(con):
    return con.execute("SELECT run_id FROM ws.linkage_runs").fetchall()
'''
    assert breaches("sharewell.web.rogue", harmless) == []
