"""Checks an IG lead would make of an agreement, each naming the file, the key and the fix."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from sharewell.agreements.flags import FLAGS
from sharewell.agreements.model import (
    SCHEDULE1_FOR_ARTICLE9,
    Agreement,
    DatasetGrant,
    LawfulBasis,
)
from sharewell.errors import AgreementError
from sharewell.ingest.source_types import SourceType, load_source_types

__all__ = [
    "Problem",
    "check_agreement",
    "load_agreement",
    "parse_agreement",
    "raise_for_problems",
]

# What to write when a key is missing: the fix half of the message.
_MISSING_HELP = {
    "id": "a short identifier, e.g. `id: fire-prevention`",
    "version": "the version number, starting at 1 (`version: 1`)",
    "title": "a title people will recognise",
    "status": "one of draft, active, suspended, expired",
    "lawful_basis": "the UK GDPR Article 6 basis, e.g. `lawful_basis: {article_6: public_task}`",
    "article_6": "the Article 6(1) basis, e.g. `article_6: public_task`",
    "providers": "the organisations providing data and their datasets",
    "recipients": "the organisations receiving data, with roles, purposes and datasets",
    "retention_days": (
        "how many days shared records are kept after loading, e.g. `retention_days: 365`"
    ),
    "start": "the date sharing may start (YYYY-MM-DD)",
    "end": "the date sharing must stop (YYYY-MM-DD)",
    "review": "the date the agreement is next reviewed (YYYY-MM-DD)",
    "organisation": "an organisation slug, e.g. `westshire_fire`",
    "datasets": "a list of source types (providers) or grants (recipients)",
    "roles": "who may see it: admin, ig_lead, analyst or frontline (executive: counts only)",
    "source_type": "a source type, e.g. `police.mh_incident`",
    "level": "identifiable, pseudonymised, flag_only or aggregate_only",
    "fields": "the fields (or flags) the recipient sees",
}


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an agreement: where, what, and how to fix it."""

    file: str
    key: str
    message: str
    fix: str

    def __str__(self) -> str:
        return f"{self.file}: {self.key}: {self.message} — fix: {self.fix}"


def _key(loc: tuple[int | str, ...]) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(top level)"


def _pydantic_problems(file: str, exc: ValidationError) -> list[Problem]:
    problems = []
    for err in exc.errors():
        loc = tuple(err["loc"])
        last = next((str(p) for p in reversed(loc) if isinstance(p, str)), "")
        kind = err["type"]
        if kind == "missing":
            message, fix = f"`{last}` is missing", f"add {_MISSING_HELP.get(last, f'`{last}`')}"
        elif kind == "extra_forbidden":
            message, fix = f"unknown key `{last}`", "remove it or correct the spelling"
        elif kind in ("literal_error", "enum"):
            message, fix = (
                f"{err['input']!r} is not allowed",
                err["msg"].replace("Input should be", "use"),
            )
        elif kind.startswith("date"):
            message, fix = f"{err['input']!r} is not a date", "write dates as YYYY-MM-DD"
        else:
            message, fix = err["msg"], f"correct `{last or 'this value'}`"
        problems.append(Problem(file, _key(loc), message, fix))
    return problems


def parse_agreement(raw: Any, file: str) -> tuple[Agreement | None, list[Problem]]:
    """The agreement in ``raw`` (parsed YAML), or None and the structural problems."""
    if not isinstance(raw, dict):
        return None, [
            Problem(
                file,
                "(top level)",
                "not a mapping of keys to values",
                "start from an example in src/sharewell/agreements/examples/",
            )
        ]
    try:
        return Agreement.model_validate(raw), []
    except ValidationError as exc:
        return None, _pydantic_problems(file, exc)


def _column_help(st: SourceType) -> str:
    return ", ".join(st.columns)


