"""Feed readers on hostile input: never raise, say where and why, keep line numbers right."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hotline.intake.readers import MAX_LINE_BYTES, BadRecord, FeedReader, Item, Record

HEADER = b"source,source_report_id,reported_at,url\n"
ROW_A = b"HL-A,a-1,2026-01-02T03:04:05Z,http://shop.brand.test/a\n"
ROW_B = b"HL-B,b-1,2026-01-03T00:00:00Z,https://gallery.example/b?id=2\n"
BOM = b"\xef\xbb\xbf"


def read(tmp_path: Path, data: bytes, fmt: str = "csv") -> list[Item]:
    path = tmp_path / f"feed.{fmt}"
    path.write_bytes(data)
    return list(FeedReader(path, fmt))


def records(items: list[Item]) -> list[Record]:
    return [item for item in items if isinstance(item, Record)]


def bad(items: list[Item]) -> list[BadRecord]:
    return [item for item in items if isinstance(item, BadRecord)]


def line_count(data: bytes) -> int:
    """Lines as CR, LF and CRLF end them."""
    ends = len(re.findall(rb"\r\n|\r|\n", data))
    return ends + (1 if data and not data.endswith((b"\r", b"\n")) else 0)


# --- file-level problems --------------------------------------------------------------------


def test_empty_csv_file_is_one_file_level_refusal(tmp_path: Path) -> None:
    items = read(tmp_path, b"")
    assert len(items) == 1
    item = items[0]
    assert isinstance(item, BadRecord)
    assert item.code == "empty_file"
    assert (item.line, item.offset, item.raw) == (0, 0, b"")


def test_empty_jsonl_file_is_refused_like_an_empty_csv(tmp_path: Path) -> None:
    # A zero-byte feed is most likely a failed export: say so, as for CSV.
    [item] = read(tmp_path, b"", "jsonl")
    assert isinstance(item, BadRecord)
    assert (item.code, item.line) == ("empty_file", 0)


def test_a_jsonl_file_of_blank_lines_has_no_records_and_no_refusal(tmp_path: Path) -> None:
    assert read(tmp_path, b"\n\n  \n", "jsonl") == []


@pytest.mark.parametrize(
    "data",
    [HEADER, HEADER.rstrip(b"\n"), HEADER.replace(b"\n", b"\r\n"), BOM + HEADER],
    ids=["lf", "no-final-newline", "crlf", "bom"],
)
def test_header_only_yields_nothing(tmp_path: Path, data: bytes) -> None:
    assert read(tmp_path, data) == []


def test_missing_required_columns_refuses_the_file_without_reading_rows(tmp_path: Path) -> None:
    data = b"source,reported_at,link\n" + b"HL-A,2026-01-01,http://shop.brand.test/\n" * 3
    items = read(tmp_path, data)
    assert len(items) == 1
    item = items[0]
    assert isinstance(item, BadRecord)
    assert (item.code, item.line, item.offset) == ("bad_header", 1, 0)
    assert "source_report_id" in item.reason
    assert "url" in item.reason
    assert "link" in item.reason  # what was found is named too
    assert item.raw == b"source,reported_at,link\n"


@pytest.mark.parametrize(
    ("header", "name"),
    [
        (b"source,source_report_id,reported_at,url,note,note\n", "note"),
        (b"source,source_report_id,reported_at,url,URL\n", "url"),  # names compare lowercased
        (b"source, Source ,source_report_id,reported_at,url\n", "source"),
    ],
)
def test_duplicated_header_names_refuse_the_file(tmp_path: Path, header: bytes, name: str) -> None:
    items = read(tmp_path, header + ROW_A)
    assert len(items) == 1
    item = items[0]
    assert isinstance(item, BadRecord)
    assert item.code == "bad_header"
    assert f"'{name}' appears twice" in item.reason


def test_blank_header_row_is_refused(tmp_path: Path) -> None:
    items = read(tmp_path, b"\n" + HEADER + ROW_A)
    assert [(i.code, i.line) for i in bad(items)] == [("bad_header", 1)]
    assert records(items) == []


def test_header_names_are_trimmed_and_lowercased(tmp_path: Path) -> None:
    items = read(
        tmp_path, b" Source ,SOURCE_REPORT_ID,Reported_At, URL ,Channel\n" + ROW_A[:-1] + b",web\n"
    )
    (record,) = records(items)
    assert record.fields == {
        "source": "HL-A",
        "source_report_id": "a-1",
        "reported_at": "2026-01-02T03:04:05Z",
        "url": "http://shop.brand.test/a",
        "channel": "web",
    }


def test_non_utf8_header_is_refused(tmp_path: Path) -> None:
    items = read(tmp_path, b"source,sou\xffrce_report_id,reported_at,url\n" + ROW_A)
    assert len(items) == 1
    item = items[0]
    assert isinstance(item, BadRecord)
    assert (item.code, item.line) == ("bad_header", 1)  # a file-level problem, not a row
    assert "0xFF" in item.reason
    assert "column 11" in item.reason


def test_oversize_header_is_refused(tmp_path: Path) -> None:
    data = b"source,source_report_id,reported_at,url," + b"x" * (2 << 20) + b"\n" + ROW_A
    items = read(tmp_path, data)
    assert len(items) == 1
    item = items[0]
    assert isinstance(item, BadRecord)
    assert (item.code, item.line, item.raw, item.raw_truncated) == ("bad_header", 1, b"", True)


# --- encodings and line endings ------------------------------------------------------------


def test_bom_before_csv_header_is_ignored(tmp_path: Path) -> None:
    (record,) = records(read(tmp_path, BOM + HEADER + ROW_A))
    assert set(record.fields) == {"source", "source_report_id", "reported_at", "url"}
    assert record.fields["source"] == "HL-A"
    assert record.line == 2


def test_bom_before_first_jsonl_line_is_ignored(tmp_path: Path) -> None:
    data = BOM + b'{"source": "HL-A", "url": "http://shop.brand.test/"}\n{"source": "HL-B"}\n'
    items = read(tmp_path, data, "jsonl")
    assert [(type(i).__name__, i.line) for i in items] == [("Record", 1), ("Record", 2)]
    first = items[0]
    assert isinstance(first, Record)
    assert first.fields == {"source": "HL-A", "url": "http://shop.brand.test/"}


def test_bom_later_in_a_jsonl_file_is_invalid_json(tmp_path: Path) -> None:
    items = read(tmp_path, b'{"a": 1}\n' + BOM + b'{"b": 2}\n', "jsonl")
    assert [(type(i).__name__, i.line) for i in items] == [("Record", 1), ("BadRecord", 2)]
    assert bad(items)[0].code == "bad_json"


def test_crlf_line_endings(tmp_path: Path) -> None:
    data = (HEADER + ROW_A + b"\n" + ROW_B).replace(b"\n", b"\r\n")
    items = read(tmp_path, data)
    assert bad(items) == []
    first, second = records(items)
    assert first.line == 2
    assert first.fields["url"] == "http://shop.brand.test/a"  # no stray "\r"
    assert second.line == 4  # the blank line in between is counted, not read
    assert second.fields["url"] == "https://gallery.example/b?id=2"
    assert second.offset == data.index(b"HL-B")
    assert first.raw == ROW_A.replace(b"\n", b"\r\n")


def test_crlf_jsonl(tmp_path: Path) -> None:
    data = b'{"a": "1"}\r\n\r\n{"b": "2"}\r\n'
    items = read(tmp_path, data, "jsonl")
    assert [(type(i).__name__, i.line) for i in items] == [("Record", 1), ("Record", 3)]


def test_non_utf8_row_names_byte_and_column_and_later_rows_are_read(tmp_path: Path) -> None:
    bad_row = b"HL-A,a-2,2026-01-02,http://shop.brand.test/caf\xe9\n"
    data = HEADER + ROW_A + bad_row + ROW_B
    items = read(tmp_path, data)
    (refusal,) = bad(items)
    assert (refusal.code, refusal.line, refusal.offset) == ("not_utf8", 3, data.index(bad_row))
    column = bad_row.index(b"\xe9") + 1
    assert f"byte 0xE9 at column {column}" in refusal.reason
    assert refusal.raw == bad_row
    assert [r.line for r in records(items)] == [2, 4]


def test_truncated_multibyte_sequence_is_not_utf8(tmp_path: Path) -> None:
    items = read(tmp_path, b'{"note": "\xc3"}\n', "jsonl")
    (refusal,) = bad(items)
    assert refusal.code == "not_utf8"
    assert "byte 0xC3 at column 11" in refusal.reason


def test_non_utf8_header_after_bom_names_the_right_byte(tmp_path: Path) -> None:
    items = read(tmp_path, BOM + b"sou\xffrce,source_report_id,reported_at,url\n")
    (refusal,) = bad(items)
    assert refusal.code == "bad_header"
    assert "0xFF" in refusal.reason


def test_non_utf8_first_jsonl_line_after_bom_names_the_right_byte(tmp_path: Path) -> None:
    items = read(tmp_path, BOM + b'{"a": "\xff"}\n', "jsonl")
    (refusal,) = bad(items)
    assert refusal.code == "not_utf8"
    assert "0xFF" in refusal.reason


def test_nul_bytes_are_kept_in_csv_fields(tmp_path: Path) -> None:
    row = b"HL-A,a-1,2026-01-02,http://shop.brand.test/x\x00y\n"
    (record,) = records(read(tmp_path, HEADER + row))
    assert record.fields["url"] == "http://shop.brand.test/x\x00y"
    assert record.raw == row


def test_nul_bytes_in_jsonl(tmp_path: Path) -> None:
    raw_nul = b'{"note": "a\x00b"}\n'  # a raw control character inside a JSON string is invalid
    escaped = b'{"note": "a\\u0000b"}\n'
    items = read(tmp_path, raw_nul + b"\x00\n" + escaped, "jsonl")
    assert [(type(i).__name__, i.line) for i in items] == [
        ("BadRecord", 1),
        ("BadRecord", 2),
        ("Record", 3),
    ]
    assert {i.code for i in bad(items)} == {"bad_json"}
    assert records(items)[0].fields == {"note": "a\x00b"}


# --- CSV structure --------------------------------------------------------------------------


def test_quoted_multiline_field_is_one_record_numbered_by_its_first_line(tmp_path: Path) -> None:
    multi = b'HL-A,a-2,2026-01-02,http://shop.brand.test/m,"first\nsecond\r\nthird"\n'
    header = b"source,source_report_id,reported_at,url,note\n"
    last = b"HL-B,b-1,2026-01-03,http://gallery.example/,plain\n"
    data = header + multi + last
    items = read(tmp_path, data)
    assert bad(items) == []
    first, second = records(items)
    assert (first.line, first.offset) == (2, len(header))
    assert first.fields["note"] == "first\nsecond\r\nthird"
    assert first.raw == multi
    assert (second.line, second.offset) == (5, data.index(last))


def test_wrong_field_counts_are_refused_and_later_rows_read(tmp_path: Path) -> None:
    short = b"HL-A,a-2,2026-01-02\n"
    long = b"HL-A,a-3,2026-01-02,http://shop.brand.test/,surplus\n"
    data = HEADER + short + long + ROW_B
    items = read(tmp_path, data)
    refusals = bad(items)
    assert [(r.code, r.line) for r in refusals] == [("bad_csv", 2), ("bad_csv", 3)]
    assert "expected 4 fields as in the header, got 3" in refusals[0].reason
    assert "expected 4 fields as in the header, got 5" in refusals[1].reason
    assert [r.raw for r in refusals] == [short, long]
    assert [r.line for r in records(items)] == [4]


def test_stray_quote_is_refused_and_the_next_row_read(tmp_path: Path) -> None:
    broken = b'HL-A,a-2,"2026"-01-02,http://shop.brand.test/\n'
    items = read(tmp_path, HEADER + broken + ROW_B)
    (refusal,) = bad(items)
    assert (refusal.code, refusal.line, refusal.raw) == ("bad_csv", 2, broken)
    assert refusal.reason.startswith("CSV syntax:")
    assert [r.line for r in records(items)] == [3]


def test_unterminated_quote_is_refused_at_its_first_line(tmp_path: Path) -> None:
    data = HEADER + ROW_A + b'HL-A,a-2,2026-01-02,"http://shop.brand.test/\n' + ROW_B
    items = read(tmp_path, data)
    assert [r.line for r in records(items)] == [2, 4]  # the row after it is read again
    (refusal,) = bad(items)
    assert (refusal.code, refusal.line) == ("bad_csv", 3)
    assert "never closes" in refusal.reason


def test_a_stray_quote_costs_one_line_not_the_rest_of_the_file(tmp_path: Path) -> None:
    rows = [f"HL-A,r-{n},2026-01-02,http://shop.brand.test/{n}\n".encode() for n in range(3000)]
    rows[10] = b'HL-A,r-10,2026-01-02,"http://shop.brand.test/10\n'
    items = read(tmp_path, HEADER + b"".join(rows))
    (refusal,) = bad(items)
    assert (refusal.code, refusal.line, refusal.raw) == ("bad_csv", 12, rows[10])
    assert len(records(items)) == 2999


def test_blank_lines_are_skipped_and_counted(tmp_path: Path) -> None:
    items = read(tmp_path, HEADER + b"\n" + ROW_A + b"   \n\n" + ROW_B + b"\n")
    assert bad(items) == []
    assert [r.line for r in records(items)] == [3, 6]


def test_last_row_without_newline(tmp_path: Path) -> None:
    data = HEADER + ROW_A + ROW_B.rstrip(b"\n")
    _first, second = records(read(tmp_path, data))
    assert second.line == 3
    assert second.raw == ROW_B.rstrip(b"\n")


def test_undecodable_line_inside_a_quoted_field_does_not_alter_a_record(tmp_path: Path) -> None:
    header = b"source,source_report_id,reported_at,url,note\n"
    data = header + b'HL-A,a-2,2026-01-02,http://shop.brand.test/,"one\n\xff\ntwo"\n' + ROW_B
    items = read(tmp_path, data)
    for item in records(items):
        assert data[item.offset : item.offset + len(item.raw)] == item.raw


# --- oversize lines -------------------------------------------------------------------------


def test_two_megabyte_line_is_quarantined_and_later_rows_keep_their_numbers(
    tmp_path: Path,
) -> None:
    huge = b"HL-A,a-2,2026-01-02,http://shop.brand.test/" + b"x" * (2 << 20) + b"\n"
    data = HEADER + ROW_A + huge + ROW_B + ROW_A.replace(b"a-1", b"a-3")
    items = read(tmp_path, data)
    (refusal,) = bad(items)
    assert (refusal.code, refusal.line, refusal.offset) == ("line_too_long", 3, data.index(huge))
    assert (refusal.raw, refusal.raw_truncated) == (b"", True)
    assert f"{len(huge):,} bytes" in refusal.reason
    later = records(items)
    assert [(r.line, r.offset) for r in later] == [
        (2, len(HEADER)),
        (4, data.index(ROW_B)),
        (5, len(data) - len(ROW_A)),
    ]
    assert later[1].fields["source"] == "HL-B"


def test_two_megabyte_line_at_end_of_file_without_newline(tmp_path: Path) -> None:
    data = HEADER + ROW_A + b"y" * (2 << 20)
    items = read(tmp_path, data)
    assert [(type(i).__name__, i.line) for i in items] == [("Record", 2), ("BadRecord", 3)]
    assert bad(items)[0].code == "line_too_long"


def test_two_megabyte_jsonl_line(tmp_path: Path) -> None:
    huge = b'{"note": "' + b"z" * (2 << 20) + b'"}\n'
    data = b'{"a": "1"}\n' + huge + b'{"b": "2"}\n'
    path = tmp_path / "feed.jsonl"
    path.write_bytes(data)
    reader = FeedReader(path, "jsonl")
    items = list(reader)
    assert [(type(i).__name__, i.line) for i in items] == [
        ("Record", 1),
        ("BadRecord", 2),
        ("Record", 3),
    ]
    assert bad(items)[0].code == "line_too_long"
    assert items[2].offset == data.index(b'{"b"')
    assert reader.cursor.offset == len(data)  # the progress bar reaches the end


def test_line_of_exactly_the_limit_is_read(tmp_path: Path) -> None:
    prefix = b"HL-A,a-2,2026-01-02,http://shop.brand.test/"
    line = prefix + b"x" * (MAX_LINE_BYTES - len(prefix))
    assert len(line) == MAX_LINE_BYTES
    items = read(tmp_path, HEADER + line + b"\n" + ROW_B)
    assert bad(items) == []
    assert [r.line for r in records(items)] == [2, 3]


def test_line_of_exactly_the_limit_with_crlf_keeps_line_numbers(tmp_path: Path) -> None:
    prefix = b"HL-A,a-2,2026-01-02,http://shop.brand.test/"
    line = prefix + b"x" * (MAX_LINE_BYTES - len(prefix))
    data = HEADER + line + b"\r\n" + ROW_B
    items = read(tmp_path, data)
    assert [r.line for r in records(items)] == [2, 3]


# --- JSON Lines -----------------------------------------------------------------------------


def test_jsonl_invalid_json_non_objects_and_blank_lines(tmp_path: Path) -> None:
    lines = [
        b'{"source": "HL-A", "url": "http://shop.brand.test/"}',
        b"",
        b"   \t",
        b'{"source": "HL-A", "url": ',
        b"[1, 2]",
        b'"text"',
        b"42",
        b"null",
        b"{'single': 'quotes'}",
        b'{"nested": {"list": [1, 2, {"k": null}]}, "n": 1.5, "flag": true}',
    ]
    data = b"\n".join(lines) + b"\n"
    items = read(tmp_path, data, "jsonl")
    summary = [(type(i).__name__, i.line) for i in items]
    assert summary == [
        ("Record", 1),
        ("BadRecord", 4),
        ("BadRecord", 5),
        ("BadRecord", 6),
        ("BadRecord", 7),
        ("BadRecord", 8),
        ("BadRecord", 9),
        ("Record", 10),
    ]
    reasons = [i.reason for i in bad(items)]
    assert reasons[0].startswith("invalid JSON")
    assert reasons[1:5] == [
        "expected a JSON object, got list",
        "expected a JSON object, got str",
        "expected a JSON object, got int",
        "expected a JSON object, got NoneType",
    ]
    assert reasons[5].startswith("invalid JSON")
    assert {i.code for i in bad(items)} == {"bad_json"}
    starts = [sum(len(line) + 1 for line in lines[:n]) for n in range(len(lines))]
    for item in items:
        assert item.offset == starts[item.line - 1]
    last = records(items)[-1]
    assert last.fields == {"nested": {"list": [1, 2, {"k": None}]}, "n": 1.5, "flag": True}


# --- properties -----------------------------------------------------------------------------

# Bytes that make parsers work: separators, quotes, line ends, invalid UTF-8, BOM, JSON syntax.
_PIECES = st.sampled_from(
    [
        b"a",
        b"1",
        b",",
        b'"',
        b"\n",
        b"\r",
        b"\r\n",
        b"\x00",
        b"\xff",
        b"\xc3",
        b"\xa9",
        BOM,
        b"{",
        b"}",
        b"[",
        b"]",
        b":",
        b" ",
        b'"url"',
        b"http://shop.brand.test/",
    ]
)
_HOSTILE = st.one_of(st.binary(max_size=300), st.lists(_PIECES, max_size=60).map(b"".join))


def _check_items(path: Path, data: bytes, fmt: str) -> None:
    path.write_bytes(data)
    reader = FeedReader(path, fmt)
    items = list(reader)  # must not raise
    lines = line_count(data)
    for item in items:
        assert isinstance(item, Record | BadRecord)
        if isinstance(item, BadRecord) and item.code == "empty_file":
            assert data == b""
            assert item.line == 0
            continue
        assert 1 <= item.line <= lines, (item, lines)
        assert 0 <= item.offset < len(data)
    assert reader.cursor.offset == len(data)


@settings(max_examples=200, deadline=None)
@given(data=_HOSTILE)
def test_csv_reader_never_raises_and_numbers_lines_within_the_file(
    tmp_path_factory: pytest.TempPathFactory, data: bytes
) -> None:
    path = tmp_path_factory.getbasetemp() / "property.csv"
    _check_items(path, HEADER + data, "csv")


@settings(max_examples=200, deadline=None)
@given(data=_HOSTILE)
def test_jsonl_reader_never_raises_and_numbers_lines_within_the_file(
    tmp_path_factory: pytest.TempPathFactory, data: bytes
) -> None:
    path = tmp_path_factory.getbasetemp() / "property.jsonl"
    _check_items(path, data, "jsonl")


def test_a_json_array_file_is_one_clear_refusal(tmp_path: Path) -> None:
    data = b'[\n  {"source": "HL-A", "url": "http://shop.brand.test/"},\n  {"source": "HL-B"}\n]\n'
    items = read(tmp_path, data, "jsonl")
    (refusal,) = bad(items)
    assert (refusal.code, refusal.line) == ("bad_json", 1)
    assert "JSON array" in refusal.reason
    assert records(items) == []
