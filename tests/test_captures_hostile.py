"""Hostile captures found in review: each one must be refused or cleaned, never crash an
import, never leak a payload into the quarantine, never link unrelated sites."""

from __future__ import annotations

import gzip
import io
import random
import zlib
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Engine, select

from hotline.captures.extractors import default_extractors
from hotline.captures.http import _dechunk, decode_html, parse_http
from hotline.captures.models import Capture, MediaHash, SelectorValue, SiteSelector
from hotline.captures.services import CaptureImporter
from hotline.captures.warc_reader import WarcProblem, WarcRecord, read_warc
from hotline.quarantine import QuarantineEntry
from hotline.synth.images import gradient_png
from hotline.synth.warc import WarcWriter

WHEN = datetime(2026, 5, 6, 7, 8, 9, tzinfo=UTC)
JPEG = b"\xff\xd8\xff\xe0" + b"PIXELS" * 500
PAGE = b"<!DOCTYPE html><html><head><title>Quo\x1b[2J Shop</title></head><body><h1>Quo</h1>"
PAGE += b"<p>Pay 1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2</p></body></html>"


def _head(uri: str, length: int, record_id: str = "<urn:uuid:0001>", date: str = "") -> str:
    return (
        f"WARC/1.1\r\nWARC-Type: response\r\nWARC-Record-ID: {record_id}\r\n"
        f"WARC-Date: {date or '2026-05-06T07:08:09Z'}\r\nWARC-Target-URI: {uri}\r\n"
        f"Content-Length: {length}\r\n\r\n"
    )


def _record(uri: str, http: bytes, **kwargs: str) -> bytes:
    return _head(uri, len(http), **kwargs).encode() + http + b"\r\n\r\n"


def _gz(data: bytes) -> bytes:
    c = zlib.compressobj(6, zlib.DEFLATED, 31)
    return c.compress(data) + c.flush()


def _html(body: bytes = PAGE, extra: bytes = b"") -> bytes:
    return b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n" + extra + b"\r\n" + body


def _ingest(engine: Engine, path: Path) -> None:
    CaptureImporter(engine, default_extractors()).ingest(path)


def test_quarantine_keeps_no_payload_bytes(tmp_path: Path, engine: Engine) -> None:
    split = _record("https://quo.test/a.jpg", b"HTTP/1.1 200 OK\r\n\r\n" + JPEG)
    path = tmp_path / "a.warc.gz"
    # a record split over two members, JPEG bytes after the last member, and a raw JPEG
    path.write_bytes(_gz(split[:300]) + _gz(split[300:]) + JPEG)
    raw = tmp_path / "b.warc"
    raw.write_bytes(JPEG)
    _ingest(engine, path)
    _ingest(engine, raw)
    with engine.connect() as connection:
        kept = list(connection.scalars(select(QuarantineEntry.raw)))
    assert len(kept) >= 3
    assert all(b"PIXELS" not in bytes(blob) for blob in kept)
    assert all(not bytes(blob) or bytes(blob).startswith(b"WARC/1.") for blob in kept)


@pytest.mark.timeout(20)
def test_lying_chunk_sizes_and_odd_headers_never_hang_or_raise() -> None:
    assert _dechunk(b"-ff\r\n3-10\r\n-ff30x2")  # returns (the data as it was), never loops
    for block in (
        b"HTTP/1.1 \xb200 OK\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n-1\r\nx\r\n",
    ):
        try:
            parse_http(block)
        except ValueError:
            continue  # NotHttp is a ValueError: a refusal, not a crash
    for charset in (b"idna", b"punycode", b"undefined", b"\xe9", b"rot13"):
        message = parse_http(_html(b"<meta charset=" + charset + b"><html><p>x</p></html>"))
        text, _ = decode_html(message)
        assert "<html>" in text
    digits = b"WARC/1.1\r\nWARC-Type: response\r\nContent-Length: \xc2\xb2\r\n\r\nxx\r\n\r\n"
    items = list(read_warc(io.BytesIO(digits)))
    assert [type(item) for item in items] == [WarcProblem]


