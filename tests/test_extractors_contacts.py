"""Contacts extractor: e-mail addresses (mailto: and text) and third-party script hosts."""

from __future__ import annotations

import pytest

from hotline.captures.extractors.contacts import (
    extract_contacts,
    extract_emails,
    extract_script_hosts,
)
from hotline.captures.page import CapturedPage, Selector, Strength


def page(head: str = "", body: str = "", url: str = "https://www.catalogue.test/") -> CapturedPage:
    html = f"<!DOCTYPE html><html><head>{head}</head><body>{body}</body></html>"
    return CapturedPage.parse(url, "www.catalogue.test", "catalogue.test", html)


def emails(body: str) -> set[tuple[str, str]]:
    return {(s.value, s.where) for s in extract_emails(page(body=body))}


def test_footer_mailto() -> None:
    body = (
        '<footer><p>Questions? <a href="mailto:Support@Help-Desk.test">Support@Help-Desk.test</a>'
        "</p></footer>"
    )
    assert extract_emails(page(body=body)) == [
        Selector("email", "support@help-desk.test", "mailto", Strength.MEDIUM)
    ]


def test_mailto_with_several_recipients_and_a_subject() -> None:
    body = '<a href="MAILTO:a@one.test,%20b@two.example?subject=Order%20help">write</a>'
    assert emails(body) == {("a@one.test", "mailto"), ("b@two.example", "mailto")}


def test_addresses_in_text() -> None:
    body = (
        "<p>Write to orders@catalogue.test or (billing.team+eu@mail.example.test).</p>"
        "<p>Onion: admin@2gzyxa5ihm7nsggfxnu52rck2vv4rvmdlkiu3zzui5du4xyclen53wid.onion</p>"
    )
    assert emails(body) == {
        ("orders@catalogue.test", "text"),
        ("billing.team+eu@mail.example.test", "text"),
        ("admin@2gzyxa5ihm7nsggfxnu52rck2vv4rvmdlkiu3zzui5du4xyclen53wid.onion", "text"),
    }


@pytest.mark.parametrize(
    "text",
    [
        "logo@2x.png",
        "hero-image@3x.JPG",
        "icon@2x.webp",
        "no at sign here",
        "user@localhost",
        "@catalogue.test",
        "a" * 65 + "@catalogue.test",
    ],
)
def test_not_emails(text: str) -> None:
    assert emails(f"<p>{text}</p><img srcset='{text} 2x'>") == set()


def test_script_text_is_not_scanned_for_emails() -> None:
    assert emails("<script>var contact = 'hidden@catalogue.test';</script>") == set()


def test_script_hosts() -> None:
    head = (
        '<script src="https://cdn.jslibs.example/libs/jquery/3.7.1/jquery.min.js"></script>'
        '<link rel="stylesheet" href="https://static.shopkit.example/kit/2.4/shopkit.min.css">'
        '<link rel="icon" href="https://icons.example/favicon.ico">'
        '<link rel="preload stylesheet" href="//fonts.example/css">'
        '<script src="/js/app.js"></script>'
        '<script src="https://static.catalogue.test/app.js"></script>'
        "<script>var inline = 1;</script><script src></script>"
        '<script src="data:text/javascript,1"></script>'
    )
    assert extract_script_hosts(page(head)) == [
        Selector("script_host", "cdn.jslibs.example", "script", Strength.WEAK),
        Selector("script_host", "static.shopkit.example", "stylesheet", Strength.WEAK),
        Selector("script_host", "fonts.example", "stylesheet", Strength.WEAK),
    ]


def test_contacts_combines_both() -> None:
    found = extract_contacts(
        page(
            '<script src="https://cdn.jslibs.example/x.js"></script>',
            '<a href="mailto:info@catalogue.test">info@catalogue.test</a>',
        )
    )
    assert {(s.kind, s.value) for s in found} == {
        ("email", "info@catalogue.test"),
        ("script_host", "cdn.jslibs.example"),
    }
