"""The synthetic world: deterministic, benign, readable by standard tools, true to its truth.

Nothing in this field can be tested on real data, so the world's truth is the oracle for
every later stage. These tests check that the oracle itself is right: the files say what
``truth.json`` says, in formats other tools read, with only reserved names and ranges.
"""

from __future__ import annotations

import gzip
import hashlib
import ipaddress
import re
from collections import Counter, defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import maxminddb
import orjson
import pytest
from sqlalchemy import Engine, select
from warcio.archiveiterator import ArchiveIterator

from hotline.captures.altcoins import classify_altcoin
from hotline.captures.bitcoin import classify_bitcoin_address
from hotline.intake.models import Site, Url
from hotline.intake.services import ReportImporter
from hotline.quarantine import QuarantineEntry
from hotline.synth.baseline import baseline_attribution, connected_components, read_selector_dump
from hotline.synth.generate import generate
from hotline.synth.hosting import BEHIND_CDN, COUNTRIES, ONION
from hotline.urls import canonicalize
from hotline.urls.onion import onion_v3_error

RESERVED_SUFFIXES = (
    ".test",
    ".example",
    ".invalid",
    ".onion",
    "example.com",
    "example.net",
    "example.org",
)
ALLOWED_NETS = [
    ipaddress.ip_network(n)
    for n in ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24", "198.18.0.0/15", "2001:db8::/32")
]
_URL_HOST = re.compile(rb"(?:https?|ftp|HTTPS?)://([^/\s\"'<>?#:\\]+)", re.IGNORECASE)
_EMAIL_DOMAIN = re.compile(rb"[A-Za-z0-9._%+-]+@([A-Za-z0-9.-]+\.[A-Za-z]{2,})")
_HOST_HEADER = re.compile(rb"^Host: (\S+)\r$", re.MULTILINE)
# Real top-level domains that a careless generator would leak (".com" alone: example.com ok).
_REAL_TLD = re.compile(
    rb"\b[a-z0-9-]+(?:\.[a-z0-9-]+)*\.(?:com|net|org|ru|kz|jp|io|de|uk|info|biz|me|cc|to|su)\b"
)
_IPV4 = re.compile(rb"(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?![\d.])")
_IPV6 = re.compile(rb"(?<![0-9A-Za-z:])[0-9a-fA-F]{1,4}(?::[0-9a-fA-F]{0,4}){2,7}(?![0-9A-Za-z:])")


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("world")
    generate(2013, "small", out)
    return out


@pytest.fixture(scope="module")
def truth(world: Path) -> dict[str, Any]:
    document: dict[str, Any] = orjson.loads((world / "truth.json").read_bytes())
    return document


