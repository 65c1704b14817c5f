"""A PPRL partner passes through in clear only what its agreements grant, and no free text.

The adversarial case: `sharewell encode --pass-through narrative` sent a police narrative in
clear from a partner whose names may not leave it. Now the encoder asks the partner's own
copies of its agreements, and refuses free text unless told otherwise.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from sharewell.agreements import EXAMPLES_DIR, load_agreement
from sharewell.cli import ExitCode, main
from sharewell.errors import AccessDenied, ConfigError
from sharewell.privacy.encode import encode_file, load_schema
from sharewell.privacy.pass_through import check_pass_through, granted_columns

POLICE = "westshire_police/mh_incidents.csv"
POLICE_SCHEMA = "mappings/westshire_police.mh_incidents.yaml"
CRISIS = EXAMPLES_DIR / "mh_crisis_care.yaml"
FIRE = EXAMPLES_DIR / "fire_prevention.yaml"
ON = date(2026, 6, 1)  # the example agreements are in force


def _encode(partnership: Path, secret: Path, out: Path, *extra: str) -> int:
    argv = ["encode", str(partnership / POLICE), "--secret-file", str(secret)]
    argv += ["--schema", str(partnership / POLICE_SCHEMA), "--out", str(out)]
    return main([*argv, "--partner", "westshire_police", *extra])


def test_the_police_may_pass_through_what_the_crisis_agreement_grants() -> None:
    granted = granted_columns(
        [load_agreement(CRISIS)], partner="westshire_police", source="police.mh_incident", on=ON
    )
    assert {"incident_date", "incident_type", "officer_hours"} <= granted
    assert "narrative" not in granted  # "no narrative: the crisis team needs dates and types"


def test_the_narrative_is_refused_as_free_text_before_anything_else(
    partnership: Path, secret_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "upload.parquet"
    assert _encode(partnership, secret_file, out, "--pass-through", "narrative") == 3
    err = " ".join(capsys.readouterr().err.split())
    assert "narrative is free text, which may name anyone" in err
    assert not out.exists()


def test_pass_through_without_the_agreement_that_grants_it_is_refused(
    partnership: Path, secret_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "upload.parquet"
    code = _encode(partnership, secret_file, out, "--pass-through", "incident_date")
    assert code == ExitCode.DENIED
    assert "--agreement" in capsys.readouterr().err and not out.exists()


def test_a_column_no_agreement_grants_is_refused_naming_what_may_pass(
    partnership: Path, secret_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "upload.parquet"
    # The fire agreement takes only flags from police data: their columns, nothing else.
    args = ["--pass-through", "officer_hours", "--agreement", str(FIRE)]
    assert _encode(partnership, secret_file, out, *args) == ExitCode.DENIED
    err = " ".join(capsys.readouterr().err.split())
    assert "lets westshire_police share officer_hours of police.mh_incident" in err
    assert err.endswith("westshire_police may pass through: incident_date")
    assert not out.exists()


def test_granted_columns_pass_through_with_the_agreement(
    partnership: Path, secret_file: Path, tmp_path: Path
) -> None:
    out = tmp_path / "upload.parquet"
    args = ["--pass-through", "incident_date,incident_type", "--agreement", str(CRISIS)]
    assert _encode(partnership, secret_file, out, *args) == ExitCode.OK
    assert {"incident_date", "incident_type"} <= set(pq.read_schema(out).names)
    assert "narrative" not in pq.read_schema(out).names


def test_a_suspended_agreement_grants_nothing(tmp_path: Path) -> None:
    suspended = tmp_path / "suspended.yaml"
    suspended.write_text(
        CRISIS.read_text(encoding="utf-8").replace("status: active", "status: suspended"),
        encoding="utf-8",
    )
    with pytest.raises(AccessDenied, match="may pass through: nothing"):
        check_pass_through(
            ["incident_date"],
            partner="westshire_police",
            source="police.mh_incident",
            agreements=[load_agreement(suspended)],
            on=ON,
        )


def test_free_text_passes_only_when_explicitly_allowed_and_granted() -> None:
    granting = load_agreement(CRISIS)
    grant = granting.recipients[0].datasets[0]
    assert grant.source_type == "police.mh_incident"
    widened = granting.model_copy(
        update={
            "recipients": (
                granting.recipients[0].model_copy(
                    update={
                        "datasets": (
                            grant.model_copy(update={"fields": (*grant.fields, "narrative")}),
                            *granting.recipients[0].datasets[1:],
                        )
                    }
                ),
                *granting.recipients[1:],
            )
        }
    )
    ask = {
        "partner": "westshire_police",
        "source": "police.mh_incident",
        "agreements": [widened],
        "on": ON,
    }
    with pytest.raises(ConfigError, match="free text"):
        check_pass_through(["narrative"], **ask)  # type: ignore[arg-type]
    check_pass_through(["narrative"], allow_free_text=True, **ask)  # type: ignore[arg-type]


def test_the_python_api_refuses_free_text_even_without_agreements(
    partnership: Path, key: object, tmp_path: Path
) -> None:
    schema = load_schema(partnership / POLICE_SCHEMA, ["narrative"])
    with pytest.raises(ConfigError, match="free text"):
        encode_file(partnership / POLICE, schema, key, tmp_path / "x.parquet", "westshire_police")  # type: ignore[arg-type]
