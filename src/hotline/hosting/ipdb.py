"""IP address → country, AS number and AS organisation, through MaxMind DB (``.mmdb``) files.

Readers differ in schema, not in format: GeoLite2/GeoIP2 and DB-IP put the country in
``country.iso_code`` and the AS in ``autonomous_system_number``/``_organization`` (GeoIP2
Enterprise under ``traits``); IPinfo Lite uses ``country_code``, ``asn`` ("AS15169") and
``as_name``, IPinfo's older and standard files ``country`` as a plain code and ``name`` for
the AS; ip-location-db (our bundled default) uses ``country_code``. One record decoder reads
them all, so an analyst can point ``--geoip-db``/``--asn-db`` at whichever file their
organisation licenses.

What a file can answer is decided when it is opened, from its metadata's
``database_type`` where that names a known product (MaxMind, DB-IP, IPinfo) and otherwise
from the layout of its records; a file of the wrong kind (an ASN file as the country
database, a Connection-Type or Anonymous-IP file) is refused with one line saying what it is.

The batch path is what makes enrichment fast: addresses are deduplicated and sorted, and one
``get_with_prefix_len`` answers every following address inside the same network, so a /24
full of shared-hosting addresses costs one tree walk rather than 256.
"""

from __future__ import annotations

import hashlib
import ipaddress
import itertools
import lzma
import os
import re
import tempfile
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import maxminddb
from maxminddb.errors import InvalidDatabaseError

_OCTETS = frozenset(str(n) for n in range(256))  # canonical decimal octets
_MISSING = object()

COUNTRY = "country"
ASN = "asn"
_NOUN = {COUNTRY: "country", ASN: "AS number"}
_PLURAL = {COUNTRY: "countries", ASN: "AS numbers"}
_BOTH = frozenset({COUNTRY, ASN})
_NONE: frozenset[str] = frozenset()


class IpDatabaseError(Exception):
    """A database file that cannot be used; the message names the file and what is wrong."""


@dataclass(frozen=True, slots=True)
class IpFacts:
    country: str | None  # ISO 3166-1 alpha-2, or None when no database knows the address
    asn: int | None
    as_org: str | None
    # When ``country`` is None though the database answered something that is no ISO 3166-1
    # code ("EU", "ZZ", a name): that value, quoted and printable, for counting and examples.
    not_a_country: str | None = None


NOTHING = IpFacts(None, None, None)


# ISO 3166-1 alpha-2: the 249 officially assigned codes, and XK, the user-assigned code every
# IP database vendor uses for Kosovo. Anything else a file holds as a country (a region such
# as EU or AP, a placeholder such as ZZ or XX, a withdrawn code such as AN, a name) says
# where no country is: the address's country is unknown.
_ISO_3166_1 = (
    "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO "
    "BQ BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ "
    "DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP "
    "GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG "
    "KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML "
    "MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE "
    "PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL "
    "SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM "
    "US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW"
)
ISO_COUNTRIES = frozenset(_ISO_3166_1.split()) | {"XK"}


def _code(value: object) -> str | None:
    if isinstance(value, str) and len(value) == 2 and value.isascii():
        code = value.upper()
        if code in ISO_COUNTRIES:
            return code
    return None


def _shown(value: object) -> str:
    """A country value that is no code, as it may be printed: quoted, printable, short."""
    text = value if isinstance(value, str) else repr(value)
    return ascii(text[:16] + ("…" if len(text) > 16 else ""))


def _country_and_rejected(record: Mapping[str, Any]) -> tuple[str | None, str | None]:
    """The country an address is in: the located country, else the registered one; with,
    when there is none, the first value a country field held that is no ISO 3166-1 code."""
    rejected: list[object] = []

    def code_of(value: object) -> str | None:
        code = _code(value)
        if code is None and value is not None and value != "":
            rejected.append(value)
        return code

    country = record.get("country")
    if isinstance(country, Mapping):  # MaxMind, DB-IP: {"iso_code": "DE", "names": ...}
        code = code_of(country.get("iso_code"))
        if code:
            return code, None
    elif (code := code_of(country)) is not None:  # IPinfo standard and legacy: "DE"
        return code, None
    for key in ("country_code", "iso_code"):  # IPinfo Lite, ip-location-db
        code = code_of(record.get(key))
        if code:
            return code, None
    registered = record.get("registered_country")
    if isinstance(registered, Mapping):
        code = code_of(registered.get("iso_code"))
        if code:
            return code, None
    codelike = [value for value in rejected if isinstance(value, str) and len(value) == 2]
    return None, _shown((codelike or rejected)[0]) if rejected else None


