"""Report intake on both engines: dedupe against the generator's truth, idempotence, quarantine."""

from __future__ import annotations

import csv
import io
import sqlite3
from pathlib import Path

import orjson
import pytest
from sqlalchemy import Engine, func, select

from hotline.intake.models import Report, Site, Source, Url
from hotline.intake.services import ReportImporter
from hotline.intake.stats import multi_source_urls
from hotline.quarantine import QuarantineEntry, entries
from hotline.synth.feed import FeedGenerator, FeedRow, write_feed
from hotline.urls import CanonicalURL, canonicalize
from tests.helpers import ask

HEADER = "source,source_report_id,reported_at,url,site_type,commercial,note\n"


def _count(engine: Engine, model: type) -> int:
    with engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(model)).scalar_one())


def _urls(engine: Engine) -> set[str]:
    with engine.connect() as connection:
        return set(connection.execute(select(Url.canonical)).scalars())


@pytest.fixture
def feed(tmp_path: Path) -> tuple[Path, list[FeedRow]]:
    rows = list(FeedGenerator(seed=7, sources=5, duplicate_share=0.4).rows(3000))
    path = tmp_path / "feed.csv"
    write_feed(path, iter(rows))
    return path, rows


def test_surface_variants_from_several_hotlines_dedupe_to_the_truth(
    engine: Engine,
    feed: tuple[Path, list[FeedRow]],
) -> None:
    path, rows = feed
    summary = ReportImporter(engine, batch_size=700).ingest(path)

    truth_urls = {row.truth for row in rows if row.truth}
    truth_sites = {c.site for c in map(canonicalize, truth_urls) if isinstance(c, CanonicalURL)}
    assert summary.rows_read == len(rows)
    assert summary.rejected == 0
    assert summary.new_reports == len(rows) == _count(engine, Report)
    assert summary.new_urls == len(truth_urls)
    assert _urls(engine) == truth_urls
    assert summary.new_sites == len(truth_sites) == _count(engine, Site)
    assert _count(engine, Source) == 5

    reporters: dict[str, set[str]] = {}
    for row in rows:
        reporters.setdefault(str(row.truth), set()).add(row.source)
    assert ask(engine, multi_source_urls) == sum(1 for s in reporters.values() if len(s) > 1) > 0


def test_reimporting_a_file_adds_nothing(
    engine: Engine,
    feed: tuple[Path, list[FeedRow]],
) -> None:
    path, rows = feed
    ReportImporter(engine).ingest(path)
    counts = [_count(engine, m) for m in (Report, Url, Site, Source)]
    again = ReportImporter(engine).ingest(path)
    assert (again.new_reports, again.new_urls, again.new_sites) == (0, 0, 0)
    assert again.duplicate_reports == len(rows)
    assert [_count(engine, m) for m in (Report, Url, Site, Source)] == counts


def test_the_reading_process_gives_the_same_result_as_in_process(
    db_url: str,
    tmp_path: Path,
    feed: tuple[Path, list[FeedRow]],
) -> None:
    from hotline.store.engine import make_engine

    path, rows = feed
    engine = make_engine(db_url)
    summary = ReportImporter(engine, batch_size=500, parallel=True).ingest(path)
    assert summary.new_reports == len(rows)
    assert _urls(engine) == {row.truth for row in rows}
    engine.dispose()


