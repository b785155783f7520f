"""Real WARC files from several recorders, read by hotline and by warcio (the reference).

The files in ``tests/vectors/warc`` were written by webrecorder.io/warcprox, pywb, wget,
wpull, Heritrix-style deduplicating crawls and Common Crawl's writer (see SOURCE.md there).
For each, hotline must find the same pages, redirects and media as warcio does, hash every
medium to the same SHA-256 as warcio's payload (or quarantine it with a reason), count every
revisit, and refuse nothing that is a valid record.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from warcio.archiveiterator import ArchiveIterator

from hotline.captures.extractors import default_extractors
from hotline.captures.models import Capture, CaptureSelector, MediaHash, SelectorValue
from hotline.captures.page_class import UNKNOWN
from hotline.captures.pages import read_capture_file
from hotline.captures.services import CaptureImporter
from hotline.quarantine import QuarantineEntry
from tests.helpers import run_hotline

VECTORS = Path(__file__).parent / "vectors" / "warc"
_IMAGE_MAGIC = (b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"RIFF", b"\x00\x00\x01\x00")
_HTML = ("text/html", "application/xhtml+xml")

# file → the recorder that wrote it (from its warcinfo or its origin)
RECORDERS = {
    "pywb-iana.warc.gz": "pywb live-web writer, deduplicating (chunked bodies, revisits)",
    "pywb-dupes.warc.gz": "pywb live-web writer, deduplicating",
    "pywb-example-wget-1-14.warc.gz": "wget 1.14",
    "pywb-example-wpull.warc.gz": "wpull 1.0",
    "pywb-httpbin-resource.warc.gz": "a resource record of a JSON API answer",
    "pywb-example-url-agnostic-orig.warc.gz": "ia-web-commons (Wayback)",
    "pywb-example-url-agnostic-revisit.warc.gz": "ia-web-commons (Wayback)",
    "warcio-example.warc.gz": "Webrecorder Platform 3.7",
    "warcio-example-resource.warc.gz": "Webrecorder Platform 3.8",
    "warcio-example-iana.org-chunked.warc": "webrecorder.io 2.0 / warcprox 1.4",
    "warcio-example-wget-bad-target-uri.warc.gz": "wget 1.19",
    "warcio-example-digest.warc": "Webrecorder (requests only)",
    "warcio-post-test.warc.gz": "warcio (POST captures)",
    "jwarc-cc.warc.gz": "Common Crawl",
    "jwarc-gzip_extra_sl.warc.gz": "wget 1.20 (gzip extra field)",
}


@dataclass
class Reading:
    pages: int = 0
    redirects: int = 0
    media: list[str] = field(default_factory=list)  # SHA-256 of each payload
    empty_media: int = 0
    revisits: int = 0


def warcio_reading(path: Path) -> Reading:
    """What warcio finds, sorted with hotline's own rules for what a page and a medium are."""
    found = Reading()
    with path.open("rb") as stream:
        for record in ArchiveIterator(stream):
            uri = record.rec_headers.get_header("WARC-Target-URI") or ""
            if not uri.lower().startswith(("http:", "https:")):
                continue
            if record.rec_type == "revisit":
                found.revisits += 1
                continue
            if record.rec_type not in ("response", "resource"):
                continue
            headers = record.http_headers
            if record.rec_type == "resource" or headers is None:
                content_type = record.rec_headers.get_header("Content-Type") or ""
                status = 200
            else:
                content_type = headers.get_header("Content-Type") or ""
                status = int(headers.get_statuscode() or 0)
                if 300 <= status < 400 and headers.get_header("Location"):
                    found.redirects += 1
                    continue
            content_type = content_type.split(";")[0].strip().lower()
            payload = record.content_stream().read()
            declared_media = content_type.startswith(("image/", "video/"))
            if declared_media and not payload:
                found.empty_media += 1
            elif declared_media or (
                not content_type.startswith("text/") and payload[:4].startswith(_IMAGE_MAGIC)
            ):
                found.media.append(hashlib.sha256(payload).hexdigest())
            elif content_type in _HTML:
                found.pages += 1
    return found


@pytest.mark.parametrize("name", sorted(RECORDERS))
def test_every_real_file_reads_as_warcio_reads_it(name: str) -> None:
    path = VECTORS / name
    reference = warcio_reading(path)
    content = read_capture_file(path, default_extractors())
    firsts = [p for p in content.pages if "revisit" not in p.flags]
    codes = Counter(r.code for r in content.refusals)
    # nothing valid is refused, and a medium with no payload is said, not skipped
    assert set(codes) <= {"empty_media"}, codes
    assert codes["empty_media"] == reference.empty_media
    assert len(firsts) == reference.pages
    assert content.redirects == reference.redirects
    first_media = [m.sha256 for m in content.media if not m.revisit]
    assert sorted(first_media) == sorted(reference.media)
    assert content.revisits == reference.revisits


def test_the_chunked_iana_crawl_keeps_its_pages_and_every_image() -> None:
    content = read_capture_file(VECTORS / "pywb-iana.warc.gz", default_extractors())
    firsts = [p for p in content.pages if "revisit" not in p.flags]
    assert len(firsts) == 16
    assert all(p.title for p in firsts)  # de-chunked bodies that were already de-chunked
    firsts_media = [m for m in content.media if not m.revisit]
    assert Counter(m.media_type for m in firsts_media)["image/svg+xml"] == 3
    # every revisit of an image is the image again, at the revisit's time
    again = [m for m in content.media if m.revisit]
    assert again
    assert {m.sha256 for m in again} <= {m.sha256 for m in firsts_media}
    assert content.revisits == 123
    assert content.revisits_resolved + len(content.unresolved) <= content.revisits


