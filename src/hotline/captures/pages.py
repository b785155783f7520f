"""From WARC records to what the store keeps: pages with their selectors, media hashes,
redirects and Referers, and refusals — bytes dropped as soon as each record is read.

Each page is classified (``page_class``): an error, parking, suspension or challenge page
stands in for a site without being its own, so its capture is kept (the site went down) but
its selectors are not evidence; see :func:`hotline.captures.page_class.keeps_selector`.

Pure with respect to storage: this module reads one WARC file and returns plain values;
``services`` writes them. Keeping the two apart lets tests check extraction without a
database and the store without WARC files.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import re
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import Executor, Future
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO
from urllib.parse import urljoin, urlsplit

from hotline.captures.client_redirects import client_redirect
from hotline.captures.extractors import Extractor, extract_all
from hotline.captures.extractors.favicon import favicon_hashes
from hotline.captures.http import (
    MAX_DECODED_BYTES,
    HttpMessage,
    NotHttp,
    decode_html,
    looks_like_html,
    parse_http,
)
from hotline.captures.media import hash_media, sniff_media_type
from hotline.captures.page import CapturedPage, Selector, Strength
from hotline.captures.page_class import (
    NORMAL,
    OWN_PAGE_CLASSES,
    classify_page,
    keeps_selector,
)
from hotline.captures.recorders import real_referer
from hotline.captures.revisits import OriginalIndex, Revisit, normal_id
from hotline.captures.warc_reader import WarcProblem, WarcRecord, read_warc
from hotline.quarantine import Refusal
from hotline.urls import CanonicalURL, canonicalize

_EARLIEST = datetime(1990, 1, 1, tzinfo=UTC)
_LATEST = datetime(2100, 1, 1, tzinfo=UTC)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_RECORD_ID = re.compile(r"<?[\x21-\x7e]{1,253}>?")
_HTML_TYPES = ("text/html", "application/xhtml+xml")
_REFERER = re.compile(rb"\nreferer:[ \t]*([^\r\n]*)", re.IGNORECASE)
_MAX_REQUEST_HEAD = 64 * 1024
MAX_SELECTORS_PER_PAGE = 2_000  # far above any real page; beyond it the page is flagged
_STRENGTH_ORDER = {Strength.STRONG: 0, Strength.MEDIUM: 1, Strength.WEAK: 2}
_WEB_SCHEMES = ("http", "https")
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*):")
_ICON_CANDIDATE_BYTES = 64 * 1024  # images this small get favicon hashes in case a page
# names them as its icon (``<link rel="shortcut icon" href="/img/logo-32.png">``)


@dataclass(slots=True)
class Page:
    record_id: str
    number: int
    offset: int
    url: CanonicalURL
    captured_at: datetime
    status: int
    ip: str | None
    title: str | None
    html_bytes: int
    flags: list[str]
    selectors: list[Selector]
    referer: str | None = None
    chain: list[CanonicalURL] = field(default_factory=list)  # requested URL first
    page_class: str = NORMAL  # see hotline.captures.page_class
    icons: list[str] = field(default_factory=list)  # canonical URLs of <link rel=icon> hrefs
    # the canonical URL the page sends its visitor to by itself (meta refresh, a script):
    # a gateway of that URL's captures, never part of any capture's redirect chain
    sends_to: str | None = None


@dataclass(slots=True)
class Media:
    record_id: str
    uri: str
    site: str
    page_url: str | None  # the page that loaded it (from the Referer), canonical
    captured_at: datetime
    media_type: str
    md5: str
    sha1: str
    sha256: str
    size: int
    pdq: str | None
    pdq_quality: int | None
    pdq_skipped: str | None
    favicon: list[Selector]  # its selectors: none when the page that loaded it is not normal
    is_favicon: bool = False
    page_class: str | None = None  # of the page that loaded it, when that page is in the file
    icon_hashes: list[Selector] = field(default_factory=list)  # favicon selectors, should a
    # page of the file name this image as its icon
    revisit: bool = False  # a revisit record's copy of an earlier capture of the payload
    declared_type: str | None = None  # what the server said it was, when not image or video


@dataclass(slots=True)
class CaptureFile:
    pages: list[Page] = field(default_factory=list)
    media: list[Media] = field(default_factory=list)
    refusals: list[Refusal] = field(default_factory=list)
    records: int = 0
    ignored: int = 0  # records of other types (warcinfo, metadata, scripts, styles)
    not_web: int = 0  # of those, records that are not captures of a web resource (a log,
    # a manifest, DNS answers: ``metadata://``, ``urn:``, ``dns:`` targets)
    redirects: int = 0  # 3xx responses with a Location (they join redirect chains)
    revisits: int = 0  # revisit records read
    revisits_resolved: int = 0  # ... found their original in this file
    unresolved: list[Revisit] = field(default_factory=list)  # ... did not: the store looks


def read_capture_file(
    path: Path,
    extractors: dict[str, Extractor],
    progress: Callable[[int], None] | None = None,
    pool: Executor | None = None,
) -> CaptureFile:
    """Everything one WARC file says, with every byte of content already dropped.

    With a ``pool`` (processes set up by :func:`worker_setup` with the same extractors),
    records are read here and parsed there, chunk by chunk, and the results merged in file
    order: the outcome is the same as without one.
    """
    result = CaptureFile()
    state = _FileState()
    shown_file = str(path)
    with path.open("rb") as stream:
        chunks = _chunks(read_warc(stream), stream, progress)
        if pool is None:
            parts: Iterable[_Part] = (_read_records(c, shown_file, extractors) for c in chunks)
        else:
            parts = _in_pool(pool, chunks, shown_file)
        for part in parts:
            state.merge(result, part)
    _resolve_revisits(result, state.revisits, state.originals)
    _link(result, state.referers, state.referers_by_uri, state.redirects)
    return result


@dataclass(slots=True)
class _Part:
    """What a run of records said, to be merged in file order (picklable: crosses processes;
    a page or medium that is also an original is one object in both places)."""

    found: CaptureFile
    referers: dict[str, str]  # response record id → Referer
    referers_by_uri: dict[str, str]
    redirects: dict[str, str]  # canonical URL → canonical URL it redirects to
    originals: _OriginalLog
    revisits: list[Revisit]


@dataclass(slots=True)
class _FileState:
    referers: dict[str, str] = field(default_factory=dict)
    referers_by_uri: dict[str, str] = field(default_factory=dict)
    redirects: dict[str, str] = field(default_factory=dict)
    originals: OriginalIndex[Page | Media] = field(default_factory=OriginalIndex)
    revisits: list[Revisit] = field(default_factory=list)

    def merge(self, result: CaptureFile, part: _Part) -> None:
        found = part.found
        result.pages.extend(found.pages)
        result.media.extend(found.media)
        result.refusals.extend(found.refusals)
        result.records += found.records
        result.ignored += found.ignored
        result.not_web += found.not_web
        result.redirects += found.redirects
        result.revisits += found.revisits
        self.referers.update(part.referers)
        for uri, referer in part.referers_by_uri.items():
            self.referers_by_uri.setdefault(uri, referer)
        self.redirects.update(part.redirects)
        for record_id, url, when, digest, value in part.originals:
            self.originals.add(record_id, url, when, digest, value)
        self.revisits.extend(part.revisits)


class _OriginalLog(list[tuple[str, str, datetime, str | None, "Page | Media | None"]]):
    """Originals noted in a run of records, in order, for the file's index."""

    def add(
        self,
        record_id: str,
        url: str,
        when: datetime,
        digest: str | None,
        value: Page | Media | None,
    ) -> None:
        self.append((record_id, url, when, digest, value))


