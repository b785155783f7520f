"""Which RDAP server answers for an IP address: the IANA bootstrap registries (RFC 9224).

hotline works offline, so a snapshot of IANA's ``ipv4.json`` and ``ipv6.json`` ships in
``hosting/data`` (see RDAP-BOOTSTRAP-SOURCE.md there); a newer copy, or a private one that
points at an internal mirror, can replace it through :meth:`Bootstrap.from_files`.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Iterable, Mapping
from importlib import resources
from pathlib import Path

_SHIPPED = ("rdap-bootstrap-ipv4.json", "rdap-bootstrap-ipv6.json")

_Address = ipaddress.IPv4Address | ipaddress.IPv6Address
# per IP version: prefix length -> network address as an integer -> base URLs
_Table = dict[int, dict[int, dict[int, tuple[str, ...]]]]


class BootstrapError(ValueError):
    """A bootstrap file is not in the RFC 9224 format."""


class Bootstrap:
    """Longest-prefix lookup from an address to the base URLs of the registry holding it."""

    def __init__(
        self, entries: Iterable[tuple[str, Iterable[str]]], *, publications: Iterable[str] = ()
    ) -> None:
        """Build from (CIDR prefix, base URLs) pairs. A later pair for the same prefix wins,
        so in :meth:`from_files` a later file can override single entries of an earlier one."""
        self._table: _Table = {4: {}, 6: {}}
        self.publications: tuple[str, ...] = tuple(publications)
        for prefix, urls in entries:
            self._add(prefix, urls)

    @classmethod
    def shipped(cls) -> Bootstrap:
        """The snapshot that ships with hotline (no network needed)."""
        data = resources.files("hotline.hosting").joinpath("data")
        texts = [(name, data.joinpath(name).read_text(encoding="utf-8")) for name in _SHIPPED]
        return cls._from_texts(texts)

    @classmethod
    def from_files(cls, *paths: Path) -> Bootstrap:
        """Load RFC 9224 files (IPv4, IPv6 or both kinds of entry in any file).

        Raises :class:`BootstrapError` with one line naming the file and what is wrong with
        it: missing, unreadable, empty, not JSON, another IANA registry (``asn.json``,
        ``dns.json``, ``object-tags.json``), no services, a bad prefix or URL."""
        if not paths:
            raise BootstrapError("no bootstrap file given")
        texts = []
        for path in paths:
            texts.append((str(path), _read_text(Path(path))))
        return cls._from_texts(texts)

    @classmethod
    def _from_texts(cls, texts: Iterable[tuple[str, str]]) -> Bootstrap:
        entries: list[tuple[str, tuple[str, ...]]] = []
        publications: list[str] = []
        for name, text in texts:
            if not text.strip():
                raise BootstrapError(f"{name}: empty file, {_EXPECTED}")
            try:
                document = json.loads(text)
            except (ValueError, RecursionError) as error:
                reason = f"{name}: not JSON ({_one_line(error)}), {_EXPECTED}"
                raise BootstrapError(reason) from None
            publication, file_entries = _read_document(document, name)
            entries.extend(file_entries)
            if publication:
                publications.append(publication)
        return cls(entries, publications=publications)

    def base_urls(self, ip: str) -> tuple[str, ...]:
        """Base URLs (each ending in "/") for the most specific prefix holding ``ip``;
        ``()`` when the address is invalid, in no prefix, or not globally routable.

        Special-purpose space (private, loopback, link-local, documentation such as
        192.0.2.0/24 and 2001:db8::/32, shared 100.64.0.0/10) has no registrant at any RIR;
        even where it sits inside an RIR's /8 (192.168.0.0/16 in ARIN's 192/8) a query would
        only return IANA's reservation record, so no registry is named for it."""
        address = _parse(ip)
        if address is None or not address.is_global:
            return ()
        value = int(address)
        bits = address.max_prefixlen
        by_length = self._table[address.version]
        for length in sorted(by_length, reverse=True):
            network = value >> (bits - length) << (bits - length) if length else 0
            urls = by_length[length].get(network)
            if urls is not None:
                return urls
        return ()

    def _add(self, prefix: str, urls: Iterable[str]) -> None:
        try:
            network = ipaddress.ip_network(prefix.strip())
        except ValueError:
            raise BootstrapError(f"{prefix!r} is not a CIDR prefix") from None
        bases = _normalise_urls(urls, prefix)
        by_length = self._table[network.version].setdefault(network.prefixlen, {})
        by_length[int(network.network_address)] = bases


def canonical_ip(ip: str) -> str | None:
    """The compressed text form of ``ip`` (IPv4-mapped IPv6 as its IPv4), or None if invalid.

    One spelling per address, so caches and query URLs agree on "2001:DB8::0:1" and
    "2001:db8::1"."""
    address = _parse(ip)
    return None if address is None else str(address)


