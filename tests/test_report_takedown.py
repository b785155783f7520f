"""The "Notice and takedown" section of the strategic assessment (SQLite and PostgreSQL): a
small store walked through casework on a controlled clock, its figures checked against what
the scenario says they must be, scoped by ``--as-of`` and the period, and drawn by every
renderer (HTML with its chart, CSV tables, the terminal); an empty store says so in a sentence.

Every value is synthetic and benign: reserved ``.test`` names, documentation addresses.
"""

from __future__ import annotations

import csv
import io
import statistics
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from sqlalchemy import Engine, insert

from hotline.accounts.roles import Actor, Role, local_admin
from hotline.casework import queries
from hotline.casework.advance import run
from hotline.casework.decisions import classify
from hotline.casework.facts import record_check
from hotline.casework.rules import Rules
from hotline.hosting.models import IpFactsRow, SiteHosting
from hotline.pipeline import import_reports
from hotline.store.engine import make_engine
from hotline.store.uow import unit_of_work
from hotline.strategic.build import Scope, build_assessment
from hotline.strategic.csvout import table_files
from hotline.strategic.html import render_html
from hotline.strategic.model import Assessment, Section, Table
from hotline.strategic.terminal import print_summary
from tests.test_cli import hotline

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
H = timedelta(hours=1)
D = timedelta(days=1)
LATER = datetime(2027, 1, 1, tzinfo=UTC)  # after everything in the scenario
ADMIN = local_admin("lead")
ANNA = Actor("anna", "HL", frozenset({Role.ANALYST}))
RULES = Rules()  # no own country: every URL is noticed to its provider straight away

# site → (country, AS number, provider name, address)
HOSTING = {
    "alpha.test": ("US", 64502, "Rack US rack-us.test", "198.51.100.5"),
    "beta.test": ("FR", 64510, "Rack FR", "192.0.2.30"),
    "gamma.test": ("FR", 64511, "Rack FR two", "192.0.2.31"),
}


@dataclass(frozen=True)
class Item:
    url: str
    reported: timedelta  # from T0
    noticed: timedelta  # classified and first noticed, from T0
    removed: timedelta | None  # seen down, from T0
    reappears: timedelta | None = None  # seen up again, from T0


ITEMS = {
    "u1": Item("http://alpha.test/item/1", -48 * H, 0 * H, 5 * H, reappears=9 * D),
    "u2": Item("http://alpha.test/item/2", -49 * H, 0 * H, 50 * H),
    "u3": Item("http://alpha.test/item/3", -50 * H, 0 * H, None),
    "u4": Item("http://beta.test/item/1", -51 * H, 0 * H, 100 * H),
    "u5": Item("http://beta.test/item/2", -52 * H, 1 * D, 21 * D),
    "u6": Item("http://beta.test/item/3", -53 * H, 10 * D, 60 * D),
    "u7": Item("http://gamma.test/item/1", -54 * H, 40 * D, 50 * D),
}
SITE_OF = {name: item.url.split("/")[2] for name, item in ITEMS.items()}
BUCKET_ROWS = ("same day (under 24 h)", "under 3 days", "under 7 days", "under 42 days",
               "42 days or more", "not removed")  # fmt: skip


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def world(engine: Engine, tmp_path: Path) -> Engine:
    """The scenario of ITEMS, walked through casework in time order."""
    feed = tmp_path / "feed.csv"
    lines = ["source,source_report_id,reported_at,url,site_type,commercial,note"]
    for n, item in enumerate(ITEMS.values()):
        reported = (T0 + item.reported).strftime("%Y-%m-%dT%H:%M:%SZ")
        lines.append(f"HL-A,r{n},{reported},{item.url},website,true,")
    feed.write_text("\n".join(lines) + "\n")
    import_reports(engine, ADMIN, [feed])
    with unit_of_work(engine) as connection:
        for key, (country, asn, provider, ip) in HOSTING.items():
            connection.execute(
                insert(SiteHosting).values(site_key=key, status="hosted", country=country, ip=ip,
                                           asn=asn, provider=provider)
            )  # fmt: skip
            connection.execute(
                insert(IpFactsRow).values(
                    ip=ip, country=country, asn=asn, as_org=provider, fingerprint="test",
                    abuse_emails=[f"abuse@{key.split('.')[0]}-host.example"],
                )
            )  # fmt: skip
    events: list[tuple[timedelta, str, str]] = []
    for name, item in ITEMS.items():
        events.append((item.noticed, "classify", name))
        if item.removed is not None:
            events.append((item.removed, "down", name))
        if item.reappears is not None:
            events.append((item.reappears, "up", name))
    out = tmp_path / "notices"
    for offset, what, name in sorted(events):
        at = T0 + offset
        if what == "classify":
            classify(engine, ANNA, ITEMS[name].url, "interpol", "baseline", at=at)
            run(engine, ADMIN, RULES, out, now=at)
        else:
            record_check(engine, ANNA, ITEMS[name].url, up=what == "up", at=at)
            run(engine, ADMIN, RULES, out, now=at + timedelta(minutes=1))
    return engine