_CHUNK_RECORDS = 256
_CHUNK_BYTES = 8 * 1024 * 1024


def _chunks(
    items: Iterable[WarcRecord | WarcProblem],
    stream: BinaryIO,
    progress: Callable[[int], None] | None,
) -> Iterator[list[WarcRecord | WarcProblem]]:
    chunk: list[WarcRecord | WarcProblem] = []
    size = 0
    for item in items:
        if progress is not None:
            progress(stream.tell())
        chunk.append(item)
        size += len(item.block) if isinstance(item, WarcRecord) else 0
        if len(chunk) >= _CHUNK_RECORDS or size >= _CHUNK_BYTES:
            yield chunk
            chunk, size = [], 0
    if chunk:
        yield chunk


def _read_records(
    items: list[WarcRecord | WarcProblem], shown_file: str, extractors: dict[str, Extractor]
) -> _Part:
    """A run of records: pages, media, refusals, and what joins them across the file."""
    found = CaptureFile()
    part = _Part(found, {}, {}, {}, _OriginalLog(), [])
    for item in items:
        found.records += 1
        if isinstance(item, WarcProblem):
            found.refusals.append(
                Refusal.keeping(
                    "captures",
                    shown_file,
                    item.number,
                    item.offset,
                    item.code,
                    item.reason,
                    item.head,
                )
            )
            continue
        if item.type == "request":
            _note_referer(item, part.referers, part.referers_by_uri)
        elif item.type in ("response", "resource", "revisit") and not _is_web(item):
            found.ignored += 1
            found.not_web += 1
        elif item.type in ("response", "resource"):
            _read_response(item, shown_file, extractors, found, part.redirects, part.originals)
        elif item.type == "revisit":
            revisit = _read_revisit(item, shown_file, found)
            if revisit is not None:
                part.revisits.append(revisit)
        else:
            found.ignored += 1
            found.not_web += 1
    return part


