"""Capture ingest on SQLite and PostgreSQL: selectors found, bad records quarantined, media
hashed with the bytes dropped — checked by searching the stored database for a marker."""

from __future__ import annotations

import secrets
import subprocess
import zlib
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.engine import make_url

from hotline.captures.extractors import default_extractors
from hotline.captures.extractors.payments import ProcessorTable
from hotline.captures.models import Capture, MediaHash, SelectorValue, SiteSelector
from hotline.captures.services import CaptureImporter
from hotline.intake.models import Site, Url
from hotline.quarantine import QuarantineEntry
from hotline.synth.generate import generate
from hotline.synth.images import gradient_png
from hotline.synth.warc import WarcWriter

WHEN = datetime(2026, 5, 6, 7, 8, 9, tzinfo=UTC)
PAGE = (
    b"<!DOCTYPE html><html><head><title>Vaxlum | fresh picks</title></head><body>"
    b'<div class="wrap"><header class="top"><img class="logo" src="/logo.png" alt="Vaxlum">'
    b'</header><main><h1>Vaxlum</h1><section class="grid"><div class="card"><p>Item</p></div>'
    b'<div class="card"><p>Item</p></div><div class="card"><p>Item</p></div></section>'
    b"<p>Send BTC to <code>1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2</code> or to the similar looking "
    b"1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN3 (bad checksum)</p></main></div></body></html>"
)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("world")
    generate(2013, "small", out)
    return out


def _importer(engine: Engine, world: Path | None = None) -> CaptureImporter:
    table = ProcessorTable.load(world / "processors.json" if world else None)
    return CaptureImporter(engine, default_extractors(table))


def _count(engine: Engine, model: Any) -> int:
    with engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(model)).scalar_one())


def test_demo_world_captures_yield_every_planted_payment_signal(
    world: Path, engine: Engine
) -> None:
    importer = _importer(engine, world)
    files = sorted((world / "captures").glob("*.warc.gz"))
    first = [importer.ingest(path) for path in files]
    assert sum(s.rejected for s in first) == 0
    truth = orjson.loads((world / "truth.json").read_bytes())
    with engine.connect() as connection:
        stored: dict[str, set[str]] = {}
        for kind, value in connection.execute(select(SelectorValue.kind, SelectorValue.value)):
            stored.setdefault(kind, set()).add(value)
        sites = set(connection.scalars(select(Site.key)))
        chains = connection.scalar(
            select(func.count()).select_from(Capture).where(Capture.redirect_chain.is_not(None))
        )
        ips = connection.scalar(select(func.count()).where(Capture.ip.is_not(None)))
    wallets = stored["btc_address"] | stored.get("crypto_address", set())
    assert set(truth["payment_addresses"]) <= wallets
    planted_merchants = {m for d in truth["distributors"] for m in d["merchant_ids"]}
    assert stored["merchant_id"] <= planted_merchants  # nothing invented
    assert len(stored["merchant_id"]) >= len(planted_merchants) // 2
    assert sites <= set(truth["sites"])
    assert chains
    assert chains > 0
    assert ips
    assert ips > 1000
    assert {"template", "brand_text", "favicon_md5", "analytics", "gateway"} <= stored.keys()
    # a gateway "a>b" sits on both sites; a redirect "a>b" (a sent its visitors on) on a alone
    with engine.connect() as connection:
        owners: dict[tuple[str, str], set[str]] = {}
        for kind, value, site in connection.execute(
            select(SelectorValue.kind, SelectorValue.value, Site.key)
            .join(SiteSelector, SiteSelector.selector_id == SelectorValue.id)
            .join(Site, Site.id == SiteSelector.site_id)
            .where(SelectorValue.kind.in_(("gateway", "redirect")))
        ):
            owners.setdefault((kind, value), set()).add(site)
    redirects = [value for kind, value in owners if kind == "redirect"]
    assert redirects
    for value in redirects:
        source, target = value.split(">", 1)
        assert owners[("redirect", value)] == {source}
        assert owners[("gateway", value)] == {source, target}
    counts = {
        m.__tablename__: _count(engine, m)
        for m in (Capture, SelectorValue, SiteSelector, MediaHash, Url)
    }
    # A second import of the same files adds nothing at all.
    again = [importer.ingest(path) for path in files]
    assert sum(s.new_captures for s in again) == 0
    assert counts == {
        m.__tablename__: _count(engine, m)
        for m in (Capture, SelectorValue, SiteSelector, MediaHash, Url)
    }


def _gzip(data: bytes) -> bytes:
    c = zlib.compressobj(6, zlib.DEFLATED, 31)
    return c.compress(data) + c.flush()


LYING_TYPES = [
    ("text/html", False),
    ("text/plain", False),
    ("text/css", False),
    ("application/octet-stream", False),
    (None, False),
    ("text/html", True),
]


