"""The strategic assessment from a real store (SQLite and PostgreSQL): the numbers against the
synthetic world's truth, the files ``hotline report`` writes, and ``--as-of`` reproducibility."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import Any

import orjson
import pytest

from hotline.hosting.current import HOSTING_LABELS
from hotline.store.engine import make_engine
from hotline.strategic.build import Scope, build_assessment
from hotline.synth.generate import generate
from tests.test_cli import hotline
from tests.test_report_render import PROBE, _dump_dom, _need_chromium, _probe

GENERATED = re.compile(r'<span id="generated-at">[^<]*</span>')


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("report-world")
    generate(53, "small", out)
    return out


def _load(db_url: str, world: Path) -> None:
    hotline(db_url, "-q", "ingest", "reports", str(world / "reports.csv"))
    warcs = sorted(str(p) for p in (world / "captures").glob("*.warc.gz"))
    assert hotline(db_url, "-q", "ingest", "captures", "--processors",
                   str(world / "processors.json"), *warcs).code == 0  # fmt: skip
    assert hotline(db_url, "-q", "ingest", "pdns", str(world / "pdns.jsonl")).code == 0
    assert hotline(db_url, "-q", "providers", "import", str(world / "providers.csv")).code == 0
    args = ["--geoip-db", str(world / "geoip" / "country.mmdb"), "--asn-db",
            str(world / "geoip" / "asn.mmdb"), "--cdn-list", str(world / "cdn.json")]  # fmt: skip
    assert hotline(db_url, "-q", "enrich", *args).code == 0
    assert hotline(db_url, "-q", "attribute").code == 0


def _table(assessment: Any, key: str) -> Any:
    for section in assessment.sections:
        for table in section.tables:
            if table.key == key:
                return table
    raise AssertionError(f"no table {key}")


def test_numbers_equal_the_truth(db_url: str, world: Path) -> None:
    _load(db_url, world)
    truth = orjson.loads((world / "truth.json").read_bytes())
    engine = make_engine(db_url)
    assessment = build_assessment(engine, Scope())
    engine.dispose()
    expected = Counter(
        HOSTING_LABELS.get(entry["hosting_country"], entry["hosting_country"])
        for entry in truth["urls"].values()
    )
    table = _table(assessment, "hosting_countries")
    assert {row[0]: row[1] for row in table.rows} == dict(expected)
    scale = {row[0]: row[1] for row in _table(assessment, "scale").rows}
    assert scale["unique URLs"] == len(truth["urls"])
    assert scale["sites"] == len(truth["sites"])
    assert scale["reports"] == sum(entry["reports"] for entry in truth["urls"].values())
    assert "distributors operated" in assessment.headline
    assert assessment.headline.startswith(f"Of {len(truth['urls']):,} unique URLs")
    assert [s.key for s in assessment.sections] == [
        "scale", "hosting", "brands", "payment", "site_types", "trends", "known_media",
        "takedown", "method",
    ]  # fmt: skip


def test_report_files_and_as_of_reproducibility(db_url: str, world: Path, tmp_path: Path) -> None:
    _load(db_url, world)
    first = hotline(db_url, "report", "--out", str(tmp_path / "a"), "--print")
    assert first.code == 0, first.err
    assert "Of " in first.out
    assert re.search(r"(https?|ftp)://", first.out) is None
    html = (tmp_path / "a" / "assessment.html").read_text(encoding="utf-8")
    assert "<a " not in html
    assert "href" not in html
    assert re.search(r"(https?|ftp)://", html) is None  # defanged forms read hxxp[://]
    tables = sorted(p.name for p in (tmp_path / "a" / "tables").glob("*.csv"))
    assert "hosting_countries.csv" in tables
    assert "monthly.csv" in tables
    as_of = re.search(r"as of \(data ingested up to\)[^0-9]*([0-9T:+\-]+)", html)
    assert as_of is not None
    moment = as_of.group(1)

    again = hotline(db_url, "report", "--out", str(tmp_path / "b"), "--as-of", moment)
    assert again.code == 0
    # More data arrives after that moment...
    late = tmp_path / "late.csv"
    late.write_text(
        "source,source_report_id,reported_at,url\n"
        + "".join(f"HL-Z,late-{i},2026-11-20T10:00:00Z,http://late-{i}.test/p\n" for i in range(5)),
        encoding="utf-8",
    )
    assert hotline(db_url, "-q", "ingest", "reports", str(late)).code == 0
    third = hotline(db_url, "report", "--out", str(tmp_path / "c"), "--as-of", moment)
    assert third.code == 0
    b = (tmp_path / "b" / "assessment.html").read_text(encoding="utf-8")
    c = (tmp_path / "c" / "assessment.html").read_text(encoding="utf-8")
    assert GENERATED.search(b) is not None
    assert GENERATED.sub("", b) == GENERATED.sub("", c)  # byte for byte but the timestamp
    for name in tables:
        assert (tmp_path / "b" / "tables" / name).read_bytes() == (
            tmp_path / "c" / "tables" / name
        ).read_bytes(), name
    # ...and without --as-of the report does count it.
    now = hotline(db_url, "report", "--out", str(tmp_path / "d"))
    assert now.code == 0
    d = (tmp_path / "d" / "tables" / "scale.csv").read_text(encoding="utf-8")
    assert d != (tmp_path / "c" / "tables" / "scale.csv").read_text(encoding="utf-8")


def test_report_usage_errors(db_url: str) -> None:
    assert hotline(db_url, "report").code == 2
    bad = hotline(db_url, "report", "--print", "--from", "2026-13-01")
    assert bad.code == 2
    assert "--from" in bad.err
    backwards = hotline(db_url, "report", "--print", "--from", "2026-05-01", "--to", "2026-01-01")
    assert backwards.code == 2
    unknown = hotline(db_url, "report", "--print", "--source", "HL-NOPE")
    assert unknown.code == 2
    assert "unknown source" in unknown.err


def test_the_real_report_renders_in_chromium(tmp_path: Path, world: Path) -> None:
    """The assessment of a real store, opened in headless Chromium: every chart drawn with
    the expected bars, and no link anywhere (so none to a reported URL)."""
    exe = _need_chromium()
    db_url = f"sqlite:///{tmp_path / 'browser.db'}"
    _load(db_url, world)
    assert hotline(db_url, "-q", "report", "--out", str(tmp_path / "r")).code == 0
    engine = make_engine(db_url)
    assessment = build_assessment(engine, Scope())
    engine.dispose()
    charts = {c.key: c for s in assessment.sections for c in s.charts}
    document = (tmp_path / "r" / "assessment.html").read_text(encoding="utf-8")
    document = re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", document)
    page = tmp_path / "probe.html"
    page.write_text(document.replace("</body>", PROBE + "</body>"), encoding="utf-8")
    probe = _probe(_dump_dom(exe, page))
    assert probe is not None, "the probe script did not run"
    assert probe["links"] == 0
    seen = probe["charts"]
    assert isinstance(seen, list)
    assert sorted(entry["key"] for entry in seen) == sorted(charts)
    for entry in seen:
        chart = charts[entry["key"]]
        assert entry["width"] > 0
        assert entry["height"] > 0
        if chart.kind == "bar":
            assert entry["bars"] == entry["measured"] == len(chart.labels) > 0, entry
        else:
            assert entry["lines"] == len(chart.series), entry
    hosting = charts["hosting_countries"]
    assert "behind CDN" in hosting.labels
    assert "hidden service (.onion)" in hosting.labels
    pdf = tmp_path / "r" / "assessment.pdf"
    assert pdf.read_bytes().startswith(b"%PDF")


def test_a_provider_name_longer_than_255_characters_does_not_stop_the_report(
    db_url: str, world: Path, tmp_path: Path
) -> None:
    """IP databases name providers freely; site_hosting keeps the name whole (Text), and the
    report's working tables must too (PostgreSQL refused the insert into a 255-wide column)."""
    from sqlalchemy import update

    from hotline.hosting.models import SiteHosting

    _load(db_url, world)
    engine = make_engine(db_url)
    with engine.begin() as connection:
        connection.execute(
            update(SiteHosting)
            .where(SiteHosting.status == "hosted")
            .values(provider="Quobble Hosting " * 30)
        )
    engine.dispose()
    result = hotline(db_url, "report", "--out", str(tmp_path / "long"))
    assert result.code == 0, result.err
    assert "Quobble Hosting" in (tmp_path / "long" / "assessment.html").read_text("utf-8")