def test_bad_ids_dates_ips_and_locations_are_refused_or_cleaned(
    tmp_path: Path, engine: Engine
) -> None:
    path = tmp_path / "odd.warc.gz"
    records = [
        _record("https://one.test/", _html(), record_id=""),  # no id
        _record("https://two.test/", _html(), record_id="<urn:uuid:\x00nul>"),
        _record(
            "https://three.test/",
            _html(),
            record_id="<urn:uuid:3>",
            date="9999-12-31T23:59:59-23:59",
        ),
        _record(
            "https://four.test/",
            b"HTTP/1.1 302 Found\r\nLocation: http://[oops/\r\n\r\n",
            record_id="<urn:uuid:4>",
        ),
        _record("https://five.test/", _html(), record_id="<urn:uuid:5>"),
    ]
    records[4] = records[4].replace(
        b"WARC-Date:", b"WARC-IP-Address: 198.51.100.1\x00x\r\nWARC-Date:"
    )
    path.write_bytes(b"".join(_gz(r) for r in records) + b"\n")
    _ingest(engine, path)
    with engine.connect() as connection:
        codes = sorted(connection.scalars(select(QuarantineEntry.reason_code)))
        captures = list(connection.execute(select(Capture.record_id, Capture.ip, Capture.title)))
        brand = set(
            connection.scalars(
                select(SelectorValue.value).where(SelectorValue.kind == "brand_text")
            )
        )
    assert codes == ["bad_record_id", "bad_record_id", "bad_warc_date"]  # no not_gzip for "\n"
    assert [(c.record_id, c.ip) for c in captures] == [("<urn:uuid:5>", None)]
    assert "\x1b" not in captures[0].title
    assert all("\x1b" not in value for value in brand)


def test_empty_or_undecodable_media_are_not_hashed_into_false_links(
    tmp_path: Path, engine: Engine
) -> None:
    path = tmp_path / "media.warc.gz"
    with WarcWriter(path, namespace="media") as w:
        for n, site in enumerate(("one.test", "two.test")):
            w.response(
                f"https://{site}/", WHEN, 200, "OK", [("Content-Type", "text/html")], PAGE, None
            )
            w.response(
                f"https://{site}/a.png",
                WHEN,
                200,
                "OK",
                [("Content-Type", "image/png"), ("Content-Encoding", "br")],
                b"\x1b\x00junk that is neither Brotli nor an image",
                None,
            )
            w.response(
                f"https://{site}/b.png", WHEN, 200, "OK", [("Content-Type", "image/png")], b"", None
            )
            assert n < 2
    _ingest(engine, path)
    with engine.connect() as connection:
        media = list(connection.scalars(select(MediaHash.md5)))
        codes = list(connection.scalars(select(QuarantineEntry.reason_code)))
    assert media == []
    # Neither is hashed, and neither is skipped without a word: both are quarantined.
    assert sorted(codes) == ["bad_content_encoding"] * 2 + ["empty_media"] * 2


def test_a_favicon_fetched_again_does_not_count_twice(tmp_path: Path, engine: Engine) -> None:
    icon = gradient_png(random.Random(2), 16)
    first, second = tmp_path / "a.warc.gz", tmp_path / "b.warc.gz"
    with WarcWriter(first, namespace="a") as w:
        w.response(
            "https://quo.test/", WHEN, 200, "OK", [("Content-Type", "text/html")], PAGE, None
        )
        w.response(
            "https://quo.test/favicon.ico",
            WHEN,
            200,
            "OK",
            [("Content-Type", "image/png")],
            icon,
            None,
        )
    with WarcWriter(second, namespace="b") as w:
        for _ in range(2):
            w.response(
                "https://quo.test/favicon.ico",
                WHEN,
                200,
                "OK",
                [("Content-Type", "image/png")],
                icon,
                None,
            )
    _ingest(engine, first)
    _ingest(engine, second)
    with engine.connect() as connection:
        counts = list(
            connection.execute(
                select(SelectorValue.kind, SiteSelector.captures)
                .join(SiteSelector, SiteSelector.selector_id == SelectorValue.id)
                .where(SelectorValue.kind.startswith("favicon"))
            )
        )
    assert sorted(counts) == [("favicon_md5", 1), ("favicon_mmh3", 1)]


