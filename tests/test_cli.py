"""The ``hotline`` command line, driven in-process on SQLite and PostgreSQL.

Exit codes are a contract: 0 ok, 1 input rejected (partly or wholly), 2 usage error.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest
from sqlalchemy import Engine, MetaData, func, select, text
from sqlalchemy.orm import Session
from typer.main import get_command
from typer.testing import CliRunner

from hotline.cli import console
from hotline.cli.app import app, build, command_named
from hotline.intake.models import Report, Site, Source, Url
from hotline.quarantine import QuarantineEntry, entries
from hotline.sharing.formats import csv_safe, write_rows
from hotline.store.engine import make_engine
from tests.helpers import ask, counts

runner = CliRunner()
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")

HEADER = "source,source_report_id,reported_at,url,site_type,commercial,note\n"
# One canonical URL reported by three hotlines in surface variants, and one other URL.
CLEAN = HEADER + (
    "HL-C,c-1,2026-02-27T23:00:00-02:00,http://shop.brand.test/item/1?fbclid=z&id=7,,,\n"
    "HL-A,a-1,2026-03-01T10:00:00+01:00,HTTP://Shop.Brand.TEST:80/item/1?utm_source=x&id=7#top,"
    "website,true,first seen\n"
    "HL-B,b-1,2026-03-02T12:00:00Z,http://shop.brand.test/item/./1?id=7,,,\n"
    "HL-A,a-2,2026-03-03,https://gallery.example/p/2,image-host,false,\n"
)
SHOP = "http://shop.brand.test/item/1?id=7"
GALLERY = "https://gallery.example/p/2"

# The URL column first, so the quarantine preview shows it.
MIXED_LINES = [
    "url,source,source_report_id,reported_at\n",
    "http://shop.brand.test/ok/1,HL-A,m-1,2026-03-01\n",
    "http://shop.brand.test/late/2,HL-A,m-2,not-a-date\n",
    "javascript:void(0),HL-A,m-3,2026-03-01\n",
    "http://gallery.example/ok/4,HL-B,m-4,2026-03-01\n",
    "http://gallery.example:99999/x,HL-B,m-5,2026-03-01\n",
]
MIXED = "".join(MIXED_LINES)


@dataclass(frozen=True)
class Run:
    code: int
    out: str
    err: str


def hotline(db_url: str, *args: str) -> Run:
    """Run ``hotline --db DB ARGS`` in-process; an unexpected exception fails the test."""
    result = runner.invoke(app, ["--db", db_url, *args])
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return Run(result.exit_code, _ANSI.sub("", result.stdout), _ANSI.sub("", result.stderr))


def summary_value(out: str, label: str) -> int:
    found = re.search(rf"^\W*{re.escape(label)}\W+([\d,]+)", out, re.MULTILINE)
    assert found is not None, f"{label!r} not in:\n{out}"
    return int(found.group(1).replace(",", ""))


def write(path: Path, text: str) -> Path:
    path.write_bytes(text.encode("utf-8"))
    return path


def quarantined(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(
            connection.execute(select(func.count()).select_from(QuarantineEntry)).scalar_one()
        )


@pytest.fixture(autouse=True)
def wide_console(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tables are not folded and help text not wrapped, whatever terminal runs the tests."""
    monkeypatch.setattr(console.out, "_width", 250)
    monkeypatch.setattr(console.err, "_width", 250)
    monkeypatch.setenv("COLUMNS", "250")


@pytest.fixture
def clean_feed(tmp_path: Path) -> Path:
    return write(tmp_path / "clean.csv", CLEAN)


@pytest.fixture
def mixed_feed(tmp_path: Path) -> Path:
    return write(tmp_path / "mixed.csv", MIXED)


# --- init -----------------------------------------------------------------------------------


def _wipe(db_url: str) -> None:
    engine = make_engine(db_url)
    metadata = MetaData()
    metadata.reflect(engine)
    metadata.drop_all(engine)
    engine.dispose()


def test_init_creates_then_says_up_to_date(db_url: str, clean_feed: Path) -> None:
    _wipe(db_url)
    first = hotline(db_url, "init")
    assert first.code == 0, first
    assert "created the hotline schema" in first.out
    second = hotline(db_url, "init")
    assert second.code == 0, second
    assert "database is up to date" in second.out
    assert hotline(db_url, "ingest", "reports", str(clean_feed)).code == 0


def test_commands_on_a_database_without_schema(db_url: str, clean_feed: Path) -> None:
    """An empty SQLite file is initialised on the spot; PostgreSQL waits for `hotline init`."""
    _wipe(db_url)
    result = hotline(db_url, "ingest", "reports", str(clean_feed))
    if db_url.startswith("sqlite"):
        assert result.code == 0, result
    else:
        assert result.code == 2, result
        assert "hotline init" in result.err


# --- ingest ---------------------------------------------------------------------------------


def test_ingest_clean_file_exits_0_and_reimport_adds_nothing(
    db_url: str, engine: Engine, clean_feed: Path
) -> None:
    first = hotline(db_url, "ingest", "reports", str(clean_feed))
    assert first.code == 0, first
    assert summary_value(first.out, "rows read") == 4
    assert summary_value(first.out, "new reports") == 4
    assert summary_value(first.out, "new URLs") == 2
    assert summary_value(first.out, "new sites") == 2
    assert summary_value(first.out, "rejected (quarantined)") == 0
    assert summary_value(first.out, "URLs reported by more than one hotline (whole database)") == 1
    stored = counts(engine)
    assert stored == {"reports": 4, "urls": 2, "sites": 2, "sources": 3}

    again = hotline(db_url, "ingest", "reports", str(clean_feed))
    assert again.code == 0, again
    assert summary_value(again.out, "new reports") == 0
    assert summary_value(again.out, "duplicate reports (already known)") == 4
    assert summary_value(again.out, "new URLs") == 0
    assert counts(engine) == stored


