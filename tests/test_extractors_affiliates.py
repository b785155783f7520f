"""Affiliates extractor: ``param=id`` from links to other sites, nothing from the page's own."""

from __future__ import annotations

import pytest

from hotline.captures.extractors.affiliates import AFFILIATE_PARAMS, extract_affiliates
from hotline.captures.model import CapturedPage, Selector, Strength


def page(body: str, url: str = "https://www.catalogue.test/") -> CapturedPage:
    html = f"<!DOCTYPE html><html><head><title>Shop</title></head><body>{body}</body></html>"
    return CapturedPage.parse(url, "www.catalogue.test", "catalogue.test", html)


def values(body: str) -> list[tuple[str, str]]:
    return [(s.value, s.where) for s in extract_affiliates(page(body))]


def test_partner_link() -> None:
    body = '<aside class="partners"><a href="https://corner-shop.test/?aff=K3X9QW">Our partner'
    assert extract_affiliates(page(body)) == [
        Selector("affiliate", "aff=K3X9QW", "link:corner-shop.test", Strength.STRONG)
    ]


@pytest.mark.parametrize("param", AFFILIATE_PARAMS)
def test_every_configured_parameter(param: str) -> None:
    body = f'<a href="https://www.other.example/item/7?color=red&amp;{param}=Ab-12">x</a>'
    assert values(body) == [(f"{param}=Ab-12", "link:other.example")]


def test_parameter_is_lower_cased_and_id_kept_as_written() -> None:
    assert values('<a href="https://other.test/?REF=MiXeD%2D9">x</a>') == [
        ("ref=MiXeD-9", "link:other.test")
    ]


def test_not_affiliates() -> None:
    body = (
        '<a href="/catalog/?aff=OWN1">relative: own site</a>'
        '<a href="https://shop.catalogue.test/?ref=OWN2">own site, other host</a>'
        '<a href="https://other.test/?aff=">empty</a>'
        f'<a href="https://other.test/?aff={"x" * 65}">too long</a>'
        '<a href="https://other.test/?page=2&amp;q=ref">no affiliate parameter</a>'
        '<a href="https://other.test/#aff=FRAG">fragment, not query</a>'
        '<a href="mailto:a@other.test?ref=1">mail</a><a href>none</a><a>no href</a>'
    )
    assert values(body) == []


def test_sixty_four_characters_is_still_an_id() -> None:
    ident = "y" * 64
    assert values(f'<a href="https://other.test/?cid={ident}">x</a>') == [
        (f"cid={ident}", "link:other.test")
    ]


def test_custom_parameter_list_and_dedupe() -> None:
    body = (
        '<a href="https://a.test/?via=Z1">1</a><a href="https://b.test/?via=Z1">2</a>'
        '<a href="https://a.test/?aff=Q">3</a>'
    )
    found = extract_affiliates(page(body), params=("VIA",))
    assert [(s.value, s.where) for s in found] == [("via=Z1", "link:a.test")]