# -- reading in worker processes -------------------------------------------------------------

_worker_extractors: dict[str, Extractor] = {}


def worker_setup(extractors: dict[str, Extractor]) -> None:
    """Initialiser of a pool process: the extractors it runs (sent once, not per chunk)."""
    global _worker_extractors  # one per process, set once at its start
    _worker_extractors = extractors


def _read_in_worker(items: list[WarcRecord | WarcProblem], shown_file: str) -> _Part:
    return _read_records(items, shown_file, _worker_extractors)


def _in_pool(
    pool: Executor, chunks: Iterator[list[WarcRecord | WarcProblem]], shown_file: str
) -> Iterator[_Part]:
    """Chunks parsed in the pool, yielded in file order, with a bounded number in flight
    (so a large file never sits in memory whole)."""
    pending: deque[Future[_Part]] = deque()
    limit = 2 * max(1, getattr(pool, "_max_workers", 2))
    for chunk in chunks:
        pending.append(pool.submit(_read_in_worker, chunk, shown_file))
        if len(pending) >= limit:
            yield pending.popleft().result()
    while pending:
        yield pending.popleft().result()


def _is_web(record: WarcRecord) -> bool:
    """Is the record a capture of an http(s) resource? A wget or wpull log, a crawl
    manifest (``metadata://…``, ``urn:X-wpull:log``) or a DNS answer (``dns:``) is not.
    A target that has no scheme at all is left to the URL check (and refused there)."""
    uri = record.headers.get("warc-target-uri", "").strip().strip("<>").strip()
    found = _SCHEME.match(uri)
    return found is None or found.group(1).lower() in _WEB_SCHEMES


def _note_referer(record: WarcRecord, by_id: dict[str, str], by_uri: dict[str, str]) -> None:
    # Only one header of the request matters: found in its header block, not parsed whole.
    block = record.block
    end = block.find(b"\r\n\r\n", 0, _MAX_REQUEST_HEAD)
    found = _REFERER.search(block, 0, end if end >= 0 else min(len(block), _MAX_REQUEST_HEAD))
    referer = found.group(1).strip().decode("latin-1") if found else None
    referer = real_referer(referer) if referer else None
    if not referer:
        return
    target = record.headers.get("warc-concurrent-to")
    if target:
        by_id[target] = referer
    uri = record.headers.get("warc-target-uri")
    if uri:
        by_uri.setdefault(uri, referer)


def _refuse(record: WarcRecord, file: str, code: str, reason: str) -> Refusal:
    # The parsed WARC headers only, as text: never the block (it may be media).
    head = "\r\n".join(
        f"{clean_text(k, 100)}: {clean_text(v, 1000)}" for k, v in record.headers.items()
    )
    raw = head.encode("utf-8", "replace")
    return Refusal.keeping("captures", file, record.number, record.offset, code, reason, raw)


def _record_time(record: WarcRecord, header: str = "warc-date") -> datetime | None:
    """WARC-Date as aware UTC; None if it is not ISO 8601 or not a plausible capture time
    (before the web, or far in the future: the databases' timestamp ranges differ)."""
    text = record.headers.get(header, "")
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        moment = (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)
    except (ValueError, OverflowError):
        return None
    return moment if _EARLIEST <= moment <= _LATEST else None


def clean_text(text: str, limit: int = 2000) -> str:
    """Text safe to store on both engines and to show in a terminal: no control characters
    (PostgreSQL refuses NUL; an ESC sequence would drive the analyst's terminal)."""
    return _CONTROL.sub("", text)[:limit]


