"""IP address → country and AS number through MaxMind DB files.

The bundled default answers for a few well-known public resolvers. Every file written here
uses documentation ranges (and the synthetic world's benchmarking range) and private-use AS
numbers only.
"""

from __future__ import annotations

import ipaddress
import itertools
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import maxminddb
import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mmdb_writer import MMDBWriter
from netaddr import IPSet

from hotline.hosting.ipdb import NOTHING, IpDatabaseError, IpDatabases, IpFacts, MmdbFile
from hotline.synth.generate import generate


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("world")
    generate(2013, "small", out, captures=False)
    return out


@pytest.fixture(scope="module")
def truth(world: Path) -> dict[str, Any]:
    document: dict[str, Any] = orjson.loads((world / "truth.json").read_bytes())
    return document


@pytest.fixture(scope="module")
def bundled() -> Iterator[IpDatabases]:
    databases = IpDatabases()
    yield databases
    databases.close()


def write_mmdb(
    path: Path,
    networks: list[tuple[str, dict[str, Any]]],
    *,
    ip_version: int = 6,
    database_type: str = "Test-Custom",
) -> Path:
    """A small .mmdb file; later networks override earlier ones where they overlap."""
    writer = MMDBWriter(
        ip_version=ip_version,
        ipv4_compatible=ip_version == 6,
        database_type=database_type,
        languages=["en"],
        description="hotline tests: documentation ranges only",
    )
    for network, record in networks:
        writer.insert_network(IPSet([network]), record)
    writer.to_db_file(str(path))
    return path


# --- the bundled default ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ip", "country", "asn"),
    [
        ("8.8.8.8", "US", 15169),
        ("9.9.9.9", "US", 19281),
        ("2001:4860:4860::8888", "US", 15169),
    ],
)
def test_bundled_default_knows_public_resolvers(
    bundled: IpDatabases, ip: str, country: str, asn: int
) -> None:
    facts = bundled.lookup(ip)
    assert (facts.country, facts.asn) == (country, asn)
    assert facts.as_org


def test_bundled_default_knows_cloudflare(bundled: IpDatabases) -> None:
    facts = bundled.lookup("1.1.1.1")
    assert facts.asn == 13335
    assert facts.country is not None
    assert len(facts.country) == 2


@pytest.mark.parametrize(
    "ip",
    ["192.0.2.1", "198.51.100.77", "203.0.113.255", "2001:db8::1", "10.0.0.1", "127.0.0.1"],
)
def test_bundled_default_says_unknown_for_special_ranges(bundled: IpDatabases, ip: str) -> None:
    assert bundled.lookup(ip) == IpFacts(None, None, None)


@pytest.mark.parametrize(
    "text", ["not an address", "", "999.1.1.1", "8.8.8", "2001:db8::g", "8.8.8.8/32", " "]
)
def test_bundled_default_says_unknown_for_what_is_not_an_address(
    bundled: IpDatabases, text: str
) -> None:
    assert bundled.lookup(text) == NOTHING


def test_bundled_batch_mixes_known_unknown_and_invalid(bundled: IpDatabases) -> None:
    facts = bundled.lookup_many(["8.8.8.8", "8.8.4.4", "192.0.2.1", "bogus", "8.8.8.8"])
    assert set(facts) == {"8.8.8.8", "8.8.4.4", "192.0.2.1", "bogus"}
    assert facts["8.8.8.8"].asn == facts["8.8.4.4"].asn == 15169
    assert facts["192.0.2.1"] == facts["bogus"] == NOTHING


def test_bundled_files_describe_themselves(bundled: IpDatabases) -> None:
    assert bundled.describe() == "country: bundled; ASN: bundled ASN database"
    assert bundled.fingerprint().count("|") == 1


# --- the synthetic world's files --------------------------------------------------------------


