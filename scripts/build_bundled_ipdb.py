"""Rebuild the bundled offline IP databases from the ip-location-db npm packages.

The default install must answer "which country, which AS" with no network, and no PyPI
package ships IP→ASN *numbers* (geoip2fast ships AS names only). The sapics/ip-location-db
project publishes both on the npm registry under open licences:

* ``@ip-location-db/geo-whois-asn-country`` (CSV; CC0-1.0 package licence, data CC BY 4.0 by
  the NRO): geofeeds, then RIR whois, then the announcing AS's country. Written here into
  the schema ``{"country_code": "US"}``, with one correction (below).
* ``@ip-location-db/asn-country`` (CSV; same licences): the country of each RIR delegation.
  Used only for that correction.
* ``@ip-location-db/asn`` (CSV; CC BY 4.0, RouteViews + DB-IP): converted here into the
  GeoLite2-ASN schema (``autonomous_system_number``, ``autonomous_system_organization``).

The correction. APNIC's public whois data covers its IPv6 space with registry-level
objects whose country is AU (APNIC's seat); where no holder's own object is in that data
(the space run by the national registries JPNIC, CNNIC, KRNIC, TWNIC, IDNIC, VNNIC, IRINN,
and many small direct assignments), the upstream file inherits AU. 2001:200::/32 (WIDE,
Japan) and 2001:250::/32 (CERNET, China) come out as Australia. A genuine AU record — a
holder's whois object or geofeed — lies inside one delegation; a registry-level object
runs across many. So in APNIC's IPv6 space an AU range that no single delegation contains
is replaced, piece by piece, by the country of the delegation each piece lies in, and
dropped where nothing is delegated. IPv4 data does not show the defect (an AU answer for
space delegated to another country is 0.04 % of APNIC's IPv4 space, and those ranges are
geofeeds of Sydney data centres), so it is used as published. APNIC's space is read from
hotline's IANA bootstrap snapshot (``src/hotline/hosting/data/rdap-bootstrap-ipv6.json``).

Usage (needs only the npm registry)::

    npm pack @ip-location-db/geo-whois-asn-country @ip-location-db/asn-country \
        @ip-location-db/asn
    python scripts/build_bundled_ipdb.py \
        --country ip-location-db-geo-whois-asn-country-*.tgz \
        --delegations ip-location-db-asn-country-*.tgz \
        --asn ip-location-db-asn-2*.tgz

Either part may be rebuilt alone (``--country`` with ``--delegations``, or ``--asn``). It
writes ``src/hotline/hosting/data/country.mmdb.xz`` and/or ``asn.mmdb.xz`` (byte-identical
for the same packages: the build time recorded is the data's version date) and prints the
versions and counts to record in ``docs/dependencies.md``.
"""

from __future__ import annotations

import argparse
import bisect
import csv
import io
import ipaddress
import itertools
import json
import lzma
import tarfile
import tempfile
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from mmdb_writer import MMDBWriter
from netaddr import IPAddress, IPSet, iprange_to_cidrs

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "src" / "hotline" / "hosting" / "data"

Range = tuple[int, int, str]  # first address, last address (inclusive), value


