"""Each partner's own extract shape: its column names, date format, codes and file format.

The mapping file written beside each extract is derived from the same shape, so the two can
never disagree: partner column -> canonical column, partner code -> canonical value.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

import numpy as np

from sharewell.ingest.source_types import load_source_types

__all__ = ["EXTRACT_SHAPES", "ORGANISATIONS", "ExtractShape", "Organisation", "render_rows"]

DateFormat = Literal["dmy", "iso", "d_mon_y", "excel"]
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@dataclass(frozen=True)
class Organisation:
    """A member of the partnership (docs/extracts.md)."""

    slug: str
    name: str
    code: str
    type: str


ORGANISATIONS: tuple[Organisation, ...] = (
    Organisation("westshire_cc", "Westshire County Council", "W10000001", "local_authority"),
    Organisation("westshire_fire", "Westshire Fire and Rescue Service", "WFR01", "fire"),
    Organisation("westshire_police", "Westshire Police", "WP001", "police"),
    Organisation("westshire_mht", "Westshire Mental Health NHS Trust", "RW1", "nhs_trust"),
    Organisation("westshire_icb", "NHS Westshire Integrated Care Board", "QW1", "icb"),
    Organisation(
        "westshire_ambulance", "Westshire Ambulance Service NHS Trust", "RW2", "ambulance"
    ),
)


@dataclass(frozen=True)
class ExtractShape:
    """How one partner writes one extract."""

    partner: str
    name: str
    source_type: str
    file: str  # path relative to the partnership directory
    columns: tuple[tuple[str, str | None], ...]  # (partner column, canonical column or None)
    date_format: DateFormat
    record_prefix: str
    codes: dict[str, dict[str, str]] = field(default_factory=dict)  # canonical -> code
    nhs_spaced: bool = False
    # The partner keeps a person index (patient administration system, police nominal index,
    # case management): a person's identity is recorded once and reused on every row.
    person_index: bool = False
    sheet: str | None = None
    encoding: str = "utf-8"
    newline: str = "\n"

    @property
    def key(self) -> str:
        """``partner/name``: how quality settings refer to this extract."""
        return f"{self.partner}/{self.name}"

    @property
    def mapping_file(self) -> str:
        """Where the mapping file for this extract is written."""
        return f"mappings/{self.partner}.{self.name}.yaml"

    def mapping(self) -> dict[str, Any]:
        """The mapping file's content (docs/extracts.md): columns and codes to canonical."""
        body: dict[str, Any] = {"source_type": self.source_type}
        if self.sheet is not None:
            body["sheet"] = self.sheet
        body["columns"] = {col: canon for col, canon in self.columns if canon is not None}
        values = {
            canon: {code: value for value, code in codes.items()}
            for canon, codes in self.codes.items()
        }
        if values:
            body["values"] = values
        return body


_YN = {"true": "Y", "false": "N"}
_YES_NO = {"true": "Yes", "false": "No"}
_ONE_ZERO = {"true": "1", "false": "0"}
_MFU = {"female": "F", "male": "M", "unknown": "U"}