def _ip(value: str | None) -> str | None:
    if not value:
        return None
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return None


def _read_response(
    record: WarcRecord,
    file: str,
    extractors: dict[str, Extractor],
    result: CaptureFile,
    redirects: dict[str, str],
    originals: _OriginalLog,
) -> None:
    """One response or resource record: a page, a medium, a redirect, or something else
    (a script, a style: counted). Every outcome is indexed for the revisits that follow."""
    checked = _checked_capture(record, file, result)
    if checked is None:
        return
    uri, canonical, when = checked
    found = _read_payload(record, file, extractors, result, redirects, uri, canonical, when)
    if isinstance(found, Page):
        result.pages.append(found)
    elif isinstance(found, Media):
        result.media.append(found)
    digest = record.headers.get("warc-payload-digest")
    originals.add(record.record_id, canonical.url, when, digest, found)


def _checked_capture(
    record: WarcRecord, file: str, result: CaptureFile
) -> tuple[str, CanonicalURL, datetime] | None:
    """The target URI as written, canonical, and the capture time of a record that is to
    become a capture; None (and a refusal) when one of them, or the record id, is unusable."""
    if not _RECORD_ID.fullmatch(record.record_id):
        result.refusals.append(
            _refuse(record, file, "bad_record_id", "WARC-Record-ID missing, too long or not text")
        )
        return None
    uri = record.headers.get("warc-target-uri", "").strip("<>")
    canonical = canonicalize(uri)
    if not isinstance(canonical, CanonicalURL):
        result.refusals.append(
            _refuse(record, file, "bad_target_uri", f"WARC-Target-URI: {canonical}")
        )
        return None
    when = _record_time(record)
    if when is None:
        result.refusals.append(
            _refuse(record, file, "bad_warc_date", "WARC-Date is not an ISO 8601 time in 1990-2100")
        )
        return None
    return uri, canonical, when


def _resource_message(record: WarcRecord) -> HttpMessage:
    """A ``resource`` record keeps the body alone; its WARC Content-Type is the body's type.
    It is read as the 200 response it stands for (wget and Webrecorder write pages so)."""
    content_type = record.headers.get("content-type", "")
    return HttpMessage(200, "", "", "", [("Content-Type", content_type)], record.block)


# what a page that redirects by itself must contain (one pass in C; most pages hold neither)
_MAY_REDIRECT = re.compile("refresh|location", re.IGNORECASE)


