"""Hash lists as CSV: the long and wide layouts, and INTERPOL ICSE exports.

The header row says which layout a file has (names are matched without regard to case):

* long: ``kind,value`` and optionally ``scheme,code,series,id,pdq_quality``; one entry a
  row, ``kind`` one of md5, sha1, sha256, pdq, photodna;
* wide: one column per kind (any of ``md5,sha1,sha256,pdq,photodna``) and optionally
  ``pdq_quality,scheme,code,series,id``; every filled hash cell of a row is an entry, all
  with the row's classification;
* ICSE: the columns of an ICSE export as a public importer reads them (``MD5;SHA1;
  PhotoDNA;Image ID;...;Series name;...``, see docs/hashes.md) — assumed, to verify
  against a real export.

The delimiter is ``,``, ``;`` or tab, whichever the header holds most of. Unknown columns
are ignored. A record is one line (a quoted field may not span lines: no hash list needs
it, and it keeps a stray quote from swallowing the rest of the file).
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import BinaryIO, Literal

from hotline.hashes.entries import Classification, Entry, Found, Problem, clean_text, problem
from hotline.hashes.lines import MAX_LINE_BYTES, Line, lines
from hotline.hashes.signals import InvalidSignal, SignalKind, canonical, parse_kind, pdq_quality

Layout = Literal["long", "wide", "icse"]
MAX_COLUMNS = 100  # a hash list has a dozen columns; a thousand is not a header
_BOM = b"\xef\xbb\xbf"
_DELIMITERS = (",", ";", "\t")
csv.field_size_limit(MAX_LINE_BYTES)

# ICSE column names (lower case) and what each becomes; the hash columns are found by kind.
ICSE_ID = "image id"
ICSE_SERIES = "series name"
ICSE_CATEGORY = "category"  # not in the layout we found; read if an export has it
ICSE_SCHEME = "icse"
_META = {"scheme", "code", "series", "id", "pdq_quality"}


class CsvHeaderError(ValueError):
    """A header row that names no known layout."""


def delimiter_of(header: str) -> str:
    """The delimiter the header row uses most, ``,`` on a tie (or when it has none)."""
    counts = [header.count(d) for d in _DELIMITERS]
    return _DELIMITERS[counts.index(max(counts))] if max(counts) else ","


def layout_of(names: list[str]) -> Layout:
    """The layout a header (names lower-cased and stripped) stands for."""
    found = set(names)
    if {"kind", "value"} <= found:
        return "long"
    if ICSE_ID in found or ICSE_SERIES in found:
        return "icse"
    if any(parse_kind(name) is not None for name in names):
        return "wide"
    raise CsvHeaderError(
        "the header names no known layout: expected kind,value (long), one column per "
        "hash kind md5,sha1,sha256,pdq,photodna (wide), or the ICSE columns "
        "(MD5;SHA1;PhotoDNA;Image ID;...)"
    )


@dataclass(frozen=True, slots=True)
class _Header:
    names: list[str]
    delimiter: str
    layout: Layout


def _utf8_reason(data: bytes, error: UnicodeDecodeError) -> str:
    return f"not valid UTF-8 (byte 0x{data[error.start]:02X} at column {error.start + 1})"


def _split(text: str, delimiter: str) -> list[str]:
    """One line's fields; raises csv.Error on an unclosed quote or a NUL."""
    rows = list(csv.reader([text], delimiter=delimiter, strict=True))
    return rows[0] if rows else []


def _raw(line: Line) -> str:
    return line.data.decode("utf-8", "replace")


def _header(line: Line, file: str, forced: Layout | None) -> _Header | Problem:
    data = line.data.removeprefix(_BOM)
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return problem(file, 1, "not_utf8", "the file is UTF-16; save it as UTF-8")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        reason = f"the header is not valid UTF-8 (byte 0x{data[error.start]:02X})"
        return problem(file, 1, "not_utf8", reason, _raw(line))
    delimiter = delimiter_of(text)
    try:
        names = [name.strip().lower() for name in _split(text, delimiter)]
    except csv.Error as error:
        return problem(file, 1, "bad_header", f"the header is not CSV ({error})", text)
    if len(names) > MAX_COLUMNS:
        reason = f"the header has {len(names):,} columns, over the {MAX_COLUMNS} limit"
        return problem(file, 1, "bad_header", reason, text)
    repeated = sorted({name for name in names if name and names.count(name) > 1})
    if repeated:
        reason = f"the header names {', '.join(repeated)} more than once"
        return problem(file, 1, "bad_header", reason, text)
    try:
        layout = forced or layout_of(names)
    except CsvHeaderError as error:
        return problem(file, 1, "unknown_header", str(error), text)
    if layout == "long" and not {"kind", "value"} <= set(names):
        return problem(file, 1, "bad_header", "a long list needs kind and value columns", text)
    if layout != "long" and not any(parse_kind(name) for name in names):
        return problem(file, 1, "bad_header", "the header names no hash column", text)
    return _Header(names, delimiter, layout)