def test_ingest_with_rejected_rows_exits_1_and_keeps_the_good_rows(
    db_url: str, engine: Engine, mixed_feed: Path
) -> None:
    result = hotline(db_url, "ingest", "reports", str(mixed_feed))
    assert result.code == 1, result
    assert summary_value(result.out, "rows read") == 5
    assert summary_value(result.out, "new reports") == 2
    assert summary_value(result.out, "rejected (quarantined)") == 3
    assert (
        "rejected by reason: bad_timestamp 1, url_invalid_port 1, url_unsupported_scheme 1"
        in result.out
    )
    assert "3 row(s) rejected" in result.err
    assert "hotline quarantine list" in result.err
    assert counts(engine)["reports"] == 2
    assert {(e.line, e.reason_code) for e in ask(engine, entries)} == {
        (3, "bad_timestamp"),
        (4, "url_unsupported_scheme"),
        (6, "url_invalid_port"),
    }
    # Re-running neither duplicates reports nor quarantines the same rows twice.
    assert hotline(db_url, "ingest", "reports", str(mixed_feed)).code == 1
    assert counts(engine)["reports"] == 2
    assert quarantined(engine) == 3


def test_ingest_file_without_required_columns_exits_1(
    db_url: str, engine: Engine, tmp_path: Path
) -> None:
    path = write(tmp_path / "cols.csv", "source,link\nHL-A,http://shop.brand.test/\n")
    result = hotline(db_url, "ingest", "reports", str(path))
    assert result.code == 1, result
    assert [e.reason_code for e in ask(engine, entries)] == ["bad_header"]
    assert counts(engine)["reports"] == 0


def test_ingest_several_files_csv_and_jsonl(db_url: str, engine: Engine, tmp_path: Path) -> None:
    csv_path = write(tmp_path / "a.csv", CLEAN)
    jsonl_path = tmp_path / "b.jsonl"
    jsonl_path.write_bytes(
        orjson.dumps(
            {
                "source": "HL-D",
                "source_report_id": 17,
                "reported_at": "2026-03-04T00:00:00Z",
                "url": "http://SHOP.brand.test/item/1?id=7&utm_medium=m",
                "channel": "web",
            }
        )
        + b"\n"
    )
    result = hotline(db_url, "ingest", "reports", str(csv_path), str(jsonl_path))
    assert result.code == 0, result
    assert "Imported 2 file(s)" in result.out
    assert counts(engine) == {"reports": 5, "urls": 2, "sites": 2, "sources": 4}
    with Session(engine) as session:
        report = session.scalars(select(Report).where(Report.source_report_id == "17")).one()
        assert report.extra == {"channel": "web"}


def test_format_option_overrides_the_extension(db_url: str, engine: Engine, tmp_path: Path) -> None:
    as_text = write(tmp_path / "export.txt", CLEAN)
    assert hotline(db_url, "ingest", "reports", str(as_text)).code == 2
    result = hotline(db_url, "ingest", "reports", "--format", "csv", str(as_text))
    assert result.code == 0, result
    assert counts(engine)["reports"] == 4

    jsonl = tmp_path / "feed.data"
    jsonl.write_bytes(
        b'{"source": "HL-E", "source_report_id": "e-1", "reported_at": "2026-03-05", '
        b'"url": "https://gallery.example/p/2"}\n'
    )
    assert hotline(db_url, "ingest", "reports", "--format", "jsonl", str(jsonl)).code == 0
    assert counts(engine)["reports"] == 5

    # The override is obeyed even when it is wrong: every CSV line is then invalid JSON.
    wrong = write(tmp_path / "wrong.csv", CLEAN.replace("a-", "w-"))
    result = hotline(db_url, "ingest", "reports", "--format", "jsonl", str(wrong))
    assert result.code == 1, result
    assert "bad_json 5" in result.out


USAGE_ERRORS = {
    "missing-file": ["ingest", "reports", "{missing}"],
    "second-file-missing": ["ingest", "reports", "{clean}", "{missing}"],
    "unknown-extension": ["ingest", "reports", "{unknown}"],
    "bad-option": ["ingest", "reports", "--bogus", "{clean}"],
    "bad-format": ["ingest", "reports", "--format", "xml", "{clean}"],
    "bad-batch-size": ["ingest", "reports", "--batch-size", "0", "{clean}"],
    "no-file": ["ingest", "reports"],
    "unknown-command": ["ingest", "pdfs", "{clean}"],
    "bad-export-format": ["export", "urls", "--format", "xml"],
    "bad-id": ["quarantine", "show", "abc"],
}


