"""Which linkage mode an agreement sets for a provider's dataset, and the hub's refusal of
identifiers in clear from a provider that agreed to privacy-preserving linkage."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy import Engine

from sharewell.agreements.model import Agreement, LinkageMode
from sharewell.agreements.policy import effective_status, newest_versions
from sharewell.agreements.store import current_agreements
from sharewell.errors import IngestError
from sharewell.ingest.mapping import Mapping, identity_mapping, load_mapping
from sharewell.ingest.source_types import load_source_types

__all__ = [
    "DatasetLinkage",
    "dataset_linkage",
    "refuse_identifiers_in_clear",
    "refuse_plaintext_ingest",
]


@dataclass(frozen=True)
class DatasetLinkage:
    """How one provider's dataset is linked, and which agreement says so."""

    mode: LinkageMode
    agreement: str | None = None  # the id of the agreement that asks for pprl


def dataset_linkage(
    agreements: Iterable[Agreement], partner: str, source_type: str, on: date
) -> DatasetLinkage:
    """The mode for ``partner``'s ``source_type`` (pure).

    Privacy-preserving when any agreement in force (or not yet started) that has the partner
    provide that dataset says ``linkage: pprl``: the strictest promise made to anyone wins.
    """
    for agreement in newest_versions(agreements):
        if effective_status(agreement, on) not in ("active", "not started"):
            continue
        provides = any(
            p.organisation == partner and source_type in p.datasets for p in agreement.providers
        )
        if provides and agreement.linkage == "pprl":
            return DatasetLinkage("pprl", agreement.id)
    return DatasetLinkage("plaintext")


def refuse_identifiers_in_clear(
    engine: Engine, *, partner: str, source_type: str, columns: Iterable[str], file: str
) -> None:
    """Raise IngestError if ``columns`` bring identifiers in clear that an agreement forbids.

    The hub calls this before loading a partner's file; ``columns`` are the canonical
    columns the file's mapping brings in.
    """
    linkage = dataset_linkage(current_agreements(engine), partner, source_type, date.today())
    if linkage.mode != "pprl":
        return
    stype = load_source_types().get(source_type)
    identifiers = (
        [c for c in columns if c in stype.columns and stype.columns[c].identifier]
        if stype is not None
        else []
    )
    if identifiers:
        raise IngestError(
            f"{file}: agreement {linkage.agreement} has {partner} send {source_type} for "
            f"privacy-preserving linkage, so the hub does not take identifiers in clear "
            f"({', '.join(identifiers)}). Encode the extract on {partner}'s own machine with "
            "`sharewell encode` and load the encoded file with `sharewell pprl load`"
        )


def refuse_plaintext_ingest(
    engine: Engine,
    *,
    partner: str,
    file: Path,
    source_type: str | None,
    mapping: Mapping | Path | None,
) -> None:
    """``refuse_identifiers_in_clear`` for an ingest request, its mapping read as ingest does.

    A request ingest itself would refuse (no source type, an unreadable mapping) passes
    here, so that ingest reports it in its own words.
    """
    try:
        if isinstance(mapping, Path | str):
            mapping = load_mapping(Path(mapping))
        if mapping is None:
            if source_type is None:
                return
            mapping = identity_mapping(source_type)
    except IngestError:
        return
    refuse_identifiers_in_clear(
        engine,
        partner=partner,
        source_type=mapping.source_type,
        columns=mapping.columns.values(),
        file=str(file),
    )