def _read_payload(
    record: WarcRecord,
    file: str,
    extractors: dict[str, Extractor],
    result: CaptureFile,
    redirects: dict[str, str],
    uri: str,
    canonical: CanonicalURL,
    when: datetime,
) -> Page | Media | None:
    if record.type == "resource":
        message = _resource_message(record)
    else:
        try:
            message = parse_http(record.block)
        except NotHttp as error:
            result.refusals.append(_refuse(record, file, "no_http_headers", str(error)))
            return None
    location = message.header("Location")
    if 300 <= message.status < 400 and location:
        try:
            target = canonicalize(urljoin(uri, location))
        except ValueError:  # urljoin refuses some hostile Locations ("http://[oops/")
            target = None
        if isinstance(target, CanonicalURL):
            redirects[canonical.url] = target.url
        result.ignored += 1
        result.redirects += 1
        return None
    if message.problem:
        result.refusals.append(_refuse(record, file, "bad_content_encoding", message.problem))
        return None
    content_type = message.content_type
    body = message.body
    declared_media = content_type.startswith(("image/", "video/"))
    if declared_media and not body:
        # Nothing to hash (an empty payload would tie unrelated sites): said, not skipped.
        reason = f"{content_type} payload is empty: nothing to hash"
        result.refusals.append(_refuse(record, file, "empty_media", reason))
        return None
    # Media is known by its bytes, whatever the server declared: an image sent as text/html
    # or text/plain is hashed, and no text inside it (a PNG text chunk, a JPEG comment)
    # ever becomes a title or a selector.
    sniffed = sniff_media_type(body) or _sniff_more(body)
    if (declared_media or sniffed) and message.body_cut:
        # Hashes of the first 64 MiB would pass for the whole medium's: refused instead.
        reason = (
            f"Content-Encoding {message.header('Content-Encoding')} inflates past "
            f"{MAX_DECODED_BYTES:,} bytes; the medium was not hashed"
        )
        result.refusals.append(_refuse(record, file, "body_too_large", reason))
        return None
    if declared_media or sniffed:
        shown_type = content_type if declared_media else (sniffed or "image/unknown")
        medium = _media(record, canonical, when, shown_type, body)
        if not declared_media:  # kept: a server that lies about its media is worth seeing
            medium.declared_type = clean_text(content_type or "none", 100)
        return medium
    if content_type not in _HTML_TYPES:
        result.ignored += 1
        return None
    if message.body_cut:
        result.refusals.append(
            _refuse(
                record,
                file,
                "body_too_large",
                f"Content-Encoding {message.header('Content-Encoding')} "
                f"inflates past {MAX_DECODED_BYTES:,} bytes (a compression "
                "bomb?); the page was not read",
            )
        )
        return None
    html, flags = decode_html(message)
    if not looks_like_html(html):
        result.refusals.append(
            _refuse(record, file, "not_html", "declared text/html but the body is not HTML")
        )
        return None
    if record.type == "resource":
        flags.append("resource_record")
    page = CapturedPage.parse(canonical.url, canonical.host, canonical.site, html)
    # a page that sends its visitor on by itself (meta refresh, a script setting location)
    # is a gateway of its target's captures, Referer or not
    sends_to = None
    sent_to = client_redirect(page.tree, uri) if _MAY_REDIRECT.search(html) else None
    if sent_to is not None:
        try:
            sent = canonicalize(sent_to)
        except ValueError:
            sent = None
        if isinstance(sent, CanonicalURL) and sent.url != canonical.url:
            sends_to = sent.url
    title_node = page.tree.css_first("title")
    title = clean_text(" ".join(title_node.text().split()), 500) if title_node else None
    page_class = classify_page(message.status, message.headers, title or "", page.tree)
    # A page the site does not serve itself (parking, error, challenge ...) yields nothing: its
    # values belong to whoever serves it for many sites. No need to run the extractors.
    found = extract_all(page, extractors) if page_class in OWN_PAGE_CLASSES else []
    kept = [_clean(s) for s in found if keeps_selector(page_class, s.kind)]
    if len(kept) > MAX_SELECTORS_PER_PAGE:
        # A page with tens of thousands of addresses is built to flood the store; the
        # strongest values are kept (in the order found) and the capture says it was cut.
        kept = sorted(kept, key=lambda s: _STRENGTH_ORDER[s.strength])[:MAX_SELECTORS_PER_PAGE]
        flags.append("selectors_cut")
    return Page(
        record.record_id,
        record.number,
        record.offset,
        canonical,
        when,
        message.status,
        _ip(record.headers.get("warc-ip-address")),
        title,
        len(message.body),
        flags,
        kept,
        page_class=page_class,
        icons=_icon_urls(page, uri),
        sends_to=sends_to,
    )


_SVG_START = re.compile(
    rb"\A(?:\xef\xbb\xbf)?\s*(?:<\?xml[^>]{0,200}>\s*)?(?:<!--.{0,500}?-->\s*)*"
    rb"(?:<!doctype svg[^>]{0,300}>\s*)?<svg[\s>]",
    re.IGNORECASE | re.DOTALL,
)


def _sniff_more(body: bytes) -> str | None:
    """Image formats :func:`sniff_media_type` leaves to the declared type: icons, BMP, TIFF
    and SVG (a text format, but an image: its title is not the site's)."""
    head = body[:16]
    if head.startswith(b"\x00\x00\x01\x00") and len(body) > 22:
        return "image/x-icon"
    if head.startswith((b"II*\x00", b"MM\x00*")):
        return "image/tiff"
    if head.startswith(b"BM") and head[6:10] == b"\x00\x00\x00\x00" and len(body) > 26:
        return "image/bmp"
    if _SVG_START.match(body[:1024]):
        return "image/svg+xml"
    return None


def _icon_urls(page: CapturedPage, base: str) -> list[str]:
    """Canonical URLs of the icons the page names (``rel`` holds the token ``icon``:
    ``icon``, ``shortcut icon``, ``apple-touch-icon`` does not count)."""
    found = []
    for node in page.tree.css("link[rel][href]")[:20]:
        rel = (node.attributes.get("rel") or "").lower().split()
        href = node.attributes.get("href")
        if "icon" not in rel or not href:
            continue
        try:
            target = canonicalize(urljoin(base, href.strip()))
        except ValueError:
            continue
        if isinstance(target, CanonicalURL):
            found.append(target.url)
    return found


