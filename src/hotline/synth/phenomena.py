"""Phenomena of real captures that fool attribution, each switchable on its own.

Worlds without them are too clean: a method tuned on them scored 0.99 F1 here and 0.2-0.4
distributor F1 on independent worlds, because real captures hold error pages, parked domains,
anti-bot interstitials, referral tags, shared template kits, web agencies' credits, link
shorteners, donation addresses, hosting panels' injected scripts and consent widgets (and
real DNS holds sites' own name servers in other countries, which fools hosting). Each
phenomenon here adds one of them, with rates drawn per world from the seed (independent worlds
differ), and its own random stream: a hash roll per (world seed, phenomenon, site index)
decides whether a site is touched, and only touched sites seed a generator for the details.
Switching one phenomenon on or off therefore never moves another one's choices, and with all
of them off no draw happens at all: the world is byte-identical to one generated without this
module.

What goes into the selector dump follows one rule: the dump is what a correct extractor finds
on the captured pages *as evidence*. Decoys that sit on normal pages (a kit's default
analytics id, an agency's e-mail, a forum's donation address, a shortener's redirects) are in
it; what a correct extractor must discard is not: anything on an error, parked, suspended or
challenge page; ``ref=<own name>`` tags on outbound links; decorations of a brand name ("Name
logo", "Welcome to Name", "Name™"), for which the dump keeps the plain normalised name.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from html import escape
from typing import Any, TypeVar

from hotline.captures.bitcoin import random_address
from hotline.synth import actors
from hotline.synth.actors import Template, template_family
from hotline.synth.hosting import CDN_DOMAIN, HostingPeriod, Provider
from hotline.synth.html import SECTION_SEPARATORS, analytics_snippet, brand_text, payment_form
from hotline.synth.images import favicon_png
from hotline.synth.names import (
    CYRILLIC_FOR,
    GLUED_PREFIXES,
    SHOP_WORDS,
    SYLLABLES,
    base36,
    random_word,
    syllable_name,
    token,
)
from hotline.synth.world import WORLD_END, WORLD_START, Page, Signals, Site, World

Selector = tuple[str, str]
_T = TypeVar("_T")
_MASK = 2**64 - 1
_CYRILLIC_LOOK_ALIKES = frozenset(CYRILLIC_FOR.values())


# What processors call the merchant account in their checkout forms and links, one per
# processor: some names any reader knows, some only their stem tells ("sellerAccountRef").
MERCHANT_FIELDS = (
    "clientAccnum", "co_code", "sellerId", "acct", "storeNumber", "merchantRef",
    "sellerAccountRef", "hosted_button_id",
)  # fmt: skip


def _glued(key: str, slug: str) -> bool:
    label = key.split(".")[0]
    return any(label.startswith(f"{prefix}{slug}") for prefix in GLUED_PREFIXES) or any(
        label.startswith(f"{slug}{word}") for word in SHOP_WORDS
    )


# logo_alt's decorated titles, in English and in some of the hotlines' other languages
_GREETINGS = (
    "Welcome to",
    "Welcome to",
    "Willkommen bei",
    "Bienvenue sur",
    "Bienvenido a",
    "Welkom bij",
)
_OFFICIAL = ("official site", "Official Site", "offizielle Seite", "site officiel")
OTHER_COINS = ("LTC", "XMR", "TRX")
_PAGES = 1024  # more pages than any site has: (site, page) → one roll index

PHENOMENA: tuple[str, ...] = (
    "error_pages",
    "parked",
    "suspended",
    "challenge",
    "referral_links",
    "logo_alt",
    "shared_kits",
    "agency",
    "shortener",
    "donations",
    "hosting_panel",
    "consent",
    "in_bailiwick_ns",
    "misjudged",
    "known_media",
    "namesakes",
    "section_pages",
    "item_pages",
    "look_alikes",
    "glued_names",
    "processor_fields",
    "other_coins",
    "client_redirects",
    "link_outs",
    "house_agency",
)

DESCRIPTIONS: dict[str, str] = {
    "error_pages": "taken-down brand sites answer 404/410/5xx with nginx, Apache or framework "
    "error pages (a share as soft 404s with status 200); some sites only ever as errors",
    "parked": "abandoned brand domains show a parking company's page (its template, analytics "
    "id, favicon, 'Buy this domain' link with its partner id)",
    "suspended": "hosting companies' 'Account suspended' pages (per host: template, favicon, "
    "support e-mail), status 200 or 503",
    "challenge": "CDN and anti-bot interstitials ('Just a moment...', 'Checking your browser') "
    "with status 403, 503 or 200 on some captures",
    "referral_links": "forums and new link-list sites tag outbound shop links with "
    "?ref=<own name> (or utm_source), many brands per page",
    "logo_alt": "brand names decorated: logo alt 'Name logo', titles 'Welcome to Name(!)' (or "
    "'Willkommen bei Name', 'Bienvenue sur Name', ...), "
    "'Name - official site', 'Name™', '★ Name ★' or the site's own address, headings 'Name™'",
    "shared_kits": "2-5 more template kits with default analytics id, favicon, CSS host and a "
    "default title ('Demo Store') on brands of different distributors",
    "agency": "web-design agencies' 'Site by' credits, e-mail and analytics on unrelated "
    "brands' and non-commercial sites",
    "house_agency": "a web-design agency working for one distributor only, whose credit, "
    "e-mail and analytics id are also on a few non-commercial sites the hotlines misjudge as "
    "commercial",
    "shortener": "a link shortener (non-commercial) whose short links 302 to shops of many "
    "brands and distributors",
    "donations": "forums show their own Bitcoin donation address, a BigPay donate button or a "
    "freemail donation address",
    "hosting_panel": "shared hosts' control panels inject their stats script, analytics id "
    "and a default favicon into every hosted site",
    "consent": "a cookie-consent widget on many sites, some with the vendor's demo tag "
    "manager container id",
    "in_bailiwick_ns": "sites run their own name servers ns1/ns2.<site> (and sometimes "
    "mail.<site>) in another country and AS than the web server, CDN-fronted sites too",
    "misjudged": "hotlines' commercial flag is wrong on some reports, and on some sites every "
    "reporting hotline gets it wrong (a forum with a donation button, a shop seen only dead)",
    "namesakes": "non-commercial pages whose domain spells a brand's name (reviews, mirror "
    "lists, fan pages: <name>-reviews3.test) with a generic title and no name of their own",
    "section_pages": "inner pages name their section first ('Contact us | Name', 'Gallery – "
    "Name') and head it with the section ('Latest updates'), on brand and non-commercial sites",
    "item_pages": "shop systems' product pages name the item first ('Deluxe pack 4821 | Name', "
    "or the item alone) and head it with the item; a few item names recur across brands",
    "processor_fields": "each processor names the merchant account its own way in its forms "
    "and links (clientAccnum, co_code, sellerAccountRef, ...) instead of merchant_id",
    "glued_names": "half of the brand domains with a shop word glue it to the name "
    "(zorvexalshop7.test) or put get/my/buy in front (getzorvexal7.test)",
    "look_alikes": "half of the internationalised brand domains swap one or two letters for "
    "Cyrillic ones drawn the same (zorve\u0445al-shop3.test) instead of putting two letters "
    "in front",
    "client_redirects": "doorways that send visitors on with a page of their own (a meta "
    "refresh or a script setting location) are followed with no Referer on some captures, as "
    "browsers' referrer policies do",
    "link_outs": "link lists known only through their out-links (/out/<n>, 302 to a shop), "
    "one to three of them each, reported by hotlines as non-commercial",
    "other_coins": "some distributors take Litecoin, Monero or Tron (USDT) instead of Bitcoin: "
    "their shops show an address of that coin, with its own payment URI, where others show a "
    "Bitcoin one",
    "known_media": "each distributor's catalogue of images recurs across its sites; hash lists "
    "in hashlists/ know part of it (exact hashes, PDQ near-copies at 0-40 bits, flat "
    "low-quality images, one known-benign image)",
}

# Rates are uniform in these ranges, drawn per world from the seed.
RATE_RANGES: dict[str, dict[str, tuple[float, float] | tuple[int, int]]] = {
    # doorways whose page redirects by a script instead of a meta refresh; captures of the
    # target through such a page that carry no Referer
    "client_redirects": {"script": (0.3, 0.7), "no_referer": (0.4, 0.8)},
    # share of distributors that take another coin instead of Bitcoin
    "other_coins": {"distributors": (0.15, 0.35)},
    # brand sites taken down (abandoned domains weigh 1.4x, live ones 0.6x), soft-404 share,
    # share of them down before their first capture (hotlines capture a site when it is
    # reported, mostly while it is up: a site seen only dead is the exception; the benchmark
    # reports the ceiling such sites put on any method's score)
    "error_pages": {"sites": (0.08, 0.18), "soft": (0.2, 0.5), "only": (0.04, 0.1)},
    "parked": {"sites": (0.06, 0.14), "only": (0.03, 0.08)},
    "suspended": {"sites": (0.03, 0.07), "only": (0.03, 0.08)},
    # share of captures challenged: CDN-fronted sites, and sites with their own anti-bot
    "challenge": {"cdn": (0.2, 0.5), "other": (0.01, 0.04)},
    # forums that tag, link lists per non-commercial site, forums with several links
    "referral_links": {"forums": (0.4, 0.8), "link_lists": (0.03, 0.06), "several": (0.3, 0.6)},
    "logo_alt": {"sites": (0.25, 0.5)},
    "shared_kits": {
        "brands": (0.04, 0.1),
        "default_title": (0.2, 0.5),
        "analytics": (0.5, 0.9),
        "noise": (0.05, 0.15),
    },
    "agency": {
        "brands": (0.03, 0.08),
        "noise": (0.04, 0.1),
        "email": (0.3, 0.7),
        "analytics": (0.3, 0.7),
    },
    # the one distributor's brands it works for (a share; at least one), its non-commercial
    # clients (a whole number), and its e-mail and analytics on a credited site
    "house_agency": {
        "brands": (0.2, 0.5),
        "clients": (2, 4),
        "email": (0.3, 0.7),
        "analytics": (0.6, 0.9),
    },
    # short links per shortener: a whole number (both bounds are integers)
    "shortener": {"links": (12, 30)},
    # link lists seen only through their out-links, per non-commercial site
    "link_outs": {"sites": (0.02, 0.05)},
    "donations": {"btc": (0.2, 0.5), "email": (0.1, 0.3), "button": (0.05, 0.2)},
    # shared hosts that run such a panel, hosted sites it injects into
    "hosting_panel": {"hosts": (0.5, 1.0), "sites": (0.6, 0.95)},
    "consent": {"sites": (0.1, 0.3), "demo_container": (0.3, 0.6)},
    # reports whose commercial flag is the wrong way round; sites whose every flag is
    "misjudged": {"reports": (0.03, 0.08), "sites": (0.02, 0.06)},
    # namesake pages per non-commercial site
    "namesakes": {"sites": (0.03, 0.08)},
    # sites with their own name servers (CDN-fronted ones apart), of them: set up during the
    # site's life rather than from its start, with a mail host on the same server
    "in_bailiwick_ns": {
        "sites": (0.1, 0.25),
        "cdn": (0.3, 0.7),
        "late": (0.3, 0.7),
        "mail": (0.3, 0.6),
    },
    # brand sites, non-commercial sites whose inner pages are titled and headed by section
    "section_pages": {"sites": (0.3, 0.6), "noise": (0.2, 0.5)},
    # brand sites whose item and gallery pages are product pages, titled by the item
    "item_pages": {"sites": (0.3, 0.6)},
    "known_media": {},  # fixed shares (hotline.synth.known_media): the lists are the point
    "look_alikes": {},  # fixed: half of the internationalised brand domains (about 3 %)
    "glued_names": {},  # fixed: half of the brand domains that carry a shop word
    "processor_fields": {},  # fixed: every site with a merchant account
}


def parse_phenomena(text: str) -> frozenset[str]:
    """``all``, ``none`` or a comma-separated list of names; ValueError names the valid ones."""
    words = [word.strip() for word in text.split(",") if word.strip()]
    if words == ["all"]:
        return frozenset(PHENOMENA)
    if words in ([], ["none"]):
        return frozenset()
    return check_phenomena(words)


def check_phenomena(names: Iterable[str]) -> frozenset[str]:
    """The names as a set; ValueError for any that is not in :data:`PHENOMENA`."""
    chosen = frozenset(names)
    unknown = sorted(chosen - set(PHENOMENA))
    if unknown:
        raise ValueError(
            f"unknown phenomen{'a' if len(unknown) > 1 else 'on'} {', '.join(unknown)}; "
            f"valid: all, none, {', '.join(PHENOMENA)}"
        )
    return chosen


# -- what a site carries --------------------------------------------------------------------


@dataclass(slots=True)
class Decor:
    """Static additions to every page of a site; ``shown`` lists the selectors they show."""

    marks: set[str] = field(default_factory=set)  # phenomena that touched the site
    head: list[str] = field(default_factory=list)
    body: list[str] = field(default_factory=list)
    footer: list[str] = field(default_factory=list)
    shown: list[Selector] = field(default_factory=list)
    title: str | None = None  # replaces the title on every page (a kit default, a link list)
    title_shown: list[Selector] = field(default_factory=list)
    brand_title: str | None = None  # replaces "Name | tagline" where a page shows it
    logo_alt: str | None = None
    h1: str | None = None
    # inner pages titled "<section><separator><name>" and headed by the section (see
    # :func:`hotline.synth.html.section_of`); None: every page titled and headed as the landing page
    section_separator: str | None = None
    # item and gallery pages titled "<item><separator><name>" (or the item alone) and headed
    # by the item (see :func:`hotline.synth.html.item_of`); None: no product pages
    item_separator: str | None = None
    # the field the site's processor names the merchant account by (``processor_fields``);
    # None: ``merchant_id``
    merchant_field: str | None = None
    # the coin the site's operator takes instead of Bitcoin (``other_coins``): "LTC", "XMR"
    # or "TRX"; None: Bitcoin
    coin: str | None = None
    # every hotline that reports the site gets its commercial flag wrong (``house_agency``)
    misjudged: bool = False


@dataclass(frozen=True, slots=True)
class Fate:
    """A brand site taken down: captures from ``after`` on show the decoy page instead."""

    kind: str  # error_pages | parked | suspended
    after: datetime
    style: str = ""  # error pages: nginx | apache | framework | default | index
    status: int = 200
    variant: int = 0
    parker: int = 0


@dataclass(frozen=True, slots=True)
class OwnNameservers:
    """A site's in-bailiwick name servers (``ns1.<site>``, ``ns2.<site>``, and maybe
    ``mail.<site>`` on the first one's address), from ``since`` to the site's end, hosted by
    ``provider``: never the web server's country or AS."""

    names: tuple[str, ...]
    addresses: tuple[str, ...]  # one per name
    provider: Provider
    since: datetime
    mail: str | None = None

    def hosts(self) -> dict[str, str]:
        """Every name this server answers for → its address."""
        hosts = dict(zip(self.names, self.addresses, strict=True))
        if self.mail is not None:
            hosts[self.mail] = self.addresses[0]
        return hosts