def test_wget_and_wpull_logs_and_manifests_are_counted_not_refused(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'h.db'}"
    for name in (
        "pywb-example-wget-1-14.warc.gz",
        "pywb-example-wpull.warc.gz",
        "warcio-example-wget-bad-target-uri.warc.gz",
    ):
        result = run_hotline(db, "ingest", "captures", str(VECTORS / name))
        assert result.returncode == 0, result.stdout + result.stderr
        content = read_capture_file(VECTORS / name, default_extractors())
        assert content.not_web >= 2  # warcinfo plus the log / manifest resources
        assert len(content.pages) == 1
    quarantine = run_hotline(db, "quarantine", "list")
    assert "bad_target_uri" not in quarantine.stdout


def test_a_resource_record_is_read_as_the_page_it_holds() -> None:
    content = read_capture_file(VECTORS / "warcio-example-resource.warc.gz", default_extractors())
    assert len(content.pages) == 1
    page = content.pages[0]
    assert page.status == 200
    assert "resource_record" in page.flags
    assert page.title  # the HTML was parsed, not refused as "no HTTP headers"


def test_a_recorders_own_referer_is_not_a_gateway() -> None:
    content = read_capture_file(VECTORS / "warcio-example.warc.gz", default_extractors())
    kinds = {s.kind for p in content.pages for s in p.selectors}
    assert "gateway" not in kinds  # webrecorder.io wraps http://example.com/ itself


def test_arc_files_get_one_line_that_says_how_to_convert() -> None:
    for name in ("warcio-example.arc", "warcio-example.arc.gz"):
        content = read_capture_file(VECTORS / name, default_extractors())
        assert [r.code for r in content.refusals] == ["arc_not_supported"]
        assert "warcio recompress" in content.refusals[0].reason


def test_records_that_end_with_too_few_line_ends_are_still_read() -> None:
    # pywb's sample writes one CRLF (or none) after some blocks, where the standard asks two
    content = read_capture_file(
        VECTORS / "pywb-example-url-agnostic-orig.warc.gz", default_extractors()
    )
    assert content.refusals == []
    assert len(content.pages) == 1


def _count(engine: Engine, query: object) -> int:
    with engine.connect() as connection:
        return int(connection.execute(query).scalar_one())  # type: ignore[call-overload]


def test_a_revisit_resolves_to_its_original_from_an_earlier_file(engine: Engine) -> None:
    importer = CaptureImporter(engine, default_extractors())
    importer.ingest(VECTORS / "pywb-example-url-agnostic-orig.warc.gz")
    summary = importer.ingest(VECTORS / "pywb-example-url-agnostic-revisit.warc.gz")
    assert summary.revisits == 1
    assert summary.revisits_without_original == 0
    with engine.connect() as connection:
        rows = connection.execute(
            select(Capture.title, Capture.page_class, Capture.flags).order_by(Capture.captured_at)
        ).all()
        shown = connection.execute(
            select(func.count()).select_from(CaptureSelector).join(Capture)
        ).scalar_one()
    assert len(rows) == 2
    original, revisit = rows
    assert revisit.title == original.title
    assert revisit.page_class == original.page_class
    assert "revisit" in revisit.flags
    # the selectors of the original count once more, for the revisit
    assert shown % 2 == 0
    assert shown > 0


def test_a_revisit_without_its_original_is_a_capture_not_nothing(engine: Engine) -> None:
    importer = CaptureImporter(engine, default_extractors())
    summary = importer.ingest(VECTORS / "pywb-example-url-agnostic-revisit.warc.gz")
    assert summary.revisits_without_original == 1
    again = importer.ingest(VECTORS / "pywb-example-url-agnostic-revisit.warc.gz")
    assert again.new_captures == 0  # a rerun adds nothing
    with engine.connect() as connection:
        (capture,) = connection.execute(select(Capture.__table__)).all()
        selectors = connection.execute(select(func.count()).select_from(SelectorValue)).scalar_one()
    assert capture.page_class == UNKNOWN
    assert capture.flags == ["revisit", "original_missing"]
    with (VECTORS / "pywb-example-url-agnostic-revisit.warc.gz").open("rb") as stream:
        (record,) = [r for r in ArchiveIterator(stream) if r.rec_type == "revisit"]
        ip = record.rec_headers.get_header("WARC-IP-Address")
        status = int(record.http_headers.get_statuscode())
    assert (capture.status, capture.ip) == (status, ip)  # time, URL, address, status kept
    assert selectors == 0


def test_the_iana_crawl_through_the_store_counts_revisits_as_captures(engine: Engine) -> None:
    importer = CaptureImporter(engine, default_extractors())
    summary = importer.ingest(VECTORS / "pywb-iana.warc.gz")
    content = read_capture_file(VECTORS / "pywb-iana.warc.gz", default_extractors())
    assert summary.new_captures == len(content.pages)
    assert summary.new_media == len(content.media)
    assert _count(engine, select(func.count()).select_from(MediaHash)) == len(content.media)
    assert _count(engine, select(func.count()).select_from(QuarantineEntry)) == 0
    rerun = importer.ingest(VECTORS / "pywb-iana.warc.gz")
    assert rerun.new_captures == 0
    assert rerun.new_media == 0
