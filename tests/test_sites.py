"""Site keys: which registrable domain, onion service or IP address a URL belongs to.

The Public Suffix List ships with the install (no network, ever) and is read with its private
section, so every customer of a shared host (``*.blogspot.com``, ``*.github.io``) is a site of
its own. The RFC 2606 / RFC 6761 special-use names behave as public suffixes so that synthetic
data on ``.test`` groups exactly like real data on ``.co.uk``.

Suffix examples below name real public suffixes; the labels in front of them are nonsense.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hotline.urls import CanonicalURL, SiteKind, canonicalize, registrable_domain
from hotline.urls.onion import onion_v3_address
from hotline.urls.sites import SPECIAL_USE_SUFFIXES, psl_version, site_for_host

ONION = onion_v3_address(bytes(32))
ONION_B = onion_v3_address(bytes(range(32)))


def site_of(raw: str) -> CanonicalURL:
    result = canonicalize(raw)
    assert isinstance(result, CanonicalURL), f"{raw!r} was refused: {result}"
    return result


# --- ICANN multi-label suffixes -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("host", "site"),
    [
        ("shop.brand.co.uk", "brand.co.uk"),
        ("brand.co.uk", "brand.co.uk"),
        ("a.b.c.zorbel.co.uk", "zorbel.co.uk"),
        ("zorbel.org.uk", "zorbel.org.uk"),
        ("www.zorbel.com.au", "zorbel.com.au"),
        ("cdn.quindle.co.jp", "quindle.co.jp"),
        ("x.quindle.uk", "quindle.uk"),
        ("shop.zorbel.example.com", "example.com"),  # ICANN: example.com is registrable itself
    ],
)
def test_multi_label_public_suffixes(host: str, site: str) -> None:
    assert registrable_domain(host) == site


@pytest.mark.parametrize("suffix", ["co.uk", "uk", "com", "com.au", "blogspot.com", "github.io"])
def test_a_public_suffix_is_its_own_site(suffix: str) -> None:
    assert registrable_domain(suffix) == suffix


# --- private-domain rules -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("host", "site"),
    [
        ("zorbel.blogspot.com", "zorbel.blogspot.com"),
        ("www.zorbel.blogspot.com", "zorbel.blogspot.com"),
        ("quindle.blogspot.com", "quindle.blogspot.com"),
        ("zorbel.github.io", "zorbel.github.io"),
        ("docs.zorbel.github.io", "zorbel.github.io"),
    ],
)
def test_private_domain_customers_are_their_own_sites(host: str, site: str) -> None:
    assert registrable_domain(host) == site


def test_two_customers_of_one_host_are_two_sites() -> None:
    a = site_of("http://zorbel.blogspot.com/p/1")
    b = site_of("http://quindle.blogspot.com/p/1")
    assert a.site != b.site
    assert a.site_kind is b.site_kind is SiteKind.DOMAIN


# --- special-use names --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("host", "site"),
    [
        ("a.b.brand.test", "brand.test"),
        ("shop.brand.test", "brand.test"),
        ("brand.test", "brand.test"),
        ("www.zorbel.example", "zorbel.example"),
        ("a.b.zorbel.invalid", "zorbel.invalid"),
        ("api.zorbel.localhost", "zorbel.localhost"),
        ("test", "test"),
        ("localhost", "localhost"),
    ],
)
def test_special_use_names_behave_as_public_suffixes(host: str, site: str) -> None:
    assert registrable_domain(host) == site


@pytest.mark.parametrize("suffix", SPECIAL_USE_SUFFIXES)
def test_every_special_use_suffix_groups_its_subdomains(suffix: str) -> None:
    assert registrable_domain(f"x.y.quindle.{suffix}") == f"quindle.{suffix}"


def test_reserved_second_level_names_follow_the_psl() -> None:
    # example.com/.net/.org are ordinary registrable names under ICANN suffixes.
    assert registrable_domain("shop.example.net") == "example.net"
    assert registrable_domain("a.b.example.org") == "example.org"


# --- IDN ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "site"),
    [
        ("http://shop.bücher.test/", "xn--bcher-kva.test"),
        ("http://shop.xn--bcher-kva.test/", "xn--bcher-kva.test"),
        ("http://a.faß.example/", "xn--fa-hia.example"),
        ("http://Shop.ZÖRBEL.test/", "xn--zrbel-jua.test"),
        # An IDN public suffix (個人.香港) matches in its punycode form too.
        ("http://shop.zorbel.個人.香港/", "zorbel.xn--gmqw5a.xn--j6w193g"),
        ("http://shop.zorbel.xn--gmqw5a.xn--j6w193g/", "zorbel.xn--gmqw5a.xn--j6w193g"),
    ],
)
def test_idn_site_keys_are_punycode(raw: str, site: str) -> None:
    assert site_of(raw).site == site


def test_unicode_and_punycode_hosts_share_one_site() -> None:
    assert site_of("http://x.bücher.test/").site == site_of("http://y.xn--bcher-kva.test/").site


# --- IP hosts -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "site", "kind"),
    [
        ("http://192.0.2.1/a", "192.0.2.1", SiteKind.IPV4),
        ("http://0xC0.0.2.1/", "192.0.2.1", SiteKind.IPV4),
        ("http://3221225985:8080/", "192.0.2.1", SiteKind.IPV4),
        ("http://198.51.100.7/", "198.51.100.7", SiteKind.IPV4),
        ("http://203.0.113.200/", "203.0.113.200", SiteKind.IPV4),
        ("http://[2001:db8::1]/", "[2001:db8::1]", SiteKind.IPV6),
        ("http://[2001:DB8:0:0:0:0:0:1]:8080/", "[2001:db8::1]", SiteKind.IPV6),
    ],
)
def test_an_ip_host_is_its_own_site(raw: str, site: str, kind: SiteKind) -> None:
    result = site_of(raw)
    assert (result.site, result.site_kind) == (site, kind)
    assert result.host == site


def test_neighbouring_addresses_are_different_sites() -> None:
    assert site_of("http://192.0.2.1/").site != site_of("http://192.0.2.2/").site
    assert site_of("http://[2001:db8::1]/").site != site_of("http://[2001:db8::2]/").site


def test_ip_site_keys_do_not_go_through_the_psl() -> None:
    # "2.1" is not a suffix of "192.0.2.1": an address has no registrable part.
    assert site_for_host("192.0.2.1", SiteKind.IPV4) == "192.0.2.1"
    assert site_for_host("[2001:db8::1]", SiteKind.IPV6) == "[2001:db8::1]"


# --- onion services -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "site"),
    [
        (f"http://{ONION}/", ONION),
        (f"http://www.{ONION}/", ONION),
        (f"http://a.b.c.{ONION}/x", ONION),
        (f"https://{ONION.upper()}/", ONION),
        (f"http://{ONION}./", ONION),
        (f"http://shop.{ONION_B}:8080/", ONION_B),
    ],
)
def test_an_onion_service_is_its_own_site_with_its_subdomains(raw: str, site: str) -> None:
    result = site_of(raw)
    assert (result.site, result.site_kind) == (site, SiteKind.ONION)


def test_two_onion_services_are_two_sites() -> None:
    assert site_of(f"http://{ONION}/").site != site_of(f"http://{ONION_B}/").site


@settings(max_examples=300, deadline=None)
@given(
    st.binary(min_size=32, max_size=32), st.lists(st.sampled_from(["www", "a", "x1"]), max_size=3)
)
def test_any_valid_onion_address_is_its_own_site(key: bytes, subdomains: list[str]) -> None:
    address = onion_v3_address(key)
    result = site_of("http://" + ".".join([*subdomains, address]) + "/")
    assert result.site == address
    assert result.site_kind is SiteKind.ONION


def test_onion_v3_address_needs_a_32_byte_key() -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        onion_v3_address(bytes(31))


# --- properties ---------------------------------------------------------------------------------

_LABEL = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789", min_size=1, max_size=10) | (
    st.sampled_from(["zor-bel", "a-1", "x--y"])
)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(_LABEL, min_size=0, max_size=4),
    _LABEL,
    st.sampled_from([*SPECIAL_USE_SUFFIXES, "co.uk", "blogspot.com", "github.io"]),
)
def test_site_is_the_label_before_the_suffix(subs: list[str], name: str, suffix: str) -> None:
    host = ".".join([*subs, name, suffix])
    assert registrable_domain(host) == f"{name}.{suffix}"
    assert site_of(f"http://{host}/").site == f"{name}.{suffix}"


@settings(max_examples=300, deadline=None)
@given(st.lists(_LABEL, min_size=1, max_size=5))
def test_site_is_a_suffix_of_the_host_and_its_own_site(labels: list[str]) -> None:
    host = ".".join(labels)
    site = registrable_domain(host)
    assert host == site or host.endswith("." + site)
    assert registrable_domain(site) == site


def test_psl_version_is_reported() -> None:
    assert psl_version()