def test_a_whole_file_gzip_stream_reads_every_record_and_resynchronises() -> None:
    good = [
        _record(f"https://quo.test/{n}", _html(), record_id=f"<urn:uuid:{n}>") for n in range(300)
    ]
    bad = _head("https://quo.test/bad", 5).encode() + b"toolongbody\r\n\r\n"
    stream = gzip.compress(b"".join(good[:150]) + bad + b"".join(good[150:]))
    items = list(read_warc(io.BytesIO(stream)))
    assert sum(isinstance(i, WarcRecord) for i in items) == 300
    assert sum(isinstance(i, WarcProblem) for i in items) == 1


# -- the nesting guard: linear whatever the bytes, and not fooled by "<div/>" ---------------


@pytest.mark.timeout(20)
def test_the_nesting_guard_is_linear_on_tags_that_never_close() -> None:
    # "<a" with no ">" made the old tag regex look 4 KiB ahead from every "<"
    from hotline.captures.http import limit_nesting

    body = b"<html><body>" + b"<a" * 400_000
    assert limit_nesting(body) == (body, False)
    text = b"<p>" + b"a < b " * 200_000 + b"</p>"
    assert limit_nesting(text) == (text, False)


def test_self_closing_slashes_on_ordinary_elements_still_nest() -> None:
    from hotline.captures.http import MAX_NESTING, limit_nesting

    body = b"<html><body>" + b"<div/>" * (MAX_NESTING + 500)
    cut, too_deep = limit_nesting(body)
    assert too_deep
    assert cut.count(b"<div/>") <= MAX_NESTING
    # ... but inside SVG they close, as in the parser: thousands of <path/> are no nesting
    svg = b"<html><body><svg>" + b"<path d='M0 0'/>" * (MAX_NESTING * 3) + b"</svg></body></html>"
    assert limit_nesting(svg) == (svg, False)


def test_text_less_than_signs_do_not_hide_the_tags_after_them() -> None:
    from hotline.captures.http import MAX_NESTING, limit_nesting

    body = b"<html><body>" + b"< <div>" * (MAX_NESTING + 10)
    assert limit_nesting(body)[1]


def test_an_element_with_too_many_attributes_is_cut_before_it() -> None:
    from hotline.captures.http import MAX_ATTRIBUTES, limit_nesting

    head = b"<html><body><p>before</p>"
    body = head + b"<div " + b"a=1 " * (MAX_ATTRIBUTES + 1) + b">x</div>"
    assert limit_nesting(body) == (head, True)
    fine = head + b"<div " + b"a=1 " * 50 + b">x</div>"
    assert limit_nesting(fine) == (fine, False)


@given(
    st.lists(st.sampled_from([b"<div>", b"</div>", b"<br>", b"<div/>", b"<p>", b"x", b"<", b">"]))
)
def test_the_guard_never_cuts_a_page_within_the_limits(pieces: list[bytes]) -> None:
    from hotline.captures.http import limit_nesting

    body = b"".join(pieces)
    cut, too_deep = limit_nesting(body)
    assert not too_deep  # a few hundred pieces can never pass 2,000 levels
    assert cut == body


def test_a_body_in_millions_of_tiny_chunks_is_refused_not_looped_over() -> None:
    from hotline.captures.http import MAX_CHUNKS

    head = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nTransfer-Encoding: chunked\r\n\r\n"
    message = parse_http(head + b"1\r\nx\r\n" * (MAX_CHUNKS + 1) + b"0\r\n\r\n")
    assert message.problem is not None
    assert "chunks" in message.problem
    assert message.body == b""
    fine = parse_http(head + b"1\r\nx\r\n" * 1000 + b"0\r\n\r\n")
    assert fine.problem is None
    assert fine.body == b"x" * 1000


