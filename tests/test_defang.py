"""Defanging: what a person reads is never a live link, and an analyst can always refang it."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hotline.urls import CanonicalURL, canonicalize, defang, defang_text, refang
from hotline.urls.display import defang_in_text
from hotline.urls.onion import onion_v3_address

ONION = onion_v3_address(bytes(32))
_LIVE_SCHEME = re.compile(r"(?:https?|ftp)://", re.IGNORECASE)

EXAMPLES = [
    ("https://shop.brand.test/x", "hxxps://shop[.]brand[.]test/x"),
    ("http://brand.test/", "hxxp://brand[.]test/"),
    ("ftp://files.brand.test/a.zip", "fxp://files[.]brand[.]test/a.zip"),
    ("http://brand.test:8080/a.b/c.d?e.f=g.h", "hxxp://brand[.]test:8080/a.b/c.d?e.f=g.h"),
    ("http://192.0.2.1/", "hxxp://192[.]0[.]2[.]1/"),
    ("http://198.51.100.7:81/x", "hxxp://198[.]51[.]100[.]7:81/x"),
    ("http://[2001:db8::1]/", "hxxp://[2001:db8::1]/"),
    (f"http://www.{ONION}/", f"hxxp://www[.]{ONION.replace('.', '[.]')}/"),
    ("http://xn--bcher-kva.test/", "hxxp://xn--bcher-kva[.]test/"),
    ("http://brand.test/#a.b", "hxxp://brand[.]test/#a.b"),
    ("http://brand.test?q=1", "hxxp://brand[.]test?q=1"),
    # A URL inside the path or query is defanged as well.
    (
        "http://brand.test/go?to=https://other.example/p.html&x=1",
        "hxxp://brand[.]test/go?to=https[://]other[.]example/p.html&x=1",
    ),
    ("http://brand.test/r/http://a.test:80/", "hxxp://brand[.]test/r/http[://]a[.]test:80/"),
    # Without a scheme: a bare host or host/path.
    ("brand.test", "brand[.]test"),
    ("shop.brand.test/a.html", "shop[.]brand[.]test/a.html"),
    ("brand.test/x?u=http://y.test", "brand[.]test/x?u=http[://]y[.]test"),
]


@pytest.mark.parametrize(("url", "defanged"), EXAMPLES)
def test_defang(url: str, defanged: str) -> None:
    assert defang(url) == defanged


@pytest.mark.parametrize(("url", "defanged"), EXAMPLES)
def test_refang_undoes_defang(url: str, defanged: str) -> None:
    assert refang(defanged) == url


def test_scheme_case_does_not_matter_for_defanging() -> None:
    assert defang("HTTPS://brand.test/") == "hxxps://brand[.]test/"
    assert refang("HXXPS://brand[.]test/") == "https://brand.test/"


@pytest.mark.parametrize(
    ("text", "url"),
    [
        ("hxxp://brand[.]test/", "http://brand.test/"),
        ("hxxps://shop[.]brand[.]test/a", "https://shop.brand.test/a"),
        ("hxxp[://]brand[.]test", "http://brand.test"),
        ("hxxp[:]//brand[.]test", "http://brand.test"),
        ("http://brand(.)test/", "http://brand.test/"),
        ("http://brand{.}test/", "http://brand.test/"),
        ("http://brand[dot]test/", "http://brand.test/"),
        ("http://brand(DOT)test/", "http://brand.test/"),
        ("fxp://files[.]brand[.]test/", "ftp://files.brand.test/"),
        ("  hxxp://brand[.]test/ \n", "http://brand.test/"),
        ("brand[.]test", "brand.test"),
        ("192[.]0[.]2[.]1", "192.0.2.1"),
        # Only the authorities are refanged: a path keeps its brackets.
        ("hxxp://brand[.]test/a[.]b", "http://brand.test/a[.]b"),
        ("http://brand.test/", "http://brand.test/"),  # not defanged: unchanged
    ],
)
def test_refang_accepts_common_variants(text: str, url: str) -> None:
    assert refang(text) == url


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "seen at http://shop.brand.test/p?id=1 and https://brand.test.",
            "seen at hxxp://shop[.]brand[.]test/p?id=1 and hxxps://brand[.]test[.]",
        ),
        ("HTTP://BRAND.TEST/X", "hxxp://BRAND[.]TEST/X"),
        ('<a href="http://a.brand.test/">x</a>', '<a href="hxxp://a[.]brand[.]test/">x</a>'),
        ("ftp://files.brand.test:21/f.txt", "fxp://files[.]brand[.]test:21/f.txt"),
        ("user http://u:p@brand.test/", "user hxxp://u:p@brand[.]test/"),
        ("x=http://192.0.2.1,y", "x=hxxp://192[.]0[.]2[.]1,y"),
        ("http://ahttp://b.test", "hxxp://ahxxp://b[.]test"),
        ("_http://a.test", "_hxxp://a[.]test"),
        ("nothing here: brand.test", "nothing here: brand.test"),  # no scheme, not a URL
        ("", ""),
    ],
)
def test_defang_text(text: str, expected: str) -> None:
    assert defang_text(text) == expected


def test_defang_text_leaves_already_defanged_text_alone() -> None:
    once = defang_text("a http://brand.test/ b")
    assert defang_text(once) == once


# --- properties ---------------------------------------------------------------------------------


@st.composite
def canonical_urls(draw: st.DrawFn) -> str:
    host = draw(
        st.sampled_from(
            [
                "brand.test",
                "shop.brand.test",
                "xn--bcher-kva.example",
                "www.example.com",
                "a(.)b.test",  # odd but WHATWG-valid hosts: parentheses and braces
                "a{.}b.invalid",
                "192.0.2.1",
                "203.0.113.255",
                "[2001:db8::1]",
                "localhost",
                ONION,
            ]
        )
    )
    pieces = st.sampled_from([*"ab./?#&=:[]()%2F", "://", "http", "[.]", "[://]", "(dot)"])
    tail = "".join(draw(st.lists(pieces, max_size=20)))
    port = draw(st.sampled_from(["", ":8080", ":81"]))
    scheme = draw(st.sampled_from(["http", "https", "ftp"]))
    result = canonicalize(f"{scheme}://{host}{port}/{tail}")
    if isinstance(result, CanonicalURL):
        return result.url
    return f"{scheme}://brand.test/"


def _check_defanged(url: str, defanged: str) -> None:
    assert not _LIVE_SCHEME.search(defanged), defanged
    # No dotted authority, neither the URL's own nor that of a URL embedded in it.
    rest = defanged.split("://", 1)[1]
    own = re.split(r"[/?#]", rest, maxsplit=1)[0]
    assert "." not in own.replace("[.]", ""), own
    assert refang(defanged) == url


@settings(max_examples=400, deadline=None)
@given(canonical_urls())
def test_refang_inverts_defang_on_canonical_urls(url: str) -> None:
    _check_defanged(url, defang(url))


@settings(max_examples=400, deadline=None)
@given(st.text())
def test_refang_inverts_defang_on_any_canonical_url(raw: str) -> None:
    result = canonicalize(raw)
    if isinstance(result, CanonicalURL) and "(dot)" not in result.host:
        _check_defanged(result.url, defang(result.url))


@settings(max_examples=400, deadline=None)
@given(
    st.lists(st.sampled_from([*"ab. :/\\?#\"'<>xX", "http", "HTTPS", "ftp", "://"])).map("".join)
)
def test_defang_text_leaves_no_live_scheme(text: str) -> None:
    assert not _LIVE_SCHEME.search(defang_text(text))


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_defang_text_on_arbitrary_text(text: str) -> None:
    out = defang_text(text)
    assert not _LIVE_SCHEME.search(out)
    if not _LIVE_SCHEME.search(text):
        assert out == text


# --- URLs inside free text, for people -------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("Order at https://shop.example.test/a.", "Order at hxxps://shop[.]example[.]test/a."),
        ("a=http://x.test&b=https://y.test", "a=hxxp://x[.]test&b=hxxps://y[.]test"),
        ("hxxps://half.example.test/p", "hxxps://half[.]example[.]test/p"),
        ("HXXP://HALF.EXAMPLE.TEST", "HXXP://HALF[.]EXAMPLE[.]TEST"),
        ("fxp://files.example/x", "fxp://files[.]example/x"),
        ("http[:]//a.example.test", "http[:]//a[.]example[.]test"),
        ("visit www.shop.example today", "visit www[.]shop[.]example today"),
        ("hxxp://shop[.]test/p", "hxxp://shop[.]test/p"),  # already defanged: unchanged
        ("version 1.2.3, 12.5 %", "version 1.2.3, 12.5 %"),
    ],
)
def test_defang_in_text(text: str, shown: str) -> None:
    assert defang_in_text(text) == shown


_URLISH = st.lists(
    st.one_of(
        st.sampled_from(["http", "https", "ftp", "hxxp", "://", "[:]//", ".", "/", "www.", "a"]),
        st.text(max_size=3),
    ),
    max_size=12,
).map("".join)


@given(_URLISH)
@settings(max_examples=500)
def test_defang_in_text_leaves_no_live_url(text: str) -> None:
    shown = defang_in_text(text)
    assert not re.search(r"(?:https?|ftp)://", shown, re.IGNORECASE | re.ASCII)
    assert defang_in_text(shown) == shown
