"""Report feeds built to hurt: wide rows, CR line ends, runaway quotes, huge integers,
impossible dates and repeated keys. Each comes out bounded, located and explained."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path
from unittest import mock

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, select

from hotline.intake import readers
from hotline.intake.batches import MAX_BATCH_BYTES, read_batches
from hotline.intake.models import Report
from hotline.intake.readers import (
    MAX_DEPTH,
    MAX_FIELDS,
    MAX_RECORD_BYTES,
    MAX_RECORD_LINES,
    BadRecord,
    FeedReader,
    Item,
    Record,
)
from hotline.intake.records import (
    EARLIEST_REPORT,
    LATEST_REPORT,
    MAX_EXTRA_BYTES,
    ReportRow,
    RowError,
    parse_report,
)
from hotline.intake.services import ReportImporter
from hotline.quarantine import entries
from hotline.urls import DEFAULT_POLICY
from tests.helpers import ask

HEADER = b"source,source_report_id,reported_at,url,note\n"
BASE: dict[str, object] = {
    "source": "HL-A",
    "source_report_id": "a-1",
    "reported_at": "2026-01-02T03:04:05Z",
    "url": "http://shop.brand.test/item",
}


def row(n: int, note: bytes = b"", end: bytes = b"\n") -> bytes:
    return b"HL-A,r-%d,2026-01-02T00:00:00Z,http://shop.brand.test/%d,%s%s" % (n, n, note, end)


def read(tmp_path: Path, data: bytes, fmt: str = "csv") -> list[Item]:
    path = tmp_path / f"feed.{fmt}"
    path.write_bytes(data)
    return list(FeedReader(path, fmt))


def good(items: list[Item]) -> list[Record]:
    return [item for item in items if isinstance(item, Record)]


def bad(items: list[Item]) -> list[BadRecord]:
    return [item for item in items if isinstance(item, BadRecord)]


def jsonl(*objects: dict[str, object]) -> bytes:
    return b"".join(orjson.dumps(o) + b"\n" for o in objects)


# --- line ends: CR, LF and CRLF in both formats --------------------------------------------


@pytest.mark.parametrize("end", [b"\r", b"\n", b"\r\n"], ids=["cr", "lf", "crlf"])
def test_csv_rows_end_at_cr_lf_or_crlf_with_lines_and_offsets_right(
    tmp_path: Path, end: bytes
) -> None:
    rows = [row(n, end=end) for n in range(3)]
    data = HEADER.replace(b"\n", end) + rows[0] + end + rows[1] + rows[2]
    items = read(tmp_path, data)
    assert bad(items) == []
    records = good(items)
    assert [(r.line, r.offset) for r in records] == [
        (2, data.index(rows[0])),
        (4, data.index(rows[1])),
        (5, data.index(rows[2])),
    ]
    assert [r.fields["url"] for r in records] == [f"http://shop.brand.test/{n}" for n in range(3)]
    assert [r.raw for r in records] == rows


def test_a_quoted_csv_field_keeps_its_bare_cr(tmp_path: Path) -> None:
    data = HEADER.replace(b"\n", b"\r") + row(1, b'"one\rtwo\r\nthree"', b"\r") + row(2, end=b"\r")
    items = read(tmp_path, data)
    assert bad(items) == []
    first, second = good(items)
    assert first.fields["note"] == "one\rtwo\r\nthree"
    assert (first.line, second.line) == (2, 5)


@pytest.mark.parametrize("end", [b"\r", b"\r\n"], ids=["cr", "crlf"])
def test_jsonl_lines_end_at_cr_too(tmp_path: Path, end: bytes) -> None:
    data = end.join([b'{"a": "1"}', b"", b'{"b": "2"}', b"{broken", b'{"c": 3}']) + end
    items = read(tmp_path, data, "jsonl")
    assert [(type(i).__name__, i.line) for i in items] == [
        ("Record", 1),
        ("Record", 3),
        ("BadRecord", 4),
        ("Record", 5),
    ]
    assert items[3].offset == data.index(b'{"c"')


def test_an_oversize_line_ended_by_a_bare_cr_keeps_later_line_numbers(tmp_path: Path) -> None:
    huge = b"HL-A,big,2026-01-02,http://shop.brand.test/" + b"x" * (2 << 20) + b"\r"
    data = HEADER + huge + row(3, end=b"\r") + row(4)
    items = read(tmp_path, data)
    assert [(type(i).__name__, i.line) for i in items] == [
        ("BadRecord", 2),
        ("Record", 3),
        ("Record", 4),
    ]
    assert f"{len(huge):,} bytes" in bad(items)[0].reason


_TERMINATORS = st.sampled_from([b"\r", b"\n", b"\r\n"])
_CONTENT = st.binary(max_size=14).map(lambda b: b.replace(b"\r", b"a").replace(b"\n", b'"'))


def _reference_lines(data: bytes) -> list[bytes]:
    return re.findall(rb"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$", data)


@settings(max_examples=300, deadline=None)
@given(
    lines=st.lists(st.tuples(_CONTENT, _TERMINATORS), max_size=30),
    tail=_CONTENT,
    chunk=st.integers(1, 9),
    limit=st.integers(1, 12),
)
def test_physical_lines_match_universal_newlines_at_any_chunk_size(
    tmp_path_factory: pytest.TempPathFactory,
    lines: list[tuple[bytes, bytes]],
    tail: bytes,
    chunk: int,
    limit: int,
) -> None:
    data = b"".join(content + end for content, end in lines) + tail
    path = tmp_path_factory.getbasetemp() / "lines.bin"
    path.write_bytes(data)
    cursor = readers._Cursor()
    with (
        mock.patch.object(readers, "_CHUNK", chunk),
        mock.patch.object(readers, "MAX_LINE_BYTES", limit),
        path.open("rb") as handle,
    ):
        got = list(readers._physical_lines(handle, cursor))
    expected = _reference_lines(data)
    assert [line.number for line in got] == list(range(1, len(expected) + 1))
    offset = 0
    for line, raw in zip(got, expected, strict=True):
        assert line.offset == offset
        offset += len(raw)
        assert readers._size(line) == len(raw)
        assert line.oversize == (len(raw.rstrip(b"\r\n")) > limit)
        assert line.data == (b"" if line.oversize else raw)
        assert readers._odd_quotes(line) == (raw.count(b'"') % 2 == 1)
    assert (cursor.offset, cursor.lines) == (len(data), len(expected))


_NOTE = st.text(alphabet=st.sampled_from(list('ab ,"\r\n\té')), max_size=12)


def _csv_field(value: str) -> bytes:
    if value and not any(c in value for c in ',"\r\n'):
        return value.encode()
    return b'"' + value.replace('"', '""').encode() + b'"'


@settings(max_examples=200, deadline=None)
@given(rows=st.lists(st.tuples(_NOTE, _TERMINATORS), min_size=1, max_size=15), head=_TERMINATORS)
def test_csv_rows_with_any_line_ends_and_multi_line_notes_read_back_exactly(
    tmp_path_factory: pytest.TempPathFactory, rows: list[tuple[str, bytes]], head: bytes
) -> None:
    data = HEADER.replace(b"\n", head)
    starts = []
    for n, (note, end) in enumerate(rows):
        starts.append(len(data))
        data += row(n, _csv_field(note), end)
    path = tmp_path_factory.getbasetemp() / "any-ends.csv"
    path.write_bytes(data)
    items = list(FeedReader(path, "csv"))
    assert bad(items) == []
    records = good(items)
    assert [(r.fields["source_report_id"], r.fields["note"]) for r in records] == [
        (f"r-{n}", note) for n, (note, _) in enumerate(rows)
    ]
    for record, start in zip(records, starts, strict=True):
        assert record.offset == start
        assert record.line == 1 + len(re.findall(rb"\r\n|\r|\n", data[:start]))


_JSON_VALUES = st.one_of(
    st.integers(min_value=-(10**40), max_value=10**40), st.text(max_size=8), st.booleans()
)


@settings(max_examples=200, deadline=None)
@given(
    objects=st.lists(
        st.tuples(st.dictionaries(st.text(max_size=6), _JSON_VALUES, max_size=5), _TERMINATORS),
        min_size=1,
        max_size=10,
    ),
    ascii_only=st.booleans(),
)
def test_jsonl_objects_with_any_line_ends_read_back_exactly(
    tmp_path_factory: pytest.TempPathFactory,
    objects: list[tuple[dict[str, object], bytes]],
    ascii_only: bool,
) -> None:
    data = b"".join(json.dumps(o, ensure_ascii=ascii_only).encode() + end for o, end in objects)
    path = tmp_path_factory.getbasetemp() / "any-ends.jsonl"
    path.write_bytes(data)
    items = list(FeedReader(path, "jsonl"))
    for item, (value, _) in zip(items, objects, strict=True):
        names = [k.strip().lower() for k in value]
        if len(set(names)) < len(names):
            assert isinstance(item, BadRecord)
            assert item.code == "duplicate_key"
        else:
            assert isinstance(item, Record)
            assert item.fields == {k.strip().lower(): v for k, v in value.items()}
    assert [i.line for i in items] == list(range(1, len(objects) + 1))


# --- rows wider than the budget ------------------------------------------------------------


def test_a_csv_header_over_the_column_budget_refuses_the_file_in_one_entry(
    tmp_path: Path,
) -> None:
    extra = ",".join(f"x{i}" for i in range(MAX_FIELDS - 4))
    header = b"source,source_report_id,reported_at,url," + extra.encode() + b"\n"
    cells = b",v" * (MAX_FIELDS - 4)
    ok_row = row(1, end=b"")[: -len(b",")] + cells + b"\n"
    (record,) = read(tmp_path, header + ok_row)  # exactly the budget: read
    assert isinstance(record, Record)
    assert len(record.fields) == MAX_FIELDS

    wide = header.replace(b"\n", b",one_more\n")
    items = read(tmp_path, wide + ok_row.replace(b"\n", b",v\n") * 3)
    (refusal,) = items
    assert isinstance(refusal, BadRecord)
    assert (refusal.code, refusal.line) == ("bad_header", 1)
    assert f"{MAX_FIELDS + 1:,} columns" in refusal.reason


def test_a_json_object_over_the_field_budget_is_refused_and_the_next_line_read(
    tmp_path: Path,
) -> None:
    wide = {**BASE, **{f"k{i}": i for i in range(MAX_FIELDS)}}
    data = jsonl(BASE, wide, {**BASE, "source_report_id": "a-3"})
    items = read(tmp_path, data, "jsonl")
    assert [(type(i).__name__, i.line) for i in items] == [
        ("Record", 1),
        ("BadRecord", 2),
        ("Record", 3),
    ]
    (refusal,) = bad(items)
    assert refusal.code == "too_many_fields"
    assert f"{MAX_FIELDS + 4:,} fields" in refusal.reason


def test_json_nesting_over_the_budget_is_refused(tmp_path: Path) -> None:
    def nested(depth: int) -> bytes:  # the object itself is level 1
        return b'{"x": ' + b"[" * (depth - 1) + b"]" * (depth - 1) + b"}\n"

    quoted = b'{"x": "' + b"[" * 100 + b'"}\n'  # brackets inside a string do not nest
    items = read(tmp_path, nested(MAX_DEPTH) + nested(MAX_DEPTH + 1) + quoted, "jsonl")
    assert [(type(i).__name__, i.line) for i in items] == [
        ("Record", 1),
        ("BadRecord", 2),
        ("Record", 3),
    ]
    assert f"over {MAX_DEPTH} levels" in bad(items)[0].reason


def test_extra_fields_over_the_byte_budget_are_refused() -> None:
    fits = parse_report({**BASE, "remark": "r" * (MAX_EXTRA_BYTES - len('{"remark":""}'))})
    assert isinstance(fits, ReportRow)
    assert fits.extra is not None
    assert len(fits.extra.encode()) == MAX_EXTRA_BYTES
    over = parse_report({**BASE, "remark": "r" * (MAX_EXTRA_BYTES - len('{"remark":""}') + 1)})
    assert isinstance(over, RowError)
    assert over.code == "extra_too_large"
    assert f"{MAX_EXTRA_BYTES + 1:,} bytes" in over.reason
    many = parse_report({**BASE, **{f"c{i}": "é" * 40 for i in range(900)}})
    assert isinstance(many, RowError)
    assert many.code == "extra_too_large"
    assert "(900)" in many.reason


def test_batches_are_bounded_by_bytes_not_only_by_rows(tmp_path: Path) -> None:
    remark = b"n" * 60_000  # valid rows of 60 KB: a 5,000-row batch would hold 300 MB
    path = tmp_path / "long.csv"
    rows = b"".join(row(n, remark) for n in range(400))
    path.write_bytes(HEADER.replace(b"note", b"remark") + rows)
    batches = list(read_batches(path, "csv", DEFAULT_POLICY, 5000))
    assert sum(len(b.staged.reports) for b in batches if b.staged) == 400
    assert len(batches) > len(rows) // MAX_BATCH_BYTES
    for batch in batches:
        assert batch.held_bytes < MAX_BATCH_BYTES + 2 * 61_000  # one row (raw, extra) over


def test_a_wide_row_is_quarantined_with_file_line_and_reason_and_its_batch_committed(
    engine: Engine, tmp_path: Path
) -> None:
    lines: list[dict[str, object]] = [
        BASE,
        {**BASE, "source_report_id": "wide", **{f"k{i}": i for i in range(MAX_FIELDS)}},
        {**BASE, "source_report_id": "big-extra", "blob": "b" * MAX_EXTRA_BYTES},
        {**BASE, "source_report_id": "a-4"},
    ]
    path = tmp_path / "wide.jsonl"
    path.write_bytes(jsonl(*lines))
    summary = ReportImporter(engine).ingest(path)
    assert (summary.new_reports, summary.rejected) == (2, 2)
    found = sorted((e.file, e.line, e.reason_code) for e in ask(engine, entries))
    name = str(path.resolve())
    assert found == [(name, 2, "too_many_fields"), (name, 3, "extra_too_large")]
    with engine.connect() as connection:
        ids = set(connection.execute(select(Report.source_report_id)).scalars())
    assert ids == {"a-1", "a-4"}


# --- a quoted field that runs away ---------------------------------------------------------


@pytest.mark.parametrize("span", [MAX_RECORD_LINES + 1, 20_000])
def test_a_quoted_field_over_the_line_budget_is_one_entry_and_reading_resumes(
    tmp_path: Path, span: int
) -> None:
    opening = row(2, b'"the note starts')
    data = HEADER + row(1) + opening + b"and goes on\n" * span + b'to its end",\n' + row(3)
    items = read(tmp_path, data)
    (refusal,) = bad(items)
    closing = span + 4
    assert (refusal.code, refusal.line, refusal.offset) == (
        "record_too_long",
        3,
        data.index(opening),
    )
    assert f"to line {closing:,}" in refusal.reason
    assert f"{span + 2:,} lines" in refusal.reason
    assert refusal.raw_truncated
    assert refusal.raw.startswith(opening)
    assert len(refusal.raw) <= readers.RAW_KEPT
    assert [(r.line, r.fields["source_report_id"]) for r in good(items)] == [
        (2, "r-1"),
        (closing + 1, "r-3"),
    ]


def test_a_quoted_field_over_the_byte_budget_is_one_entry(tmp_path: Path) -> None:
    chunk = b"t" * 300_000 + b"\n"
    lines = MAX_RECORD_BYTES // len(chunk) + 2
    data = HEADER + row(1, b'"long') + chunk * lines + b'end"\n' + row(2)
    items = read(tmp_path, data)
    (refusal,) = bad(items)
    assert (refusal.code, refusal.line) == ("record_too_long", 2)
    assert f"to line {lines + 3:,}" in refusal.reason
    assert [r.line for r in good(items)] == [lines + 4]


def test_a_quoted_field_that_never_closes_is_one_entry_to_the_end_of_the_file(
    tmp_path: Path,
) -> None:
    data = HEADER + row(1) + row(2, b'"never closed') + b"more text\n" * 5000
    items = read(tmp_path, data)
    (refusal,) = bad(items)
    assert (refusal.code, refusal.line) == ("record_too_long", 3)
    assert "never closes" in refusal.reason
    assert "5,001 lines" in refusal.reason
    assert [r.line for r in good(items)] == [2]


def test_a_quoted_field_running_to_the_end_within_the_budget_is_one_entry(tmp_path: Path) -> None:
    data = HEADER + row(2, b'"never closed') + b"more text\n" * 20
    (refusal,) = read(tmp_path, data)
    assert isinstance(refusal, BadRecord)
    assert (refusal.code, refusal.line) == ("bad_csv", 2)
    assert "never closes" in refusal.reason
    assert refusal.raw == data[len(HEADER) :]


def test_an_oversize_line_inside_a_quoted_field_counts_its_quotes(tmp_path: Path) -> None:
    # The field closes on the oversize line: reading must resume right after it.
    huge = b"x" * (2 << 20) + b'" closes here,\n'
    data = HEADER + row(1, b'"opens') + b"text\n" * 3 + huge + row(2)
    items = read(tmp_path, data)
    (refusal,) = bad(items)
    assert (refusal.code, refusal.line) == ("record_too_long", 2)
    assert [r.line for r in good(items)] == [7]


def test_a_stray_quote_before_a_multi_line_field_costs_only_its_line(tmp_path: Path) -> None:
    stray = row(1, b'"stray')
    multi = row(7, b'"a note\nover two lines"')
    data = HEADER + stray + b"".join(row(n) for n in range(2, 7)) + multi + row(8)
    items = read(tmp_path, data)
    (refusal,) = bad(items)
    assert (refusal.code, refusal.line, refusal.raw) == ("bad_csv", 2, stray)
    assert [r.fields["source_report_id"] for r in good(items)] == [f"r-{n}" for n in range(2, 9)]
    assert good(items)[-1].line == 10


@settings(max_examples=25, deadline=None)
@given(span=st.integers(1, 3 * MAX_RECORD_LINES), closes=st.booleans())
def test_a_runaway_field_is_never_more_than_one_entry(
    tmp_path_factory: pytest.TempPathFactory, span: int, closes: bool
) -> None:
    path = tmp_path_factory.getbasetemp() / "runaway.csv"
    body = row(1, b'"opens') + b"text of the note\n" * span
    path.write_bytes(HEADER + body + (b'closes"\n' + row(2) if closes else b""))
    items = list(FeedReader(path, "csv"))
    if closes and span + 2 <= MAX_RECORD_LINES:  # within the budget: a long note, read
        assert bad(items) == []
        assert [r.line for r in good(items)] == [2, span + 4]
        return
    assert [(r.line, r.code) for r in bad(items)] == [
        (2, "record_too_long" if span + 1 >= MAX_RECORD_LINES else "bad_csv")
    ]
    assert [r.line for r in good(items)] == ([span + 4] if closes else [])


def test_a_runaway_field_is_one_quarantine_entry_on_both_engines(
    engine: Engine, tmp_path: Path
) -> None:
    path = tmp_path / "runaway.csv"
    path.write_bytes(HEADER + row(1, b'"opens') + b"note text\n" * 50_000 + b'ends"\n' + row(2))
    summary = ReportImporter(engine).ingest(path)
    assert (summary.new_reports, summary.rejected) == (1, 1)
    (entry,) = ask(engine, entries)
    assert (entry.line, entry.reason_code, entry.raw_truncated) == (2, "record_too_long", True)
    assert "to line 50,003" in entry.reason


# --- integers of any size stay exact --------------------------------------------------------

BIG = [2**53 + 1, 2**63 + 1, 2**64 + 1, 10**30 + 7, -(2**70) - 3]


def test_big_json_integers_are_read_exactly(tmp_path: Path) -> None:
    data = b'{"n": [' + b",".join(str(n).encode() for n in BIG) + b"]}\n"
    (record,) = read(tmp_path, data, "jsonl")
    assert isinstance(record, Record)
    assert record.fields["n"] == BIG


@given(number=st.integers(min_value=-(10**250), max_value=10**250))
def test_an_integer_report_id_of_any_size_is_taken_as_its_digits(number: int) -> None:
    parsed = parse_report({**BASE, "source_report_id": number})
    assert isinstance(parsed, ReportRow), parsed
    assert parsed.source_report_id == str(number)


def test_big_integers_survive_the_store_exactly(engine: Engine, tmp_path: Path) -> None:
    lines = [
        {**BASE, "source_report_id": 123456789012345678901234567890, "big": BIG},
        {**BASE, "source_report_id": 123456789012345678901234567891, "one": 2**64 + 1},
    ]
    path = tmp_path / "big.jsonl"
    path.write_bytes(b"".join(json.dumps(line).encode() + b"\n" for line in lines))
    summary = ReportImporter(engine).ingest(path)
    assert (summary.new_reports, summary.rejected) == (2, 0)
    with engine.connect() as connection:
        rows = connection.execute(select(Report.source_report_id, Report.extra))
        stored = {report_id: extra for report_id, extra in rows}
    assert stored == {
        "123456789012345678901234567890": {"big": BIG},
        "123456789012345678901234567891": {"one": 2**64 + 1},
    }


def test_a_float_id_is_still_refused(tmp_path: Path) -> None:
    (record,) = good(read(tmp_path, jsonl({**BASE, "source_report_id": 1.5e20}), "jsonl"))
    parsed = parse_report(record.fields)
    assert isinstance(parsed, RowError)
    assert "float" in parsed.reason


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        (b'{"x": NaN}', "NaN"),
        (b'{"x": -Infinity}', "Infinity"),
        (b'{"x": 1e400}', "out of range"),
        (b'{"x": "\\ud800 alone"}', "surrogate"),
        (b'{"x": ' + b"9" * 5000 + b"}", "over 4,300 digits"),
    ],
)
def test_json_numbers_and_strings_json_has_no_room_for_are_refused(
    tmp_path: Path, line: bytes, reason: str
) -> None:
    (refusal,) = read(tmp_path, line + b"\n", "jsonl")
    assert isinstance(refusal, BadRecord)
    assert refusal.code == "bad_json"
    assert reason in refusal.reason


def test_paired_surrogate_escapes_are_text(tmp_path: Path) -> None:
    (record,) = read(tmp_path, b'{"note": "smile \\ud83d\\ude00"}\n', "jsonl")
    assert isinstance(record, Record)
    assert record.fields["note"] == "smile \U0001f600"


# --- report times in a plausible range -----------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "0001-01-01",
        "0001-01-01T00:30:00+01:00",
        "1989-12-31T23:59:59Z",
        "1990-01-01T00:30:00+01:00",  # 1989 in UTC
        "2100-01-01T00:00:00Z",
        "2099-12-31T23:30:00-01:00",  # 2100 in UTC
        "9999-12-31",
        "9999-12-31T23:30:00-01:00",
    ],
)
def test_report_times_outside_1990_to_2099_are_refused(text: str) -> None:
    error = parse_report({**BASE, "reported_at": text})
    assert isinstance(error, RowError)
    assert error.code == "bad_timestamp"
    assert "1990-01-01 to 2099-12-31" in error.reason


@pytest.mark.parametrize(
    "text", ["1990-01-01T00:00:00Z", "1990-01-01", "2099-12-31T23:59:59.999999Z"]
)
def test_report_times_at_the_edges_of_the_range_are_accepted(text: str) -> None:
    assert isinstance(parse_report({**BASE, "reported_at": text}), ReportRow)


@given(
    when=st.datetimes(
        min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30), timezones=st.just(UTC)
    )
)
def test_a_report_time_is_accepted_exactly_when_it_is_in_range(when: datetime) -> None:
    parsed = parse_report({**BASE, "reported_at": when.isoformat()})
    inside = EARLIEST_REPORT <= when < LATEST_REPORT
    assert isinstance(parsed, ReportRow) == inside
    if inside:
        assert isinstance(parsed, ReportRow)
        assert parsed.reported_at == when
    else:
        assert isinstance(parsed, RowError)
        assert parsed.code == "bad_timestamp"


# --- repeated JSON keys ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "named"),
    [
        (b'{"url": "http://a.test/", "url": "http://b.test/"}', "'url' appears twice"),
        (b'{"meta": {"k": 1, "k": 2}}', "'k' appears twice"),
        (b'{"list": [{"k": 1}, {"k": 1, "k": 1}]}', "'k' appears twice"),
        (b'{"URL": "http://a.test/", " url": "http://b.test/"}', "'URL' and ' url'"),
    ],
    ids=["top level", "nested", "in a list", "same field by case"],
)
def test_an_object_with_a_repeated_key_is_refused_naming_the_key(
    tmp_path: Path, line: bytes, named: str
) -> None:
    items = read(tmp_path, line + b"\n" + jsonl(BASE), "jsonl")
    assert [(type(i).__name__, i.line) for i in items] == [("BadRecord", 1), ("Record", 2)]
    (refusal,) = bad(items)
    assert refusal.code == "duplicate_key"
    assert named in refusal.reason
    assert refusal.raw == line + b"\n"


@given(
    keys=st.lists(st.text(max_size=4), min_size=1, max_size=8),
    values=st.lists(st.integers(), min_size=8, max_size=8),
)
def test_a_key_is_refused_exactly_when_it_repeats(keys: list[str], values: list[int]) -> None:
    body = ", ".join(f"{json.dumps(k)}: {v}" for k, v in zip(keys, values, strict=False))
    line = readers._Line(1, 0, ("{" + body + "}\n").encode())
    item = readers._parse_json(line, line.data, line.data.decode())
    names = [k.strip().lower() for k in keys]
    if len(set(names)) < len(names):
        assert isinstance(item, BadRecord)
        assert item.code == "duplicate_key"
    else:
        assert isinstance(item, Record)
        assert item.fields == dict(zip(names, values, strict=False))


def test_a_repeated_key_is_one_quarantine_entry_and_the_rest_goes_in(
    engine: Engine, tmp_path: Path
) -> None:
    path = tmp_path / "dup.jsonl"
    repeated = (
        b'{"source": "HL-A", "source_report_id": "a-2", "reported_at": "2026-01-02",'
        b' "url": "http://a.brand.test/", "url": "http://b.brand.test/"}\n'
    )
    path.write_bytes(jsonl(BASE) + repeated)
    summary = ReportImporter(engine).ingest(path)
    assert (summary.new_reports, summary.rejected) == (1, 1)
    (entry,) = ask(engine, entries)
    assert (entry.line, entry.reason_code, entry.raw) == (2, "duplicate_key", repeated)
    assert "'url'" in entry.reason


# --- NUL in extra fields, as JSON writes it -------------------------------------------------


def test_a_nul_in_an_extra_field_is_refused_but_a_backslash_u_text_is_not() -> None:
    nul = parse_report({**BASE, "meta": {"k": "a\x00b"}})
    assert isinstance(nul, RowError)
    assert "NUL" in nul.reason
    text = parse_report({**BASE, "meta": "C:\\u0000 is text"})
    assert isinstance(text, ReportRow)
    assert text.extra is not None
    assert json.loads(text.extra) == {"meta": "C:\\u0000 is text"}
