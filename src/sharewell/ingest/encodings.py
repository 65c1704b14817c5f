"""Text encodings of partners' CSV files: which one a file is in, and a UTF-8 copy of it.

Windows exports arrive in cp1252 or latin-1, some with a UTF-8 BOM or as UTF-16, and now and
then as lines from two systems pasted together (some UTF-8, some not); the readers work on a
UTF-8 copy. Split from ``readers`` so that module stays about reading rows and fields.
"""

from __future__ import annotations

import codecs
from pathlib import Path

from sharewell.errors import IngestError

__all__ = ["detect_encoding", "transcode"]

_CHUNK = 1024 * 1024


def detect_encoding(path: Path) -> tuple[str, bool]:
    """(encoding, mixed): utf-8, utf-8-sig, utf-16, cp1252 or latin-1; mixed if lines differ."""
    with path.open("rb") as fh:
        head = fh.read(4)
        if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            return "utf-16", False
        fh.seek(0)
        sample = fh.read(64 * 1024)
        if b"\x00" in sample:
            raise IngestError(
                f"{path.name}: this is not a text file (it contains binary data); "
                "nothing was loaded"
            )
        fh.seek(0)
        decoder = codecs.getincrementaldecoder("utf-8")("strict")
        try:
            while chunk := fh.read(_CHUNK):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            pass
        else:
            return ("utf-8-sig" if head.startswith(codecs.BOM_UTF8) else "utf-8"), False
        # Not UTF-8 throughout: a Windows export, or lines from two systems pasted together.
        fh.seek(0)
        utf8_lines = legacy_lines = 0
        for line in fh:
            if line.isascii():
                continue
            try:
                line.decode("utf-8")
                utf8_lines += 1
            except UnicodeDecodeError:
                legacy_lines += 1
    legacy = legacy_encoding_of(path)
    return legacy, utf8_lines > 0 and legacy_lines > 0


def legacy_encoding_of(path: Path) -> str:
    # cp1252 leaves five bytes undefined; latin-1 decodes anything.
    try:
        with path.open("rb") as fh:
            while chunk := fh.read(_CHUNK):
                chunk.decode("cp1252")
    except UnicodeDecodeError:
        return "latin-1"
    return "cp1252"


def transcode(path: Path, encoding: str, mixed: bool, out: Path) -> None:
    """Write ``path`` as UTF-8 to ``out``; with ``mixed``, each line in whichever fits."""
    with path.open("rb") as src, out.open("w", encoding="utf-8", newline="") as dst:
        if mixed:
            for line in src:
                try:
                    dst.write(line.decode("utf-8"))
                except UnicodeDecodeError:
                    dst.write(line.decode(encoding))
            return
        reader = codecs.getreader(encoding)(src)
        while chunk := reader.read(_CHUNK):
            dst.write(chunk)
