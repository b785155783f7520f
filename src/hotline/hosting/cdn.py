"""Known CDNs and reverse proxies: their addresses say where the edge is, not the site.

A site behind Cloudflare geolocates to wherever Cloudflare's anycast address is registered;
counting that as the hosting country is the classic error in hosting statistics. The list
ships with the install (``data/cdn.json``) and is extended, not replaced, by ``--cdn-list``.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


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
                data = path.read_bytes()
            except OSError as error:
                raise CdnListError(f"{path}: cannot read the CDN list ({error})") from error
            cdn.merge(data, str(path))
        return cdn

    def merge(self, data: bytes, label: str) -> None:
        try:
            document = json.loads(data)
        except ValueError as error:
            raise CdnListError(f"{label}: not JSON ({error})") from error
        if not isinstance(document, dict):
            raise CdnListError(f"{label}: expected an object with asns/networks/cname_suffixes")
        for number, name in _mapping(document, "asns", label).items():
            try:
                self.asns[int(str(number).upper().removeprefix("AS"))] = str(name)
            except ValueError as error:
                raise CdnListError(f"{label}: asns: '{number}' is not an AS number") from error
        for name, ranges in _mapping(document, "networks", label).items():
            if not isinstance(ranges, list):
                raise CdnListError(f"{label}: networks.{name}: expected a list of CIDR ranges")
            for text in ranges:
                try:
                    self.networks.append((ipaddress.ip_network(str(text), strict=False), name))
                except ValueError as error:
                    raise CdnListError(f"{label}: networks.{name}: bad range '{text}'") from error
        for suffix, name in _mapping(document, "cname_suffixes", label).items():
            self.cname_suffixes[str(suffix).lower().strip(".")] = str(name)
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
