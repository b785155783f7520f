"""The canonical-URL policy (``docs/canonical-urls.md``), rule by rule, then its properties.

Each rule has its own small table of input → canonical URL, so a failure names the rule that
broke. The properties at the end say what "canonical" means (a fixed point: feeding a stored
canonical URL back in changes nothing) and that canonicalisation is total: any text gives a
:class:`CanonicalURL` or a typed :class:`Rejection`, never an exception.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from hotline.urls import (
    MAX_URL_BYTES,
    CanonicalURL,
    Rejection,
    RejectReason,
    SiteKind,
    TrackingPolicy,
    canonicalize,
)
from hotline.urls.onion import onion_v3_address
from hotline.urls.safe_browsing import safe_browsing_canonical

ONION = onion_v3_address(bytes(32))  # a valid v3 address built from a synthetic all-zero key
ONION_B = onion_v3_address(bytes(range(32)))


def accepted(raw: str, policy: TrackingPolicy | None = None) -> CanonicalURL:
    result = canonicalize(raw, policy) if policy is not None else canonicalize(raw)
    assert isinstance(result, CanonicalURL), f"{raw!r} was refused: {result}"
    return result


def url_of(raw: str) -> str:
    return accepted(raw).url


def rejected(raw: str) -> Rejection:
    result = canonicalize(raw)
    assert isinstance(result, Rejection), f"{raw!r} was accepted as {result.url}"
    return result


def check(raw: str, expected: str) -> None:
    assert url_of(raw) == expected
    assert url_of(expected) == expected  # every expected value is itself canonical


# --- scheme and host case ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("HTTP://shop.brand.test/", "http://shop.brand.test/"),
        ("hTtPs://shop.brand.test/", "https://shop.brand.test/"),
        ("FTP://files.brand.test/a", "ftp://files.brand.test/a"),
        ("http://Shop.BRAND.Test/", "http://shop.brand.test/"),
        ("http://WWW.EXAMPLE.COM/", "http://www.example.com/"),
    ],
)
def test_scheme_and_host_are_lowercased(raw: str, expected: str) -> None:
    check(raw, expected)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("http://brand.test/Catalogue/Item", "http://brand.test/Catalogue/Item"),
        ("http://brand.test/?Q=Blue", "http://brand.test/?Q=Blue"),
    ],
)
def test_path_and_query_keep_their_case(raw: str, expected: str) -> None:
    check(raw, expected)


# --- IDNA ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        # Non-transitional UTS-46: "ß" stays a letter (transitional would map it to "ss").
        ("http://faß.test/", "http://xn--fa-hia.test/"),
        ("http://FASS.test/", "http://fass.test/"),
        ("http://bücher.example/", "http://xn--bcher-kva.example/"),
        ("http://BÜCHER.example/", "http://xn--bcher-kva.example/"),
        ("http://shop.zorbel.個人.香港/", "http://shop.zorbel.xn--gmqw5a.xn--j6w193g/"),
        # Full-width letters and the ideographic full stop are mapped, as browsers do.
        ("http://ｂｒａｎｄ.test/", "http://brand.test/"),
        ("http://brand。test/", "http://brand.test/"),
    ],
)
def test_idn_hosts_become_punycode(raw: str, expected: str) -> None:
    check(raw, expected)


@pytest.mark.parametrize(
    ("unicode_form", "punycode_form"),
    [
        ("https://faß.test/a", "https://xn--fa-hia.test/a"),
        ("http://Bücher.example/x?y=1", "http://xn--bcher-kva.example/x?y=1"),
        ("http://shop.zorbel.個人.香港/", "http://shop.zorbel.xn--gmqw5a.xn--j6w193g/"),
    ],
)
def test_unicode_and_punycode_forms_are_one_url(unicode_form: str, punycode_form: str) -> None:
    a, b = accepted(unicode_form), accepted(punycode_form)
    assert a == b
    assert a.host.isascii()


@pytest.mark.parametrize(
    ("raw", "words"),
    [
        ("http://xn--a.test/", "Punycode for '\\x80'"),  # the control character U+0080
        ("http://xn--.test/", "no non-ASCII"),  # nothing after the prefix
        ("http://xn--zz-ab.test/", "Punycode for"),  # decodes to controls
        ("http://xn--ab.test/", "Punycode for"),
        ("http://xn--0.test/", "not valid Punycode"),  # an incomplete delta
        ("http://xn--zzzzzzzz.test/", "not valid Punycode"),
        ("http://xn--abc-.test/", "no non-ASCII"),  # only the basic part: plain "abc"
        ("http://xn--bcher-kva-.test/", "no non-ASCII"),
        ("http://xn--wca.test/", "Punycode for 'Ü'"),  # upper case: IDNA maps it to "ü"
        ("http://xn--mi7c.test/", "Punycode for"),  # full-width "ａ", which IDNA maps to "a"
        ("http://xn--a-ecp.test/", "Punycode for"),  # "a⒈": the character is disallowed
        ("http://shop.xn--a.brand.test/", "'xn--a'"),  # any label, not only the first
        ("xn--a.test/page", "'xn--a'"),  # also without a scheme
        ("http://XN--A.test/", "'xn--a'"),
        ("http://www.xn--a." + ONION + "/", "'xn--a'"),  # in front of an onion address too
    ],
)
def test_invalid_punycode_labels_are_rejected(raw: str, words: str) -> None:
    refusal = rejected(raw)
    assert refusal.reason is RejectReason.INVALID_HOST
    assert words in refusal.detail, refusal.detail
    _check_rejection(refusal)


# Cases of the web-platform-tests file url/resources/toascii.json (UTS-46 ToASCII as the URL
# Standard runs it) about labels that start with "xn--": None means the host is refused.
WPT_TOASCII = [
    ("xn--a", None),  # invalid Punycode
    ("xn--a.xn--zca", None),
    ("xn--ls8h=", None),
    ("xn--zca.xn--zca", "xn--zca.xn--zca"),  # valid Punycode
    ("xn--zca.ß", "xn--zca.xn--zca"),
    ("ab--c.xn--zca", "ab--c.xn--zca"),  # hyphens in the 3rd and 4th place are not "xn--"
    ("-x.xn--zca", "-x.xn--zca"),
    ("x-.xn--zca", "x-.xn--zca"),
    ("xn--1ug.example", None),  # U+200D ZERO WIDTH JOINER without its context (CheckJoiners)
    ("xn--a-yoc", None),  # Arabic and Latin in one label (CheckBidi)
    ("xn--mhb.1", None),
    ("xn--zn7c.com", None),  # U+FFFD REPLACEMENT CHARACTER
    ("xn--a---kp0a", "xn--a---kp0a"),
    ("xn----xhn", "xn----xhn"),
    ("xn--1ch", "xn--1ch"),  # "≠": valid without the STD3 rules
]


@pytest.mark.parametrize(("host", "expected"), WPT_TOASCII)
def test_web_platform_tests_toascii(host: str, expected: str | None) -> None:
    result = canonicalize(f"http://{host}/")
    if expected is None:
        assert isinstance(result, Rejection), result
        assert result.reason is RejectReason.INVALID_HOST
    else:
        assert isinstance(result, CanonicalURL), result
        assert result.host == expected


@pytest.mark.parametrize(
    "host",
    [
        "xn--zca.test",
        "xn--ls8h.test",
        "xn--bcher-kva.example",
        "shop.zorbel.xn--gmqw5a.xn--j6w193g",
    ],
)
def test_valid_punycode_labels_are_accepted(host: str) -> None:
    assert url_of(f"http://{host}/") == f"http://{host}/"
    assert url_of(f"http://{host.upper()}/") == f"http://{host}/"


# --- ports ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("http://brand.test:80/", "http://brand.test/"),
        ("https://brand.test:443/", "https://brand.test/"),
        ("ftp://brand.test:21/f", "ftp://brand.test/f"),
        ("http://brand.test:/", "http://brand.test/"),
        ("http://brand.test:0080/", "http://brand.test/"),
    ],
)
def test_default_ports_are_dropped(raw: str, expected: str) -> None:
    check(raw, expected)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("http://brand.test:8080/", "http://brand.test:8080/"),
        ("http://brand.test:443/", "http://brand.test:443/"),  # 443 is only https's default
        ("https://brand.test:80/", "https://brand.test:80/"),
        ("https://brand.test:08443/", "https://brand.test:8443/"),
        ("http://brand.test:65535/", "http://brand.test:65535/"),
        ("http://[2001:db8::1]:8080/", "http://[2001:db8::1]:8080/"),
        ("http://192.0.2.1:81/", "http://192.0.2.1:81/"),
    ],
)
def test_other_ports_are_kept(raw: str, expected: str) -> None:
    check(raw, expected)


# --- fragment and empty query -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("http://brand.test/page#top", "http://brand.test/page"),
        ("http://brand.test/page?id=1#top", "http://brand.test/page?id=1"),
        ("http://brand.test/page#", "http://brand.test/page"),
        ("http://brand.test/#/spa/route?x=1", "http://brand.test/"),
    ],
)
def test_fragment_is_dropped(raw: str, expected: str) -> None:
    check(raw, expected)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("http://brand.test/page?", "http://brand.test/page"),
        ("http://brand.test/?", "http://brand.test/"),
        ("http://brand.test/page?#top", "http://brand.test/page"),
        ("http://brand.test/page?&&", "http://brand.test/page"),
        ("http://brand.test/page?a=1&&b=2&", "http://brand.test/page?a=1&b=2"),
    ],
)
def test_empty_query_is_dropped(raw: str, expected: str) -> None:
    check(raw, expected)


# --- trailing dots ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("http://brand.test./", "http://brand.test/"),
        ("http://brand.test../", "http://brand.test/"),
        ("http://Shop.Brand.Test.:8080/x", "http://shop.brand.test:8080/x"),
        ("http://192.0.2.1./", "http://192.0.2.1/"),
        ("http://0xC0.0.2.1./", "http://192.0.2.1/"),
        # With two dots WHATWG sees a domain; without them it is an IPv4 number.
        ("http://3221225985../", "http://192.0.2.1/"),
        ("http://0xC0.0.2.1../", "http://192.0.2.1/"),
        ("http://192.0.2.1...:8080/", "http://192.0.2.1:8080/"),
        (f"http://{ONION}./", f"http://{ONION}/"),
    ],
)
def test_trailing_dots_of_the_host_are_dropped(raw: str, expected: str) -> None:
    check(raw, expected)


def test_trailing_dot_gives_the_same_site() -> None:
    assert accepted("http://shop.brand.test./") == accepted("http://shop.brand.test/")


# --- dot segments -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("http://brand.test/a/./b", "http://brand.test/a/b"),
        ("http://brand.test/a/b/../c", "http://brand.test/a/c"),
        ("http://brand.test/a/b/..", "http://brand.test/a/"),
        ("http://brand.test/../../a", "http://brand.test/a"),
        ("http://brand.test/a/%2e%2e/b", "http://brand.test/b"),
        ("http://brand.test/a/%2E%2e/b", "http://brand.test/b"),
        ("http://brand.test/a/.%2e/b", "http://brand.test/b"),
        ("http://brand.test/a/%2e/b", "http://brand.test/a/b"),
        ("http://brand.test/a\\..\\b", "http://brand.test/b"),  # "\" is "/" in special URLs
        ("http://brand.test/a/...", "http://brand.test/a/..."),  # three dots are a name
        ("http://brand.test/a/..b", "http://brand.test/a/..b"),
        ("http://brand.test/a/b/../c?x=../y", "http://brand.test/a/c?x=../y"),  # query untouched
    ],
)
def test_dot_segments_are_resolved(raw: str, expected: str) -> None:
    check(raw, expected)


# --- percent-encoding ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        # Unreserved characters (ALPHA DIGIT - . _ ~) are decoded ...
        ("http://brand.test/%7Euser", "http://brand.test/~user"),
        ("http://brand.test/%41%62%63%2D%5F%30", "http://brand.test/Abc-_0"),
        ("http://brand.test/?q=%7e%61", "http://brand.test/?q=~a"),
        # ... every other escape keeps its meaning and gets uppercase hex ...
        ("http://brand.test/a%2fb", "http://brand.test/a%2Fb"),
        ("http://brand.test/?q=a%2b%26b%3d", "http://brand.test/?q=a%2B%26b%3D"),
        ("http://brand.test/%e2%82%ac", "http://brand.test/%E2%82%AC"),
        # ... "%2F" is never decoded: "a%2Fb" is one path segment, "a/b" would be two ...
        ("http://brand.test/a%2Fb", "http://brand.test/a%2Fb"),
        ("http://brand.test/?next=%2Fhome", "http://brand.test/?next=%2Fhome"),
        # ... and what needs encoding is encoded (WHATWG path and query sets).
        ("http://brand.test/a b", "http://brand.test/a%20b"),
        ("http://brand.test/€", "http://brand.test/%E2%82%AC"),
        ("http://brand.test/%zz", "http://brand.test/%zz"),  # not an escape: left alone
        ("http://brand.test/%4", "http://brand.test/%4"),
    ],
)
def test_percent_encoding_is_normalised(raw: str, expected: str) -> None:
    check(raw, expected)


def test_encoded_and_decoded_unreserved_are_one_url() -> None:
    assert accepted("http://brand.test/%7Ea%2Db") == accepted("http://brand.test/~a-b")


def test_encoded_slash_is_not_a_slash() -> None:
    assert url_of("http://brand.test/a%2Fb") != url_of("http://brand.test/a/b")


# --- IPv4 ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("http://192.0.2.1/", "http://192.0.2.1/"),
        ("http://0xC0.0.2.1/", "http://192.0.2.1/"),  # hex part
        ("http://0xc0.0x00.0x02.0x01/", "http://192.0.2.1/"),
        ("http://0300.0.2.1/", "http://192.0.2.1/"),  # octal part
        ("http://0300.0000.0002.0001/", "http://192.0.2.1/"),
        ("http://3221225985/", "http://192.0.2.1/"),  # dword: 192*2**24 + 2*2**8 + 1
        ("http://0xC0000201/", "http://192.0.2.1/"),  # hex dword
        ("http://030000001001/", "http://192.0.2.1/"),  # octal dword
        ("http://192.0.513/", "http://192.0.2.1/"),  # short form a.b.c: c fills 16 bits
        ("http://203.28935/", "http://203.0.113.7/"),  # short form a.b: b fills 24 bits
        ("http://198.3367946/", "http://198.51.100.10/"),
        ("http://0xCB.0.0x71.7:8080/", "http://203.0.113.7:8080/"),
    ],
)
def test_ipv4_in_any_notation_becomes_dotted_quad(raw: str, expected: str) -> None:
    check(raw, expected)
    assert accepted(raw).site_kind is SiteKind.IPV4


# --- IPv6 ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("http://[2001:DB8:0:0:0:0:0:1]/", "http://[2001:db8::1]/"),
        ("http://[2001:0db8:0000:0000:0000:0000:0000:0001]/", "http://[2001:db8::1]/"),
        ("http://[2001:db8:0:0:1:0:0:1]/", "http://[2001:db8::1:0:0:1]/"),  # first longest run
        ("http://[2001:db8::0:1]:80/", "http://[2001:db8::1]/"),
        ("http://[2001:db8:1:2:3:4:5:6]/", "http://[2001:db8:1:2:3:4:5:6]/"),
        ("http://[::FFFF:192.0.2.1]/", "http://[::ffff:c000:201]/"),
    ],
)
def test_ipv6_is_compressed(raw: str, expected: str) -> None:
    check(raw, expected)
    assert accepted(raw).site_kind is SiteKind.IPV6


# --- tracking parameters ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected", "stripped"),
    [
        (
            "http://brand.test/p?utm_source=news&id=7&utm_medium=mail",
            "http://brand.test/p?id=7",
            ("utm_source", "utm_medium"),
        ),
        ("http://brand.test/p?fbclid=AbC&b=2&a=1", "http://brand.test/p?b=2&a=1", ("fbclid",)),
        ("http://brand.test/p?z=1&gclid=x&y=2&x=3", "http://brand.test/p?z=1&y=2&x=3", ("gclid",)),
        ("http://brand.test/p?UTM_Campaign=x&id=1", "http://brand.test/p?id=1", ("UTM_Campaign",)),
        ("http://brand.test/p?%75tm_source=x&id=1", "http://brand.test/p?id=1", ("%75tm_source",)),
        ("http://brand.test/p?utm_source", "http://brand.test/p", ("utm_source",)),
        (
            "http://brand.test/p?utm_source=a&utm_source=b",
            "http://brand.test/p",
            ("utm_source",) * 2,
        ),
        ("http://brand.test/p?id=1&id=1", "http://brand.test/p?id=1&id=1", ()),  # kept as given
        ("http://brand.test/p?utm=1&xutm_a=2", "http://brand.test/p?utm=1&xutm_a=2", ()),
        ("http://brand.test/p?q=utm_source", "http://brand.test/p?q=utm_source", ()),  # a value
    ],
)
def test_tracking_parameters_are_stripped(
    raw: str, expected: str, stripped: tuple[str, ...]
) -> None:
    result = accepted(raw)
    assert result.url == expected
    assert result.stripped_params == stripped


def test_custom_tracking_policy_extends_the_default() -> None:
    policy = TrackingPolicy.extended(names=["Ref"], prefixes=["pk_"])
    result = accepted("http://brand.test/p?ref=a&pk_campaign=b&utm_source=c&id=1&pkx=2", policy)
    assert result.url == "http://brand.test/p?id=1&pkx=2"
    assert result.stripped_params == ("ref", "pk_campaign", "utm_source")
    # The default policy is untouched by the extension.
    assert url_of("http://brand.test/p?ref=a&id=1") == "http://brand.test/p?ref=a&id=1"


def test_empty_policy_keeps_every_parameter() -> None:
    nothing = TrackingPolicy(names=frozenset(), prefixes=())
    result = accepted("http://brand.test/p?utm_source=a&fbclid=b", nothing)
    assert result.url == "http://brand.test/p?utm_source=a&fbclid=b"
    assert result.stripped_params == ()


# --- userinfo -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("http://user:secret@brand.test/", "http://brand.test/"),
        ("http://user@brand.test:8080/x", "http://brand.test:8080/x"),
        ("ftp://anonymous:x@files.brand.test/f", "ftp://files.brand.test/f"),
        ("http://a@b@brand.test/", "http://brand.test/"),
        ("http://us%40er:p%3Aw@brand.test/", "http://brand.test/"),
        ("http://user:@[2001:db8::1]/", "http://[2001:db8::1]/"),
    ],
)
def test_userinfo_is_stripped_and_flagged(raw: str, expected: str) -> None:
    result = accepted(raw)
    assert result.url == expected
    assert result.had_userinfo is True


def test_no_userinfo_no_flag() -> None:
    assert accepted("http://brand.test/a@b").had_userinfo is False  # "@" in the path
    assert accepted("http://brand.test/?mail=a@b").had_userinfo is False


def test_userinfo_variants_are_one_url() -> None:
    assert url_of("http://x:y@brand.test/") == url_of("http://brand.test/")


# --- scheme-less input --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("brand.test", "http://brand.test/"),
        ("shop.brand.test/path?id=1", "http://shop.brand.test/path?id=1"),
        ("//brand.test/x", "http://brand.test/x"),
        ("brand.test:8080/x", "http://brand.test:8080/x"),
        ("localhost:8080", "http://localhost:8080/"),
        ("192.0.2.1/a", "http://192.0.2.1/a"),
        ("[2001:db8::1]/a", "http://[2001:db8::1]/a"),
        ("user@brand.test/", "http://brand.test/"),
    ],
)
def test_missing_scheme_becomes_http_and_is_flagged(raw: str, expected: str) -> None:
    result = accepted(raw)
    assert result.url == expected
    assert result.scheme_added is True


@pytest.mark.parametrize("raw", ["http://brand.test/", "HTTPS://brand.test/", "ftp://brand.test/"])
def test_explicit_scheme_is_not_flagged(raw: str) -> None:
    assert accepted(raw).scheme_added is False


# --- surrounding whitespace ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        "  http://brand.test/a  ",
        "\thttp://brand.test/a\r\n",
        "\x00http://brand.test/a\x1f",
        "http://brand.test/a\n",
        "http://bra\nnd.test/\ta",  # tabs and newlines inside are removed (WHATWG)
    ],
)
def test_surrounding_whitespace_and_controls_are_ignored(raw: str) -> None:
    assert url_of(raw) == "http://brand.test/a"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        # Removed before the scheme is looked for: not "http://https//example.com/a".
        ("ht\ntps://example.com/a", "https://example.com/a"),
        ("h\tt\rt\np://brand.test/a", "http://brand.test/a"),
        ("HTTPS\t://brand.test/a", "https://brand.test/a"),
        ("https:\n//brand.test/a", "https://brand.test/a"),
        ("https:/\r\n/brand.test/a", "https://brand.test/a"),
        ("f\ttp://files.brand.test/f", "ftp://files.brand.test/f"),
        ("\tht\ttp\t:\t/\t/bra\tnd.te\nst:8\t080/\ta?i\nd=1", "http://brand.test:8080/a?id=1"),
    ],
)
def test_tabs_and_newlines_inside_the_scheme_are_removed(raw: str, expected: str) -> None:
    result = accepted(raw)
    assert result.url == expected
    assert result.scheme_added is False


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("bra\tnd.test/a", "http://brand.test/a"),
        ("brand.test:\n8080/a", "http://brand.test:8080/a"),
        ("/\t/brand.test/a", "http://brand.test/a"),
    ],
)
def test_tabs_and_newlines_in_scheme_less_input_are_removed(raw: str, expected: str) -> None:
    result = accepted(raw)
    assert result.url == expected
    assert result.scheme_added is True


def test_tabs_and_newlines_do_not_hide_a_scheme() -> None:
    assert rejected("java\nscript:alert(1)").reason is RejectReason.UNSUPPORTED_SCHEME
    assert rejected("javascript\t:0").reason is RejectReason.UNSUPPORTED_SCHEME
    assert rejected("da\rta:,hello").reason is RejectReason.UNSUPPORTED_SCHEME


# --- result fields ------------------------------------------------------------------------------


def test_result_fields() -> None:
    result = accepted("HTTPS://user@Shop.Brand.TEST:8443/a?utm_source=x&id=1#f")
    assert result == CanonicalURL(
        url="https://shop.brand.test:8443/a?id=1",
        scheme="https",
        host="shop.brand.test",
        site="brand.test",
        site_kind=SiteKind.DOMAIN,
        scheme_added=False,
        had_userinfo=True,
        stripped_params=("utm_source",),
    )


@pytest.mark.parametrize(
    ("raw", "host", "site", "kind"),
    [
        ("http://a.b.brand.test/", "a.b.brand.test", "brand.test", SiteKind.DOMAIN),
        ("http://0xC0.0.2.1/", "192.0.2.1", "192.0.2.1", SiteKind.IPV4),
        ("http://[2001:db8::1]/", "[2001:db8::1]", "[2001:db8::1]", SiteKind.IPV6),
        (f"http://www.{ONION}/", f"www.{ONION}", ONION, SiteKind.ONION),
    ],
)
def test_host_site_and_kind(raw: str, host: str, site: str, kind: SiteKind) -> None:
    result = accepted(raw)
    assert (result.host, result.site, result.site_kind) == (host, site, kind)


# --- rejections ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("javascript:alert(1)", RejectReason.UNSUPPORTED_SCHEME),
        ("JavaScript:void(0)", RejectReason.UNSUPPORTED_SCHEME),
        ("javascript:0", RejectReason.UNSUPPORTED_SCHEME),  # not host "javascript", port 0
        ("  javascript:void(0)", RejectReason.UNSUPPORTED_SCHEME),
        ("data:text/plain;base64,SGVsbG8=", RejectReason.UNSUPPORTED_SCHEME),
        ("data:,hello", RejectReason.UNSUPPORTED_SCHEME),
        ("mailto:someone@brand.test", RejectReason.UNSUPPORTED_SCHEME),
        ("mailto:123", RejectReason.UNSUPPORTED_SCHEME),
        ("file:///tmp/x", RejectReason.UNSUPPORTED_SCHEME),
        ("ws://brand.test/", RejectReason.UNSUPPORTED_SCHEME),
        ("gopher://brand.test/", RejectReason.UNSUPPORTED_SCHEME),
        ("", RejectReason.EMPTY),
        ("   ", RejectReason.EMPTY),
        ("\t\r\n", RejectReason.EMPTY),
        ("\x00\x00", RejectReason.EMPTY),
        ("http://", RejectReason.INVALID_HOST),
        ("http://brand test/", RejectReason.INVALID_HOST),
        ("http://192.0.2.256/", RejectReason.INVALID_HOST),
        ("http://[2001:db8::g]/", RejectReason.INVALID_HOST),
        ("http://brand.test:99999/", RejectReason.INVALID_PORT),
        ("http://brand.test:80a/", RejectReason.INVALID_PORT),
        ("http://brand.test:65536/", RejectReason.INVALID_PORT),
        ("http://brand.test:-1/", RejectReason.INVALID_PORT),
        ("http://[2001:db8::1]:99999/", RejectReason.INVALID_PORT),
        ("brand.test:99999/x", RejectReason.INVALID_PORT),
        ("http://brand.test:²/", RejectReason.INVALID_PORT),  # a digit to isdigit(), not to int()
        ("http://brand.test:1²/", RejectReason.INVALID_PORT),
        ("http://brand.test:٣/", RejectReason.INVALID_PORT),  # a digit, but not an ASCII one
        ("http://brand.test:" + "1" * 5000 + "/", RejectReason.INVALID_PORT),  # > int() limit
        ("http://bad host:" + "0" * 5000 + "80/", RejectReason.INVALID_HOST),  # port is fine
        ("http://a..brand.test/", RejectReason.INVALID_HOST),
        ("http://.brand.test/", RejectReason.INVALID_HOST),
        ("http://..brand.test/", RejectReason.INVALID_HOST),
        ("http://./", RejectReason.INVALID_HOST),
        ("http://.../", RejectReason.INVALID_HOST),
        ("http://256.256../", RejectReason.INVALID_HOST),  # not a domain, nor an address
        ("http://abc.onion/", RejectReason.INVALID_ONION),
        ("http://.onion/", RejectReason.INVALID_HOST),
        ("http://brand.test/\ud800", RejectReason.UNPARSEABLE),  # lone surrogate: not Unicode
        ("http:\ud800", RejectReason.UNPARSEABLE),
        ("https:", RejectReason.UNPARSEABLE),
        ("http:brand test", RejectReason.UNPARSEABLE),
    ],
)
def test_rejected_with_reason(raw: str, reason: RejectReason) -> None:
    refusal = rejected(raw)
    assert refusal.reason is reason
    assert refusal.detail
    assert str(refusal).startswith(reason.value + ": ")


def test_too_long_is_rejected() -> None:
    base = "http://brand.test/"
    at_limit = base + "a" * (MAX_URL_BYTES - len(base))
    assert url_of(at_limit) == at_limit
    assert rejected(at_limit + "a").reason is RejectReason.TOO_LONG
    # The limit is in UTF-8 bytes, not characters: 2,731 three-byte characters are > 8 KB.
    assert rejected(base + "€" * 2731).reason is RejectReason.TOO_LONG


def _onion_with_bad_checksum() -> str:
    label = ONION.removesuffix(".onion")
    # Characters 52-54 carry the 2-byte checksum; change one of them.
    swapped = label[:53] + ("a" if label[53] != "a" else "b") + label[54:]
    return swapped + ".onion"


def _onion_with_version(version: int) -> str:
    import base64
    import hashlib

    pubkey = bytes(range(32))
    ver = bytes([version])
    checksum = hashlib.sha3_256(b".onion checksum" + pubkey + ver).digest()[:2]
    return base64.b32encode(pubkey + checksum + ver).decode("ascii").lower() + ".onion"


@pytest.mark.parametrize(
    ("host", "words"),
    [
        (_onion_with_bad_checksum(), "checksum"),
        (_onion_with_version(2), "version"),
        (_onion_with_version(4), "version"),
        ("abcdefghijklmnop.onion", "v2"),  # 16 characters: the retired v2 length
        ("www.abcdefghijklmnop.onion", "v2"),
        (ONION.removesuffix(".onion")[:-1] + ".onion", "56"),
        (ONION.removesuffix(".onion") + "a.onion", "56"),
        ("1" * 56 + ".onion", "base32"),  # "1" is not in the base32 alphabet
    ],
)
def test_invalid_onion_is_rejected(host: str, words: str) -> None:
    refusal = rejected(f"http://{host}/")
    assert refusal.reason is RejectReason.INVALID_ONION
    assert words in refusal.detail


def test_valid_onion_is_accepted() -> None:
    assert _onion_with_version(3) == ONION_B
    for raw in (f"http://{ONION}/", f"http://{ONION.upper()}/", f"https://a.b.{ONION_B}/x"):
        assert accepted(raw).site_kind is SiteKind.ONION


# --- hostile input ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        "http://brand.test/a\x00b",
        "http://brand\x00.test/",
        "\x00" * 100,
        "http://brand.test/\ud800\udfff",
        "http://\udfffbrand.test/",
        "\ud83d",
        "http://brand.test/" + "".join(chr(c) for c in range(0x20)),
        "http://brand.test/\x7f\x80\x9f",
        "http://brand.test/\u202e\u200b\ufeff",
        "http://\u202ebrand.test/",
        "http://brand.test/" + "../" * 2000 + "x",
        "http://brand.test/" + "./" * 4000,
        "http://brand.test/" + "%2e%2e/" * 1000,
        "http://brand.test/" + "a/" * 2000 + "../" * 2000,
        "http://" + "a." * 4000 + "test/",
        "http://" + "[" * 5000,
        "%" * 5000,
        "http://brand.test/?" + "&" * 8000,
        "http://brand.test/?" + "utm_a=1&" * 1000,
        "\\\\brand.test\\a",
        "http:\\\\brand.test\\a",
    ],
)
def test_hostile_input_is_answered(raw: str) -> None:
    result = canonicalize(raw)
    assert isinstance(result, CanonicalURL | Rejection)
    if isinstance(result, CanonicalURL):
        assert url_of(result.url) == result.url
        assert result.url.isascii()
        assert "\x00" not in result.url
    else:
        _check_rejection(result)


@pytest.mark.parametrize(
    "raw",
    [
        "a" * 1_000_000,
        "http://brand.test/" + "a" * 1_000_000,
        "http://brand.test/" + "\x00" * 1_000_000 + "x",
        "€" * 400_000,
        "\ud800" * 400_000,
    ],
    ids=["letters", "path", "nul", "euro", "surrogates"],
)
def test_one_megabyte_is_refused_quickly(raw: str) -> None:
    started = time.perf_counter()
    refusal = rejected(raw)
    assert time.perf_counter() - started < 0.5
    assert refusal.reason is RejectReason.TOO_LONG


def test_megabyte_of_surrounding_whitespace_is_not_content() -> None:
    # Like the WHATWG parser, surrounding C0 controls and spaces are stripped before any limit.
    assert rejected(" \t\n" * 350_000).reason is RejectReason.EMPTY
    started = time.perf_counter()
    assert url_of(" " * 1_000_000 + "brand.test" + "\x00" * 1_000_000) == "http://brand.test/"
    assert time.perf_counter() - started < 0.5


# --- properties ---------------------------------------------------------------------------------


def _check_rejection(refusal: Rejection) -> None:
    """A refusal goes to the quarantine, a terminal and a report: it must be safe for all three."""
    assert isinstance(refusal.reason, RejectReason)
    assert refusal.detail
    text = str(refusal)
    text.encode("utf-8")  # no lone surrogates
    assert not any(ord(c) < 0x20 or 0x7F <= ord(c) < 0xA0 for c in text), ascii(text)
    assert len(text) < 400


def _check_accepted(result: CanonicalURL) -> None:
    again = canonicalize(result.url)
    assert isinstance(again, CanonicalURL), f"canonical {result.url!r} refused: {again}"
    assert again.url == result.url
    assert (again.host, again.site, again.site_kind) == (result.host, result.site, result.site_kind)
    assert again.scheme_added is False
    assert again.had_userinfo is False
    assert again.stripped_params == ()
    assert result.url.isascii()
    assert result.scheme in ("http", "https", "ftp")
    assert result.url.startswith(f"{result.scheme}://{result.host}")
    assert "#" not in result.url
    assert result.url.partition("?")[1:] != ("?", "")  # no empty query
    assert len(result.url.encode()) <= 3 * MAX_URL_BYTES


def _check_any(raw: str) -> None:
    result = canonicalize(raw)
    if isinstance(result, Rejection):
        _check_rejection(result)
    else:
        assert isinstance(result, CanonicalURL)
        _check_accepted(result)


PROPERTY = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(st.text())
def test_any_text_is_answered_and_accepted_text_is_a_fixed_point(raw: str) -> None:
    _check_any(raw)


@PROPERTY
@given(st.text(alphabet=st.characters(codec="utf-8")).map(lambda s: "http://" + s))
def test_text_after_a_scheme_is_answered_and_idempotent(raw: str) -> None:
    _check_any(raw)


@PROPERTY
@given(st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=0x10FFFF)))
def test_text_with_surrogates_and_controls_is_answered(raw: str) -> None:
    _check_any(raw)


@PROPERTY
@given(st.text(alphabet=st.characters(categories=["Nd", "No", "Nl"]) | st.sampled_from("0159:")))
def test_any_port_text_is_answered(port: str) -> None:
    _check_any(f"http://brand.test:{port}/")
    _check_any(f"brand.test:{port}")


# A URL-shaped strategy: every part is drawn from valid building blocks on reserved names and
# documentation addresses, with the surface noise that real feeds carry (case, escapes, dots,
# default ports, userinfo, tracking parameters, fragments).


def _alternate(text: str) -> str:
    return "".join(c.upper() if i % 2 else c for i, c in enumerate(text))


def _mixed_case(text: str) -> st.SearchStrategy[str]:
    return st.sampled_from([text, text.upper(), text.title(), _alternate(text)])


_LABEL = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789", min_size=1, max_size=10) | (
    st.sampled_from(["zor-bel", "a-1", "x--y", "shop", "www"])
)
_IDN_LABEL = st.sampled_from(["faß", "bücher", "zörbel", "個人", "пример", "ｂｒａｎｄ"])
_SUFFIX = st.sampled_from(
    ["test", "example", "invalid", "localhost", "example.com", "example.net", "example.org"]
)


@st.composite
def _domain(draw: st.DrawFn) -> str:
    labels = draw(st.lists(_LABEL | _IDN_LABEL, min_size=0, max_size=3))
    host = ".".join([*labels, draw(_SUFFIX)])
    return draw(_mixed_case(host)) + draw(st.sampled_from(["", "", "", "."]))


@st.composite
def _ipv4(draw: st.DrawFn) -> str:
    net = draw(st.sampled_from([(192, 0, 2), (198, 51, 100), (203, 0, 113)]))
    octets = [*net, draw(st.integers(0, 255))]
    form = draw(st.sampled_from(["dotted", "hex", "octal", "dword", "hexdword", "short"]))
    if form == "hex":
        return ".".join(hex(o) for o in octets)
    if form == "octal":
        return ".".join("0" + oct(o)[2:] for o in octets)
    value = (octets[0] << 24) | (octets[1] << 16) | (octets[2] << 8) | octets[3]
    if form == "dword":
        return str(value)
    if form == "hexdword":
        return hex(value).upper().replace("X", "x")
    if form == "short":
        return f"{octets[0]}.{octets[1]}.{(octets[2] << 8) | octets[3]}"
    return ".".join(map(str, octets))


@st.composite
def _ipv6(draw: st.DrawFn) -> str:
    groups = [0x2001, 0xDB8, *draw(st.lists(st.integers(0, 0xFFFF), min_size=6, max_size=6))]
    zeros = draw(st.booleans())
    if zeros:
        groups[2:5] = [0, 0, 0]
    text = ":".join(draw(st.sampled_from(["{:x}", "{:04X}", "{:X}"])).format(g) for g in groups)
    return f"[{text}]"


@st.composite
def _onion(draw: st.DrawFn) -> str:
    address = onion_v3_address(draw(st.binary(min_size=32, max_size=32)))
    sub = draw(st.lists(_LABEL, max_size=2))
    return draw(_mixed_case(".".join([*sub, address])))


_HOST = _domain() | _ipv4() | _ipv6() | _onion()
_PORT = st.sampled_from(["", "", "", ":80", ":443", ":21", ":8080", ":0", ":65535", ":08080"])
# "%" among hex digits gives valid escapes in both cases, and broken ones ("%zz", "%4").
_PATH_ALPHABET = "abcefXYZEF01279-._~!$&'()*+,;=:@ é€/%%"
_SEGMENT = st.text(alphabet=_PATH_ALPHABET, max_size=8) | st.sampled_from(
    [".", "..", "%2e", "%2E%2e", ".%2e", "...", "%2F", "%2f", "%7e", "%41", "%c3%a9", "%zz"]
)
_PATH = st.lists(_SEGMENT, max_size=6).map(lambda segs: "/" + "/".join(segs))
_PARAM_NAME = st.sampled_from(
    ["id", "q", "page", "utm_source", "UTM_Medium", "fbclid", "gclid", "%75tm_x", "ref", ""]
) | st.text(alphabet=_PATH_ALPHABET.replace("&", "").replace("=", ""), min_size=1, max_size=5)
_PARAM_VALUE = st.text(alphabet=_PATH_ALPHABET.replace("&", "") + "?=", max_size=6)
_PARAM = st.tuples(_PARAM_NAME, st.sampled_from(["=", ""]), _PARAM_VALUE).map(
    lambda t: t[0] + t[1] + (t[2] if t[1] else "")
)
_QUERY = st.none() | st.lists(_PARAM, max_size=5).map(lambda ps: "?" + "&".join(ps))
_FRAGMENT = st.none() | st.text(alphabet=_PATH_ALPHABET + "#?", max_size=6).map(lambda cs: "#" + cs)
_USERINFO = st.sampled_from(["", "", "", "user@", "user:pw@", "u%40x:@"])
_SCHEME = st.sampled_from(["http://", "https://", "ftp://", "HTTP://", "hTTpS://", "", "//"])


@st.composite
def url_shaped(draw: st.DrawFn) -> str:
    query, fragment = draw(_QUERY), draw(_FRAGMENT)
    scheme, userinfo = draw(_SCHEME), draw(_USERINFO)
    if not scheme and ":" in userinfo:
        userinfo = ""  # "user:pw@host" without a scheme reads as the scheme "user:" (RFC 3986)
    return "".join(
        [
            scheme,
            userinfo,
            draw(_HOST),
            draw(_PORT),
            draw(_PATH),
            query if query is not None else "",
            fragment if fragment is not None else "",
        ]
    )


@PROPERTY
@given(url_shaped())
def test_url_shaped_input_is_accepted_and_idempotent(raw: str) -> None:
    result = canonicalize(raw)
    assert isinstance(result, CanonicalURL), f"{raw!r} refused: {result}"
    _check_accepted(result)
    assert result.host == result.host.lower()
    assert not result.host.endswith(".")
    assert all(not p.lower().startswith("utm_") for p in _query_names(result.url))
    assert not {"fbclid", "gclid"} & set(_query_names(result.url))
    # Surface variants of the canonical URL (scheme and host case, userinfo, a trailing dot,
    # a fragment) meet in it again.
    rest = result.url[len(result.scheme) + 3 + len(result.host) :]
    dot = "" if result.site_kind is SiteKind.IPV6 else "."
    noisy = f"{result.scheme.upper()}://Some:pw@{result.host.upper()}{dot}{rest}#frag"
    variant = accepted(noisy)
    assert variant.url == result.url
    assert variant.had_userinfo


_TAB_OR_NEWLINE = st.sampled_from(["\t", "\n", "\r", "\r\n", "\t\t"])


@st.composite
def _with_tabs_and_newlines(draw: st.DrawFn, text: str) -> str:
    """``text`` with ASCII tabs and newlines inserted at drawn places (ends included)."""
    places = draw(st.lists(st.integers(0, len(text)), min_size=1, max_size=8))
    pieces, start = [], 0
    for place in sorted(places):
        pieces += [text[start:place], draw(_TAB_OR_NEWLINE)]
        start = place
    return "".join([*pieces, text[start:]])


@PROPERTY
@given(st.data(), url_shaped())
def test_tabs_and_newlines_anywhere_never_change_a_url(data: st.DataObject, raw: str) -> None:
    noisy = data.draw(_with_tabs_and_newlines(raw))
    assert canonicalize(noisy) == canonicalize(raw), ascii(noisy)


@PROPERTY
@given(st.data(), st.text())
def test_tabs_and_newlines_anywhere_never_change_the_answer(data: st.DataObject, raw: str) -> None:
    noisy = data.draw(_with_tabs_and_newlines(raw))
    assert canonicalize(noisy) == canonicalize(raw), ascii(noisy)


# Letters and digits of every script, upper case included (IDNA maps it): most short strings
# of them are valid U-labels, the rest (mixed directions, a mark first) the parser refuses.
_U_LABEL_TEXT = st.text(
    alphabet=st.characters(categories=["Ll", "Lu", "Lo", "Nd", "Mn"]), min_size=1, max_size=12
)


@settings(PROPERTY, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(_U_LABEL_TEXT)
def test_a_label_of_a_valid_u_label_round_trips_and_is_accepted(text: str) -> None:
    unicode_form = canonicalize(f"http://{text}.test/")
    assume(isinstance(unicode_form, CanonicalURL))
    assert isinstance(unicode_form, CanonicalURL)
    a_label = unicode_form.host.removesuffix(".test")
    assume(a_label.startswith("xn--") and "." not in a_label)
    u_label = a_label[4:].encode("ascii").decode("punycode")
    # RFC 3492 encoding of the U-label gives the parser's A-label back, and either form of
    # the label (the A-label in either case) is one and the same URL.
    assert "xn--" + u_label.encode("punycode").decode("ascii") == a_label
    for host in (a_label, a_label.upper(), u_label):
        assert accepted(f"http://{host}.test/") == unicode_form


@PROPERTY
@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-", max_size=30))
def test_an_accepted_a_label_is_the_encoding_of_a_valid_u_label(rest: str) -> None:
    result = canonicalize(f"http://xn--{rest}.test/")
    if isinstance(result, Rejection):
        _check_rejection(result)
        assert result.reason is RejectReason.INVALID_HOST
        assert f"xn--{rest}" in result.detail
        return
    u_label = rest.encode("ascii").decode("punycode")
    assert not u_label.isascii()
    assert accepted(f"http://{u_label}.test/") == result
    assert "xn--" + u_label.encode("punycode").decode("ascii") == f"xn--{rest}"


def _query_names(url: str) -> list[str]:
    _, _, query = url.partition("?")
    return [piece.split("=", 1)[0] for piece in query.split("&") if piece]


def test_canonicalize_is_fast_enough() -> None:
    """Not a benchmark (see ``benchmarks/``): a guard against an accidental 10x slowdown."""
    urls = [f"https://shop{i % 50}.brand.test/a/{i}?utm_source=x&id={i}" for i in range(20_000)]
    started = time.perf_counter()
    for url in urls:
        canonicalize(url)
    per_url = (time.perf_counter() - started) / len(urls)
    assert per_url < 200e-6


# --- the documentation ----------------------------------------------------------------------------

DOC = Path(__file__).parent.parent / "docs" / "canonical-urls.md"


def _doc_rows() -> list[tuple[str, list[str]]]:
    """(section, cells) of every table row whose first or last cell is in backticks."""
    rows: list[tuple[str, list[str]]] = []
    section = ""
    for line in DOC.read_text(encoding="utf-8").splitlines():
        if line.startswith("## "):
            section = line[3:].strip()
        if not line.startswith("|") or line.startswith("|---"):
            continue
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        rows.append((section, cells))
    return rows


def _code(cell: str) -> str | None:
    return cell[1:-1] if len(cell) >= 2 and cell[0] == cell[-1] == "`" else None


def _doc_cases() -> list[tuple[str, str, str]]:
    """(kind, given, expected) from the page's tables: rules, rejections, sites, defanging."""
    cases: list[tuple[str, str, str]] = []
    for section, cells in _doc_rows():
        first, before_last, last = _code(cells[0]), _code(cells[-2]), _code(cells[-1])
        if section == "Rejections" and first is not None and last is not None:
            cases.append(("reject", last, first))
        elif before_last is None or last is None:
            continue
        elif section == "The rules" and last.startswith(("http://", "https://", "ftp://")):
            cases.append(("url", before_last, last))
        elif section == "Site keys":
            cases.append(("site", before_last, last))
        elif section == "Defanging":
            cases.append(("defang", before_last, last))
    return cases


