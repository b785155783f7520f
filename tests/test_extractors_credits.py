"""Credits extractor: the designer a page signs itself with ("Site by …")."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hotline.captures.extractors import default_extractors, extract_all
from hotline.captures.extractors.credits import extract_credits
from hotline.captures.page import CapturedPage, Selector, Strength


def page(body: str, url: str = "https://www.catalogue.test/") -> CapturedPage:
    html = f"<!DOCTYPE html><html><head><title>Catalogue</title></head><body>{body}</body></html>"
    return CapturedPage.parse(url, "www.catalogue.test", "catalogue.test", html)


def credits(body: str) -> set[tuple[str, str]]:
    return {(s.value, s.where) for s in extract_credits(page(body))}


@pytest.mark.parametrize(
    "footer",
    [
        'Site by <a href="https://www.nimbo-studio.example/?client=catalogue">Nimbo</a>',
        'Website by <a href="https://nimbo-studio.example/">Nimbo Studio</a>',
        'Web design by <a href="https://nimbo-studio.example/">Nimbo</a>',
        'WEB DESIGN: <a href="https://nimbo-studio.example/">Nimbo</a>',
        'Designed &amp; developed by <a href="https://nimbo-studio.example/">Nimbo</a>',
        'Made with \u2665 by <a href="https://nimbo-studio.example/">Nimbo</a>',
        '© 2026 Catalogue. Crafted by\n   <a href="//nimbo-studio.example/">Nimbo</a>',
        'Design and hosting BY <a href="https://nimbo-studio.example/">Nimbo</a>',
        'Webdesign &amp; SEO: <a href="https://nimbo-studio.example/">Nimbo</a>',
        'Webdesign von <a href="https://nimbo-studio.example/">Nimbo</a>',
        'Réalisé par <a href="https://nimbo-studio.example/">Nimbo</a>',
        'Diseñado por <a href="https://nimbo-studio.example/">Nimbo</a>',
        'Realizzato da <a href="https://nimbo-studio.example/">Nimbo</a>',
        'Gemaakt door <a href="https://nimbo-studio.example/">Nimbo</a>',
    ],
)
def test_a_credit_phrase_before_the_designers_link(footer: str) -> None:
    assert credits(f"<footer><p>{footer}</p></footer>") == {("nimbo-studio.example", "text")}


def test_the_phrase_as_the_links_own_text() -> None:
    body = '<footer><a href="https://nimbo-studio.example/">Website by Nimbo</a></footer>'
    assert extract_credits(page(body)) == [
        Selector("credit", "nimbo-studio.example", "link-text", Strength.WEAK)
    ]


def test_a_mailbox_credit_names_the_designers_domain() -> None:
    body = '<p>Web design: <a href="mailto:Hello@Nimbo-Studio.example">hello@…</a></p>'
    assert credits(body) == {("nimbo-studio.example", "text")}


@pytest.mark.parametrize(
    "body",
    [
        # a platform, shared by thousands of unrelated operators: the template's business
        'Powered by <a href="https://shopkit.example/">ShopKit</a>',
        # "by" in a sentence, not a credit
        'Follow us by <a href="https://social.example/catalogue">subscribing</a>',
        'Sort by <a href="https://www.catalogue.test/?sort=price">price</a>',
        'Photos par <a href="https://photos.example/">un ami</a>',
        'Mehr von <a href="https://blog.example/">uns</a>',
        'Contact: <a href="https://help.example/">help desk</a>',
        # the site's own pages are nobody's credit
        'Site by <a href="/about">our own team</a>',
        'Site by <a href="https://shop.catalogue.test/">us</a>',
        # a link with no credit before it, a credit with no link
        '<a href="https://nimbo-studio.example/">Nimbo</a>',
        "Site by Nimbo Studio",
        # other schemes and junk
        'Site by <a href="javascript:void(0)">Nimbo</a>',
        'Site by <a href="mailto:">Nimbo</a>',
        'Site by <a href="">Nimbo</a>',
    ],
)
def test_what_is_no_credit(body: str) -> None:
    assert credits(f"<footer><p>{body}</p></footer>") == set()


def test_a_phrase_deep_in_prose_is_no_credit() -> None:
    # the phrase must end the text right before the link: a long paragraph ending in "by"
    # is still read, but only its last words count, so nothing earlier matches
    prose = "We were made famous " + "and loved " * 50 + "by "
    assert credits(f'<p>{prose}<a href="https://press.example/">the press</a></p>') == set()


def test_one_selector_per_designer_and_each_designer_once() -> None:
    body = (
        'Site by <a href="https://nimbo-studio.example/a">Nimbo</a> · '
        '<a href="https://nimbo-studio.example/b">Website by Nimbo</a> · '
        'Design by <a href="https://other-works.example/">Other</a>'
    )
    assert {value for value, _where in credits(body)} == {
        "nimbo-studio.example",
        "other-works.example",
    }


def test_the_registry_runs_it_and_the_kind_is_known() -> None:
    from hotline.urls.kinds import SelectorKind

    body = 'Site by <a href="https://nimbo-studio.example/">Nimbo</a>'
    found = {(s.kind, s.value) for s in extract_all(page(body), default_extractors())}
    assert ("credit", "nimbo-studio.example") in found
    assert "credit" in {kind.value for kind in SelectorKind}


@settings(max_examples=200, deadline=None)
@given(
    lead=st.text(max_size=200),
    href=st.text(max_size=100),
    text=st.text(max_size=60),
)
def test_hostile_footers_never_raise_and_credit_only_third_party_sites(
    lead: str, href: str, text: str
) -> None:
    from html import escape

    body = f'<p>{escape(lead)}<a href="{escape(href)}">{escape(text)}</a></p>'
    for selector in extract_credits(page(body)):
        assert selector.kind == "credit"
        assert selector.value != "catalogue.test"
        assert selector.value == selector.value.lower()
        assert " " not in selector.value