def test_usage_errors_exit_2_and_store_nothing(
    db_url: str, engine: Engine, clean_feed: Path, tmp_path: Path
) -> None:
    unknown = write(tmp_path / "feed.xlsx", CLEAN)
    paths = {"clean": clean_feed, "missing": tmp_path / "absent.csv", "unknown": unknown}
    for case, args in USAGE_ERRORS.items():
        result = hotline(db_url, *(a.format(**paths) for a in args))
        assert result.code == 2, (case, result)
        assert result.err.strip(), case
    # Files are checked before any is read: the good file before the missing one is not read.
    assert counts(engine)["reports"] == 0
    assert quarantined(engine) == 0


def test_usage_error_messages(db_url: str, tmp_path: Path) -> None:
    missing = hotline(db_url, "ingest", "reports", str(tmp_path / "absent.csv"))
    assert "no such file" in missing.err
    unknown = hotline(db_url, "ingest", "reports", str(write(tmp_path / "f.xlsx", CLEAN)))
    assert "--format" in unknown.err


def test_nul_bytes_do_not_break_an_import(db_url: str, engine: Engine, tmp_path: Path) -> None:
    # PostgreSQL text cannot hold NUL: such fields are refused row by row, on both engines.
    feed = tmp_path / "nul.csv"
    feed.write_bytes(
        HEADER.encode()
        + b"HL-A,n-1,2026-01-01,http://shop.brand.test/n/1,,,note\x00text\n"
        + b"HL-A,n-2,2026-01-01,http://shop.brand.test/n/2\x00x,,,\n"
        + b"HL-A,n-3,2026-01-0\x00,http://shop.brand.test/n/3,,,\n"
        + b"HL-A,n-4,2026-01-01,http://shop.brand.test/n/4,,,\n"
    )
    result = hotline(db_url, "ingest", "reports", str(feed))
    assert result.code == 1, result  # n-3 has a bad timestamp whatever the backend
    export = hotline(db_url, "export", "urls", "--format", "jsonl")
    urls = {orjson.loads(line)["url"] for line in export.out.splitlines()}
    assert urls == {"http://shop.brand.test/n/4"}
    with engine.connect() as connection:
        codes = connection.execute(text("SELECT reason_code FROM quarantine")).scalars().all()
    assert sorted(codes) == ["bad_value", "bad_value", "bad_value"]


# --- quarantine -----------------------------------------------------------------------------


def test_quarantine_list_is_defanged(db_url: str, mixed_feed: Path) -> None:
    assert hotline(db_url, "ingest", "reports", str(mixed_feed)).code == 1
    result = hotline(db_url, "quarantine", "list")
    assert result.code == 0, result
    assert "http://" not in result.out
    assert "hxxp://shop[.]brand[.]test/late/2" in result.out
    assert "hxxp://gallery[.]example:99999/x" in result.out
    for code in ("bad_timestamp", "url_unsupported_scheme", "url_invalid_port"):
        assert code in result.out
    assert "mixed.csv" in result.out


def test_quarantine_list_filters(db_url: str, mixed_feed: Path) -> None:
    hotline(db_url, "ingest", "reports", str(mixed_feed))
    only = hotline(db_url, "quarantine", "list", "--reason", "bad_timestamp")
    assert only.code == 0
    assert "late/2" in only.out
    assert "javascript" not in only.out
    assert "99999" not in only.out
    elsewhere = hotline(db_url, "quarantine", "list", "--file", "other-feed.csv")
    assert "late/2" not in elsewhere.out
    limited = hotline(db_url, "quarantine", "list", "--limit", "1")
    assert len(re.findall(r"mixed\.csv", limited.out)) == 1


def test_quarantine_list_when_empty(db_url: str) -> None:
    result = hotline(db_url, "quarantine", "list")
    assert result.code == 0
    assert "the quarantine is empty" in result.out


def test_quarantine_show_and_save_raw(
    db_url: str, engine: Engine, tmp_path: Path, mixed_feed: Path
) -> None:
    crlf = write(tmp_path / "crlf.csv", MIXED.replace("\n", "\r\n"))
    hotline(db_url, "ingest", "reports", str(mixed_feed), str(crlf))
    for path, eol in ((mixed_feed, "\n"), (crlf, "\r\n")):
        (item,) = ask(engine, entries, file=path.name, code="bad_timestamp")
        result = hotline(
            db_url, "quarantine", "show", str(item.id), "--save-raw", str(tmp_path / "raw")
        )
        assert result.code == 0, result
        assert "http://" not in result.out
        assert "hxxp://shop[.]brand[.]test/late/2" in result.out
        assert "bad_timestamp" in result.out
        assert str(path.resolve()) in result.out
        assert re.search(r"^line\s+3\b", result.out, re.MULTILINE)
        expected = MIXED_LINES[2].replace("\n", eol).encode()
        assert (tmp_path / "raw").read_bytes() == expected
        assert f"byte offset {MIXED.replace(chr(10), eol).encode().index(expected)}" in result.out


def test_quarantine_show_keeps_non_utf8_bytes(db_url: str, engine: Engine, tmp_path: Path) -> None:
    raw_line = b"HL-A,u-2,2026-01-02,http://shop.brand.test/caf\xe9\n"
    feed = tmp_path / "latin1.csv"
    feed.write_bytes(HEADER.encode() + raw_line)
    assert hotline(db_url, "ingest", "reports", str(feed)).code == 1
    (item,) = ask(engine, entries)
    saved = tmp_path / "saved.bin"
    result = hotline(db_url, "quarantine", "show", str(item.id), "--save-raw", str(saved))
    assert result.code == 0, result
    assert "not_utf8" in result.out
    assert "\\xe9" in result.out
    assert saved.read_bytes() == raw_line


