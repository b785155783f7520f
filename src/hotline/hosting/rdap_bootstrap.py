"""Which RDAP server answers for an IP address: the IANA bootstrap registries (RFC 9224).

hotline works offline, so a snapshot of IANA's ``ipv4.json`` and ``ipv6.json`` ships in
``hosting/data`` (see RDAP-BOOTSTRAP-SOURCE.md there); a newer copy, or a private one that
points at an internal mirror, can replace it through :meth:`Bootstrap.from_files`.
"""

from __future__ import annotations

import ipaddress
import json
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
        """Load RFC 9224 files (IPv4, IPv6 or both kinds of entry in any file)."""
        if not paths:
            raise BootstrapError("no bootstrap file given")
        texts = []
        for path in paths:
            try:
                texts.append((str(path), Path(path).read_text(encoding="utf-8")))
            except (OSError, UnicodeDecodeError) as error:
                raise BootstrapError(f"{path}: cannot read ({error})") from None
        return cls._from_texts(texts)

    @classmethod
    def _from_texts(cls, texts: Iterable[tuple[str, str]]) -> Bootstrap:
        entries: list[tuple[str, tuple[str, ...]]] = []
        publications: list[str] = []
        for name, text in texts:
            try:
                document = json.loads(text)
            except (ValueError, RecursionError) as error:
                raise BootstrapError(f"{name}: not JSON ({error})") from None
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


def _read_document(
    document: object, name: str
) -> tuple[str | None, list[tuple[str, tuple[str, ...]]]]:
    if not isinstance(document, Mapping):
        raise BootstrapError(f"{name}: not a JSON object")
    services = document.get("services")
    if not isinstance(services, list):
        raise BootstrapError(f"{name}: 'services' is not an array")
    publication = document.get("publication")
    entries: list[tuple[str, tuple[str, ...]]] = []
    for index, service in enumerate(services):
        if not (isinstance(service, list) and len(service) >= 2):
            raise BootstrapError(f"{name}: services[{index}] is not [[prefixes], [urls]]")
        prefixes, urls = service[0], service[1]
        if not _strings(prefixes) or not _strings(urls):
            raise BootstrapError(f"{name}: services[{index}] is not [[prefixes], [urls]]")
        entries.extend((prefix, tuple(urls)) for prefix in prefixes)
    return (publication if isinstance(publication, str) else None), entries


def _strings(value: object) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) for item in value)


def _normalise_urls(urls: Iterable[str], prefix: str) -> tuple[str, ...]:
    """HTTPS before HTTP (RFC 9224 §3: prefer HTTPS), order otherwise kept; a missing final
    "/" added, since queries are formed by appending ``ip/<address>``."""
    bases = []
    for url in urls:
        url = url.strip()
        if not url.startswith(("https://", "http://")):
            raise BootstrapError(f"{prefix}: {url!r} is not an http(s) URL")
        bases.append(url if url.endswith("/") else url + "/")
    if not bases:
        raise BootstrapError(f"{prefix}: no base URL")
    return tuple(sorted(bases, key=lambda url: not url.startswith("https://")))
