"""Import report feeds into the store: streaming, batched, idempotent, safe to run twice at once.

Each batch is one transaction: sources, then sites, then URLs, then reports, then refusals,
each written with ``INSERT ... ON CONFLICT DO NOTHING`` in sorted key order. So:
- a rerun adds nothing (every row hits its unique key);
- a process killed mid-import leaves only whole batches behind, and a rerun fills the rest;
- two importers on one PostgreSQL database take row locks in the same order (no deadlock
  cycles) and, if the server still reports one, the batch is retried.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import Connection, Engine, func, select
from sqlalchemy.exc import DBAPIError, OperationalError

from hotline.intake.readers import BadRecord, FeedReader, Record
from hotline.intake.records import ReportRow, RowError, parse_report
from hotline.quarantine import Refusal, record
from hotline.store.bulk import Bulk, Col
from hotline.store.engine import WRITER
from hotline.store.models import Report
from hotline.store.types import utcnow
from hotline.urls import DEFAULT_POLICY, TrackingPolicy

FORMATS = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl"}
BATCH_SIZE = 5000
_SELECT_CHUNK = 500
_CACHE_LIMIT = 400_000  # ids kept per table between batches; bounds memory on huge feeds
_RETRIES = 6

_SOURCE_KEY = Col("code", "text")
_SOURCE_COLS = (_SOURCE_KEY, Col("created_at", "timestamp"))
_SITE_KEY = Col("key", "text")
_SITE_COLS = (_SITE_KEY, Col("kind", "text"), Col("created_at", "timestamp"))
_URL_KEY = Col("digest", "bytea")
_URL_COLS = (
    _URL_KEY,
    Col("canonical", "text"),
    Col("site_id", "bigint"),
    Col("scheme", "text"),
    Col("host", "text"),
    Col("origin", "text"),
    Col("created_at", "timestamp"),
)
_REPORT_COLS = (
    Col("source_id", "integer"),
    Col("source_report_id", "text"),
    Col("url_id", "bigint"),
    Col("reported_at", "timestamp"),
    Col("raw_url", "text"),
    Col("site_type", "text"),
    Col("commercial", "boolean"),
    Col("note", "text"),
    Col("extra", "text"),
    Col("scheme_added", "boolean"),
    Col("had_userinfo", "boolean"),
    Col("ingested_at", "timestamp"),
)

Progress = Callable[[int, int], None]  # (bytes read, records read)


class UnknownFormatError(ValueError):
    pass


def detect_format(path: Path, explicit: str | None = None) -> str:
    if explicit:
        return explicit
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise UnknownFormatError(
            f"{path}: cannot tell the format from '{path.suffix or '(no extension)'}'; "
            "use --format csv or --format jsonl"
        )
    return fmt


@dataclass
class IngestSummary:
    file: str
    rows_read: int = 0
    new_reports: int = 0
    duplicate_reports: int = 0
    new_urls: int = 0
    new_sites: int = 0
    rejected: int = 0
    rejected_by_code: dict[str, int] = field(default_factory=dict)

    def add(self, other: IngestSummary) -> None:
        for name in (
            "rows_read",
            "new_reports",
            "duplicate_reports",
            "new_urls",
            "new_sites",
            "rejected",
        ):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for code, count in other.rejected_by_code.items():
            self.rejected_by_code[code] = self.rejected_by_code.get(code, 0) + count


@dataclass
class _Batch:
    rows: dict[tuple[str, str], ReportRow] = field(default_factory=dict)
    refusals: list[Refusal] = field(default_factory=list)
    size: int = 0


class ReportImporter:
    """Imports report feeds into one database; keeps id caches across files of one run."""

    def __init__(
        self,
        engine: Engine,
        policy: TrackingPolicy = DEFAULT_POLICY,
        batch_size: int = BATCH_SIZE,
    ) -> None:
        self.engine = engine
        self.policy = policy
        self.batch_size = batch_size
        self._ids: dict[str, dict[Any, int]] = {"sources": {}, "sites": {}, "urls": {}}

    def ingest(
        self, path: Path, fmt: str | None = None, progress: Progress | None = None
    ) -> IngestSummary:
        reader = FeedReader(path, detect_format(path, fmt))
        name = str(path.resolve())
        summary = IngestSummary(file=str(path))
        batch = _Batch()
        for item in reader:
            summary.rows_read += 1
            if isinstance(item, Record):
                parsed = parse_report(item.fields, self.policy)
                if isinstance(parsed, RowError):
                    refusal = Refusal(
                        "reports",
                        name,
                        item.line,
                        item.offset,
                        parsed.code,
                        parsed.reason,
                        item.raw,
                    )
                    self._refuse(batch, summary, refusal)
                else:
                    key = (parsed.source, parsed.source_report_id)
                    if key in batch.rows:
                        summary.duplicate_reports += 1
                    else:
                        batch.rows[key] = parsed
                batch.size += 1
            else:
                self._refuse(batch, summary, _refusal(name, item))
                if item.line == 0 or item.code == "bad_header":
                    summary.rows_read -= 1  # a file-level problem, not a row
            if batch.size >= self.batch_size:
                self._flush(batch, summary)
                batch = _Batch()
                if progress:
                    progress(reader.cursor.offset, summary.rows_read)
        self._flush(batch, summary)
        if progress:
            progress(reader.cursor.offset, summary.rows_read)
        return summary

    @staticmethod
    def _refuse(batch: _Batch, summary: IngestSummary, refusal: Refusal) -> None:
        batch.refusals.append(refusal)
        batch.size += 1
        summary.rejected += 1
        summary.rejected_by_code[refusal.code] = summary.rejected_by_code.get(refusal.code, 0) + 1

    def _flush(self, batch: _Batch, summary: IngestSummary) -> None:
        if not batch.rows and not batch.refusals:
            return
        for attempt in range(_RETRIES):
            pending: dict[str, dict[Any, int]] = {"sources": {}, "sites": {}, "urls": {}}
            try:
                with (
                    self.engine.connect().execution_options(**WRITER) as connection,
                    connection.begin(),
                ):
                    counts = self._write(connection, batch, pending)
                break
            except (OperationalError, DBAPIError) as error:
                if attempt == _RETRIES - 1 or not _is_transient(error):
                    raise
                time.sleep(0.05 * 2**attempt * (1 + random.random()))
        # Only ids of committed rows may be cached: a rolled-back id would point nowhere.
        for table, ids in pending.items():
            cache = self._ids[table]
            if len(cache) + len(ids) > _CACHE_LIMIT:
                cache.clear()
            cache.update(ids)
        new_sites, new_urls, new_reports = counts
        summary.new_sites += new_sites
        summary.new_urls += new_urls
        summary.new_reports += new_reports
        summary.duplicate_reports += len(batch.rows) - new_reports

    def _write(
        self, connection: Connection, batch: _Batch, pending: dict[str, dict[Any, int]]
    ) -> tuple[int, int, int]:
        bulk = Bulk(connection)
        now = bulk.time(utcnow())
        rows = list(batch.rows.values())
        sources, _ = self._resolve(
            bulk,
            "sources",
            _SOURCE_KEY,
            pending,
            {r.source: (r.source, now) for r in rows},
            _SOURCE_COLS,
        )
        sites, new_sites = self._resolve(
            bulk,
            "sites",
            _SITE_KEY,
            pending,
            {r.canonical.site: (r.canonical.site, r.canonical.site_kind.value, now) for r in rows},
            _SITE_COLS,
        )
        urls, new_urls = self._resolve(
            bulk,
            "urls",
            _URL_KEY,
            pending,
            {
                r.digest: (
                    r.digest,
                    r.canonical.url,
                    sites[r.canonical.site],
                    r.canonical.scheme,
                    r.canonical.host,
                    "report",
                    now,
                )
                for r in rows
            },
            _URL_COLS,
        )
        rows.sort(key=lambda r: (sources[r.source], r.source_report_id))
        new_reports = bulk.insert_ignore(
            "reports",
            _REPORT_COLS,
            ("source_id", "source_report_id"),
            [
                (
                    sources[r.source],
                    r.source_report_id,
                    urls[r.digest],
                    bulk.time(r.reported_at),
                    r.raw_url,
                    r.site_type,
                    r.commercial,
                    r.note,
                    orjson.dumps(r.extra).decode() if r.extra else None,
                    r.canonical.scheme_added,
                    r.canonical.had_userinfo,
                    now,
                )
                for r in rows
            ],
        )
        record(connection, batch.refusals)
        return new_sites, new_urls, new_reports

    def _resolve(
        self,
        bulk: Bulk,
        table: str,
        key: Col,
        pending: dict[str, dict[Any, int]],
        wanted: dict[Any, tuple[Any, ...]],
        columns: Sequence[Col],
    ) -> tuple[dict[Any, int], int]:
        """Ids for every wanted key, inserting the missing rows; returns (ids, rows created)."""
        cache = self._ids[table]
        found = {k: cache[k] for k in wanted if k in cache}
        missing = sorted(k for k in wanted if k not in found)
        if not missing:
            return found, 0
        created = bulk.insert_ignore(table, columns, (key.name,), [wanted[k] for k in missing])
        ids = bulk.ids(table, key, missing)
        found.update(ids)
        pending[table].update(ids)
        return found, created


def _refusal(file: str, bad: BadRecord) -> Refusal:
    return Refusal(
        "reports", file, bad.line, bad.offset, bad.code, bad.reason, bad.raw, bad.raw_truncated
    )


def _is_transient(error: DBAPIError) -> bool:
    """Deadlocks, serialisation failures and SQLite's "locked" are worth another try."""
    text = str(error.orig).lower()
    code = getattr(error.orig, "sqlstate", None)
    return code in {"40P01", "40001", "55P03"} or "locked" in text or "busy" in text


def multi_source_urls(engine: Engine) -> int:
    """URLs reported by more than one hotline (the cross-hotline overlap)."""
    per_url = (
        select(Report.url_id)
        .group_by(Report.url_id)
        .having(func.count(func.distinct(Report.source_id)) > 1)
        .subquery()
    )
    with engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(per_url)).scalar_one())