def test_quarantine_show_unknown_id_exits_2(db_url: str) -> None:
    result = hotline(db_url, "quarantine", "show", "987654")
    assert result.code == 2
    assert "987654" in result.err


def test_quarantine_prints_bracketed_input_verbatim(db_url: str, tmp_path: Path) -> None:
    feed = write(
        tmp_path / "brackets.csv",
        HEADER + "[/x],k-1,2026-01-01,http://shop.brand.test/k,,,\n"
        "HL-A,k-2,[b]soon[/b],http://shop.brand.test/k,,,\n",
    )
    assert hotline(db_url, "ingest", "reports", str(feed)).code == 1
    listed = hotline(db_url, "quarantine", "list")
    assert listed.code == 0
    assert "[/x]" in listed.out
    assert "[b]soon[/b]" in listed.out
    for entry_id in ("1", "2"):
        shown = hotline(db_url, "quarantine", "show", entry_id)
        assert shown.code == 0


# --- export ---------------------------------------------------------------------------------


def _export(db_url: str, *args: str) -> Run:
    result = hotline(db_url, "export", "urls", *args)
    assert result.code == 0, result
    return result


def test_export_urls_csv(db_url: str, clean_feed: Path) -> None:
    hotline(db_url, "ingest", "reports", str(clean_feed))
    rows = list(csv.DictReader(io.StringIO(_export(db_url, "--format", "csv").out)))
    assert [r["url"] for r in rows].count(SHOP) == 1
    assert len(rows) == 2
    by_url = {r["url"]: r for r in rows}
    assert by_url[SHOP] == {
        "url": SHOP,
        "site": "brand.test",
        "first_reported": "2026-02-28T01:00:00Z",
        "last_reported": "2026-03-02T12:00:00Z",
        "reports": "3",
        "sources": "HL-A HL-B HL-C",
    }
    assert by_url[GALLERY] == {
        "url": GALLERY,
        "site": "gallery.example",
        "first_reported": "2026-03-03T00:00:00Z",
        "last_reported": "2026-03-03T00:00:00Z",
        "reports": "1",
        "sources": "HL-A",
    }


def test_export_urls_csv_is_the_default(db_url: str, clean_feed: Path) -> None:
    hotline(db_url, "ingest", "reports", str(clean_feed))
    out = _export(db_url).out
    assert out.splitlines()[0] == "url,site,first_reported,last_reported,reports,sources"


def test_export_urls_jsonl(db_url: str, clean_feed: Path) -> None:
    hotline(db_url, "ingest", "reports", str(clean_feed))
    records = [orjson.loads(line) for line in _export(db_url, "--format", "jsonl").out.splitlines()]
    by_url = {r["url"]: r for r in records}
    assert len(records) == len(by_url) == 2
    assert by_url[SHOP] == {
        "url": SHOP,
        "site": "brand.test",
        "first_reported": "2026-02-28T01:00:00Z",
        "last_reported": "2026-03-02T12:00:00Z",
        "reports": 3,
        "sources": ["HL-A", "HL-B", "HL-C"],
    }
    assert by_url[GALLERY]["sources"] == ["HL-A"]
    assert by_url[GALLERY]["reports"] == 1


def test_export_urls_to_a_file(db_url: str, clean_feed: Path, tmp_path: Path) -> None:
    hotline(db_url, "ingest", "reports", str(clean_feed))
    target = tmp_path / "urls.jsonl"
    result = _export(db_url, "--format", "jsonl", "--out", str(target))
    assert SHOP not in result.out
    assert "exported 2 URL(s)" in result.err
    assert len(target.read_text().splitlines()) == 2


def test_export_urls_defanged(db_url: str, clean_feed: Path) -> None:
    hotline(db_url, "ingest", "reports", str(clean_feed))
    for fmt in ("csv", "jsonl"):
        out = _export(db_url, "--format", fmt, "--defang").out
        assert "http://" not in out
        assert "https://" not in out
        assert "hxxp://shop[.]brand[.]test/item/1?id=7" in out
        assert "hxxps://gallery[.]example/p/2" in out
        assert "brand[.]test" in out


def test_export_of_an_empty_database(db_url: str) -> None:
    assert _export(db_url).out == "url,site,first_reported,last_reported,reports,sources\n"
    assert _export(db_url, "--format", "jsonl").out == ""


@pytest.mark.parametrize("command", ["urls", "sites", "selectors"])
@pytest.mark.parametrize("flag", ["--out", "-o"])
def test_export_out_dash_is_standard_output(
    db_url: str,
    clean_feed: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    command: str,
    flag: str,
) -> None:
    hotline(db_url, "ingest", "reports", str(clean_feed))
    monkeypatch.chdir(tmp_path)
    for fmt in ("csv", "jsonl"):
        target = tmp_path / f"{command}.{fmt}"
        assert hotline(db_url, "export", command, "--format", fmt, flag, str(target)).code == 0
        piped = hotline(db_url, "export", command, "--format", fmt, flag, "-")
        assert piped.code == 0, piped
        assert piped.out == target.read_text(encoding="utf-8")  # the same bytes, undefanged
        assert re.search(r"exported \d+ ", piped.err)
        assert " to " not in piped.err
        assert not (tmp_path / "-").exists()
    if command == "urls":
        assert SHOP in piped.out


