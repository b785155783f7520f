"""The evidence graph's SVG: every label escaped and defanged, nothing linked or loaded."""

from __future__ import annotations

import re

from hotline.urls import defang
from hotline.urls.display import display_value
from hotline.web.graph import MAX_VALUES, evidence_svg


def _svg(links: list[tuple[str, str, str]]) -> str:
    return evidence_svg(links, defang, display_value)


def test_members_values_and_carriers_are_drawn() -> None:
    links = [
        ("belquo.test", "brand_text", "belquo"),
        ("belquo-shop1.test", "brand_text", "belquo"),
        ("belquo.test", "merchant_id", "pay.junvax.test|M1"),
        ("belquo-shop1.test", "merchant_id", "pay.junvax.test|M1"),
        ("belquo-shop2.test", "merchant_id", "pay.junvax.test|M1"),
    ]
    svg = _svg(links)
    assert svg.startswith("<svg")
    assert svg.endswith("</svg>")
    assert svg.count("<circle") == 3  # three sites
    assert svg.count("<rect") == 2  # two shared values
    assert svg.count("<line") == 5  # one per carrier
    assert "belquo[.]test" in svg  # sites defanged
    assert "pay[.]junvax[.]test|M1 (3)" in svg  # the merchant host defanged, 3 carriers
    assert "belquo.test" not in svg


def test_hostile_labels_are_escaped_and_nothing_is_linked() -> None:
    links = [
        ("a.test", "brand_text", '<script>alert(1)</script>"&'),
        ("b.test", "brand_text", '<script>alert(1)</script>"&'),
        ("a.test", "email", "sales@https://mirror.example/x"),
        ("b.test", "email", "sales@https://mirror.example/x"),
    ]
    svg = _svg(links)
    assert "<script" not in svg
    assert "&lt;script&gt;" in svg
    assert re.search(r"https?://", svg) is None
    assert "href" not in svg
    assert "style=" not in svg  # presentation attributes only: the CSP forbids inline styles


def test_nothing_shared_draws_nothing_and_large_graphs_are_bounded() -> None:
    assert _svg([]) == ""
    many = [(f"s{i % 3}.test", "analytics", f"G-{n:010d}") for n in range(200) for i in (0, 1)]
    svg = _svg(many)
    assert svg.count("<rect") == MAX_VALUES
