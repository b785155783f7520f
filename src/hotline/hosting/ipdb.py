"""IP address → country, AS number and AS organisation, through MaxMind DB (``.mmdb``) files.

Readers differ in schema, not in format: GeoLite2/GeoIP2 and DB-IP Lite put the country in
``country.iso_code`` and the AS in ``autonomous_system_number``/``_organization``; IPinfo Lite
uses ``country_code``, ``asn`` ("AS15169") and ``as_name``; ip-location-db (our bundled
default) uses ``country_code``. One record decoder reads them all, so an analyst can point
``--geoip-db``/``--asn-db`` at whichever file their organisation licenses.

The batch path is what makes enrichment fast: addresses are deduplicated and sorted, and one
``get_with_prefix_len`` answers every following address inside the same network, so a /24
full of shared-hosting addresses costs one tree walk rather than 256.
"""

from __future__ import annotations

import hashlib
import ipaddress
import lzma
import os
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import maxminddb
from maxminddb.errors import InvalidDatabaseError

_OCTETS = frozenset(str(n) for n in range(256))  # canonical decimal octets
_MISSING = object()


class IpDatabaseError(Exception):
    """A database file that cannot be used; the message names the file and what is wrong."""


@dataclass(frozen=True, slots=True)
class IpFacts:
    country: str | None  # ISO 3166-1 alpha-2, or None when no database knows the address
    asn: int | None
    as_org: str | None


NOTHING = IpFacts(None, None, None)


def _country_of(record: Mapping[str, Any]) -> str | None:
    country = record.get("country")
    if isinstance(country, Mapping):
        code = country.get("iso_code")
        if isinstance(code, str) and code:
            return code.upper()
    for key in ("country_code", "iso_code"):
        code = record.get(key)
        if isinstance(code, str) and len(code) == 2:
            return code.upper()
    registered = record.get("registered_country")
    if isinstance(registered, Mapping):
        code = registered.get("iso_code")
        if isinstance(code, str) and code:
            return code.upper()
    return None


def _asn_of(record: Mapping[str, Any]) -> tuple[int | None, str | None]:
    number = record.get("autonomous_system_number", record.get("asn"))
    if isinstance(number, str):  # IPinfo: "AS15169"
        digits = number.upper().removeprefix("AS")
        number = int(digits) if digits.isdigit() else None
    if not isinstance(number, int) or isinstance(number, bool):
        number = None
    name = record.get("autonomous_system_organization", record.get("as_name"))
    return number, name if isinstance(name, str) and name else None


class MmdbFile:
    """One open ``.mmdb`` file with what it can answer: country, AS, or both."""

    def __init__(self, path: Path, label: str | None = None) -> None:
        self.path = path
        self.label = label or str(path)
        if not path.is_file():
            raise IpDatabaseError(f"{self.label}: no such file")
        try:
            self.reader = maxminddb.open_database(str(path), maxminddb.MODE_AUTO)
        except (InvalidDatabaseError, ValueError, OSError) as error:
            raise IpDatabaseError(
                f"{self.label}: not a MaxMind DB file, or a corrupt one ({error})"
            ) from error
        meta = self.reader.metadata()
        self.database_type: str = meta.database_type
        self.build_epoch: int = meta.build_epoch
        self.ip_version: int = meta.ip_version

    def fingerprint(self) -> str:
        return f"{self.database_type}@{self.build_epoch}:{self.path.stat().st_size}"

    def probe(self, want: str) -> None:
        """Fail early, with a reason, when a file does not hold what it was given for.

        A country file handed to ``--asn-db`` (or an unrelated mmdb) would otherwise give
        "unknown" for every address and look like a data problem.
        """
        for ip in ("8.8.8.8", "1.1.1.1", "9.9.9.9", "192.0.2.1", "198.51.100.1", "2001:db8::1"):
            record = self._get(ip)
            if not record:
                continue
            if want == "country" and _country_of(record):
                return
            if want == "asn" and _asn_of(record)[0] is not None:
                return
        lowered = self.database_type.lower()
        if (want == "country" and "country" in lowered) or (want == "asn" and "asn" in lowered):
            return  # an honest file of the right type that simply covers other ranges
        raise IpDatabaseError(
            f"{self.label}: database type '{self.database_type}' holds no "
            f"{'country' if want == 'country' else 'AS number'} data (wrong schema?)"
        )

    def _get(self, ip: str) -> Mapping[str, Any] | None:
        try:
            record = self.reader.get(ip)
        except ValueError:  # an IPv6 address in an IPv4-only file
            return None
        except InvalidDatabaseError as error:
            raise IpDatabaseError(f"{self.label}: the file is corrupt ({error})") from error
        return record if isinstance(record, Mapping) else None

    def lookup_many(self, ips: Iterable[str]) -> dict[str, Mapping[str, Any] | None]:
        """Records for many addresses (in input order): each distinct address once, and one
        tree walk per /24.

        Hosting addresses cluster (shared hosts, a provider's few /24s), so when the network
        an IPv4 address falls in is a /24 or larger, its record is remembered under the
        address's first three octets and every other address of that /24 is a dict hit.
        """
        found: dict[str, Mapping[str, Any] | None] = {}
        by_24: dict[str, Mapping[str, Any] | None] = {}
        get = self.reader.get_with_prefix_len
        for ip in dict.fromkeys(ips):  # distinct, in order
            cut = ip.rfind(".")
            # Only a canonical last octet may use the shortcut: "1.2.3.999" is no address.
            head = ip[:cut] if ip[cut + 1 :] in _OCTETS and ":" not in ip else None
            if head is not None:
                hit = by_24.get(head, _MISSING)
                if hit is not _MISSING:
                    found[ip] = hit  # type: ignore[assignment]
                    continue
            try:
                record, prefix = get(ip)
            except ValueError:  # not an address, or IPv6 in an IPv4-only file
                found[ip] = None
                continue
            except InvalidDatabaseError as error:
                raise IpDatabaseError(f"{self.label}: the file is corrupt ({error})") from error
            value = record if isinstance(record, Mapping) else None
            if head is not None and prefix <= 24:
                by_24[head] = value
            found[ip] = value
        return found

    def close(self) -> None:
        self.reader.close()


