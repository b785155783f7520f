"""Credits extractor: the designer a page signs itself with ("Site by …")."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hotline.captures.extractors import credits as credits_module
from hotline.captures.extractors import default_extractors, extract_all
from hotline.captures.extractors.credits import FREEMAIL_DOMAINS, PROFILE_HOSTS, extract_credits
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


@pytest.mark.parametrize(
    "footer",
    [
        '<span>Site by</span> <a href="https://nimbo-studio.example/">Nimbo</a>',
        '<small>Website by</small>\n<a href="https://nimbo-studio.example/">Nimbo</a>',
        'Site by <strong><a href="https://nimbo-studio.example/">Nimbo</a></strong>',
        'Designed by: <a href="https://nimbo-studio.example/">Nimbo</a>',
        'Site by <!-- agency --> <a href="https://nimbo-studio.example/">Nimbo</a>',
        'Site by\u200b<a href="https://nimbo-studio.example/">Nimbo</a>',
        'Site&nbsp;by&nbsp;<a href="https://nimbo-studio.example/">Nimbo</a>',
        'Website created by <a href="https://nimbo-studio.example/">Nimbo</a>',
    ],
)
def test_the_phrase_in_the_markup_footers_use(footer: str) -> None:
    assert credits(f"<footer><p>{footer}</p></footer>") == {("nimbo-studio.example", "text")}


def test_the_phrase_as_the_links_own_text_in_a_wrapper_or_before_a_long_tail() -> None:
    wrapped = '<a href="https://nimbo-studio.example/"><span>Website by Nimbo</span></a>'
    assert credits(wrapped) == {("nimbo-studio.example", "link-text")}
    tail = " and friends" * 10
    long = f'<a href="https://nimbo-studio.example/">Website by Nimbo{tail}</a>'
    assert credits(long) == {("nimbo-studio.example", "link-text")}


def test_a_designer_known_by_a_profile_or_a_free_mailbox_is_named_by_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # the shipped lists name real platforms; reserved stand-ins are added for the test
    monkeypatch.setattr(credits_module, "PROFILE_HOSTS", PROFILE_HOSTS | {"profiles.example"})
    monkeypatch.setattr(credits_module, "FREEMAIL_DOMAINS", FREEMAIL_DOMAINS | {"mail.example"})
    assert credits('Site by <a href="https://www.profiles.example/Nimbo/">Nimbo</a>') == {
        ("profiles.example/nimbo", "text")
    }
    assert credits('Site by <a href="https://profiles.example/">us</a>') == set()
    assert credits('Web design: <a href="mailto:Nimbo.Studio@mail.example">write</a>') == {
        ("nimbo.studio@mail.example", "text")
    }
    # a name before the address, several recipients: the first one's
    named = 'Web design: <a href="mailto:Nimbo%20Studio%20%3Chello@nimbo.example%3E">N</a>'
    assert credits(named) == {("nimbo.example", "text")}
    several = 'Web design: <a href="mailto:hello@nimbo.example,sales@other.example">N</a>'
    assert credits(several) == {("nimbo.example", "text")}


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
        # a colon after a site word, or a maker or author credited, is no designer's credit
        'Website: <a href="https://other-shop.example/">other-shop.example</a>',
        'Visit our website: <a href="https://other-shop.example/">here</a>',
        'Mirror site: <a href="https://mirror.example/">mirror</a>',
        'Backup site: <a href="https://backup.example/">backup</a>',
        'Design: <a href="https://tips.example/">ten tips</a>',
        'Made by <a href="https://maker.example/">the maker</a>',
        'Recipe created by <a href="https://cook.example/">a cook</a>',
        'Read more on the site of <a href="https://other.example/">others</a>',
        '<a href="https://other.example/">Created by the community</a>',
        '<a href="https://tips.example/">Design: ten tips</a>',
        '<a href="https://shop-a.example/">Website: shop-a.example</a>',
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


def test_a_phrase_must_end_the_text_before_the_link() -> None:
    # "site by" early in a paragraph, then other words, then the link: no credit
    prose = "This site by the river " + "is loved " * 20
    assert credits(f'<p>{prose}<a href="https://press.example/">the press</a></p>') == set()
    # ... while a long paragraph that ends in the phrase is read by its end alone
    signed = "Thanks for visiting " * 20 + "Site by "
    assert credits(f'<p>{signed}<a href="https://nimbo.example/">N</a></p>') == {
        ("nimbo.example", "text")
    }


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
