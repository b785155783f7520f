"""The assessment as one self-contained HTML file: readable offline, printable, never a link.

Agencies mail the report around and open it on air-gapped machines, so the file carries
everything it needs (inline CSS, inline SVG charts drawn here) and fetches nothing: no fonts,
scripts, images or links, and a Content-Security-Policy that would block them if one slipped
in. Every text a person reads goes through :func:`defang_display`, so no URL or domain in the
report can be clicked or auto-linked by a mail client or an office suite, and no control
character or bidi override from the data reaches the page.

The output is deterministic: the same :class:`Assessment` gives the same bytes, except the
generated-at value, which sits alone in ``<span id="generated-at">``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date, datetime
from html import escape

from hotline.strategic.model import Assessment, Cell, Chart, Section, Table
from hotline.urls.display import for_people

#: Blocks every fetch, script and frame; only the inline stylesheet is allowed.
CSP = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"
GENERATED_AT_ID = "generated-at"

_PALETTE = ("#1f5f99", "#c2571a", "#2e7d32", "#7b3294", "#8c6d1f", "#00838f", "#ad1457")
_CHAR_PX = 6.6  # average advance of an 11px sans-serif glyph, for layout estimates
_WIDTH = 640


def defang_display(text: str) -> str:
    """Text as a person may read it: URLs and bare host names defanged, nothing clickable,
    no control character obeyed (:func:`hotline.urls.display.for_people`).

    ``http://shop-alpha.test/item`` becomes ``hxxp[:]//shop-alpha[.]test/item`` (a form that
    :func:`hotline.urls.refang` reads, chosen so that no ``://`` is left anywhere for a viewer
    to auto-link) and ``shop-alpha.test`` becomes ``shop-alpha[.]test``. An ESC or a bidi
    override is shown as ``\\x1b`` or ``\\u202e``; TAB and LF, which a page shows as
    spaces, stay.
    """
    text = for_people(text, keep="\t\n", hosts=True)
    return text.replace("[://]", "[:]//").replace("://", "[:]//")


def _t(text: str) -> str:
    return escape(defang_display(text), quote=True)


def format_number(value: float) -> str:
    """``1234`` → ``1,234``; ``12.50`` → ``12.5``; not-a-number → ``—``."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int):
        return f"{value:,}"
    if not math.isfinite(value):
        return "—"
    if value.is_integer():
        return f"{int(value):,}"
    text = f"{value:,.2f}".rstrip("0").rstrip(".")
    return "0" if text in {"-0", ""} else text


def format_cell(cell: Cell) -> str:
    """A table cell for people: numbers formatted, None as a dash, text defanged (unescaped)."""
    if cell is None:
        return "—"
    if isinstance(cell, int | float):
        return format_number(cell)
    return defang_display(cell)


def _attr_number(value: float) -> str:
    if not math.isfinite(value):
        return "0"
    if float(value).is_integer():
        return str(int(value))
    return f"{value:.6g}"


def _px(value: float) -> str:
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def _finite(value: float) -> float:
    return value if math.isfinite(value) else 0.0


def _nice_scale(top: float) -> tuple[float, float]:
    """An axis maximum and tick step (1, 2, 2.5, 5 × 10^n) with about four ticks."""
    if top <= 0:
        return 1.0, 0.25
    raw = top / 4
    magnitude = 10 ** math.floor(math.log10(raw))
    step = magnitude * 10
    for factor in (1, 2, 2.5, 5, 10):
        if factor * magnitude >= raw:
            step = factor * magnitude
            break
    return math.ceil(top / step - 1e-9) * step, step


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _series_values(chart: Chart, values: Sequence[float]) -> list[float]:
    """One value per label; missing values count as zero, extra ones are ignored."""
    padded = [_finite(float(v)) for v in values[: len(chart.labels)]]
    return padded + [0.0] * (len(chart.labels) - len(padded))


def _svg_open(chart: Chart, height: float, kind_attr: str, aria: str) -> list[str]:
    return [
        f'<svg class="chart chart-{chart.kind}" role="img" aria-label="{_t(aria)}" '
        f'viewBox="0 0 {_WIDTH} {_px(height)}" width="{_WIDTH}" height="{_px(height)}" '
        f'data-chart="{_t(chart.key)}" data-kind="{chart.kind}" {kind_attr}>',
        f"<title>{_t(chart.title)}</title>",
    ]


