"""The WARC reader goes around broken records and says where they were and why."""

from __future__ import annotations

import gzip
import io
import zlib
from datetime import UTC, datetime
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from hotline.captures.http import NotHttp, decode_html, parse_http
from hotline.captures.warc_reader import WarcProblem, WarcRecord, read_warc
from hotline.synth.warc import WarcWriter

WHEN = datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC)
HTML = b"<!DOCTYPE html><html><head><title>Shop</title></head><body><p>hi</p></body></html>"


def _good_file(path: Path, count: int = 3) -> list[str]:
    ids = []
    with WarcWriter(path, namespace="test") as writer:
        for n in range(count):
            ids.append(
                writer.response(
                    f"https://shop.zorbel.test/item/{n}",
                    WHEN,
                    200,
                    "OK",
                    [("Content-Type", "text/html")],
                    HTML,
                    "198.51.100.7",
                )
            )
    return ids


def _members(data: bytes) -> list[bytes]:
    """The gzip members of a file, compressed, in order."""
    members, rest = [], data
    while rest:
        inflater = zlib.decompressobj(31)
        inflater.decompress(rest)
        size = len(rest) - len(inflater.unused_data)
        members.append(rest[:size])
        rest = inflater.unused_data
    return members


def _read(data: bytes) -> list[WarcRecord | WarcProblem]:
    return list(read_warc(io.BytesIO(data)))


def _kinds(items: list[WarcRecord | WarcProblem]) -> list[str]:
    return [item.type if isinstance(item, WarcRecord) else f"!{item.code}" for item in items]


def test_reads_gzip_members_with_offsets(tmp_path: Path) -> None:
    path = tmp_path / "a.warc.gz"
    ids = _good_file(path)
    data = path.read_bytes()
    items = _read(data)
    assert _kinds(items) == ["response"] * 3
    offsets = [0]
    for member in _members(data)[:-1]:
        offsets.append(offsets[-1] + len(member))
    assert [r.offset for r in items] == offsets
    assert [r.record_id for r in items if isinstance(r, WarcRecord)] == ids
    assert [r.number for r in items] == [1, 2, 3]


def test_plain_warc_reads_the_same(tmp_path: Path) -> None:
    path = tmp_path / "a.warc.gz"
    _good_file(path)
    plain = gzip.decompress(path.read_bytes())
    items = _read(plain)
    assert _kinds(items) == ["response"] * 3
    assert items[1].offset == plain.index(b"WARC/1.1", 1)


def test_truncated_last_gzip_member_is_reported_and_the_rest_kept(tmp_path: Path) -> None:
    path = tmp_path / "a.warc.gz"
    _good_file(path)
    data = path.read_bytes()
    items = _read(data[:-20])
    assert _kinds(items) == ["response", "response", "!truncated_gzip"]
    problem = items[-1]
    assert isinstance(problem, WarcProblem)
    assert problem.offset == sum(len(m) for m in _members(data)[:2])
    assert "truncated" in problem.reason


def test_corrupt_member_in_the_middle_is_skipped_to_the_next(tmp_path: Path) -> None:
    path = tmp_path / "a.warc.gz"
    _good_file(path)
    members = _members(path.read_bytes())
    broken = bytearray(members[1])
    for at in range(20, min(60, len(broken) - 10)):
        broken[at] ^= 0xFF
    items = _read(members[0] + bytes(broken) + members[2])
    kinds = _kinds(items)
    assert kinds[0] == "response"
    assert kinds[-1] == "response"
    assert any(k.startswith("!") for k in kinds[1:-1])
    assert sum(1 for k in kinds if k == "response") == 2


