"""IP databases against real files: vendors' published test databases and the bundled data.

``tests/vectors/mmdb/`` holds MaxMind's test databases (GeoIP2/GeoLite2 Country, City,
Enterprise, ISP, ASN and non-geographic ones), their corrupt-file collection, IPinfo's
sample databases, and a sample of the RIRs' delegations (prefix → country); see SOURCE.md
there. The expectations are computed here from the raw records that ``maxminddb`` (MaxMind's
reader, the reference) returns, with each vendor's documented schema spelt out field by
field, and compared with what hotline answers for every network of every file.
"""

from __future__ import annotations

import csv
import ipaddress
import json
import random
from collections.abc import Callable, Iterator
from importlib import resources
from pathlib import Path
from typing import Any

import maxminddb
import pytest

from hotline.hosting.ipdb import IpDatabaseError, IpDatabases, IpFacts

VECTORS = Path(__file__).parent / "vectors" / "mmdb"
MAXMIND = VECTORS / "maxmind"
IPINFO = VECTORS / "ipinfo"

Expect = Callable[[dict[str, Any]], tuple[str | None, int | None, str | None]]


# --- each vendor's schema, written out from its documentation ---------------------------------


def _maxmind_country(record: dict[str, Any]) -> str | None:
    """GeoIP2: the located country, else the registered one (``iso_code`` of either)."""
    for key in ("country", "registered_country"):
        code = record.get(key, {}).get("iso_code")
        if code:
            return str(code)
    return None


def maxmind_geo(record: dict[str, Any]) -> tuple[str | None, int | None, str | None]:
    return _maxmind_country(record), None, None


def maxmind_enterprise(record: dict[str, Any]) -> tuple[str | None, int | None, str | None]:
    traits = record.get("traits", {})
    return (
        _maxmind_country(record),
        traits.get("autonomous_system_number"),
        traits.get("autonomous_system_organization"),
    )


def maxmind_asn(record: dict[str, Any]) -> tuple[str | None, int | None, str | None]:
    """GeoLite2-ASN and GeoIP2-ISP: top-level AS fields."""
    return (
        None,
        record.get("autonomous_system_number"),
        record.get("autonomous_system_organization"),
    )


def _ipinfo_number(text: str | None) -> int | None:
    if not text:  # IPinfo writes "" where there is no AS
        return None
    assert text.startswith("AS"), text
    return int(text[2:])


def _text(value: str | None) -> str | None:
    return value or None  # IPinfo writes "" for unknown


def ipinfo_lite(record: dict[str, Any]) -> tuple[str | None, int | None, str | None]:
    """IPinfo Lite/Core: ``country_code``, ``asn`` "AS…", ``as_name`` (``country`` is a name)."""
    return (
        _text(record.get("country_code")),
        _ipinfo_number(record.get("asn")),
        _text(record.get("as_name")),
    )


def ipinfo_country_asn(record: dict[str, Any]) -> tuple[str | None, int | None, str | None]:
    """IPinfo's older free country/country_asn files: ``country`` is the ISO code."""
    return (
        _text(record.get("country")),
        _ipinfo_number(record.get("asn")),
        _text(record.get("as_name")),
    )


def ipinfo_asn(record: dict[str, Any]) -> tuple[str | None, int | None, str | None]:
    """IPinfo's ASN files: ``asn`` and ``name`` (their ``country`` is the AS's, not used)."""
    return None, _ipinfo_number(record.get("asn")), _text(record.get("name"))


# (file, what it is given as, how its records read). The other side of each pair is a file
# of the other kind, so every answer has exactly one source.
BOTH, COUNTRY, ASN = "both", "country", "asn"
FILES: list[tuple[Path, str, Expect]] = [
    (MAXMIND / "GeoIP2-Country-Test.mmdb", COUNTRY, maxmind_geo),
    (MAXMIND / "GeoIP2-Country-Shield-Test.mmdb", COUNTRY, maxmind_geo),
    (MAXMIND / "GeoLite2-Country-Test.mmdb", COUNTRY, maxmind_geo),
    (MAXMIND / "GeoIP2-City-Test.mmdb", COUNTRY, maxmind_geo),
    (MAXMIND / "GeoLite2-City-Test.mmdb", COUNTRY, maxmind_geo),
    (MAXMIND / "GeoIP2-Enterprise-Test.mmdb", BOTH, maxmind_enterprise),
    (MAXMIND / "GeoIP2-Precision-Enterprise-Test.mmdb", BOTH, maxmind_enterprise),
    (MAXMIND / "GeoIP2-ISP-Test.mmdb", ASN, maxmind_asn),
    (MAXMIND / "GeoLite2-ASN-Test.mmdb", ASN, maxmind_asn),
    (IPINFO / "ipinfo_lite_sample.mmdb", BOTH, ipinfo_lite),
    (IPINFO / "ipinfo_core_sample.mmdb", BOTH, ipinfo_lite),
    (IPINFO / "ipinfo_plus_sample.mmdb", BOTH, ipinfo_lite),
    (IPINFO / "ip_country_asn_sample.mmdb", BOTH, ipinfo_country_asn),
    (IPINFO / "ip_country_sample.mmdb", COUNTRY, ipinfo_country_asn),
    (IPINFO / "ipinfo_location_sample.mmdb", COUNTRY, ipinfo_lite),
    (IPINFO / "ip_geolocation_standard_sample.mmdb", COUNTRY, ipinfo_country_asn),
    (IPINFO / "ip_asn_sample.mmdb", ASN, ipinfo_asn),
    (IPINFO / "asn_sample.mmdb", ASN, ipinfo_asn),
    (IPINFO / "ipinfo_asn_sample.mmdb", ASN, ipinfo_asn),
]
PARTNER = {COUNTRY: MAXMIND / "GeoLite2-ASN-Test.mmdb", ASN: MAXMIND / "GeoLite2-Country-Test.mmdb"}
PARTNER_EXPECT: dict[str, Expect] = {COUNTRY: maxmind_asn, ASN: maxmind_geo}


