"""An agreement says how the partnership links: names in clear, or encodings (PPRL)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import yaml

from sharewell.agreements import EXAMPLES_DIR, parse_agreement
from sharewell.agreements.linkage_mode import dataset_linkage

FIRE = EXAMPLES_DIR / "fire_prevention.yaml"
ON = date(2026, 6, 1)


def _raw(path: Path = FIRE, **changes: object) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8")) | changes


def test_an_agreement_that_says_nothing_links_in_plaintext():
    for path in sorted(EXAMPLES_DIR.glob("*.yaml")):
        agreement, problems = parse_agreement(_raw(path), str(path))
        assert problems == [] and agreement is not None
        assert agreement.linkage == "plaintext"


def test_an_agreement_can_ask_for_privacy_preserving_linkage():
    agreement, problems = parse_agreement(_raw(linkage="pprl"), "fire.yaml")
    assert problems == [] and agreement is not None
    assert agreement.linkage == "pprl"


def test_an_unknown_linkage_mode_is_refused_with_the_choices():
    agreement, problems = parse_agreement(_raw(linkage="bloom"), "fire.yaml")
    assert agreement is None
    [problem] = problems
    assert problem.key == "linkage"
    assert "'bloom' is not allowed" in problem.message
    assert "plaintext" in problem.fix and "pprl" in problem.fix


def test_a_provider_under_a_pprl_agreement_links_that_dataset_by_encodings():
    pprl, _ = parse_agreement(_raw(linkage="pprl"), "fire.yaml")
    assert pprl is not None
    mode = dataset_linkage([pprl], "westshire_police", "police.mh_incident", ON)
    assert (mode.mode, mode.agreement) == ("pprl", "fire-prevention")
    # Not a dataset this agreement has the partner provide.
    assert dataset_linkage([pprl], "westshire_mht", "mh_trust.crisis_contact", ON).mode == (
        "plaintext"
    )
    assert dataset_linkage([pprl], "westshire_police", "police.mh_incident", ON).mode == "pprl"


def test_the_strictest_agreement_in_force_wins_and_lapsed_ones_do_not_count():
    plain, _ = parse_agreement(_raw(id="plain-sharing"), "plain.yaml")
    pprl, _ = parse_agreement(_raw(linkage="pprl"), "fire.yaml")
    assert plain is not None and pprl is not None
    args = ("westshire_icb", "nhs.over65_register")
    assert dataset_linkage([plain, pprl], *args, ON).mode == "pprl"
    # A suspended, draft or ended PPRL agreement no longer binds the partner.
    for lapsed in (
        pprl.model_copy(update={"status": "suspended"}),
        pprl.model_copy(update={"status": "draft"}),
    ):
        assert dataset_linkage([plain, lapsed], *args, ON).mode == "plaintext"
    assert dataset_linkage([plain, pprl], *args, date(2029, 1, 1)).mode == "plaintext"
    # Only the newest version of an agreement counts.
    newer_plain = pprl.model_copy(update={"version": 2, "linkage": "plaintext"})
    assert dataset_linkage([pprl, newer_plain], *args, ON).mode == "plaintext"