def _country_of(record: Mapping[str, Any]) -> str | None:
    return _country_and_rejected(record)[0]


def _asn_of(record: Mapping[str, Any]) -> tuple[int | None, str | None]:
    """AS number and organisation: top level (GeoLite2-ASN, GeoIP2-ISP, DB-IP, IPinfo) or
    under ``traits`` (GeoIP2 Enterprise)."""
    source = record
    if "autonomous_system_number" not in record and "asn" not in record:
        traits = record.get("traits")
        if isinstance(traits, Mapping):
            source = traits
    number = source.get("autonomous_system_number", source.get("asn"))
    if isinstance(number, str):  # IPinfo: "AS15169"
        digits = number.upper().removeprefix("AS")
        number = int(digits) if digits.isascii() and digits.isdigit() else None
    if not isinstance(number, int) or isinstance(number, bool):
        number = None
    name = source.get("autonomous_system_organization", source.get("as_name"))
    if name is None and "asn" in source:  # IPinfo's ASN files: {"asn", "name", "domain"}
        name = source.get("name")
    return number, name if isinstance(name, str) and name else None


@dataclass(frozen=True, slots=True)
class _Kind:
    holds: frozenset[str]
    what: str  # "it is an ASN database", "its records hold connection_type", ...


# Products whose metadata names them, matched case-insensitively against ``database_type``
# with a "-Shield" edition and a DB-IP " (compat=…)" note removed.
_KNOWN_TYPES: tuple[tuple[re.Pattern[str], frozenset[str], str], ...] = tuple(
    (re.compile(pattern), holds, what)
    for pattern, holds, what in (
        (r"(geoip2|geolite2|geoip)-(precision-)?enterprise", _BOTH, "an Enterprise database"),
        (
            r"(geoip2|geolite2|geoip)-(precision-)?city(-[a-z-]+)?",
            frozenset({COUNTRY}),
            "a City database",
        ),
        (r"(geoip2|geolite2|geoip)-country", frozenset({COUNTRY}), "a Country database"),
        (r"(geoip2|geoip)-isp", frozenset({ASN}), "an ISP database"),
        (r"(geolite2|geoip2|geoip)-asn", frozenset({ASN}), "an ASN database"),
        (
            r"dbip-(country|city|location)(-lite)?",
            frozenset({COUNTRY}),
            "a DB-IP location database",
        ),
        (r"dbip-asn(-lite)?", frozenset({ASN}), "a DB-IP ASN database"),
        (r"(geoip2|geoip)-(user-)?connection-type", _NONE, "a Connection-Type database"),
        (r"(geoip2|geoip)-anonymous-(ip|plus)", _NONE, "an Anonymous-IP database"),
        (r"(geoip2|geoip)-domain", _NONE, "a Domain database"),
        (r"(geoip2|geoip)-user-count", _NONE, "a User-Count database"),
        (r"(geoip2|geoip)-static-ip-score", _NONE, "a Static-IP-Score database"),
        (r"(geoip2|geoip)-ip-risk", _NONE, "an IP-Risk database"),
        (r"(geoip2|geoip)-residential-proxy", _NONE, "a Residential-Proxy database"),
        (r"(geoip2|geoip)-density-?income", _NONE, "a Density-Income database"),
    )
)

# IPinfo names its files "ipinfo <product>.mmdb". Products without location or AS data:
_IPINFO_OTHER = re.compile(
    r"privacy|proxy|carrier|company|abuse|domain|rdns|whois|device|poi|places|hosted"
)
# Products with location and AS together (Lite, Core, Plus, Max and their bundles):
_IPINFO_BOTH = re.compile(r"lite|core|plus|max|bundle|country_asn")