def _digests(folder: Path) -> dict[str, str]:
    return {
        str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def test_same_seed_gives_identical_files_and_another_seed_does_not(
    world: Path, tmp_path: Path
) -> None:
    again = tmp_path / "again"
    generate(2013, "small", again)
    first, second = _digests(world), _digests(again)
    assert len(first) >= 9
    assert first == second
    other = tmp_path / "other"
    generate(2014, "small", other)
    different = _digests(other)
    assert different.keys() == first.keys()
    assert all(different[name] != first[name] for name in ("reports.csv", "truth.json"))


def _warc_records(world: Path) -> Iterator[Any]:
    for path in sorted((world / "captures").glob("*.warc.gz")):
        with path.open("rb") as stream:
            yield from ArchiveIterator(stream)


def _text_blobs(world: Path) -> Iterator[tuple[str, bytes]]:
    """Every text the world holds; WARC payloads that are images are left out (binary)."""
    for path in sorted(world.rglob("*")):
        if path.suffix in {".csv", ".jsonl", ".json"}:
            yield path.name, path.read_bytes()
    for path in sorted((world / "captures").glob("*.warc.gz")):
        with path.open("rb") as stream:
            for record in ArchiveIterator(stream):
                head = record.rec_headers.to_str().encode()
                if record.http_headers is not None:
                    head += record.http_headers.to_str().encode()
                payload = record.content_stream().read()
                content_type = (
                    record.http_headers.get_header("Content-Type", "")
                    if record.http_headers
                    else ""
                )
                if not content_type.startswith("image/"):
                    head += payload
                yield path.name, head


def test_every_name_is_reserved_and_every_address_documentation(world: Path) -> None:
    hosts: set[str] = set()
    addresses: set[str] = set()
    leaks: set[bytes] = set()
    for _, blob in _text_blobs(world):
        for pattern in (_URL_HOST, _EMAIL_DOMAIN, _HOST_HEADER):
            hosts.update(m.decode().lower().rstrip(".") for m in pattern.findall(blob))
        leaks.update(_REAL_TLD.findall(blob.lower()))
        addresses.update(m.decode() for m in _IPV4.findall(blob))
        for candidate in _IPV6.findall(blob):
            try:
                ipaddress.IPv6Address(candidate.decode())
            except ValueError:
                continue
            addresses.add(candidate.decode())
    truth = orjson.loads((world / "truth.json").read_bytes())
    hosts.update(truth["sites"])
    for line in (world / "pdns.jsonl").read_bytes().splitlines():
        record = orjson.loads(line)
        hosts.add(record["rrname"].rstrip("."))
        if record["rrtype"] in ("NS", "CNAME"):
            values = record["rdata"] if isinstance(record["rdata"], list) else [record["rdata"]]
            hosts.update(value.rstrip(".") for value in values)
    assert len(hosts) > 500
    assert len(addresses) > 100
    bad_hosts = {h for h in hosts if not h.endswith(RESERVED_SUFFIXES)}
    # Real-TLD-looking tokens are fine only as parts of reserved names (example.com).
    bad_tokens = {
        t for t in leaks if not t.decode().endswith(("example.com", "example.net", "example.org"))
    }
    bad_ips = {a for a in addresses if not any(ipaddress.ip_address(a) in n for n in ALLOWED_NETS)}
    assert not bad_hosts, sorted(bad_hosts)[:20]
    assert not bad_tokens, sorted(bad_tokens)[:20]
    assert not bad_ips, sorted(bad_ips)[:20]


def test_geoip_databases_cover_only_documentation_ranges(world: Path) -> None:
    for name in ("country.mmdb", "asn.mmdb"):
        with maxminddb.open_database(str(world / "geoip" / name)) as reader:
            networks = [network for network, _ in reader]
            assert reader.metadata().database_type in ("GeoLite2-Country", "GeoLite2-ASN")
        assert networks
        for network in networks:
            if network.version == 6 and network.subnet_of(ipaddress.ip_network("::/96")):
                continue  # the IPv4 space inside an IPv6 database; checked as IPv4 below
            assert any(
                network.subnet_of(allowed)
                for allowed in ALLOWED_NETS
                if allowed.version == network.version
            ), network


def test_warc_files_read_back_with_warcio(world: Path) -> None:
    types: Counter[str] = Counter()
    statuses: Counter[str] = Counter()
    referers = locations = images = favicons = 0
    responses_without_ip = []
    for record in _warc_records(world):
        types[record.rec_type] += 1
        if record.rec_type == "response":
            statuses[record.http_headers.get_statuscode()] += 1
            payload = record.content_stream().read()
            assert record.rec_headers.get_header("WARC-Payload-Digest").startswith("sha1:")
            content_type = record.http_headers.get_header("Content-Type")
            if content_type == "image/png":
                assert payload.startswith(b"\x89PNG\r\n\x1a\n")
                images += 1
                favicons += record.rec_headers.get_header("WARC-Target-URI").endswith(
                    "/favicon.ico"
                )
            if record.http_headers.get_header("Location"):
                locations += 1
            uri = record.rec_headers.get_header("WARC-Target-URI")
            if record.rec_headers.get_header("WARC-IP-Address") is None and ".onion/" not in uri:
                responses_without_ip.append(uri)
        if record.rec_type == "request" and record.http_headers.get_header("Referer"):
            referers += 1
    assert types["warcinfo"] == 3
    assert types["request"] == types["response"] > 1000
    assert statuses["200"] > 1000
    assert statuses["302"] > 0
    assert locations == statuses["302"]
    assert referers > 100
    assert images > 500
    assert favicons > 50
    assert not responses_without_ip


def test_every_ip_used_is_in_the_generated_mmdb_files(world: Path, truth: dict[str, Any]) -> None:
    used: set[str] = set()
    for record in _warc_records(world):
        if record.rec_type == "response" and record.rec_headers.get_header("WARC-IP-Address"):
            used.add(record.rec_headers.get_header("WARC-IP-Address"))
    for line in (world / "pdns.jsonl").read_bytes().splitlines():
        record = orjson.loads(line)
        if record["rrtype"] in ("A", "AAAA"):
            used.update(record["rdata"] if isinstance(record["rdata"], list) else [record["rdata"]])
    assert any(":" in ip for ip in used)
    assert len(used) > 200
    with (
        maxminddb.open_database(str(world / "geoip" / "country.mmdb")) as countries,
        maxminddb.open_database(str(world / "geoip" / "asn.mmdb")) as asns,
    ):
        for ip in sorted(used):
            country: Any = countries.get(ip)
            asn: Any = asns.get(ip)
            assert isinstance(country, dict), ip
            assert isinstance(asn, dict), ip
            assert country["country"]["iso_code"] in COUNTRIES
            assert isinstance(asn["autonomous_system_number"], int)
        for site, entry in truth["sites"].items():
            if entry["ip"] is None:
                continue
            found = asns.get(entry["ip"])
            assert isinstance(found, dict), site
            assert found["autonomous_system_number"] == entry["asn"], site


def test_current_hosting_in_pdns_and_mmdb_matches_the_truth(
    world: Path, truth: dict[str, Any]
) -> None:
    """What the hosting stage must reproduce is reproducible: the latest A record of each site
    geolocates to its truth country, unless the site is behind the CDN or an onion service."""
    latest: dict[str, tuple[int, str]] = {}
    for line in (world / "pdns.jsonl").read_bytes().splitlines():
        record = orjson.loads(line)
        if record["rrtype"] != "A":
            continue
        name = record["rrname"].rstrip(".")
        site = name[4:] if name.startswith("www.") else name
        ip = record["rdata"][0] if isinstance(record["rdata"], list) else record["rdata"]
        if site not in latest or record["time_last"] > latest[site][0]:
            latest[site] = (record["time_last"], ip)
    labels: Counter[str] = Counter()
    with maxminddb.open_database(str(world / "geoip" / "country.mmdb")) as countries:
        for site, entry in truth["sites"].items():
            labels[entry["hosting_country"]] += 1
            if entry["hosting_country"] == ONION:
                assert site.endswith(".onion")
                assert site not in latest
                continue
            found: Any = countries.get(latest[site][1])
            assert isinstance(found, dict)
            if entry["hosting_country"] == BEHIND_CDN:
                assert entry["behind_cdn"]
                assert entry["asn"] == 64496
            else:
                assert found["country"]["iso_code"] == entry["hosting_country"], site
    assert set(COUNTRIES) <= set(labels)  # all 18 hosting countries are present
    assert labels[BEHIND_CDN] > 0
    assert labels[ONION] > 0


def test_small_world_has_the_shape_of_the_2013_assessment(truth: dict[str, Any]) -> None:
    urls, brands, sites = truth["urls"], truth["brands"], truth["sites"]
    assert 1_000 <= len(urls) <= 1_500
    assert len(truth["distributors"]) == 8
    assert 60 <= len(brands) <= 100
    owner = {brand["id"]: brand["distributor"] for brand in brands}
    per_brand: Counter[str] = Counter()
    for entry in sites.values():
        if entry["brand"]:
            per_brand[entry["brand"]] += entry["urls"]
    assert {owner[brand] for brand, _ in per_brand.most_common(10)} == {"D01"}
    brands_per_distributor = Counter(owner.values())
    assert brands_per_distributor.most_common(1)[0][1] >= 3 * min(brands_per_distributor.values())
    roles = Counter(entry["role"] for entry in sites.values())
    assert roles["brand"] > 100
    assert roles["noise"] > 20
    assert roles["gateway"] > 0
    assert roles["mirror"] > 0
    hopping = Counter(entry["brand"] for entry in sites.values() if entry["role"] == "brand")
    assert max(hopping.values()) >= 8  # brands hop across many domains
    shares = Counter(entry["hosting_country"] for entry in urls.values())
    assert shares.most_common(1)[0][0] == "US"
    assert len(truth["bad_rows"]) / truth["meta"]["counts"]["reports"] == pytest.approx(
        0.03, abs=0.015
    )


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_other_seeds_keep_the_top_ten_brands_in_one_distributor(seed: int, tmp_path: Path) -> None:
    generate(seed, "small", tmp_path, captures=False)
    truth = orjson.loads((tmp_path / "truth.json").read_bytes())
    owner = {brand["id"]: brand["distributor"] for brand in truth["brands"]}
    per_brand: Counter[str] = Counter()
    for entry in truth["sites"].values():
        if entry["brand"]:
            per_brand[entry["brand"]] += entry["urls"]
    assert len({owner[brand] for brand, _ in per_brand.most_common(10)}) == 1
    assert {e["hosting_country"] for e in truth["sites"].values()} >= set(COUNTRIES)


def test_onions_and_payment_addresses_are_valid(truth: dict[str, Any]) -> None:
    onions = [site for site in truth["sites"] if site.endswith(".onion")]
    assert onions
    assert all(onion_v3_error(site.removesuffix(".onion")) is None for site in onions)
    assert len(truth["payment_addresses"]) >= 8
    bitcoin = [a for a in truth["payment_addresses"] if ":" not in a]
    for address in truth["payment_addresses"]:
        if ":" in address:  # another coin's, "XMR:4…" as the selector is stored
            coin, plain = address.split(":", 1)
            assert classify_altcoin(plain) == (coin, plain), address
            continue
        info = classify_bitcoin_address(address)
        assert info is not None, address
        assert info.network == "main", address
    kinds = {classify_bitcoin_address(a).type for a in bitcoin}  # type: ignore[union-attr]
    assert kinds >= {"p2pkh", "p2wpkh"} or len(kinds) >= 3


def test_truth_urls_are_canonical_and_belong_to_their_site(truth: dict[str, Any]) -> None:
    for url, entry in truth["urls"].items():
        canonical = canonicalize(url)
        assert not isinstance(canonical, tuple) or hasattr(canonical, "url"), url
        assert canonical.url == url  # type: ignore[union-attr]
        assert canonical.site == entry["site"]  # type: ignore[union-attr]
        assert entry["site"] in truth["sites"]


def _components_by_distributor(
    world: Path, truth: dict[str, Any], kinds: frozenset[str] | None
) -> int:
    """How many components hold sites of two or more distributors."""
    components = connected_components(read_selector_dump(world / "selectors.jsonl"), kinds)
    members: defaultdict[str, set[str]] = defaultdict(set)
    for site, component in components.items():
        distributor = truth["sites"][site]["distributor"]
        if distributor:
            members[component].add(distributor)
    return sum(1 for owners in members.values() if len(owners) > 1)


def test_hard_negatives_make_naive_linking_merge_distributors(
    world: Path, truth: dict[str, Any]
) -> None:
    assert _components_by_distributor(world, truth, None) >= 1
    # Each hard negative bites on its own: shared/CDN addresses, popular nameservers, the
    # template kit's default analytics id, the big processor's host.
    for kind in ("ip", "nameserver", "analytics", "payment_host"):
        assert _components_by_distributor(world, truth, frozenset({kind})) >= 1, kind


def test_strong_selectors_never_cross_distributors_and_noise_has_none(
    world: Path, truth: dict[str, Any]
) -> None:
    """The world is attributable: merchant ids, payment addresses and affiliate ids each
    belong to one distributor, and non-commercial sites carry none of them."""
    owners: defaultdict[tuple[str, str], set[str | None]] = defaultdict(set)
    for site, kind, value in read_selector_dump(world / "selectors.jsonl"):
        if kind in ("merchant_id", "btc_address", "affiliate"):
            owners[(kind, value)].add(truth["sites"][site]["distributor"])
    assert len(owners) > 20
    assert all(len(o) == 1 and None not in o for o in owners.values()), owners
    commercial = {
        s for s, e in truth["sites"].items() if e["commercial"] and e["role"] != "gateway"
    }
    with_strong = {
        s
        for s, k, _ in read_selector_dump(world / "selectors.jsonl")
        if k in ("merchant_id", "btc_address", "affiliate", "analytics")
    }
    assert commercial <= with_strong


def test_reports_ingest_to_exactly_the_truth(
    world: Path, truth: dict[str, Any], engine: Engine
) -> None:
    summary = ReportImporter(engine).ingest(world / "reports.csv")
    with engine.connect() as connection:
        urls = set(connection.scalars(select(Url.canonical)))
        sites = set(connection.scalars(select(Site.key)))
        lines = sorted(connection.scalars(select(QuarantineEntry.line)))
    assert urls == set(truth["urls"])
    assert sites == set(truth["sites"])
    assert lines == [row["line"] for row in truth["bad_rows"]]
    assert summary.rejected == len(truth["bad_rows"])


def test_pdns_lines_follow_the_common_output_format(world: Path) -> None:
    types: Counter[str] = Counter()
    for line in (world / "pdns.jsonl").read_bytes().splitlines():
        record = orjson.loads(line)
        assert {"rrname", "rrtype", "rdata", "time_first", "time_last"} <= record.keys()
        assert isinstance(record["time_first"], int)
        assert record["time_first"] <= record["time_last"]
        types[record["rrtype"]] += 1
    assert types["A"] > 300
    assert types["AAAA"] > 0
    assert types["NS"] > 100
    assert types["CNAME"] > 0


def test_selector_dump_matches_what_the_captures_show(world: Path) -> None:
    """Every payment address and merchant id in the dump is in a captured page of its site."""
    pages: defaultdict[str, bytearray] = defaultdict(bytearray)
    for record in _warc_records(world):
        if record.rec_type == "response":
            uri = record.rec_headers.get_header("WARC-Target-URI")
            host = uri.split("/")[2]
            pages[host.removeprefix("www.")] += record.content_stream().read()
    checked = 0
    for site, kind, value in read_selector_dump(world / "selectors.jsonl"):
        if kind == "btc_address" or kind == "analytics":
            shown = value.removeprefix("ym:")
            assert shown.encode() in pages[site], (site, value)
            checked += 1
        elif kind == "merchant_id":
            assert value.split("|")[1].encode() in pages[site], (site, value)
            checked += 1
    assert checked > 200


def test_gzip_members_are_reproducible_without_timestamps(world: Path) -> None:
    data = next((world / "captures").glob("*.warc.gz")).read_bytes()
    assert data[:2] == b"\x1f\x8b"
    assert data[4:8] == b"\x00\x00\x00\x00"
    assert gzip.decompress(data).startswith(b"WARC/1.1\r\n")


def test_baseline_leaves_sites_that_share_nothing_unattributed() -> None:
    links = [("a.test", "k", "1"), ("b.test", "k", "2"), ("c.test", "k", "1"), ("d.test", "x", "9")]
    attribution = baseline_attribution(links)
    assert attribution.distributor == {
        "a.test": "a.test",
        "c.test": "a.test",
        "b.test": None,
        "d.test": None,
    }
    assert attribution.brand == attribution.distributor


def test_cdn_sites_have_valid_dns_shapes(world: Path, truth: dict[str, Any]) -> None:
    """No name holds both a CNAME and addresses; CDN sub-hosts point at an edge name."""
    types: defaultdict[str, set[str]] = defaultdict(set)
    for line in (world / "pdns.jsonl").read_bytes().splitlines():
        record = orjson.loads(line)
        types[record["rrname"].rstrip(".")].add(record["rrtype"])
    assert not [name for name, kinds in types.items() if "CNAME" in kinds and kinds & {"A", "AAAA"}]
    cdn_sites = [site for site, entry in truth["sites"].items() if entry["behind_cdn"]]
    assert cdn_sites
    assert any("CNAME" in kinds for kinds in types.values())