EXTRACT_SHAPES: tuple[ExtractShape, ...] = (
    ExtractShape(
        partner="westshire_cc",
        name="asc_clients",
        source_type="asc.client",
        file="westshire_cc/asc_clients.csv",
        date_format="dmy",
        record_prefix="ASC",
        nhs_spaced=True,
        person_index=True,
        # An export from a case management system opened and saved in Excel: BOM and CRLF.
        encoding="utf-8-sig",
        newline="\r\n",
        columns=(
            ("Client ID", "record_id"),
            ("Forename", "given_name"),
            ("Surname", "family_name"),
            ("Date of Birth", "date_of_birth"),
            ("Gender", "sex"),
            ("Address", "address"),
            ("Postcode", "postcode"),
            ("UPRN", "uprn"),
            ("NHS No", "nhs_number"),
            ("Referral Date", "referral_date"),
            ("Care Package", "care_package"),
            ("Lives Alone", "lives_alone"),
            ("Mobility Issues", "reduced_mobility"),
            ("Hoarding Concern", "hoarding_concern"),
        ),
        codes={
            "sex": _MFU,
            "care_package": {
                "none": "NONE",
                "home_care": "HC",
                "day_care": "DC",
                "reablement": "REAB",
                "residential": "RES",
                "nursing": "NUR",
            },
            "lives_alone": _YN,
            "reduced_mobility": _YN,
            "hoarding_concern": _YN,
        },
    ),
    ExtractShape(
        partner="westshire_fire",
        name="incidents",
        source_type="fire.incident",
        file="westshire_fire/incidents.csv",
        date_format="iso",
        record_prefix="PR",
        columns=(
            ("IncidentNumber", "incident_id"),
            ("PersonRef", "record_id"),
            ("IncidentDate", "incident_date"),
            ("IncidentType", "incident_type"),
            ("Cause", "cause"),
            ("FirstName", "given_name"),
            ("LastName", "family_name"),
            ("DateOfBirth", "date_of_birth"),
            ("Gender", "sex"),
            ("PropertyAddress", "address"),
            ("Postcode", "postcode"),
            ("UPRN", "uprn"),
            ("NHSNumber", "nhs_number"),
            ("Casualty", "casualty"),
            ("Fatality", "fatality"),
            ("Station", None),
        ),
        codes={
            "sex": {"female": "Female", "male": "Male", "unknown": "Not recorded"},
            "incident_type": {
                "dwelling_fire": "DWF",
                "other_fire": "OTF",
                "false_alarm": "AFA",
                "special_service": "SSC",
            },
            "cause": {
                "smoking_materials": "SMK",
                "cooking": "CKG",
                "electrical": "ELE",
                "candles": "CAN",
                "heating": "HTG",
                "deliberate": "DEL",
                "other": "OTH",
                "unknown": "UNK",
            },
            "casualty": _ONE_ZERO,
            "fatality": _ONE_ZERO,
        },
    ),
    ExtractShape(
        partner="westshire_fire",
        name="safe_and_well_visits",
        source_type="fire.safe_and_well_visit",
        file="westshire_fire/safe_and_well_visits.csv",
        date_format="d_mon_y",
        record_prefix="SW",
        nhs_spaced=True,
        columns=(
            ("Visit Ref", "record_id"),
            ("Visit Date", "visit_date"),
            ("Occupier First Name", "given_name"),
            ("Occupier Surname", "family_name"),
            ("Occupier DOB", "date_of_birth"),
            ("Address", "address"),
            ("Post Code", "postcode"),
            ("UPRN", "uprn"),
            ("NHS Number", "nhs_number"),
            ("Smoker in household", "smoker"),
            ("Working alarm on arrival", "working_smoke_alarm"),
            ("Alarms fitted", "alarms_fitted"),
        ),
        codes={"smoker": _YES_NO, "working_smoke_alarm": _YES_NO},
    ),
    ExtractShape(
        partner="westshire_police",
        name="mh_incidents",
        source_type="police.mh_incident",
        file="westshire_police/mh_incidents.csv",
        date_format="dmy",
        record_prefix="WP-",
        person_index=True,
        columns=(
            ("Incident Ref", "record_id"),
            ("Forename", "given_name"),
            ("Surname", "family_name"),
            ("DOB", "date_of_birth"),
            ("Sex", "sex"),
            ("Address", "address"),
            ("Postcode", "postcode"),
            ("UPRN", "uprn"),
            ("NHS Number", "nhs_number"),
            ("Incident Date", "incident_date"),
            ("Type", "incident_type"),
            ("Officer Hours", "officer_hours"),
            ("Narrative", "narrative"),
            ("Beat", None),
        ),
        codes={
            "sex": _MFU,
            "incident_type": {
                "mental_health": "MH",
                "section_136": "S136",
                "concern_for_welfare": "CFW",
            },
        },
    ),
    ExtractShape(
        partner="westshire_mht",
        name="crisis_contacts",
        source_type="mh_trust.crisis_contact",
        file="westshire_mht/crisis_contacts.csv",
        date_format="iso",
        record_prefix="C",
        person_index=True,
        columns=(
            ("ContactID", "record_id"),
            ("NHSNumber", "nhs_number"),
            ("PatientForename", "given_name"),
            ("PatientSurname", "family_name"),
            ("PatientDOB", "date_of_birth"),
            ("Gender", "sex"),
            ("AddressLine", "address"),
            ("PostCode", "postcode"),
            ("UPRN", "uprn"),
            ("ContactDate", "contact_date"),
            ("ContactType", "contact_type"),
            ("Diagnosis", "diagnosis"),
            ("BedDays", "bed_days"),
        ),
        codes={
            # NHS Data Dictionary person gender codes.
            "sex": {"male": "1", "female": "2", "unknown": "0"},
            "contact_type": {
                "crisis_team": "CRISIS",
                "admission": "ADMIT",
                "ae_attendance": "AE",
                "safe_haven_referral": "SAFEHAVEN",
            },
        },
    ),
    ExtractShape(
        partner="westshire_icb",
        name="over65_register",
        source_type="nhs.over65_register",
        file="westshire_icb/over65_register.xlsx",
        sheet="Register",
        date_format="excel",
        record_prefix="R",
        nhs_spaced=True,
        person_index=True,
        columns=(
            ("Patient ID", "record_id"),
            ("NHS Number", "nhs_number"),
            ("Given Name", "given_name"),
            ("Family Name", "family_name"),
            ("Date of Birth", "date_of_birth"),
            ("Sex", "sex"),
            ("Address", "address"),
            ("Postcode", "postcode"),
            ("UPRN", "uprn"),
            ("GP Practice", "gp_practice"),
        ),
        codes={"sex": {"female": "Female", "male": "Male", "unknown": "Not known"}},
    ),
    ExtractShape(
        partner="westshire_ambulance",
        name="mh_callouts",
        source_type="ambulance.mh_callout",
        file="westshire_ambulance/mh_callouts.csv",
        date_format="dmy",
        record_prefix="CAD",
        columns=(
            ("CAD Number", "record_id"),
            ("Call Date", "callout_date"),
            ("Patient First Name", "given_name"),
            ("Patient Last Name", "family_name"),
            ("Patient DOB", "date_of_birth"),
            ("Sex", "sex"),
            ("Incident Address", "address"),
            ("Incident Postcode", "postcode"),
            ("UPRN", "uprn"),
            ("NHS Number", "nhs_number"),
            ("Outcome", "outcome"),
            ("Category", None),
        ),
        codes={
            "sex": _MFU,
            "outcome": {
                "conveyed_ae": "CONV",
                "treated_on_scene": "TOS",
                "referred": "REF",
                "no_further_action": "NFA",
            },
        },
    ),
    # A partner whose extract lacks a field: no date of birth (linkage uses what it holds).
    ExtractShape(
        partner="westshire_cc",
        name="council_tax_discounts",
        source_type="person",
        file="westshire_cc/council_tax_discounts.csv",
        date_format="dmy",
        record_prefix="CTX",
        person_index=True,
        columns=(
            ("Account Reference", "record_id"),
            ("Liable Party Forename", "given_name"),
            ("Liable Party Surname", "family_name"),
            ("Property Address", "address"),
            ("Property Postcode", "postcode"),
            ("UPRN", "uprn"),
            ("Band", None),
        ),
    ),
)