def _no_data(y: float, text: str = "No data for this chart.") -> str:
    return (
        f'<text class="no-data" x="{_WIDTH / 2:.0f}" y="{_px(y)}" text-anchor="middle">'
        f"{_t(text)}</text>"
    )


def _legend(names: Sequence[str], y: float) -> tuple[list[str], float]:
    """Swatches and names, wrapped over as many rows as needed; returns the parts and height."""
    parts, x, row = ['<g class="legend">'], 8.0, 0
    for index, name in enumerate(names):
        label = _shorten(defang_display(name), 40)
        width = 22 + len(label) * _CHAR_PX + 16
        if x + width > _WIDTH and x > 8:
            x, row = 8.0, row + 1
        top = y + row * 18
        colour = _PALETTE[index % len(_PALETTE)]
        parts.append(
            f'<rect x="{_px(x)}" y="{_px(top)}" width="14" height="10" fill="{colour}"/>'
            f'<text x="{_px(x + 20)}" y="{_px(top + 9)}">{escape(label)}</text>'
        )
        x += width
    parts.append("</g>")
    return parts, (row + 1) * 18 if names else 0


def _unit(chart: Chart, value: float) -> str:
    text = format_number(value)
    if not chart.unit:
        return text
    return f"{text}{chart.unit}" if chart.unit == "%" else f"{text} {chart.unit}"


def bar_svg(chart: Chart) -> str:
    """Horizontal bars, one ``rect.bar`` per label and series, with value labels and an axis."""
    series = [(name, _series_values(chart, values)) for name, values in chart.series]
    count = len(chart.labels) * len(series)
    values = [v for _, vals in series for v in vals]
    top_value = max((v for v in values if v > 0), default=0.0)
    aria = f"{chart.title}: bar chart, {len(chart.labels)} categories"
    if count == 0:
        parts = _svg_open(chart, 48, 'data-bars="0"', aria + ", no data")
        parts += [_no_data(28), "</svg>"]
        return "".join(parts)
    if top_value > 0:
        largest = max(range(len(chart.labels)), key=lambda i: series[0][1][i])
        aria += f"; largest {chart.labels[largest]} ({_unit(chart, series[0][1][largest])})"
    shown = [_shorten(defang_display(label), 36) for label in chart.labels]
    label_w = min(max(max(len(s) for s in shown) * _CHAR_PX + 14, 60), 250)
    value_w = 84.0
    x0, plot_w = label_w, _WIDTH - label_w - value_w
    bar_h, gap = 14.0, 8.0
    row_h = bar_h * len(series) + gap
    top = 6.0
    bottom = top + row_h * len(chart.labels)
    scale_top, step = _nice_scale(top_value)
    legend_parts, legend_h = (
        _legend([n for n, _ in series], bottom + 30) if len(series) > 1 else ([], 0)
    )
    height = bottom + 26 + legend_h + (22 if top_value <= 0 else 0)
    parts = _svg_open(chart, height, f'data-bars="{count}"', aria)
    parts.append('<g class="grid">')
    ticks = round(scale_top / step)
    for tick in range(ticks + 1):
        x = x0 + plot_w * tick / ticks
        parts.append(
            f'<line x1="{_px(x)}" y1="{_px(top)}" x2="{_px(x)}" y2="{_px(bottom)}"/>'
            f'<text class="tick" x="{_px(x)}" y="{_px(bottom + 14)}" text-anchor="middle">'
            f"{escape(format_number(step * tick))}</text>"
        )
    parts.append("</g>")
    for i, label in enumerate(chart.labels):
        row_top = top + i * row_h + gap / 2
        parts.append(
            f'<text class="label" x="{_px(x0 - 6)}" y="{_px(row_top + row_h / 2 - gap / 2 + 4)}" '
            f'text-anchor="end">{escape(shown[i])}</text>'
        )
        for s, (name, vals) in enumerate(series):
            value = vals[i]
            width = plot_w * max(value, 0.0) / scale_top if top_value > 0 else 0.0
            y = row_top + s * bar_h
            tooltip = f"{label}{' · ' + name if len(series) > 1 else ''}: {_unit(chart, value)}"
            parts.append(
                f'<rect class="bar" x="{_px(x0)}" y="{_px(y)}" width="{_px(width)}" '
                f'height="{_px(bar_h - 2)}" fill="{_PALETTE[s % len(_PALETTE)]}" '
                f'data-value="{_attr_number(value)}" data-label="{_t(label)}">'
                f"<title>{_t(tooltip)}</title></rect>"
                f'<text class="value" x="{_px(x0 + width + 4)}" y="{_px(y + bar_h - 4)}">'
                f"{_t(_unit(chart, value))}</text>"
            )
    parts.append(
        f'<line class="axis" x1="{_px(x0)}" y1="{_px(top)}" x2="{_px(x0)}" y2="{_px(bottom)}"/>'
    )
    parts += legend_parts
    if top_value <= 0:
        parts.append(_no_data(bottom + 26 + legend_h + 14, "No data: every value is zero."))
    parts.append("</svg>")
    return "".join(parts)


