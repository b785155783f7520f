"""The report renderers: HTML (also in a real browser), CSV, PDF and the terminal summary.

Every value here is synthetic and benign: reserved ``.test`` names, made-up brands and counts.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import replace
from datetime import UTC, date, datetime
from html.parser import HTMLParser
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.console import Console

from hotline.strategic.csvout import chart_csv, table_csv, write_tables
from hotline.strategic.files import OutputError, write_atomic
from hotline.strategic.html import defang_display, render_html
from hotline.strategic.model import Assessment, Chart, Section, Table
from hotline.strategic.pdf import write_pdf
from hotline.strategic.terminal import print_summary

MONTHS = tuple(f"2026-{month:02d}" for month in range(1, 13))
ONION = "abcdefghijklmnopqrstuvwxyz234567abcdefghijklmnopqrstuvwx.onion"


def _assessment(generated_at: datetime | None = None) -> Assessment:
    hosting = Table(
        key="hosting-countries",
        title="URLs by hosting country",
        columns=("country", "urls", "share"),
        rows=(
            ("NL", 120, 41.5),
            ("behind CDN", 80, 27.7),
            ("hidden service (.onion)", 9, 3.1),
            ("unknown", 0, 0.0),
        ),
        note="Countries of the latest hosting observation of each site.",
    )
    brands = Table(
        key="brands",
        title="Most prolific brands",
        columns=("brand", "site", "urls", "first_seen", "remark"),
        rows=(
            ("b1", "shop-alpha.test", 42, "2026-01-15", "=cmd()"),
            ("b1", "www.shop-beta.example", 17, "2026-02-03", "-12"),
            ("b2", ONION, 5, "2026-03-01", "@user"),
            ("b3", "shop-gamma.test", -12, None, "<b>bold</b>"),
            ("b4", "192.0.2.10", 2.5, "2026-04-30", "+1 more\tand a tab"),
        ),
    )
    trend = Chart(
        key="monthly-urls",
        title="URLs reported per month",
        kind="line",
        labels=MONTHS,
        series=(
            ("reported", tuple(float(10 + 3 * i) for i in range(12))),
            ("removed", tuple(float(5 + 2 * i) for i in range(12))),
        ),
        unit="URLs",
    )
    countries = Chart(
        key="countries",
        title="URLs by hosting country",
        kind="bar",
        labels=("NL", "behind CDN", "hidden service (.onion)", "shop-alpha.test", "unknown"),
        series=(("urls", (120.0, 80.0, 9.0, 3.0, 0.0)),),
        unit="URLs",
    )
    empty = Chart(key="payments", title="Payment methods", kind="bar", labels=(), series=())
    return Assessment(
        title="Strategic assessment 2026 (synthetic)",
        headline="Three countries hosted most reported URLs; brand b1 on shop-alpha.test led.",
        generated_at=generated_at or datetime(2026, 12, 1, 9, 30, tzinfo=UTC),
        as_of=datetime(2026, 11, 30, 23, 59, 59, tzinfo=UTC),
        period_from=date(2026, 1, 1),
        period_to=date(2026, 12, 31),
        sources=("HL-A", "HL-B"),
        tool_version="0.0.0-test",
        sections=(
            Section(
                key="hosting",
                title="Where it is hosted",
                paragraphs=(
                    "A typical report reads http://shop-alpha.test/item?x=1 and is counted once.",
                    "Mirror names such as shop-alpha.test and 12.5 per cent moved on 2026-03-01.",
                ),
                tables=(hosting,),
                charts=(countries, trend),
            ),
            Section(key="brands", title="Brands and distributors", tables=(brands,)),
            Section(key="payments", title="Payment", charts=(empty,)),
        ),
    )


class _Collector(HTMLParser):
    """Elements with their attributes, in document order, plus all text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str]]] = []
        self.text: list[str] = []
        self.open_svgs: list[dict[str, str]] = []
        self.svgs: list[tuple[dict[str, str], list[tuple[str, dict[str, str]]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        self.elements.append((tag, values))
        if tag == "svg":
            self.svgs.append((values, []))
            self.open_svgs.append(values)
        elif self.open_svgs:
            self.svgs[-1][1].append((tag, values))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag == "svg" and self.open_svgs:
            self.open_svgs.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _parse(document: str) -> _Collector:
    collector = _Collector()
    collector.feed(document)
    collector.close()
    return collector


def _classes(attrs: dict[str, str]) -> set[str]:
    return set(attrs.get("class", "").split())


def _without_generated_at(document: str) -> str:
    return re.sub(r'<span id="generated-at">[^<]*</span>', "", document)


def _charts(assessment: Assessment) -> dict[str, Chart]:
    return {chart.key: chart for section in assessment.sections for chart in section.charts}


# -- HTML ---------------------------------------------------------------------------------------


def test_html_has_no_links_urls_scripts_or_external_resources() -> None:
    document = render_html(_assessment())
    lowered = document.lower()
    assert "<a " not in lowered
    assert "<a>" not in lowered
    assert "href" not in lowered
    assert "http://" not in lowered
    assert "://" not in document
    assert "<script" not in lowered
    assert "src=" not in lowered
    assert "url(" not in lowered
    assert "@import" not in lowered
    assert "<link" not in lowered
    assert "<img" not in lowered
    tags = {tag for tag, _ in _parse(document).elements}
    assert not tags & {"a", "script", "link", "img", "iframe", "object", "embed", "base"}


def test_html_defangs_urls_and_bare_domains() -> None:
    document = render_html(_assessment())
    assert "shop-alpha[.]test" in document
    assert "shop-alpha.test" not in document
    assert "hxxp[:]//shop-alpha[.]test/item?x=1" in document
    assert "www[.]shop-beta[.]example" in document
    assert ONION.replace(".onion", "[.]onion") in document
    # Not host names: left alone.
    assert "hidden service (.onion)" in document
    assert "12.5 per cent" in document
    assert "2026-03-01" in document
    assert "192.0.2.10" in document


def test_defang_display_host_tokens() -> None:
    assert defang_display("shop-alpha.test") == "shop-alpha[.]test"
    assert defang_display("mail to a@b.shop.example.") == "mail to a@b[.]shop[.]example."
    assert defang_display("12.5") == "12.5"
    assert defang_display("version 1.2.3 on 2026-01-15") == "version 1.2.3 on 2026-01-15"
    assert defang_display("e.g. this") == "e.g. this"
    assert defang_display("ws://x.test/a") == "ws[:]//x[.]test/a"
    assert "://" not in defang_display("https://a.test/?next=http://b.test/")


def test_html_escapes_cells() -> None:
    document = render_html(_assessment())
    assert "<b>" not in document
    assert "&lt;b&gt;bold&lt;/b&gt;" in document
    assert "<b>bold</b>" in "".join(_parse(document).text)


def test_html_header_and_contents() -> None:
    document = render_html(_assessment())
    text = " ".join(_parse(document).text)
    for expected in (
        "Strategic assessment 2026 (synthetic)",
        "brand b1 on shop-alpha[.]test led",
        "2026-01-01 to 2026-12-31",
        "2026-11-30T23:59:59+00:00",
        "HL-A, HL-B",
        "0.0.0-test",
        "2026-12-01T09:30:00+00:00",
        "Contents",
        "Brands and distributors",
    ):
        assert expected in text
    assert "@media print" in document
    assert "size: A4" in document
    assert "break-before: page" in document


def test_html_charts_structure() -> None:
    assessment = _assessment()
    charts = _charts(assessment)
    parsed = _parse(render_html(assessment))
    assert len(parsed.svgs) == len(charts)
    for attrs, children in parsed.svgs:
        assert _classes(attrs) >= {"chart"}
        assert attrs["role"] == "img"
        assert attrs["aria-label"]
        assert attrs["viewbox"].startswith("0 0 ")
        assert "nan" not in " ".join(attrs.values()).lower()
        assert any(tag == "title" for tag, _ in children)
        chart = charts[attrs["data-chart"]]
        for _, child in children:
            assert "nan" not in " ".join(child.values()).lower()
        if chart.kind == "bar":
            bars = [c for tag, c in children if tag == "rect" and "bar" in _classes(c)]
            assert len(bars) == len(chart.labels) == int(attrs["data-bars"])
            values = [float(bar["data-value"]) for bar in bars]
            assert values == list(chart.series[0][1]) if chart.series else not values
            if chart.labels:
                assert float(bars[-1]["width"]) == 0  # the zero bar exists, with no width
                assert float(bars[0]["width"]) > 0
        else:
            lines = [c for tag, c in children if tag == "polyline" and "line" in _classes(c)]
            assert len(lines) == len(chart.series) == int(attrs["data-series"])
            assert [line["data-series"] for line in lines] == ["reported", "removed"]
            for line in lines:
                assert len(line["points"].split()) == len(chart.labels)


def test_empty_and_all_zero_charts_say_no_data() -> None:
    zero = Chart(key="z", title="All zero", kind="bar", labels=("a", "b"), series=(("n", (0, 0)),))
    flat = Chart(key="f", title="Flat", kind="line", labels=MONTHS[:3], series=(("n", (0, 0, 0)),))
    empty = Chart(key="e", title="Empty", kind="line", labels=(), series=())
    assessment = replace(_assessment(), sections=(Section("s", "S", charts=(zero, flat, empty)),))
    document = render_html(assessment)
    assert document.count('class="no-data"') == 3
    assert "nan" not in document.lower()
    parsed = _parse(document)
    bars = [c for _, kids in parsed.svgs for tag, c in kids if "bar" in _classes(c)]
    assert [bar["width"] for bar in bars] == ["0", "0"]


def test_line_chart_month_labels_are_thinned() -> None:
    months = tuple(f"{2024 + i // 12}-{i % 12 + 1:02d}" for i in range(36))
    chart = Chart(
        key="long",
        title="Three years",
        kind="line",
        labels=months,
        series=(("n", tuple(range(36))),),
    )
    assessment = replace(_assessment(), sections=(Section("s", "S", charts=(chart,)),))
    parsed = _parse(render_html(assessment))
    xs = [float(c["x"]) for _, kids in parsed.svgs for tag, c in kids if "x-label" in _classes(c)]
    assert 2 <= len(xs) < len(months)
    assert min(b - a for a, b in itertools.pairwise(xs)) >= 7 * 6.0  # "2024-01" fits


def test_html_is_deterministic_except_generated_at() -> None:
    first = render_html(_assessment(datetime(2026, 12, 1, 9, 30, tzinfo=UTC)))
    second = render_html(_assessment(datetime(2027, 1, 2, 3, 4, 5, tzinfo=UTC)))
    assert first != second
    assert first.count('id="generated-at"') == 1
    assert _without_generated_at(first) == _without_generated_at(second)


# -- CSV ----------------------------------------------------------------------------------------


def test_csv_files_for_every_table_and_chart(tmp_path: Path) -> None:
    assessment = _assessment()
    paths = write_tables(assessment, tmp_path / "tables")
    names = sorted(path.name for path in paths)
    assert names == sorted(
        [
            "hosting-countries.csv",
            "brands.csv",
            "chart-countries.csv",
            "chart-monthly-urls.csv",
            "chart-payments.csv",
        ]
    )
    assert all(path.parent == tmp_path / "tables" for path in paths)
    brands = (tmp_path / "tables" / "brands.csv").read_bytes()
    assert b"\r\n" not in brands
    rows = list(csv.reader(io.StringIO(brands.decode("utf-8"))))
    assert rows[0] == ["brand", "site", "urls", "first_seen", "remark"]
    assert rows[1] == ["b1", "shop-alpha.test", "42", "2026-01-15", "'=cmd()"]
    assert rows[2][4] == "'-12"
    assert rows[3][4] == "'@user"
    assert rows[4] == ["b3", "shop-gamma.test", "-12", "", "<b>bold</b>"]
    assert rows[5][2:] == ["2.5", "2026-04-30", "'+1 more\tand a tab"]
    trend = list(
        csv.reader(io.StringIO((tmp_path / "tables" / "chart-monthly-urls.csv").read_text()))
    )
    assert trend[0] == ["label", "reported", "removed"]
    assert trend[1] == ["2026-01", "10", "5"]
    assert len(trend) == 13
    assert (tmp_path / "tables" / "chart-payments.csv").read_text() == "label\n"


def test_csv_is_deterministic(tmp_path: Path) -> None:
    first = write_tables(_assessment(), tmp_path / "a")
    second = write_tables(_assessment(datetime(2030, 1, 1, tzinfo=UTC)), tmp_path / "b")
    assert [p.name for p in first] == [p.name for p in second]
    for one, two in zip(first, second, strict=True):
        assert one.read_bytes() == two.read_bytes()


def test_csv_rejects_unsafe_or_clashing_keys(tmp_path: Path) -> None:
    bad = Table(key="../escape", title="t", columns=("a",), rows=())
    with pytest.raises(ValueError, match="file name"):
        write_tables(replace(_assessment(), sections=(Section("s", "S", tables=(bad,)),)), tmp_path)
    same = Table(key="same", title="t", columns=("a",), rows=())
    with pytest.raises(ValueError, match=r"same\.csv"):
        write_tables(
            replace(_assessment(), sections=(Section("s", "S", tables=(same, same)),)), tmp_path
        )


# -- a real browser -----------------------------------------------------------------------------

PROBE = """<pre id="probe"></pre><script>
function hotlineProbe() {
  const charts = Array.from(document.querySelectorAll('svg.chart')).map(function (svg) {
    const box = svg.getBoundingClientRect();
    const bars = Array.from(svg.querySelectorAll('rect.bar'));
    const measured = bars.filter(function (bar) {
      const b = bar.getBBox();
      const r = bar.getBoundingClientRect();
      return isFinite(b.width) && b.height > 0 && r.height > 0;
    });
    return {key: svg.dataset.chart, kind: svg.dataset.kind, width: box.width,
            height: box.height, bars: bars.length, measured: measured.length,
            lines: svg.querySelectorAll('polyline.line').length};
  });
  document.getElementById('probe').textContent = JSON.stringify({
    charts: charts, links: document.querySelectorAll('a[href]').length,
    anchors: document.querySelectorAll('a').length});
}
hotlineProbe();
window.addEventListener('load', hotlineProbe);
</script>"""


def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


def _need_chromium() -> str:
    exe = _chromium()
    if exe is None:
        if os.environ.get("CI") == "true":
            pytest.fail("CI must install Chromium (apt-get install chromium) for the browser test")
        pytest.skip("Chromium is not installed: the real-browser rendering test was not run")
    return exe


def _dump_dom(exe: str, page: Path) -> str:
    with tempfile.TemporaryDirectory(
        prefix="hotline-test-chromium-", ignore_cleanup_errors=True
    ) as profile:
        result = subprocess.run(
            [
                exe,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                f"--user-data-dir={profile}",
                "--host-resolver-rules=MAP * ~NOTFOUND",
                "--dump-dom",
                page.as_uri(),
            ],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
            env=dict(os.environ, HOME=profile),
        )
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


def _probe(dom: str) -> dict[str, object] | None:
    found = re.search(r'<pre id="probe">(.*?)</pre>', dom, re.DOTALL)
    if found is None or not found.group(1).strip():
        return None
    text = found.group(1).replace("&quot;", '"').replace("&lt;", "<").replace("&gt;", ">")
    probe: dict[str, object] = json.loads(text.replace("&amp;", "&"))
    return probe


def test_real_browser_renders_every_chart(tmp_path: Path) -> None:
    exe = _need_chromium()
    assessment = _assessment()
    document = render_html(assessment)
    # The report's Content-Security-Policy forbids scripts; the probe needs one.
    document = re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", document)
    page = tmp_path / "report.html"
    page.write_text(document.replace("</body>", PROBE + "</body>"), encoding="utf-8")
    probe = _probe(_dump_dom(exe, page))
    assert probe is not None, "the probe script did not run"
    assert probe["links"] == 0
    assert probe["anchors"] == 0
    charts = _charts(assessment)
    seen = probe["charts"]
    assert isinstance(seen, list)
    assert sorted(entry["key"] for entry in seen) == sorted(charts)
    for entry in seen:
        chart = charts[entry["key"]]
        assert entry["width"] > 0, entry
        assert entry["height"] > 0, entry
        if chart.kind == "bar":
            assert entry["bars"] == entry["measured"] == len(chart.labels), entry
        else:
            assert entry["lines"] == len(chart.series), entry


def test_real_browser_obeys_the_reports_csp(tmp_path: Path) -> None:
    exe = _need_chromium()
    page = tmp_path / "report.html"
    page.write_text(
        render_html(_assessment()).replace("</body>", PROBE + "</body>"), encoding="utf-8"
    )
    assert _probe(_dump_dom(exe, page)) is None  # the injected script was blocked


# -- PDF ----------------------------------------------------------------------------------------


def test_pdf_with_chromium(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _need_chromium()
    monkeypatch.delenv("HOTLINE_CHROMIUM", raising=False)
    monkeypatch.setitem(sys.modules, "weasyprint", None)  # whatever is installed: use Chromium
    html_path = tmp_path / "report.html"
    html_path.write_text(render_html(_assessment()), encoding="utf-8")
    pdf_path = tmp_path / "out" / "report.pdf"
    assert write_pdf(html_path, pdf_path) == "chromium"
    assert pdf_path.read_bytes().startswith(b"%PDF")


def test_pdf_without_an_engine_returns_none(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    monkeypatch.setenv("HOTLINE_CHROMIUM", str(tmp_path / "no-such-chromium"))
    monkeypatch.setitem(sys.modules, "weasyprint", None)
    html_path = tmp_path / "report.html"
    html_path.write_text(render_html(_assessment()), encoding="utf-8")
    pdf_path = tmp_path / "report.pdf"
    pdf_path.write_bytes(b"stale")
    assert write_pdf(html_path, pdf_path) is None
    assert not pdf_path.exists()


# -- terminal -----------------------------------------------------------------------------------


def test_print_summary() -> None:
    buffer = io.StringIO()
    print_summary(_assessment(), Console(file=buffer, width=120))
    output = buffer.getvalue()
    assert "Three countries hosted most reported URLs" in output
    assert "shop-alpha[.]test" in output
    assert "shop-alpha.test" not in output
    assert "www[.]shop-beta[.]example" in output
    assert "://" not in output
    assert "Where it is hosted" in output
    assert "Payment" in output
    assert "=cmd()" in output  # a terminal is not a spreadsheet: shown as it is
    assert "<b>bold</b>" in output  # markup-looking text is shown, not interpreted


def test_print_summary_limits_rows_and_tables() -> None:
    many = Table(
        key="many",
        title="Many",
        columns=("site", "n"),
        rows=tuple((f"s{i}.test", i) for i in range(30)),
    )
    assessment = replace(
        _assessment(),
        sections=(Section("a", "First", tables=(many,)), Section("b", "Second", tables=(many,))),
    )
    buffer = io.StringIO()
    print_summary(assessment, Console(file=buffer, width=120), tables=1)
    output = buffer.getvalue()
    assert "s11[.]test" in output
    assert "s12[.]test" not in output
    assert "18 more rows" in output
    assert output.count("Many") == 1
    assert "Second" in output


# -- hostile text in the model ------------------------------------------------------------------

# Terminal sequences, bidi controls, markup and URLs (reserved names), as pieces to combine.
_PIECES = st.sampled_from(
    [
        "\x1b[2J", "\x1b]0;title\x07", "\x1b]8;;http://x.test/\x1b\\", "\x1b]52;c;aGk=\x07",
        "\x9b", "\x85", "\x00", "\x7f", "\r", "\n", "\t", "\u202e", "\u2067", "\u061c",
        "\u2029", "[bold]", "<script>", "&amp;", "http://", "HTTPS://", "ftp://", "hxxp://",
        "www.", "shop.example.test", ".", "/", " ",
    ]
)  # fmt: skip
_HOSTILE = st.lists(st.one_of(_PIECES, st.text(max_size=5)), max_size=10).map("".join)
_CONTROLS = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u202a-\u202e\u2066-\u2069\u2028\u2029\ud800-\udfff]"
)
_LIVE_URL = re.compile(r"(?:https?|ftp)://", re.IGNORECASE | re.ASCII)


def _hostile_assessment(text: str) -> Assessment:
    table = Table(
        key="hostile",
        title=f"Providers {text}",
        columns=("provider", text or "x", "urls"),
        rows=((text, text, 3), (f"=1+{text}", None, 2.5)),
        note=text,
    )
    chart = Chart(
        key="hostile-chart", title=text, kind="bar", labels=(text, "b"),
        series=((text or "s", (1.0, 2.0)),), unit=text[:3],
    )  # fmt: skip
    line = Chart(key="hostile-line", title=text, kind="line", labels=(text, "2026-02"),
                 series=((text, (1.0, 2.0)), ("other", (2.0, 1.0))))  # fmt: skip
    return replace(
        _assessment(),
        title=text,
        headline=f"Of 3 URLs {text}",
        sources=(text,),
        tool_version=text,
        sections=(Section("hostile", text, (text,), (table,), (chart, line)),),
    )


@given(_HOSTILE)
@settings(max_examples=150, deadline=None)
def test_hostile_text_reaches_no_page_spreadsheet_or_terminal(text: str) -> None:
    assessment = _hostile_assessment(text)
    document = render_html(assessment)
    assert _CONTROLS.search(document) is None
    assert "://" not in document
    assert "<script>" not in document
    for data in (table_csv(assessment.sections[0].tables[0]),
                 chart_csv(assessment.sections[0].charts[0])):  # fmt: skip
        cells = data.decode("utf-8")
        assert _CONTROLS.search(cells) is None
        assert _LIVE_URL.search(cells) is None
    buffer = io.StringIO()
    print_summary(assessment, Console(file=buffer, width=120))
    shown = buffer.getvalue()
    assert _CONTROLS.search(shown.replace("\n", "")) is None
    assert "\t" not in shown
    assert _LIVE_URL.search(shown) is None


def test_hostile_text_is_shown_escaped_not_dropped() -> None:
    assessment = _hostile_assessment("Prov\x1b]0;t\x07\u202e http://p.example.test/")
    document = render_html(assessment)
    assert "Prov\\x1b]0;t\\x07\\u202e hxxp[:]//p[.]example[.]test/" in document
    rows = list(csv.reader(io.StringIO(table_csv(assessment.sections[0].tables[0]).decode())))
    assert rows[1][0] == "Prov\\x1b]0;t\\x07\\u202e hxxp://p[.]example[.]test/"
    assert rows[2][0].startswith("'=1+Prov")  # still formula-safe
    buffer = io.StringIO()
    print_summary(assessment, Console(file=buffer, width=200))
    assert "Prov\\x1b]0;t\\x07\\u202e hxxp[:]//p[.]example[.]test/" in buffer.getvalue()


def test_csv_keeps_tab_and_line_feed_but_not_carriage_return() -> None:
    table = Table(key="t", title="t", columns=("a",), rows=(("x\ty\nz\rw",),))
    rows = list(csv.reader(io.StringIO(table_csv(table).decode())))
    assert rows[1] == ["x\ty\nz\\rw"]


# -- files written whole or not at all ----------------------------------------------------------


def test_write_atomic_replaces_and_keeps_the_mode(tmp_path: Path) -> None:
    target = tmp_path / "a.csv"
    write_atomic(target, b"first")
    umask = os.umask(0)
    os.umask(umask)
    assert target.stat().st_mode & 0o777 == 0o666 & ~umask  # as a plain new file
    target.chmod(0o640)
    write_atomic(target, b"second")
    assert target.read_bytes() == b"second"
    assert target.stat().st_mode & 0o777 == 0o640  # the old file's mode is kept
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.csv"]


def test_write_atomic_failing_leaves_the_old_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "assessment.html"
    target.write_bytes(b"old")

    def no_room(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", no_room)  # a delayed write fails when flushed
    with pytest.raises(OutputError) as raised:
        write_atomic(target, b"new" * 1000)
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["assessment.html"]
    message = str(raised.value)
    assert "\n" not in message
    assert "assessment.html" in message
    assert "No space left on device" in message


def test_write_atomic_into_a_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(OutputError, match="cannot write"):
        write_atomic(tmp_path / "missing" / "a.csv", b"x")


def test_an_engine_that_fails_midway_leaves_no_pdf(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import hotline.strategic.pdf as pdf

    def half_written(html_path: Path, pdf_path: Path) -> bool:
        pdf_path.write_bytes(b"%PDF-1.7 cut")
        return False

    monkeypatch.setattr(pdf, "_weasyprint", half_written)
    monkeypatch.setattr(pdf, "_chromium", half_written)
    html_path = tmp_path / "report.html"
    html_path.write_text("<p>x</p>", encoding="utf-8")
    assert write_pdf(html_path, tmp_path / "report.pdf") is None
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.html"]


def test_the_pdf_appears_only_when_whole(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import hotline.strategic.pdf as pdf

    seen: list[bool] = []

    def printing(html_path: Path, pdf_path: Path) -> bool:
        pdf_path.write_bytes(b"%PDF-1.7 whole")
        seen.append((tmp_path / "report.pdf").exists())
        return True

    monkeypatch.setattr(pdf, "_weasyprint", printing)
    html_path = tmp_path / "report.html"
    html_path.write_text("<p>x</p>", encoding="utf-8")
    assert write_pdf(html_path, tmp_path / "report.pdf") == "weasyprint"
    assert seen == [False]  # not at its name while being written
    assert (tmp_path / "report.pdf").read_bytes() == b"%PDF-1.7 whole"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.html", "report.pdf"]