@dataclass
class _Checks:
    """The checks of one agreement, collecting problems as they are found."""

    file: str
    types: Mapping[str, SourceType]
    organisations: Mapping[str, str] | None
    problems: list[Problem] = field(default_factory=list)
    # Special category fields shared (other than in aggregates), by category.
    special: dict[str, list[str]] = field(default_factory=lambda: {"health": [], "criminal": []})

    def add(self, key: str, message: str, fix: str) -> None:
        self.problems.append(Problem(self.file, key, message, fix))

    def organisation(self, key: str, slug: str) -> str | None:
        """The organisation's type, or None (and a problem) when it is not known."""
        if self.organisations is None:
            return None
        if slug not in self.organisations:
            known = ", ".join(sorted(self.organisations)) or "none yet"
            self.add(
                key,
                f"unknown organisation {slug!r}",
                f"use one of: {known} (or add it with `sharewell org add`)",
            )
            return None
        return self.organisations[slug]

    def source_type(self, key: str, name: str) -> SourceType | None:
        st = self.types.get(name)
        if st is None:
            self.add(
                key, f"unknown source type {name!r}", f"use one of: {', '.join(sorted(self.types))}"
            )
        return st

    def dates_purposes_approval(self, a: Agreement) -> None:
        if a.end < a.start:
            self.add(
                "end", f"end {a.end} is before start {a.start}", f"set end on or after {a.start}"
            )
        elif not a.start <= a.review <= a.end:
            self.add(
                "review",
                f"review {a.review} is outside {a.start} to {a.end}",
                "set a review date within the agreement's dates",
            )
        if not a.purposes:
            self.add(
                "purposes",
                "the agreement names no purpose",
                "list at least one purpose, e.g. `purposes: [fire_prevention]`",
            )
        if a.status == "active" and not a.approved_by:
            self.add(
                "approved_by",
                "an active agreement has no approval recorded",
                "add who approved it (name, role, organisation, date) or set `status: draft`",
            )

    def providers(self, a: Agreement) -> set[str]:
        """Check providers; returns the source types the agreement provides."""
        provided: set[str] = set()
        for i, provider in enumerate(a.providers):
            org_type = self.organisation(f"providers[{i}].organisation", provider.organisation)
            for j, name in enumerate(provider.datasets):
                st = self.source_type(f"providers[{i}].datasets[{j}]", name)
                if st is None:
                    continue
                if org_type is not None and org_type not in st.organisation_types:
                    self.add(
                        f"providers[{i}].datasets[{j}]",
                        f"{provider.organisation} ({org_type}) does not send {name}",
                        f"{name} comes from: {', '.join(st.organisation_types)}",
                    )
                provided.add(name)
        return provided

    def recipients(self, a: Agreement, provided: set[str]) -> None:
        seen_orgs: set[str] = set()
        for i, recipient in enumerate(a.recipients):
            where = f"recipients[{i}]"
            self.organisation(f"{where}.organisation", recipient.organisation)
            if recipient.organisation in seen_orgs:
                self.add(
                    f"{where}.organisation",
                    f"{recipient.organisation} is listed twice",
                    "list each recipient organisation once",
                )
            seen_orgs.add(recipient.organisation)
            if not recipient.purposes:
                self.add(
                    f"{where}.purposes",
                    f"recipient {recipient.organisation} has no purpose",
                    "list at least one of the agreement's purposes: "
                    f"{', '.join(a.purposes) or '(none yet)'}",
                )
            for k, purpose in enumerate(recipient.purposes):
                if purpose not in a.purposes:
                    self.add(
                        f"{where}.purposes[{k}]",
                        f"purpose {purpose} is not one of the agreement's purposes",
                        f"add {purpose} to `purposes` or remove it here",
                    )
            if "executive" in recipient.roles:
                for grant in recipient.datasets:
                    if grant.level != "aggregate_only":
                        self.add(
                            f"{where}.roles",
                            f"executives at {recipient.organisation} would be granted "
                            f"{grant.source_type} at {grant.level}: an executive sees its "
                            "organisation's savings answer and counts, never anyone's records",
                            "remove executive from these roles, or give the executives a "
                            "recipient entry of their own with aggregate_only grants",
                        )
                        break
            grants_seen: set[tuple[str, str]] = set()
            for j, grant in enumerate(recipient.datasets):
                key = f"{where}.datasets[{j}]"
                if (grant.source_type, grant.level) in grants_seen:
                    self.add(
                        key,
                        f"{grant.source_type} at {grant.level} is granted twice",
                        "merge the two grants' fields",
                    )
                grants_seen.add((grant.source_type, grant.level))
                self.grant(key, grant, provided)

    def grant(self, key: str, grant: DatasetGrant, provided: set[str]) -> None:
        st = self.source_type(f"{key}.source_type", grant.source_type)
        if st is None:
            return
        if grant.source_type not in provided:
            self.add(
                f"{key}.source_type",
                f"no provider in this agreement provides {grant.source_type}",
                "add it to a provider's datasets or remove this grant",
            )
        if grant.level == "aggregate_only" and grant.min_cell_size is None:
            self.add(
                f"{key}.min_cell_size",
                "aggregate_only needs a minimum cell size",
                "add `min_cell_size: 10` (counts below it are suppressed)",
            )
        if grant.level != "aggregate_only" and grant.min_cell_size is not None:
            self.add(
                f"{key}.min_cell_size",
                f"min_cell_size only applies to aggregate_only, not {grant.level}",
                "remove it",
            )
        for f_i, name in enumerate(grant.fields):
            fkey = f"{key}.fields[{f_i}]"
            if grant.level == "flag_only":
                self.flag(fkey, grant.source_type, name)
                continue
            column = st.columns.get(name)
            if column is None:
                self.add(
                    fkey,
                    f"{name!r} is not a field of source type {grant.source_type}",
                    f"use one of: {_column_help(st)}",
                )
            elif grant.level == "aggregate_only":
                # Anonymised aggregates with suppression are not personal data, but a
                # person's identifiers must not become the groups.
                if column.identifier:
                    self.add(
                        fkey,
                        f"{name} identifies a person and cannot be an aggregate dimension",
                        "remove it, or group by a coarser field",
                    )
            elif column.special != "none":
                self.special[column.special].append(f"{grant.source_type}:{name}")

    def flag(self, key: str, source_type: str, name: str) -> None:
        flag = FLAGS.get(name)
        if flag is None or source_type not in flag.reads:
            usable = sorted(n for n, fl in FLAGS.items() if source_type in fl.reads)
            self.add(
                key,
                f"{name!r} is not a flag derived from {source_type}",
                "flag_only shares derived flags; use one of: "
                f"{', '.join(usable) or '(none for this source type)'}",
            )
        elif flag.special != "none":
            self.special[flag.special].append(f"{source_type}:{name}")

    def lawful_basis(self, basis: LawfulBasis) -> None:
        health, criminal = self.special["health"], self.special["criminal"]
        if health and basis.article_9 is None:
            self.add(
                "lawful_basis.article_9",
                f"special category (health) data is shared ({', '.join(health[:4])}) "
                "without an Article 9 condition",
                "add `article_9:` e.g. health_social_care or substantial_public_interest, or "
                "share flags/aggregates that are not health data",
            )
        matching = SCHEDULE1_FOR_ARTICLE9.get(str(basis.article_9))
        if criminal and basis.schedule_1 is None:
            self.add(
                "lawful_basis.schedule_1",
                f"criminal offence data is shared ({', '.join(criminal[:4])}) "
                "without a DPA 2018 Schedule 1 condition (Art. 10, s.10(5))",
                "add `schedule_1:` e.g. preventing_or_detecting_unlawful_acts, or remove the "
                "criminal offence fields",
            )
        elif matching is not None and (health or criminal) and basis.schedule_1 is None:
            self.add(
                "lawful_basis.schedule_1",
                f"Article 9 condition {basis.article_9} needs a DPA 2018 Schedule 1 condition",
                f"add `schedule_1:` one of {', '.join(sorted(matching))}",
            )
        if (
            matching is not None
            and basis.schedule_1 is not None
            and basis.schedule_1 not in matching
        ):
            self.add(
                "lawful_basis.schedule_1",
                f"Schedule 1 condition {basis.schedule_1} does not go with Article 9 "
                f"condition {basis.article_9}",
                f"use one of {', '.join(sorted(matching))}",
            )