def _read_revisit(record: WarcRecord, file: str, result: CaptureFile) -> Revisit | None:
    result.revisits += 1
    checked = _checked_capture(record, file, result)
    if checked is None:
        return None
    _, canonical, when = checked
    status: int | None = None
    content_type: str | None = None
    if record.block.strip():
        try:  # the profiles allow the HTTP headers alone (WARC-Truncated: length)
            message = parse_http(record.block, limit=0)
            status, content_type = message.status or None, message.content_type or None
        except NotHttp:
            pass
    refers_url = canonicalize(record.headers.get("warc-refers-to-target-uri", "").strip("<>"))
    refers_date = _record_time(record, "warc-refers-to-date")
    refers_to = record.headers.get("warc-refers-to")
    return Revisit(
        record.record_id,
        record.number,
        record.offset,
        canonical,
        when,
        _ip(record.headers.get("warc-ip-address")),
        status,
        content_type,
        normal_id(refers_to) if refers_to else None,
        refers_url.url if isinstance(refers_url, CanonicalURL) else None,
        refers_date,
        record.headers.get("warc-payload-digest"),
    )


def _resolve_revisits(
    result: CaptureFile, revisits: list[Revisit], originals: OriginalIndex[Page | Media]
) -> None:
    """Each revisit becomes a copy of its original at the revisit's time, URL and address;
    a revisit of a script or style is counted like one; the rest go to the store."""
    for revisit in revisits:
        original = originals.find(revisit)
        if original is None:
            if revisit.content_type and not _page_or_media_type(revisit.content_type):
                result.ignored += 1  # a revisit of a script or a style, by its own headers
            else:
                result.unresolved.append(revisit)
            continue
        result.revisits_resolved += 1
        value = original.value
        if isinstance(value, Page):
            result.pages.append(
                dataclasses.replace(
                    value,
                    record_id=revisit.record_id,
                    number=revisit.number,
                    offset=revisit.offset,
                    url=revisit.url,
                    captured_at=revisit.captured_at,
                    status=revisit.status or value.status,
                    ip=revisit.ip,
                    flags=[*value.flags, "revisit"],
                    selectors=list(value.selectors),
                    referer=None,
                    chain=[],
                )
            )
        elif isinstance(value, Media):
            result.media.append(
                dataclasses.replace(
                    value,
                    record_id=revisit.record_id,
                    uri=revisit.url.url,
                    site=revisit.url.site,
                    page_url=None,
                    captured_at=revisit.captured_at,
                    favicon=list(value.favicon),
                    page_class=None,
                    revisit=True,
                )
            )
        else:
            result.ignored += 1


def _page_or_media_type(content_type: str) -> bool:
    return content_type in _HTML_TYPES or content_type.startswith(("image/", "video/"))


def _clean(selector: Selector) -> Selector:
    value, where = clean_text(selector.value), clean_text(selector.where, 80)
    if value == selector.value and where == selector.where:
        return selector
    return dataclasses.replace(selector, value=value, where=where)


def _media(
    record: WarcRecord, url: CanonicalURL, when: datetime, media_type: str, body: bytes
) -> Media:
    hashes = hash_media(body, media_type)
    favicon = url.url.rsplit("/", 1)[-1].split("?")[0].startswith("favicon") or "icon" in media_type
    candidate = not favicon and hashes.pdq_skipped != "video" and len(body) <= _ICON_CANDIDATE_BYTES
    return Media(
        record.record_id,
        url.url,
        url.site,
        None,
        when,
        clean_text(hashes.media_type, 100),
        hashes.md5,
        hashes.sha1,
        hashes.sha256,
        hashes.size,
        hashes.pdq,
        hashes.pdq_quality,
        hashes.pdq_skipped,
        favicon_hashes(body) if favicon else [],
        favicon,
        icon_hashes=favicon_hashes(body) if candidate else [],
    )