def test_a_file_of_bad_rows_is_quarantined_and_the_good_rows_still_go_in(
    engine: Engine, tmp_path: Path
) -> None:
    good = "HL-A,ok-1,2026-02-01T10:00:00Z,https://shop.zorbel.test/item/1,website,true,\n"
    bad_lines = [
        "HL-A,bad-1,yesterday,https://shop.zorbel.test/item/2,website,,\n",  # bad timestamp
        "HL-A,bad-2,2026-02-01T10:00:00Z,javascript:alert(1),website,,\n",  # script URL
        "HL-A,,2026-02-01T10:00:00Z,https://shop.zorbel.test/item/3,website,,\n",  # no id
        "HL-A,bad-4,2026-02-01T10:00:00Z,https://shop.zorbel.test/item/4\n",  # too few fields
    ]
    raw = HEADER.encode() + good.encode() + "".join(bad_lines).encode()
    raw += b"HL-A,bad-5,2026-02-01T10:00:00Z,https://shop.zorbel.test/\xff\xfe,website,,\n"
    raw += b"HL-A,big," + b"x" * (2 << 20) + b",https://shop.zorbel.test/big,website,,\n"
    raw += b"HL-B,ok-2,2026-02-02T10:00:00+01:00,https://SHOP.zorbel.test:443/item/1#top,,,\n"
    path = tmp_path / "bad.csv"
    path.write_bytes(raw)

    summary = ReportImporter(engine).ingest(path)

    assert summary.new_reports == 2
    assert summary.new_urls == 1  # both good rows are the same canonical URL
    assert summary.rejected == 6
    found = {(e.line, e.reason_code) for e in ask(engine, entries, limit=None)}
    assert found == {
        (3, "bad_timestamp"),
        (4, "url_unsupported_scheme"),
        (5, "missing_field"),
        (6, "bad_csv"),
        (7, "not_utf8"),
        (8, "line_too_long"),
    }
    stored = {e.line: e for e in ask(engine, entries, limit=None)}
    assert stored[4].raw == bad_lines[1].encode()
    assert b"\xff\xfe" in stored[7].raw
    assert stored[8].raw_truncated
    assert all(e.file == str(path.resolve()) for e in stored.values())

    again = ReportImporter(engine).ingest(path)
    assert again.rejected == 6
    assert _count(engine, QuarantineEntry) == 6  # a rerun does not quarantine twice


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (b"", "empty_file"),
        (b"source,source_report_id,url\nHL-A,1,https://a.zorbel.test/\n", "bad_header"),
        (b"source,source,source_report_id,reported_at,url\n", "bad_header"),
    ],
    ids=["empty file", "missing columns", "duplicated column"],
)
def test_file_level_problems_are_one_quarantine_entry(
    engine: Engine, tmp_path: Path, content: bytes, code: str
) -> None:
    path = tmp_path / "feed.csv"
    path.write_bytes(content)
    summary = ReportImporter(engine).ingest(path)
    assert summary.rows_read == 0
    assert summary.rejected == 1
    assert [e.reason_code for e in ask(engine, entries)] == [code]


