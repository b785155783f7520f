"""MaxMind DB files for the synthetic address space, in the GeoLite2-Country and -ASN schemas.

Written with ``mmdb-writer`` so that any MaxMind DB reader (``maxminddb``, libmaxminddb,
GeoIP2 clients) reads them as it reads GeoLite2. The build time in the metadata is fixed to
the world's end date: the same seed must give the same bytes.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from mmdb_writer import MMDBWriter
from netaddr import IPSet

from hotline.synth.hosting import Provider

_COUNTRY_NAMES = {
    "US": "United States", "RU": "Russia", "KZ": "Kazakhstan", "JP": "Japan",
    "NL": "Netherlands", "DE": "Germany", "CA": "Canada", "FR": "France", "UA": "Ukraine",
    "RO": "Romania", "BG": "Bulgaria", "SE": "Sweden", "GB": "United Kingdom", "PL": "Poland",
    "CZ": "Czechia", "HK": "Hong Kong", "SG": "Singapore", "LV": "Latvia",
}  # fmt: skip
_CONTINENTS = {
    "US": "NA", "CA": "NA", "JP": "AS", "KZ": "AS", "HK": "AS", "SG": "AS",
}  # fmt: skip


class _FixedTimeWriter(MMDBWriter):
    def __init__(self, build_epoch: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._epoch = build_epoch

    def _build_meta(self) -> dict[str, Any]:
        meta = super()._build_meta()
        meta["build_epoch"] = self._epoch
        return meta


def _writer(epoch: int, database_type: str, what: str) -> _FixedTimeWriter:
    # An IPv6 tree with IPv4 inside (::a.b.c.d), as GeoLite2 files are.
    return _FixedTimeWriter(
        epoch,
        ip_version=6,
        ipv4_compatible=True,
        database_type=database_type,
        languages=["en"],
        description=f"hotline synthetic world: {what}",
    )


def write_geoip(out_dir: Path, providers: list[Provider], built: datetime) -> tuple[Path, Path]:
    """Write ``country.mmdb`` and ``asn.mmdb`` covering every provider's IPv4 and IPv6 blocks."""
    out_dir.mkdir(parents=True, exist_ok=True)
    epoch = int(built.timestamp())
    country = _writer(epoch, "GeoLite2-Country", "countries (documentation address ranges only)")
    asn = _writer(epoch, "GeoLite2-ASN", "autonomous systems (private-use ASNs only)")
    for provider in providers:
        networks = IPSet([*provider.networks, provider.network6])
        code = provider.country
        country.insert_network(
            networks,
            {
                "country": {
                    "iso_code": code,
                    "names": {"en": _COUNTRY_NAMES.get(code, code)},
                },
                "continent": {"code": _CONTINENTS.get(code, "EU")},
            },
        )
        asn.insert_network(
            networks,
            {
                "autonomous_system_number": provider.asn,
                "autonomous_system_organization": provider.name,
            },
        )
    country_path, asn_path = out_dir / "country.mmdb", out_dir / "asn.mmdb"
    country.to_db_file(str(country_path))
    asn.to_db_file(str(asn_path))
    return country_path, asn_path