def test_export_to_a_file_named_dash(
    db_url: str, clean_feed: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    hotline(db_url, "ingest", "reports", str(clean_feed))
    monkeypatch.chdir(tmp_path)
    result = hotline(db_url, "export", "urls", "--out", str(tmp_path / "-"))
    assert result.code == 0, result
    assert result.out == ""
    assert SHOP in (tmp_path / "-").read_text(encoding="utf-8")


def test_report_out_dash_writes_the_html_to_standard_output(
    db_url: str, clean_feed: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    hotline(db_url, "ingest", "reports", str(clean_feed))
    monkeypatch.chdir(tmp_path)
    asked = ("report", "--as-of", "2026-12-31T00:00:00Z")
    result = hotline(db_url, *asked, "--out", "-")
    assert result.code == 0, result
    assert result.out.startswith("<!DOCTYPE html>")
    assert result.out.rstrip().endswith("</html>")
    assert not (tmp_path / "-").exists()
    written = hotline(db_url, *asked, "--out", str(tmp_path / "folder"))
    assert written.code == 0, written
    on_disk = (tmp_path / "folder" / "assessment.html").read_text(encoding="utf-8")
    # the same report, but for the moment each was made (seconds apart)
    made = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+00:00")
    assert made.sub("TIME", result.out) == made.sub("TIME", on_disk)
    both = hotline(db_url, *asked, "--out", "-", "--print")
    assert both.code == 2
    assert "standard output" in both.err


# --- quiet ----------------------------------------------------------------------------------


def test_quiet_ingest_reports_prints_no_summary(
    db_url: str, engine: Engine, clean_feed: Path, mixed_feed: Path
) -> None:
    clean = hotline(db_url, "-q", "ingest", "reports", str(clean_feed))
    assert clean.code == 0, clean
    assert (clean.out, clean.err) == ("", "")
    assert counts(engine)["reports"] == 4
    mixed = hotline(db_url, "--quiet", "ingest", "reports", str(mixed_feed))
    assert mixed.code == 1, mixed
    assert mixed.out == ""
    assert "3 row(s) rejected" in mixed.err  # the warning stays
    assert counts(engine)["reports"] == 6


def test_quiet_ingest_captures_prints_no_summary(db_url: str, tmp_path: Path) -> None:
    from tests.test_captures import _hostile_warc

    warc = tmp_path / "hostile.warc.gz"
    _hostile_warc(warc, b"\x00marker\x00" * 8)
    quiet = hotline(db_url, "-q", "ingest", "captures", str(warc))
    assert quiet.code == 1, quiet  # some records were refused
    assert quiet.out == ""
    assert "Imported" not in quiet.err
    assert "record(s) refused" in quiet.err
    again = hotline(db_url, "--quiet", "ingest", "captures", str(warc))
    assert again.out == ""
    shown = hotline(db_url, "selectors", "vaxlum.test")  # the import did happen
    assert "btc_address" in shown.out


def _store_formula_like_row(engine: Engine) -> None:
    """A row whose texts start like spreadsheet formulas (intake can never produce one)."""
    when = datetime(2026, 3, 1, tzinfo=UTC)
    with Session(engine) as session, session.begin():
        source = Source(code="HL-F")
        site = Site(key="-brand.test", kind="domain")
        session.add_all([source, site])
        session.flush()
        url = Url(
            digest=hashlib.sha256(b"=SUM(1,2)").digest(),
            canonical="=SUM(1,2)",
            site_id=site.id,
            scheme="http",
            host="-brand.test",
        )
        session.add(url)
        session.flush()
        session.add(
            Report(
                source_id=source.id,
                source_report_id="f-1",
                url_id=url.id,
                reported_at=when,
                raw_url="=SUM(1,2)",
            )
        )


def test_export_csv_neutralises_formula_cells(db_url: str, engine: Engine) -> None:
    _store_formula_like_row(engine)
    (row,) = list(csv.DictReader(io.StringIO(_export(db_url, "--format", "csv").out)))
    assert row["url"] == "'=SUM(1,2)"
    assert row["site"] == "'-brand.test"
    # JSON Lines is for tools: values stay exact.
    (record,) = [orjson.loads(x) for x in _export(db_url, "--format", "jsonl").out.splitlines()]
    assert (record["url"], record["site"]) == ("=SUM(1,2)", "-brand.test")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=SUM(1,2)", "'=SUM(1,2)"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@A1", "'@A1"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("a=b", "a=b"),
        ("http://shop.brand.test/?a=1", "http://shop.brand.test/?a=1"),
        ("", ""),
        (-1, -1),
        (None, None),
    ],
)
def test_csv_safe(value: Any, expected: Any) -> None:
    assert csv_safe(value) == expected


def test_write_rows_csv_escapes_every_cell() -> None:
    out = io.StringIO()
    written = write_rows(out, "csv", ("a", "b", "c"), [("=1", ["HL-A", "HL-B"], "+2")])
    assert written == 1
    assert out.getvalue() == "a,b,c\n'=1,HL-A HL-B,'+2\n"


# --- help -----------------------------------------------------------------------------------


def _command_paths() -> Iterator[tuple[str, ...]]:
    def walk(command: Any, path: tuple[str, ...]) -> Iterator[tuple[str, ...]]:
        yield path
        for name, sub in sorted(getattr(command, "commands", {}).items()):
            yield from walk(sub, (*path, name))

    yield from walk(get_command(app), ())


