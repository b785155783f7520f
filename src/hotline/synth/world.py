"""A synthetic world of sites, brands and distributors, generated as a stream with its truth.

Everything is derived from the seed: each distributor, brand and site draws from its own
random generator seeded by (world seed, kind, index), so the world is identical run to run,
and the large scale can be generated one site at a time with bounded memory. The only things
held in memory are the actors (distributors, brands, providers): a few tens of thousands.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from hotline.synth import actors
from hotline.synth.actors import Brand, Distributor, Merchant, Template
from hotline.synth.hosting import (
    BEHIND_CDN,
    COUNTRIES,
    ONION,
    HostingPeriod,
    HostingPlanner,
    Provider,
    build_providers,
)
from hotline.synth.names import (
    IDN_PREFIXES,
    SHOP_WORDS,
    glued,
    look_alike,
    random_word,
    syllable_name,
)
from hotline.synth.scales import Scale
from hotline.urls.onion import onion_v3_address

if TYPE_CHECKING:  # phenomena builds on this module; it is imported when a world needs it
    from hotline.synth.phenomena import Decor, Effects, Fate, OwnNameservers

WORLD_START = datetime(2025, 1, 1, tzinfo=UTC)
WORLD_END = datetime(2026, 11, 30, tzinfo=UTC)
NOISE_TYPES = ("image-host", "forum", "file-host", "video-host")
_NOISE_WORDS = {"image-host": "pix", "forum": "board", "file-host": "files", "video-host": "clips"}
_PAGE_KINDS = ("catalog", "item", "join", "checkout", "gallery", "members")
_NOISE_PAGE_KINDS = {
    "image-host": ("i", "album"),
    "forum": ("thread", "topic"),
    "file-host": ("f", "dl"),
    "video-host": ("v", "watch"),
}


@dataclass(frozen=True, slots=True)
class Page:
    scheme: str
    host_unicode: str
    host: str  # ASCII (punycode) host
    path: str
    query: str
    kind: str

    @property
    def url(self) -> str:
        """The canonical form, as hotline's canonicaliser must produce it."""
        return f"{self.scheme}://{self.host}{self.path}{'?' + self.query if self.query else ''}"


@dataclass(slots=True)
class Signals:
    """What a site's pages show. Only part of each distributor's sites show each signal."""

    template: Template
    brand_text: str | None = None
    favicon: bytes | None = None
    merchant: Merchant | None = None
    btc: str | None = None
    affiliate: tuple[str, str, str] | None = None  # (target URL, parameter, id)
    analytics: tuple[str, ...] = ()
    emails: tuple[str, ...] = ()
    script_hosts: tuple[str, ...] = ()
    outlinks: tuple[str, ...] = ()  # plain links (forums pointing at shops): not evidence
    decor: Decor | None = None  # what phenomena add to every page of the site


@dataclass(slots=True)
class Site:
    index: int
    key: str  # the site key: registrable domain (ASCII) or onion address
    role: str  # brand | mirror | gateway | noise
    site_type: str
    brand: Brand | None
    start: datetime
    end: datetime
    periods: list[HostingPeriod]
    nameservers: tuple[str, ...]
    pages: list[Page]
    signals: Signals
    redirect_to: Site | None = None  # a gateway's target site (its landing page)
    redirect_style: str = "302"
    behind_cdn: bool = False
    fate: Fate | None = None  # taken down (error, parked, suspended) from some time on
    challenge: float = 0.0  # share of captures that meet an anti-bot interstitial
    short_targets: tuple[Site, ...] = ()  # a shortener's short links (pages[1:]) → targets
    own_ns: OwnNameservers | None = None  # in-bailiwick name servers (ns1.<site>) from some time

    @property
    def distributor(self) -> Distributor | None:
        return self.brand.distributor if self.brand else None

    @property
    def commercial(self) -> bool:
        return self.brand is not None

    def hosting_country(self) -> str:
        """Where the site is hosted now: the truth a hosting table must reproduce."""
        if self.role == "mirror":
            return ONION
        if self.behind_cdn:
            return BEHIND_CDN
        return self.periods[-1].provider.country

    def period_at(self, moment: datetime) -> HostingPeriod | None:
        for period in self.periods:
            if period.start <= moment <= period.end:
                return period
        return self.periods[-1] if self.periods else None