def _hostile_warc(path: Path, marker: bytes) -> None:
    """Good records and every kind of bad one, the marker hidden in each media payload."""
    image = gradient_png(__import__("random").Random(3), 32)
    with WarcWriter(path, namespace="hostile") as w:
        html = ("text/html; charset=utf-8",)
        w.response(
            "https://vaxlum.test/",
            WHEN,
            200,
            "OK",
            [("Content-Type", html[0])],
            PAGE,
            "198.51.100.9",
        )
        # images: decodable with the marker appended, undecodable, favicon, video
        w.response(
            "https://vaxlum.test/img/1.png",
            WHEN,
            200,
            "OK",
            [("Content-Type", "image/png")],
            image + marker,
            "198.51.100.9",
        )
        w.response(
            "https://vaxlum.test/img/2.png",
            WHEN,
            200,
            "OK",
            [("Content-Type", "image/png")],
            b"\x89PNG" + marker * 4,
            "198.51.100.9",
        )
        w.response(
            "https://vaxlum.test/favicon.ico",
            WHEN,
            200,
            "OK",
            [("Content-Type", "image/png")],
            image + marker,
            "198.51.100.9",
        )
        w.response(
            "https://vaxlum.test/v/1.mp4",
            WHEN,
            200,
            "OK",
            [("Content-Type", "video/mp4")],
            b"\x00\x00\x00\x18ftypmp42" + marker,
            "198.51.100.9",
        )
        # media served as something else, or as nothing: known by its bytes, and the text
        # inside it (as in a PNG text chunk) never read as a page
        inside = b"<html><head><title>" + marker.hex().encode() + b"</title></head></html>"
        for n, (declared, encoded) in enumerate(LYING_TYPES):
            payload = image + inside
            headers = [("Content-Type", declared)] if declared else []
            if encoded:
                payload = _gzip(payload)
                headers.append(("Content-Encoding", "gzip"))
            w.response(f"https://vaxlum.test/lying/{n}", WHEN, 200, "OK", headers, payload, None)
        # a response without HTTP headers, and HTML that is not HTML
        w.raw_record(
            _head("https://vaxlum.test/raw", 40), b"just some bytes, no status line" + b" " * 9
        )
        w.response(
            "https://vaxlum.test/bin",
            WHEN,
            200,
            "OK",
            [("Content-Type", "text/html")],
            b"\x00\x01\x02" + marker,
            None,
        )
        # a compression bomb in Content-Encoding: gzip
        bomb = _gzip(b"<html><body>" + b" " * 100_000_000)
        w.response(
            "https://vaxlum.test/bomb",
            WHEN,
            200,
            "OK",
            [("Content-Type", "text/html"), ("Content-Encoding", "gzip")],
            bomb,
            None,
        )
        # HTML over 10 MB: cut and flagged, still read
        big = (
            b"<!DOCTYPE html><html><body><h1>Vaxlum</h1>"
            + b"<p>x</p>" * 1_400_000
            + b"</body></html>"
        )
        w.response(
            "https://vaxlum.test/big", WHEN, 200, "OK", [("Content-Type", "text/html")], big, None
        )
        # pathologically nested HTML
        nested = (
            b"<html><body>" + b"<div>" * 100_000 + b"deep" + b"</div>" * 100_000 + b"</body></html>"
        )
        w.response(
            "https://vaxlum.test/nested",
            WHEN,
            200,
            "OK",
            [("Content-Type", "text/html")],
            nested,
            None,
        )
        # a malformed WARC header, and a wrong Content-Length carrying the marker
        w.raw_record([("WARC-Type", "response"), ("Content-Length", "many")], b"x")
        w.raw_record(_head("https://vaxlum.test/short", 9999), b"HTTP/1.1 200 OK\r\n\r\n" + marker)
        w.response(
            "https://vaxlum.test/last", WHEN, 200, "OK", [("Content-Type", html[0])], PAGE, None
        )
    # and a truncated gzip member at the end
    data = path.read_bytes()
    tail = _gzip(b"WARC/1.1\r\nWARC-Type: response\r\nContent-Length: 100\r\n\r\n" + marker * 2)
    path.write_bytes(data + tail[: len(tail) // 2])


def _head(uri: str, length: int) -> list[tuple[str, str]]:
    return [
        ("WARC-Type", "response"),
        ("WARC-Record-ID", f"<urn:uuid:{secrets.token_hex(16)}>"),
        ("WARC-Date", "2026-05-06T07:08:09Z"),
        ("WARC-Target-URI", uri),
        ("Content-Length", str(length)),
    ]


def test_hostile_warc_goes_in_around_its_bad_records(tmp_path: Path, engine: Engine) -> None:
    marker = secrets.token_bytes(64)
    path = tmp_path / "hostile.warc.gz"
    _hostile_warc(path, marker)
    summary = _importer(engine).ingest(path)
    with engine.connect() as connection:
        codes = Counter(connection.scalars(select(QuarantineEntry.reason_code)))
        captures = {row.final_url_id: row for row in connection.execute(select(Capture))}
        urls = {url_id: url for url_id, url in connection.execute(select(Url.id, Url.canonical))}
        media = list(connection.execute(select(MediaHash)))
        btc = set(
            connection.scalars(
                select(SelectorValue.value).where(SelectorValue.kind == "btc_address")
            )
        )
        offsets = list(connection.scalars(select(QuarantineEntry.byte_offset)))
    assert codes == Counter(
        {
            "no_http_headers": 1,
            "not_html": 1,
            "body_too_large": 1,
            "bad_warc_header": 1,
            "bad_content_length": 1,
            "truncated_gzip": 1,
        }
    )
    assert summary.rejected == 6
    assert all(offset > 0 for offset in offsets)
    pages = {urls[url_id]: row for url_id, row in captures.items()}
    assert {
        "https://vaxlum.test/",
        "https://vaxlum.test/last",
        "https://vaxlum.test/big",
        "https://vaxlum.test/nested",
    } == set(pages)
    assert pages["https://vaxlum.test/big"].flags == ["html_cut", "html_repeats_folded"]
    assert pages["https://vaxlum.test/nested"].flags == ["html_too_deep"]
    assert pages["https://vaxlum.test/"].ip == "198.51.100.9"
    assert btc == {"1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2"}  # the bad-checksum twin is not one
    by_uri = {m.uri: m for m in media}
    assert by_uri["https://vaxlum.test/img/1.png"].pdq is not None
    broken = by_uri["https://vaxlum.test/img/2.png"]
    assert broken.pdq is None
    assert broken.pdq_skipped
    assert broken.sha256
    assert broken.md5
    assert by_uri["https://vaxlum.test/v/1.mp4"].pdq is None
    assert by_uri["https://vaxlum.test/favicon.ico"].is_favicon
    for n, (declared, _) in enumerate(LYING_TYPES):
        lying = by_uri[f"https://vaxlum.test/lying/{n}"]
        assert lying.media_type == "image/png"
        assert lying.pdq is not None  # hashed like any image
        assert lying.extra == {"declared_type": declared or "none"}


def _inflate_all(data: bytes) -> bytes:
    """Every gzip member inflated, up to a truncated last one."""
    out = b""
    while data:
        inflater = zlib.decompressobj(31)
        out += inflater.decompress(data)
        if not inflater.eof:
            break
        data = inflater.unused_data
    return out


def _files_under(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file()]


def test_media_bytes_are_never_stored(tmp_path: Path, db_url: str, engine: Engine) -> None:
    """Ingest media that carry a random marker, then search every stored byte for it."""
    marker = secrets.token_bytes(64)
    warc = tmp_path / "in" / "media.warc.gz"
    warc.parent.mkdir()
    _hostile_warc(warc, marker)
    _importer(engine).ingest(warc)
    assert _count(engine, MediaHash) >= 4
    assert marker in _inflate_all(warc.read_bytes())  # the search below can find it
    engine.dispose()
    needles = (marker, marker.hex().encode(), marker.hex().upper().encode())
    if db_url.startswith("sqlite"):
        database = Path(make_url(db_url).database or "")
        haystacks = [p for p in _files_under(database.parent) if p.parent != warc.parent]
    else:
        dump = tmp_path / "dump.sql"
        url = make_url(db_url)
        command = [
            "pg_dump",
            "--host",
            url.host or "127.0.0.1",
            "--port",
            str(url.port or 5432),
            "--file",
            str(dump),
            url.database or "",
        ]
        if url.username:  # otherwise the same default user as the tests' own connections
            command[1:1] = ["--username", url.username]
        subprocess.run(command, check=True, timeout=120)
        haystacks = [dump]
    assert haystacks
    for path in haystacks:
        data = path.read_bytes()
        for needle in needles:
            assert needle not in data, path
        # the gzip form would hide it from a plain search: look inside too
        if data[:2] == b"\x1f\x8b":
            assert marker not in _inflate_all(data)


def test_reading_with_a_pool_of_processes_gives_what_reading_here_gives(world: Path) -> None:
    """Large files are parsed by worker processes chunk by chunk and merged in file order:
    the result must be the same, page by page, selector by selector, hash by hash."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    from hotline.captures.pages import read_capture_file, worker_setup

    extractors = default_extractors(ProcessorTable.load(world / "processors.json"))
    (path, *_) = sorted((world / "captures").glob("*.warc.gz"))
    here = read_capture_file(path, extractors)
    with ProcessPoolExecutor(
        2,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=worker_setup,
        initargs=(extractors,),
    ) as pool:
        there = read_capture_file(path, extractors, pool=pool)
    assert len(here.pages) > 100
    assert there.pages == here.pages
    assert there.media == here.media
    assert there.refusals == here.refusals
    assert (there.records, there.ignored, there.revisits) == (
        here.records,
        here.ignored,
        here.revisits,
    )