def line_svg(chart: Chart) -> str:
    """One ``polyline.line`` per series over the labels (months), thinned x labels, a legend."""
    series = [(name, _series_values(chart, values)) for name, values in chart.series]
    n = len(chart.labels)
    values = [v for _, vals in series for v in vals]
    top_value = max(values, default=0.0)
    low_value = min(min(values, default=0.0), 0.0)
    names = [name for name, _ in series]
    aria = f"{chart.title}: line chart, {len(series)} series over {n} points"
    if n:
        aria += f" from {chart.labels[0]} to {chart.labels[-1]}"
    x0, right, top, plot_h = 56.0, 16.0, 10.0, 180.0
    plot_w = _WIDTH - x0 - right
    bottom = top + plot_h
    legend_parts, legend_h = _legend(names, bottom + 34)
    empty = n == 0 or not series or (top_value <= 0 and low_value >= 0)
    height = bottom + 30 + legend_h + (22 if empty else 0)
    parts = _svg_open(
        chart, height, f'data-series="{len(series)}"', aria + (", no data" if empty else "")
    )
    scale_top, step = _nice_scale(top_value)
    scale_low = -_nice_scale(-low_value)[0] if low_value < 0 else 0.0
    if low_value < 0:
        step = _nice_scale(scale_top - scale_low)[1]
    span = scale_top - scale_low

    def y_of(value: float) -> float:
        return bottom - plot_h * (value - scale_low) / span

    def x_of(index: int) -> float:
        return x0 + plot_w / 2 if n == 1 else x0 + plot_w * index / (n - 1)

    parts.append('<g class="grid">')
    tick = scale_low
    while tick <= scale_top + step / 1000:
        y = y_of(tick)
        parts.append(
            f'<line x1="{_px(x0)}" y1="{_px(y)}" x2="{_px(x0 + plot_w)}" y2="{_px(y)}"/>'
            f'<text class="tick" x="{_px(x0 - 6)}" y="{_px(y + 4)}" text-anchor="end">'
            f"{escape(format_number(tick))}</text>"
        )
        tick += step
    parts.append("</g>")
    if n:
        shown = [_shorten(defang_display(label), 16) for label in chart.labels]
        label_px = max(len(s) for s in shown) * _CHAR_PX + 10
        fits = max(1, math.floor(plot_w / label_px) + 1)
        every = max(1, math.ceil(n / fits))
        for i in range(0, n, every):
            parts.append(
                f'<text class="x-label" x="{_px(x_of(i))}" y="{_px(bottom + 16)}" '
                f'text-anchor="middle">{escape(shown[i])}</text>'
            )
    for s, (name, vals) in enumerate(series):
        colour = _PALETTE[s % len(_PALETTE)]
        points = " ".join(f"{_px(x_of(i))},{_px(y_of(v))}" for i, v in enumerate(vals))
        parts.append(
            f'<polyline class="line" data-series="{_t(name)}" points="{points}" fill="none" '
            f'stroke="{colour}" stroke-width="2"><title>{_t(name)}</title></polyline>'
        )
        if n <= 60:
            parts.extend(
                f'<circle class="point" cx="{_px(x_of(i))}" cy="{_px(y_of(v))}" r="2.5" '
                f'fill="{colour}"><title>{_t(f"{name} {chart.labels[i]}: {_unit(chart, v)}")}'
                "</title></circle>"
                for i, v in enumerate(vals)
            )
    parts.append(
        f'<line class="axis" x1="{_px(x0)}" y1="{_px(bottom)}" x2="{_px(x0 + plot_w)}" '
        f'y2="{_px(bottom)}"/>'
        f'<line class="axis" x1="{_px(x0)}" y1="{_px(top)}" x2="{_px(x0)}" y2="{_px(bottom)}"/>'
    )
    parts += legend_parts
    if empty:
        parts.append(_no_data(bottom + 30 + legend_h + 14))
    parts.append("</svg>")
    return "".join(parts)


