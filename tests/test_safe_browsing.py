"""Safe Browsing v4 canonicalisation: Google's own examples, then properties.

The examples fix the behaviour byte for byte (a hash-prefix lookup is useless otherwise); the
properties make sure the function is total and that its output is a fixed point, which is what
"canonical" means and what lets stored canonical URLs be fed back in safely.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hotline.urls.safe_browsing import safe_browsing_canonical

VECTORS = Path(__file__).parent / "vectors" / "url-canonicalization" / "safe-browsing.json"


def _load_vectors() -> list[Any]:
    cases: list[dict[str, str]] = json.loads(VECTORS.read_text(encoding="utf-8"))
    params: list[Any] = []
    for number, case in enumerate(cases):
        # The one case with a note holds raw bytes 0x01 0x80; Latin-1 gives them back.
        url: str | bytes = case["input"].encode("latin-1") if "note" in case else case["input"]
        params.append(pytest.param(url, case["expected"], id=f"{number:02d}-{ascii(url)[:60]}"))
    return params


@pytest.mark.parametrize(("url", "expected"), _load_vectors())
def test_google_examples(url: str | bytes, expected: str) -> None:
    assert safe_browsing_canonical(url) == expected


def test_all_examples_are_loaded() -> None:
    assert len(_load_vectors()) == 33


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        pytest.param("http://0xC0.0x00.0x02.0x01/", "http://192.0.2.1/", id="hex-parts"),
        pytest.param("http://0300.0.02.01/", "http://192.0.2.1/", id="octal-parts"),
        pytest.param("http://203.0.28929/x", "http://203.0.113.1/x", id="three-parts"),
        pytest.param("http://192.513/", "http://192.0.2.1/", id="two-parts"),
        pytest.param("http://192.0.2.256/", "http://192.0.2.256/", id="not-ipv4-out-of-range"),
        pytest.param("http://[2001:DB8:0:0::1]:8080/", "http://[2001:db8::1]/", id="ipv6"),
        pytest.param("http://user:pw@www.example.com:8080/", "http://www.example.com/", id="user"),
        pytest.param("HTTPS://..Www..Example..COM../", "https://www.example.com/", id="dots"),
        pytest.param("http://example.com/a//b/./c/../../d/.", "http://example.com/a/d/", id="path"),
        pytest.param("http://example.com/%2e%2E/a%2Fb%3Fc", "http://example.com/a/b?c", id="esc"),
        pytest.param("http://example.com/caf\u00e9", "http://example.com/caf%C3%A9", id="utf-8"),
        pytest.param("", "http:///", id="empty"),
        pytest.param("not a url", "http://not%20a%20url/", id="garbage"),
    ],
)
def test_documented_behaviour(url: str, expected: str) -> None:
    assert safe_browsing_canonical(url) == expected


def test_bytes_and_str_agree_on_utf8() -> None:
    url = "http://www.example.com/\u00fcber?q=\u00e9"
    assert safe_browsing_canonical(url.encode("utf-8")) == safe_browsing_canonical(url)


# Pieces that exercise every rule: schemes, separators, dots, escapes (of delimiters too),
# ports, userinfo, IPv4 in odd notations, IPv6 brackets, whitespace and non-ASCII.
_TOKENS = """
    http:// HTTPS:// ftp:// // www. example.com shop.test .example 192.0.2.1 3221225985
    0xC6.0x33.0x64.7 0313.0.0161.1 198.51.100 0x 0 08 7 [ ] [2001:db8::1] :: : :8080 @ user:pw@
    . .. ... / // /./ /../ ? ?? # & = ; ~ \\ A Z % %% %2 %25 %252525 %2e %2E %2F %3A %3F %40
    %23 %20 %00 %80 %ff %5B %5D
"""
_WHITESPACE_AND_BEYOND_ASCII = [" ", "\t", "\r", "\n", "\x00", "\x7f", "\u00e9", "\u2603", "\ud800"]
_PIECES = st.sampled_from([*_TOKENS.split(), *_WHITESPACE_AND_BEYOND_ASCII])
_URL_LIKE = st.lists(_PIECES, max_size=24).map("".join)


@given(st.text())
def test_idempotent_on_any_text(text: str) -> None:
    once = safe_browsing_canonical(text)
    assert safe_browsing_canonical(once) == once


@given(_URL_LIKE)
def test_idempotent_on_url_like_text(text: str) -> None:
    once = safe_browsing_canonical(text)
    assert safe_browsing_canonical(once) == once


@given(st.binary())
def test_never_raises_on_bytes_and_output_is_printable_ascii(data: bytes) -> None:
    once = safe_browsing_canonical(data)
    assert once.isascii()
    assert all(0x20 < ord(char) < 0x7F for char in once)
    assert safe_browsing_canonical(once) == once


@given(st.text(alphabet=st.characters(codec="utf-8")))
def test_str_is_read_as_utf8(text: str) -> None:
    assert safe_browsing_canonical(text) == safe_browsing_canonical(text.encode("utf-8"))