def _classification(row: dict[str, str], scheme: str | None) -> Classification | None:
    """(scheme, code) from the row; a code without a scheme, or the reverse, is refused."""
    code = clean_text(row.get("code", ""), "code")
    given = clean_text(row.get("scheme", ""), "scheme") if scheme is None else scheme
    if code is None and (scheme is not None or given is None):
        return None
    if code is None or given is None:
        raise ValueError("scheme and code go together: one is empty")
    return (given, code)


_RowReader = Callable[[dict[str, str]], tuple[list[Entry], list[str]]]


def _long(row: dict[str, str]) -> tuple[list[Entry], list[str]]:
    kind = parse_kind(row["kind"])
    if kind is None:
        return [], [f"unknown kind {row['kind'].strip()[:40]!r} (md5, sha1, sha256, pdq, photodna)"]
    try:
        value = canonical(kind, row["value"])
        quality = row.get("pdq_quality", "").strip()
        if quality and kind is not SignalKind.PDQ:
            raise ValueError(f"pdq_quality is given for a {kind}")
        entry = Entry(
            kind,
            value,
            _classification(row, None),
            clean_text(row.get("series", ""), "series"),
            clean_text(row.get("id", ""), "id"),
            pdq_quality(quality) if quality else None,
        )
    except ValueError as error:  # InvalidSignal is a ValueError
        return [], [str(error)]
    return [entry], []


def _wide(row: dict[str, str], scheme: str | None = None) -> tuple[list[Entry], list[str]]:
    """Every filled hash cell; a bad cell is reported and the row's other cells kept,
    since each hash is a claim of its own."""
    names = {"series": "series", "id": "id"} if scheme is None else _ICSE_META
    try:
        classification = _classification(row, scheme)
        series = clean_text(row.get(names["series"], ""), "series")
        external_id = clean_text(row.get(names["id"], ""), "id")
        quality_text = row.get("pdq_quality", "").strip()
        quality = pdq_quality(quality_text) if quality_text else None
    except ValueError as error:
        return [], [str(error)]
    entries, reasons = [], []
    for name, cell in row.items():
        kind = parse_kind(name) if name not in _META else None
        if kind is None or not cell.strip():
            continue
        try:
            value = canonical(kind, cell)
        except InvalidSignal as error:
            reasons.append(str(error))
            continue
        pdq = quality if kind is SignalKind.PDQ else None
        entries.append(Entry(kind, value, classification, series, external_id, pdq))
    if not entries and not reasons:
        reasons.append("no hash in the row")
    return entries, reasons


_ICSE_META = {"series": ICSE_SERIES, "id": ICSE_ID}


def _icse(row: dict[str, str]) -> tuple[list[Entry], list[str]]:
    code = row.get(ICSE_CATEGORY, "")
    return _wide({**row, "code": code}, ICSE_SCHEME)


_READERS: dict[Layout, _RowReader] = {"long": _long, "wide": _wide, "icse": _icse}


def read_csv(
    handle: BinaryIO, file: str, layout: Layout | None = None
) -> Iterator[Found | Problem]:
    """Entries and problems of a CSV hash list, in file order (duplicates not removed)."""
    header: _Header | None = None
    for line in lines(handle):
        if line.oversize:
            reason = f"line is {line.size:,} bytes, over the {MAX_LINE_BYTES:,}-byte limit"
            yield problem(file, line.number, "line_too_long", reason)
            if header is None:
                return
            continue
        if not line.data.strip(b" \t\r\n"):
            continue
        if header is None:
            found = _header(line, file, layout)
            if isinstance(found, Problem):
                yield found
                return
            header = found
            continue
        yield from _row(line, header, file)
    if header is None:
        yield problem(file, 1, "empty", "the file has no header row")


def _row(line: Line, header: _Header, file: str) -> Iterator[Found | Problem]:
    try:
        text = line.data.decode("utf-8")
        fields = _split(text, header.delimiter)
    except UnicodeDecodeError as error:
        yield problem(file, line.number, "not_utf8", _utf8_reason(line.data, error), _raw(line))
        return
    except csv.Error as error:
        yield problem(file, line.number, "bad_csv", f"not a CSV row ({error})", _raw(line))
        return
    if len(fields) != len(header.names):
        reason = f"the row has {len(fields)} fields, the header {len(header.names)}"
        yield problem(file, line.number, "wrong_field_count", reason, text)
        return
    row = dict(zip(header.names, fields, strict=True))
    entries, reasons = _READERS[header.layout](row)
    for entry in entries:
        yield Found(line.number, entry)
    if reasons:
        yield problem(file, line.number, "bad_value", "; ".join(reasons), text)