def chart_figure(chart: Chart) -> str:
    """One chart as a ``<figure>`` of inline SVG and its caption (every text escaped)."""
    svg = bar_svg(chart) if chart.kind == "bar" else line_svg(chart)
    unit = f" ({_t(chart.unit)})" if chart.unit else ""
    return f'<figure class="chart">{svg}<figcaption>{_t(chart.title)}{unit}</figcaption></figure>'


_NUM = ' class="num"'


def _table(table: Table) -> str:
    numeric = [
        bool(table.rows)
        and all(
            isinstance(row[i], int | float) or row[i] is None for row in table.rows if i < len(row)
        )
        for i in range(len(table.columns))
    ]
    parts = [f'<table data-table="{_t(table.key)}"><caption>{_t(table.title)}</caption><thead><tr>']
    parts += [
        f'<th scope="col"{_NUM if numeric[i] else ""}>{_t(column)}</th>'
        for i, column in enumerate(table.columns)
    ]
    parts.append("</tr></thead><tbody>")
    for row in table.rows:
        cells = [
            f"<td{_NUM if isinstance(cell, int | float) else ''}>{escape(format_cell(cell))}</td>"
            for cell in row
        ]
        parts.append("<tr>" + "".join(cells) + "</tr>")
    if not table.rows:
        parts.append(
            f'<tr><td class="empty" colspan="{max(len(table.columns), 1)}">No rows.</td></tr>'
        )
    parts.append("</tbody></table>")
    if table.note:
        parts.append(f'<p class="note">{_t(table.note)}</p>')
    return "".join(parts)


def _section(number: int, section: Section) -> str:
    parts = [f'<section class="section" id="section-{_t(section.key)}">']
    parts.append(f"<h2>{number}. {_t(section.title)}</h2>")
    parts += [f"<p>{_t(paragraph)}</p>" for paragraph in section.paragraphs]
    parts += [chart_figure(chart) for chart in section.charts]
    parts += [_table(table) for table in section.tables]
    parts.append("</section>")
    return "\n".join(parts)


def _day(value: date | None) -> str:
    return value.isoformat() if value is not None else ""


def _period(assessment: Assessment) -> str:
    start, end = _day(assessment.period_from), _day(assessment.period_to)
    if start and end:
        return f"{start} to {end}"
    if start:
        return f"from {start}"
    if end:
        return f"until {end}"
    return "all data"


def _moment(value: datetime) -> str:
    return value.isoformat(timespec="seconds")


