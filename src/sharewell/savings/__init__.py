"""Savings: will information sharing save MY organisation money? Per-agency cost-benefit analysis.

Pure core: ``unit_costs`` (library, deflators), ``initiative`` and ``outcome`` (YAML models),
``engine`` (appraisal), ``sensitivity`` (tornado, break-even), ``montecarlo``, ``scenarios``,
``sharing`` (cost shares), ``evidence`` (matched difference-in-differences on linked events).
Edges: ``answer`` (plain English), ``report`` (HTML and PDF), ``workbook`` (Excel), the CLI.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from sharewell.savings.answer import (
    Answer,
    answer_for,
    answers_for,
    appraise_file,
    money,
    plain_english,
)
from sharewell.savings.engine import AgencyResult, Appraisal, Line, appraise, discount_factors
from sharewell.savings.evidence import DidEstimate, DidResult, apply_evidence, measure_did
from sharewell.savings.initiative import (
    TEMPLATES_DIR,
    Initiative,
    find_initiative,
    load_initiative,
    parse_initiative,
)
from sharewell.savings.montecarlo import monte_carlo, monte_carlo_by_partner
from sharewell.savings.sensitivity import break_even, switching_value, tornado
from sharewell.savings.sharing import CostShare, proportional_shares, shapley_shares
from sharewell.savings.unit_costs import UnitCost, UnitCostLibrary, load_library

if TYPE_CHECKING:
    import duckdb
    from sqlalchemy import Engine

__all__ = [
    "TEMPLATES",
    "AgencyResult",
    "Answer",
    "Appraisal",
    "CostShare",
    "DidEstimate",
    "DidResult",
    "Initiative",
    "Line",
    "UnitCost",
    "UnitCostLibrary",
    "answer_for",
    "answers_for",
    "apply_evidence",
    "appraise",
    "appraise_file",
    "break_even",
    "discount_factors",
    "find_initiative",
    "load_initiative",
    "load_library",
    "measure_did",
    "monte_carlo",
    "monte_carlo_by_partner",
    "parse_initiative",
    "plain_english",
    "proportional_shares",
    "run_savings_demo",
    "shapley_shares",
    "switching_value",
    "tornado",
]

TEMPLATES = ("safe_haven", "safe_and_well", "street_triage", "information_sharing_hub")
"""Initiative templates shipped for the demo partnership."""


def run_savings_demo(
    out_dir: Path,
    draws: int = 2000,
    workspace: duckdb.DuckDBPyConnection | None = None,
    *,
    engine: Engine | None = None,
    username: str | None = None,
) -> dict[str, Any]:
    """Appraise every shipped template, write the report to ``out_dir``; figures for the demo.

    With ``workspace`` (a linked analytic workspace), the hub's ``engine`` and a ``username``
    whose agreements grant service evaluation, the safe haven's outcomes are measured from
    the linked events first, through the policy and audited; if that cannot be done the
    figures say why.
    """
    from sharewell.errors import AccessDenied, LinkageError, SavingsError
    from sharewell.savings.linked_events import safe_haven_evidence
    from sharewell.savings.report import write_report

    library = load_library()
    orgs = None
    if engine is not None:  # the hub's organisations are the partners, by their own names
        from sharewell.partnership import list_organisations

        orgs = list_organisations(engine) or None
    pairs = [
        (load_initiative(TEMPLATES_DIR / f"{t}.yaml", library, orgs), library) for t in TEMPLATES
    ]
    figures: dict[str, Any] = {}
    if workspace is not None and (engine is None or username is None):
        figures["safe haven evidence"] = "not measured: no hub user to read the linked data as"
    elif workspace is not None and engine is not None and username is not None:
        try:
            evidence, seqs = safe_haven_evidence(engine, workspace, pairs[0][0], username=username)
        except (SavingsError, LinkageError, AccessDenied) as exc:
            figures["safe haven evidence"] = f"not measured: {exc}"
        else:
            pairs[0] = (evidence.initiative, library)
            figures["safe haven evidence"] = (
                f"measured from linked data for {username} ({evidence.result.matched} of "
                f"{evidence.result.cohort_size} referrals matched, {len(seqs)} audit entries): "
                f"{', '.join(evidence.applied)}"
            )
    files = write_report(pairs, out_dir, draws=draws, require_pdf=False)
    figures.update(
        {
            "report": str(files.html),
            "pdf": str(files.pdf) if files.pdf else f"not written: {files.pdf_note}",
            "workbook": str(files.workbook),
        }
    )
    for ini, lib in pairs:
        ap = appraise(ini, lib)
        figures[f"{ini.slug}: cash NPV / NPV with capacity (all public bodies)"] = (
            f"{money(ap.total.cash_npv)} / {money(ap.total.npv)}"
        )
    hub = appraise(pairs[3][0], library)  # the hub, as the council sees it
    council = hub.initiative.partner_for("local_authority")
    if council is not None:
        figures["hub: council answer"] = plain_english(hub, council).split(". ")[0] + "."
    return figures
