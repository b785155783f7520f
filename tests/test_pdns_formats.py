"""Passive DNS in the layouts real exports come in, besides plain COF lines: DNSDB's
streaming API framing (SAF), a JSON array of records, and pretty-printed objects — with
errors that still name the file and the line, and a warning when a DNSDB stream is
incomplete. Storage runs on SQLite and PostgreSQL.

The SAF files are real DNSDB API lines (tests/vectors/passive-dns/dnsdb-saf-*.jsonl, see
SOURCE.md there); every synthetic record uses reserved names and documentation addresses.
"""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, select

from hotline.cli import console
from hotline.hosting import pdns_import
from hotline.hosting.models import HostingObservation
from hotline.hosting.pdns import PdnsLineError, parse_line, parse_record, saf_message
from hotline.hosting.pdns_import import PdnsImporter, PdnsSummary, layout_of, spans
from hotline.quarantine import entries
from tests.helpers import ask
from tests.test_cli import hotline, summary_value

VECTORS = Path(__file__).parent / "vectors" / "passive-dns"
SAF_FILES = ("succeeded", "limited", "failed", "truncated")


@pytest.fixture(autouse=True)
def wide_console(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(console.out, "_width", 250)
    monkeypatch.setattr(console.err, "_width", 250)


def record(name: str, address: str, first: int = 1700000000, **extra: Any) -> dict[str, Any]:
    return {"rrname": name, "rrtype": "A", "rdata": [address], "time_first": first,
            "time_last": first + 3600, **extra}  # fmt: skip


RECORDS = [
    record("www.shop.test.", "192.0.2.10", count=4),
    record("shop.test", "198.51.100.7"),
    {"rrname": "alias.shop.test", "rrtype": "CNAME", "rdata": "www.shop.test.",
     "time_first": 1700000000, "time_last": 1700000500},
    {"rrname": "shop.test", "rrtype": "MX", "rdata": ["10 mx.shop.test."],
     "time_first": 1700000000, "time_last": 1700000000},
]  # fmt: skip
EXPECTED_ROWS = {
    ("www.shop.test", "A", "192.0.2.10"),
    ("shop.test", "A", "198.51.100.7"),
    ("alias.shop.test", "CNAME", "www.shop.test"),
}


def rows(engine: Engine) -> set[tuple[str, str, str]]:
    with engine.connect() as connection:
        query = select(HostingObservation.host, HostingObservation.rrtype, HostingObservation.value)
        return {(host, rrtype, value) for host, rrtype, value in connection.execute(query)}


def ingest(engine: Engine, path: Path) -> PdnsSummary:
    return PdnsImporter(engine).ingest(path)


# --- DNSDB streaming framing: the real answers ------------------------------------------------


@pytest.mark.parametrize("kind", SAF_FILES)
def test_dnsdb_saf_answers_are_read(engine: Engine, kind: str) -> None:
    path = VECTORS / f"dnsdb-saf-{kind}.jsonl"
    lines = path.read_bytes().splitlines()
    obj = json.loads(lines[1])["obj"]  # the record, as the JSON has it

    summary = ingest(engine, path)

    assert summary.layout == "lines"
    assert summary.lines == len(lines)
    assert (summary.records, summary.rejected) == (1, 0)
    assert summary.framing == len(lines) - 1
    with engine.connect() as connection:
        (row,) = connection.execute(select(HostingObservation.__table__)).all()
    assert row.host == obj["rrname"].rstrip(".")
    assert (row.rrtype, [row.value]) == (obj["rrtype"], obj["rdata"])
    assert row.first_seen == datetime.fromtimestamp(obj["time_first"], UTC)
    assert row.last_seen == datetime.fromtimestamp(obj["time_last"], UTC)
    assert row.count == obj["count"]
    assert row.source == "pdns"


@pytest.mark.parametrize(
    ("kind", "words"),
    [
        ("succeeded", None),
        ("limited", ("line 3", "result limit", "(Query limit reached)")),
        ("failed", ("line 3", "query failed", "(Processing timeout; results may be incomplete)",
                    "incomplete")),
        ("truncated", ("line 1", 'no closing {"cond":"succeeded"} line', "cut short")),
    ],
)  # fmt: skip
def test_an_incomplete_dnsdb_stream_is_a_warning(
    engine: Engine, kind: str, words: tuple[str, ...] | None
) -> None:
    path = VECTORS / f"dnsdb-saf-{kind}.jsonl"
    summary = ingest(engine, path)
    if words is None:
        assert summary.warnings == []
        return
    (warning,) = summary.warnings
    assert warning.startswith(f"{path}: ")
    for word in words:
        assert word in warning, warning


def test_cli_reads_a_failed_dnsdb_stream_and_warns(db_url: str) -> None:
    path = VECTORS / "dnsdb-saf-failed.jsonl"
    run = hotline(db_url, "ingest", "pdns", str(path))
    assert run.code == 0, run  # every line was usable; the warning says what is missing
    assert summary_value(run.out, "records used (A, AAAA, CNAME, NS)") == 1
    assert summary_value(run.out, "DNSDB framing lines (begin, succeeded, ...)") == 2
    assert summary_value(run.out, "rejected (quarantined)") == 0
    (warning,) = [line for line in run.err.splitlines() if line.strip()]
    assert warning.startswith(f"warning: {path}: line 3: DNSDB reports the query failed")


# --- DNSDB streaming framing: every case, synthetic ------------------------------------------


def saf(*messages: dict[str, Any]) -> bytes:
    return b"".join(orjson.dumps(message) + b"\n" for message in messages)


def test_the_framing_variants(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "stream.jsonl"
    path.write_bytes(
        saf(
            {"cond": "begin"},
            {"obj": RECORDS[0]},
            {},  # a keep-alive
            {"cond": "ongoing", "obj": RECORDS[1]},
            {"obj": RECORDS[3]},  # a type hosting does not use
            {"cond": "limited", "msg": "Result limit reached", "obj": RECORDS[2]},
        )
    )
    summary = ingest(engine, path)
    assert (summary.records, summary.ignored_types, summary.rejected) == (3, 1, 0)
    assert summary.framing == 2  # begin and the keep-alive; the limited line carried a record
    assert rows(engine) == EXPECTED_ROWS
    (warning,) = summary.warnings
    assert "line 6" in warning
    assert "(Result limit reached)" in warning


def test_a_stream_cut_short_inside_a_file_of_several(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "batch.jsonl"
    path.write_bytes(
        saf(
            {"cond": "begin"},
            {"obj": RECORDS[0]},  # cut short: no closing line
            {"cond": "begin"},
            {"obj": RECORDS[1]},
            {"cond": "succeeded"},
            {"cond": "begin"},
            {"cond": "succeeded"},
        )
    )
    summary = ingest(engine, path)
    assert summary.records == 2
    (warning,) = summary.warnings
    assert "line 1" in warning
    assert "next begin (line 3)" in warning


def test_bad_framing_is_rejected_with_its_line(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "odd.jsonl"
    path.write_bytes(
        saf(
            {"cond": "begin"},
            {"cond": "paused"},
            {"obj": {"count": 3}},
            {"obj": RECORDS[0]},
            {"cond": "succeeded"},
            {},
        )
    )
    summary = ingest(engine, path)
    assert summary.records == 1
    stored = [(entry.line, entry.reason_code) for entry in ask(engine, entries, limit=None)]
    # an unknown condition, a record without its fields, and {} after the stream ended
    assert stored == [(2, "bad_saf"), (3, "missing_field"), (6, "missing_field")]
    assert summary.warnings == []


def test_saf_lines_one_at_a_time() -> None:
    line = orjson.dumps({"obj": RECORDS[0]})
    parsed = parse_line(line)
    assert parsed is not None
    assert parsed.rrname == "www.shop.test"
    with pytest.raises(PdnsLineError) as caught:
        parse_line(b'{"cond": "succeeded"}')
    assert caught.value.code == "saf_frame"
    message = saf_message({"cond": "failed", "msg": "x" * 500})
    assert message is not None
    assert message.cond == "failed"
    assert message.msg == "x" * 200
    assert saf_message(RECORDS[0]) is None  # a record is not framing, even with "obj" in it
    assert saf_message({**RECORDS[0], "obj": 1}) is None


# --- whole-file JSON: arrays and pretty-printed sequences ------------------------------------


@pytest.mark.parametrize(
    ("layout", "text"),
    [
        ("array", json.dumps(RECORDS)),
        ("array", json.dumps(RECORDS, indent=2)),
        ("array", "\ufeff" + json.dumps(RECORDS, indent="\t") + "\n"),
        ("sequence", "\n".join(json.dumps(r, indent=4) for r in RECORDS)),
        ("sequence", "\n\n".join(json.dumps(r, indent=1) for r in RECORDS) + "\n"),
        ("lines", "\n".join(json.dumps(r) for r in RECORDS)),
    ],
)
def test_every_layout_gives_the_same_observations(
    engine: Engine, tmp_path: Path, layout: str, text: str
) -> None:
    path = tmp_path / "records.json"
    path.write_bytes(text.encode("utf-8"))
    summary = ingest(engine, path)
    assert summary.layout == layout
    assert (summary.records, summary.ignored_types, summary.rejected) == (3, 1, 0)
    assert summary.lines == len(text.splitlines())
    assert rows(engine) == EXPECTED_ROWS


def test_a_gzipped_array(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "records.json.gz"
    path.write_bytes(gzip.compress(json.dumps(RECORDS, indent=2).encode()))
    summary = ingest(engine, path)
    assert (summary.layout, summary.records) == ("array", 3)
    assert rows(engine) == EXPECTED_ROWS


def test_errors_in_a_document_name_the_line_the_record_starts_on(
    engine: Engine, tmp_path: Path
) -> None:
    bad_rdata = record("bad.shop.test", "2001:db8::1")
    text = json.dumps([RECORDS[0], bad_rdata, "not a record", RECORDS[1]], indent=2)
    lines = text.splitlines()
    starts = [n for n, line in enumerate(lines, 1) if line in ("  {", '  "not a record",')]
    path = tmp_path / "array.json"
    path.write_text(text, encoding="utf-8")
    summary = ingest(engine, path)
    assert summary.records == 2
    stored = [(e.file, e.line, e.reason_code) for e in ask(engine, entries, limit=None)]
    assert stored == [(str(path), starts[1], "bad_rdata"), (str(path), starts[2], "not_an_object")]
    by_line = {e.line: e for e in ask(engine, entries, limit=None)}
    assert orjson.loads(by_line[starts[1]].raw) == bad_rdata
    assert by_line[starts[1]].byte_offset == text.encode().index(b'{\n    "rrname": "bad')


def test_a_broken_record_in_a_sequence_does_not_hide_the_next(
    engine: Engine, tmp_path: Path
) -> None:
    text = (
        json.dumps(RECORDS[0], indent=2)
        + '\n{\n  "rrname": "x.shop.test",\n  "rrtype": tru\n}\n'
        + json.dumps(RECORDS[1], indent=2)
        + "\n"
    )
    path = tmp_path / "pretty.json"
    path.write_text(text, encoding="utf-8")
    summary = ingest(engine, path)
    assert (summary.layout, summary.records, summary.rejected) == ("sequence", 2, 1)
    (entry,) = ask(engine, entries, limit=None)
    assert (entry.line, entry.reason_code) == (text.splitlines().index("{", 1) + 1, "bad_json")


def test_a_cut_off_array_keeps_the_records_before_the_cut(engine: Engine, tmp_path: Path) -> None:
    text = json.dumps(RECORDS[:2], indent=2)
    cut = text[: text.rindex('"time_last"')]
    path = tmp_path / "cut.json"
    path.write_text(cut, encoding="utf-8")
    summary = ingest(engine, path)
    assert (summary.records, summary.rejected) == (1, 1)
    assert rows(engine) == {("www.shop.test", "A", "192.0.2.10")}


def test_an_api_envelope_is_refused_with_the_command_that_opens_it(
    db_url: str, tmp_path: Path
) -> None:
    path = tmp_path / "answer.json"
    path.write_text(json.dumps({"status": "ok", "records": RECORDS}, indent=2), encoding="utf-8")
    run = hotline(db_url, "ingest", "pdns", str(path))
    assert run.code == 1, run
    assert f"warning: {path}: line 1: an object holding 4 records under 'records'" in run.err
    assert "jq -c '.records[]' FILE > records.jsonl" in run.err
    assert "not_a_record 1" in run.err


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (b"rrname,rrtype,rdata\nwww.shop.test,A,192.0.2.1\n", "bad_json"),
        (b'"www.shop.test"\n', "not_an_object"),
    ],
)
def test_other_formats_get_a_one_line_hint(
    db_url: str, tmp_path: Path, content: bytes, code: str
) -> None:
    path = tmp_path / "export.txt"
    path.write_bytes(content)
    run = hotline(db_url, "ingest", "pdns", str(path))
    assert run.code == 1, run
    hint = [line for line in run.err.splitlines() if line.startswith("warning:")]
    assert len(hint) == 1, run.err
    assert hint[0].startswith(f"warning: {path}: line 1 is not a JSON object; expected one JSON")
    assert "jq -c '.[]'" in hint[0]
    assert f"{code} " in run.err


def test_a_document_too_big_for_memory_is_refused_with_the_conversion(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pdns_import, "MAX_DOCUMENT", 64)
    monkeypatch.setattr(console.err, "_width", 1000)  # a long path must not fold the line
    path = tmp_path / "big.json"
    path.write_text(json.dumps(RECORDS, indent=2), encoding="utf-8")
    run = hotline(db_url, "ingest", "pdns", str(path))
    assert run.code == 2, run
    (line,) = [line for line in run.err.splitlines() if line.strip()]
    assert line.startswith(f"error: {path}: a JSON document over 64 bytes is not read")
    assert "jq -c '.[]' FILE > records.jsonl" in line


# --- the layout and the record boundaries -----------------------------------------------------


@pytest.mark.parametrize(
    ("head", "layout"),
    [
        (b"", "lines"),
        (b"  \n [\n", "array"),
        (b'{"rrname": "a.test"}\n{\n', "lines"),
        (b'{\n  "rrname": "a.test"\n}\n', "sequence"),
        (b'{"rrname": "a.test",\n "rrtype": "A"}\n', "sequence"),
        (b"{oops\n{}\n", "lines"),  # broken first line: read line by line, each on its own
        (b"{\n  never closed", "lines"),
        (b"rrname,rrtype\n", "lines"),
    ],
)
def test_layout_of(head: bytes, layout: str) -> None:
    assert layout_of(head) == layout


_SCALARS = st.none() | st.booleans() | st.integers() | st.text(max_size=8)
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner,
                                                                max_size=3),
    max_leaves=10,
)  # fmt: skip
_RECORDS = st.lists(st.dictionaries(st.text(max_size=6), _VALUES, max_size=4), max_size=6)


@settings(max_examples=300, deadline=None)
@given(items=_RECORDS, indent=st.sampled_from([None, 0, 1, 2, "\t"]), array=st.booleans())
def test_spans_find_each_record_of_a_document(
    items: list[dict[str, Any]], indent: int | str | None, array: bool
) -> None:
    if array:
        text = json.dumps(items, indent=indent)
    else:
        text = "\n".join(json.dumps(item, indent=indent) for item in items)
    data = text.encode()
    found = [json.loads(data[start:end]) for start, end in spans(data)]
    assert found == items


@settings(max_examples=500, deadline=None)
@given(st.binary(max_size=300) | st.text(alphabet='{}[]",\\ \n:ab1', max_size=80).map(str.encode))
def test_spans_of_anything_are_ordered_and_in_bounds(data: bytes) -> None:
    last = 0
    for start, end in spans(data):
        assert last <= start < end <= len(data)
        last = end


@settings(max_examples=200, deadline=None)
@given(st.lists(st.fixed_dictionaries({
    "rrname": st.sampled_from(["www.shop.test", "shop.test.", "a.example"]),
    "rrtype": st.sampled_from(["A", "CNAME", "TXT"]),
    "rdata": st.sampled_from(["192.0.2.1", "198.51.100.2", "cdn.example."]),
    "time_first": st.integers(1_600_000_000, 1_700_000_000),
    "time_last": st.integers(1_700_000_000, 1_800_000_000),
}), max_size=5), st.sampled_from(["cof", "saf"]))  # fmt: skip
def test_a_saf_line_means_what_its_record_means(items: list[dict[str, Any]], style: str) -> None:
    for item in items:
        line = orjson.dumps(item if style == "cof" else {"obj": item})
        assert _outcome(parse_line, line) == _outcome(parse_record, item)


def _outcome(read: Any, value: Any) -> tuple[str, Any]:
    try:
        return "record", read(value)
    except PdnsLineError as error:
        return "refused", error.code