@pytest.mark.parametrize(
    ("kind", "given_", "expected"),
    [pytest.param(*case, id=f"{case[0]}-{case[1][:50]}") for case in _doc_cases()],
)
def test_documented_examples(kind: str, given_: str, expected: str) -> None:
    from hotline.urls import defang, refang

    if kind == "url":
        check(given_, expected)
    elif kind == "site":
        assert accepted(given_).site == expected
    elif kind == "defang":
        assert defang(given_) == expected
        assert refang(expected) == given_
    else:
        assert rejected(given_).reason.value == expected


def test_every_documented_table_is_checked() -> None:
    cases = _doc_cases()
    kinds = [kind for kind, _, _ in cases]
    assert kinds.count("url") >= 35
    assert kinds.count("site") >= 10
    assert kinds.count("defang") >= 5
    # Every reason has at least one documented example.
    assert {RejectReason(code) for kind, _, code in cases if kind == "reject"} == set(
        RejectReason
    ) - {RejectReason.TOO_LONG}


def test_documented_safe_browsing_contrast() -> None:
    raw = "http://user:pw@Shop.Brand.TEST:8080/a/%7e/%2Fb//c?utm_source=x&id=1"
    assert url_of(raw) == "http://shop.brand.test:8080/a/~/%2Fb//c?id=1"
    assert safe_browsing_canonical(raw) == "http://shop.brand.test/a/~/b/c?utm_source=x&id=1"
    text = DOC.read_text(encoding="utf-8")
    assert f"`{raw}`" in text