def test_malformed_warc_header_and_wrong_content_length(tmp_path: Path) -> None:
    path = tmp_path / "a.warc.gz"
    with WarcWriter(path, namespace="test") as writer:
        writer.response(
            "https://shop.zorbel.test/",
            WHEN,
            200,
            "OK",
            [("Content-Type", "text/html")],
            HTML,
            None,
        )
        writer.raw_record([("WARC-Type", "response"), ("Content-Length", "oops")], b"x")
        writer.raw_record([("Not a header line", "")], b"")
        writer.raw_record(
            [
                ("WARC-Type", "response"),
                ("WARC-Record-ID", "<urn:uuid:1>"),
                ("Content-Length", "999"),
            ],
            b"HTTP/1.1 200 OK\r\n\r\nshort",
        )
        writer.raw_record(
            [
                ("WARC-Type", "response"),
                ("WARC-Record-ID", "<urn:uuid:2>"),
                ("Content-Length", "2"),
            ],
            b"HTTP/1.1 200 OK\r\n\r\ntoo long",
        )
        writer.response(
            "https://shop.zorbel.test/b",
            WHEN,
            200,
            "OK",
            [("Content-Type", "text/html")],
            HTML,
            None,
        )
    items = _read(path.read_bytes())
    assert _kinds(items) == [
        "response",
        "!bad_warc_header",
        "!bad_warc_header",
        "!bad_content_length",
        "!bad_content_length",
        "response",
    ]
    reasons = [item.reason for item in items if isinstance(item, WarcProblem)]
    assert "Content-Length is not a number" in reasons[0]
    assert "says 999 bytes" in reasons[2]
    # The same damage in a plain (uncompressed) file: the reader resynchronises.
    plain = gzip.decompress(path.read_bytes())
    assert _kinds(_read(plain))[0] == "response"
    assert _kinds(_read(plain))[-1] == "response"


def test_compression_bomb_member_costs_no_memory(tmp_path: Path) -> None:
    head = b"WARC/1.1\r\nWARC-Type: resource\r\nContent-Length: 300000000\r\n\r\n"
    inflater = zlib.compressobj(9, zlib.DEFLATED, 31)
    bomb = inflater.compress(head)
    zeros = b"\0" * (1 << 20)
    for _ in range(300):
        bomb += inflater.compress(zeros)
    bomb += inflater.flush()
    assert len(bomb) < 1_000_000
    path = tmp_path / "good.warc.gz"
    _good_file(path, 1)
    items = _read(bomb + path.read_bytes())
    assert _kinds(items) == ["!record_too_large", "response"]
    problem = items[0]
    assert isinstance(problem, WarcProblem)
    assert problem.head.startswith(b"WARC/1.1")
    assert len(problem.head) < 200  # the quarantine gets headers, never the block


def test_garbage_between_members_is_skipped(tmp_path: Path) -> None:
    path = tmp_path / "a.warc.gz"
    _good_file(path, 2)
    members = _members(path.read_bytes())
    items = _read(members[0] + b"not gzip at all" + members[1])
    assert _kinds(items) == ["response", "!not_gzip", "response"]


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=3000), st.booleans())
def test_reader_never_raises_on_hostile_bytes(data: bytes, gz: bool) -> None:
    blob = (b"\x1f\x8b\x08" + data) if gz else (b"WARC/1.1\r\n" + data)
    for item in read_warc(io.BytesIO(blob)):
        assert isinstance(item, WarcRecord | WarcProblem)


def test_http_parsing_and_encoded_bodies() -> None:
    body = gzip.compress(HTML)
    block = (
        b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n"
        b"Content-Encoding: gzip\r\n\r\n" + body
    )
    message = parse_http(block)
    assert message.status == 200
    assert message.body == HTML
    assert message.charset == "utf-8"
    chunked = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"
    assert parse_http(chunked).body == b"hello"
    bomb = gzip.compress(b"<html>" + b" " * 30_000_000)
    cut = parse_http(b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\n\r\n" + bomb, limit=1000)
    assert cut.body_cut
    assert len(cut.body) == 1000
    for not_http in (b"<html>no status line</html>", b"", b"FOO BAR\r\n\r\n"):
        try:
            parse_http(not_http)
        except NotHttp:
            continue
        raise AssertionError(not_http)


_HEADER_LINES = st.lists(
    st.tuples(
        st.sampled_from(["Content-Type", "Content-Encoding", "Transfer-Encoding", "Location", "X"]),
        st.text(max_size=40),
    ),
    max_size=5,
)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=12), _HEADER_LINES, st.binary(max_size=2000))
def test_http_parsing_refuses_or_decodes_but_never_raises(
    status: bytes, headers: list[tuple[str, str]], body: bytes
) -> None:
    """Hostile status lines, headers and bodies: NotHttp or a message, and decode_html works."""
    head = (
        b"HTTP/1.1 "
        + status
        + b"\r\n"
        + b"".join(
            f"{name}: {value}".encode("utf-8", "replace").replace(b"\r", b"").replace(b"\n", b"")
            + b"\r\n"
            for name, value in headers
        )
    )
    try:
        message = parse_http(head + b"\r\n" + body)
    except NotHttp:
        return
    text, flags = decode_html(message)
    assert isinstance(text, str)
    assert set(flags) <= {"html_cut", "html_repeats_folded", "html_too_deep"}