def _parse(ip: str) -> _Address | None:
    """The address, with IPv4-mapped IPv6 (::ffff:a.b.c.d) read as the IPv4 it carries."""
    try:
        address = ipaddress.ip_address(ip.strip())
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address):
        if address.scope_id is not None:
            return None  # a zone index ("%eth0") names a local link, never a registration
        if address.ipv4_mapped is not None:
            return address.ipv4_mapped
    return address


_EXPECTED = "expected an IANA RDAP bootstrap file for IP addresses (ipv4.json or ipv6.json)"
_AS_RANGE = re.compile(r"\d+(?:-\d+)?")
_DOMAIN = re.compile(r"[a-z0-9][a-z0-9.-]*", re.IGNORECASE)


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise BootstrapError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise BootstrapError(f"{path}: is a directory, {_EXPECTED}") from None
    except UnicodeDecodeError:
        raise BootstrapError(f"{path}: not UTF-8 text, {_EXPECTED}") from None
    except OSError as error:
        raise BootstrapError(f"{path}: cannot read ({error.strerror or error})") from None


def _one_line(error: BaseException) -> str:
    return " ".join(str(error).split())[:160]


def _read_document(
    document: object, name: str
) -> tuple[str | None, list[tuple[str, tuple[str, ...]]]]:
    """The publication date and (prefix, base URLs) pairs of one file, every prefix and URL
    checked, every error naming the file."""
    if not isinstance(document, Mapping):
        raise BootstrapError(f"{name}: a JSON {_json_kind(document)}, not an object; {_EXPECTED}")
    services = document.get("services")
    if services is None:
        raise BootstrapError(f"{name}: no 'services' member; {_EXPECTED}")
    if not isinstance(services, list):
        raise BootstrapError(f"{name}: 'services' is not an array; {_EXPECTED}")
    if not services:
        raise BootstrapError(f"{name}: 'services' is empty, so no registry could be asked")
    other = _other_registry(document, services)
    if other is not None:
        raise BootstrapError(f"{name}: this is IANA's {other}, {_EXPECTED}")
    publication = document.get("publication")
    entries: list[tuple[str, tuple[str, ...]]] = []
    for index, service in enumerate(services):
        where = f"{name}: services[{index}]"
        if not (isinstance(service, list) and len(service) == 2):
            raise BootstrapError(f"{where} is not [[prefixes], [base URLs]]")
        prefixes, urls = service
        if not _strings(prefixes) or not _strings(urls):
            raise BootstrapError(f"{where} is not [[prefixes], [base URLs]]")
        for prefix in prefixes:
            try:
                ipaddress.ip_network(prefix.strip())
            except ValueError:
                raise BootstrapError(f"{where}: {prefix[:60]!r} is not a CIDR prefix") from None
        try:
            bases = _normalise_urls(urls, "")
        except BootstrapError as error:
            raise BootstrapError(f"{where}: {error}") from None
        entries.extend((prefix, bases) for prefix in prefixes)
    return (publication if isinstance(publication, str) else None), entries


def _other_registry(document: Mapping[str, object], services: list[object]) -> str | None:
    """The name of the other IANA bootstrap registry this document is, if it is one: the
    AS number, domain name and object tag registries share the IP registries' shape."""
    description = document.get("description")
    text = description.casefold() if isinstance(description, str) else ""
    if "autonomous system" in text:
        return "asn.json (AS number ranges)"
    if "domain name" in text:
        return "dns.json (domain names)"
    if "object tag" in text:
        return "object-tags.json (object tags)"
    first = services[0]
    if isinstance(first, list) and len(first) == 3:
        return "object-tags.json (object tags)"
    if not (isinstance(first, list) and first and _strings(first[0]) and first[0]):
        return None
    keys = [key.strip() for key in first[0]]
    if all(_AS_RANGE.fullmatch(key) for key in keys):
        return "asn.json (AS number ranges)"
    if all(_DOMAIN.fullmatch(key) and not key.replace(".", "").isdigit() for key in keys):
        return "dns.json (domain names)"
    return None


def _json_kind(value: object) -> str:
    if isinstance(value, list):
        return "array"
    if isinstance(value, str):
        return "string"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    return "number"


def _strings(value: object) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) for item in value)


def _normalise_urls(urls: Iterable[str], prefix: str) -> tuple[str, ...]:
    """HTTPS before HTTP (RFC 9224 §3: prefer HTTPS), order otherwise kept; a missing final
    "/" added, since queries are formed by appending ``ip/<address>``."""
    where = f"{prefix}: " if prefix else ""
    bases = []
    for url in urls:
        url = url.strip()
        if not url.startswith(("https://", "http://")):
            raise BootstrapError(f"{where}{url[:80]!r} is not an http(s) URL")
        bases.append(url if url.endswith("/") else url + "/")
    if not bases:
        raise BootstrapError(f"{where}no base URL")
    return tuple(sorted(bases, key=lambda url: not url.startswith("https://")))