def edges(path: Path) -> list[str]:
    """Each network's first, middle and last address and the neighbours just outside it."""
    found: set[str] = set()
    with maxminddb.open_database(str(path)) as reader:
        for network, _ in reader:
            first, last = int(network.network_address), int(network.broadcast_address)
            top = 2**32 - 1 if network.version == 4 else 2**128 - 1
            for value in (first - 1, first, (first + last) // 2, last, last + 1):
                if 0 <= value <= top:
                    found.add(str(ipaddress.ip_address(value)))
    return sorted(found)


def reference(reader: maxminddb.Reader, ip: str, expect: Expect) -> tuple[Any, Any, Any]:
    record = reader.get(ip)
    return expect(record) if isinstance(record, dict) else (None, None, None)


@pytest.mark.parametrize(("path", "role", "expect"), FILES, ids=[f.name for f, _, _ in FILES])
def test_every_network_answers_as_the_reference_reader(
    path: Path, role: str, expect: Expect
) -> None:
    if role == BOTH:
        country_path, asn_path = path, path
    elif role == COUNTRY:
        country_path, asn_path = path, PARTNER[COUNTRY]
    else:
        country_path, asn_path = PARTNER[ASN], path
    ips = sorted(set(edges(path)) | set(edges(PARTNER[COUNTRY if role == ASN else ASN])))
    versions = {ipaddress.ip_address(ip).version for ip in ips}
    assert versions == {4, 6}
    databases = IpDatabases(country=country_path, asn=asn_path)
    try:
        facts = databases.lookup_many(ips)
    finally:
        databases.close()
    answered = {"country": 0, "asn": 0, "org": 0}
    with (
        maxminddb.open_database(str(country_path)) as countries,
        maxminddb.open_database(str(asn_path)) as systems,
    ):
        for ip in ips:
            if role == BOTH:
                country, number, org = reference(countries, ip, expect)
            elif role == COUNTRY:
                country = reference(countries, ip, expect)[0]
                _, number, org = reference(systems, ip, PARTNER_EXPECT[COUNTRY])
            else:
                country = reference(countries, ip, PARTNER_EXPECT[ASN])[0]
                _, number, org = reference(systems, ip, expect)
            assert facts[ip] == IpFacts(country, number, org), ip
            answered["country"] += country is not None
            answered["asn"] += number is not None
            answered["org"] += org is not None
    # The comparison means something only if the file answered something of its kind.
    if role in (BOTH, COUNTRY):
        assert answered["country"] >= 10
    if role in (BOTH, ASN):
        assert answered["asn"] >= 10
        assert answered["org"] >= 5


def test_the_test_databases_answer_known_addresses() -> None:
    """A few fixed answers from MaxMind's and IPinfo's published source data."""
    enterprise = IpDatabases(
        country=MAXMIND / "GeoIP2-Enterprise-Test.mmdb", asn=MAXMIND / "GeoIP2-ISP-Test.mmdb"
    )
    lite = IpDatabases(
        country=IPINFO / "ipinfo_lite_sample.mmdb", asn=IPINFO / "ip_asn_sample.mmdb"
    )
    try:
        assert enterprise.lookup("1.128.0.1") == IpFacts(None, 1221, "Telstra Pty Ltd")
        assert enterprise.lookup("2.125.160.216").country == "GB"
        assert lite.lookup("1.0.0.1") == IpFacts("AU", 13335, "Cloudflare, Inc.")
    finally:
        enterprise.close()
        lite.close()


# --- wrong kinds and corrupt files: one line naming the file and what it is -------------------


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        (MAXMIND / "GeoIP2-Connection-Type-Test.mmdb", "Connection-Type"),
        (MAXMIND / "GeoIP2-Anonymous-IP-Test.mmdb", "Anonymous-IP"),
        (MAXMIND / "GeoIP2-Domain-Test.mmdb", "Domain"),
        (IPINFO / "privacy_detection_sample.mmdb", "privacy"),
    ],
    ids=lambda value: value.name if isinstance(value, Path) else value,
)
def test_a_non_geographic_database_is_refused_for_both(path: Path, kind: str) -> None:
    for country, asn, noun in ((path, None, "country"), (None, path, "AS number")):
        with pytest.raises(IpDatabaseError) as caught:
            IpDatabases(country=country, asn=asn)
        message = str(caught.value)
        assert "\n" not in message
        assert message.startswith(f"{path}: ")
        assert f"holds no {noun} data" in message
        assert kind in message