# -- what the figures must be, worked out from the scenario alone ----------------------------


@dataclass
class Expected:
    noticed: int
    removed: int
    buckets: dict[str, int]  # BUCKET_ROWS label → URLs, from the first notice
    from_report: dict[str, int]
    median_notice: float | None
    median_report: float | None
    within_3_days: float  # %
    never_removed: float  # %
    reappeared: int


def _bucket(hours: float | None) -> str:
    if hours is None:
        return "not removed"
    for edge, label in zip((24, 72, 168, 1008), BUCKET_ROWS, strict=False):
        if hours < edge:
            return label
    return "42 days or more"


def expected(
    names: list[str] | None = None,
    until: datetime = LATER,
    since: datetime | None = None,
) -> Expected:
    chosen = [ITEMS[n] for n in (names or list(ITEMS))]
    kept = [
        i for i in chosen if T0 + i.noticed <= until and (since is None or T0 + i.noticed >= since)
    ]
    gone = {
        i.url: i.removed / H for i in kept if i.removed is not None and T0 + i.removed <= until
    }  # hours from T0 to removal
    from_notice = [gone[i.url] - i.noticed / H if i.url in gone else None for i in kept]
    from_report = [gone[i.url] - i.reported / H if i.url in gone else None for i in kept]
    removed = [h for h in from_notice if h is not None]
    return Expected(
        noticed=len(kept),
        removed=len(removed),
        buckets={label: [_bucket(h) for h in from_notice].count(label) for label in BUCKET_ROWS},
        from_report={
            label: [_bucket(h) for h in from_report].count(label) for label in BUCKET_ROWS
        },
        median_notice=statistics.median(removed) if removed else None,
        median_report=statistics.median([h for h in from_report if h is not None])
        if removed
        else None,
        within_3_days=100 * sum(h < 72 for h in removed) / len(kept) if kept else 0.0,
        never_removed=100 * (len(kept) - len(removed)) / len(kept) if kept else 0.0,
        reappeared=sum(i.reappears is not None and T0 + i.reappears <= until for i in kept),
    )


# -- reading the model --------------------------------------------------------------------------


def _section(assessment: Assessment) -> Section:
    [section] = [s for s in assessment.sections if s.key == "takedown"]
    return section


def _table(section: Section, key: str) -> Table:
    [table] = [t for t in section.tables if t.key == key]
    return table


def _measures(section: Section) -> dict[Any, Any]:
    return {row[0]: row[1] for row in _table(section, "takedown").rows}


def _check_overall(section: Section, want: Expected) -> None:
    measures = _measures(section)
    assert measures["URLs noticed"] == want.noticed
    assert measures["URLs removed"] == want.removed
    assert measures["median hours from first notice to removal"] == pytest.approx(
        want.median_notice, abs=0.01
    )
    assert measures["median hours from first report to removal"] == pytest.approx(
        want.median_report, abs=0.01
    )
    assert measures["share removed within 3 days of the first notice (%)"] == pytest.approx(
        want.within_3_days, abs=0.01
    )
    assert measures["share never removed (%)"] == pytest.approx(want.never_removed, abs=0.01)
    assert measures["URLs that re-appeared after removal"] == want.reappeared
    buckets = _table(section, "takedown_buckets")
    assert [row[0] for row in buckets.rows] == list(BUCKET_ROWS)
    assert {row[0]: row[1] for row in buckets.rows} == want.buckets
    assert {row[0]: row[3] for row in buckets.rows} == want.from_report
    [chart] = section.charts
    assert chart.kind == "bar"
    assert chart.labels == BUCKET_ROWS
    assert chart.series == (("URLs", tuple(float(want.buckets[b]) for b in BUCKET_ROWS)),)