def test_a_header_only_file_is_fine_and_empty(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "feed.csv"
    path.write_text(HEADER)
    summary = ReportImporter(engine).ingest(path)
    assert (summary.rows_read, summary.rejected, summary.new_reports) == (0, 0, 0)


def test_jsonl_keeps_unknown_keys_as_extra_and_accepts_json_types(
    engine: Engine, tmp_path: Path
) -> None:
    lines = [
        {
            "source": "HL-C",
            "source_report_id": 17,
            "reported_at": "2026-05-01T00:00:00Z",
            "url": "http://gallery.quobel.example/a",
            "commercial": True,
            "ticket": "T-9",
            "tags": ["x", "y"],
        },
        ["not", "an", "object"],
    ]
    path = tmp_path / "feed.jsonl"
    path.write_bytes(b"\n".join(orjson.dumps(line) for line in lines) + b"\n{broken\n")
    summary = ReportImporter(engine).ingest(path)
    assert summary.new_reports == 1
    assert sorted(e.reason_code for e in ask(engine, entries)) == ["bad_json", "bad_json"]
    with engine.connect() as connection:
        report = connection.execute(
            select(Report.extra, Report.commercial, Report.source_report_id)
        ).one()
    assert report.extra == {"ticket": "T-9", "tags": ["x", "y"]}
    assert report.commercial is True
    assert report.source_report_id == "17"


def test_one_report_id_twice_in_a_file_is_one_report(engine: Engine, tmp_path: Path) -> None:
    body = io.StringIO()
    writer = csv.writer(body, lineterminator="\n")
    writer.writerow(HEADER.strip().split(","))
    for _ in range(2):
        writer.writerow(["HL-A", "same", "2026-01-01", "http://a.zorbel.test/", "", "", ""])
    path = tmp_path / "dup.csv"
    path.write_text(body.getvalue())
    summary = ReportImporter(engine).ingest(path)
    assert (summary.new_reports, summary.duplicate_reports) == (1, 1)


def test_a_transient_failure_mid_batch_is_retried_without_loss(
    engine: Engine, feed: tuple[Path, list[FeedRow]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A deadlock (PostgreSQL) or "database is locked" (SQLite) in the middle of the first
    batch's transaction rolls it back; the retry must redo everything, staging included."""
    import psycopg
    from sqlalchemy.exc import OperationalError

    from hotline.store.bulk import Bulk

    path, rows = feed
    original = Bulk.load
    calls = {"n": 0}

    def flaky(self: Bulk, load: object, batch_rows: list[tuple[object, ...]], now: str) -> int:
        calls["n"] += 1
        if calls["n"] == 2:  # sites are in, URLs not yet: the worst moment
            cause: Exception = (
                psycopg.errors.DeadlockDetected("deadlock detected")
                if self.postgres
                else sqlite3.OperationalError("database is locked")
            )
            raise OperationalError("INSERT ...", {}, cause)
        return original(self, load, batch_rows, now)  # type: ignore[arg-type]

    monkeypatch.setattr(Bulk, "load", flaky)
    summary = ReportImporter(engine, batch_size=1000).ingest(path)
    assert calls["n"] > 2
    assert summary.new_reports == len(rows) == _count(engine, Report)
    assert summary.new_urls == len({row.truth for row in rows}) == _count(engine, Url)


def test_an_overlong_host_is_one_refused_row_on_both_engines(
    engine: Engine, tmp_path: Path
) -> None:
    path = tmp_path / "long.csv"
    rows = [f"HL-A,ok-{n},2026-01-01,http://shop{n}.zorbel.test/x,,,\n" for n in range(10)]
    rows.insert(5, "HL-A,long,2026-01-01,http://" + "x" * 300 + ".test/,,,\n")
    path.write_text(HEADER + "".join(rows))
    summary = ReportImporter(engine).ingest(path)
    assert (summary.new_reports, summary.rejected) == (10, 1)
    assert [e.reason_code for e in ask(engine, entries)] == ["url_invalid_host"]


def test_a_report_sent_again_with_another_url_is_quarantined_not_stored(
    engine: Engine, tmp_path: Path
) -> None:
    first, second = tmp_path / "first.csv", tmp_path / "second.csv"
    first.write_text(HEADER + "HL-A,17,2026-01-01,http://first.zorbel.test/a,,,\n")
    second.write_text(
        HEADER
        + "HL-B,5,2026-01-02,http://first.zorbel.test/a,,,\n"  # another hotline: new report
        + "HL-A,17,2026-01-02,http://corrected.zorbel.test/b,,,\n"  # conflicts
    )
    ReportImporter(engine).ingest(first)
    summary = ReportImporter(engine).ingest(second)
    assert (summary.new_reports, summary.duplicate_reports, summary.rejected) == (1, 0, 1)
    assert (summary.new_urls, summary.new_sites) == (0, 0)  # nothing orphaned
    assert _urls(engine) == {"http://first.zorbel.test/a"}
    [conflict] = ask(engine, entries)
    assert (conflict.reason_code, conflict.line) == ("conflicting_report", 3)
    assert b"corrected" in conflict.raw
    same_again = tmp_path / "again.csv"
    same_again.write_text(HEADER + "HL-A,17,2026-01-03,http://FIRST.zorbel.test/a#top,,,\n")
    again = ReportImporter(engine).ingest(same_again)
    assert (again.new_reports, again.duplicate_reports, again.rejected) == (0, 1, 0)


@pytest.mark.parametrize("batch_size", [1, 2, 5000])
def test_conflicts_inside_one_file_do_not_depend_on_the_batch_size(
    engine: Engine, tmp_path: Path, batch_size: int
) -> None:
    path = tmp_path / "feed.csv"
    path.write_text(
        HEADER
        + "HL-A,17,2026-01-01,http://first.zorbel.test/a,,,\n"
        + "HL-A,18,2026-01-01,http://other.zorbel.test/c,,,\n"
        + "HL-A,17,2026-01-02,http://corrected.zorbel.test/b,,,\n"
    )
    summary = ReportImporter(engine, batch_size=batch_size).ingest(path)
    assert (summary.new_reports, summary.rejected) == (2, 1)
    assert _urls(engine) == {"http://first.zorbel.test/a", "http://other.zorbel.test/c"}
    assert [(e.reason_code, e.line) for e in ask(engine, entries)] == [("conflicting_report", 4)]