@pytest.mark.parametrize(
    ("path", "as_country"),
    [
        (MAXMIND / "GeoLite2-ASN-Test.mmdb", True),
        (MAXMIND / "GeoIP2-ISP-Test.mmdb", True),
        (IPINFO / "ip_asn_sample.mmdb", True),
        (IPINFO / "ipinfo_asn_sample.mmdb", True),  # its ``country`` is the AS's registration
        (MAXMIND / "GeoIP2-City-Test.mmdb", False),
        (MAXMIND / "GeoLite2-Country-Test.mmdb", False),
        (IPINFO / "ip_country_sample.mmdb", False),
    ],
    ids=lambda value: value.name if isinstance(value, Path) else str(value),
)
def test_a_database_of_the_other_kind_is_refused_saying_what_it_answers(
    path: Path, as_country: bool
) -> None:
    with pytest.raises(IpDatabaseError) as caught:
        IpDatabases(country=path) if as_country else IpDatabases(asn=path)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"{path}: ")
    assert ("holds no country data" if as_country else "holds no AS number data") in message
    assert ("answers AS numbers only" if as_country else "answers countries only") in message


BAD = sorted((VECTORS / "maxmind-bad").glob("*.mmdb"))


def test_the_corrupt_collection_is_all_there() -> None:
    assert len(BAD) == 23


@pytest.mark.parametrize("path", BAD, ids=[p.name for p in BAD])
@pytest.mark.parametrize("role", ["country", "asn"])
def test_a_corrupt_database_is_one_line_naming_the_file(path: Path, role: str) -> None:
    with pytest.raises(IpDatabaseError) as caught:
        IpDatabases(**{role: path})
    message = str(caught.value)
    assert message.startswith(f"{path}: ")
    assert "\n" not in message


# --- the bundled country data against the RIRs' delegations -----------------------------------


def _delegations() -> list[tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, str]]:
    with (VECTORS / "delegated" / "delegated-sample.csv").open() as handle:
        return [
            (ipaddress.ip_network(row["prefix"]), row["country"]) for row in csv.DictReader(handle)
        ]


def _apnic_v6() -> list[ipaddress.IPv6Network]:
    data = resources.files("hotline.hosting") / "data" / "rdap-bootstrap-ipv6.json"
    document = json.loads(data.read_text())
    return [
        ipaddress.IPv6Network(prefix)
        for prefixes, urls in document["services"]
        if any(".apnic." in url for url in urls)
        for prefix in prefixes
    ]


def _sampled(seed: int) -> Iterator[tuple[str, str, bool]]:
    """One address per delegated prefix (seeded), its RIR country, and whether it is APNIC
    IPv6 space."""
    rnd = random.Random(seed)
    apnic = _apnic_v6()
    for network, country in _delegations():
        address = network.network_address + rnd.randrange(network.num_addresses)
        in_apnic = isinstance(network, ipaddress.IPv6Network) and any(
            network.subnet_of(block) for block in apnic
        )
        yield str(address), country, in_apnic


@pytest.fixture(scope="module")
def bundled() -> Iterator[IpDatabases]:
    databases = IpDatabases()
    yield databases
    databases.close()


@pytest.mark.parametrize(
    ("ip", "country"), [("2001:200::1", "JP"), ("2001:218::1", "JP"), ("2001:250::5", "CN")]
)
def test_bundled_country_of_apnic_ipv6(bundled: IpDatabases, ip: str, country: str) -> None:
    assert bundled.lookup(ip).country == country


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_bundled_country_agrees_with_the_rir_delegations(bundled: IpDatabases, seed: int) -> None:
    """Geolocation differs from registration (a US company's range used in Frankfurt), so
    agreement is high, not total; what must not happen is a registry's own country standing
    in for its members' (APNIC's AU across Japan, China, Indonesia …)."""
    samples = list(_sampled(seed))
    facts = bundled.lookup_many(ip for ip, _, _ in samples)
    tally: dict[str, list[int]] = {"v4": [0, 0], "v6": [0, 0], "apnic": [0, 0]}
    placeholder = 0
    for ip, country, in_apnic in samples:
        got = facts[ip].country
        groups = ["v6", "apnic"] if in_apnic else ["v6" if ":" in ip else "v4"]
        for group in groups:
            tally[group][0] += got == country
            tally[group][1] += 1
        placeholder += in_apnic and country != "AU" and got == "AU"
    share = {group: agree / total for group, (agree, total) in tally.items()}
    assert tally["v4"][1] > 1000
    assert tally["v6"][1] > 2000
    assert tally["apnic"][1] > 1000
    assert share["v4"] >= 0.88, share
    assert share["v6"] >= 0.93, share
    assert share["apnic"] >= 0.97, share
    assert placeholder / tally["apnic"][1] <= 0.01, placeholder