@dataclass(frozen=True, slots=True)
class Decoy:
    """A response a capture gets instead of the site's page."""

    phenomenon: str
    status: int
    content_type: str
    body: bytes
    server: str
    favicon: bytes | None = None


@dataclass(frozen=True, slots=True)
class Injection:
    """What a hosting panel adds to a page at capture time."""

    head: str
    shown: tuple[Selector, ...]
    favicon: bytes


REASONS = {
    200: "OK",
    403: "Forbidden",
    404: "Not Found",
    410: "Gone",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
}

# -- actors ---------------------------------------------------------------------------------

# Placeholders a kit ships in its title; other kits ship their demo shop's made-up name,
# which no list of placeholder words can know.
_KIT_TITLES = ("Your Shop Name", "Demo Store", "Store Name Here", "Shop Title", "Sample Shop")
_AGENCY_WORDS = ("Studio", "Webworks", "Digital", "Design", "Pixels")
_RELATED = (
    "Gift ideas",
    "Office supplies",
    "Garden tools",
    "Used books",
    "Phone cases",
    "Web hosting",
    "Travel deals",
    "Home decor",
)


@dataclass(frozen=True, slots=True)
class Kit:
    name: str
    template: Template
    analytics: str
    favicon: bytes
    css_host: str
    default_title: str
    commercial_only: bool


@dataclass(frozen=True, slots=True)
class Agency:
    name: str
    domain: str
    email: str
    analytics: str | None
    style: str  # ref | client


@dataclass(frozen=True, slots=True)
class Parker:
    name: str
    domain: str
    analytics: str
    favicon: bytes
    template: Template
    partner: str
    title: str  # a format with {domain}


@dataclass(frozen=True, slots=True)
class HostPages:
    """A hosting company's suspension page and, for shared hosts, its control panel."""

    domain: str
    template: Template
    favicon: bytes
    email: str
    status: int
    title: str
    panel: Injection | None


