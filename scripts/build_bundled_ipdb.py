"""Rebuild the bundled offline IP databases from the ip-location-db npm packages.

The default install must answer "which country, which AS" with no network, and no PyPI
package ships IP→ASN *numbers* (geoip2fast ships AS names only). The sapics/ip-location-db
project publishes both on the npm registry under open licences:

* ``@ip-location-db/geo-whois-asn-country-mmdb`` (CC0-1.0 package licence; data CC BY 4.0
  by NRO): used as-is, schema ``{"country_code": "US"}``;
* ``@ip-location-db/asn`` (CSV; CC BY 4.0, RouteViews + DB-IP): converted here into the
  GeoLite2-ASN schema (``autonomous_system_number``, ``autonomous_system_organization``).

Usage (needs only the npm registry)::

    npm pack @ip-location-db/geo-whois-asn-country-mmdb @ip-location-db/asn
    python scripts/build_bundled_ipdb.py ip-location-db-geo-whois-asn-country-mmdb-*.tgz \
        ip-location-db-asn-*.tgz

It writes ``src/hotline/hosting/data/country.mmdb.xz`` and ``asn.mmdb.xz`` and prints the
versions to record in ``docs/dependencies.md``.
"""

from __future__ import annotations

import csv
import io
import json
import lzma
import sys
import tarfile
import tempfile
from pathlib import Path

from mmdb_writer import MMDBWriter
from netaddr import IPSet, iprange_to_cidrs

DATA = Path(__file__).resolve().parents[1] / "src" / "hotline" / "hosting" / "data"


def _member(tar: tarfile.TarFile, name: str) -> bytes:
    handle = tar.extractfile(f"package/{name}")
    if handle is None:
        raise SystemExit(f"{name} missing from the package")
    return handle.read()


def _version(tar: tarfile.TarFile) -> str:
    return str(json.loads(_member(tar, "package.json"))["version"])


def _write_xz(data: bytes, name: str) -> None:
    (DATA / name).write_bytes(lzma.compress(data, preset=9 | lzma.PRESET_EXTREME))
    print(f"{name}: {len(data):,} bytes, {(DATA / name).stat().st_size:,} compressed")


def build_country(package: Path) -> str:
    with tarfile.open(package) as tar:
        _write_xz(_member(tar, "geo-whois-asn-country.mmdb"), "country.mmdb.xz")
        return _version(tar)


def build_asn(package: Path) -> str:
    writer = MMDBWriter(
        ip_version=6,
        ipv4_compatible=True,
        database_type="GeoLite2-ASN",
        languages=["en"],
        description={"en": "ip-location-db asn (RouteViews + DB-IP, CC BY 4.0)"},
    )
    with tarfile.open(package) as tar:
        version = _version(tar)
        for name in ("asn-ipv4.csv", "asn-ipv6.csv"):
            rows = csv.reader(io.StringIO(_member(tar, name).decode("utf-8")))
            for count, (first, last, number, organisation) in enumerate(rows):
                networks = IPSet(iprange_to_cidrs(first, last))
                record = {
                    "autonomous_system_number": int(number),
                    "autonomous_system_organization": organisation,
                }
                writer.insert_network(networks, record)
                if count % 50_000 == 0:
                    print(f"  {name}: {count:,} ranges", flush=True)
    with tempfile.TemporaryDirectory() as scratch:
        target = Path(scratch) / "asn.mmdb"
        writer.to_db_file(str(target))
        _write_xz(target.read_bytes(), "asn.mmdb.xz")
    return version


def main(country_package: str, asn_package: str) -> None:
    DATA.mkdir(parents=True, exist_ok=True)
    print("country package", build_country(Path(country_package)))
    print("asn package", build_asn(Path(asn_package)))


if __name__ == "__main__":
    main(*sys.argv[1:3])