def _format_dates(values: np.ndarray, fmt: DateFormat) -> list[Any]:
    iso = np.datetime_as_string(values.astype("datetime64[D]"))
    if fmt == "iso":
        return ["" if s == "NaT" else str(s) for s in iso]
    if fmt == "dmy":
        return ["" if s == "NaT" else f"{s[8:10]}/{s[5:7]}/{s[0:4]}" for s in iso]
    if fmt == "d_mon_y":
        return [
            "" if s == "NaT" else f"{int(s[8:10])} {_MONTHS[int(s[5:7]) - 1]} {s[0:4]}" for s in iso
        ]
    return [None if s == "NaT" else date.fromisoformat(str(s)) for s in iso]


def render_rows(shape: ExtractShape, table: dict[str, np.ndarray]) -> list[tuple[Any, ...]]:
    """The extract's rows in the partner's own shape from canonical column arrays."""
    columns = load_source_types()[shape.source_type].columns
    excel = shape.date_format == "excel"
    rendered: list[list[Any]] = []
    for col, canon in shape.columns:
        key = canon if canon is not None else col
        values = table[key]
        kind = columns[canon].type if canon is not None else "string"
        if kind == "date":
            out = _format_dates(values, shape.date_format)
        elif kind == "boolean":
            codes = shape.codes.get(key, {"true": "true", "false": "false"})
            out = [codes["true"] if v else codes["false"] for v in values.tolist()]
        elif kind == "category":
            codes = shape.codes.get(key, {})
            out = [codes.get(v, v) if v else "" for v in values.tolist()]
        elif key == "nhs_number" and shape.nhs_spaced:
            out = [f"{v[:3]} {v[3:6]} {v[6:]}" if v else "" for v in values.tolist()]
        elif kind in ("integer", "number"):
            out = [v if excel else str(v) for v in values.tolist()]
        else:
            out = [str(v) for v in values.tolist()]
        if excel:
            out = [None if v == "" else v for v in out]
        rendered.append(out)
    return list(zip(*rendered, strict=True))
