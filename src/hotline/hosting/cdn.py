"""Known CDNs and reverse proxies: their addresses say where the edge is, not the site.

A site behind Cloudflare geolocates to wherever Cloudflare's anycast address is registered;
counting that as the hosting country is the classic error in hosting statistics. The list
ships with the install (``data/cdn.json``) and is extended, not replaced, by ``--cdn-list``.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

Network = ipaddress.IPv4Network | ipaddress.IPv6Network

MAX_BYTES = 16 << 20  # the shipped list is 3 KiB; a CDN list of this size is something else
MAX_NAME = 64  # the width of the stored ``cdn`` column
_KEYS = frozenset({"description", "asns", "networks", "cname_suffixes"})
_SUFFIX = re.compile(r"(?:(?!-)[a-z0-9_-]{1,63}(?<!-)\.)+(?!-)[a-z0-9-]{1,63}(?<!-)")


class CdnListError(ValueError):
    """A CDN list file that cannot be used; the message names the file and the entry."""


@dataclass
class CdnList:
    asns: dict[int, str] = field(default_factory=dict)
    networks: list[tuple[Network, str]] = field(default_factory=list)
    cname_suffixes: dict[str, str] = field(default_factory=dict)
    sources: list[str] = field(default_factory=list)
    _digest: Any = field(default_factory=hashlib.sha256, repr=False)

    @classmethod
    def load(cls, extra: Iterable[Path] = ()) -> CdnList:
        """The shipped list, with every extra file merged over it."""
        cdn = cls()
        shipped = resources.files("hotline.hosting") / "data" / "cdn.json"
        cdn.merge(shipped.read_bytes(), "shipped CDN list")
        for path in extra:
            try:
                with path.open("rb") as handle:
                    data = handle.read(MAX_BYTES + 1)
            except OSError as error:
                raise CdnListError(f"{path}: cannot read the CDN list ({error})") from error
            if len(data) > MAX_BYTES:
                raise CdnListError(f"{path}: larger than {MAX_BYTES >> 20} MiB; not a CDN list")
            cdn.merge(data, str(path))
        return cdn

    def merge(self, data: bytes, label: str) -> None:
        """Merge one list in; a list with any bad entry changes nothing and raises
        :class:`CdnListError` naming the file and where in it the entry is."""
        try:
            document = json.loads(data)
        except RecursionError as error:  # the list's shape is three levels deep
            raise CdnListError(f"{label}: not a CDN list (JSON nested too deeply)") from error
        except ValueError as error:
            raise CdnListError(f"{label}: not JSON ({error})") from error
        if not isinstance(document, dict):
            raise CdnListError(f"{label}: expected an object with asns/networks/cname_suffixes")
        unknown = sorted(set(document) - _KEYS)
        if unknown:
            raise CdnListError(
                f"{label}: unknown key {_shown(unknown[0])} "
                f"(a CDN list has {', '.join(sorted(_KEYS))})"
            )
        if not isinstance(document.get("description", ""), str):
            raise CdnListError(f"{label}: description: expected a string")
        asns: dict[int, str] = {}
        for number, name in _mapping(document, "asns", label).items():
            where = f"{label}: asns.{_shown(number)}"
            digits = number.upper().removeprefix("AS")
            value = int(digits) if digits.isascii() and digits.isdigit() else -1
            if not 0 < value < 2**32:
                raise CdnListError(f"{where}: not an AS number (like 13335 or AS13335)")
            asns[value] = _name(name, where)
        networks: list[tuple[Network, str]] = []
        for name, ranges in _mapping(document, "networks", label).items():
            where = f"{label}: networks.{_shown(name)}"
            cdn = _name(name, where)
            if not isinstance(ranges, list):
                raise CdnListError(f"{where}: expected a list of CIDR ranges")
            for index, text in enumerate(ranges):
                if not isinstance(text, str):
                    raise CdnListError(f"{where}[{index}]: expected a CIDR range as a string")
                try:
                    networks.append((ipaddress.ip_network(text.strip(), strict=False), cdn))
                except ValueError as error:
                    raise CdnListError(f"{where}[{index}]: bad range {_shown(text)}") from error
        suffixes: dict[str, str] = {}
        for suffix, name in _mapping(document, "cname_suffixes", label).items():
            where = f"{label}: cname_suffixes.{_shown(suffix)}"
            domain = suffix.lower().strip().strip(".")
            if not _SUFFIX.fullmatch(domain):
                raise CdnListError(
                    f"{where}: not a domain suffix of two labels or more (like cdn.example)"
                )
            suffixes[domain] = _name(name, where)
        self.asns.update(asns)
        self.networks.extend(networks)
        self.cname_suffixes.update(suffixes)
        self.sources.append(label)
        self._digest.update(data)

    def fingerprint(self) -> str:
        return str(self._digest.hexdigest())[:16]

    def by_address(self, ip: str, asn: int | None) -> str | None:
        """The CDN an address belongs to, by published range first, then by AS."""
        if self.networks:
            try:
                address = ipaddress.ip_address(ip)
            except ValueError:
                return None
            for network, name in self.networks:
                if address.version == network.version and address in network:
                    return name
        return self.asns.get(asn) if asn is not None else None

    def by_name(self, host: str) -> str | None:
        """The CDN a CNAME target belongs to (``x.edge.cdn.example`` → that CDN)."""
        labels = host.lower().strip(".").split(".")
        for start in range(len(labels) - 1):
            name = self.cname_suffixes.get(".".join(labels[start:]))
            if name is not None:
                return name
        return None


def _mapping(document: dict[str, Any], key: str, label: str) -> dict[str, Any]:
    value = document.get(key, {})
    if not isinstance(value, dict):
        raise CdnListError(f"{label}: '{key}' must be an object")
    return value


def _name(value: object, where: str) -> str:
    """A CDN's name as stored with each address (at most :data:`MAX_NAME` characters)."""
    if not isinstance(value, str) or not value.strip():
        raise CdnListError(f"{where}: expected the CDN's name as a non-empty string")
    name = value.strip()
    if len(name) > MAX_NAME:
        raise CdnListError(f"{where}: the CDN's name is longer than {MAX_NAME} characters")
    if not name.isprintable():
        raise CdnListError(f"{where}: the CDN's name holds a control character")
    return name


def _shown(text: str) -> str:
    """A key or value of the file as it may appear in a message: quoted, printable, short."""
    shown = "".join(c if c.isprintable() else ascii(c)[1:-1] for c in text[:80])
    return f"'{shown}{'…' if len(text) > 80 else ''}'"
