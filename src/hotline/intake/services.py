"""Import report feeds into the store: streaming, batched, idempotent, safe to run twice at once.

Each batch is one transaction: refusals, sources, then sites, URLs and reports, each staged
and written with ``INSERT ... SELECT ... ON CONFLICT DO NOTHING`` in sorted key order
(``hotline.store.bulk``). So:
- a rerun adds nothing (every row hits its unique key);
- a process killed mid-import leaves only whole batches behind, and a rerun fills the rest;
- two importers on one PostgreSQL database take row locks in the same order (no deadlock
  cycles) and, if the server still reports one, the batch is retried.
"""

from __future__ import annotations

import os
import random
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Connection, Engine, select
from sqlalchemy.exc import DBAPIError

from hotline.intake.batches import Batch, read_batches, read_batches_in_child
from hotline.intake.gc_tuning import bulk_allocation
from hotline.intake.models import Source
from hotline.intake.staging import StagedReports
from hotline.quarantine import Refusal, record
from hotline.store.bulk import Bulk, Load, StageTable
from hotline.store.types import storage_time, utcnow
from hotline.store.uow import unit_of_work
from hotline.store.upsert import insert_ignore
from hotline.urls import DEFAULT_POLICY, TrackingPolicy

FORMATS = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl"}
BATCH_SIZE = 5000
PARALLEL_FROM_BYTES = 4 << 20  # below this, starting a reader process costs more than it saves
_RETRIES = 6
_PROBE_CHUNK = 500  # report ids per look-up of already stored reports

