"""``write_partnership``: the extracts, mapping files, manifest and truth files on disk.

Byte-identical for the same partnership: no timestamps, fixed ordering, and the Excel file's
zip entries are given a fixed date.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
import zipfile
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict
from rich.console import Console

from sharewell.errors import SharewellError
from sharewell.synth.config import SynthConfig
from sharewell.synth.partners import EXTRACT_SHAPES
from sharewell.synth.partnership import Extract, Partnership, Table, generate

__all__ = ["Manifest", "ManifestExtract", "synthesise", "write_partnership"]

_FIXED_TIME = datetime(2025, 1, 1)
_ZIP_TIME = (2025, 1, 1, 0, 0, 0)


class ManifestExtract(BaseModel):
    """One extract in the manifest: who sent it, what it is and where its mapping is."""

    model_config = ConfigDict(frozen=True)

    partner: str
    source_type: str
    file: str
    mapping: str
    rows: int


class Manifest(BaseModel):
    """``manifest.json``: the county, seed, size, organisations and extracts of a partnership."""

    model_config = ConfigDict(frozen=True)

    county: str
    seed: int
    people: int
    households: int
    history_start: str
    history_end: str
    organisations: list[dict[str, str]]
    extracts: list[ManifestExtract]
    truth: dict[str, str]


def _write_csv(
    path: Path,
    header: tuple[str, ...] | list[str],
    rows: Any,
    *,
    encoding: str = "utf-8",
    newline: str = "\n",
) -> None:
    with path.open("w", encoding=encoding, newline="") as handle:
        writer = csv.writer(handle, lineterminator=newline)
        writer.writerow(header)
        writer.writerows(rows)


def _write_table(path: Path, table: Table) -> None:
    _write_csv(path, list(table), zip(*table.values(), strict=True))


def _write_xlsx(path: Path, extract: Extract) -> None:
    """The extract as a one-sheet workbook, made reproducible byte for byte."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    book.properties.creator = extract.shape.partner
    book.properties.created = _FIXED_TIME
    sheet = book.create_sheet(extract.shape.sheet or "Sheet1")
    sheet.append(list(extract.header))
    for row in extract.rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    book.save(buffer)
    # openpyxl stamps the save time into docProps/core.xml and every zip entry; fix both.
    modified = _FIXED_TIME.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    with (
        zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as source,
        zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "docProps/core.xml":
                data = _fix_modified(data, modified)
            info = zipfile.ZipInfo(item.filename, date_time=_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(info, data)


def _fix_modified(core: bytes, stamp: bytes) -> bytes:
    start = core.find(b"<dcterms:modified")
    if start < 0:
        return core
    open_end = core.find(b">", start) + 1
    close = core.find(b"</dcterms:modified>", open_end)
    return core[:open_end] + stamp + core[close:]


def write_partnership(
    partnership: Partnership, out_dir: Path, progress: Callable[[str], None] | None = None
) -> Manifest:
    """Write every extract, mapping, the manifest and truth/ under ``out_dir``; return the manifest.

    Files are written to a sibling temporary directory first and moved into place at the end,
    so a failure never leaves a half-written partnership behind.
    """
    say = progress or (lambda _step: None)
    out_dir = Path(out_dir).resolve()
    if out_dir.exists() and not out_dir.is_dir():
        raise SharewellError(f"cannot write the partnership to {out_dir}: it is not a directory")
    if out_dir.exists() and any(out_dir.iterdir()) and not (out_dir / "manifest.json").exists():
        raise SharewellError(
            f"{out_dir} already holds files that are not a synthetic partnership; "
            "choose an empty or new directory"
        )
    staging = out_dir.with_name(f".{out_dir.name}.partial")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    try:
        entries = []
        (staging / "mappings").mkdir()
        for extract in partnership.extracts:
            shape = extract.shape
            say(f"writing {shape.file}")
            target = staging / shape.file
            target.parent.mkdir(parents=True, exist_ok=True)
            if target.suffix == ".xlsx":
                _write_xlsx(target, extract)
            else:
                _write_csv(
                    target,
                    extract.header,
                    extract.rows,
                    encoding=shape.encoding,
                    newline=shape.newline,
                )
            mapping = yaml.safe_dump(shape.mapping(), sort_keys=False, allow_unicode=True)
            (staging / shape.mapping_file).write_text(mapping, encoding="utf-8")
            entries.append(
                ManifestExtract(
                    partner=shape.partner,
                    source_type=shape.source_type,
                    file=shape.file,
                    mapping=shape.mapping_file,
                    rows=len(extract.rows),
                )
            )
        say("writing truth/")
        truth = staging / "truth"
        truth.mkdir()
        _write_table(truth / "people.csv", partnership.people_truth())
        _write_table(truth / "households.csv", partnership.households_truth())
        _write_table(truth / "records.csv", partnership.records_truth())
        config = partnership.config
        (truth / "config.json").write_text(
            json.dumps(_config_json(partnership), indent=2, sort_keys=True) + "\n", encoding="utf-8"
        )
        manifest = Manifest(
            county=config.county,
            seed=config.seed,
            people=config.people,
            households=len(partnership.population.households.size),
            history_start=config.history_start.isoformat(),
            history_end=config.history_end.isoformat(),
            organisations=[
                {"slug": o.slug, "name": o.name, "code": o.code, "type": o.type}
                for o in partnership.organisations
            ],
            extracts=entries,
            truth={
                "people": "truth/people.csv",
                "households": "truth/households.csv",
                "records": "truth/records.csv",
                "config": "truth/config.json",
            },
        )
        (staging / "manifest.json").write_text(
            manifest.model_dump_json(indent=2) + "\n", encoding="utf-8"
        )
        if out_dir.exists():
            shutil.rmtree(out_dir)
        staging.rename(out_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return manifest


def _config_json(partnership: Partnership) -> dict[str, Any]:
    """The config that generated the partnership (effects and rates the truth was drawn from)."""
    from dataclasses import asdict

    return json.loads(json.dumps(asdict(partnership.config), default=str))


def synthesise(config: SynthConfig, out_dir: Path, *, console: Console | None = None) -> Manifest:
    """Generate and write a partnership, with a progress bar on ``console`` when given."""
    steps = 3 + 2 * len(EXTRACT_SHAPES)  # generate: 2 + one per extract; write: one each + truth
    if console is None:
        return write_partnership(generate(config), out_dir)
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    columns = (TextColumn("{task.description:<44}"), BarColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task("synthetic partnership", total=steps)

        def step(what: str) -> None:
            bar.update(task, advance=1, description=what)

        partnership = generate(config, progress=step)
        manifest = write_partnership(partnership, out_dir, progress=step)
    return manifest
