"""Redirects a page makes itself (meta refresh, a script setting ``location``): read from
the page, and joined to the target's capture as an HTTP redirect is, with no Referer."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from selectolax.lexbor import LexborHTMLParser

from hotline.captures.client_redirects import client_redirect, refresh_target
from hotline.captures.extractors import default_extractors
from hotline.captures.pages import Page, read_capture_file
from hotline.synth.warc import WarcWriter

BASE = "https://doorway.test/dir/page"
WHEN = datetime(2026, 3, 1, tzinfo=UTC)
HTML = [("Content-Type", "text/html; charset=utf-8")]


@pytest.mark.parametrize(
    ("content", "url"),
    [
        ("0;url=https://shop.test/", "https://shop.test/"),
        ("0; URL='https://shop.test/a?b=1'", "https://shop.test/a?b=1"),
        ('5 ; url = "/local"', "/local"),
        ("0,https://shop.test/", "https://shop.test/"),
        ("1.5; https://shop.test/", "https://shop.test/"),
        ("30", None),  # reloads itself
        ("0;", None),
        ("url=https://shop.test/", None),  # no delay: browsers ignore it
        ("", None),
    ],
)
def test_refresh_content(content: str, url: str | None) -> None:
    assert refresh_target(content) == url


@pytest.mark.parametrize(
    ("html", "url"),
    [
        ('<meta http-equiv="refresh" content="0;url=https://shop.test/">', "https://shop.test/"),
        ('<meta http-equiv="REFRESH" content="0; url=../up">', "https://doorway.test/up"),
        ('<script>window.location.href = "https://shop.test/";</script>', "https://shop.test/"),
        ("<script>location='https://shop.test/x'</script>", "https://shop.test/x"),
        ("<script>top.location.replace('https://shop.test/')</script>", "https://shop.test/"),
        ('<script>document.location = "/next"</script>', "https://doorway.test/next"),
        ("<script>window.location.assign(`https://shop.test/`)</script>", "https://shop.test/"),
        # not a redirect: a comparison, another object's property, a computed target, a
        # script loaded from elsewhere, a scheme a browser would not navigate to here
        ('<script>if (location == "https://shop.test/") {}</script>', None),
        ('<script>frame.mylocation = "https://shop.test/"</script>', None),
        ("<script>location.href = base + path</script>", None),
        ('<script src="https://cdn.test/r.js">location="https://shop.test/"</script>', None),
        ('<meta http-equiv="refresh" content="0;url=javascript:alert(1)">', None),
        ('<meta name="refresh" content="0;url=https://shop.test/">', None),
        ("<p>location = 'https://shop.test/'</p>", None),
        # code a browser does not run by itself, or not as a redirect
        ('<script>function leave() { location.href = "https://exit.test/"; }</script>', None),
        ("<script>btn.onclick = () => { window.location = 'https://exit.test/' }</script>", None),
        ('<script>if (!ok) location.replace("https://exit.test/")</script>', None),
        ('<script>// location.href = "https://exit.test/"\n</script>', None),
        ('<script>/* location = "https://exit.test/" */</script>', None),
        ("<script>var help = \"location = 'https://exit.test/'\";</script>", None),
        ('<script>var location = "https://exit.test/";</script>', None),
        ('<script type="text/template">location = "https://exit.test/"</script>', None),
        (
            '<noscript><meta http-equiv="refresh" content="0;url=https://exit.test/"></noscript>',
            None,
        ),
        # a function the browser runs by itself, first thing in it
        (
            "<script>setTimeout(function () { window.location.href = 'https://shop.test/'; }"
            ", 3000);</script>",
            "https://shop.test/",
        ),
        (
            '<script>setTimeout(() => location.replace("https://shop.test/"), 0)</script>',
            "https://shop.test/",
        ),
        (
            '<script>window.onload = function() { location = "https://shop.test/" }</script>',
            "https://shop.test/",
        ),
        (
            '<script>(function(){ location.href="https://shop.test/" })();</script>',
            "https://shop.test/",
        ),
        # ... but not an element's handler, nor a timer set under a condition or holding one
        ('<script>img.onload = function() { location = "https://exit.test/" }</script>', None),
        (
            "<script>if (x) setTimeout(function(){ location.href='https://exit.test/' }, 1)"
            "</script>",
            None,
        ),
        (
            "<script>setTimeout(function(){ if (x) { location.href='https://exit.test/' } }, 1)"
            "</script>",
            None,
        ),
        # ... and what it does run: a statement of its own after a comment and a function
        (
            '<script>// go on\nfunction f() { return 1 }\nlocation.href = "https://shop.test/";'
            "</script>",
            "https://shop.test/",
        ),
    ],
)
def test_client_redirect(html: str, url: str | None) -> None:
    assert client_redirect(LexborHTMLParser(html), BASE) == url


def test_hostile_scripts_and_refreshes_are_read_in_one_pass() -> None:
    """Thousands of candidate statements inside a block, a refresh padded with blanks: each
    is read once (the scanner never starts over), and none is a redirect."""
    inside = "function f() {" + "location.href='https://x.test/';" * 2_000 + "}"
    assert client_redirect(LexborHTMLParser(f"<script>{inside}</script>"), BASE) is None
    padded = "0;a" + " " * 2_100 + "x'"
    assert refresh_target(padded) is None
    html = "".join(f'<meta http-equiv="refresh" content="{padded}">' for _ in range(10))
    assert client_redirect(LexborHTMLParser(html), BASE) is None


def test_a_meta_refresh_wins_over_a_script() -> None:
    html = (
        '<meta http-equiv="refresh" content="0;url=https://first.test/">'
        '<script>location.href="https://second.test/"</script>'
    )
    assert client_redirect(LexborHTMLParser(html), BASE) == "https://first.test/"


@settings(max_examples=200)
@given(st.text(max_size=300))
def test_any_refresh_content_or_script_is_read_without_error(text: str) -> None:
    found = refresh_target(text)
    assert found is None or found.strip() == found
    for html in (f'<meta http-equiv="refresh" content="{text}">', f"<script>{text}</script>"):
        url = client_redirect(LexborHTMLParser(html), BASE)
        assert url is None or url.startswith(("http://", "https://"))


REFRESH = (
    b'<html><head><meta http-equiv="refresh" content="0;url=https://zorbel.test/">'
    b"<title>Redirecting</title></head><body></body></html>"
)


def _shop_pages(tmp_path: Path, doorway: bytes) -> list[Page]:
    """A doorway page and, a second later, the shop's page, captured with no Referer: the
    pages read back."""
    shop = (
        b"<!DOCTYPE html><html><head><title>Zorbel | Weekly offers</title></head><body>"
        b'<img class="logo" src="/logo.png" alt="Zorbel"><p>Fresh picks.</p></body></html>'
    )
    warc = tmp_path / "doorway.warc.gz"
    with WarcWriter(warc, namespace="doorway") as writer:
        writer.response("https://go-zorbel.test/", WHEN, 200, "OK", HTML, doorway, "192.0.2.1")
        writer.response(
            "https://zorbel.test/", WHEN + timedelta(seconds=1), 200, "OK", HTML, shop, "192.0.2.2"
        )
    return read_capture_file(warc, default_extractors()).pages


def _capture(tmp_path: Path, doorway: bytes) -> list[tuple[str, set[tuple[str, str]]]]:
    return [
        (p.url.site, {(s.kind, s.value) for s in p.selectors})
        for p in _shop_pages(tmp_path, doorway)
    ]


@pytest.mark.parametrize(
    "body",
    [
        REFRESH,
        b'<html><head><title>One moment</title><script>window.location.href="https://zorbel.test/";'
        b"</script></head><body></body></html>",
    ],
)
def test_a_doorway_page_joins_its_target_without_a_referer(tmp_path: Path, body: bytes) -> None:
    seen = dict(_capture(tmp_path, body))
    assert ("gateway", "go-zorbel.test>zorbel.test") in seen["zorbel.test"]
    # the doorway sent its visitor on by itself: a redirect, not only a gateway
    assert ("redirect", "go-zorbel.test>zorbel.test") in seen["zorbel.test"]


def test_a_page_without_a_client_redirect_joins_nothing(tmp_path: Path) -> None:
    body = b"<html><head><title>Links</title></head><body><a href='https://zorbel.test/'>x</a>"
    seen = dict(_capture(tmp_path, body + b"</body></html>"))
    assert not any(kind == "gateway" for kind, _ in seen["zorbel.test"])


def test_a_client_redirect_ties_but_never_becomes_the_capture_s_chain(tmp_path: Path) -> None:
    """The doorway is a gateway of the shop's capture; the shop's capture is still stored
    under its own URL (its redirect chain holds only HTTP redirects)."""
    (page,) = [p for p in _shop_pages(tmp_path, REFRESH) if p.url.site == "zorbel.test"]
    assert [url.url for url in page.chain] == ["https://zorbel.test/"]
    assert ("gateway", "go-zorbel.test>zorbel.test") in {(s.kind, s.value) for s in page.selectors}


def test_a_doorway_captured_twice_with_two_targets_is_a_gateway_of_both(tmp_path: Path) -> None:
    warc = tmp_path / "twice.warc.gz"
    with WarcWriter(warc, namespace="twice") as writer:
        for number, target in enumerate(("https://first.test/", "https://second.test/")):
            body = f'<html><head><meta http-equiv="refresh" content="0;url={target}"></head></html>'
            when = WHEN + timedelta(days=number)
            writer.response("https://go-two.test/", when, 200, "OK", HTML, body.encode(), None)
            shop = b"<html><head><title>Shop</title></head><body><p>Hi.</p></body></html>"
            writer.response(target, when + timedelta(seconds=1), 200, "OK", HTML, shop, None)
    gateways = {
        s.value
        for p in read_capture_file(warc, default_extractors()).pages
        for s in p.selectors
        if s.kind == "gateway"
    }
    assert gateways == {"go-two.test>first.test", "go-two.test>second.test"}


def _referred(tmp_path: Path, status: int) -> set[tuple[str, str]]:
    """The shop's selectors after a capture of a forum page (answered with ``status``) and
    a capture of the shop whose request carries the forum page as its Referer."""
    warc = tmp_path / "referred.warc.gz"
    forum, shop = "https://board.test/t/1", "https://zorbel.test/"
    body = b"<html><head><title>Board</title></head><body><a href='/x'>x</a></body></html>"
    page = b"<html><head><title>Zorbel</title></head><body><p>Hi.</p></body></html>"
    with WarcWriter(warc, namespace="referred") as writer:
        writer.response(forum, WHEN, status, "Status", HTML, body, None)
        later = WHEN + timedelta(seconds=5)
        answer = writer.response(shop, later, 200, "OK", HTML, page, None)
        writer.request(shop, later, [("Referer", forum)], concurrent_to=answer)
    (found,) = [
        p for p in read_capture_file(warc, default_extractors()).pages if p.url.site in shop
    ]
    return {(s.kind, s.value) for s in found.selectors}


@pytest.mark.parametrize("status", [200, 503])
def test_a_referer_alone_is_a_gateway_but_no_redirect(tmp_path: Path, status: int) -> None:
    """A forum's link leaves a Referer on the shop's capture: the two are tied, but the
    forum did not send anyone on by itself (a hotline's "non-commercial" on it stands)."""
    seen = _referred(tmp_path, status)
    assert ("gateway", "board.test>zorbel.test") in seen
    assert not any(kind == "redirect" for kind, _value in seen)


@pytest.mark.parametrize(
    ("source", "doorway"),
    [
        ("https://go-zorbel.test/", True),
        ("https://go-zorbel.test/?r=7", True),  # the front page, whatever its query
        ("https://go-zorbel.test/index.php?r=7", True),  # ... or its index file
        ("https://top-links.test/out/3", False),  # a link list's out-link
        ("https://lnk.test/Ab3xQ", False),  # a short link
    ],
)
def test_an_http_redirect_from_a_front_page_is_a_redirect_of_its_source(
    tmp_path: Path, source: str, doorway: bool
) -> None:
    warc = tmp_path / "moved.warc.gz"
    page = b"<html><head><title>Zorbel</title></head><body><p>Hi.</p></body></html>"
    with WarcWriter(warc, namespace="moved") as writer:
        moved = [("Location", "https://zorbel.test/")]
        writer.response(source, WHEN, 302, "Found", moved, b"", None)
        writer.response("https://zorbel.test/", WHEN, 200, "OK", HTML, page, None)
    (shop,) = read_capture_file(warc, default_extractors()).pages
    site = source.split("/")[2]
    kinds = {s.kind for s in shop.selectors if s.value == f"{site}>zorbel.test"}
    assert kinds == ({"gateway", "redirect"} if doorway else {"gateway"})


def test_a_parking_page_that_sends_visitors_on_is_no_doorway(tmp_path: Path) -> None:
    """The parking company's script sends visitors to its landing page: the tie is kept
    (a gateway), but what the domain's own owner did it is not (no redirect)."""
    parked = (
        b"<html><head><title>This domain is for sale</title>"
        b'<meta http-equiv="refresh" content="3;url=https://zorbel.test/"></head>'
        b"<body><h1>This domain is for sale</h1><p>Buy this domain today.</p></body></html>"
    )
    pages = _shop_pages(tmp_path, parked)
    (door,) = [p for p in pages if p.url.site == "go-zorbel.test"]
    assert door.page_class == "placeholder"
    seen = dict(_capture(tmp_path, parked))
    assert ("gateway", "go-zorbel.test>zorbel.test") in seen["zorbel.test"]
    assert not any(kind == "redirect" for kind, _value in seen["zorbel.test"])