def test_a_medium_inflating_past_the_limit_is_refused_not_hashed_in_part(
    tmp_path: Path, engine: Engine
) -> None:
    from hotline.captures.http import MAX_DECODED_BYTES

    bomb = _gz(b"\x89PNG\r\n\x1a\n" + b"\x00" * (MAX_DECODED_BYTES + 1024))
    path = tmp_path / "bomb.warc.gz"
    with WarcWriter(path, namespace="media-bomb") as w:
        w.response(
            "https://quobble.test/big.png",
            WHEN,
            200,
            "OK",
            [("Content-Type", "image/png"), ("Content-Encoding", "gzip")],
            bomb,
            None,
        )
    _ingest(engine, path)
    with engine.connect() as connection:
        media = list(connection.scalars(select(MediaHash.sha256)))
        codes = list(connection.scalars(select(QuarantineEntry.reason_code)))
    assert media == []
    assert codes == ["body_too_large"]


def test_a_huge_image_is_hashed_reduced_and_close_to_its_full_size_hash() -> None:
    import numpy as np
    import pdqhash
    from PIL import Image

    from hotline.captures.media import PDQ_FULL_PIXELS, hash_media

    rng = np.random.default_rng(7)
    field = (rng.random((45, 60, 3)) * 255).astype("uint8")
    image = Image.fromarray(field).resize((2400, 1800), Image.Resampling.BICUBIC)
    assert image.size[0] * image.size[1] > PDQ_FULL_PIXELS
    out = io.BytesIO()
    image.save(out, "PNG")
    bits, _ = pdqhash.compute(np.asarray(image))
    full = np.packbits(np.asarray(bits, dtype=np.uint8)).tobytes().hex()
    reduced = hash_media(out.getvalue(), "image/png").pdq
    assert reduced is not None
    assert bin(int(full, 16) ^ int(reduced, 16)).count("1") <= 10


def test_a_page_flooded_with_addresses_keeps_a_bounded_number_of_selectors(
    tmp_path: Path,
) -> None:
    from hotline.captures.pages import MAX_SELECTORS_PER_PAGE, read_capture_file

    links = b"".join(
        b'<a href="mailto:desk%d@quobble.test">write</a>' % n
        for n in range(MAX_SELECTORS_PER_PAGE + 500)
    )
    page = b"<html><head><title>Quobble</title></head><body>" + links + b"</body></html>"
    path = tmp_path / "flood.warc.gz"
    with WarcWriter(path, namespace="flood") as w:
        w.response("https://quobble.test/", WHEN, 200, "OK", [("Content-Type", "text/html")], page)
    (found,) = read_capture_file(path, default_extractors()).pages
    assert len(found.selectors) == MAX_SELECTORS_PER_PAGE
    assert "selectors_cut" in found.flags


def test_a_page_of_one_link_repeated_keeps_its_evidence_and_loses_the_copies(
    tmp_path: Path,
) -> None:
    from hotline.captures.http import MAX_REPEATS
    from hotline.captures.pages import read_capture_file

    same = b'<a href="mailto:desk@quobble.test">write</a>'
    other = b'<a href="mailto:sales@quobble.test">buy</a>'
    page = (
        b"<html><head><title>Quobble</title></head><body>"
        + same * 20_000
        + other
        + same * 3
        + b"</body></html>"
    )
    path = tmp_path / "repeats.warc.gz"
    with WarcWriter(path, namespace="repeats") as w:
        w.response("https://quobble.test/", WHEN, 200, "OK", [("Content-Type", "text/html")], page)
    (found,) = read_capture_file(path, default_extractors()).pages
    emails = {s.value for s in found.selectors if s.kind == "email"}
    assert emails == {"desk@quobble.test", "sales@quobble.test"}
    assert "html_repeats_folded" in found.flags
    assert MAX_REPEATS < 20_000


@pytest.mark.timeout(20)
def test_folding_repeats_is_linear_on_near_repeats_and_open_tags() -> None:
    from hotline.captures.http import MAX_REPEATS, fold_repeats

    for body in (
        b"<a" * 400_000,  # tags that never close
        b"<a href=x>" * 200_000,  # elements that never end
        b"".join(b"<a href=%d>x</a>" % n for n in range(100_000)),  # no two alike
    ):
        assert fold_repeats(body) == (body, False)
    run = b"<p>x</p>" * (MAX_REPEATS + 1)
    assert fold_repeats(run) == (b"<p>x</p>" * MAX_REPEATS, True)
    assert fold_repeats(b"<p>x</p>" * MAX_REPEATS)[1] is False
