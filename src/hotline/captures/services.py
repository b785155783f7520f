"""``hotline ingest captures``: WARC files into captures, selectors, their links and media hashes.

Idempotent by WARC-Record-ID: a capture (or media record) already stored is skipped with
everything hanging off it, so a rerun adds nothing and counts (``site_selectors.captures``)
never double. Each batch is one transaction, so a crash leaves whole batches or nothing;
the rerun completes the file. Quarantined records keep their WARC headers only — never a
block, so never media.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import pickle
import threading
from collections import Counter, deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, func, null, select

from hotline.captures.extractors import Extractor, default_extractors
from hotline.captures.models import Capture, CaptureSelector, MediaHash, SelectorValue
from hotline.captures.page import Selector, Strength
from hotline.captures.page_class import NORMAL, UNKNOWN, keeps_selector
from hotline.captures.pages import CaptureFile, Media, Page, read_capture_file, worker_setup
from hotline.captures.revisits import Revisit
from hotline.intake.models import Site, Url
from hotline.quarantine import record as record_refusals
from hotline.store.types import storage_time, utcnow
from hotline.store.uow import unit_of_work
from hotline.store.upsert import insert_ignore
from hotline.urls import CanonicalURL, url_digest

BATCH = 1000  # pages (or media) per transaction


class _Stopped(Exception):
    """Raised in the reading thread when the import was stopped."""


PARALLEL_MIN_BYTES = 8 * 1024 * 1024  # a WARC this large is parsed by a pool of processes


@dataclass(slots=True)
class CaptureSummary:
    file: str
    records: int = 0
    pages: int = 0
    new_captures: int = 0
    known_captures: int = 0
    media: int = 0
    new_media: int = 0
    selector_links: int = 0  # evidence rows: (capture, selector) pairs newly stored
    new_urls: int = 0
    rejected: int = 0
    rejected_by_code: Counter[str] = field(default_factory=Counter)
    flags: Counter[str] = field(default_factory=Counter)
    page_classes: Counter[str] = field(default_factory=Counter)  # pages read, by class
    not_web: int = 0  # records that are not captures of a web resource (logs, manifests)
    revisits: int = 0  # revisit records read
    revisits_without_original: int = 0  # ... whose original is in no file imported

    def add(self, other: CaptureSummary) -> None:
        for name in (
            "records",
            "pages",
            "new_captures",
            "known_captures",
            "media",
            "new_media",
            "selector_links",
            "new_urls",
            "rejected",
            "not_web",
            "revisits",
            "revisits_without_original",
        ):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.rejected_by_code.update(other.rejected_by_code)
        self.flags.update(other.flags)
        self.page_classes.update(other.page_classes)


def selector_digest(kind: str, value: str) -> bytes:
    return hashlib.sha256(f"{kind}\x00{value}".encode()).digest()


class CaptureImporter:
    """Imports WARC files. Files of :data:`PARALLEL_MIN_BYTES` or more are parsed by a pool of
    ``workers`` processes (default: one per core) while this process reads the records and
    writes the store; the pool is started at the first such file and kept until
    :meth:`close` (or the end of a ``with`` block). Smaller files are read here: starting
    processes would cost more than it saves."""

    def __init__(
        self,
        engine: Engine,
        extractors: dict[str, Extractor] | None = None,
        workers: int | None = None,
    ) -> None:
        self.engine = engine
        self.extractors = extractors if extractors is not None else default_extractors()
        self.workers = workers if workers is not None else (os.cpu_count() or 1)
        self._pool: ProcessPoolExecutor | None = None

    def __enter__(self) -> CaptureImporter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
            self._pool = None

    def _pool_for(self, path: Path) -> ProcessPoolExecutor | None:
        if self.workers < 2 or path.stat().st_size < PARALLEL_MIN_BYTES:
            return None
        if self._pool is None:
            try:
                pickle.dumps(self.extractors)
            except (pickle.PicklingError, AttributeError, TypeError):
                self.workers = 1  # extractors made in place (a test's lambda): read here
                return None
            # Not fork: the parent holds database connections and a progress thread. A fork
            # server imports the parsing code once and forks each worker from it, where
            # spawn would import it again in every worker (about a second of CPU each).
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload(["hotline.captures.pages"])
            self._pool = ProcessPoolExecutor(
                self.workers,
                mp_context=context,
                initializer=worker_setup,
                initargs=(self.extractors,),
            )
        return self._pool

    def ingest(self, path: Path, progress: Callable[[int], None] | None = None) -> CaptureSummary:
        content = read_capture_file(path, self.extractors, progress, self._pool_for(path))
        return self._finish(path, content)

    def ingest_files(
        self,
        paths: Sequence[Path],
        progress: Callable[[Path, int], None] | None = None,
    ) -> Iterator[tuple[Path, CaptureSummary]]:
        """Each file's summary, in order, as :meth:`ingest` would give it — but the next file
        is read (in a thread, parsed by the pool) while this one is stored, so the store's
        work and the parsing overlap. Stores stay in file order (a revisit may need an
        earlier file's original)."""

        stop = threading.Event()

        def read(path: Path) -> CaptureFile:
            def tick(done: int) -> None:
                if stop.is_set():  # the consumer stopped (Ctrl-C): do not read on
                    raise _Stopped
                if progress is not None:
                    progress(path, done)

            return read_capture_file(path, self.extractors, tick, self._pool_for(path))

        reader = ThreadPoolExecutor(1, thread_name_prefix="capture-reader")
        try:
            ahead: deque[tuple[Path, Future[CaptureFile]]] = deque()
            for path in paths:
                ahead.append((path, reader.submit(read, path)))
                if len(ahead) > 1:
                    done, content = ahead.popleft()
                    yield done, self._finish(done, content.result())
            while ahead:
                done, content = ahead.popleft()
                yield done, self._finish(done, content.result())
        finally:
            stop.set()
            reader.shutdown(cancel_futures=True)

    def _finish(self, path: Path, content: CaptureFile) -> CaptureSummary:
        summary = CaptureSummary(file=str(path), records=content.records)
        summary.pages = len(content.pages)
        summary.media = len(content.media)
        summary.rejected = len(content.refusals)
        summary.rejected_by_code.update(r.code for r in content.refusals)
        for page in content.pages:
            summary.flags.update(page.flags)
        summary.page_classes.update(page.page_class for page in content.pages)
        summary.not_web = content.not_web
        summary.revisits = content.revisits
        self._store(content, summary, str(path))
        return summary

    def _store(self, content: CaptureFile, summary: CaptureSummary, file: str) -> None:
        """Pages before media: a favicon or image links to the capture of its page."""
        batches: list[tuple[Sequence[Page], Sequence[Media]]] = [
            (content.pages[i : i + BATCH], ()) for i in range(0, len(content.pages), BATCH)
        ]
        batches += [((), content.media[i : i + BATCH]) for i in range(0, len(content.media), BATCH)]
        for number, (pages, media) in enumerate(batches or [((), ())]):
            with (
                unit_of_work(self.engine) as connection,
            ):
                summary.new_urls += _ensure_urls(connection, pages, media)
                _store_pages(connection, pages, file, summary)
                _store_media(connection, media, summary)
                if number == 0:
                    record_refusals(connection, content.refusals)
        if content.unresolved:
            with (
                unit_of_work(self.engine) as connection,
            ):
                _store_revisits(connection, content.unresolved, file, summary)


# -- sites and URLs --------------------------------------------------------------------------


def _ensure_urls(connection: Connection, pages: Sequence[Page], media: Sequence[Media]) -> int:
    """Sites and URLs first seen in captures are created like reported ones (origin capture)."""
    urls: dict[str, CanonicalURL] = {}
    for page in pages:
        for url in page.chain:
            urls.setdefault(url.url, url)
    sites = {url.site: url.site_kind.value for url in urls.values()}
    sites.update((m.site, _site_kind(m.site)) for m in media)
    now = utcnow()
    if sites:
        connection.execute(
            insert_ignore(connection, Site.__table__, ["key"]),
            [{"key": key, "kind": kind, "created_at": now} for key, kind in sorted(sites.items())],
        )
    if not urls:
        return 0
    site_ids = _site_ids(connection, list(sites))
    rows = [
        {
            "digest": url_digest(url.url),
            "canonical": url.url,
            "site_id": site_ids[url.site],
            "scheme": url.scheme,
            "host": url.host,
            "origin": "capture",
            "created_at": now,
        }
        for _, url in sorted(urls.items())
    ]
    table = Url.__table__
    stmt = insert_ignore(connection, table, ["digest"]).returning(table.c.id)
    return len(connection.execute(stmt, rows).all())


def _site_kind(site: str) -> str:
    if site.endswith(".onion"):
        return "onion"
    if site.replace(".", "").isdigit():
        return "ipv4"
    return "ipv6" if ":" in site else "domain"


def _site_ids(connection: Connection, keys: list[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for start in range(0, len(keys), 500):
        chunk = keys[start : start + 500]
        rows = connection.execute(select(Site.key, Site.id).where(Site.key.in_(chunk)))
        found.update((key, site_id) for key, site_id in rows)
    return found


def _url_ids(connection: Connection, urls: list[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    digests = {url_digest(u): u for u in urls}
    keys = list(digests)
    for start in range(0, len(keys), 500):
        chunk = keys[start : start + 500]
        for digest, url_id in connection.execute(
            select(Url.digest, Url.id).where(Url.digest.in_(chunk))
        ):
            found[digests[bytes(digest)]] = url_id
    return found


# -- pages and selectors ---------------------------------------------------------------------


def _store_pages(
    connection: Connection, pages: Sequence[Page], file: str, summary: CaptureSummary
) -> None:
    if not pages:
        return
    url_ids = _url_ids(connection, sorted({u.url for p in pages for u in p.chain}))
    site_ids = _site_ids(connection, sorted({p.url.site for p in pages}))
    rows = [
        {
            "record_id": page.record_id[:255],
            "file": file[-1024:],
            "record_offset": page.offset,
            "url_id": url_ids[page.chain[0].url],
            "final_url_id": url_ids[page.url.url],
            "site_id": site_ids[page.url.site],
            "captured_at": page.captured_at,
            "status": page.status,
            "ip": (page.ip or None) and page.ip[:45],
            "referer": page.referer,
            "redirect_chain": [u.url for u in page.chain[:-1]] or null(),  # SQL NULL, not JSON
            "title": page.title,
            "html_bytes": page.html_bytes,
            "flags": page.flags or null(),
            "page_class": page.page_class,
            "created_at": utcnow(),
        }
        for page in pages
    ]
    table = Capture.__table__
    stmt = insert_ignore(connection, table, ["record_id"]).returning(table.c.id, table.c.record_id)
    new = dict((record_id, capture_id) for capture_id, record_id in connection.execute(stmt, rows))
    summary.new_captures += len(new)
    summary.known_captures += len(pages) - len(new)
    fresh = [
        _Sighting(page.url.site, page.captured_at, new[page.record_id[:255]], page.selectors)
        for page in pages
        if page.record_id[:255] in new
    ]
    if fresh:
        summary.selector_links += _link_selectors(connection, fresh, site_ids, new_captures=True)


@dataclass(frozen=True, slots=True)
class _Sighting:
    """Selectors a site showed in one capture (a page, or a favicon that page loaded)."""

    site: str
    seen: datetime
    capture_id: int
    selectors: list[Selector]


def _link_selectors(
    connection: Connection,
    fresh: list[_Sighting],
    site_ids: dict[str, int],
    new_captures: bool = False,
) -> int:
    """Selectors, their evidence rows and the per-site counts of a batch of sightings.
    ``new_captures``: every sighting is of a capture inserted in this transaction, so none
    of its evidence can exist yet (no need to ask the database which rows are new)."""
    selectors: dict[bytes, Selector] = {}
    digests: dict[tuple[str, str], bytes] = {}  # each selector's digest, computed once
    for sighting in fresh:
        for selector in sighting.selectors:
            named = (selector.kind, selector.value)
            digest = digests.get(named)
            if digest is None:
                digests[named] = digest = selector_digest(*named)
            selectors.setdefault(digest, selector)
    if not selectors:
        return 0
    now = utcnow()
    connection.execute(
        insert_ignore(connection, SelectorValue.__table__, ["digest"]),
        [
            {
                "digest": d,
                "kind": s.kind,
                "value": s.value,
                "strength": s.strength.value,
                "method": s.method,
                "created_at": now,
            }
            for d, s in sorted(selectors.items())
        ],
    )
    ids: dict[bytes, int] = {}
    keys = list(selectors)
    for start in range(0, len(keys), 500):
        chunk = keys[start : start + 500]
        rows = connection.execute(
            select(SelectorValue.digest, SelectorValue.id).where(SelectorValue.digest.in_(chunk))
        )
        ids.update((bytes(digest), selector_id) for digest, selector_id in rows)
    gateway_sites = {
        selector.value.split(">", 1)[0]
        for sighting in fresh
        for selector in sighting.selectors
        if selector.kind in ("gateway", "redirect")
    }
    site_ids = {**site_ids, **_site_ids(connection, sorted(gateway_sites - site_ids.keys()))}
    # Evidence first: only (capture, selector) pairs new to the database count towards a
    # site's link, so a favicon fetched again for a known capture adds nothing.
    evidence: dict[tuple[int, int], dict[str, Any]] = {}
    for sighting in fresh:
        for selector in sighting.selectors:
            key = (sighting.capture_id, ids[digests[(selector.kind, selector.value)]])
            evidence.setdefault(
                key, {"capture_id": key[0], "selector_id": key[1], "found_in": selector.where[:80]}
            )
    if new_captures:
        plain = [(c, s, evidence[(c, s)]["found_in"]) for c, s in sorted(evidence)]
        _executemany(connection, _INSERT_EVIDENCE, plain)
        new = set(evidence)
    else:
        table = CaptureSelector.__table__
        stmt = insert_ignore(connection, table, ["capture_id", "selector_id"]).returning(
            table.c.capture_id, table.c.selector_id
        )
        rows_in = [evidence[k] for k in sorted(evidence)]
        new = {(c, s) for c, s in connection.execute(stmt, rows_in)}
    inserted = len(new)
    # Times as the column stores them, converted once per sighting: the same text or naive
    # UTC on every row of a capture, and they order as the times do.
    postgres = connection.dialect.name == "postgresql"
    per_site: dict[tuple[int, int], list[Any]] = {}
    for sighting in fresh:
        capture_id, seen_at = sighting.capture_id, _db_time(sighting.seen, postgres)
        for selector in sighting.selectors:
            selector_id = ids[digests[(selector.kind, selector.value)]]
            if (capture_id, selector_id) not in new:
                continue
            new.discard((capture_id, selector_id))  # once per capture, however often shown
            owners = [sighting.site]
            if selector.kind == "gateway":
                owners.append(selector.value.split(">", 1)[0])
            elif selector.kind == "redirect":  # what the redirecting site did, not its target
                owners = [selector.value.split(">", 1)[0]]
            for owner in owners:
                site_id = site_ids.get(owner)
                if site_id is None:
                    continue
                seen = per_site.get((site_id, selector_id))
                if seen is None:
                    per_site[(site_id, selector_id)] = [seen_at, seen_at, 1, capture_id]
                else:
                    seen[0], seen[1] = min(seen[0], seen_at), max(seen[1], seen_at)
                    seen[2] += 1
    if per_site:
        _upsert_site_selectors(connection, per_site)
    return inserted


def _upsert_site_selectors(
    connection: Connection, per_site: dict[tuple[int, int], list[Any]]
) -> None:
    """First/last seen widen and the capture count grows; on both engines in one statement.
    Times come already as the column stores them (:func:`_db_time`).

    Written with the driver's own ``executemany``: one row per (site, selector) of the
    batch, and SQLAlchemy's per-row parameter processing cost more than the database."""
    rows = [
        (site_id, selector_id, first, last, count, capture)
        for (site_id, selector_id), (first, last, count, capture) in sorted(per_site.items())
    ]
    _executemany(connection, _UPSERT_SITE_SELECTORS, rows)


# Plain SQL for the two largest writes of an import. Names are our own, never input; values
# go as parameters. ``{least}``/``{greatest}`` and ``{p}`` differ between the engines.
_INSERT_EVIDENCE = (
    "INSERT INTO capture_selectors (capture_id, selector_id, found_in) VALUES ({p}, {p}, {p}) "
    "ON CONFLICT (capture_id, selector_id) DO NOTHING"
)
_UPSERT_SITE_SELECTORS = (
    "INSERT INTO site_selectors "
    "(site_id, selector_id, first_seen, last_seen, captures, first_capture_id) "
    "VALUES ({p}, {p}, {p}, {p}, {p}, {p}) "
    "ON CONFLICT (site_id, selector_id) DO UPDATE SET "
    "first_seen = {least}(site_selectors.first_seen, excluded.first_seen), "
    "last_seen = {greatest}(site_selectors.last_seen, excluded.last_seen), "
    "captures = site_selectors.captures + excluded.captures"
)


def _executemany(connection: Connection, template: str, rows: list[tuple[Any, ...]]) -> None:
    if not rows:
        return
    if connection.dialect.name == "postgresql":
        sql = template.format(p="%s", least="LEAST", greatest="GREATEST")
    else:  # SQLite's two-argument min/max are scalar
        sql = template.format(p="?", least="min", greatest="max")
    connection.exec_driver_sql(sql, rows)


def _db_time(moment: datetime, postgres: bool) -> Any:
    """A time as the UTCDateTime column stores it: naive UTC (text in SQLite's format)."""
    return moment.astimezone(UTC).replace(tzinfo=None) if postgres else storage_time(moment)


# -- revisits whose original came in an earlier file ---------------------------------------


def _store_revisits(
    connection: Connection, revisits: list[Revisit], file: str, summary: CaptureSummary
) -> None:
    """Revisits the file could not resolve: copies of an earlier import's page or medium
    when the original is found (by record id, else URL and time), else a capture of class
    ``unknown`` flagged ``original_missing`` — the site answered, and that is never lost."""
    pages: list[Page] = []
    media: list[Media] = []
    for revisit in revisits:
        found_page = _stored_page(connection, revisit)
        if found_page is not None:
            pages.append(found_page)
            continue
        found_media = _stored_media(connection, revisit)
        if found_media is not None:
            media.append(found_media)
            continue
        summary.revisits_without_original += 1
        shown_type = revisit.content_type or ""
        pages.append(
            Page(
                revisit.record_id,
                revisit.number,
                revisit.offset,
                revisit.url,
                revisit.captured_at,
                revisit.status or 0,
                revisit.ip,
                None,
                0,
                ["revisit", "original_missing"]
                + (["media"] if shown_type.startswith(("image/", "video/")) else []),
                [],
                chain=[revisit.url],
                page_class=UNKNOWN,
            )
        )
    summary.pages += len(pages)
    summary.media += len(media)
    summary.page_classes.update(page.page_class for page in pages)
    summary.new_urls += _ensure_urls(connection, pages, media)
    _store_pages(connection, pages, file, summary)
    _store_media(connection, media, summary)


def _record_id_forms(record_id: str | None) -> list[str]:
    """A record id as writers spell it: ``<urn:uuid:…>`` (the standard) or bare."""
    return [f"<{record_id}>", record_id] if record_id else []


def _stored_page(connection: Connection, revisit: Revisit) -> Page | None:
    table = Capture.__table__
    query = select(table).where(table.c.record_id.in_(_record_id_forms(revisit.refers_to)))
    original = connection.execute(query.limit(1)).first()
    if original is None and revisit.refers_to_url and revisit.refers_to_date:
        url_ids = _url_ids(connection, [revisit.refers_to_url])
        if revisit.refers_to_url in url_ids:
            query = select(Capture).where(
                Capture.final_url_id == url_ids[revisit.refers_to_url],
                Capture.captured_at == revisit.refers_to_date,
            )
            original = connection.execute(query.limit(1)).first()
    if original is None:
        return None
    rows = connection.execute(
        select(
            SelectorValue.kind,
            SelectorValue.value,
            CaptureSelector.found_in,
            SelectorValue.strength,
            SelectorValue.method,
        )
        .join(CaptureSelector, CaptureSelector.selector_id == SelectorValue.id)
        .where(CaptureSelector.capture_id == original.id)
        .order_by(SelectorValue.id)
    )
    # Gateways and redirects say how the original was reached, not what it showed: not copied.
    selectors = [
        Selector(kind, value, where, Strength(strength), method)
        for kind, value, where, strength, method in rows
        if kind not in ("gateway", "redirect")
    ]
    return Page(
        revisit.record_id,
        revisit.number,
        revisit.offset,
        revisit.url,
        revisit.captured_at,
        revisit.status or original.status,
        revisit.ip,
        original.title,
        original.html_bytes,
        [*(original.flags or []), "revisit"],
        selectors,
        chain=[revisit.url],
        page_class=original.page_class,
    )


def _stored_media(connection: Connection, revisit: Revisit) -> Media | None:
    table = MediaHash.__table__
    query = select(table).where(table.c.record_id.in_(_record_id_forms(revisit.refers_to)))
    original = connection.execute(query.limit(1)).first()
    if original is None and revisit.refers_to_url and revisit.refers_to_date:
        query = select(table).where(
            table.c.uri == revisit.refers_to_url,
            table.c.captured_at == revisit.refers_to_date,
        )
        original = connection.execute(query.limit(1)).first()
    if original is None:
        return None
    return Media(
        revisit.record_id,
        revisit.url.url,
        revisit.url.site,
        None,
        revisit.captured_at,
        original.media_type,
        original.md5,
        original.sha1,
        original.sha256,
        original.size,
        original.pdq,
        original.pdq_quality,
        original.pdq_skipped,
        [],
        original.is_favicon,
    )


# -- media -----------------------------------------------------------------------------------


def _store_media(connection: Connection, media: Sequence[Media], summary: CaptureSummary) -> None:
    if not media:
        return
    site_ids = _site_ids(connection, sorted({m.site for m in media}))
    page_urls = sorted({m.page_url for m in media if m.page_url})
    url_ids = _url_ids(connection, page_urls)
    captures = _captures_by_url(connection, [url_ids[u] for u in page_urls if u in url_ids])
    rows = []
    for item in media:
        url_id = url_ids.get(item.page_url) if item.page_url else None
        rows.append(
            {
                "record_id": item.record_id[:255],
                "capture_id": captures.get(url_id) if url_id else None,
                "url_id": url_id,
                "site_id": site_ids[item.site],
                "uri": item.uri,
                "captured_at": item.captured_at,
                "media_type": item.media_type[:100],
                "size": item.size,
                "md5": item.md5,
                "sha1": item.sha1,
                "sha256": item.sha256,
                "pdq": item.pdq,
                "pdq_quality": item.pdq_quality,
                "pdq_skipped": item.pdq_skipped,
                "is_favicon": item.is_favicon or bool(item.favicon),
                "extra": {"declared_type": item.declared_type} if item.declared_type else null(),
            }
        )
    table = MediaHash.__table__
    stmt = insert_ignore(connection, table, ["record_id"]).returning(table.c.record_id)
    new = {record_id for (record_id,) in connection.execute(stmt, rows)}
    summary.new_media += len(new)
    summary.selector_links += _favicon_selectors(
        connection,
        [m for m in media if m.favicon and m.record_id[:255] in new],
        site_ids,
        captures,
        url_ids,
    )


def _captures_by_url(connection: Connection, url_ids: list[int]) -> dict[int, int]:
    """The newest capture of each page URL: where a favicon or image was loaded from."""
    return _newest_capture(connection, Capture.final_url_id, url_ids)


def _latest_capture_by_site(connection: Connection, site_ids: list[int]) -> dict[int, int]:
    return _newest_capture(connection, Capture.site_id, site_ids)


def _newest_capture(connection: Connection, column: Any, keys: list[int]) -> dict[int, int]:
    found: dict[int, int] = {}
    for start in range(0, len(keys), 500):
        chunk = keys[start : start + 500]
        rows = connection.execute(
            select(column, func.max(Capture.id)).where(column.in_(chunk)).group_by(column)
        )
        found.update((key, capture_id) for key, capture_id in rows)
    return found


def _favicon_selectors(
    connection: Connection,
    media: list[Media],
    site_ids: dict[str, int],
    captures: dict[int, int],
    url_ids: dict[str, int],
) -> int:
    """A favicon's hashes are selectors of the site whose page loaded it (by the Referer),
    or else of the site it was served from, with that site's latest capture as evidence.

    Unless that page is not normal: a parking or error page's icon is its server's. The
    reader has already dropped them when the page was in the same file; a page stored from an
    earlier file is looked up here.
    """
    sightings = []
    latest = _latest_capture_by_site(connection, sorted({site_ids[m.site] for m in media}))
    tied = {
        captures[url_ids[m.page_url]]
        for m in media
        if m.page_class is None and m.page_url in url_ids and url_ids[m.page_url] in captures
    }
    classes = _page_classes(connection, sorted(tied))
    for item in media:
        url_id = url_ids.get(item.page_url) if item.page_url else None
        capture_id = captures.get(url_id) if url_id else latest.get(site_ids[item.site])
        if capture_id is None:
            continue
        shown = item.favicon
        if item.page_class is None and url_id is not None:
            page_class = classes.get(capture_id, NORMAL)
            shown = [s for s in shown if keeps_selector(page_class, s.kind)]
        if shown:
            sightings.append(_Sighting(item.site, item.captured_at, capture_id, shown))
    return _link_selectors(connection, sightings, site_ids) if sightings else 0


def _page_classes(connection: Connection, capture_ids: list[int]) -> dict[int, str]:
    found: dict[int, str] = {}
    for start in range(0, len(capture_ids), 500):
        chunk = capture_ids[start : start + 500]
        rows = connection.execute(
            select(Capture.id, Capture.page_class).where(Capture.id.in_(chunk))
        )
        found.update((capture_id, page_class) for capture_id, page_class in rows)
    return found