_SITES = Load(
    stage=StageTable("stage_sites", (("key", "text"), ("kind", "text"))),
    from_stage="""
        INSERT INTO sites (key, kind, created_at)
        SELECT s.key, s.kind, {now} FROM stage_sites s ORDER BY s.key
        ON CONFLICT (key) DO NOTHING""",
    values="""
        INSERT INTO sites (key, kind, created_at) VALUES (?, ?, ?)
        ON CONFLICT (key) DO NOTHING""",
)
_URLS = Load(
    stage=StageTable(
        "stage_urls",
        (
            ("digest", "bytea"),
            ("canonical", "text"),
            ("site_key", "text"),
            ("scheme", "text"),
            ("host", "text"),
        ),
    ),
    from_stage="""
        INSERT INTO urls (digest, canonical, site_id, scheme, host, origin, created_at)
        SELECT s.digest, s.canonical, t.id, s.scheme, s.host, 'report', {now}
        FROM stage_urls s JOIN sites t ON t.key = s.site_key ORDER BY s.digest
        ON CONFLICT (digest) DO NOTHING""",
    values="""
        INSERT INTO urls (digest, canonical, site_id, scheme, host, origin, created_at)
        VALUES (?, ?, (SELECT id FROM sites WHERE key = ?), ?, ?, 'report', ?)
        ON CONFLICT (digest) DO NOTHING""",
)
_REPORTS = Load(
    stage=StageTable(
        "stage_reports",
        (
            ("source", "text"),
            ("source_report_id", "text"),
            ("digest", "bytea"),
            ("reported_at", "text"),
            ("raw_url", "text"),
            ("site_type", "text"),
            ("commercial", "bool"),
            ("note", "text"),
            ("extra", "text"),
            ("scheme_added", "bool"),
            ("had_userinfo", "bool"),
        ),
    ),
    from_stage="""
        INSERT INTO reports (source_id, source_report_id, url_id, reported_at, raw_url,
                             site_type, commercial, note, extra, scheme_added, had_userinfo,
                             ingested_at)
        SELECT o.id, s.source_report_id, u.id, s.reported_at::timestamp, s.raw_url,
               s.site_type, s.commercial, s.note, s.extra::jsonb, s.scheme_added,
               s.had_userinfo, {now}
        FROM stage_reports s JOIN sources o ON o.code = s.source
             JOIN urls u ON u.digest = s.digest
        ORDER BY o.id, s.source_report_id
        ON CONFLICT (source_id, source_report_id) DO NOTHING""",
    values="""
        INSERT INTO reports (source_id, source_report_id, url_id, reported_at, raw_url,
                             site_type, commercial, note, extra, scheme_added, had_userinfo,
                             ingested_at)
        VALUES ((SELECT id FROM sources WHERE code = ?), ?,
                (SELECT id FROM urls WHERE digest = ?), ?, ?, ?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT (source_id, source_report_id) DO NOTHING""",
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
        for name in ("rows_read", "new_reports", "duplicate_reports", "new_urls", "new_sites"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for code, count in other.rejected_by_code.items():
            self.refused(code, count)

    def refused(self, code: str, count: int = 1) -> None:
        self.rejected += count
        self.rejected_by_code[code] = self.rejected_by_code.get(code, 0) + count


class ReportImporter:
    """Imports report feeds into one database."""

    def __init__(
        self,
        engine: Engine,
        policy: TrackingPolicy = DEFAULT_POLICY,
        batch_size: int = BATCH_SIZE,
        parallel: bool | None = None,
    ) -> None:
        self.engine = engine
        self.policy = policy
        self.batch_size = batch_size
        self.parallel = parallel  # None: decide by file size

    def ingest(
        self, path: Path, fmt: str | None = None, progress: Progress | None = None
    ) -> IngestSummary:
        fmt = detect_format(path, fmt)
        parallel = self.parallel
        if parallel is None:
            parallel = (os.cpu_count() or 1) > 1 and path.stat().st_size >= PARALLEL_FROM_BYTES
        reading = read_batches_in_child if parallel else read_batches
        summary = IngestSummary(file=str(path))
        with bulk_allocation():
            for batch in reading(path, fmt, self.policy, self.batch_size):
                self._take(batch, summary, progress)
        return summary

    def _take(self, batch: Batch, summary: IngestSummary, progress: Progress | None) -> None:
        summary.rows_read += batch.records
        summary.duplicate_reports += batch.in_batch_duplicates
        for refusal in batch.refusals:
            summary.refused(refusal.code)
        self._flush(batch, summary)
        if progress:
            progress(batch.offset, summary.rows_read)

    def _flush(self, batch: Batch, summary: IngestSummary) -> None:
        if not batch.staged and not batch.refusals:
            return
        for attempt in range(_RETRIES):
            try:
                with (
                    unit_of_work(self.engine) as connection,
                ):
                    new_sites, new_urls, new_reports, conflicts = self._write(connection, batch)
                break
            except Exception as error:  # driver errors from COPY arrive unwrapped
                if attempt == _RETRIES - 1 or not _is_transient(error):
                    raise
                time.sleep(0.05 * 2**attempt * (1 + random.random()))
        summary.new_sites += new_sites
        summary.new_urls += new_urls
        summary.new_reports += new_reports
        staged = len(batch.staged.reports) if batch.staged else 0
        summary.duplicate_reports += staged - new_reports - len(conflicts)
        for conflict in conflicts:
            summary.refused(conflict.code)

    def _write(self, connection: Connection, batch: Batch) -> tuple[int, int, int, list[Refusal]]:
        staged = batch.staged
        if staged is None or not staged.reports:
            record(connection, batch.refusals)
            return 0, 0, 0, []
        staged, conflicts = _without_stored_reports(connection, batch, staged)
        record(connection, [*batch.refusals, *conflicts])
        bulk = Bulk(connection)
        now = storage_time(utcnow())
        connection.execute(  # a handful of codes per batch: plain Core is fine here
            insert_ignore(connection, Source.__table__, ["code"]),
            [{"code": code} for code in staged.sources],
        )
        new_sites = bulk.load(_SITES, staged.sites, now)
        new_urls = bulk.load(_URLS, staged.urls, now)
        new_reports = bulk.load(_REPORTS, staged.reports, now)
        return new_sites, new_urls, new_reports, conflicts


def _without_stored_reports(
    connection: Connection, batch: Batch, staged: StagedReports
) -> tuple[StagedReports, list[Refusal]]:
    """Drop reports already stored, so that their URLs and sites are not inserted either.

    A report id sent again with the *same* URL is a duplicate; with a *different* URL it is
    a conflict: the stored report is kept and the new row goes to the quarantine, so a
    correction made at the source is visible instead of silently lost.
    """
    stored = _stored_digests(connection, staged)
    if not stored:
        return staged, []
    reports, conflicts = [], []
    for row in staged.reports:
        digest = stored.get((row[0], row[1]))
        if digest is None:
            reports.append(row)
        elif digest != row[2]:
            line, offset, raw = batch.origins[(row[0], row[1])]
            conflicts.append(
                Refusal(
                    "reports",
                    batch.file,
                    line,
                    offset,
                    "conflicting_report",
                    f"report {row[0]}/{row[1][:60]} is already stored with another URL; the "
                    "stored one is kept",
                    raw,
                )
            )
    digests = {row[2] for row in reports}
    urls = [url for url in staged.urls if url[0] in digests]
    site_keys = {url[2] for url in urls}
    kept = StagedReports(
        sources=staged.sources,
        sites=[site for site in staged.sites if site[0] in site_keys],
        urls=urls,
        reports=reports,
    )
    return kept, conflicts


def _stored_digests(connection: Connection, staged: StagedReports) -> dict[tuple[str, str], bytes]:
    """URL digest of every staged report key that is already stored (index probes only)."""
    by_source: dict[str, list[str]] = {}
    for row in staged.reports:
        by_source.setdefault(row[0], []).append(row[1])
    sources = {
        code: source_id
        for code, source_id in connection.execute(
            select(Source.code, Source.id).where(Source.code.in_(list(by_source)))
        )
    }
    found: dict[tuple[str, str], bytes] = {}
    postgres = connection.dialect.name == "postgresql"
    probe = (
        "SELECT r.source_report_id, u.digest FROM reports r JOIN urls u ON u.id = r.url_id "
        "WHERE r.source_id = {source} AND r.source_report_id {match}"
    )
    for code, ids in by_source.items():
        if code not in sources:
            continue  # a new hotline has no stored reports
        if postgres:  # one array parameter: no statement text per chunk to build or parse
            sql = probe.format(source="%s", match="= ANY(%s)")
            rows = connection.exec_driver_sql(sql, (sources[code], ids))
            found.update(((code, rid), bytes(digest)) for rid, digest in rows)
            continue
        for start in range(0, len(ids), _PROBE_CHUNK):
            chunk = ids[start : start + _PROBE_CHUNK]
            sql = probe.format(source="?", match=f"IN ({', '.join('?' * len(chunk))})")
            rows = connection.exec_driver_sql(sql, (sources[code], *chunk))
            found.update(((code, rid), bytes(digest)) for rid, digest in rows)
    return found


def _is_transient(error: Exception) -> bool:
    """Deadlocks, serialisation failures, lock timeouts and SQLite's "locked" are retried."""
    cause = getattr(error, "orig", None) or error
    if getattr(cause, "sqlstate", None) in {"40P01", "40001", "55P03"}:
        return True
    text = str(cause).lower()
    return isinstance(error, DBAPIError | sqlite3.OperationalError) and (
        "database is locked" in text or "database is busy" in text
    )