def _unmapped(ip: str) -> str:
    if ip.startswith("::ffff:") or ip.startswith("::FFFF:"):
        try:
            mapped = ipaddress.IPv6Address(ip).ipv4_mapped
        except ValueError:
            return ip
        return str(mapped) if mapped else ip
    return ip


def _special(ip: str) -> bool:
    """Documentation, private, loopback, link-local, reserved: not on the public internet."""
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return True
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    return not address.is_global


def _bundled(name: str) -> Path:
    """The bundled ``name.mmdb``, unpacked once into the user's cache (the wheel holds xz)."""
    packed = resources.files("hotline.hosting") / "data" / f"{name}.mmdb.xz"
    data = packed.read_bytes()
    digest = hashlib.sha256(data).hexdigest()[:16]
    cache_root = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    for folder in (cache_root / "hotline" / "ipdb", Path(tempfile.gettempdir()) / "hotline-ipdb"):
        target = folder / f"{name}-{digest}.mmdb"
        if target.is_file():
            return target
        try:
            folder.mkdir(parents=True, exist_ok=True)
            scratch = target.with_suffix(f".{os.getpid()}.part")
            scratch.write_bytes(lzma.decompress(data))
            scratch.replace(target)  # atomic: a concurrent first run never reads half a file
            return target
        except OSError:
            continue
    raise IpDatabaseError(f"cannot unpack the bundled {name} database: no writable cache folder")


class IpDatabases:
    """The country file and the AS file together; either may be the bundled default."""

    def __init__(self, country: Path | None = None, asn: Path | None = None) -> None:
        self.country = MmdbFile(country) if country else MmdbFile(_bundled("country"), "bundled")
        self.asn = MmdbFile(asn) if asn else MmdbFile(_bundled("asn"), "bundled ASN database")
        self.country.probe("country")
        self.asn.probe("asn")
        # The bundled snapshot places some special-purpose ranges (documentation, private)
        # in countries; no such address is anywhere, so for the bundled files they are
        # unknown. A file the analyst gives is trusted as it is (test worlds use those ranges).
        self.filter_special = (country is None, asn is None)

    def fingerprint(self) -> str:
        return f"{self.country.fingerprint()}|{self.asn.fingerprint()}"

    def describe(self) -> str:
        return f"country: {self.country.label}; ASN: {self.asn.label}"

    def lookup_many(self, ips: Iterable[str]) -> dict[str, IpFacts]:
        unique = set(ips)
        # An IPv4-mapped IPv6 address (::ffff:a.b.c.d) is the IPv4 address: look that up.
        asked = {ip: _unmapped(ip) for ip in unique}
        countries = self.country.lookup_many(asked.values())
        systems = self.asn.lookup_many(asked.values())
        facts: dict[str, IpFacts] = {}
        for ip in unique:
            country_record, asn_record = countries.get(asked[ip]), systems.get(asked[ip])
            if any(self.filter_special) and _special(ip):
                country_record = None if self.filter_special[0] else country_record
                asn_record = None if self.filter_special[1] else asn_record
            country = _country_of(country_record) if country_record else None
            if country is None and asn_record:  # combined files carry both
                country = _country_of(asn_record)
            number, name = _asn_of(asn_record) if asn_record else (None, None)
            if number is None and country_record:
                number, name = _asn_of(country_record)
            facts[ip] = IpFacts(country, number, name)
        return facts

    def lookup(self, ip: str) -> IpFacts:
        return self.lookup_many([ip]).get(ip, NOTHING)

    def close(self) -> None:
        self.country.close()
        self.asn.close()