class _PinnedWriter(MMDBWriter):
    """An MMDBWriter that records a given build time instead of the clock's."""

    def __init__(self, build_epoch: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._epoch = build_epoch

    def _build_meta(self) -> dict[str, Any]:
        meta = super()._build_meta()
        meta["build_epoch"] = self._epoch
        return meta


def _member(tar: tarfile.TarFile, name: str) -> bytes:
    handle = tar.extractfile(f"package/{name}")
    if handle is None:
        raise SystemExit(f"{name} missing from the package")
    return handle.read()


def _version(tar: tarfile.TarFile) -> str:
    return str(json.loads(_member(tar, "package.json"))["version"])


def _epoch(version: str) -> int:
    """ip-location-db versions end in the data's date and hour: 2.3.2026061719."""
    stamp = version.rsplit(".", 1)[-1]
    return int(datetime.strptime(stamp[:10], "%Y%m%d%H").replace(tzinfo=UTC).timestamp())


def _write_xz(data: bytes, name: str) -> None:
    (DATA / name).write_bytes(lzma.compress(data, preset=9 | lzma.PRESET_EXTREME))
    print(f"{name}: {len(data):,} bytes, {(DATA / name).stat().st_size:,} compressed")


def read_ranges(text: str) -> list[Range]:
    """``first,last,country`` lines (addresses as text) → sorted, disjoint ranges of integers."""
    rows = [
        (int(ipaddress.ip_address(first)), int(ipaddress.ip_address(last)), value)
        for first, last, value, *_ in csv.reader(io.StringIO(text))
    ]
    return flatten(rows)


def flatten(rows: list[Range]) -> list[Range]:
    """Disjoint ranges from overlapping ones: where ranges overlap, the smallest one holds
    (of equal ones, the later line), as a more specific network does in a MaxMind DB.

    The upstream CSV nests some ranges (a /32 geofeed entry inside its provider's /23).
    """
    order = sorted(range(len(rows)), key=lambda i: (rows[i][0], i))
    out: list[Range] = []
    cluster: list[int] = []
    reach = -1
    for i in [*order, -1]:
        if i != -1 and rows[i][0] <= reach:
            cluster.append(i)
            reach = max(reach, rows[i][1])
            continue
        if len(cluster) == 1:
            out.append(rows[cluster[0]])
        elif cluster:
            out.extend(_resolve(rows, cluster))
        if i != -1:
            cluster, reach = [i], rows[i][1]
    return out


def _resolve(rows: list[Range], cluster: list[int]) -> list[Range]:
    edges = sorted({rows[i][0] for i in cluster} | {rows[i][1] + 1 for i in cluster})
    out: list[Range] = []
    for low, high in itertools.pairwise(edges):
        holders = [i for i in cluster if rows[i][0] <= low and high - 1 <= rows[i][1]]
        if not holders:
            continue
        best = min(holders, key=lambda i: (rows[i][1] - rows[i][0], -i))
        value = rows[best][2]
        if out and out[-1][2] == value and out[-1][1] + 1 == low:
            out[-1] = (out[-1][0], high - 1, value)
        else:
            out.append((low, high - 1, value))
    return out


def cut(first: int, last: int, ranges: list[Range], starts: list[int]) -> Iterator[Range]:
    """``[first, last]`` in pieces: each piece with the value of the range it lies in, or
    ``""`` where it lies in none. ``ranges`` are sorted and disjoint, ``starts`` their firsts."""
    index = max(bisect.bisect_right(starts, first) - 1, 0)
    position = first
    while position <= last:
        while index < len(ranges) and ranges[index][1] < position:
            index += 1
        if index == len(ranges) or ranges[index][0] > last:
            yield position, last, ""
            return
        start, end, value = ranges[index]
        if start > position:
            yield position, start - 1, ""
            position = start
            continue
        stop = min(end, last)
        yield position, stop, value
        position = stop + 1


def correct_placeholders(
    rows: list[Range], delegations: list[Range], registry: list[Range], placeholder: str
) -> tuple[list[Range], int]:
    """Replace a registry-level ``placeholder`` country inside ``registry`` space.

    A ``placeholder`` row that no single delegation contains is split: pieces in the
    registry's space take their delegation's country (and are dropped where nothing is
    delegated); pieces outside it are kept. Returns the rows (sorted, adjacent rows of one
    country merged) and the number of addresses that changed country.
    """
    starts = [row[0] for row in delegations]
    registry_starts = [row[0] for row in registry]
    out: list[Range] = []
    changed = 0
    for first, last, country in rows:
        if country != placeholder:
            out.append((first, last, country))
            continue
        holders = list(cut(first, last, delegations, starts))
        if len(holders) == 1 and holders[0][2]:  # inside one delegation: a holder's own record
            out.append((first, last, country))
            continue
        for low, high, inside in cut(first, last, registry, registry_starts):
            if not inside:
                out.append((low, high, country))
                continue
            for piece_first, piece_last, delegated in cut(low, high, delegations, starts):
                if delegated != country:
                    changed += piece_last - piece_first + 1
                if delegated:
                    out.append((piece_first, piece_last, delegated))
    merged: list[Range] = []
    for first, last, country in out:
        if merged and merged[-1][2] == country and merged[-1][1] + 1 == first:
            merged[-1] = (merged[-1][0], last, country)
        else:
            merged.append((first, last, country))
    return merged, changed


def registry_space(registry: str, version: int) -> list[Range]:
    """The address space IANA gave ``registry`` (e.g. "apnic"), from the bootstrap snapshot."""
    document = json.loads((DATA / f"rdap-bootstrap-ipv{version}.json").read_text())
    networks = [
        ipaddress.ip_network(prefix)
        for prefixes, urls in document["services"]
        if any(f".{registry}." in url for url in urls)
        for prefix in prefixes
    ]
    spans = sorted((int(n.network_address), int(n.broadcast_address), registry) for n in networks)
    if not spans:
        raise SystemExit(f"no {registry} space in the IPv{version} bootstrap snapshot")
    return spans


def _networks(first: int, last: int, version: int) -> IPSet:
    return IPSet(iprange_to_cidrs(IPAddress(first, version), IPAddress(last, version)))


def build_country(package: Path, delegation_package: Path) -> str:
    with tarfile.open(package) as tar:
        version = _version(tar)
        v4 = read_ranges(_member(tar, "geo-whois-asn-country-ipv4.csv").decode())
        v6 = read_ranges(_member(tar, "geo-whois-asn-country-ipv6.csv").decode())
    with tarfile.open(delegation_package) as tar:
        delegation_version = _version(tar)
        delegated_v6 = read_ranges(_member(tar, "asn-country-ipv6.csv").decode())
    v6, changed = correct_placeholders(v6, delegated_v6, registry_space("apnic", 6), "AU")
    print(f"  APNIC IPv6 placeholder AU: {changed / 2**80:,.0f} /48s given their delegation's")
    writer = _PinnedWriter(
        _epoch(version),
        ip_version=6,
        ipv4_compatible=True,
        database_type="ip-location-db-geo-whois-asn-country",
        languages=["en"],
        description={
            "en": f"ip-location-db geo-whois-asn-country {version} (NRO, CC BY 4.0); "
            f"APNIC IPv6 registry-level AU replaced by asn-country {delegation_version}"
        },
    )
    for version_number, rows in ((4, v4), (6, v6)):
        for count, (first, last, country) in enumerate(rows):
            writer.insert_network(_networks(first, last, version_number), {"country_code": country})
            if count % 100_000 == 0:
                print(f"  IPv{version_number}: {count:,} of {len(rows):,} ranges", flush=True)
    _write(writer, "country.mmdb.xz")
    return f"{version} (delegations {delegation_version})"


def _write(writer: MMDBWriter, name: str) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        target = Path(scratch) / "out.mmdb"
        writer.to_db_file(str(target))
        _write_xz(target.read_bytes(), name)


def _asn_rows(tar: tarfile.TarFile, names: Iterable[str]) -> Iterator[tuple[str, list[str]]]:
    for name in names:
        yield from ((name, row) for row in csv.reader(io.StringIO(_member(tar, name).decode())))


def build_asn(package: Path) -> str:
    with tarfile.open(package) as tar:
        version = _version(tar)
        writer = _PinnedWriter(
            _epoch(version),
            ip_version=6,
            ipv4_compatible=True,
            database_type="GeoLite2-ASN",
            languages=["en"],
            description={"en": "ip-location-db asn (RouteViews + DB-IP, CC BY 4.0)"},
        )
        for count, (name, (first, last, number, organisation)) in enumerate(
            _asn_rows(tar, ("asn-ipv4.csv", "asn-ipv6.csv"))
        ):
            networks = IPSet(iprange_to_cidrs(first, last))
            record = {
                "autonomous_system_number": int(number),
                "autonomous_system_organization": organisation,
            }
            writer.insert_network(networks, record)
            if count % 50_000 == 0:
                print(f"  {name}: {count:,} ranges", flush=True)
    _write(writer, "asn.mmdb.xz")
    return version


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--country", type=Path, help="geo-whois-asn-country package (.tgz)")
    parser.add_argument("--delegations", type=Path, help="asn-country package (.tgz)")
    parser.add_argument("--asn", type=Path, help="asn package (.tgz)")
    options = parser.parse_args(argv)
    if options.country is None and options.asn is None:
        parser.error("give --country (with --delegations) and/or --asn")
    if options.country is not None and options.delegations is None:
        parser.error("--country needs --delegations")
    DATA.mkdir(parents=True, exist_ok=True)
    if options.country is not None:
        print("country package", build_country(options.country, options.delegations))
    if options.asn is not None:
        print("asn package", build_asn(options.asn))


if __name__ == "__main__":
    main()
