"""Synthetic hosting: countries, providers with ASNs and address blocks, a CDN, shared hosts.

Every address is in a documentation or benchmarking range (198.18.0.0/15 for providers,
192.0.2.0/24 for the CDN, 198.51.100.0/24 and 203.0.113.0/24 for a shared host and a
bulletproof host, 2001:db8::/32 for IPv6); every ASN is from the private-use range
(RFC 6996) or the documentation range (RFC 5398).
"""

from __future__ import annotations

import ipaddress
import itertools
import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from hotline.synth.names import syllable_name

# Country shares of hosting, US-heavy like the 2013 assessment (US ~45 %; RU, KZ, JP next).
COUNTRY_SHARES: tuple[tuple[str, float], ...] = (
    ("US", 0.42), ("RU", 0.12), ("KZ", 0.08), ("JP", 0.07), ("NL", 0.06), ("DE", 0.04),
    ("CA", 0.03), ("FR", 0.03), ("UA", 0.025), ("RO", 0.02), ("BG", 0.02), ("SE", 0.015),
    ("GB", 0.015), ("PL", 0.015), ("CZ", 0.01), ("HK", 0.01), ("SG", 0.01), ("LV", 0.01),
)  # fmt: skip
COUNTRIES = tuple(code for code, _ in COUNTRY_SHARES)
ONION = "onion"
BEHIND_CDN = "behind-cdn"

CDN_ASN = 64496
CDN_NAME = "Swiftedge CDN"
CDN_COUNTRY = "US"  # where the CDN's addresses geolocate: the trap a naive count falls into
CDN_DOMAIN = "swiftedge-cdn.example"
_PRIVATE_ASN = 4_200_000_000
_PROVIDER_NET = ipaddress.ip_network("198.18.0.0/15")


@dataclass(frozen=True, slots=True)
class Provider:
    index: int
    asn: int
    name: str
    country: str
    kind: str  # cloud | shared | bulletproof | dedicated | cdn
    networks: tuple[str, ...]  # IPv4 CIDRs
    network6: str
    nameservers: tuple[str, str]

    def ip(self, rng: random.Random) -> str:
        """An address of this provider; shared hosts put many sites on a handful of them."""
        network = ipaddress.ip_network(rng.choice(self.networks))
        span = 6 if self.kind in ("shared", "cdn") else network.num_addresses - 2
        return str(network.network_address + 1 + rng.randrange(span))

    def ip6(self, rng: random.Random) -> str:
        network = ipaddress.ip_network(self.network6)
        span = 6 if self.kind in ("shared", "cdn") else 2**16
        return str(network.network_address + 1 + rng.randrange(span))


def build_providers(rng: random.Random, count: int, slash24_each: int) -> list[Provider]:
    """Providers in the 18 countries (every country gets at least one), plus the CDN."""
    blocks = _PROVIDER_NET.subnets(new_prefix=24)
    weights = [share for _, share in COUNTRY_SHARES]
    providers: list[Provider] = []
    for index in range(count):
        country = COUNTRIES[index] if index < len(COUNTRIES) else _pick(rng, COUNTRIES, weights)
        roll = rng.random()
        kind = next(k for limit, k in _KIND_SHARES if roll < limit)
        name = syllable_name(index, salt=11)
        display = f"{name[:6].capitalize()} {_KIND_WORD[kind]}"
        networks: tuple[str, ...]
        if index == 0:
            networks, kind = ("198.51.100.0/24",), "shared"
        elif index == 1:
            networks, kind = ("203.0.113.0/24",), "bulletproof"
        else:
            networks = tuple(str(next(blocks)) for _ in range(slash24_each))
        providers.append(
            Provider(
                index=index,
                asn=_PRIVATE_ASN + index,
                name=display,
                country=country,
                kind=kind,
                networks=networks,
                network6=f"2001:db8:{index + 1:x}::/48",
                nameservers=(f"ns1.{name[:8]}-host.example", f"ns2.{name[:8]}-host.example"),
            )
        )
    return providers


def cdn_provider() -> Provider:
    return Provider(
        index=-1,
        asn=CDN_ASN,
        name=CDN_NAME,
        country=CDN_COUNTRY,
        kind="cdn",
        networks=("192.0.2.0/24",),
        network6="2001:db8:cd00::/48",
        nameservers=(f"ns1.{CDN_DOMAIN}", f"ns2.{CDN_DOMAIN}"),
    )


# Cumulative shares of provider kinds: 20 % shared hosts, 12 % bulletproof, cloud, 20 % dedicated.
_KIND_SHARES = ((0.2, "shared"), (0.32, "bulletproof"), (0.8, "cloud"), (2.0, "dedicated"))
_KIND_WORD = {
    "cloud": "Cloud",
    "shared": "Webhosting",
    "bulletproof": "Hosting Ltd",
    "dedicated": "Servers",
    "cdn": "CDN",
}


@dataclass(frozen=True, slots=True)
class HostingPeriod:
    start: datetime
    end: datetime
    provider: Provider
    ip: str
    ip6: str | None


def _pick(rng: random.Random, items: tuple[str, ...], weights: list[float]) -> str:
    return rng.choices(items, weights)[0]


class HostingPlanner:
    """Chooses where sites live over time: a distributor favours a few providers."""

    def __init__(self, providers: list[Provider]) -> None:
        self.providers = providers
        self.cdn = cdn_provider()
        shares = dict(COUNTRY_SHARES)
        per_country: dict[str, int] = {}
        for provider in providers:
            per_country[provider.country] = per_country.get(provider.country, 0) + 1
        # Weight a provider by its country's share split among that country's providers.
        self.weights = [shares[p.country] / per_country[p.country] for p in providers]

    def random_provider(self, rng: random.Random) -> Provider:
        return rng.choices(self.providers, self.weights)[0]

    def preferred(self, rng: random.Random, count: int) -> tuple[Provider, ...]:
        return tuple(self.random_provider(rng) for _ in range(count))

    def timeline(
        self,
        rng: random.Random,
        start: datetime,
        end: datetime,
        favourites: tuple[Provider, ...],
        behind_cdn: bool,
    ) -> list[HostingPeriod]:
        """One to three hosting periods; sites hop between providers (and countries)."""
        hops = 1 if behind_cdn else rng.choices((1, 2, 3), (0.55, 0.3, 0.15))[0]
        span = (end - start).total_seconds()
        cuts = sorted(rng.random() for _ in range(hops - 1))
        bounds = [start, *(start + timedelta(seconds=int(span * c)) for c in cuts), end]
        periods = []
        previous: Provider | None = None
        for begin, finish in itertools.pairwise(bounds):
            if behind_cdn:
                provider = self.cdn
            else:
                provider = (
                    rng.choice(favourites)
                    if favourites and rng.random() < 0.5
                    else self.random_provider(rng)
                )
                if provider is previous:
                    provider = self.random_provider(rng)
            ip6 = provider.ip6(rng) if rng.random() < 0.2 else None
            periods.append(HostingPeriod(begin, finish, provider, provider.ip(rng), ip6))
            previous = provider
        return periods