COMMANDS = list(_command_paths())
GROUPS = [p for p in COMMANDS if any(len(q) > len(p) and q[: len(p)] == p for q in COMMANDS)]


def test_every_contract_command_exists() -> None:
    for path in [("init",), ("demo",), ("ingest", "reports"), ("export", "urls")]:
        assert path in COMMANDS
    assert ("quarantine", "list") in COMMANDS
    assert ("quarantine", "show") in COMMANDS


@pytest.mark.parametrize("path", COMMANDS, ids=lambda p: " ".join(p) or "hotline")
@pytest.mark.parametrize("flag", ["--help", "-h"])
def test_help_exits_0(path: tuple[str, ...], flag: str) -> None:
    result = runner.invoke(app, [*path, flag])
    assert result.exit_code == 0, result.output
    assert "Usage" in result.stdout


@pytest.mark.parametrize("path", COMMANDS, ids=lambda p: " ".join(p) or "hotline")
def test_help_has_an_example(path: tuple[str, ...]) -> None:
    result = runner.invoke(app, [*path, "--help"])
    assert result.exit_code == 0
    assert "Example" in result.stdout


def test_version() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.stdout.startswith("hotline ")


# --- demo -----------------------------------------------------------------------------------


# SQLite only: the demo always works in a fresh SQLite database of its own (demo.db in its
# output folder), whatever --db says, so a PostgreSQL run would repeat the same three minutes
# of work; that --db is left untouched is checked below. Every stage the demo runs is tested
# on both databases in its own tests.
@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_demo_runs_on_the_world_defanged_and_a_second_run_is_identical(
    db_url: str, engine: Engine, tmp_path: Path
) -> None:
    demo_check(db_url, engine, tmp_path)


def demo_check(db_url: str, engine: Engine, tmp_path: Path) -> None:
    """``hotline demo`` on the world: defanged, checked against the truth, and a second run
    identical to the first."""
    out_dir = tmp_path / "demo"
    first = hotline(db_url, "demo", "--out", str(out_dir))
    assert first.code == 0, first
    assert "10. Report" in first.out
    assert (out_dir / "assessment" / "assessment.html").is_file()
    # Intake checked against the world's truth, in the demo's own words.
    assert "✗" not in first.out
    # URLs, quarantine, payments, hosting, attribution, hash lists, casework
    assert first.out.count("✓") == 7
    assert "7. Casework" in first.out
    # what people read is defanged
    assert "[.]" in first.out
    assert "http://" not in first.out
    assert "https://" not in first.out
    assert "6. Hash lists" in first.out
    assert "4. Hosting" in first.out
    assert "5. Attribution" in first.out
    truth = orjson.loads((out_dir / "truth.json").read_bytes())
    demo_engine = make_engine(f"sqlite:///{out_dir / 'demo.db'}")
    try:
        after_first = counts(demo_engine)
        quarantine_first = quarantined(demo_engine)
        assert after_first["urls"] == len(truth["urls"])
        assert after_first["sites"] == len(truth["sites"])
        assert after_first["sources"] == 5
        assert after_first["reports"] > after_first["urls"]  # surface variants deduped
        assert quarantine_first == len(truth["bad_rows"]) > 0
        exported = (out_dir / "urls.csv").read_text().splitlines()
        assert len(exported) == after_first["urls"] + 1
    finally:
        demo_engine.dispose()

    # A second run starts from a fresh database of its own: same world, same numbers.
    second = hotline(db_url, "demo", "--out", str(out_dir))
    assert second.code == 0, second
    demo_engine = make_engine(f"sqlite:///{out_dir / 'demo.db'}")
    try:
        assert counts(demo_engine) == after_first
        assert quarantined(demo_engine) == quarantine_first
    finally:
        demo_engine.dispose()
    # The demo keeps to its own database: the one --db names is untouched.
    assert counts(engine)["reports"] == 0


# --- synth and score ------------------------------------------------------------------------


def test_synth_writes_a_world_and_score_rates_baseline_and_export(tmp_path: Path) -> None:
    db_url = f"sqlite:///{tmp_path / 'unused.db'}"  # these commands need no database
    world = tmp_path / "world"
    made = hotline(db_url, "synth", "--seed", "7", "--out", str(world), "--no-captures")
    assert made.code == 0, made
    assert "world small seed 7" in made.out
    assert not (world / "captures").exists()
    for name in ("reports.csv", "pdns.jsonl", "selectors.jsonl", "truth.json"):
        assert (world / name).stat().st_size > 0
    truth = orjson.loads((world / "truth.json").read_bytes())

    # A perfect export (the truth itself in the site-export contract) scores 1.000 throughout.
    perfect = tmp_path / "perfect.csv"
    with perfect.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["site", "brand_id", "distributor_id"])
        for site, entry in truth["sites"].items():
            writer.writerow([site, entry["brand"] or "", entry["distributor"] or ""])
    scored = hotline(
        db_url,
        "score",
        "--truth",
        str(world / "truth.json"),
        "--export",
        str(perfect),
        "--baseline",
        str(world / "selectors.jsonl"),
    )
    assert scored.code == 0, scored
    perfect_row = next(line for line in scored.out.splitlines() if "perfect.csv" in line)
    assert perfect_row.count("1.000") == 6
    assert "0/" in perfect_row  # no non-commercial site attributed
    baseline_row = next(line for line in scored.out.splitlines() if "connected" in line)
    assert "100.0%" in baseline_row  # the naive baseline attributes every noise site


