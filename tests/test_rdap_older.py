"""RDAP answers in the layouts registries used before RFC 7483 settled: no objectClassName
(RIPE NCC), prefix lengths written inside the addresses ("62.239.237.0/32", "193.0.0.0/21"),
zero-padded IPv4 ("074.125.000.000", ARIN), upper-case uncompressed IPv6, and the cidr0
extension standing in for missing bounds.

The four real answers come from tests/vectors/rdap (*-2015-*.json; see SOURCE.md there);
synthetic documents use documentation ranges and reserved names only.
"""

from __future__ import annotations

import ipaddress
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from hotline.hosting.rdap import Bootstrap, RdapFormatError, parse_ip_network
from hotline.hosting.rdap_cache import MemoryRdapCache
from tests.test_rdap import FakeRegistries, Reply, make_client, registries  # noqa: F401

VECTORS = Path(__file__).parent / "vectors" / "rdap"
OLDER: list[dict[str, Any]] = json.loads((VECTORS / "expected-2015.json").read_text())["files"]
IDS = [case["file"] for case in OLDER]


def answer(name: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((VECTORS / name).read_text(encoding="utf-8"))
    return document


# --- the real 2015 answers --------------------------------------------------------------------


@pytest.mark.parametrize("case", OLDER, ids=IDS)
def test_older_answers_match_the_expected_values(case: dict[str, Any]) -> None:
    network = parse_ip_network(answer(case["file"]))
    assert network.start_address == case["network_start"]
    assert network.end_address == case["network_end"]
    assert network.handle == case["handle"]
    assert network.name == case["name"]
    assert network.country == case["country"]
    assert network.ip_version == case["ipVersion"]
    assert network.port43 == case["port43"]
    assert list(network.abuse_emails) == case["abuse_emails"]


@pytest.mark.parametrize("case", OLDER, ids=IDS)
def test_older_answers_agree_with_their_own_json(case: dict[str, Any]) -> None:
    """Against the document itself: the members as written, and the range they describe."""
    document = answer(case["file"])
    assert document.get("objectClassName") == case["objectClassName"]
    assert document["startAddress"] == case["raw_startAddress"]
    assert document["endAddress"] == case["raw_endAddress"]
    network = parse_ip_network(document)
    assert network.name == document["name"]
    assert network.country == document.get("country")
    assert network.handle == document["handle"]
    asked = ipaddress.ip_address(case["ip"])
    first = ipaddress.ip_address(network.start_address or "")
    last = ipaddress.ip_address(network.end_address or "")
    assert int(first) <= int(asked) <= int(last)  # the network holds the address asked about
    emails = [
        prop[3]
        for entity in _entities(document)
        if "abuse" in entity.get("roles", [])
        for prop in entity["vcardArray"][1]
        if prop[0] == "email"
    ]
    assert set(network.abuse_emails) == set(emails)


def _entities(holder: dict[str, Any]) -> list[dict[str, Any]]:
    found = []
    for entity in holder.get("entities", []):
        found.append(entity)
        found.extend(_entities(entity))
    return found


def test_the_ripe_handle_confirms_the_range_read_from_suffixed_addresses() -> None:
    network = parse_ip_network(answer("ripe-2015-ipv6.json"))
    declared = ipaddress.ip_network(answer("ripe-2015-ipv6.json")["handle"])
    assert network.start_address == str(declared.network_address)
    assert network.end_address == str(declared.broadcast_address)


@pytest.mark.parametrize("case", OLDER, ids=IDS)
def test_the_client_reads_older_answers(registries: FakeRegistries, case: dict[str, Any]) -> None:  # noqa: F811
    """Served by a registry on loopback, an older answer is "ok", not "malformed", and the
    cache answers for a neighbour inside the same network."""
    ip = case["ip"]
    registries.script(f"/rir/ip/{ip}", Reply(body=(VECTORS / case["file"]).read_bytes()))
    prefix = "0.0.0.0/0" if ":" not in ip else "::/0"
    bootstrap = Bootstrap([(prefix, [f"{registries.base}/rir/"])])
    cache = MemoryRdapCache()
    with make_client(bootstrap, cache=cache) as client:
        outcome = client.lookup(ip)
        assert outcome.status == "ok", outcome.error
        assert outcome.network is not None
        assert list(outcome.network.abuse_emails) == case["abuse_emails"]
        neighbour = str(ipaddress.ip_address(case["network_end"]))
        assert client.lookup(neighbour).status == "ok"
    assert len(registries.paths()) == 1


# --- the same shapes, synthetic ---------------------------------------------------------------


def _doc(**members: object) -> dict[str, object]:
    document: dict[str, object] = {"handle": "TEST-NET-3", "name": "DOC-NET"}
    document.update(members)
    return document


@pytest.mark.parametrize(
    ("members", "start", "end"),
    [
        # the network's own prefix length inside startAddress, no endAddress
        ({"startAddress": "203.0.113.0/24"}, "203.0.113.0", "203.0.113.255"),
        ({"startAddress": "198.51.100.0/25"}, "198.51.100.0", "198.51.100.127"),
        ({"startAddress": "2001:db8::/32"}, "2001:db8::", "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff"),
        # the length written on both bounds
        ({"startAddress": "203.0.113.0/24", "endAddress": "203.0.113.255/24"},
         "203.0.113.0", "203.0.113.255"),
        # zero padding, with and without a suffix
        ({"startAddress": "192.000.002.000", "endAddress": "192.000.002.255"},
         "192.0.2.0", "192.0.2.255"),
        ({"startAddress": "010.000.000.000", "endAddress": "010.255.255.255"},
         "10.0.0.0", "10.255.255.255"),  # decimal, never octal (010 is ten)
        ({"startAddress": "198.051.100.000/32", "endAddress": "198.051.100.255/32"},
         "198.51.100.0", "198.51.100.255"),
        # upper case and leading zeros in IPv6
        ({"startAddress": "2001:0DB8:0000::", "endAddress": "2001:0DB8:0000:FFFF::FFFF"},
         "2001:db8::", "2001:db8:0:ffff::ffff"),
        # cidr0 only: several prefixes, lengths as numbers or strings or inline
        ({"cidr0_cidrs": [{"v4prefix": "198.51.100.0", "length": 24}]},
         "198.51.100.0", "198.51.100.255"),
        ({"cidr0_cidrs": [{"v4prefix": "203.0.113.0", "length": "25"},
                          {"v4prefix": "203.0.113.128", "length": 25}]},
         "203.0.113.0", "203.0.113.255"),
        ({"cidr0_cidrs": [{"v6prefix": "2001:db8:1::/48"}]},
         "2001:db8:1::", "2001:db8:1:ffff:ffff:ffff:ffff:ffff"),
        # unusable cidr0 entries are skipped, the usable ones still count
        ({"cidr0_cidrs": ["x", {"v4prefix": 5}, {"v4prefix": "192.0.2.0", "length": 99},
                          {"v4prefix": "192.0.2.0", "length": True},
                          {"v4prefix": "192.0.2.0", "length": 24}]},
         "192.0.2.0", "192.0.2.255"),
        # the addresses win over cidr0 when both are there
        ({"startAddress": "192.0.2.0", "endAddress": "192.0.2.127",
          "cidr0_cidrs": [{"v4prefix": "192.0.2.0", "length": 24}]},
         "192.0.2.0", "192.0.2.127"),
        # a missing end comes from cidr0 when the start has no length
        ({"startAddress": "192.0.2.0", "cidr0_cidrs": [{"v4prefix": "192.0.2.0", "length": 26}]},
         "192.0.2.0", "192.0.2.63"),
    ],
)  # fmt: skip
def test_older_and_extension_shapes_give_the_range(
    members: dict[str, object], start: str, end: str
) -> None:
    for document in (_doc(**members), _doc(objectClassName="ip network", **members)):
        network = parse_ip_network(document)
        assert (network.start_address, network.end_address) == (start, end)
        assert network.name == "DOC-NET"


def test_a_lone_address_without_length_stays_a_lone_bound() -> None:
    network = parse_ip_network(_doc(startAddress="192.0.2.7"))
    assert (network.start_address, network.end_address) == ("192.0.2.7", None)


@pytest.mark.parametrize(
    "document",
    [
        {"handle": "X", "name": "no address at all"},
        {"errorCode": 404, "title": "Not Found", "description": ["no such network"]},
        {"errorCode": 429, "startAddress": "192.0.2.0"},
        _doc(objectClassName="autnum", startAddress="192.0.2.0"),
        _doc(startAddress="192.0.2.0/33"),
        _doc(startAddress="2001:db8::/129"),
        _doc(startAddress="192.0.2.0/-1"),
        _doc(startAddress="192.0.2.0/x"),
        _doc(startAddress="192.0.2.0/٣"),  # a digit, but not an ASCII one
        _doc(startAddress="256.000.000.000"),
        _doc(startAddress="1.2.3"),
        _doc(startAddress="0192.0.2.0"),  # four digits is not padding
        _doc(startAddress="fe80::1%eth0", endAddress="fe80::ffff"),
        _doc(startAddress="192.0.2.255/32", endAddress="192.0.2.0/32"),
        _doc(startAddress="192.0.2.0/24", endAddress="2001:db8::/32"),
    ],
)
def test_what_is_still_not_an_ip_network(document: dict[str, object]) -> None:
    with pytest.raises(RdapFormatError):
        parse_ip_network(document)


def test_an_error_answer_says_so() -> None:
    with pytest.raises(RdapFormatError, match="errorCode"):
        parse_ip_network({"errorCode": 404, "title": "Not Found"})


# --- properties -------------------------------------------------------------------------------

_V4_NETWORKS = st.builds(
    lambda value, length: ipaddress.IPv4Network((value >> (32 - length) << (32 - length), length)),
    st.integers(min_value=0, max_value=2**32 - 1),
    st.integers(min_value=0, max_value=32),
)
_V6_NETWORKS = st.builds(
    lambda value, length: ipaddress.IPv6Network(
        (value >> (128 - length) << (128 - length), length)
    ),
    st.integers(min_value=0, max_value=2**128 - 1),
    st.integers(min_value=0, max_value=128),
)


def _padded(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str:
    if isinstance(address, ipaddress.IPv4Address):
        return ".".join(f"{octet:03d}" for octet in address.packed)
    return address.exploded.upper()


@settings(max_examples=300, deadline=None)
@given(network=_V4_NETWORKS | _V6_NETWORKS, style=st.sampled_from(range(5)))
def test_every_older_spelling_of_a_network_reads_as_the_modern_one(
    network: ipaddress.IPv4Network | ipaddress.IPv6Network, style: int
) -> None:
    first, last, bits = network.network_address, network.broadcast_address, network.max_prefixlen
    spellings: list[dict[str, object]] = [
        {"objectClassName": "ip network", "startAddress": str(first), "endAddress": str(last)},
        {"startAddress": f"{first}/{bits}", "endAddress": f"{last}/{bits}"},  # RIPE, 2015
        {"startAddress": f"{first}/{network.prefixlen}"},
        {"startAddress": _padded(first), "endAddress": _padded(last)},  # ARIN, 2015
        {"cidr0_cidrs": [{f"v{network.version}prefix": str(first),
                          "length": str(network.prefixlen)}]},
    ]  # fmt: skip
    parsed = parse_ip_network(spellings[style])
    assert (parsed.start_address, parsed.end_address) == (str(first), str(last))


_ADDRESSISH = st.text(alphabet="0123456789abcdefABCDEF.:/%x- ٣", max_size=45)


_CIDR0_ENTRIES = st.lists(
    st.fixed_dictionaries(
        {},
        optional={
            "v4prefix": _ADDRESSISH,
            "v6prefix": _ADDRESSISH,
            "length": st.integers(-2, 140) | _ADDRESSISH,
        },
    ),
    max_size=3,
)


@settings(max_examples=300, deadline=None)
@given(start=_ADDRESSISH | st.none(), end=_ADDRESSISH | st.none(), cidrs=_CIDR0_ENTRIES)
@example(start=None, end="::", cidrs=[])  # an end without a start (found by CI)
def test_address_members_parse_to_an_ordered_range_or_refuse(
    start: str | None, end: str | None, cidrs: list[dict[str, object]]
) -> None:
    document: dict[str, object] = {"cidr0_cidrs": cidrs}
    if start is not None:
        document["startAddress"] = start
    if end is not None:
        document["endAddress"] = end
    try:
        network = parse_ip_network(document)
    except RdapFormatError:
        return
    bounds = [bound for bound in (network.start_address, network.end_address) if bound]
    parsed = [ipaddress.ip_address(bound) for bound in bounds]
    # each bound given is stored in its canonical form
    assert [str(address) for address in parsed] == bounds
    if len(parsed) == 2:
        assert parsed[0].version == parsed[1].version
        assert int(parsed[0]) <= int(parsed[1])