def _known_kind(database_type: str) -> _Kind | None:
    name = database_type.strip().lower()
    name = re.sub(r"\s*\(compat=[^)]*\)$", "", name).replace("-shield", "")
    for pattern, holds, what in _KNOWN_TYPES:
        if pattern.fullmatch(name):
            return _Kind(holds, f"it is {what}")
    if name.startswith("ipinfo "):
        product = name.removeprefix("ipinfo ").removesuffix(".mmdb")
        if _IPINFO_OTHER.search(product):
            return _Kind(_NONE, f"it is an IPinfo {product} database")
        if "asn" in product and not _IPINFO_BOTH.search(product):
            # Its records carry the AS's registration country, not the address's location.
            return _Kind(frozenset({ASN}), "it is an IPinfo ASN database")
    return None  # decided by the records


# Addresses every public database covers, looked up on opening beside the first networks in
# the file (a corrupt search tree or data section shows here rather than mid-run).
_PROBE_ADDRESSES = ("8.8.8.8", "1.1.1.1", "9.9.9.9", "2001:4860:4860::8888", "2a00:1450::1")
_SAMPLE_NETWORKS = 4096


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
        self._kind: _Kind | None = None

    def fingerprint(self) -> str:
        return f"{self.database_type}@{self.build_epoch}:{self.path.stat().st_size}"

    def probe(self, want: str) -> None:
        """Fail early, with a reason, when a file does not hold what it was given for.

        A country file handed to ``--asn-db`` (or a Connection-Type file, or an unrelated
        mmdb) would otherwise give "unknown" for every address and look like a data problem.
        """
        kind = self.kind
        if want in kind.holds:
            return
        other = ASN if want == COUNTRY else COUNTRY
        hint = f"; it answers {_PLURAL[other]} only" if other in kind.holds else ""
        raise IpDatabaseError(
            f"{self.label}: database type '{self.database_type}' holds no {_NOUN[want]} "
            f"data ({kind.what}{hint})"
        )

    @property
    def holds(self) -> frozenset[str]:
        """What this file answers: ``{"country"}``, ``{"asn"}``, both, or neither."""
        return self.kind.holds

    @property
    def kind(self) -> _Kind:
        if self._kind is None:
            self._kind = self._survey()
        return self._kind

    def _survey(self) -> _Kind:
        """Read the first networks of the file and a few well-known addresses (which also
        shows a corrupt tree or data section now), then decide what the file holds: by its
        database type when that names a known product, else by what its records carry."""
        records: list[Mapping[str, Any]] = []
        try:
            for _, record in itertools.islice(iter(self.reader), _SAMPLE_NETWORKS):
                if isinstance(record, Mapping) and record:
                    records.append(record)
        except InvalidDatabaseError as error:
            raise IpDatabaseError(f"{self.label}: the file is corrupt ({error})") from error
        except ValueError:
            pass  # the reader cannot walk every valid tree; the lookups below still check it
        records.extend(r for r in map(self._get, _PROBE_ADDRESSES) if r)
        known = _known_kind(self.database_type)
        if known is not None:
            return known
        holds = set()
        fields: Counter[str] = Counter()
        for record in records:
            fields.update(str(key) for key in record)
            if _country_of(record):
                holds.add(COUNTRY)
            if _asn_of(record)[0] is not None:
                holds.add(ASN)
        if not fields:
            return _Kind(frozenset(holds), "it holds no records")
        names = sorted(fields, key=lambda name: (-fields[name], name))[:6]
        more = ", …" if len(fields) > len(names) else ""
        return _Kind(frozenset(holds), f"its records hold {', '.join(names)}{more}")

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
        # A combined file answers for the other side where its partner has no record; an
        # IPinfo ASN file's ``country`` is the AS's registration, never used as a location.
        self._asn_has_country = COUNTRY in self.asn.holds
        self._country_has_asn = ASN in self.country.holds

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
            country, odd = _country_and_rejected(country_record) if country_record else (None, None)
            if country is None and asn_record and self._asn_has_country:  # combined files
                country, odd_too = _country_and_rejected(asn_record)
                odd = None if country else odd or odd_too
            number, name = _asn_of(asn_record) if asn_record else (None, None)
            if number is None and country_record and self._country_has_asn:
                number, name = _asn_of(country_record)
            facts[ip] = IpFacts(country, number, name, odd)
        return facts

    def lookup(self, ip: str) -> IpFacts:
        return self.lookup_many([ip]).get(ip, NOTHING)

    def close(self) -> None:
        self.country.close()
        self.asn.close()
