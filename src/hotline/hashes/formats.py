"""Reading a hash list of any supported format: detection and the one entry point.

``read_list(path)`` yields :class:`Entry` and :class:`Problem` records, duplicates
removed (see :func:`hotline.hashes.entries.deduplicated`). The format is told by the
file's first bytes, the extension breaking no tie it cannot: a document starting with
``{`` is VICS JSON; text whose header names the ICSE columns is ICSE; other text with a
known header is CSV. Anything else is refused with :class:`ListFormatError` before a row
is read.
"""

from __future__ import annotations

from collections.abc import Iterator
from enum import StrEnum
from pathlib import Path

from hotline.hashes.csvlists import CsvHeaderError, delimiter_of, layout_of, read_csv
from hotline.hashes.entries import Entry, Problem, deduplicated
from hotline.hashes.vics import read_vics

_HEAD = 64 * 1024  # bytes read to tell the format
_BOM = b"\xef\xbb\xbf"


class ListFormat(StrEnum):
    CSV = "csv"  # long or wide layout, told by the header
    ICSE = "icse"
    VICS = "vics"


class ListFormatError(ValueError):
    """A file that is no hash list this project reads, or a format name it does not know."""


def list_format(name: str | ListFormat) -> ListFormat:
    try:
        return ListFormat(str(name).lower())
    except ValueError:
        known = ", ".join(item.value for item in ListFormat)
        raise ListFormatError(
            f"unknown hash-list format {name!r}: expected one of {known}"
        ) from None


def detect_format(path: Path) -> ListFormat:
    """The format of the file at ``path``; raises :class:`ListFormatError`."""
    with path.open("rb") as handle:
        head = handle.read(_HEAD)
    text = head.removeprefix(_BOM).lstrip(b" \t\r\n")
    if not text:
        raise ListFormatError(f"{path}: the file is empty")
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ListFormatError(f"{path}: the file is UTF-16; hash lists are read as UTF-8")
    if text.startswith(b"{"):
        return ListFormat.VICS
    if text.startswith(b"["):
        raise ListFormatError(f"{path}: a JSON array is not a VICS document (expected an object)")
    if b"\x00" in head:
        raise ListFormatError(f"{path}: binary data, not a CSV or VICS JSON hash list")
    first = text.split(b"\n", 1)[0].split(b"\r", 1)[0]
    try:
        header = first.decode("utf-8")
    except UnicodeDecodeError:
        raise ListFormatError(f"{path}: the first line is not UTF-8 text") from None
    delimiter = delimiter_of(header)
    names = [name.strip().strip('"').strip().lower() for name in header.split(delimiter)]
    try:
        layout = layout_of(names)
    except CsvHeaderError as error:
        suffix = path.suffix.lower()
        hint = " (a .json file must be a VICS object)" if suffix == ".json" else ""
        raise ListFormatError(f"{path}: not a known hash list{hint}: {error}") from None
    return ListFormat.ICSE if layout == "icse" else ListFormat.CSV


def read_list(
    path: Path | str, format: ListFormat | str | None = None
) -> Iterator[Entry | Problem]:
    """Entries (one per signal) and located problems of the hash list at ``path``.

    ``format`` forces a format; without it the format is detected. Raises
    :class:`ListFormatError` for an unknown format name or an unrecognisable file, and
    OSError when the file cannot be opened; everything wrong inside the file is a Problem.
    """
    path = Path(path)
    chosen = detect_format(path) if format is None else list_format(format)
    file = str(path)
    return _read(path, file, chosen)


def _read(path: Path, file: str, chosen: ListFormat) -> Iterator[Entry | Problem]:
    with path.open("rb") as handle:
        if chosen is ListFormat.VICS:
            found = read_vics(handle, file)
        else:
            found = read_csv(handle, file, "icse" if chosen is ListFormat.ICSE else None)
        yield from deduplicated(found, file)