def test_score_without_anything_to_score_is_a_usage_error(tmp_path: Path) -> None:
    db_url = f"sqlite:///{tmp_path / 'unused.db'}"
    truth = tmp_path / "truth.json"
    truth.write_text('{"sites": {}}')
    result = hotline(db_url, "score", "--truth", str(truth))
    assert result.code == 2
    assert "nothing to score" in result.err
    assert "hotline export sites" in result.err
    broken = hotline(db_url, "score", "--truth", str(tmp_path / "missing.json"), "--baseline", "x")
    assert broken.code == 2
    assert "missing.json" in broken.err


def test_synth_into_a_file_is_a_clear_error(tmp_path: Path) -> None:
    db_url = f"sqlite:///{tmp_path / 'unused.db'}"
    blocker = tmp_path / "taken"
    blocker.write_text("not a folder")
    result = hotline(db_url, "synth", "--out", str(blocker))
    assert result.code == 2
    assert "cannot write the world" in result.err


# --- captures -------------------------------------------------------------------------------


def test_ingest_captures_selectors_and_export(db_url: str, tmp_path: Path) -> None:
    from tests.test_captures import _hostile_warc

    warc = tmp_path / "hostile.warc.gz"
    _hostile_warc(warc, b"\x00marker\x00" * 8)
    first = hotline(db_url, "ingest", "captures", str(warc))
    assert first.code == 1, first  # some records were refused
    assert "records refused (quarantined)" in first.out
    assert "truncated_gzip" in first.out
    assert "quarantine list" in first.err
    listed = hotline(db_url, "quarantine", "list")
    assert "hostile.warc.gz" in listed.out
    assert "not_html" in listed.out

    again = hotline(db_url, "ingest", "captures", str(warc))
    assert "new captures" in again.out
    assert re.search(r"new captures\s+│?\s*0\b", again.out), again.out

    shown = hotline(db_url, "selectors", "hxxps://vaxlum[.]test/some/page")
    assert shown.code == 0, shown
    assert "Selectors of vaxlum[.]test" in shown.out
    assert "btc_address" in shown.out
    assert "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2" in shown.out
    assert "crypto:BTC" in shown.out
    assert "://" not in shown.out  # nothing clickable

    exported = hotline(db_url, "export", "selectors", "--format", "csv", "--no-defang")
    assert exported.code == 0, exported
    rows = list(csv.DictReader(io.StringIO(exported.out)))
    assert {row["site"] for row in rows} == {"vaxlum.test"}
    assert {"btc_address", "brand_text", "template", "favicon_md5"} <= {r["kind"] for r in rows}
    assert all(row["sites"] == "1" for row in rows)
    btc = next(row for row in rows if row["kind"] == "btc_address")
    assert btc["method"] == "crypto:BTC"
    assert btc["first_seen"].startswith("2026-05-06")

    unknown = hotline(db_url, "selectors", "nothing-here.test")
    assert unknown.code == 0
    assert "no selectors recorded" in unknown.out
    bad = hotline(db_url, "selectors", "::::")
    assert bad.code == 2


# --- output files on a full disk ------------------------------------------------------------


class _FullDisk:
    """A writable file that takes ``budget[0]`` more bytes (shared by every file opened), writes
    what fits, then fails as a full disk does."""

    def __init__(self, real: Any, budget: list[int]) -> None:
        self._real, self._budget = real, budget

    def write(self, data: Any) -> int:
        if len(data) > self._budget[0]:
            self._real.write(data[: self._budget[0]])
            self._real.flush()
            self._budget[0] = 0
            raise OSError(28, "No space left on device")
        self._budget[0] -= len(data)
        return int(self._real.write(data))

    def __enter__(self) -> _FullDisk:
        return self

    def __exit__(self, *exc: object) -> None:
        self._real.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)