def test_world_files_agree_with_the_truth_and_the_bare_reader(
    world: Path, truth: dict[str, Any]
) -> None:
    country_path, asn_path = world / "geoip" / "country.mmdb", world / "geoip" / "asn.mmdb"
    sites = {name: entry for name, entry in truth["sites"].items() if entry["ip"] is not None}
    hosted = {name: e for name, e in sites.items() if not e["behind_cdn"]}
    assert len(hosted) > 100
    assert len(sites) > len(hosted)
    # The CDN edges are in a documentation range: a given file is trusted there, not filtered.
    assert any(
        ipaddress.ip_address(e["ip"]) in ipaddress.ip_network("192.0.2.0/24")
        for e in sites.values()
        if e["behind_cdn"]
    )
    aaaa = {
        ip
        for line in (world / "pdns.jsonl").read_bytes().splitlines()
        for record in [orjson.loads(line)]
        if record["rrtype"] == "AAAA"
        for ip in (record["rdata"] if isinstance(record["rdata"], list) else [record["rdata"]])
    }
    assert aaaa
    databases = IpDatabases(country=country_path, asn=asn_path)
    try:
        facts = databases.lookup_many([e["ip"] for e in sites.values()] + sorted(aaaa))
    finally:
        databases.close()
    with (
        maxminddb.open_database(str(country_path)) as countries,
        maxminddb.open_database(str(asn_path)) as systems,
    ):
        for name, entry in sites.items():
            ip = entry["ip"]
            country: Any = countries.get(ip)
            asn: Any = systems.get(ip)
            assert facts[ip] == IpFacts(
                country["country"]["iso_code"],
                asn["autonomous_system_number"],
                asn["autonomous_system_organization"],
            ), name
            assert facts[ip].asn == entry["asn"], name
            assert facts[ip].as_org == entry["provider"], name
            if not entry["behind_cdn"]:
                assert facts[ip].country == entry["hosting_country"], name
        for ip in aaaa:
            country, asn = countries.get(ip), systems.get(ip)
            assert facts[ip].country == country["country"]["iso_code"], ip
            assert facts[ip].asn == asn["autonomous_system_number"], ip


# --- the batch path answers exactly what the bare reader answers ------------------------------


def nested_file(folder: Path) -> Path:
    return write_mmdb(
        folder / "nested.mmdb",
        [
            ("198.51.100.0/25", {"n": "low"}),
            ("198.51.100.128/26", {"n": "mid"}),
            ("203.0.113.0/24", {"n": "outer"}),
            ("203.0.113.77/32", {"n": "inner"}),
            ("198.18.0.0/16", {"n": "big"}),
            ("198.18.5.5/32", {"n": "pin"}),
            ("198.18.7.0/24", {"n": "hole"}),
            ("192.0.2.0/24", {"n": "doc"}),
            ("2001:db8:1::/48", {"n": "v6"}),
            ("2001:db8:1:2::/64", {"n": "v6-inner"}),
            ("2001:db8:1:2::1/128", {"n": "v6-pin"}),
        ],
    )


def v4_only_file(folder: Path) -> Path:
    return write_mmdb(
        folder / "v4.mmdb",
        [
            ("198.51.100.0/24", {"n": "v4"}),
            ("198.51.100.64/27", {"n": "v4-inner"}),
            ("203.0.113.0/25", {"n": "v4-low"}),
        ],
        ip_version=4,
    )


def interesting_addresses(path: Path) -> list[str]:
    """Each network's first and last address and their neighbours outside it."""
    found: set[str] = set()
    with maxminddb.open_database(str(path)) as reader:
        for network, _ in reader:
            first, last = int(network.network_address), int(network.broadcast_address)
            version = network.version
            top = 2**32 - 1 if version == 4 else 2**128 - 1
            for value in (first - 1, first, first + 1, last - 1, last, last + 1):
                if 0 <= value <= top:
                    found.add(str(ipaddress.ip_address(value)))
    return sorted(found)


def bare(reader: maxminddb.Reader, ip: str) -> Any:
    try:
        return reader.get(ip)
    except ValueError:  # IPv6 in an IPv4-only file: the batch path answers None
        return None