def _link(
    result: CaptureFile,
    referers: dict[str, str],
    referers_by_uri: dict[str, str],
    redirects: dict[str, str],
) -> None:
    """Join what only the whole file tells: Referers, redirect chains, media → page (and a
    favicon loaded by a page that is not normal loses its selectors, as the page did)."""
    icons = {icon for page in result.pages for icon in page.icons}
    for media in result.media:
        if media.icon_hashes and media.uri in icons:  # named by <link rel="... icon">
            media.is_favicon, media.favicon = True, media.icon_hashes
        media.icon_hashes = []
    back: dict[str, str] = {}
    # the sites of every page that redirects to a URL, not only the first: two doorways that
    # send to one shop are both its gateways, whichever of them a capture of it came through
    into: dict[str, set[str]] = {}
    # ... and of those, the sites whose front page redirects: the whole domain is a doorway
    # (a link list's or a shortener's out-link is a page of theirs under some path)
    fronts: dict[str, set[str]] = {}
    for source, target in redirects.items():
        back.setdefault(target, source)
        found = canonicalize(source)
        if isinstance(found, CanonicalURL):
            into.setdefault(target, set()).add(found.site)
            if _is_front(found.url):
                fronts.setdefault(target, set()).add(found.site)
    for page in result.pages:
        if page.sends_to is not None:
            into.setdefault(page.sends_to, set()).add(page.url.site)
            # (a parking or suspension page that sends visitors on is its company's doing)
            if _is_front(page.url.url) and page.page_class == NORMAL:
                fronts.setdefault(page.sends_to, set()).add(page.url.site)
    for page in result.pages:
        referer = referers.get(page.record_id) or referers_by_uri.get(page.url.url)
        page.referer = clean_text(referer) if referer else None
        chain = [page.url]
        seen = {page.url.url}
        while (previous := back.get(chain[0].url)) is not None and previous not in seen:
            found = canonicalize(previous)
            if not isinstance(found, CanonicalURL):
                break
            seen.add(previous)
            chain.insert(0, found)
        page.chain = chain
        page.selectors.extend(_gateway_selectors(page, into, fronts))
    pages_by_url: dict[str, list[Page]] = {}
    for page in result.pages:
        pages_by_url.setdefault(page.url.url, []).append(page)
    for media in result.media:
        referer = referers.get(media.record_id) or referers_by_uri.get(media.uri)
        if referer:
            found = canonicalize(referer)
            if isinstance(found, CanonicalURL):
                media.page_url = found.url
                media.site = found.site
                loader = _nearest(pages_by_url.get(found.url, []), media.captured_at)
                if loader is not None:
                    media.page_class = loader.page_class
                    media.favicon = [
                        s for s in media.favicon if keeps_selector(loader.page_class, s.kind)
                    ]


def _nearest(pages: list[Page], moment: datetime) -> Page | None:
    """The capture of a page closest in time to ``moment``: the one that loaded a media file
    when a URL was captured more than once (say, up and later taken down)."""
    return min(pages, key=lambda page: abs(page.captured_at - moment), default=None)


_INDEX_PAGE = re.compile(r"/(?:index|default|home)\.[a-z0-9]{2,5}", re.IGNORECASE)


def _is_front(url: str) -> bool:
    """Is ``url`` (canonical) a site's front page: path "/" or an index file ("/index.php",
    "/default.aspx"), whatever its query?"""
    path = urlsplit(url).path
    return path in ("", "/") or _INDEX_PAGE.fullmatch(path) is not None


def _gateway_selectors(
    page: Page, into: Mapping[str, set[str]], fronts: Mapping[str, set[str]]
) -> Iterable[Selector]:
    """A redirect or Referer from another site ties the two: the same value on both sites.
    ``into``: URL → the sites of the pages that redirect to it (an HTTP 3xx, a meta refresh
    or a script); every hop of the page's chain is among them. A site whose front page
    redirected (``fronts``) also gets a ``redirect`` value: sending visitors on is what the
    domain is for, while a Referer only says a visitor came from it (a forum's link) and an
    out-link under some path is one page of a link list or a shortener."""
    sources: set[str] = set()
    redirecting: set[str] = set()
    for url in page.chain:
        sources |= into.get(url.url, set())
        redirecting |= fronts.get(url.url, set())
    if page.referer:
        found = canonicalize(page.referer)
        if isinstance(found, CanonicalURL):
            sources.add(found.site)
    for site in sorted(sources - {page.url.site}):
        value = f"{site}>{page.url.site}"
        yield Selector("gateway", value, "redirect", Strength.MEDIUM)
        if site in redirecting:
            yield Selector("redirect", value, "redirect", Strength.MEDIUM)