def _check_profile(row: tuple[Any, ...], want: Expected) -> None:
    noticed, removed, median, within, never = row
    assert (noticed, removed) == (want.noticed, want.removed)
    assert median == pytest.approx(want.median_notice, abs=0.01)
    assert within == pytest.approx(want.within_3_days, abs=0.01)
    assert never == pytest.approx(want.never_removed, abs=0.01)


# -- the figures -----------------------------------------------------------------------------


def test_the_figures_are_the_scenarios(world: Engine) -> None:
    section = _section(build_assessment(world, Scope(as_of=LATER)))
    want = expected()
    # the scenario as worked out by hand, so a wrong helper above cannot hide a wrong report
    assert (want.noticed, want.removed, want.reappeared) == (7, 6, 1)
    assert want.median_notice == 170.0  # removed after 2..1200 h: (100 + 240) / 2
    assert list(want.buckets.values()) == [1, 1, 1, 2, 1, 1]
    _check_overall(section, want)

    countries = {row[0]: row[1:] for row in _table(section, "takedown_countries").rows}
    assert list(countries) == ["FR", "US"]  # the most URLs noticed first
    _check_profile(countries["US"], expected(["u1", "u2", "u3"]))
    _check_profile(countries["FR"], expected(["u4", "u5", "u6", "u7"]))

    providers = {row[0]: row[1:] for row in _table(section, "takedown_providers").rows}
    assert list(providers) == ["AS64502", "AS64510", "AS64511"]
    assert providers["AS64502"][0] == "Rack US rack-us.test"
    assert providers["AS64511"][0] == "Rack FR two"
    _check_profile(providers["AS64502"][1:], expected(["u1", "u2", "u3"]))
    _check_profile(providers["AS64510"][1:], expected(["u4", "u5", "u6"]))
    _check_profile(providers["AS64511"][1:], expected(["u7"]))

    # u1 came back after its removal: one of the two removed URLs of AS64502
    assert _table(section, "takedown_reappeared").rows == (
        ("AS64502", "Rack US rack-us.test", 3, 2, 1, 50.0),
    )
    assert section.paragraphs[0].startswith("7 URLs were noticed and 6 (85.7 %) were seen removed")


def test_the_figures_are_the_casework_statistics(world: Engine) -> None:
    """The report and ``hotline casework stats`` agree for the same moment."""
    section = _section(build_assessment(world, Scope(as_of=LATER)))
    with world.connect() as connection:
        [total] = queries.stats(connection, "overall", until=LATER)
        by_provider = queries.stats(connection, "provider", until=LATER)
    measures = _measures(section)
    assert measures["URLs noticed"] == total.noticed
    assert measures["median hours from first notice to removal"] == total.median_from_notice
    assert measures["median hours from first report to removal"] == total.median_from_report
    assert measures["share removed within 3 days of the first notice (%)"] == pytest.approx(
        100 * total.within_3_days
    )
    buckets = _table(section, "takedown_buckets").rows
    assert [row[1] for row in buckets] == list(total.from_notice.values())
    assert [row[3] for row in buckets] == list(total.from_report.values())
    providers = _table(section, "takedown_providers").rows
    assert [(row[0], row[2], row[3]) for row in providers] == [
        (s.key, s.noticed, s.removed) for s in by_provider
    ]


def test_as_of_leaves_out_later_notices_and_later_removals(world: Engine, tmp_path: Path) -> None:
    as_of = T0 + 30 * D  # u7 is noticed after it, u6 removed after it
    section = _section(build_assessment(world, Scope(as_of=as_of)))
    want = expected(until=as_of)
    assert (want.noticed, want.removed) == (6, 4)
    assert want.buckets["not removed"] == 2
    _check_overall(section, want)
    providers = {row[0] for row in _table(section, "takedown_providers").rows}
    assert providers == {"AS64502", "AS64510"}
    # the same moment again, after more casework: the same figures
    record_check(world, ANNA, ITEMS["u3"].url, up=False, at=T0 + 80 * D)
    run(world, ADMIN, RULES, tmp_path / "notices", now=T0 + 80 * D)
    assert _section(build_assessment(world, Scope(as_of=as_of))) == section
    later = _section(build_assessment(world, Scope(as_of=LATER)))
    assert _measures(later)["URLs removed"] == 7


