"""The linkage quality report: Splink's own charts and, given truth, measured accuracy.

One self-contained HTML file (chart libraries inlined, so it opens offline): the run's
figures, match weights and m/u parameters of the model, the distribution of scored pairs,
waterfalls explaining sample pairs, cluster sizes, and — with a truth file — pairwise and
cluster precision/recall/F1 and the worst false merges.
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
from splink import DuckDBAPI, Linker
from splink.internals.html_utils import _ChartEncoder, json_for_html, load_chart_libraries

from sharewell.config import Settings
from sharewell.errors import NotFound
from sharewell.linkage.evaluation import Accuracy, accuracy, load_truth, worst_false_merges
from sharewell.linkage.model import PREDICTION_BLOCKING
from sharewell.linkage.prepare import prepared_records_sql
from sharewell.linkage.run import attach_workspace

__all__ = ["ReportSummary", "write_report"]


@dataclass(frozen=True)
class ReportSummary:
    """Where the report went and the accuracy it measured, if truth was given."""

    out: Path
    run_id: str
    accuracy: Accuracy | None
    false_merges: int


def _chart(spec: dict[str, Any], title: str, note: str) -> str:
    spec = dict(spec)
    spec.setdefault("config", {}).setdefault("view", {}).setdefault("continuousWidth", 400)
    div = "chart-" + str(abs(hash(title)))
    return (
        f"<h2>{html.escape(title)}</h2><p class='note'>{html.escape(note)}</p>"
        f"<div id='{div}'></div><script>vegaEmbed('#{div}', "
        f"{json_for_html(spec, cls=_ChartEncoder)}, {{actions: false}});</script>"
    )


def _table(headers: list[str], rows: list[list[Any]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in r) + "</tr>" for r in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _cluster_size_chart(sizes: list[tuple[int, int]]) -> dict[str, Any]:
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "data": {"values": [{"records": s, "persons": n} for s, n in sizes]},
        "mark": "bar",
        "encoding": {
            "x": {"field": "records", "type": "ordinal", "title": "records per person"},
            "y": {"field": "persons", "type": "quantitative", "scale": {"type": "symlog"}},
            "tooltip": [{"field": "records"}, {"field": "persons"}],
        },
        "width": 500,
        "height": 220,
    }


def write_report(settings: Settings, out: Path, *, truth: Path | None = None) -> ReportSummary:
    """Write the report of the latest linkage run to ``out``."""
    con = duckdb.connect(":memory:")
    try:
        attach_workspace(con, settings)
        runs = con.execute(
            "SELECT run_id, kind, started, engine, settings_hash, threshold, threshold_method, "
            "records, new_records, pairs_scored, links, persons, review_pairs, model_path, "
            "model_json FROM ws.linkage_runs ORDER BY started DESC LIMIT 1"
        ).fetchall()
        if not runs:
            raise NotFound("no linkage run to report on: run `sharewell link` first")
        run = runs[0]
        run_id, threshold, model_path = run[0], float(run[5]), Path(run[13])
        model = json.loads(run[14])
        sections = [_summary_section(run)]

        acc: Accuracy | None = None
        n_false = 0
        if truth is not None:
            load_truth(con, truth)
            acc = accuracy(con, "ws.person_index", "sw_truth")
            merges = worst_false_merges(con, limit=10)
            n_false = len(merges)
            sections.append(_accuracy_section(con, acc, merges))

        sections += _model_sections(con, model, model_path, threshold)
        sizes = con.execute(
            "SELECT n, count(*) FROM (SELECT count(*) AS n FROM ws.person_index "
            "GROUP BY person_id) GROUP BY n ORDER BY n"
        ).fetchall()
        sections.append(
            _chart(
                _cluster_size_chart([(int(s), int(n)) for s, n in sizes]),
                "Cluster sizes",
                "How many records each person has. A long tail of very large clusters "
                "suggests false merges chaining unrelated people together.",
            )
        )
        sections.append(
            "<h2>Blocking rules</h2><p class='note'>Pairs are scored only if they agree on at "
            "least one of these.</p>"
            + _table(
                ["rule", "columns", "why"],
                [[r.name, ", ".join(r.columns), r.why] for r in PREDICTION_BLOCKING],
            )
        )
    finally:
        con.close()
    libs = load_chart_libraries()
    scripts = "".join(
        f"<script>{libs[name]}</script>" for name in ("vega", "vega-lite", "vega-embed")
    )
    page = (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>Linkage report {html.escape(run_id)}</title>{scripts}<style>{CSS}</style>"
        f"</head><body><h1>Linkage quality report</h1>{''.join(sections)}</body></html>"
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(page, encoding="utf-8")
    return ReportSummary(out=out, run_id=run_id, accuracy=acc, false_merges=n_false)


CSS = """
body { font-family: Arial, sans-serif; margin: 2em; color: #0b0c0c; max-width: 1100px; }
table { border-collapse: collapse; margin: 1em 0; }
td, th { border-bottom: 1px solid #b1b4b6; padding: 4px 10px; text-align: left; }
.note { color: #505a5f; }
"""


def _summary_section(run: tuple[Any, ...]) -> str:
    labels = [
        "run",
        "kind",
        "started",
        "engine",
        "settings hash",
        "threshold",
        "threshold chosen by",
        "records",
        "records linked this run",
        "pairs scored",
        "links",
        "persons",
        "pairs for review",
    ]
    return "<h2>Run</h2>" + _table(
        ["", ""], [[k, v] for k, v in zip(labels, run[:13], strict=True)]
    )


def _accuracy_section(con: duckdb.DuckDBPyConnection, acc: Accuracy, merges: list[Any]) -> str:
    rows = [
        ["pairwise precision", f"{acc.precision:.4f}"],
        ["pairwise recall", f"{acc.recall:.4f}"],
        ["pairwise F1", f"{acc.f1:.4f}"],
        [
            "persons exactly recovered",
            f"{acc.persons_exact_share:.4f} ({acc.persons_exact:,} of {acc.true_persons:,})",
        ],
        ["clusters holding one true person", f"{acc.clusters_pure_share:.4f}"],
        [
            "true pairs / predicted pairs / correct",
            f"{acc.true_pairs:,} / {acc.predicted_pairs:,} / {acc.correct_pairs:,}",
        ],
    ]
    parts = ["<h2>Accuracy against the truth file</h2>", _table(["measure", "value"], rows)]
    if merges:
        parts.append("<h3>Worst false merges</h3>")
    for m in merges:
        recs = con.execute(
            "SELECT r.unique_id, t.person_id, r.partner FROM ws.person_records r "
            "LEFT JOIN sw_truth t USING (unique_id) "
            "WHERE r.unique_id IN (SELECT unnest(?)) ORDER BY 2, 1",
            [m.unique_ids],
        ).fetchall()
        parts.append(
            f"<p>{html.escape(m.person_id)}: {m.records} records of {m.true_persons} people</p>"
            + _table(["record", "true person", "partner"], [list(r) for r in recs])
        )
    return "".join(parts)


def _withheld(pair: dict[str, Any]) -> dict[str, Any]:
    """A scored pair with its records' values withheld: levels and weights, no one's details.

    The report is an operator's view of the model, written without a policy decision, so it
    shows no value from anyone's record (names, dates of birth, NHS numbers, addresses).
    """
    kept = {"unique_id_l", "unique_id_r", "source_dataset_l", "source_dataset_r"}
    return {
        k: ("withheld" if k.endswith(("_l", "_r")) and k not in kept else v)
        for k, v in pair.items()
    }


def _model_sections(
    con: duckdb.DuckDBPyConnection, model: dict[str, Any], model_path: Path, threshold: float
) -> list[str]:
    con.execute(
        "CREATE TABLE sw_sample AS "
        + prepared_records_sql("(SELECT * FROM ws.person_records LIMIT 1000)")
    )
    db_api = DuckDBAPI(connection=con)
    linker = Linker(db_api.register("sw_sample", table_name="sw_sample"), model, log_level=None)
    vis = linker.visualisations
    out = [
        _chart(
            vis.match_weights_chart().chart_dict,
            "Match weights",
            "How much each level of each comparison moves the odds that two records are the "
            "same person (log2 Bayes factor).",
        ),
        _chart(
            vis.m_u_parameters_chart().chart_dict,
            "m and u parameters",
            "m: how often true matches fall in a level; u: how often non-matches do.",
        ),
    ]
    pairs_path = model_path.parent / "pairs.parquet"
    if pairs_path.exists():
        source = (
            f"read_parquet('{pairs_path}/*.parquet')"
            if pairs_path.is_dir()
            else (f"read_parquet('{pairs_path}')")
        )
        con.execute(f"CREATE TABLE sw_scored AS SELECT * FROM {source}")
        scored = db_api.register("sw_scored", table_name="__splink__df_predict")
        out.append(
            _chart(
                vis.match_weights_histogram(scored).chart_dict,
                "Scored pairs",
                f"Match weights of every scored pair; the threshold "
                f"(probability {threshold:.4f}) sits in the valley between the humps.",
            )
        )
        sample = con.execute(
            "SELECT * FROM ((SELECT * FROM sw_scored ORDER BY abs(match_probability - ?) LIMIT 3)"
            " UNION ALL (SELECT * FROM sw_scored ORDER BY match_weight DESC LIMIT 1)"
            " UNION ALL (SELECT * FROM sw_scored ORDER BY match_weight LIMIT 1))",
            [threshold],
        )
        cols = [d[0] for d in sample.description]
        records = [_withheld(dict(zip(cols, r, strict=True))) for r in sample.fetchall()]
        if records:
            out.append(
                _chart(
                    vis.waterfall_chart(records).chart_dict,
                    "Why pairs scored as they did",
                    "Waterfalls for pairs near the threshold, the strongest and the weakest "
                    "pair: each bar is one comparison's contribution.",
                )
            )
    return out