_V4_BASES = ["198.51.100", "203.0.113", "192.0.2", "198.18.5", "198.18.6", "198.18.7", "198.19.0"]
_v4 = st.integers(min_value=0, max_value=2**32 - 1).map(lambda n: str(ipaddress.IPv4Address(n)))
_v6 = st.integers(min_value=0, max_value=2**128 - 1).map(lambda n: str(ipaddress.IPv6Address(n)))
_doc_v6 = st.integers(min_value=0, max_value=2**96 - 1).map(
    lambda n: str(ipaddress.IPv6Address((0x20010DB8 << 96) | n))
)
_near_v6 = st.integers(min_value=0, max_value=2**80 - 1).map(
    lambda n: str(ipaddress.IPv6Address((0x20010DB80001 << 80) | n))
)
_same_24 = st.tuples(
    st.sampled_from(_V4_BASES), st.lists(st.integers(0, 255), min_size=1, max_size=40)
).map(lambda pair: [f"{pair[0]}.{octet}" for octet in pair[1]])
_in_bases = st.tuples(st.sampled_from(_V4_BASES), st.integers(0, 255)).map(
    lambda pair: f"{pair[0]}.{pair[1]}"
)


def address_lists(interesting: list[str]) -> st.SearchStrategy[list[str]]:
    single = st.sampled_from(interesting) | _in_bases | _v4 | _v6 | _doc_v6 | _near_v6
    chunks = st.lists(single.map(lambda ip: [ip]) | _same_24, min_size=1, max_size=12)
    return chunks.map(lambda parts: [ip for part in parts for ip in part])


def check_batch_matches_bare_reader(path: Path, ips: list[str]) -> None:
    database = MmdbFile(path)
    try:
        found = database.lookup_many(ips)
    finally:
        database.close()
    assert set(found) == set(ips)
    with maxminddb.open_database(str(path)) as reader:
        for ip in ips:
            assert found[ip] == bare(reader, ip), ip


@pytest.fixture(scope="module")
def custom_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("mmdb")
    return nested_file(folder), v4_only_file(folder)


@pytest.mark.parametrize("which", ["world-country", "world-asn", "nested", "v4-only"])
def test_batch_path_matches_the_bare_reader(
    which: str, world: Path, custom_files: tuple[Path, Path]
) -> None:
    path = {
        "world-country": world / "geoip" / "country.mmdb",
        "world-asn": world / "geoip" / "asn.mmdb",
        "nested": custom_files[0],
        "v4-only": custom_files[1],
    }[which]
    interesting = interesting_addresses(path)
    assert len(interesting) > 10

    @settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(address_lists(interesting))
    def prop(ips: list[str]) -> None:
        check_batch_matches_bare_reader(path, ips)

    prop()


def test_batch_path_on_nested_networks_gives_each_its_own_record(
    custom_files: tuple[Path, Path],
) -> None:
    nested, v4_only = custom_files
    ips = [
        "198.18.6.1", "198.18.5.1", "198.18.5.5", "198.18.5.6", "198.18.7.9", "198.18.7.10",
        "203.0.113.1", "203.0.113.77", "203.0.113.78", "198.51.100.127", "198.51.100.128",
        "198.51.100.191", "198.51.100.192", "198.51.100.255", "2001:db8:1:2::1",
        "2001:db8:1:2::2", "2001:db8:1:3::", "2001:db8:2::", "::ffff:198.51.100.1", "bogus",
    ]  # fmt: skip
    database = MmdbFile(nested)
    try:
        names = {ip: (record or {}).get("n") for ip, record in database.lookup_many(ips).items()}
    finally:
        database.close()
    assert names == {
        "198.18.6.1": "big", "198.18.5.1": "big", "198.18.5.5": "pin", "198.18.5.6": "big",
        "198.18.7.9": "hole", "198.18.7.10": "hole", "203.0.113.1": "outer",
        "203.0.113.77": "inner", "203.0.113.78": "outer", "198.51.100.127": "low",
        "198.51.100.128": "mid", "198.51.100.191": "mid", "198.51.100.192": None,
        "198.51.100.255": None, "2001:db8:1:2::1": "v6-pin", "2001:db8:1:2::2": "v6-inner",
        "2001:db8:1:3::": "v6", "2001:db8:2::": None, "::ffff:198.51.100.1": None,
        "bogus": None,
    }  # fmt: skip
    only4 = MmdbFile(v4_only)
    try:
        assert only4.ip_version == 4
        answers = only4.lookup_many(["2001:db8::1", "198.51.100.65", "::1", "198.51.100.1"])
    finally:
        only4.close()
    assert answers == {
        "2001:db8::1": None,
        "198.51.100.65": {"n": "v4-inner"},
        "::1": None,
        "198.51.100.1": {"n": "v4"},
    }