def test_the_period_selects_urls_by_their_first_notice(world: Engine) -> None:
    since = datetime(2026, 3, 7, tzinfo=UTC)  # after the first five notices (2 and 3 March)
    section = _section(build_assessment(world, Scope(date_from=since.date(), as_of=LATER)))
    assert _measures(section)["URLs noticed"] == 2  # u6 (12 March) and u7 (11 April)
    _check_overall(section, expected(since=since))
    # up to the end of March: u7 (noticed in April) is left out, u6 removed in May is not yet
    end = datetime(2026, 4, 1, tzinfo=UTC) - timedelta(microseconds=1)
    section = _section(build_assessment(world, Scope(date_to=date(2026, 3, 31), as_of=LATER)))
    _check_overall(section, expected(until=end))
    assert _measures(section)["URLs noticed"] == 6


def test_casework_out_of_scope_is_said_so(world: Engine) -> None:
    section = _section(build_assessment(world, Scope(as_of=T0 - D)))
    assert section.tables == ()
    assert section.charts == ()
    assert len(section.paragraphs) == 1
    assert section.paragraphs[0].startswith("No URL was first noticed")


# -- the renderers --------------------------------------------------------------------------


def test_every_renderer_shows_the_section(world: Engine) -> None:
    assessment = build_assessment(world, Scope(as_of=LATER))
    want = expected()
    keys = [s.key for s in assessment.sections]
    assert keys.index("takedown") == keys.index("method") - 1

    html = render_html(assessment)
    assert '<section class="section" id="section-takedown">' in html
    assert "Notice and takedown</h2>" in html
    assert "<li>Notice and takedown</li>" in html
    assert 'data-chart="takedown_buckets"' in html
    assert 'data-bars="6"' in html
    for label in BUCKET_ROWS:
        value = want.buckets[label]
        assert f'data-value="{value}" data-label="{label}"' in html
    for key in ("takedown", "takedown_buckets", "takedown_countries", "takedown_providers",
                "takedown_reappeared"):  # fmt: skip
        assert f'data-table="{key}"' in html
    assert "rack-us[.]test" in html  # names from the data are shown defanged
    assert "rack-us.test" not in html

    files = dict(table_files(assessment))
    for name in ("takedown.csv", "takedown_buckets.csv", "takedown_countries.csv",
                 "takedown_providers.csv", "takedown_reappeared.csv",
                 "chart-takedown_buckets.csv"):  # fmt: skip
        assert name in files
    rows = list(csv.reader(io.StringIO(files["takedown_buckets.csv"].decode("utf-8"))))
    assert rows[0][0] == "time to removal"
    assert {row[0]: int(row[1]) for row in rows[1:]} == want.buckets
    providers = list(csv.reader(io.StringIO(files["takedown_providers.csv"].decode("utf-8"))))
    assert providers[1][:3] == ["AS64502", "Rack US rack-us.test", "3"]

    buffer = io.StringIO()
    print_summary(assessment, Console(file=buffer, width=200))
    output = buffer.getvalue()
    assert "Notice and takedown" in output
    assert "7 URLs were noticed and 6 (85.7 %) were seen removed" in output


def test_the_report_command_writes_the_section(world: Engine, db_url: str, tmp_path: Path) -> None:
    result = hotline(db_url, "report", "--out", str(tmp_path / "r"), "--print",
                     "--as-of", "2027-01-01T00:00:00Z")  # fmt: skip
    assert result.code == 0, result.err
    assert "Notice and takedown" in result.out
    html = (tmp_path / "r" / "assessment.html").read_text(encoding="utf-8")
    assert 'id="section-takedown"' in html
    overall = (tmp_path / "r" / "tables" / "takedown.csv").read_text(encoding="utf-8")
    assert "URLs noticed,7\n" in overall


# -- no casework at all -----------------------------------------------------------------------


def test_an_empty_store_says_there_is_no_casework(
    engine: Engine, db_url: str, tmp_path: Path
) -> None:
    assessment = build_assessment(engine, Scope())
    section = _section(assessment)
    assert section.tables == ()
    assert section.charts == ()
    [sentence] = section.paragraphs
    assert sentence.startswith("There is no casework data")

    assert sentence in render_html(assessment)
    assert not [name for name, _ in table_files(assessment) if "takedown" in name]
    buffer = io.StringIO()
    print_summary(assessment, Console(file=buffer, width=200))
    assert "There is no casework data" in buffer.getvalue()

    result = hotline(db_url, "report", "--out", str(tmp_path / "r"))
    assert result.code == 0, result.err
    assert "There is no casework data" in (tmp_path / "r" / "assessment.html").read_text("utf-8")
    assert (tmp_path / "r" / "tables" / "scale.csv").exists()
