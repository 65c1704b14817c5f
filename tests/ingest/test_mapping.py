"""Mapping files: a partner's own layout described as data, checked before anything loads."""

from __future__ import annotations

from pathlib import Path

import pytest

from sharewell.errors import IngestError
from sharewell.ingest import load_mapping, parse_mapping, source_type


def test_mapping_file_in_the_documented_format_loads(tmp_path: Path) -> None:
    path = tmp_path / "m.yaml"
    path.write_text(
        "source_type: asc.client\nsheet: Clients\ncolumns:\n  Client No: record_id\n"
        "  Alone: lives_alone\nvalues:\n  lives_alone: {Yes: true, No: false}\n  sex: {1: male}\n"
    )
    mapping = load_mapping(path)
    assert mapping.sheet == "Clients"
    assert mapping.columns == {"Client No": "record_id", "Alone": "lives_alone"}
    # YAML reads Yes/No and 1 as a boolean and a number; the partner means the text
    assert mapping.values == {
        "lives_alone": {"true": "true", "false": "false"},
        "sex": {"1": "male"},
    }


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("source_type: police.mh_incident\ncolumns: {A: shoe_size}", "does not have: shoe_size"),
        (
            "source_type: police.mh_incident\ncolumns: {A: record_id, B: record_id}",
            "sends both 'A' and 'B'",
        ),
        (
            "source_type: police.mh_incident\nvalues: {incident_type: {X: arrest}}",
            "not allowed values",
        ),
        ("source_type: nowhere\n", "unknown source type 'nowhere'"),
        ("columns: {A: record_id}", "source_type: Field required"),
        ("source_type: person\ncolour: blue", "colour: Extra inputs are not permitted"),
        ("- just a list", "must be a YAML mapping"),
        ("source_type: [unclosed", "not valid YAML"),
    ],
)
def test_a_wrong_mapping_is_refused_saying_what_to_fix(text: str, message: str) -> None:
    with pytest.raises((IngestError, Exception)) as caught:
        parse_mapping(text, origin="mapping file m.yaml")
    assert message in str(caught.value)


def test_missing_mapping_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(IngestError, match="does not exist"):
        load_mapping(tmp_path / "nope.yaml")


def test_source_types_name_their_workspace_tables() -> None:
    assert source_type("fire.safe_and_well_visit").table_name == "records_fire_safe_and_well_visit"
    assert source_type("person").table_name == "records_person"
