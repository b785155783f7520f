"""Contacts extractor: e-mail addresses (mailto: and text) and third-party script hosts."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hotline.captures.extractors.contacts import (
    decode_cfemail,
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


def _cfencode(address: str, key: int) -> str:
    """What a CDN's e-mail protection writes for ``address``."""
    return f"{key:02x}" + "".join(f"{byte ^ key:02x}" for byte in address.encode())


def test_addresses_a_cdn_protected_are_decoded() -> None:
    encoded = _cfencode("Orders@Zorbel-Shop.test", 0x5A)
    body = (
        f'<p>Write to <a href="/cdn-cgi/l/email-protection" class="__cf_email__" '
        f'data-cfemail="{encoded}">[email&#160;protected]</a></p>'
        f'<a href="/cdn-cgi/l/email-protection#{_cfencode("help@zorbel.example", 0x21)}">mail</a>'
    )
    assert emails(body) == {
        ("orders@zorbel-shop.test", "cfemail"),
        ("help@zorbel.example", "cfemail"),
    }


@pytest.mark.parametrize(
    "encoded",
    ["", "5a", "zz" * 8, "5a" + "00" * 10, _cfencode("not an address", 7), _cfencode("a@b", 9)],
)
def test_protected_values_that_are_no_address(encoded: str) -> None:
    assert emails(f'<span data-cfemail="{encoded}">x</span>') == set()
    assert decode_cfemail(encoded) is None


@given(
    local=st.from_regex(r"[a-z0-9._%+-]{1,20}", fullmatch=True).filter(lambda s: s.strip(".") == s),
    domain=st.from_regex(r"[a-z0-9]{1,10}\.(test|example)", fullmatch=True),
    key=st.integers(0, 255),
)
def test_decoding_undoes_the_protection(local: str, domain: str, key: int) -> None:
    assert decode_cfemail(_cfencode(f"{local}@{domain}", key)) == f"{local}@{domain}"


@pytest.mark.parametrize(
    "text",
    [
        "sales [at] zorbel-shop [dot] test",
        "sales(at)zorbel-shop.test",
        "Sales {AT} zorbel-shop {DOT} test",
        "write to sales <at> zorbel-shop <dot> test today",
    ],
)
def test_spelled_out_addresses(text: str) -> None:
    assert emails(f"<p>{text.replace('<', '&lt;').replace('>', '&gt;')}</p>") == {
        ("sales@zorbel-shop.test", "text:spelled")
    }


@pytest.mark.parametrize(
    "text",
    [
        "meet us at the fair dot com",  # words, not a disguise
        "open (at) noon",
        "sales [at] zorbel-shop",  # no domain
        "Find us (at) facebook (dot) com",
        "Follow us [at] instagram.example",
        "Made with love (at) Berlin.example",
        "Ask me (at) the.counter",
    ],
)
def test_words_that_are_no_spelled_address(text: str) -> None:
    assert emails(f"<p>{text}</p>") == set()
