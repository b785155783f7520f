"""The actors of a synthetic world: payment processors, distributors, brands, template kits.

A distributor's operational infrastructure (merchant accounts, a Bitcoin address pool, an
affiliate programme, analytics accounts, a template family, private nameservers) is what ties
its brands together; a brand's identity (name, favicon, template variant) is what ties its
hopping domains together. The hard negatives live here too: one big card processor used by
several distributors with their own merchant ids, and a popular template kit whose default
analytics id shows up on unrelated sites.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from hotline.captures.bitcoin import random_address
from hotline.synth.hosting import Provider
from hotline.synth.images import favicon_png
from hotline.synth.names import base36, random_word, syllable_name, token

AFFILIATE_PARAMS = ("aff", "ref", "partner", "campaign")


@dataclass(frozen=True, slots=True)
class Processor:
    host: str
    name: str
    method: str  # card | e-wallet | crypto | money-transfer | other
    style: str  # form | widget | iframe


# One big processor that many distributors use, each with its own merchant id.
BIGPAY = Processor("pay.bigpay.example", "BigPay", "card", "form")
# Popular, shared by everyone, worth nothing as evidence.
COMMON_SCRIPT_HOST = "cdn.jslibs.example"
POPULAR_NAMESERVERS = ("ns1.popdns.example", "ns2.popdns.example")
FREEMAIL_DOMAIN = "freemail.example"


@dataclass(frozen=True, slots=True)
class Template:
    """A DOM skeleton: class names per role, wrapper depth and block order."""

    family: str
    variant: str
    classes: dict[str, str]
    depth: int
    blocks: tuple[str, ...]


ROLES = ("body", "wrap", "header", "logo", "nav", "main", "grid", "card", "price", "footer")
BLOCKS = ("hero", "grid", "features", "faq", "testimonials", "plans")


def template_family(rng: random.Random, family: str) -> Template:
    prefix = random_word(rng, 1)
    classes = {role: f"{prefix}-{role}-{random_word(rng, 1)}" for role in ROLES}
    blocks = tuple(rng.sample(BLOCKS, rng.randint(3, 5)))
    return Template(family, f"{family}.0", classes, rng.randint(1, 4), blocks)


def template_variant(rng: random.Random, base: Template, variant: int) -> Template:
    """A brand's version of its distributor's family: a few classes and one block changed."""
    classes = dict(base.classes)
    for role in rng.sample(ROLES, 2):
        classes[role] = f"{classes[role]}-{random_word(rng, 1)}"
    blocks = list(base.blocks)
    blocks[rng.randrange(len(blocks))] = rng.choice(BLOCKS)
    return Template(base.family, f"{base.family}.{variant}", classes, base.depth, tuple(blocks))


# The template kit everybody downloads: same skeleton, same default analytics id, same icon.
KIT = template_family(random.Random("shopkit"), "kit")
KIT_ANALYTICS_ID = "G-SHOPKIT001"
KIT_FAVICON = favicon_png(random.Random("shopkit-icon"))
KIT_CSS_HOST = "static.shopkit.example"


@dataclass(frozen=True, slots=True)
class Merchant:
    processor: Processor
    merchant_id: str


@dataclass(slots=True)
class Distributor:
    index: int
    id: str
    label: str
    merchants: tuple[Merchant, ...]
    btc_pool: tuple[str, ...]
    affiliate_param: str
    affiliate_id: str
    analytics: tuple[str, ...]  # GA measurement ids and Yandex Metrica counters ("ym:NNN")
    template: Template
    nameservers: tuple[str, str] | None
    email: str | None
    favourites: tuple[Provider, ...]
    rates: dict[str, float]
    processors: tuple[Processor, ...] = ()
    brands: list[Brand] = field(default_factory=list)


@dataclass(slots=True)
class Brand:
    index: int
    id: str
    name: str
    slug: str
    distributor: Distributor
    domains: int
    template: Template
    uses_kit: bool
    favicon: bytes | None
    tagline: str


_PROCESSOR_KINDS = (
    ("checkout", "card", "form"),
    ("wallet", "e-wallet", "widget"),
    ("paybox", "card", "iframe"),
    ("wire", "money-transfer", "form"),
)


def make_distributor(
    rng: random.Random, index: int, favourites: tuple[Provider, ...]
) -> Distributor:
    code = f"D{index + 1:02d}" if index < 99 else f"D{index + 1}"
    own_processors = []
    merchants = []
    if rng.random() < 0.6:
        merchants.append(Merchant(BIGPAY, f"M{rng.randrange(10**7):07d}"))
    for _ in range(rng.choice((1, 1, 2))):
        prefix, method, style = rng.choice(_PROCESSOR_KINDS)
        host = f"{prefix}.{random_word(rng, 2)}{base36(index)}pay.test"
        processor = Processor(host, f"{prefix.capitalize()}{base36(index)}", method, style)
        own_processors.append(processor)
        merchants.append(Merchant(processor, token(rng, 8)))
    pool_kinds = ("p2pkh", "p2sh", "p2wpkh", "p2tr")
    btc_pool = tuple(random_address(rng, rng.choice(pool_kinds)) for _ in range(rng.randint(3, 8)))
    analytics = [f"G-{token(rng, 10)}"]
    if rng.random() < 0.35:
        analytics.append(f"ym:{rng.randrange(10**7, 10**8)}")
    nameservers = None
    if rng.random() < 0.7:
        word = random_word(rng, 2)
        nameservers = (f"ns1.{word}{base36(index)}-dns.test", f"ns2.{word}{base36(index)}-dns.test")
    email = (
        f"support@{random_word(rng, 2)}{base36(index)}-mail.test" if rng.random() < 0.7 else None
    )
    return Distributor(
        index=index,
        id=code,
        label=f"{syllable_name(index, salt=3)[:7].capitalize()} group",
        merchants=tuple(merchants),
        btc_pool=btc_pool,
        affiliate_param=rng.choice(AFFILIATE_PARAMS),
        affiliate_id=token(rng, 6),
        analytics=tuple(analytics),
        template=template_family(rng, f"T{index + 1}"),
        nameservers=nameservers,
        email=email,
        favourites=favourites,
        # How often each signal shows on the distributor's sites: never everywhere.
        rates={
            "merchant": rng.uniform(0.45, 0.8),
            "btc": rng.uniform(0.35, 0.75),
            "affiliate": rng.uniform(0.3, 0.6),
            "analytics": rng.uniform(0.4, 0.8),
            "email": rng.uniform(0.2, 0.5),
            "private_ns": rng.uniform(0.4, 0.8),
            "cdn": rng.uniform(0.0, 0.15),
        },
        processors=tuple(own_processors),
    )


_TAGLINES = (
    "fresh picks every week",
    "the catalogue you were looking for",
    "members save more",
    "new arrivals daily",
    "quality items, fair prices",
    "join today",
)


def make_brand(rng: random.Random, index: int, distributor: Distributor, domains: int) -> Brand:
    name = syllable_name(index)
    variant = len(distributor.brands) + 1
    return Brand(
        index=index,
        id=f"B{index + 1:04d}",
        name=name.capitalize(),
        slug=name,
        distributor=distributor,
        domains=domains,
        template=template_variant(rng, distributor.template, variant),
        uses_kit=rng.random() < 0.12,
        favicon=favicon_png(rng) if rng.random() < 0.8 else None,
        tagline=rng.choice(_TAGLINES),
    )
