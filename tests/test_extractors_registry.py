"""The registry and extract_all: names, dedupe, failure isolation, and hostile pages (huge
lines, odd attributes, arbitrary text) that must neither raise nor take long."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hotline.captures.extractors import (
    Extractor,
    ProcessorTable,
    default_extractors,
    extract_all,
)
from hotline.captures.page import CapturedPage, Selector, Strength

URL = "https://www.catalogue.test/"


def page(html: str) -> CapturedPage:
    return CapturedPage.parse(URL, "www.catalogue.test", "catalogue.test", html)


SHOP = (
    "<!DOCTYPE html><html><head><title>Corner Shop | new arrivals</title>"
    '<script src="https://cdn.jslibs.example/jquery.min.js"></script>'
    "<script>gtag('config','G-ABCDEFGH');</script></head><body>"
    '<img class="logo" src="/logo.png" alt="Corner Shop"><h1>Corner Shop</h1>'
    '<form action="https://pay.bigpay.example/checkout">'
    '<input type="hidden" name="merchant_id" value="M0000001"></form>'
    "<p>Send BTC to <code>bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4</code></p>"
    '<a href="https://other-shop.test/?aff=AB12">partner</a>'
    '<a href="mailto:info@catalogue.test">info@catalogue.test</a></body></html>'
)


def test_default_names_and_order() -> None:
    names = list(default_extractors())
    assert names == [
        "crypto", "payments", "affiliates", "analytics", "contacts", "brand", "template",
        "credits",
    ]  # fmt: skip


def test_the_registry_is_a_plain_dict_to_extend() -> None:
    extractors = default_extractors()

    def template(captured: CapturedPage) -> list[Selector]:
        return [Selector("template", "t-1", "dom")]

    extractors["mine"] = template
    assert ("template", "t-1") in {(s.kind, s.value) for s in extract_all(page(SHOP), extractors)}


def test_extract_all_on_a_shop_page() -> None:
    found = {(s.kind, s.value): s for s in extract_all(page(SHOP), default_extractors())}
    templates = [key for key in found if key[0] == "template"]
    assert len(templates) == 1  # one DOM fingerprint, 16 hex digits
    assert len(templates[0][1]) == 16
    assert set(found) - set(templates) == {
        ("brand_text", "corner shop"),
        ("script_host", "cdn.jslibs.example"),
        ("analytics", "G-ABCDEFGH"),
        ("payment_host", "pay.bigpay.example"),
        ("merchant_id", "pay.bigpay.example|M0000001"),
        ("btc_address", "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"),
        ("affiliate", "aff=AB12"),
        ("email", "info@catalogue.test"),
    }
    assert found["merchant_id", "pay.bigpay.example|M0000001"].method == "card"
    assert found["payment_host", "pay.bigpay.example"].strength is Strength.WEAK
    assert extract_all(page(SHOP)) == extract_all(page(SHOP), default_extractors())


def test_a_given_table_is_used() -> None:
    table = ProcessorTable.load().merged(ProcessorTable([]))
    html = '<a href="https://pay.bigpay.example/?mid=7">pay</a>'
    found = extract_all(page(html), default_extractors(table))
    assert ("merchant_id", "pay.bigpay.example|7") in {(s.kind, s.value) for s in found}


def test_dedupe_keeps_the_first_where() -> None:
    def first(captured: CapturedPage) -> list[Selector]:
        return [Selector("email", "a@b.test", "mailto"), Selector("email", "a@b.test", "text")]

    def second(captured: CapturedPage) -> Iterator[Selector]:
        yield Selector("email", "a@b.test", "attr:title")
        yield Selector("email", "c@b.test", "text")

    found = extract_all(page("<p></p>"), {"first": first, "second": second})
    assert [(s.value, s.where) for s in found] == [("a@b.test", "mailto"), ("c@b.test", "text")]


def test_a_raising_extractor_is_skipped_and_logged(caplog: pytest.LogCaptureFixture) -> None:
    def broken(captured: CapturedPage) -> Iterator[Selector]:
        yield Selector("email", "partial@b.test", "text")
        raise RuntimeError("hostile page")

    extractors: dict[str, Extractor] = {"broken": broken, **default_extractors()}
    with caplog.at_level(logging.WARNING, logger="hotline.captures.extractors"):
        found = extract_all(page(SHOP), extractors)
    assert "partial@b.test" not in {s.value for s in found}
    assert ("affiliate", "aff=AB12") in {(s.kind, s.value) for s in found}
    [record] = caplog.records
    assert record.levelno == logging.WARNING
    assert "'broken'" in record.getMessage()
    assert "RuntimeError" in record.getMessage()


# --- hostile pages -------------------------------------------------------------------------

MEGABYTE = 1 << 20
LONG_LINES = {
    "a": "a" * MEGABYTE,
    "1": "1" * MEGABYTE,
    "a1": "a1" * (MEGABYTE // 2),
    "at": "a@" * (MEGABYTE // 2),
    "dots": "x@" + "a." * (MEGABYTE // 2),
    "hex": "0x" + "a" * MEGABYTE,
    "bech32": "bc1" + "q" * MEGABYTE,
    "ga": "G-" + "A" * MEGABYTE,
    "ym": "ym(" * (MEGABYTE // 3),
    "uri": "bitcoin:" * (MEGABYTE // 8),
}
WRAPPERS = (
    "<p>{}</p>",
    "<title>{}</title><h1>{}</h1>",
    "<script>{}</script>",
    '<p title="{}">x</p><img class="logo" alt="{}">',
    '<a href="https://other.test/?aff={}">x</a><iframe src="https://p.test/?mid={}"></iframe>',
    '<a href="mailto:{}">x</a><script src="https://cdn.test/x.js?id={}"></script>',
)


@pytest.mark.parametrize("name", sorted(LONG_LINES))
def test_a_megabyte_line_finishes_fast(name: str) -> None:
    line = LONG_LINES[name]
    extractors = default_extractors()
    for wrapper in WRAPPERS:
        captured = page(wrapper.replace("{}", line))
        started = time.perf_counter()
        extract_all(captured, extractors)
        for extractor_name, extractor in extractors.items():
            list(extractor(captured))  # each one directly: none may raise either
            assert extractor_name
        elapsed = time.perf_counter() - started
        assert elapsed < 5, (name, wrapper, elapsed)


def test_odd_attributes_never_raise() -> None:
    huge = "x" * (9 * 1024)
    html = (
        "<a href>none</a><a href=''>empty</a><form action></form><iframe src></iframe>"
        "<script src></script><link rel href><link rel='stylesheet'><img class alt src>"
        f'<a href="https://other.test/?aff={huge}">huge</a>'
        f'<p data-x="{huge}">huge attribute</p>'
        '<a href="https://[::1/">bad ipv6</a><a href="https://a.test:99999/?aff=1">bad port</a>'
        '<a href="https://bü.test/?ref=ünï2code">idn</a><a href="http://%zz/">bad escape</a>'
        "<a href='\x00https://x.test/'>nul</a><a href=\"https://x.test/\ud7ff?aff=1\">odd</a>"
        "<p \x01weird=1 ::=2 data-é='3'>x</p><a href=\"javascript:void(0)\">js</a>"
    )
    extractors = default_extractors()
    for extractor in extractors.values():
        list(extractor(page(html)))
    found = {(s.kind, s.value) for s in extract_all(page(html), extractors)}
    assert ("affiliate", "ref=ünï2code") in found


HTML_PIECES = st.sampled_from(
    [
        "<a href='",
        '<a href="https://other.test/?aff=',
        "<form action='https://pay.bigpay.example/'>",
        "<input type=hidden name=merchant_id value=",
        "<iframe src='https://p.test/?mid=",
        "<script src='https://cdn.test/x.js?id=",
        "<script>",
        "</script>",
        "<title>",
        " | ",
        "<img class=logo alt='",
        "<h1>",
        "mailto:",
        "bitcoin:",
        "ethereum:",
        "bc1q",
        "0x",
        "G-",
        "ym(",
        "@",
        "'>",
        '">',
        "<",
        ">",
        "&amp;",
        "&#0;",
        "\x00",
    ]
)
HTML_TEXT = st.lists(
    st.one_of(HTML_PIECES, st.text(st.characters(codec="utf-8"), max_size=40)),
    max_size=40,
).map("".join)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(html=HTML_TEXT, url=st.sampled_from([URL, "http://192.0.2.7/x", "not a url", ""]))
def test_extractors_never_raise_on_arbitrary_html(html: str, url: str) -> None:
    captured = CapturedPage.parse(url, "www.catalogue.test", "catalogue.test", html)
    extractors = default_extractors()
    for extractor in extractors.values():
        for selector in extractor(captured):
            assert isinstance(selector, Selector)
            assert selector.kind
            assert selector.value
    found = extract_all(captured, extractors)
    assert len({(s.kind, s.value) for s in found}) == len(found)
