"""The person fields linkage can compare, and the derived columns each one gives rise to.

One list, so the model, its blocking rules, its training plan and the refusal ("too little
to link on") agree on what a field is. A partner's extract may lack any of them (a council
tax extract has no date of birth): the model is built from the fields both sides hold.
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = [
    "DERIVED",
    "FIELD_LABELS",
    "IDENTIFYING_FIELDS",
    "LINK_FIELDS",
    "field_of",
    "fields_of",
]

# Columns of the prepared table that hold a person field (``dob`` is the date of birth as
# ISO text). Every one of them identifies a person to some degree.
LINK_FIELDS: tuple[str, ...] = (
    "given_name",
    "middle_name",
    "family_name",
    "dob",
    "sex",
    "postcode",
    "address",
    "town",
    "uprn",
    "nhs_number",
    "phone",
    "email",
)
IDENTIFYING_FIELDS = frozenset(LINK_FIELDS)

FIELD_LABELS: dict[str, str] = {
    "given_name": "given name",
    "middle_name": "middle name",
    "family_name": "family name",
    "dob": "date of birth",
    "sex": "sex",
    "postcode": "postcode",
    "address": "address",
    "town": "town",
    "uprn": "UPRN",
    "nhs_number": "NHS number",
    "phone": "phone",
    "email": "email",
}

# Derived columns of the prepared table (prepare.py) -> the field they are computed from.
# A derived column is usable exactly when its field is.
DERIVED: dict[str, str] = {
    "given_name_canonical": "given_name",
    "given_initial": "given_name",
    "middle_initial": "middle_name",
    "family_initial": "family_name",
    "names_fwd": "family_name",  # given|family; needs both (see fields_of)
    "names_rev": "family_name",
    "dob_year": "dob",
    "dob_year_month": "dob",
    "dob_transposed": "dob",
    "postcode_outward": "postcode",
    "postcode_sector": "postcode",
    "address_number": "address",
    "address_street": "address",
}
# Derived columns that need more than one field.
_NEEDS_BOTH: dict[str, tuple[str, ...]] = {
    "names_fwd": ("given_name", "family_name"),
    "names_rev": ("given_name", "family_name"),
}


def field_of(column: str) -> str:
    """The person field a prepared column comes from (itself when it is a field)."""
    return DERIVED.get(column, column)


def fields_of(columns: Iterable[str]) -> frozenset[str]:
    """Every person field the prepared ``columns`` need."""
    out: set[str] = set()
    for c in columns:
        out.update(_NEEDS_BOTH.get(c, (field_of(c),)))
    return frozenset(out)