class World:
    """Actors in memory, sites as a stream."""

    def __init__(
        self,
        seed: int,
        scale: Scale,
        phenomena: Iterable[str] = frozenset(),
        rate_scale: float = 1.0,
    ) -> None:
        """``phenomena``: names from ``hotline.synth.phenomena.PHENOMENA`` (or one string in
        the CLI's syntax: ``all``, ``none``, ``a,b``); none gives the world as it always was.
        ``rate_scale`` multiplies every phenomenon's rates (``Effects``)."""
        self.seed = seed
        self.scale = scale
        providers = build_providers(
            self._rng("providers"), scale.providers, scale.slash24_per_provider
        )
        self.planner = HostingPlanner(providers)
        self.providers = providers
        self.distributors = [
            actors.make_distributor(
                self._rng("distributor", index),
                index,
                self.planner.preferred(self._rng("favourites", index), 3),
            )
            for index in range(scale.distributors)
        ]
        self.brands = self._make_brands()
        self.processors = [actors.BIGPAY] + [p for d in self.distributors for p in d.processors]
        self.phenomena: frozenset[str] = frozenset()
        self.effects: Effects | None = None
        if phenomena:
            # imported here, not at the top: that module builds on this one's Site and Page
            from hotline.synth.phenomena import Effects, check_phenomena, parse_phenomena

            self.phenomena = (
                parse_phenomena(phenomena)
                if isinstance(phenomena, str)
                else check_phenomena(phenomena)
            )
            if self.phenomena:
                self.effects = Effects(self, self.phenomena, rate_scale)

    def _rng(self, kind: str, index: int = 0) -> random.Random:
        return random.Random(f"{self.seed}:{kind}:{index}")

    def _make_brands(self) -> list[Brand]:
        """Heavy-tailed brands per distributor and domains per brand; the first distributor
        holds the ten most prolific brands, as IWF found for the largest one in 2012."""
        rng = self._rng("brands")
        scale = self.scale
        weights = [1 / (i + 1) ** 1.1 for i in range(scale.distributors)]
        total = sum(weights)
        quotas = [max(1, round(scale.brands * w / total)) for w in weights]
        quotas[0] = max(quotas[0], 11)
        counts = [
            min(
                scale.max_domains,
                max(1, int(scale.domains_scale * rng.paretovariate(scale.domains_alpha))),
            )
            for _ in range(sum(quotas))
        ]
        counts.sort(reverse=True)
        top, rest = counts[:10], counts[10:]
        top = [c + 2 + c // 2 for c in top]  # a clear gap between the top ten and everyone else
        rng.shuffle(rest)
        owners = [
            d for d, quota in zip(self.distributors, quotas, strict=True) for _ in range(quota)
        ]
        brands: list[Brand] = []
        for index, owner in enumerate(owners):
            domains = top[index] if index < 10 else rest[index - 10]
            brand = actors.make_brand(self._rng("brand", index), index, owner, domains)
            owner.brands.append(brand)
            brands.append(brand)
        return brands

    # -- sites ---------------------------------------------------------------------------

    def sites(self) -> Iterator[Site]:
        """Brand domains, their onion mirrors and gateways, then non-commercial sites, then
        the sites that only phenomena add (link lists, shorteners)."""
        effects = self.effects
        if effects is not None:
            effects.start()
        counter = 0
        for brand in self.brands:
            rng = self._rng("brand-sites", brand.index)
            brand_start = WORLD_START + timedelta(days=rng.uniform(0, 420))
            span = WORLD_END - brand_start
            own: list[Site] = []
            for k in range(brand.domains):
                start = brand_start + span * (k / brand.domains)
                end = min(WORLD_END, start + span * (1.6 / brand.domains) + timedelta(days=20))
                if k == brand.domains - 1:
                    end = WORLD_END
                site = self._brand_site(counter, brand, k, start, end)
                if effects is not None:
                    effects.brand_site(site)
                counter += 1
                own.append(site)
                yield site
            if rng.random() < 0.1:
                mirror = self._mirror(counter, brand, brand_start)
                if effects is not None:
                    effects.mirror(mirror)
                yield mirror
                counter += 1
            for g in range(rng.choices((0, 1, 2), (0.8, 0.15, 0.05))[0]):
                gateway = self._gateway(counter, brand, g, rng.choice(own))
                if effects is not None:
                    effects.gateway(gateway)
                yield gateway
                counter += 1
        for index in range(self.scale.noise_sites):
            noise = self._noise(counter, index)
            if effects is not None:
                effects.noise(noise)
            yield noise
            counter += 1
        if effects is not None:
            yield from effects.extra_sites(counter)

    def brand_domain(self, brand: Brand, k: int) -> tuple[str, str]:
        """(Unicode, ASCII) registrable domain of a brand's k-th domain; unique by construction."""
        rng = self._rng(f"domain-{brand.index}", k)
        tld = rng.choice(("test", "test", "example"))
        if k == 0:
            label = brand.slug
        elif rng.random() < 0.3:
            label = f"{random_word(rng, 2)}{brand.index}x{k}"
        else:
            word = rng.choice(SHOP_WORDS)
            label = f"{brand.slug}-{word}{k}"
            if self.effects is not None and self.effects.on("glued_names") and rng.random() < 0.5:
                label = glued(rng, brand.slug, word, k)
        if rng.random() < 0.06:
            if self.effects is not None and self.effects.on("look_alikes"):
                unicode_label = look_alike(rng, label)
            else:  # the classic world's draws, so that it keeps its bytes
                unicode_label = rng.choice(IDN_PREFIXES) + label
            return f"{unicode_label}.{tld}", f"{unicode_label.encode('idna').decode()}.{tld}"
        return f"{label}.{tld}", f"{label}.{tld}"

    def _brand_site(self, index: int, brand: Brand, k: int, start: datetime, end: datetime) -> Site:
        rng = self._rng("site", index)
        distributor = brand.distributor
        domain_unicode, domain = self.brand_domain(brand, k)
        behind_cdn = rng.random() < distributor.rates["cdn"]
        periods = self.planner.timeline(rng, start, end, distributor.favourites, behind_cdn)
        pages = self._pages(rng, domain_unicode, domain, _PAGE_KINDS, self.scale.urls_per_site)
        signals = self._commercial_signals(rng, brand, domain)
        if distributor.nameservers and rng.random() < distributor.rates["private_ns"]:
            nameservers: tuple[str, ...] = distributor.nameservers
        elif rng.random() < 0.5:
            nameservers = actors.POPULAR_NAMESERVERS
        else:
            nameservers = periods[-1].provider.nameservers
        return Site(
            index,
            domain,
            "brand",
            "website",
            brand,
            start,
            end,
            periods,
            nameservers,
            pages,
            signals,
            behind_cdn=behind_cdn,
        )

    def _commercial_signals(self, rng: random.Random, brand: Brand, domain: str) -> Signals:
        distributor = brand.distributor
        rates = distributor.rates
        kit = brand.uses_kit or rng.random() < 0.05
        signals = Signals(template=actors.KIT if kit else brand.template)
        signals.script_hosts = (actors.COMMON_SCRIPT_HOST,) + (
            (actors.KIT_CSS_HOST,) if kit else ()
        )
        if rng.random() < 0.85:
            signals.brand_text = brand.name
        if brand.favicon is not None and rng.random() < 0.75:
            signals.favicon = brand.favicon
        elif kit:
            signals.favicon = actors.KIT_FAVICON
        if signals.brand_text is None and signals.favicon is None:
            signals.brand_text = brand.name
        analytics: list[str] = [actors.KIT_ANALYTICS_ID] if kit else []
        strong = False
        if rng.random() < rates["merchant"]:
            signals.merchant = rng.choice(distributor.merchants)
            strong = True
        if rng.random() < rates["btc"]:
            signals.btc = rng.choice(distributor.btc_pool)
            strong = True
        if len(distributor.brands) > 1 and rng.random() < rates["affiliate"]:
            signals.affiliate = self._affiliate(rng, brand)
            strong = True
        if rng.random() < rates["analytics"]:
            analytics.extend(distributor.analytics)
            strong = True
        if not strong:  # every shop takes money somehow
            signals.btc = rng.choice(distributor.btc_pool)
        signals.analytics = tuple(analytics)
        emails = []
        if distributor.email and rng.random() < rates["email"]:
            emails.append(distributor.email)
        if rng.random() < 0.3:
            emails.append(f"info@{domain}")
        signals.emails = tuple(emails)
        return signals

    def _affiliate(self, rng: random.Random, brand: Brand) -> tuple[str, str, str]:
        distributor = brand.distributor
        other = rng.choice([b for b in distributor.brands if b is not brand] or [brand])
        _, target = self.brand_domain(other, rng.randrange(other.domains))
        param = distributor.affiliate_param
        return (
            f"https://{target}/?{param}={distributor.affiliate_id}",
            param,
            distributor.affiliate_id,
        )

    def _pages(
        self,
        rng: random.Random,
        host_unicode: str,
        host: str,
        kinds: tuple[str, ...],
        count_range: tuple[int, int],
        scheme: str | None = None,
    ) -> list[Page]:
        scheme = scheme or ("https" if rng.random() < 0.8 else "http")
        prefix = "www." if rng.random() < 0.6 and not host.endswith(".onion") else ""
        pages = [Page(scheme, prefix + host_unicode, prefix + host, "/", "", "landing")]
        seen = {"/"}
        for _ in range(rng.randint(*count_range) - 1):
            kind = rng.choice(kinds)
            path = f"/{kind}/{rng.randrange(1, 100_000)}"
            if path in seen:
                continue
            seen.add(path)
            query = f"id={rng.randrange(1000)}" if rng.random() < 0.25 else ""
            pages.append(Page(scheme, prefix + host_unicode, prefix + host, path, query, kind))
        return pages

    def _mirror(self, index: int, brand: Brand, start: datetime) -> Site:
        rng = self._rng("site", index)
        onion = onion_v3_address(rng.randbytes(32))
        pages = self._pages(rng, onion, onion, _PAGE_KINDS, self.scale.urls_per_site, "http")
        signals = self._commercial_signals(rng, brand, onion)
        return Site(
            index, onion, "mirror", "website", brand, start, WORLD_END, [], (), pages, signals
        )

    def _gateway(self, index: int, brand: Brand, g: int, target: Site) -> Site:
        rng = self._rng("site", index)
        domain = f"go-{random_word(rng, 2)}{brand.index}g{g}.{rng.choice(('test', 'example'))}"
        periods = self.planner.timeline(rng, target.start, target.end, (), False)
        pages = [Page("http", domain, domain, "/", "", "redirect")]
        if rng.random() < 0.5:
            pages.append(
                Page("http", domain, domain, f"/go/{rng.randrange(1, 1000)}", "", "redirect")
            )
        signals = Signals(template=actors.KIT)
        site = Site(
            index,
            domain,
            "gateway",
            "website",
            brand,
            target.start,
            target.end,
            periods,
            actors.POPULAR_NAMESERVERS,
            pages,
            signals,
        )
        site.redirect_to = target
        site.redirect_style = rng.choice(("302", "meta"))
        return site

    def _noise(self, index: int, noise_index: int) -> Site:
        """Non-commercial sites: image hosts, forums, file hosts. They belong to no brand, and
        they share the hard negatives: shared hosting, the kit template, popular DNS."""
        rng = self._rng("site", index)
        site_type = rng.choice(NOISE_TYPES)
        word = syllable_name(noise_index % 331_776, salt=5)[:9]
        domain = f"{word}-{_NOISE_WORDS[site_type]}{noise_index}.{rng.choice(('test', 'example'))}"
        start = WORLD_START + timedelta(days=rng.uniform(0, 600))
        shared: tuple[Provider, ...] = (self.providers[0],) if rng.random() < 0.4 else ()
        cdn = noise_index >= len(COUNTRIES) and rng.random() < 0.1
        periods = self.planner.timeline(rng, start, WORLD_END, shared, cdn)
        if noise_index < len(COUNTRIES):  # every hosting country has at least one site
            home, last = self.providers[noise_index], periods[-1]
            periods[-1] = HostingPeriod(last.start, last.end, home, home.ip(rng), None)
        pages = self._pages(
            rng, domain, domain, _NOISE_PAGE_KINDS[site_type], self.scale.noise_urls_per_site
        )
        kit = rng.random() < 0.35
        signals = Signals(template=actors.KIT if kit else _noise_template(rng, index))
        signals.script_hosts = (actors.COMMON_SCRIPT_HOST,)
        if kit:
            signals.analytics = (actors.KIT_ANALYTICS_ID,)
            signals.favicon = actors.KIT_FAVICON if rng.random() < 0.5 else None
        signals.emails = (f"{random_word(rng, 2)}{noise_index}@{actors.FREEMAIL_DOMAIN}",)
        if site_type == "forum" and self.brands:
            brand = self.brands[rng.randrange(len(self.brands))]
            _, target = self.brand_domain(brand, rng.randrange(brand.domains))
            signals.outlinks = (f"https://{target}/",)
        nameservers = (
            actors.POPULAR_NAMESERVERS if rng.random() < 0.6 else periods[-1].provider.nameservers
        )
        return Site(
            index,
            domain,
            "noise",
            site_type,
            None,
            start,
            WORLD_END,
            periods,
            nameservers,
            pages,
            signals,
            behind_cdn=periods[-1].provider.kind == "cdn",
        )


def _noise_template(rng: random.Random, index: int) -> Template:
    return actors.template_family(rng, f"N{index}")


__all__ = ["WORLD_END", "WORLD_START", "Page", "Provider", "Signals", "Site", "World"]