def check_agreement(
    agreement: Agreement,
    file: str = "<agreement>",
    *,
    source_types: Mapping[str, SourceType] | None = None,
    organisations: Mapping[str, str] | None = None,
) -> list[Problem]:
    """Every problem an IG lead would raise (pure); organisations maps slug to type, if known."""
    checks = _Checks(
        file, load_source_types() if source_types is None else source_types, organisations
    )
    checks.dates_purposes_approval(agreement)
    provided = checks.providers(agreement)
    checks.recipients(agreement, provided)
    checks.lawful_basis(agreement.lawful_basis)
    return checks.problems


def raise_for_problems(problems: list[Problem]) -> None:
    """Raise one AgreementError listing every problem, if there are any."""
    if problems:
        lines = "\n".join(f"  - {p}" for p in problems)
        raise AgreementError(f"the agreement has {len(problems)} problem(s):\n{lines}")


def load_agreement(path: Path, *, organisations: Mapping[str, str] | None = None) -> Agreement:
    """Read, parse and check an agreement YAML file; AgreementError lists every problem."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise AgreementError(f"{path}: no such file") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise AgreementError(
            f"{path}: not valid YAML{where}: fix the indentation or quoting there"
        ) from exc
    agreement, problems = parse_agreement(raw, str(path))
    if agreement is not None:
        problems = check_agreement(agreement, str(path), organisations=organisations)
    raise_for_problems(problems)
    assert agreement is not None
    return agreement