@pytest.fixture
def full_disk(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Every file opened for writing from now on shares a budget of 2,000 bytes (or chars)."""
    real_open = io.open
    budget = [2_000]

    def opening(file: Any, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        handle = real_open(file, mode, *args, **kwargs)
        return _FullDisk(handle, budget) if set(mode) & set("wax+") else handle

    monkeypatch.setattr(io, "open", opening)
    return budget


def _parts(folder: Path) -> list[Path]:
    return [path for path in folder.rglob("*") if path.name.endswith(".part")]


def test_report_on_a_full_disk_keeps_the_earlier_files(
    db_url: str, clean_feed: Path, tmp_path: Path, full_disk: list[int]
) -> None:
    full_disk[0] = 10**9  # the ingest writes nothing through io.open, but to be sure
    hotline(db_url, "-q", "ingest", "reports", str(clean_feed))
    folder = tmp_path / "assessment-2026"
    (folder / "tables").mkdir(parents=True)
    (folder / "assessment.html").write_text("<!DOCTYPE html>earlier report", encoding="utf-8")
    full_disk[0] = 2_000
    result = hotline(db_url, "report", "--out", str(folder))
    assert result.code == 2, result
    assert (folder / "assessment.html").read_text(encoding="utf-8") == (
        "<!DOCTYPE html>earlier report"
    )
    lines = result.err.strip().splitlines()
    assert len(lines) == 1, result.err
    assert "cannot write" in lines[0]
    assert "assessment.html" in lines[0]
    assert "No space left on device" in lines[0]
    assert _parts(folder) == []
    # Room again: a whole report, no temporary files left over.
    full_disk[0] = 10**9
    again = hotline(db_url, "report", "--out", str(folder))
    assert again.code == 0, again
    html = (folder / "assessment.html").read_text(encoding="utf-8")
    assert html.rstrip().endswith("</html>")
    assert _parts(folder) == []
    assert oct((folder / "assessment.html").stat().st_mode & 0o777) != "0o600"


def test_report_tables_on_a_full_disk_are_whole_or_absent(
    db_url: str, clean_feed: Path, tmp_path: Path, full_disk: list[int]
) -> None:
    full_disk[0] = 10**9
    hotline(db_url, "-q", "ingest", "reports", str(clean_feed))
    folder = tmp_path / "r"
    html_size = len(hotline(db_url, "report", "--out", "-").out.encode("utf-8"))
    full_disk[0] = html_size + 300  # the HTML fits, the tables run out of room
    result = hotline(db_url, "report", "--out", str(folder))
    assert result.code == 2, result
    assert "cannot write" in result.err
    assert ".csv" in result.err
    assert (folder / "assessment.html").read_text(encoding="utf-8").rstrip().endswith("</html>")
    for table in (folder / "tables").glob("*.csv"):  # each one whole: header and rows
        rows = list(csv.reader(io.StringIO(table.read_text(encoding="utf-8"))))
        assert rows, table.name
        assert all(len(row) == len(rows[0]) for row in rows), table.name
    assert _parts(folder) == []


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_export_on_a_full_disk_keeps_the_earlier_file(
    db_url: str, clean_feed: Path, tmp_path: Path, full_disk: list[int], fmt: str
) -> None:
    full_disk[0] = 10**9
    hotline(db_url, "-q", "ingest", "reports", str(clean_feed))
    target = tmp_path / f"urls.{fmt}"
    target.write_text("earlier export\n", encoding="utf-8")
    full_disk[0] = 100
    result = hotline(db_url, "export", "urls", "--format", fmt, "--out", str(target))
    assert result.code == 2, result
    assert target.read_text(encoding="utf-8") == "earlier export\n"
    assert len(result.err.strip().splitlines()) == 1
    assert "cannot write" in result.err
    assert "No space left on device" in result.err
    assert _parts(tmp_path) == []
    full_disk[0] = 10**9
    assert hotline(db_url, "export", "urls", "--format", fmt, "--out", str(target)).code == 0
    assert SHOP in target.read_text(encoding="utf-8")


def test_export_into_a_missing_folder_is_one_line(db_url: str, tmp_path: Path) -> None:
    result = hotline(db_url, "export", "urls", "--out", str(tmp_path / "no" / "such" / "u.csv"))
    assert result.code == 2
    assert len(result.err.strip().splitlines()) == 1
    assert "cannot write" in result.err


def test_quarantine_save_raw_on_a_full_disk(
    db_url: str, engine: Engine, tmp_path: Path, mixed_feed: Path, full_disk: list[int]
) -> None:
    full_disk[0] = 10**9
    hotline(db_url, "ingest", "reports", str(mixed_feed))
    (item,) = ask(engine, entries, code="bad_timestamp")
    saved = tmp_path / "raw.bin"
    saved.write_bytes(b"earlier")
    full_disk[0] = 5
    result = hotline(db_url, "quarantine", "show", str(item.id), "--save-raw", str(saved))
    assert result.code == 2
    assert saved.read_bytes() == b"earlier"
    assert "cannot write" in result.err


def test_paths_and_labels_print_literally(db_url: str, clean_feed: Path, tmp_path: Path) -> None:
    """Rich markup in what the user typed (an --out path) prints as typed."""
    hotline(db_url, "-q", "ingest", "reports", str(clean_feed))
    folder = tmp_path / "[bold]q3"
    result = hotline(db_url, "report", "--out", str(folder))
    assert result.code == 0, result
    assert f"wrote {folder / 'assessment.html'}" in result.out
    target = tmp_path / "[red]urls.csv"
    exported = hotline(db_url, "export", "urls", "--out", str(target))
    assert exported.code == 0
    assert str(target) in exported.err


# --- the console script imports only the command it runs -------------------------------------


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["attribute"], "attribute"),
        (["--db", "sqlite:///x.db", "-q", "why", "a.test"], "why"),
        (["--as", "ingest", "--org", "north", "export", "urls"], "export"),  # values skipped
        (["--db=sqlite:///x.db", "init"], "init"),
        (["--help"], None),
        (["--help", "casework"], None),  # the main help lists every command
        (["-q", "-h", "why"], None),
        (["-q"], None),
        (["nosuch", "attribute"], None),  # a typo: the whole app says what exists
    ],
)
def test_the_command_run_is_found_among_the_main_options(
    args: list[str], named: str | None
) -> None:
    assert command_named(args) == named


def test_an_app_built_for_one_command_runs_it_and_the_whole_app_holds_every_command() -> None:
    single: Any = get_command(build("why"))
    assert sorted(single.commands) == ["init", "why"]
    whole: Any = get_command(app)
    assert {"why", "init", "demo", "casework", "export"} <= set(whole.commands)
    result = runner.invoke(build("why"), ["why", "--help"])
    assert result.exit_code == 0, result.output
    assert "Example" in result.stdout
