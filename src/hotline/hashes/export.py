"""Writing entries back out: long CSV (lossless) and VICS 2.0 JSON (a hash set).

VICS has no place for everything an entry holds, so :func:`write_vics` says what it
could not write: a classification of another scheme than ``projectvic`` (Category takes
only Project VIC's own codes) and PDQ quality. PDQ hashes go into ``AlternativeHashes``
with ``HashName`` "PDQ", which this project reads back; other tools may ignore them.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import IO, Any, BinaryIO

import orjson

from hotline.hashes.entries import Entry
from hotline.hashes.signals import SignalKind
from hotline.hashes.vics import CONTEXT_2_0, SCHEME

LONG_COLUMNS = ("kind", "value", "scheme", "code", "series", "id", "pdq_quality")
_FIELDS = {
    SignalKind.MD5: "MD5",
    SignalKind.SHA1: "SHA1",
    SignalKind.SHA256: "SHA256",
    SignalKind.PHOTODNA: "PhotoDNA",
}


def write_long_csv(entries: Iterable[Entry], handle: IO[str]) -> int:
    """Write the long layout to a text handle opened with ``newline=""``; returns rows."""
    writer = csv.writer(handle, lineterminator="\n")
    writer.writerow(LONG_COLUMNS)
    count = 0
    for entry in entries:
        scheme, code = entry.classification or ("", "")
        quality = "" if entry.pdq_quality is None else str(entry.pdq_quality)
        series, external_id = entry.series or "", entry.external_id or ""
        writer.writerow((entry.kind.value, entry.value, scheme, code, series, external_id, quality))
        count += 1
    return count


@dataclass
class VicsSummary:
    records: int = 0
    entries: int = 0
    lost: list[str] = field(default_factory=list)  # what could not be written, one line each


def _compatible(record: dict[str, Any], entry: Entry) -> bool:
    """Whether ``entry`` is another hash of the record's item (same id, nothing clashing)."""
    if entry.external_id is None or record.get("MediaID") != entry.external_id:
        return False
    name = _FIELDS.get(entry.kind)
    return name is not None and name not in record


def write_vics(entries: Iterable[Entry], handle: BinaryIO) -> VicsSummary:
    """Write a VICS 2.0 hash set (``value`` holding Media records) to a binary handle.

    Consecutive entries with the same ``external_id`` (as readers yield a record's
    hashes) become one Media record; every other entry is a record of its own.
    """
    summary = VicsSummary()
    handle.write(b'{"@odata.context":' + orjson.dumps(CONTEXT_2_0) + b',"value":[')
    record: dict[str, Any] | None = None
    meta: tuple[object, ...] = ()
    for entry in entries:
        summary.entries += 1
        key = (entry.classification, entry.series)
        if record is not None and key == meta and _compatible(record, entry):
            _put(record, entry, summary)
            continue
        if record is not None:
            _emit(handle, record, summary)
        record, meta = _record(entry, summary), key
        _put(record, entry, summary)
    if record is not None:
        _emit(handle, record, summary)
    handle.write(b"]}\n")
    return summary


def _record(entry: Entry, summary: VicsSummary) -> dict[str, Any]:
    record: dict[str, Any] = {}
    if entry.external_id is not None:
        record["MediaID"] = entry.external_id
    if entry.classification is not None:
        scheme, code = entry.classification
        if scheme == SCHEME and code.isdigit():
            record["Category"] = int(code)
        else:
            summary.lost.append(f"{entry.kind} {entry.value}: classification {scheme}:{code}")
    if entry.series is not None:
        record["Series"] = entry.series
    return record


def _put(record: dict[str, Any], entry: Entry, summary: VicsSummary) -> None:
    name = _FIELDS.get(entry.kind)
    if name is not None:
        record[name] = entry.value.upper() if entry.kind is not SignalKind.PHOTODNA else entry.value
    else:
        alternatives = record.setdefault("AlternativeHashes", [])
        alternatives.append({"HashName": "PDQ", "HashValue": entry.value})
    if entry.pdq_quality is not None:
        summary.lost.append(f"{entry.kind} {entry.value}: pdq_quality {entry.pdq_quality}")


def _emit(handle: BinaryIO, record: dict[str, Any], summary: VicsSummary) -> None:
    if summary.records:
        handle.write(b",\n")
    handle.write(orjson.dumps(record))
    summary.records += 1