class Effects:
    """The switched-on phenomena of one world: rates, actors, per-site choices, decoy pages."""

    def __init__(self, world: World, names: frozenset[str], rate_scale: float = 1.0) -> None:
        """``rate_scale`` multiplies every drawn rate (a share is capped at 1, a count is
        rounded): a world harsher (2) or milder (0.5) than the ranges below, to see how the
        method bends on worlds unlike those it was tuned on. 1 changes nothing."""
        if not rate_scale > 0:
            raise ValueError("rate_scale must be a positive number")
        self.world = world
        self.seed = world.seed
        self.names = names
        self.rate_scale = rate_scale
        self.rates: dict[str, float] = {}
        for name in sorted(names):
            rng = random.Random(f"{self.seed}:phenomena:{name}")
            for key, (low, high) in RATE_RANGES[name].items():
                whole = isinstance(low, int) and isinstance(high, int)  # a count, not a share
                draw = (
                    rng.randint(int(low), int(high)) if whole else round(rng.uniform(low, high), 4)
                )
                if rate_scale != 1.0:
                    draw = round(draw * rate_scale) if whole else min(1.0, draw * rate_scale)
                self.rates[f"{name}.{key}"] = draw
        self.kits: list[Kit] = []
        self.kit_of: dict[int, Kit] = {}  # brand index → its shared kit
        self.agencies: list[Agency] = []
        self.agency_of: dict[int, Agency] = {}  # brand index → its agency
        self.house: Agency | None = None  # an agency working for one distributor only
        self.house_brands: frozenset[int] = frozenset()  # ... and that one's brands it serves
        self.parkers: list[Parker] = []
        self.consent_host = ""
        self.consent_container = ""
        self.hosts: dict[int, HostPages] = {}  # provider index → its pages
        self._targets: list[Site] = []  # brand sites a shortener may point at
        self._out_targets: list[Site] = []  # ... and a link list's out-links
        self._salts: dict[str, int] = {}
        # (phenomenon, brand index): the brands that put a kit or an agency on two distributors
        self._anchors: set[tuple[str, int]] = set()
        self._noise_seen = 0  # non-commercial sites met in this pass over the stream
        self._forums_seen = 0
        self._own_ns_kinds: set[bool] = set()  # CDN-fronted or not: met a first one of each
        self._target_share = 0.0
        if "shared_kits" in names:
            self._make_kits()
        if "agency" in names:
            self._make_agencies()
        if "house_agency" in names:
            self._make_house_agency()
        if "parked" in names:
            self._make_parkers()
        if "suspended" in names or "hosting_panel" in names:
            self.hosts = {p.index: self._host_pages(p) for p in world.providers}
        if "consent" in names:
            rng = self._rng("consent-vendor")
            self.consent_host = f"consent.{random_word(rng, 2)}wall.example"
            self.consent_container = f"GTM-{token(rng, 7)}"
        domains = max(1, sum(brand.domains for brand in world.brands))
        if "shortener" in names:
            wanted = self.shorteners() * int(self.rates["shortener.links"])
            self._target_share = min(1.0, 3 * wanted / domains)
        self._out_share = 0.0
        if "link_outs" in names:
            self._out_share = min(1.0, 6 * self._link_outs() / domains)

    # -- random streams -------------------------------------------------------------------

    def hash64(self, name: str, index: int) -> int:
        """64 random-looking bits for (seed, name, index), independent across names.

        Drawn for every site and capture, so it must cost far less than seeding a generator
        (~5 µs): SplitMix64's finaliser over a per-name salt plus the index, well under 1 µs.
        Choices that need only a few draws take them from here, not from a generator."""
        salt = self._salts.get(name)
        if salt is None:
            key = f"{self.seed}:{name}".encode()
            salt = int.from_bytes(hashlib.blake2b(key, digest_size=8).digest(), "big")
            self._salts[name] = salt
        x = (salt + (index + 1) * 0x9E3779B97F4A7C15) & _MASK
        x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
        x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & _MASK
        return x ^ (x >> 31)

    def roll(self, name: str, index: int) -> float:
        """A uniform number in [0, 1) for (seed, name, index): see :meth:`hash64`."""
        return self.hash64(name, index) / 2**64

    def _rng(self, name: str, index: int | str = 0) -> random.Random:
        return random.Random(f"{self.seed}:phenomenon:{name}:{index}")

    def on(self, name: str) -> bool:
        return name in self.names

    def judged_commercial(self, site: Site, report: int) -> bool:
        """The commercial flag one hotline's report gives ``site`` (``report``: a number
        unique to the report): right, unless the site or this report is misjudged."""
        flag = site.commercial
        if self.misjudged(site):
            return not flag
        if self.on("misjudged") and (
            self.roll("misjudged.report", report) < self.rates["misjudged.reports"]
        ):
            return not flag
        return flag

    def misjudged(self, site: Site) -> bool:
        """Whether every hotline that reports ``site`` gets its commercial flag wrong."""
        if site.signals.decor is not None and site.signals.decor.misjudged:
            return True
        return self.on("misjudged") and (
            self.roll("misjudged.site", site.index) < self.rates["misjudged.sites"]
        )

    # -- actors -----------------------------------------------------------------------------

    def _make_kits(self) -> None:
        rng = self._rng("kits")
        titles = rng.sample(_KIT_TITLES, rng.randint(2, 5))
        for number, placeholder in enumerate(titles):
            word = syllable_name(number, salt=23)[:6]
            # the first kit (only ever on shops) ships a demo name: the hardest trap
            demo = number == 0 or rng.random() < 0.4
            title = (
                f"{syllable_name(number, salt=37)[:7].capitalize()} Boutique"
                if demo
                else placeholder
            )
            self.kits.append(
                Kit(
                    name=f"{word.capitalize()}Kit",
                    template=template_family(rng, f"kit{number + 2}"),
                    analytics=f"G-{token(rng, 10)}",
                    favicon=favicon_png(rng),
                    css_host=f"static.{word}kit.example",
                    default_title=title,
                    # the first kit is only ever on shops: no non-commercial carrier gives it away
                    commercial_only=number == 0 or rng.random() < 0.4,
                )
            )
        self.kit_of = self._clients(rng, self.kits, "shared_kits", self.rates["shared_kits.brands"])

    def _make_agencies(self) -> None:
        rng = self._rng("agencies")
        for number in range(rng.randint(2, 5)):
            word = syllable_name(number, salt=41)[:6]
            kind = rng.choice(_AGENCY_WORDS)
            domain = f"{word}-{kind.lower()}.example"
            self.agencies.append(
                Agency(
                    name=f"{word.capitalize()} {kind}",
                    domain=domain,
                    email=f"{rng.choice(('hello', 'studio', 'contact'))}@{domain}",
                    analytics=f"G-{token(rng, 10)}" if rng.random() < 0.7 else None,
                    style=rng.choice(("ref", "client")),
                )
            )
        self.agency_of = self._clients(rng, self.agencies, "agency", self.rates["agency.brands"])

    def _make_house_agency(self) -> None:
        """One agency that builds shops for a single distributor (at least one brand, more
        at ``house_agency.brands``) and pages for a few non-commercial clients: its tag and
        mailbox on the shops point at that distributor alone, so a client page the hotlines
        misjudge looks like one more of the operator's sites."""
        rng = self._rng("house_agency")
        owners = [d for d in self.world.distributors if d.brands]
        if not owners:
            return
        owner = rng.choice(owners)
        word = syllable_name(0, salt=43)[:6]
        kind = rng.choice(_AGENCY_WORDS)
        domain = f"{word}-{kind.lower()}.example"
        self.house = Agency(
            name=f"{word.capitalize()} {kind}",
            domain=domain,
            email=f"{rng.choice(('hello', 'studio', 'contact'))}@{domain}",
            analytics=f"G-{token(rng, 10)}",
            style=rng.choice(("ref", "client")),
        )
        several = [brand for brand in owner.brands if brand.domains > 1] or list(owner.brands)
        chosen = {rng.choice(several).index}
        chosen |= {
            brand.index
            for brand in owner.brands
            if self.roll("house_agency", brand.index) < self.rates["house_agency.brands"]
        }
        self.house_brands = frozenset(chosen)

    def _clients(
        self, rng: random.Random, suppliers: list[_T], name: str, rate: float
    ) -> dict[int, _T]:
        """Brand index → supplier. Every supplier gets brands of two different distributors
        first (the point of the phenomenon), then brands join at ``rate``."""
        owners = [d for d in self.world.distributors if d.brands]
        chosen: dict[int, _T] = {}
        for supplier in suppliers:
            for owner in rng.sample(owners, min(2, len(owners))):
                free = [brand for brand in owner.brands if brand.index not in chosen]
                # a brand with several domains, where there is one: its credit survives a
                # domain that drops it or is down
                free = [brand for brand in free if brand.domains > 1] or free
                if free:
                    anchor = rng.choice(free)
                    chosen[anchor.index] = supplier
                    self._anchors.add((name, anchor.index))
        for brand in self.world.brands:
            if brand.index not in chosen and self.roll(name, brand.index) < rate:
                pick = int(self.roll(f"{name}-which", brand.index) * len(suppliers))
                chosen[brand.index] = suppliers[pick]
        return chosen

    def _make_parkers(self) -> None:
        rng = self._rng("parkers")
        formats = ("{domain} - domain parked", "{domain} is for sale", "{domain} - parked")
        for number in range(rng.randint(2, 4)):
            word = syllable_name(number, salt=59)[:6]
            self.parkers.append(
                Parker(
                    name=f"{word.capitalize()}Park",
                    domain=f"{word}park.example",
                    analytics=f"G-{token(rng, 10)}",
                    favicon=favicon_png(rng),
                    template=template_family(rng, f"park{number + 1}"),
                    partner=token(rng, 6),
                    title=rng.choice(formats),
                )
            )

    def _host_pages(self, provider: Provider) -> HostPages:
        """A provider's suspension page and, for a shared host, maybe its control panel (the
        first shared host always runs one: the phenomenon never vanishes from a world)."""
        domain = provider.nameservers[0].split(".", 1)[1]
        panel = None
        rng = self._rng("panel", provider.index)
        runs = provider.index == 0 or rng.random() < self.rates.get("hosting_panel.hosts", 0)
        if self.on("hosting_panel") and provider.kind == "shared" and runs:
            host = f"panel.{domain}"
            analytics = f"G-{token(rng, 10)}"
            panel = Injection(
                f'<script async src="https://{host}/stats/counter.js"></script>'
                + analytics_snippet(analytics),
                (("script_host", host), ("analytics", analytics)),
                favicon_png(rng),
            )
        rng = self._rng("host", provider.index)
        return HostPages(
            domain=domain,
            template=template_family(rng, f"host{provider.index}"),
            favicon=favicon_png(rng),
            email=f"{rng.choice(('support', 'abuse', 'billing'))}@{domain}",
            status=rng.choice((200, 200, 503)),
            title=rng.choice(
                ("Account Suspended", "Website Suspended", "This Account has been suspended")
            ),
            panel=panel,
        )

    def shorteners(self) -> int:
        return max(1, self.world.scale.noise_sites // 6000)

    def _link_outs(self) -> int:
        return max(2, round(self.world.scale.noise_sites * self.rates["link_outs.sites"]))

    # -- per site -----------------------------------------------------------------------------

    def start(self) -> None:
        """A new pass over the site stream: forget the shortener targets of the last one."""
        self._targets = []
        self._out_targets = []
        self._noise_seen = 0
        self._forums_seen = 0
        self._own_ns_kinds = set()

    def brand_site(self, site: Site) -> None:
        host = site.pages[0].host_unicode if site.pages else ""
        if self.on("look_alikes") and any(char in _CYRILLIC_LOOK_ALIKES for char in host):
            self.decor(site).marks.add("look_alikes")
        if self.on("glued_names") and site.brand is not None and _glued(site.key, site.brand.slug):
            self.decor(site).marks.add("glued_names")
        self._processor_field(site)
        self._fate(site)
        self._challenge(site)
        self._brand_decor(site)
        self._own_nameservers(site)
        if self._target_share and self.roll("shortener", site.index) < self._target_share:
            self._targets.append(site)
        if self._out_share and self.roll("link_outs", site.index) < self._out_share:
            self._out_targets.append(site)

    def _processor_field(self, site: Site) -> None:
        merchant = site.signals.merchant
        if not self.on("processor_fields") or merchant is None:
            return
        digest = hashlib.blake2b(merchant.processor.host.encode(), digest_size=4).digest()
        decor = self.decor(site)
        decor.merchant_field = MERCHANT_FIELDS[int.from_bytes(digest, "big") % len(MERCHANT_FIELDS)]
        decor.marks.add("processor_fields")

    def mirror(self, site: Site) -> None:
        self._processor_field(site)
        self._brand_decor(site)

    def gateway(self, site: Site) -> None:
        self._own_nameservers(site)

    def noise(self, site: Site) -> None:
        self._challenge(site)
        self._own_nameservers(site)
        if self.on("referral_links") and site.site_type == "forum":
            self._referral_forum(site)
        if self.on("donations") and site.site_type == "forum":
            self._donations(site, self._forums_seen)
        self._forums_seen += site.site_type == "forum"
        if self.on("shared_kits"):
            open_kits = [kit for kit in self.kits if not kit.commercial_only]
            if open_kits and self.roll("shared_kits", site.index) < self.rates["shared_kits.noise"]:
                rng = self._rng("shared_kits", site.index)
                self._apply_kit(site, rng.choice(open_kits), rng)
        ordinal, self._noise_seen = self._noise_seen, self._noise_seen + 1
        if self.on("agency"):
            rng = self._rng("agency", site.index)
            # every agency made at least one non-commercial site (the k-th agency the
            # (7k+3)-th one), so the phenomenon shows on non-commercial sites in any world
            if ordinal % 7 == 3 and ordinal // 7 < len(self.agencies):
                self._apply_agency(site, self.agencies[ordinal // 7], rng, str(site.index))
            elif self.roll("agency", site.index) < self.rates["agency.noise"]:
                self._apply_agency(site, rng.choice(self.agencies), rng, str(site.index))
        if self.house is not None and ordinal % 5 == 2:
            number = ordinal // 5
            if number < self.rates["house_agency.clients"]:
                # its tag always (the trap), its mailbox sometimes; the hotlines take the
                # first client's pages for a shop, and every other client's at even odds
                rng = self._rng("house_agency", f"client{site.index}")
                self._apply_agency(
                    site,
                    self.house,
                    rng,
                    str(site.index),
                    (self.rates["house_agency.email"], 1.0),
                    "house_agency",
                )
                self.decor(site).misjudged = number == 0 or rng.random() < 0.5
        self._consent(site)
        self._sections(site, "noise")

    def _sections(self, site: Site, rate: str) -> None:
        if (
            self.on("section_pages")
            and self.roll("section_pages", site.index) < self.rates[f"section_pages.{rate}"]
        ):
            decor = self.decor(site)
            decor.marks.add("section_pages")
            decor.section_separator = SECTION_SEPARATORS[
                self.hash64("section_pages-style", site.index) % len(SECTION_SEPARATORS)
            ]

    def _brand_decor(self, site: Site) -> None:
        brand = site.brand
        assert brand is not None
        owner = site.distributor
        if (
            self.on("other_coins")
            and owner is not None
            and self.roll("other_coins", owner.index) < self.rates["other_coins.distributors"]
        ):
            decor = self.decor(site)
            decor.marks.add("other_coins")
            decor.coin = OTHER_COINS[self.hash64("other_coins-coin", owner.index) % 3]
        if self.on("logo_alt") and self.roll("logo_alt", site.index) < self.rates["logo_alt.sites"]:
            self._logo(site)
        kit = self.kit_of.get(brand.index)
        if kit is not None:
            self._apply_kit(site, kit, self._rng("shared_kits", site.index))
        agency = self.agency_of.get(brand.index)
        if agency is not None:
            rng = self._rng("agency", site.index)
            # not every domain of a client keeps the credit, but the anchor clients' do
            if rng.random() < 0.85 or ("agency", brand.index) in self._anchors:
                self._apply_agency(site, agency, rng, f"{brand.index + 1:05d}")
        if self.house is not None and brand.index in self.house_brands:
            rng = self._rng("house_agency", site.index)
            if rng.random() < 0.85:
                self._apply_agency(
                    site,
                    self.house,
                    rng,
                    f"{brand.index + 1:05d}",
                    (self.rates["house_agency.email"], self.rates["house_agency.analytics"]),
                    "house_agency",
                )
        self._consent(site)
        self._sections(site, "sites")
        if (
            self.on("item_pages")
            and self.roll("item_pages", site.index) < self.rates["item_pages.sites"]
        ):
            decor = self.decor(site)
            decor.marks.add("item_pages")
            decor.item_separator = SECTION_SEPARATORS[
                self.hash64("item_pages-style", site.index) % len(SECTION_SEPARATORS)
            ]

    @staticmethod
    def decor(site: Site) -> Decor:
        if site.signals.decor is None:
            site.signals.decor = Decor()
        return site.signals.decor

    def _fate(self, site: Site) -> None:
        """At most one takedown per site; the precedence keeps each roll independent."""
        weight = 1.4 if site.end < WORLD_END else 0.6  # mostly domains the brand has left
        for name in ("parked", "suspended", "error_pages"):
            if not self.on(name) or (name == "suspended" and site.behind_cdn):
                continue
            if self.roll(name, site.index) >= self.rates[f"{name}.sites"] * weight:
                continue
            rng = self._rng(name, site.index)
            span = site.end - site.start
            # when in the site's life it went down: mostly late, after the reports that
            # brought the captures
            share = 0.0 if rng.random() < self.rates[f"{name}.only"] else rng.uniform(0.5, 0.95)
            after = site.start + span * share
            if name == "parked":
                # a few registrars park most expired domains: shares fall off like 1/rank
                weights = [1 / rank for rank in range(1, len(self.parkers) + 1)]
                parker = rng.choices(range(len(self.parkers)), weights)[0]
                site.fate = Fate(name, after, parker=parker)
            elif name == "suspended":
                site.fate = Fate(name, after)
            elif rng.random() < self.rates["error_pages.soft"]:
                style = rng.choice(("framework", "framework", "default", "index"))
                site.fate = Fate(name, after, style, 200, rng.randrange(4))
            else:
                status = rng.choices((404, 410, 500, 502, 503), (0.4, 0.1, 0.1, 0.15, 0.25))[0]
                style = rng.choices(("nginx", "apache", "framework"), (0.5, 0.3, 0.2))[0]
                site.fate = Fate(name, after, style, status, rng.randrange(4))
            return  # marked by the writer when a capture shows it, not here

    def _own_nameservers(self, site: Site) -> None:
        """In-bailiwick name servers on another provider, in another country than the web
        server (for a CDN-fronted site: than the CDN's). The first CDN-fronted site and the
        first other site of a world always have them, so the phenomenon shows on both."""
        if not self.on("in_bailiwick_ns") or not site.periods:
            return
        cdn = site.behind_cdn
        first = cdn not in self._own_ns_kinds
        self._own_ns_kinds.add(cdn)
        rate = self.rates["in_bailiwick_ns.cdn" if cdn else "in_bailiwick_ns.sites"]
        if not first and self.roll("in_bailiwick_ns", site.index) >= rate:
            return
        rng = self._rng("in_bailiwick_ns", site.index)
        web = site.periods[-1].provider
        used = {period.provider.index for period in site.periods}
        # a name server runs on a server of its own: not on a shared host
        candidates = [
            p
            for p in self.world.providers
            if p.kind != "shared" and p.country != web.country and p.index not in used
        ]
        provider = rng.choice(candidates)
        first_ip = provider.ip(rng)
        second_ip = first_ip if rng.random() < 0.5 else provider.ip(rng)
        since = site.start
        if rng.random() < self.rates["in_bailiwick_ns.late"]:
            since = site.start + (site.end - site.start) * rng.uniform(0.1, 0.6)
        mail = f"mail.{site.key}" if rng.random() < self.rates["in_bailiwick_ns.mail"] else None
        site.own_ns = OwnNameservers(
            (f"ns1.{site.key}", f"ns2.{site.key}"), (first_ip, second_ip), provider, since, mail
        )
        self.decor(site).marks.add("in_bailiwick_ns")

    def _challenge(self, site: Site) -> None:
        if self.on("challenge"):
            site.challenge = self.rates["challenge.cdn" if site.behind_cdn else "challenge.other"]

    def _logo(self, site: Site) -> None:
        name = site.signals.brand_text
        if not name:
            return
        bits = self.hash64("logo_alt-style", site.index)  # a few choices: bits, no generator
        decor = self.decor(site)
        decor.marks.add("logo_alt")
        style = (bits & 0xFFFF) / 0x10000
        if style < 0.35:  # greeted in English or in the language of the site's audience
            greeting = _GREETINGS[(bits >> 39) % len(_GREETINGS)]
            decor.brand_title = f"{greeting} {name}{('', '!')[bits >> 36 & 1]}"
        elif style < 0.65:
            decor.brand_title = f"{name} - {_OFFICIAL[bits >> 16 & 3]}"
        elif style < 0.75:
            decor.brand_title = (f"{name}™", f"★ {name} ★")[bits >> 38 & 1]
        elif style < 0.85:  # the site called by its address, as a theme's default title does
            host = site.pages[0].host_unicode if site.pages else site.key
            decor.brand_title = (host, host[:1].upper() + host[1:])[bits >> 37 & 1]
        # Never both the logo and the heading: the plain name stays on every page.
        if (bits >> 20 & 0xFFFF) / 0x10000 < 0.6:
            decor.logo_alt = f"{name} {('logo', 'Logo')[bits >> 17 & 1]}"
        else:
            decor.h1 = f"{name}™"

    def _apply_kit(self, site: Site, kit: Kit, rng: random.Random) -> None:
        decor = self.decor(site)
        decor.marks.add("shared_kits")
        if rng.random() < 0.9:
            site.signals.template = kit.template
        decor.head.append(
            f'<link rel="stylesheet" href="https://{kit.css_host}/{kit.name.lower()}/1.{rng.randrange(9)}'
            '/theme.min.css">'
        )
        decor.shown.append(("script_host", kit.css_host))
        if rng.random() < self.rates["shared_kits.analytics"]:
            decor.head.append(analytics_snippet(kit.analytics))
            decor.shown.append(("analytics", kit.analytics))
        if site.signals.favicon is None or rng.random() < 0.25:
            site.signals.favicon = kit.favicon
        if rng.random() < self.rates["shared_kits.default_title"]:
            decor.title = kit.default_title if rng.random() < 0.5 else f"{kit.default_title} - Home"
            decor.title_shown = [("brand_text", brand_text(kit.default_title))]

    def _apply_agency(
        self,
        site: Site,
        agency: Agency,
        rng: random.Random,
        client: str,
        rates: tuple[float, float] | None = None,
        mark: str = "agency",
    ) -> None:
        """The agency's credit on ``site``, and its e-mail and analytics id at ``rates``
        (e-mail, analytics; the ``agency`` phenomenon's rates when None)."""
        email_rate, analytics_rate = rates or (
            self.rates["agency.email"],
            self.rates["agency.analytics"],
        )
        decor = self.decor(site)
        decor.marks.add(mark)
        if agency.style == "ref":
            link = f"https://{agency.domain}/?ref={own_name(site)}"
        else:
            link = f"https://{agency.domain}/?client={client}"
        decor.footer.append(
            f'<p class="credit">Site by <a href="{escape(link)}">{escape(agency.name)}</a></p>'
        )
        decor.shown.append(("credit", agency.domain))
        if rng.random() < email_rate:
            decor.footer.append(
                f'<p class="credit">Web design: <a href="mailto:{agency.email}">'
                f"{agency.email}</a></p>"
            )
            decor.shown.append(("email", agency.email))
        if agency.analytics and rng.random() < analytics_rate:
            decor.head.append(analytics_snippet(agency.analytics))
            decor.shown.append(("analytics", agency.analytics))

    def _consent(self, site: Site) -> None:
        if (
            not self.on("consent")
            or self.roll("consent", site.index) >= self.rates["consent.sites"]
        ):
            return
        decor = self.decor(site)
        decor.marks.add("consent")
        key = f"{self.hash64('consent-key', site.index):016x}"
        decor.head.append(
            f'<script src="https://{self.consent_host}/v3/banner.js" data-key="{key}" defer>'
            "</script>"
        )
        decor.shown.append(("script_host", self.consent_host))
        if self.roll("consent-demo", site.index) < self.rates["consent.demo_container"]:
            # the vendor's install snippet, copied with its own demo container id in it
            decor.head.append(
                "<script>(function(w,d,s,l,i){w[l]=w[l]||[];w[l].push({'gtm.start':"
                "new Date().getTime(),event:'gtm.js'});})(window,document,'script','dataLayer',"
                f"'{self.consent_container}');</script>"
            )
            decor.shown.append(("analytics", self.consent_container))

    def _referral_forum(self, site: Site) -> None:
        if self.roll("referral_links", site.index) >= self.rates["referral_links.forums"]:
            return
        rng = self._rng("referral_links", site.index)
        targets = [link.rstrip("/").removeprefix("https://") for link in site.signals.outlinks]
        if rng.random() < self.rates["referral_links.several"]:
            targets += [self._shop_domain(rng) for _ in range(rng.randint(1, 5))]
        style = rng.choice(("label", "domain", "utm"))
        site.signals.outlinks = tuple(referral(target, site, style) for target in targets)
        self.decor(site).marks.add("referral_links")

    def _donations(self, site: Site, ordinal: int) -> None:
        """The first three forums of a world show one kind each (so every world has all
        three); the others draw them at the world's rates."""
        decor_body: list[str] = []
        shown: list[Selector] = []
        if ordinal == 0 or self.roll("donations-btc", site.index) < self.rates["donations.btc"]:
            rng = self._rng("donations-btc", site.index)
            address = random_address(rng, rng.choice(("p2pkh", "p2wpkh", "p2sh")))
            decor_body.append(
                '<p class="donate">Keep the board running: donate BTC to '
                f"<code>{address}</code></p>"
            )
            shown.append(("btc_address", address))
        if ordinal == 2 or self.roll("donations-email", site.index) < self.rates["donations.email"]:
            email = f"donate.{own_name(site)}@{actors.FREEMAIL_DOMAIN}"
            decor_body.append(
                f'<p class="donate">Donations and questions: <a href="mailto:{email}">'
                f"{email}</a></p>"
            )
            shown.append(("email", email))
        roll = self.roll("donations-button", site.index)
        if ordinal == 1 or roll < self.rates["donations.button"]:
            rng = self._rng("donations-button", site.index)
            merchant = actors.Merchant(actors.BIGPAY, f"M{rng.randrange(10**7):07d}")
            decor_body.append(payment_form(merchant, "donation", "5.00", "Donate"))
            shown.append(("payment_host", actors.BIGPAY.host))
            shown.append(("merchant_id", f"{actors.BIGPAY.host}|{merchant.merchant_id}"))
        if decor_body:
            decor = self.decor(site)
            decor.marks.add("donations")
            decor.body.extend(decor_body)
            decor.shown.extend(shown)

    def _shop_domain(self, rng: random.Random) -> str:
        brands = self.world.brands
        brand = brands[rng.randrange(len(brands))]
        return self.world.brand_domain(brand, rng.randrange(brand.domains))[1]

    # -- new sites ------------------------------------------------------------------------------

    def extra_sites(self, counter: int) -> Iterator[Site]:
        """Link lists and shorteners, after every other site: the indexes (and so the random
        streams) of the sites of a world without them stay what they were."""
        if self.on("referral_links"):
            share = self.rates["referral_links.link_lists"]
            for number in range(max(2, round(self.world.scale.noise_sites * share))):
                site = self._link_list(counter, number)
                self._own_nameservers(site)
                yield site
                counter += 1
        if self.on("shortener") and self._targets:
            for number in range(self.shorteners()):
                site = self._shortener(counter, number)
                self._own_nameservers(site)
                yield site
                counter += 1
        if self.on("namesakes"):
            share = self.rates["namesakes.sites"]
            for number in range(max(2, round(self.world.scale.noise_sites * share))):
                site = self._namesake(counter, number)
                self._own_nameservers(site)
                yield site
                counter += 1
        # last: switching it on moves no other phenomenon's sites
        if self.on("link_outs") and self._out_targets:
            for number in range(self._link_outs()):
                site = self._out_links(counter, number)
                self._own_nameservers(site)
                yield site
                counter += 1

    def _new_site(
        self, index: int, domain: str, role: str, kinds: tuple[str, ...], rng: random.Random
    ) -> Site:
        world = self.world
        start = WORLD_START + timedelta(days=rng.uniform(0, 500))
        shared: tuple[Provider, ...] = (world.providers[0],) if rng.random() < 0.4 else ()
        periods = world.planner.timeline(rng, start, WORLD_END, shared, False)
        pages = world._pages(rng, domain, domain, kinds, world.scale.noise_urls_per_site)
        signals = Signals(template=template_family(rng, f"N{index}"))
        signals.script_hosts = (actors.COMMON_SCRIPT_HOST,)
        nameservers = (
            actors.POPULAR_NAMESERVERS if rng.random() < 0.6 else periods[-1].provider.nameservers
        )
        return Site(
            index,
            domain,
            role,
            "other",
            None,
            start,
            WORLD_END,
            periods,
            nameservers,
            pages,
            signals,
        )

    def _link_list(self, index: int, number: int) -> Site:
        rng = self._rng("link-list", index)
        word = syllable_name(number % 331_776, salt=71)[:8]
        domain = f"{word}-links{number}.{rng.choice(('test', 'example'))}"
        site = self._new_site(index, domain, "link-list", ("links", "top"), rng)
        style = rng.choice(("label", "domain", "utm"))
        items = "".join(
            f'<li><a href="{escape(referral(self._shop_domain(rng), site, style))}">'
            f"{rng.choice(SYLLABLES).capitalize()} shop no. {n + 1}</a></li>"
            for n in range(rng.randint(4, 15))
        )
        decor = self.decor(site)
        decor.marks.add("referral_links")
        # "home" is generic, so the name after it is the site's own brand text
        decor.title = f"Home | {word} link list"
        decor.title_shown = [("brand_text", brand_text(f"{word} link list"))]
        decor.body.append(f'<section class="links"><h2>Top sites</h2><ul>{items}</ul></section>')
        email = f"{word}{number}@{actors.FREEMAIL_DOMAIN}"
        site.signals.emails = (email,)
        self._challenge(site)
        self._consent(site)
        return site

    def _namesake(self, index: int, number: int) -> Site:
        """A page about a brand, not the brand's: its domain spells the brand's name, its
        title is generic (no name of its own), its text names the brand and links to one of
        the brand's domains."""
        rng = self._rng("namesake", index)
        brands = self.world.brands
        brand = brands[rng.randrange(len(brands))]
        word = rng.choice(("reviews", "mirrors", "fans", "news", "status", "info"))
        domain = f"{brand.slug}-{word}{number}.{rng.choice(('test', 'example'))}"
        site = self._new_site(index, domain, "namesake", ("top",), rng)
        decor = self.decor(site)
        decor.marks.add("namesakes")
        decor.title = f"Home | {word}"  # "home" is generic: no brand text
        shop = self.world.brand_domain(brand, rng.randrange(brand.domains))[1]
        decor.body.append(
            f'<section class="about"><h2>{escape(brand.slug.capitalize())} {word}</h2>'
            f"<p>Notes and links about this shop, collected by visitors.</p>"
            f'<p><a href="https://{escape(shop)}/">{escape(shop)}</a></p></section>'
        )
        self._challenge(site)
        self._consent(site)
        return site

    def _out_links(self, index: int, number: int) -> Site:
        """A link list whose front page was never captured: hotlines were sent its out-links
        (``/out/<n>``), each a 302 to a shop. With one target it looks like a doorway: its
        capture does nothing but send the visitor on."""
        rng = self._rng("link-outs", index)
        word = syllable_name(number % 331_776, salt=97)[:8]
        domain = f"{word}-toplist{number}.{rng.choice(('test', 'example'))}"
        site = self._new_site(index, domain, "link-list", ("landing",), rng)
        landing = site.pages[0]
        count = rng.randint(1, 3)
        site.pages = [
            Page(landing.scheme, landing.host_unicode, landing.host, f"/out/{n}", "", "short")
            for n in rng.sample(range(1, 500), count)
        ]
        site.short_targets = tuple(rng.choice(self._out_targets) for _ in range(count))
        self.decor(site).marks.add("link_outs")
        return site

    def _shortener(self, index: int, number: int) -> Site:
        rng = self._rng("shortener-site", index)
        word = syllable_name(number, salt=83)[:5]
        domain = f"{word}-lnk{number}.example"
        site = self._new_site(index, domain, "shortener", ("landing",), rng)
        landing = site.pages[0]
        targets: list[Site] = []
        pages = [landing]
        seen: set[str] = set()
        for _ in range(int(self.rates["shortener.links"])):
            code = base36(rng.randrange(36**5, 36**6))
            if code in seen:
                continue
            seen.add(code)
            pages.append(
                Page(landing.scheme, landing.host_unicode, landing.host, f"/{code}", "", "short")
            )
            targets.append(rng.choice(self._targets))
        site.pages = pages
        site.short_targets = tuple(targets)
        decor = self.decor(site)
        decor.marks.add("shortener")
        decor.title = f"Home | {word} short links"
        decor.title_shown = [("brand_text", brand_text(f"{word} short links"))]
        decor.body.append(
            '<section class="shorten"><h2>Shorten your links</h2><form action="/new" '
            'method="post"><input name="url" type="text"><button type="submit">Shorten'
            "</button></form></section>"
        )
        return site

    # -- at capture time -------------------------------------------------------------------------

    def decoy(self, site: Site, page: Page, when: datetime, number: int) -> Decoy | None:
        """What a capture of ``page`` at ``when`` gets instead of the page, if anything."""
        fate = site.fate
        if fate is not None and when >= fate.after:
            return self._fate_page(site, page, fate, site.period_at(when), number)
        if site.challenge and self.challenged(site, number):
            return self._challenge_page(site, page, number)
        return None

    def client_redirect(self, site: Site, number: int) -> tuple[str, bool]:
        """For a doorway whose page redirects (not an HTTP 302): (how its script redirects:
        "now", "timer", or "" for a meta refresh; the target's capture ``number`` without a
        Referer)."""
        if not self.on("client_redirects"):
            return "", False
        script = ""
        if self.roll("client_redirects.script", site.index) < self.rates["client_redirects.script"]:
            # half of the scripted doorways wait a moment ("Redirecting in 2 seconds…")
            script = "timer" if self.hash64("client_redirects.timer", site.index) % 2 else "now"
        bare = (
            self.roll("client_redirects.referer", site.index * _PAGES + number)
            < self.rates["client_redirects.no_referer"]
        )
        return script, bare

    def redirect_decoy(self, site: Site, page: Page, when: datetime) -> Decoy | None:
        """The target of a gateway or short link, reached through the redirect. A site with a
        takedown always shows it here, and one whose landing capture was challenged is
        challenged here too: the redirect capture never shows a page the site's own captures
        did not, so the selector dump stays exact."""
        if site.fate is not None:
            return self._fate_page(site, page, site.fate, site.period_at(when), -1)
        if site.challenge and self.challenged(site, 0):
            return self._challenge_page(site, page, -1)
        return None

    def challenged(self, site: Site, number: int) -> bool:
        return self.roll("challenge", site.index * _PAGES + number) < site.challenge

    def injection(self, site: Site, period: HostingPeriod | None) -> Injection | None:
        if (
            not self.on("hosting_panel")
            or period is None
            or period.provider.kind != "shared"
            or self.roll("hosting_panel", site.index) >= self.rates["hosting_panel.sites"]
        ):
            return None
        return self.hosts[period.provider.index].panel

    def _fate_page(
        self, site: Site, page: Page, fate: Fate, period: HostingPeriod | None, number: int
    ) -> Decoy:
        if fate.kind == "parked":
            parker = self.parkers[fate.parker]
            rng = self._rng("parked-page", f"{site.index}:{number}")
            return Decoy(
                "parked",
                200,
                "text/html; charset=utf-8",
                parked_page(parker, site, page, rng),
                "nginx",
                parker.favicon,
            )
        if fate.kind == "suspended" and period is not None:
            pages = self.hosts[period.provider.index]
            return Decoy(
                "suspended",
                pages.status,
                "text/html; charset=utf-8",
                suspended_page(pages, period.provider.name),
                "Apache",
                pages.favicon,
            )
        return error_decoy(fate, page.host, page.scheme)

    def _challenge_page(self, site: Site, page: Page, number: int) -> Decoy:
        bits = self.hash64("challenge-page", site.index * _PAGES + number + 1)
        ray = f"{bits:016x}"
        share = (bits & 0xFFFF) / 0x10000
        status = 403 if share < 0.55 else 503 if share < 0.85 else 200
        if site.behind_cdn:
            modern = (bits >> 16 & 0xFFFF) / 0x10000 < 0.7
            body, server = cdn_challenge(page.host, ray, modern), "swiftedge"
        else:
            body, server = guard_challenge(page.host, ray), "shieldwall"
        return Decoy("challenge", status, "text/html; charset=UTF-8", body, server)

    # -- the record -------------------------------------------------------------------------------

    def truth(self) -> dict[str, Any]:
        """How the world was made: which phenomena, their rates, and the decoy values."""
        actors_: dict[str, Any] = {}
        if self.kits:
            actors_["kits"] = [
                {
                    "name": kit.name,
                    "template": kit.template.variant,
                    "analytics": kit.analytics,
                    "css_host": kit.css_host,
                    "default_title": kit.default_title,
                    "commercial_only": kit.commercial_only,
                    "brands": sorted(
                        self.world.brands[i].id for i, k in self.kit_of.items() if k is kit
                    ),
                }
                for kit in self.kits
            ]
        if self.agencies:
            actors_["agencies"] = [
                {
                    "name": agency.name,
                    "domain": agency.domain,
                    "email": agency.email,
                    "analytics": agency.analytics,
                    "brands": sorted(
                        self.world.brands[i].id for i, a in self.agency_of.items() if a is agency
                    ),
                }
                for agency in self.agencies
            ]
        if self.house is not None:
            actors_["house_agency"] = {
                "name": self.house.name,
                "domain": self.house.domain,
                "email": self.house.email,
                "analytics": self.house.analytics,
                "brands": sorted(self.world.brands[i].id for i in self.house_brands),
            }
        if self.parkers:
            actors_["parking"] = [
                {
                    "name": p.name,
                    "domain": p.domain,
                    "analytics": p.analytics,
                    "partner": f"partner={p.partner}",
                }
                for p in self.parkers
            ]
        if self.consent_host:
            actors_["consent"] = {"host": self.consent_host, "container": self.consent_container}
        panels = {
            self.world.providers[index].name: {
                "script_host": pages.panel.shown[0][1],
                "analytics": pages.panel.shown[1][1],
            }
            for index, pages in sorted(self.hosts.items())
            if pages.panel is not None
        }
        if panels:
            actors_["hosting_panels"] = panels
        made: dict[str, Any] = {
            "names": [name for name in PHENOMENA if name in self.names],
            "rates": dict(sorted(self.rates.items())),
            "actors": actors_,
        }
        if self.rate_scale != 1.0:  # (absent otherwise: a world of 1 keeps its bytes)
            made["rate_scale"] = self.rate_scale
        return made


# -- small helpers ------------------------------------------------------------------------------


def own_name(site: Site) -> str:
    """The first label of a site's key: what it calls itself in a referral tag."""
    return site.key.split(".", 1)[0]


def referral(target: str, site: Site, style: str) -> str:
    if style == "domain":
        return f"https://{target}/?ref={site.key}"
    if style == "utm":
        return f"https://{target}/?utm_source={own_name(site)}&utm_medium=referral"
    return f"https://{target}/?ref={own_name(site)}"


# -- decoy pages ----------------------------------------------------------------------------------

_APACHE = "Apache/2.4.58 (Unix)"
_APACHE_TEXT = {
    404: ("Not Found", "The requested URL was not found on this server."),
    410: (
        "Gone",
        "The requested resource is no longer available on this server and there is no "
        "forwarding address. Please remove all references to this resource.",
    ),
    500: (
        "Internal Server Error",
        "The server encountered an internal error or misconfiguration and was unable to "
        "complete your request.",
    ),
    502: ("Bad Gateway", "The proxy server received an invalid response from an upstream server."),
    503: (
        "Service Unavailable",
        "The server is temporarily unable to service your request due to maintenance downtime "
        "or capacity problems. Please try again later.",
    ),
}
_NGINX_REASON = {503: "Service Temporarily Unavailable"}
_FRAMEWORK_TITLES = {
    404: ("Page not found", "404 - Page not found", "Oops! That page can’t be found.", "Not Found"),
    410: ("Page not found", "This page has been removed", "410 Gone", "Not Found"),
    500: (
        "Server Error",
        "500 | Server Error",
        "Whoops, looks like something went wrong.",
        "Error",
    ),
    502: ("Bad Gateway", "502 | Bad Gateway", "Something went wrong", "Error"),
    503: ("Service Unavailable", "We'll be back soon!", "503 | Service Unavailable", "Maintenance"),
}
_FRAMEWORK_CSS = (
    "<style>body{margin:0;font-family:sans-serif;color:#444;background:#f7f7f7}"
    ".error-page{max-width:36em;margin:10vh auto;text-align:center}</style>"
)


def error_decoy(fate: Fate, host: str, scheme: str) -> Decoy:
    status, style, variant = fate.status, fate.style, fate.variant
    port = 443 if scheme == "https" else 80
    if status == 200:
        if style == "default":
            if variant % 2:
                body = "<html><body><h1>It works!</h1></body></html>\n"
                return Decoy("error_pages", 200, "text/html", body.encode(), _APACHE)
            return Decoy("error_pages", 200, "text/html", _NGINX_WELCOME, "nginx")
        if style == "index":
            return Decoy(
                "error_pages", 200, "text/html;charset=UTF-8", _index_of(host, port), _APACHE
            )
        title = _FRAMEWORK_TITLES[404][variant]
        return Decoy(
            "error_pages", 200, "text/html; charset=utf-8", _framework(title, 404), "nginx"
        )
    if style == "apache":
        short, message = _APACHE_TEXT[status]
        body = (
            '<!DOCTYPE HTML PUBLIC "-//IETF//DTD HTML 2.0//EN">\n<html><head>\n'
            f"<title>{status} {short}</title>\n</head><body>\n<h1>{short}</h1>\n<p>{message}</p>\n"
            f"<hr>\n<address>{_APACHE} Server at {host} Port {port}</address>\n</body></html>\n"
        )
        return Decoy("error_pages", status, "text/html; charset=iso-8859-1", body.encode(), _APACHE)
    if style == "framework":
        title = _FRAMEWORK_TITLES[status][variant]
        return Decoy(
            "error_pages", status, "text/html; charset=utf-8", _framework(title, status), "nginx"
        )
    reason = _NGINX_REASON.get(status, REASONS[status])
    body = (
        f"<html>\r\n<head><title>{status} {reason}</title></head>\r\n<body>\r\n"
        f"<center><h1>{status} {reason}</h1></center>\r\n<hr><center>nginx</center>\r\n"
        "</body>\r\n</html>\r\n"
    )
    return Decoy("error_pages", status, "text/html", body.encode(), "nginx")


_NGINX_WELCOME = (
    b"<!DOCTYPE html>\n<html>\n<head>\n<title>Welcome to nginx!</title>\n<style>\n"
    b"html { color-scheme: light dark; }\nbody { width: 35em; margin: 0 auto;\n"
    b"font-family: Tahoma, Verdana, Arial, sans-serif; }\n</style>\n</head>\n<body>\n"
    b"<h1>Welcome to nginx!</h1>\n<p>If you see this page, the nginx web server is successfully "
    b"installed and\nworking. Further configuration is required.</p>\n\n"
    b"<p><em>Thank you for using nginx.</em></p>\n</body>\n</html>\n"
)


def _framework(title: str, status: int) -> bytes:
    message = (
        "Sorry, the page you are looking for could not be found."
        if status in (404, 410)
        else "Sorry, something went wrong on our end. Please try again later."
    )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><meta name="viewport" '
        f'content="width=device-width, initial-scale=1"><title>{escape(title)}</title>'
        f'{_FRAMEWORK_CSS}</head><body><div class="error-page"><h1>{escape(title)}</h1>'
        f'<p>{message}</p><p><a href="/">Back to the home page</a></p></div></body></html>\n'
    ).encode()


def _index_of(host: str, port: int) -> bytes:
    return (
        '<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 3.2 Final//EN">\n<html>\n <head>\n'
        "  <title>Index of /</title>\n </head>\n <body>\n<h1>Index of /</h1>\n  <table>\n"
        '   <tr><th valign="top"><img src="/icons/blank.gif" alt="[ICO]"></th><th><a '
        'href="?C=N;O=D">Name</a></th><th><a href="?C=M;O=A">Last modified</a></th><th><a '
        'href="?C=S;O=A">Size</a></th><th><a href="?C=D;O=A">Description</a></th></tr>\n'
        '   <tr><th colspan="5"><hr></th></tr>\n   <tr><th colspan="5"><hr></th></tr>\n'
        f"</table>\n<address>{_APACHE} Server at {host} Port {port}</address>\n</body></html>\n"
    ).encode()


def _skeleton(template: Template, inner: str) -> str:
    css = template.classes
    opening = "".join(f'<div class="{css["wrap"]}-l{level}">' for level in range(template.depth))
    return (
        f'<body class="{css["body"]}">{opening}<div class="{css["wrap"]}">{inner}</div>'
        + "</div>" * template.depth
        + "</body>"
    )


def parked_page(parker: Parker, site: Site, page: Page, rng: random.Random) -> bytes:
    css = parker.template.classes
    shown_domain = page.host_unicode.removeprefix("www.")
    related = "".join(
        f'<li><a href="/search?q={topic.lower().replace(" ", "+")}">{topic}</a></li>'
        for topic in rng.sample(_RELATED, 5)
    )
    buy = f"https://{parker.domain}/buy?domain={site.key}&amp;partner={parker.partner}"
    inner = (
        f'<header class="{css["header"]}"><img class="{css["logo"]}" '
        f'src="https://{parker.domain}/img/logo.png" alt="{parker.name}"></header>'
        f'<main class="{css["main"]}"><h1>{escape(shown_domain)}</h1>'
        f'<p class="{css["card"]}">This domain may be for sale!</p>'
        f'<p><a class="{css["price"]}" href="{buy}">Buy this domain</a></p>'
        f'<section class="{css["grid"]}"><h2>Related searches</h2><ul>{related}</ul></section>'
        f'</main><footer class="{css["footer"]}"><p>This page is provided by {parker.name}, a '
        "domain parking service. The sponsored listings on this page come from third "
        f'parties. Questions? <a href="mailto:domains@{parker.domain}">domains@{parker.domain}'
        f"</a></p><p>&copy; 2026 {parker.name}</p></footer>"
    )
    head = (
        '<meta charset="utf-8"><meta name="viewport" content="width=device-width, '
        f'initial-scale=1"><title>{escape(parker.title.format(domain=shown_domain))}</title>'
        '<link rel="icon" href="/favicon.ico" type="image/png">'
        f'<script src="https://ads.{parker.domain}/caf/v2/loader.js"></script>'
        + analytics_snippet(parker.analytics)
    )
    return (
        f'<!DOCTYPE html>\n<html lang="en"><head>{head}</head>'
        f"{_skeleton(parker.template, inner)}</html>\n"
    ).encode()


def suspended_page(pages: HostPages, provider_name: str) -> bytes:
    css = pages.template.classes
    inner = (
        f'<main class="{css["main"]}"><h1>{escape(pages.title)}</h1>'
        "<p>This account has been suspended.</p><p>If you are the owner of this website, "
        f"please contact {escape(provider_name)} support: "
        f'<a href="mailto:{pages.email}">{pages.email}</a></p></main>'
    )
    head = (
        f'<meta charset="utf-8"><title>{escape(pages.title)}</title>'
        '<link rel="icon" href="/favicon.ico" type="image/png">'
        f'<link rel="stylesheet" href="https://{pages.domain}/static/suspended.css">'
    )
    return (
        f'<!DOCTYPE html>\n<html lang="en"><head>{head}</head>'
        f"{_skeleton(pages.template, inner)}</html>\n"
    ).encode()


def cdn_challenge(host: str, ray: str, modern: bool) -> bytes:
    if modern:
        title, line = "Just a moment...", "Checking if the site connection is secure"
    else:
        title, line = "Just a moment...", f"Checking your browser before accessing {host}."
    return (
        '<!DOCTYPE html>\n<html lang="en-US"><head><title>'
        f"{title}</title>"
        '<meta http-equiv="Content-Type" content="text/html; charset=UTF-8">'
        '<meta name="robots" content="noindex,nofollow"><meta name="viewport" '
        'content="width=device-width,initial-scale=1">'
        f'<script src="https://challenges.{CDN_DOMAIN}/turnstile/v0/api.js" async defer>'
        '</script></head><body class="no-js"><div class="main-wrapper" role="main">'
        f'<div class="main-content"><h1 class="zone-name-title h1">{escape(host)}</h1>'
        f'<h2 class="h2" id="challenge-running">{escape(line)}</h2><noscript><div class="h2">'
        "Enable JavaScript and cookies to continue</div></noscript>"
        f'<div id="challenge-body-text">{escape(host)} needs to review the security of your '
        'connection before proceeding.</div></div></div><div class="footer" role="contentinfo">'
        f'<div class="footer-inner"><div class="text-center">Ray ID: <code>{ray}</code></div>'
        '<div class="text-center">Performance &amp; security by Swiftedge CDN</div></div></div>'
        "</body></html>\n"
    ).encode()


def guard_challenge(host: str, ray: str) -> bytes:
    return (
        '<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>Please Wait... | '
        "Shieldwall</title>"
        '<script src="https://check.shieldwall.example/js/verify.js"></script></head><body>'
        '<div class="sw-box"><h1>Checking your browser before accessing '
        f"{escape(host)}</h1><p>This process is automatic. Your browser will redirect to your "
        "requested content shortly.</p><noscript><p>Enable JavaScript and cookies to continue"
        f"</p></noscript><p>DDoS protection by Shieldwall &middot; request {ray}</p></div>"
        "</body></html>\n"
    ).encode()