# --- schemas ----------------------------------------------------------------------------------


def facts_for(country: Path, asn: Path, ips: list[str]) -> dict[str, IpFacts]:
    databases = IpDatabases(country=country, asn=asn)
    try:
        return databases.lookup_many(ips)
    finally:
        databases.close()


def test_ipinfo_lite_shape(tmp_path: Path) -> None:
    combined = write_mmdb(
        tmp_path / "ipinfo_lite.mmdb",
        [
            ("198.51.100.0/24", {"country_code": "NL", "asn": "AS64500", "as_name": "Example Net"}),
            (
                "203.0.113.0/24",
                {
                    "country": "Germany",
                    "country_code": "de",
                    "continent": "Europe",
                    "continent_code": "EU",
                    "asn": "as64501",
                    "as_name": "Example Two",
                    "as_domain": "example.net",
                },
            ),
            ("2001:db8:5::/48", {"country_code": "JP", "asn": "AS?", "as_name": ""}),
        ],
        database_type="ipinfo_lite.mmdb",
    )
    facts = facts_for(combined, combined, ["198.51.100.9", "203.0.113.200", "2001:db8:5::1"])
    assert facts == {
        "198.51.100.9": IpFacts("NL", 64500, "Example Net"),
        "203.0.113.200": IpFacts("DE", 64501, "Example Two"),
        "2001:db8:5::1": IpFacts("JP", None, None),
    }


def test_geolite2_and_dbip_shape(tmp_path: Path) -> None:
    country = write_mmdb(
        tmp_path / "dbip-country-lite.mmdb",
        [
            (
                "198.51.100.0/24",
                {
                    "continent": {"code": "EU"},
                    "country": {
                        "iso_code": "FR",
                        "names": {"en": "France"},
                        "is_in_european_union": True,
                    },
                },
            ),
            (
                "203.0.113.0/24",
                {"registered_country": {"iso_code": "se", "names": {"en": "Sweden"}}},
            ),
        ],
        database_type="DBIP-Country-Lite",
    )
    asn = write_mmdb(
        tmp_path / "GeoLite2-ASN.mmdb",
        [
            (
                "198.51.100.0/24",
                {"autonomous_system_number": 64510, "autonomous_system_organization": "Ex AS"},
            ),
            ("203.0.113.0/25", {"autonomous_system_number": 4_200_000_001}),
        ],
        database_type="GeoLite2-ASN",
    )
    facts = facts_for(country, asn, ["198.51.100.1", "203.0.113.5", "203.0.113.200"])
    assert facts == {
        "198.51.100.1": IpFacts("FR", 64510, "Ex AS"),
        "203.0.113.5": IpFacts("SE", 4_200_000_001, None),
        "203.0.113.200": IpFacts("SE", None, None),
    }


def test_ip_location_db_shape(tmp_path: Path) -> None:
    country = write_mmdb(
        tmp_path / "geo-whois-asn-country.mmdb",
        [("198.51.100.0/24", {"country_code": "DE"}), ("2001:db8::/32", {"country_code": "at"})],
        database_type="geo-whois-asn-country",
    )
    asn = write_mmdb(
        tmp_path / "asn.mmdb",
        [
            (
                "198.51.100.0/24",
                {"autonomous_system_number": 64520, "autonomous_system_organization": "Ex"},
            )
        ],
        database_type="asn",
    )
    facts = facts_for(country, asn, ["198.51.100.42", "2001:db8::42", "203.0.113.1"])
    assert facts == {
        "198.51.100.42": IpFacts("DE", 64520, "Ex"),
        "2001:db8::42": IpFacts("AT", None, None),
        "203.0.113.1": NOTHING,
    }


# --- files that cannot be used ----------------------------------------------------------------


def refused(country: Path | None = None, asn: Path | None = None) -> IpDatabaseError:
    with pytest.raises(IpDatabaseError) as caught:
        IpDatabases(country=country, asn=asn)
    return caught.value


