"""The evidence graph of a brand or a distributor, drawn server-side as inline SVG.

Two columns: the members (a brand's sites, or a distributor's brands) on the left, the
values two or more of them share on the right, a line for each carrier. Pure: text in,
text out; every label is escaped and shown as people read values (hosts and URLs defanged),
nothing is a link and nothing is loaded, so the page's Content-Security-Policy holds
(presentation attributes, no style attributes, no script).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from html import escape

ROW = 22  # pixels per row
WIDTH = 980
LEFT_X, RIGHT_X = 250, 560  # the columns' node positions
MAX_VALUES = 40  # values drawn, the most widely shared first

# kinds that name a brand, pay, tag or link; one colour each, for the legend too
COLOURS = {
    "brand_text": "#1f6f43",
    "favicon_md5": "#2f8f5b",
    "template": "#6c757d",
    "analytics": "#b35c00",
    "email": "#8a5a00",
    "merchant_id": "#8b1e3f",
    "btc_address": "#a4133c",
    "eth_address": "#a4133c",
    "crypto_address": "#a4133c",
    "affiliate": "#5a189a",
    "payment_host": "#7b2cbf",
    "gateway": "#1d4e89",
}


def _natural(text: str) -> list[tuple[int, int | str]]:
    """Sort key that puts b2 before b11."""
    return [(0, int(t)) if t.isdigit() else (1, t) for t in re.split(r"(\d+)", text)]


def _short(text: str, limit: int = 44) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def evidence_svg(
    links: Sequence[tuple[str, str, str]],
    shown_member: Callable[[str], str],
    shown_value: Callable[[str, str], str],
) -> str:
    """``links``: (member, kind, value) edges. Returns an ``<svg>`` element (or "" when there
    is nothing shared to draw)."""
    carriers: dict[tuple[str, str], list[str]] = {}
    for member, kind, value in links:
        carriers.setdefault((kind, value), []).append(member)
    values = sorted(carriers, key=lambda kv: (-len(carriers[kv]), kv))[:MAX_VALUES]
    if not values:
        return ""
    members = sorted({m for kv in values for m in carriers[kv]}, key=_natural)
    rows = max(len(members), len(values))
    height = 40 + rows * ROW
    member_y = {m: 30 + i * ROW * rows / max(len(members), 1) for i, m in enumerate(members)}
    value_y = {kv: 30 + i * ROW * rows / max(len(values), 1) for i, kv in enumerate(values)}
    parts = [
        # inline in HTML an <svg> needs no namespace: the page stays free of any address
        f'<svg class="evidence" role="img" '
        f'viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}" '
        f'aria-label="Evidence graph: {len(members)} members, {len(values)} shared values">'
    ]
    for kv in values:
        colour = COLOURS.get(kv[0], "#444444")
        for member in carriers[kv]:
            parts.append(
                f'<line x1="{LEFT_X}" y1="{member_y[member]:.1f}" x2="{RIGHT_X}" '
                f'y2="{value_y[kv]:.1f}" stroke="{colour}" stroke-opacity="0.55" '
                'stroke-width="1.2"/>'
            )
    for member in members:
        y = member_y[member]
        parts.append(f'<circle cx="{LEFT_X}" cy="{y:.1f}" r="5" fill="#1d3557"/>')
        label = escape(_short(shown_member(member), 36))
        parts.append(
            f'<text x="{LEFT_X - 10}" y="{y + 4:.1f}" text-anchor="end" font-size="12" '
            f'fill="#1d1d1d">{label}</text>'
        )
    for kv in values:
        y = value_y[kv]
        kind, value = kv
        colour = COLOURS.get(kind, "#444444")
        parts.append(
            f'<rect x="{RIGHT_X - 5}" y="{y - 5:.1f}" width="10" height="10" fill="{colour}"/>'
        )
        label = escape(f"{kind}: {_short(shown_value(kind, value))} ({len(carriers[kv])})")
        parts.append(
            f'<text x="{RIGHT_X + 12}" y="{y + 4:.1f}" font-size="12" fill="#1d1d1d">{label}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)
