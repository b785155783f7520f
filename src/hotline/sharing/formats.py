"""Row writers for exports: CSV that spreadsheets cannot execute, and JSON Lines."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import IO, Any

import orjson

FORMATS = ("csv", "jsonl")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value: Any) -> Any:
    """Neutralise spreadsheet formulas (OWASP "CSV injection"): prefix a quote."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, list | tuple):
        return " ".join(str(v) for v in value)
    return value


def write_rows(out: IO[str], fmt: str, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """Write rows as ``csv`` (header row first) or ``jsonl``; returns the number written."""
    count = 0
    if fmt == "csv":
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(header)
        for row in rows:
            writer.writerow([csv_safe(_plain(v)) for v in row])
            count += 1
    elif fmt == "jsonl":
        for row in rows:
            record = {
                name: (v.isoformat().replace("+00:00", "Z") if isinstance(v, datetime) else v)
                for name, v in zip(header, row, strict=True)
            }
            out.write(orjson.dumps(record).decode())
            out.write("\n")
            count += 1
    else:
        raise ValueError(f"unknown export format {fmt!r}; use one of {', '.join(FORMATS)}")
    return count