def test_a_missing_file_is_named(world: Path, tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "GeoLite2-Country.mmdb"
    error = refused(country=missing, asn=world / "geoip" / "asn.mmdb")
    assert str(missing) in str(error)
    assert "no such file" in str(error)
    folder = refused(country=world / "geoip" / "country.mmdb", asn=tmp_path)
    assert str(tmp_path) in str(folder)


@pytest.mark.parametrize("content", [b"", os.urandom(4096), b"\xab\xcd\xefMaxMind.com"])
def test_random_or_empty_bytes_are_refused_naming_the_file(
    world: Path, tmp_path: Path, content: bytes
) -> None:
    path = tmp_path / "garbage.mmdb"
    path.write_bytes(content)
    error = refused(country=path, asn=world / "geoip" / "asn.mmdb")
    assert str(path) in str(error)
    assert "not a MaxMind DB file" in str(error)
    as_asn = refused(country=world / "geoip" / "country.mmdb", asn=path)
    assert str(path) in str(as_asn)


@pytest.mark.parametrize("keep", [0.0, 0.1, 0.5, 0.9, 0.99, -1])
def test_a_truncated_copy_is_refused_naming_the_file(
    world: Path, tmp_path: Path, keep: float
) -> None:
    data = (world / "geoip" / "country.mmdb").read_bytes()
    size = len(data) - 1 if keep == -1 else int(len(data) * keep)
    path = tmp_path / "cut-country.mmdb"
    path.write_bytes(data[:size])
    error = refused(country=path, asn=world / "geoip" / "asn.mmdb")
    assert str(path) in str(error)


def test_a_corrupt_search_tree_is_refused_naming_the_file(world: Path, tmp_path: Path) -> None:
    data = bytearray((world / "geoip" / "country.mmdb").read_bytes())
    marker = data.rfind(b"\xab\xcd\xefMaxMind.com")
    data[: marker // 2] = b"\xff" * (marker // 2)
    path = tmp_path / "corrupt-country.mmdb"
    path.write_bytes(bytes(data))
    error = refused(country=path, asn=world / "geoip" / "asn.mmdb")
    assert str(path) in str(error)


def test_a_country_file_given_as_the_asn_database(world: Path) -> None:
    country = world / "geoip" / "country.mmdb"
    error = refused(country=country, asn=country)
    assert str(country) in str(error)
    assert "holds no AS number data" in str(error)
    assert "GeoLite2-Country" in str(error)


def test_an_asn_file_given_as_the_country_database(world: Path) -> None:
    asn = world / "geoip" / "asn.mmdb"
    error = refused(country=asn, asn=asn)
    assert str(asn) in str(error)
    assert "holds no country data" in str(error)


def test_an_unrelated_mmdb_is_refused_for_both(custom_files: tuple[Path, Path]) -> None:
    nested, _ = custom_files
    for country, asn in ((nested, None), (None, nested)):
        error = refused(country=country, asn=asn)
        assert str(nested) in str(error)
        assert "Test-Custom" in str(error)


def test_an_honest_file_covering_other_ranges_is_accepted(tmp_path: Path) -> None:
    country = write_mmdb(
        tmp_path / "c.mmdb",
        [("198.18.0.0/24", {"country": {"iso_code": "CA"}})],
        database_type="Example-Country",
    )
    asn = write_mmdb(
        tmp_path / "a.mmdb",
        [("198.18.0.0/24", {"autonomous_system_number": 64499})],
        database_type="Example-ASN",
    )
    assert facts_for(country, asn, ["198.18.0.9"]) == {"198.18.0.9": IpFacts("CA", 64499, None)}


# --- the bundled files are unpacked once ------------------------------------------------------


def test_bundled_files_unpack_into_the_cache_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    first = IpDatabases()
    first.close()
    folder = tmp_path / "hotline" / "ipdb"
    made = sorted(folder.iterdir())
    assert [p.name.split("-")[0] for p in made] == ["asn", "country"]
    assert all(p.suffix == ".mmdb" for p in made)
    assert {first.country.path, first.asn.path} == set(made)
    stamps = {p: (p.stat().st_ino, p.stat().st_mtime_ns) for p in made}

    second = IpDatabases()
    try:
        assert second.lookup("8.8.8.8").asn == 15169
        assert {second.country.path, second.asn.path} == set(made)
    finally:
        second.close()
    assert sorted(folder.iterdir()) == made
    assert {p: (p.stat().st_ino, p.stat().st_mtime_ns) for p in made} == stamps
    assert sorted(p.name for p in tmp_path.iterdir()) == ["hotline"]


# --- what a file holds: its database type first, else its records -----------------------------


@pytest.mark.parametrize(
    ("database_type", "holds"),
    [
        ("GeoIP2-City", {"country"}),
        ("GeoIP2-City-Shield", {"country"}),
        ("GeoIP2-City-Europe", {"country"}),
        ("GeoLite2-Country", {"country"}),
        ("GeoIP2-Precision-Enterprise", {"country", "asn"}),
        ("GeoIP2-ISP", {"asn"}),
        ("DBIP-Country-Lite", {"country"}),
        ("DBIP-City-Lite", {"country"}),
        ("DBIP-ASN-Lite (compat=GeoLite2-ASN)", {"asn"}),
        ("GeoIP2-Connection-Type", set()),
        ("GeoIP2-Anonymous-IP", set()),
        ("ipinfo standard_asn.mmdb", {"asn"}),
        ("ipinfo standard_privacy.mmdb", set()),
    ],
)
def test_a_known_database_type_decides_what_a_file_holds(
    tmp_path: Path, database_type: str, holds: set[str]
) -> None:
    """The records here would say otherwise (an AS, a country and a code in every one):
    the metadata wins for products it names."""
    record = {"autonomous_system_number": 64500, "country_code": "NL", "asn": "AS64500"}
    path = write_mmdb(
        tmp_path / "x.mmdb", [("198.51.100.0/24", record)], database_type=database_type
    )
    database = MmdbFile(path)
    try:
        assert database.holds == holds
        for want in ("country", "asn"):
            if want in holds:
                database.probe(want)
                continue
            with pytest.raises(IpDatabaseError) as caught:
                database.probe(want)
            assert f"'{database_type}'" in str(caught.value)
            assert "it is " in str(caught.value)
    finally:
        database.close()


def test_an_unknown_type_is_decided_by_its_records_and_they_are_named(tmp_path: Path) -> None:
    asn_only = write_mmdb(
        tmp_path / "routes.mmdb",
        [("198.51.100.0/24", {"asn": "AS64500", "name": "Example", "route": "198.51.100.0/24"})],
        database_type="Example-Routes",
    )
    database = MmdbFile(asn_only)
    try:
        assert database.holds == {"asn"}
        with pytest.raises(IpDatabaseError) as caught:
            database.probe("country")
    finally:
        database.close()
    message = str(caught.value)
    assert "its records hold asn, name, route" in message
    assert "answers AS numbers only" in message
    empty = write_mmdb(tmp_path / "empty.mmdb", [], database_type="Example-Country")
    database = MmdbFile(empty)
    try:
        assert database.holds == frozenset()
        with pytest.raises(IpDatabaseError, match="holds no records"):
            database.probe("country")
    finally:
        database.close()


def test_the_country_in_an_ipinfo_asn_file_is_not_a_location(tmp_path: Path) -> None:
    """IPinfo's ASN files carry the AS's registration country; a combined file (Lite) fills
    in what the country file does not know."""
    country = write_mmdb(
        tmp_path / "c.mmdb",
        [("198.51.100.0/24", {"country": {"iso_code": "FR"}})],
        database_type="GeoLite2-Country",
    )
    ipinfo_asn = write_mmdb(
        tmp_path / "asn.mmdb",
        [("203.0.113.0/24", {"asn": "AS64500", "country": "US", "name": "Example"})],
        database_type="ipinfo standard_asn.mmdb",
    )
    lite = write_mmdb(
        tmp_path / "lite.mmdb",
        [("203.0.113.0/24", {"country_code": "US", "asn": "AS64500", "as_name": "Example"})],
        database_type="ipinfo ipinfo_lite.mmdb",
    )
    ips = ["198.51.100.1", "203.0.113.1"]
    assert facts_for(country, ipinfo_asn, ips) == {
        "198.51.100.1": IpFacts("FR", None, None),
        "203.0.113.1": IpFacts(None, 64500, "Example"),
    }
    assert facts_for(country, lite, ips)["203.0.113.1"] == IpFacts("US", 64500, "Example")


_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False)
    | st.text(max_size=8)
    | st.sampled_from(["AS64500", "as1", "AS", "DE", "de", "Ü1", "١٢", "AS١٢"])
)
_values = st.recursive(
    _scalars,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(
            st.sampled_from(["iso_code", "autonomous_system_number", "asn", "names", "x"]),
            inner,
            max_size=3,
        )
    ),
    max_leaves=8,
)
_records = st.dictionaries(
    st.sampled_from(
        [
            "country", "country_code", "iso_code", "registered_country", "traits", "asn",
            "as_name", "name", "autonomous_system_number", "autonomous_system_organization",
        ]
    ),
    _values,
    max_size=6,
)  # fmt: skip