_CSS = """
@page { size: A4; margin: 16mm 14mm 18mm 14mm; }
* { box-sizing: border-box; }
html { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
body { font-family: system-ui, "Segoe UI", "DejaVu Sans", Arial, sans-serif; font-size: 11pt;
  line-height: 1.45; color: #1b1b1b; background: #fff; max-width: 190mm; margin: 0 auto;
  padding: 12mm 8mm; }
header.report { border-bottom: 2px solid #1f5f99; margin-bottom: 1.2em; }
h1 { font-size: 20pt; margin: 0 0 .3em; color: #123a5e; }
h2 { font-size: 15pt; color: #123a5e; border-bottom: 1px solid #c9d4df; padding-bottom: .15em; }
p.headline { font-size: 12.5pt; font-weight: 600; margin: .2em 0 .8em; }
dl.meta { display: grid; grid-template-columns: max-content 1fr; gap: .1em 1em;
  font-size: 9.5pt; color: #333; margin: 0 0 1em; }
dl.meta dt { font-weight: 600; }
dl.meta dd { margin: 0; }
nav.toc ol { margin: .3em 0 0; padding-left: 1.4em; }
nav.toc h2 { border: 0; font-size: 12pt; margin-bottom: 0; }
figure.chart { margin: 1em 0; break-inside: avoid; page-break-inside: avoid; }
figure.chart figcaption { font-size: 9.5pt; color: #444; margin-top: .2em; }
svg.chart { display: block; width: 100%; max-width: 640px; height: auto; }
svg.chart text { font-family: system-ui, "DejaVu Sans", Arial, sans-serif; font-size: 11px;
  fill: #222; }
svg.chart text.tick, svg.chart text.x-label { fill: #555; font-size: 10px; }
svg.chart text.no-data { font-style: italic; fill: #555; font-size: 12px; }
svg.chart .grid line { stroke: #e3e7eb; stroke-width: 1; }
svg.chart line.axis { stroke: #555; stroke-width: 1; }
table { border-collapse: collapse; width: 100%; margin: .8em 0 .3em; font-size: 9.5pt; }
caption { text-align: left; font-weight: 600; padding-bottom: .3em; }
th, td { border: 1px solid #c9d4df; padding: .25em .5em; text-align: left; vertical-align: top;
  overflow-wrap: anywhere; }
th { background: #eef3f8; white-space: nowrap; overflow-wrap: normal; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.empty { color: #666; font-style: italic; }
tr { break-inside: avoid; page-break-inside: avoid; }
thead { display: table-header-group; }
p.note { font-size: 9pt; color: #444; margin-top: 0; }
footer.report { margin-top: 2em; font-size: 8.5pt; color: #555; border-top: 1px solid #c9d4df; }
@media print {
  body { max-width: none; padding: 0; font-size: 10pt; }
  section.section { break-before: page; page-break-before: always; }
  h2 { break-after: avoid; page-break-after: avoid; }
  table, figure.chart { break-inside: auto; }
  figure.chart { break-inside: avoid; page-break-inside: avoid; }
}
"""


def render_html(assessment: Assessment) -> str:
    """The whole report as one HTML5 document (a str; write it as UTF-8)."""
    sources = ", ".join(assessment.sources) if assessment.sources else "none recorded"
    meta = [
        ("Period", _period(assessment)),
        ("Data as of", _moment(assessment.as_of)),
        ("Sources", sources),
        ("Tool version", assessment.tool_version),
    ]
    head = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{escape(CSP)}">',
        '<meta name="referrer" content="no-referrer">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_t(assessment.title)}</title>",
        f"<style>{_CSS}</style>",
        "</head>",
        "<body>",
        '<header class="report">',
        f"<h1>{_t(assessment.title)}</h1>",
        f'<p class="headline">{_t(assessment.headline)}</p>',
        '<dl class="meta">',
        *(f"<dt>{_t(name)}</dt><dd>{_t(value)}</dd>" for name, value in meta),
        f'<dt>Generated at</dt><dd><span id="{GENERATED_AT_ID}">'
        f"{_t(_moment(assessment.generated_at))}</span></dd>",
        "</dl>",
        "</header>",
    ]
    toc = ['<nav class="toc" aria-label="Contents">', "<h2>Contents</h2>", "<ol>"]
    toc += [f"<li>{_t(section.title)}</li>" for section in assessment.sections]
    toc += ["</ol>", "</nav>"]
    body = [_section(i, section) for i, section in enumerate(assessment.sections, start=1)]
    foot = [
        '<footer class="report">',
        "<p>URLs and domain names in this report are defanged "
        "(hxxp[:]//example[.]test) and are not links. Tables are also available as CSV.</p>",
        "</footer>",
        "</body>",
        "</html>",
        "",
    ]
    return "\n".join(head + toc + body + foot)
