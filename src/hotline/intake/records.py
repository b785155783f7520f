"""One report row of the feed contract, validated and canonicalised (pure; no I/O).

Contract (``BRIEF.md``): ``source``, ``source_report_id``, ``reported_at`` (ISO 8601) and
``url`` are required; ``site_type``, ``commercial`` and ``note`` are optional; any other
column is kept as extra data.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, NamedTuple

from hotline.urls import CanonicalURL, Rejection, TrackingPolicy, canonicalize

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


class ReportRow(NamedTuple):
    """A valid row. A NamedTuple: built once per row, pickled between processes, cheap at both."""

    source: str
    source_report_id: str
    reported_at: datetime
    raw_url: str
    canonical: CanonicalURL
    digest: bytes
    site_type: str | None
    commercial: bool | None
    note: str | None
    extra: dict[str, Any] | None


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
        # A JSON float is refused too: an id like 123456789012345678901 arrives as a float
        # and would silently collapse with its neighbours.
        return RowError("bad_value", f"'{name}' must be text, got {type(value).__name__}")
    return str(value)


def _has_nul(value: object) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


def parse_time(text: str) -> datetime | None:
    """ISO 8601 to aware UTC; a time without offset is taken as UTC (documented)."""
    try:
        value = datetime.fromisoformat(text)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    except (ValueError, OverflowError):  # OverflowError: year 1 or 9999 shifted out of range
        return None


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

    canonical = canonicalize(values["url"], policy) if policy else canonicalize(values["url"])
    if isinstance(canonical, Rejection):
        return RowError(f"url_{canonical.reason.value}", f"url refused: {canonical.detail}")

    optional = _optional(fields)
    if isinstance(optional, RowError):
        return optional
    site_type, commercial, note = optional
    extra = {k: v for k, v in fields.items() if k not in KNOWN_FIELDS and v not in ("", None)}
    if extra and _has_nul(extra):
        return RowError("bad_value", "an extra field contains a NUL character")
    return ReportRow(  # positional: measurably cheaper than keywords, once per row
        source,
        report_id,
        reported_at,
        values["url"],
        canonical,
        hashlib.sha256(canonical.url.encode("utf-8")).digest(),
        site_type,
        commercial,
        note,
        extra or None,
    )


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