@settings(max_examples=400, deadline=None)
@given(_records)
def test_the_record_decoder_never_raises_and_answers_in_shape(record: dict[str, Any]) -> None:
    from hotline.hosting.ipdb import _asn_of, _country_of

    country = _country_of(record)
    assert country is None or (len(country) == 2 and country.isascii() and country.isupper())
    number, name = _asn_of(record)
    assert number is None or (isinstance(number, int) and not isinstance(number, bool))
    assert name is None or (isinstance(name, str) and name)


# --- the bundled country build: overlapping ranges and registry placeholders -------------------


def _build_script() -> Any:
    import importlib.util

    path = Path(__file__).resolve().parents[1] / "scripts" / "build_bundled_ipdb.py"
    spec = importlib.util.spec_from_file_location("build_bundled_ipdb", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


BUILD = _build_script()
_span = st.tuples(st.integers(0, 60), st.integers(0, 12), st.sampled_from("ABCP"))
_spans = st.lists(_span, max_size=12).map(lambda rows: [(a, a + n, c) for a, n, c in rows])


def _disjoint(rows: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """Random ranges made disjoint by dropping every range that meets an earlier kept one."""
    kept: list[tuple[int, int, str]] = []
    for row in rows:
        if all(row[1] < k[0] or row[0] > k[1] for k in kept):
            kept.append(row)
    return sorted(kept)


def _points(rows: list[tuple[int, int, str]]) -> dict[int, str]:
    return {address: value for first, last, value in rows for address in range(first, last + 1)}


@settings(max_examples=300, deadline=None)
@given(_spans)
def test_flatten_lets_the_smallest_range_hold_each_address(
    rows: list[tuple[int, int, str]],
) -> None:
    flat = BUILD.flatten(rows)
    assert flat == sorted(flat)
    assert all(a[1] < b[0] for a, b in itertools.pairwise(flat))
    expected: dict[int, str] = {}
    for address in range(0, 80):
        holders = [
            (last - first, -i, v)
            for i, (first, last, v) in enumerate(rows)
            if first <= address <= last
        ]
        if holders:
            expected[address] = min(holders)[2]
    assert _points(flat) == expected


@settings(max_examples=300, deadline=None)
@given(_spans, _spans, st.integers(0, 70), st.integers(0, 30))
def test_registry_placeholders_give_way_to_delegations(
    rows: list[tuple[int, int, str]],
    delegated: list[tuple[int, int, str]],
    registry_start: int,
    registry_size: int,
) -> None:
    rows, delegated = _disjoint(rows), _disjoint(delegated)
    registry = [(registry_start, registry_start + registry_size, "r")]
    fixed, changed = BUILD.correct_placeholders(rows, delegated, registry, "P")
    assert all(a[1] < b[0] for a, b in itertools.pairwise(fixed))
    before, after, holder = _points(rows), _points(fixed), _points(delegated)
    moved = 0
    for first, last, value in rows:
        inside_one = any(d[0] <= first and last <= d[1] for d in delegated)
        for address in range(first, last + 1):
            in_registry = registry_start <= address <= registry_start + registry_size
            if value != "P" or inside_one or not in_registry:
                assert after.get(address) == value, address
            else:
                assert after.get(address) == holder.get(address), address
                moved += holder.get(address) != "P"
    assert set(after) <= set(before)
    assert changed == moved
