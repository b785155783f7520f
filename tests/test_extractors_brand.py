"""Brand extractor: the normalised name from title, logo alt text and the first heading."""

from __future__ import annotations

import pytest

from hotline.captures.extractors.brand import extract_brand, normalise_brand, title_name
from hotline.captures.model import CapturedPage, Selector, Strength


def page(head: str = "", body: str = "") -> CapturedPage:
    html = f"<!DOCTYPE html><html><head>{head}</head><body>{body}</body></html>"
    return CapturedPage.parse(
        "https://www.catalogue.test/", "www.catalogue.test", "catalogue.test", html
    )


def brands(head: str = "", body: str = "") -> list[tuple[str, str]]:
    return [(s.value, s.where) for s in extract_brand(page(head, body))]


def test_synthetic_style_landing_page() -> None:
    head = "<title>Zorbelkinvax | fresh picks every week</title>"
    body = (
        '<header class="x-header"><img class="x-logo-pel" src="/logo.png" alt="Zorbelkinvax">'
        '</header><main><h1>Zorbelkinvax</h1><section class="hero"><h2>Welcome</h2></section>'
    )
    assert extract_brand(page(head, body)) == [
        Selector("brand_text", "zorbelkinvax", "title", Strength.MEDIUM)
    ]


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("Corner Shop | fresh picks", "corner shop"),
        ("Corner Shop - new arrivals", "corner shop"),
        ("Corner Shop — members save more", "corner shop"),
        ("Corner Shop :: catalogue", "corner shop"),
        ("Corner-Shop | x - y", "corner-shop"),
        ("  Corner\n\tShop  ", "corner shop"),
        ("Ｃｏｒｎｅｒ Shop", "corner shop"),  # full-width letters: NFKC
    ],
)
def test_title_normalisation(title: str, expected: str) -> None:
    assert title_name(title) == expected
    assert brands(f"<title>{title}</title>") == [(expected, "title")]


def test_logo_and_heading_when_the_title_is_generic() -> None:
    head = "<title>Home | Corner Shop</title>"
    body = (
        '<img src="/img/banner.png" alt="Summer sale">'
        '<img src="/static/site-logo.svg" alt="Corner  Shop">'
        "<h1>Hand-made <em>Pottery</em></h1><h1>Second heading</h1>"
    )
    assert brands(head, body) == [("corner shop", "logo"), ("hand-made pottery", "h1")]


def test_logo_by_class() -> None:
    body = '<img class="brand LOGO-main" src="/a.png" alt="Pottery Corner">'
    assert brands(body=body) == [("pottery corner", "logo")]


@pytest.mark.parametrize(
    "text", ["Home", "Welcome", "logo", "Catalogue", "Index", "Forum", "Image Host", "ab", " "]
)
def test_generic_and_short_values_are_skipped(text: str) -> None:
    body = f'<img class="logo" alt="{text}"><h1>{text}</h1>'
    assert brands(f"<title>{text} | Corner Shop</title>", body) == []


def test_values_are_deduplicated_per_page() -> None:
    head = "<title>Corner Shop</title>"
    body = '<img class="logo" alt="CORNER SHOP"><h1>Corner shop</h1>'
    assert brands(head, body) == [("corner shop", "title")]


def test_normalise_brand() -> None:
    assert normalise_brand("\u00a0Ｆｏｏ\u2003 Bar\n") == "foo bar"


def test_no_title_no_logo_no_heading() -> None:
    assert brands() == []
    assert brands(body="<img alt='Corner Shop'><title></title>") == []


@pytest.mark.parametrize(
    ("title", "expected"), [("| Corner Shop", ""), ("Corner Shop |", "corner shop")]
)
def test_a_separator_at_either_end(title: str, expected: str) -> None:
    assert title_name(title) == expected
