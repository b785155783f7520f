"""One report row of the feed contract, validated and canonicalised (pure; no I/O).

Contract (``docs/intake.md``): ``source``, ``source_report_id``, ``reported_at`` (ISO 8601,
1990 to 2099) and ``url`` are required; ``site_type``, ``commercial`` and ``note`` are
optional; any other column is kept as extra data, at most :data:`MAX_EXTRA_BYTES` of it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import NamedTuple

import orjson

from hotline.urls import CanonicalURL, Rejection, TrackingPolicy, canonicalize, url_digest

REQUIRED_FIELDS = ("source", "source_report_id", "reported_at", "url")
OPTIONAL_FIELDS = ("site_type", "commercial", "note")
KNOWN_FIELDS = frozenset(REQUIRED_FIELDS + OPTIONAL_FIELDS)
SITE_TYPES = frozenset(
    {"website", "image-host", "forum", "file-host", "video-host", "live-stream", "other"}
)
_SOURCE_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}")
_COMMERCIAL: dict[str, bool | None] = {
    "true": True,
    "1": True,
    "yes": True,
    "false": False,
    "0": False,
    "no": False,
    "": None,
}
MAX_REPORT_ID = 256
MAX_NOTE = 20_000
MAX_EXTRA_BYTES = 64 * 1024  # extra fields, as stored (JSON, UTF-8)
# Report times accepted: the same span as capture times (WARC-Date). Fixed, not "until now",
# so a file imports the same way whatever day it is imported on.
EARLIEST_REPORT = datetime(1990, 1, 1, tzinfo=UTC)
LATEST_REPORT = datetime(2100, 1, 1, tzinfo=UTC)  # excluded
# A NUL character as JSON writes it: "\u0000" after an even number of backslashes.
_JSON_NUL = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")


class ReportRow(NamedTuple):
    """A valid row. A NamedTuple: built once per row, pickled between processes, cheap at both.

    ``extra`` is the extra fields as JSON text, written once here: as compact as the input,
    whatever the number of fields, while the row waits in its batch.
    """

    source: str
    source_report_id: str
    reported_at: datetime
    raw_url: str
    canonical: CanonicalURL
    digest: bytes
    site_type: str | None
    commercial: bool | None
    note: str | None
    extra: str | None


@dataclass(frozen=True, slots=True)
class RowError:
    code: str
    reason: str


def _text(fields: Mapping[str, object], name: str) -> str | RowError:
    value = fields.get(name)
    if type(value) is str:  # the common case first: this runs seven times per row
        if "\x00" in value:  # PostgreSQL text cannot hold NUL; no real field needs it
            return RowError("bad_value", f"'{name}' contains a NUL character")
        return value.strip()
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, int):
        # A JSON float is refused: an id is never fractional, and 1.2345678901234568e20 may
        # stand for many ids that would silently collapse into one. An integer of any size
        # is exact (the reader keeps it so) and is taken as its digits.
        return RowError("bad_value", f"'{name}' must be text, got {type(value).__name__}")
    try:
        return str(value)
    except ValueError:  # over Python's 4,300-digit conversion limit
        return RowError("bad_value", f"'{name}' is a number of over 4,300 digits")


def parse_time(text: str) -> datetime | None:
    """ISO 8601 to aware UTC; a time without offset is taken as UTC (documented).

    A time that UTC cannot hold (year 1 or 9999 shifted by its offset past the calendar's
    ends) comes out as the first or last time there is, so a range check refuses it as such.
    """
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    try:
        return value.astimezone(UTC)
    except OverflowError:
        return (datetime.min if value.year == 1 else datetime.max).replace(tzinfo=UTC)


def parse_report(
    fields: Mapping[str, object], policy: TrackingPolicy | None = None
) -> ReportRow | RowError:
    """Validate one record; the first problem found is the reason it is refused."""
    values: dict[str, str] = {}
    for name in REQUIRED_FIELDS:
        value = _text(fields, name)
        if isinstance(value, RowError):
            return value
        if not value:
            return RowError("missing_field", f"required field '{name}' is missing or empty")
        values[name] = value

    source = values["source"]
    if not _SOURCE_CODE.fullmatch(source):
        return RowError(
            "bad_value",
            f"source '{source[:80]}' is not an organisation code (letters, digits, _ . -; ≤ 64)",
        )
    report_id = values["source_report_id"]
    if len(report_id) > MAX_REPORT_ID:
        return RowError("bad_value", f"source_report_id is longer than {MAX_REPORT_ID} characters")
    reported_at = parse_time(values["reported_at"])
    if reported_at is None:
        return RowError(
            "bad_timestamp",
            f"reported_at '{values['reported_at'][:60]}' is not an ISO 8601 date-time",
        )
    if not EARLIEST_REPORT <= reported_at < LATEST_REPORT:
        return RowError(
            "bad_timestamp",
            f"reported_at '{values['reported_at'][:60]}' is outside the accepted range "
            "1990-01-01 to 2099-12-31 (UTC)",
        )

    canonical = canonicalize(values["url"], policy) if policy else canonicalize(values["url"])
    if isinstance(canonical, Rejection):
        return RowError(f"url_{canonical.reason.value}", f"url refused: {canonical.detail}")

    optional = _optional(fields)
    if isinstance(optional, RowError):
        return optional
    site_type, commercial, note = optional
    extra = {k: v for k, v in fields.items() if k not in KNOWN_FIELDS and v not in ("", None)}
    extra_json = _extra_json(extra) if extra else None
    if isinstance(extra_json, RowError):
        return extra_json
    return ReportRow(  # positional: measurably cheaper than keywords, once per row
        source,
        report_id,
        reported_at,
        values["url"],
        canonical,
        url_digest(canonical.url),
        site_type,
        commercial,
        note,
        extra_json,
    )


def _extra_json(extra: dict[str, object]) -> str | RowError:
    """Extra fields as the JSON text that is stored, within :data:`MAX_EXTRA_BYTES`."""
    try:
        data = orjson.dumps(extra)
    except orjson.JSONEncodeError:  # integers beyond 64 bits, among others: exact in stdlib
        try:
            text = json.dumps(extra, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
            data = text.encode("utf-8")
        except (ValueError, TypeError, RecursionError) as error:  # lone surrogates, too deep
            return RowError(
                "bad_value", f"the extra fields cannot be stored as JSON ({type(error).__name__})"
            )
    if len(data) > MAX_EXTRA_BYTES:
        return RowError(
            "extra_too_large",
            f"the extra fields ({len(extra):,}) take {len(data):,} bytes as JSON, over the "
            f"limit of {MAX_EXTRA_BYTES:,}",
        )
    if b"\\u0000" in data and _JSON_NUL.search(data):  # PostgreSQL cannot store it
        return RowError("bad_value", "an extra field contains a NUL character")
    return data.decode("utf-8")


def _optional(
    fields: Mapping[str, object],
) -> tuple[str | None, bool | None, str | None] | RowError:
    site_type = _text(fields, "site_type")
    if isinstance(site_type, RowError):
        return site_type
    site_type = site_type.lower()
    if site_type and site_type not in SITE_TYPES:
        allowed = "|".join(sorted(SITE_TYPES))
        return RowError("bad_value", f"site_type '{site_type[:40]}' is not one of {allowed}")

    raw_commercial = fields.get("commercial")
    commercial: bool | None
    if raw_commercial is None or isinstance(raw_commercial, bool):
        commercial = raw_commercial
    else:
        flag = str(raw_commercial).strip().lower()
        if flag not in _COMMERCIAL:
            return RowError("bad_value", f"commercial '{flag[:20]}' is not true, false or blank")
        commercial = _COMMERCIAL[flag]

    note = _text(fields, "note")
    if isinstance(note, RowError):
        return note
    if len(note) > MAX_NOTE:
        return RowError("bad_value", f"note is longer than {MAX_NOTE} characters")
    return site_type or None, commercial, note or None
