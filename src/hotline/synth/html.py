"""Captured pages: neutral shop-like HTML carrying a site's signals, and the selectors shown.

Every page returns, next to its bytes, the (kind, value) selectors it actually shows, so the
selector dump and the truth list only what a perfect extractor could find in the captures.
The text is neutral catalogue filler; there are no real brands, places or people.
"""

from __future__ import annotations

import hashlib
import random
from html import escape
from typing import TYPE_CHECKING

from hotline.captures.altcoins import altcoin_address, monero_address
from hotline.synth import actors
from hotline.synth.world import Page, Site

if TYPE_CHECKING:  # phenomena builds on this module: a type-only import keeps it one-way
    from hotline.synth.phenomena import Injection

Selector = tuple[str, str]

# coin → (its name on a page, its payment URI scheme)
_COINS = {
    "LTC": ("Litecoin", "litecoin"),
    "XMR": ("Monero", "monero"),
    "TRX": ("USDT (TRC-20)", "tron"),
}


def coin_address(coin: str, bitcoin: str) -> str:
    """The address of ``coin`` an operator shows where it would show ``bitcoin``: derived
    from it, so a distributor's pool of Bitcoin addresses becomes a pool in that coin."""
    digest = hashlib.sha256(f"{coin}:{bitcoin}".encode()).digest()
    if coin == "XMR":
        return monero_address(18, digest + hashlib.sha256(digest).digest())
    return altcoin_address(coin, digest[:20])


_ITEM_WORDS = ("classic", "deluxe", "starter", "premium", "compact", "bundle", "edition", "pack")
_FEATURES = (
    "Fast delivery to members",
    "New catalogue every week",
    "Secure checkout",
    "Support by e-mail",
    "Instant access after payment",
)
# What inner pages are about. Most are words any site uses; the last few are not in the
# extractors' list of generic words, as real sites name their sections in endless ways.
SECTIONS: tuple[str, ...] = (
    "Contact us",
    "About us",
    "Latest updates",
    "Gallery",
    "Members area",
    "FAQ",
    "New arrivals",
    "Terms and conditions",
    "Join",
    "Support",
    "Our story",
    "Weekly picks",
)
# Per site, as themes differ: the common dashes and bars, and the sloppier ": ", "|" and
# " » " (a breadcrumb) that a reader cutting only at " | " or " - " would not cut.
SECTION_SEPARATORS: tuple[str, ...] = (" | ", " – ", " - ", ": ", "|", " » ", " › ", " > ")


def section_of(url: str) -> str:
    """The section a page of a ``section_pages`` site is about: from its URL, so the same page
    is the same section in every capture and no generator is drawn from."""
    digest = hashlib.blake2b(url.encode(), digest_size=4).digest()
    return SECTIONS[int.from_bytes(digest, "big") % len(SECTIONS)]


# What a shop system's product page is about: "<adjective> <noun> <number>" from its URL. One
# page in :data:`SHARED_ITEM_EVERY` is about one of the few :data:`SHARED_ITEMS` instead, so
# the same item name recurs on the shops of unrelated brands, as real shops sell the same
# kinds of things.
ITEM_ADJECTIVES: tuple[str, ...] = (
    "Deluxe",
    "Classic",
    "Premium",
    "Starter",
    "Weekend",
    "Bonus",
    "Limited",
    "Family",
)
ITEM_NOUNS: tuple[str, ...] = ("pack", "set", "bundle", "pass", "edition", "collection", "box")
SHARED_ITEMS: tuple[str, ...] = ("Gift card", "Monthly pass", "Premium membership")
ITEM_PAGE_KINDS: frozenset[str] = frozenset({"item", "gallery"})
SHARED_ITEM_EVERY = 6


def item_of(url: str) -> str:
    """The item an ``item_pages`` product page is about: from its URL, like :func:`section_of`."""
    number = int.from_bytes(hashlib.blake2b(url.encode(), digest_size=8).digest(), "big")
    adjective = ITEM_ADJECTIVES[number % len(ITEM_ADJECTIVES)]
    noun = ITEM_NOUNS[(number >> 8) % len(ITEM_NOUNS)]
    if (number >> 16) % SHARED_ITEM_EVERY == 0:
        return SHARED_ITEMS[(number >> 40) % len(SHARED_ITEMS)]
    return f"{adjective} {noun} {(number >> 24) % 9999 + 1}"


_FORUM_LINES = (
    "Has anyone tried the new layout?",
    "Thread moved to the general board.",
    "Please read the rules before posting.",
    "Uploads are limited to 20 MB.",
)


def brand_text(name: str) -> str:
    return " ".join(name.lower().split())


def render_page(
    site: Site, page: Page, rng: random.Random, full: bool, inject: Injection | None = None
) -> tuple[bytes, list[Selector]]:
    """The page's HTML and the selectors it shows. ``full`` (the landing page) shows every
    signal of the site; other pages each show a part of them. The site's decor (phenomena)
    shows on every page; ``inject`` is what a hosting panel adds at capture time."""
    signals = site.signals
    decor = signals.decor
    template = signals.template
    css = template.classes
    shown: list[Selector] = []

    def show(name: str) -> bool:
        return full or rng.random() < 0.55

    title = "Catalogue"
    label = site.key.split(".")[0]
    head = ['<meta charset="utf-8">', '<meta name="viewport" content="width=device-width">']
    shows_name = False  # does the title name the brand
    if signals.brand_text and show("brand"):
        shows_name = True
        title = f"{signals.brand_text} | {site.brand.tagline if site.brand else 'welcome'}"
        # a decorated title ("Welcome to Name") still names the brand; the plain name is
        # also on the logo or the heading (decorations never take both), so it is shown
        if decor is not None and decor.brand_title is not None:
            title = decor.brand_title
        shown.append(("brand_text", brand_text(signals.brand_text)))
    elif site.role == "noise":
        # "Forum | <its name>": the type is a generic word, the name after it is the site's
        title = f"{site.site_type.replace('-', ' ').title()} | {label}"
    if decor is not None and decor.title is not None:
        title = decor.title
        shown.extend(decor.title_shown)
    section = None
    if decor is not None and decor.section_separator is not None and not full:
        # An inner page: "Section | Name" where the page names the brand, else the section
        # alone (a kit's default title stays). The section is not a name, so not shown.
        section = section_of(page.url)
        if decor.title is None:
            named = f"{section}{decor.section_separator}{signals.brand_text}"
            title = named if shows_name else section
    item = None
    if (
        decor is not None
        and decor.item_separator is not None
        and not full
        and page.kind in ITEM_PAGE_KINDS
    ):
        # A product page: "Item | Name", or the item alone where the page does not name the
        # brand (shop systems that leave the shop's name out); headed by the item. The item
        # is not the brand's name, so not shown.
        item = item_of(page.url)
        if decor.title is None:
            named = f"{item}{decor.item_separator}{signals.brand_text}"
            title = named if shows_name else item
    if site.role == "noise" and title.endswith(f" | {label}"):
        shown.append(("brand_text", brand_text(label)))
    head.append(f"<title>{escape(title)}</title>")
    if signals.favicon is not None and show("favicon"):
        head.append('<link rel="icon" href="/favicon.ico" type="image/png">')
        shown.append(
            ("favicon_md5", hashlib.md5(signals.favicon, usedforsecurity=False).hexdigest())
        )
    elif signals.favicon is None and inject is not None:
        # the host serves its default icon for a site that has none of its own
        head.append('<link rel="icon" href="/favicon.ico" type="image/png">')
        shown.append(
            ("favicon_md5", hashlib.md5(inject.favicon, usedforsecurity=False).hexdigest())
        )
    for host in signals.script_hosts:
        if host == actors.KIT_CSS_HOST:
            head.append(f'<link rel="stylesheet" href="https://{host}/kit/2.4/shopkit.min.css">')
        else:
            head.append(f'<script src="https://{host}/libs/jquery/3.7.1/jquery.min.js"></script>')
        shown.append(("script_host", host))
    for tag in signals.analytics:
        if not show("analytics"):
            continue
        head.append(analytics_snippet(tag))
        shown.append(("analytics", tag))
    if decor is not None:
        head.extend(decor.head)
        shown.extend(decor.shown)
    if inject is not None:
        head.append(inject.head)
        shown.extend(inject.shown)

    body: list[str] = []
    opening = "".join(f'<div class="{css["wrap"]}-l{level}">' for level in range(template.depth))
    body.append(f'<body class="{css["body"]}">{opening}<div class="{css["wrap"]}">')
    logo_alt = signals.brand_text or "logo"
    heading = signals.brand_text
    if decor is not None:
        logo_alt = decor.logo_alt or logo_alt
        heading = item or section or decor.h1 or heading
    body.append(
        f'<header class="{css["header"]}"><img class="{css["logo"]}" src="/logo.png" '
        f'alt="{escape(logo_alt)}"><nav class="{css["nav"]}"><a href="/">Home</a> '
        '<a href="/catalog/">Catalogue</a> <a href="/join">Join</a></nav></header>'
    )
    body.append(f'<main class="{css["main"]}">')
    if heading:
        body.append(f"<h1>{escape(heading)}</h1>")
    for block in template.blocks:
        body.append(_block(block, css, rng, site))
    if signals.merchant is not None and show("merchant"):
        field = decor.merchant_field if decor is not None else None
        body.append(_payment(signals.merchant, rng, field or "merchant_id"))
        host = signals.merchant.processor.host
        shown.append(("payment_host", host))
        shown.append(("merchant_id", f"{host}|{signals.merchant.merchant_id}"))
    coin = decor.coin if decor is not None else None
    # ``show`` draws from the page's generator: asked once, so worlds without the other coins
    # keep their bytes
    paid = signals.btc is not None and show("btc")
    if paid and signals.btc is not None and coin is not None:
        address = coin_address(coin, signals.btc)
        name, scheme = _COINS[coin]
        amount = f"0.{rng.randrange(10, 99)}"
        if rng.random() < 0.5:
            body.append(
                f'<p class="pay-crypto">Pay with {name}: <a href="{scheme}:{address}?amount='
                f'{amount}">{address}</a></p>'
            )
        else:
            body.append(f'<p class="pay-crypto">Send {amount} {coin} to <code>{address}</code></p>')
        shown.append(("crypto_address", f"{coin}:{address}"))
    elif paid and signals.btc is not None:
        amount = f"0.00{rng.randrange(10, 99)}"
        if rng.random() < 0.5:
            body.append(
                f'<p class="pay-crypto">Pay with Bitcoin: <a href="bitcoin:{signals.btc}?amount='
                f'{amount}">{signals.btc}</a></p>'
            )
        else:
            body.append(
                f'<p class="pay-crypto">Send {amount} BTC to <code>{signals.btc}</code></p>'
            )
        shown.append(("btc_address", signals.btc))
    if signals.affiliate is not None and show("affiliate"):
        url, param, value = signals.affiliate
        body.append(f'<aside class="partners"><a href="{escape(url)}">Our partner shop</a></aside>')
        shown.append(("affiliate", f"{param}={value}"))
    for link in signals.outlinks:
        body.append(
            f'<p class="post">{rng.choice(_FORUM_LINES)} <a href="{escape(link)}">link</a></p>'
        )
    if site.role == "noise":
        body.extend(
            f'<p class="post">{rng.choice(_FORUM_LINES)}</p>' for _ in range(rng.randint(1, 4))
        )
    if decor is not None:
        body.extend(decor.body)
    body.append("</main>")
    footer = [f'<footer class="{css["footer"]}"><p>Questions? ']
    for email in signals.emails:
        if show("email"):
            footer.append(f'<a href="mailto:{email}">{email}</a> ')
            shown.append(("email", email))
    footer.append("</p>")
    if decor is not None:
        footer.extend(decor.footer)
    footer.append("</footer>")
    body.append("".join(footer))
    body.append("</div>" + "</div>" * template.depth + "</body>")
    html = (
        '<!DOCTYPE html>\n<html lang="en"><head>'
        + "".join(head)
        + "</head>"
        + "".join(body)
        + "</html>\n"
    )
    return html.encode("utf-8"), shown


def redirect_page(target: str, script: str = "") -> bytes:
    """A doorway's page: a meta refresh, or a script that sets the location at once
    (``script="now"``) or after a moment (``"timer"``)."""
    if script == "now":
        how = f'<script>window.location.href = "{escape(target)}";</script>'
    elif script == "timer":
        how = (
            "<script>setTimeout(function () { window.location.replace("
            f'"{escape(target)}"); }}, 1500);</script>'
        )
    else:
        how = f'<meta http-equiv="refresh" content="0;url={escape(target)}">'

    return (
        '<!DOCTYPE html>\n<html><head><meta charset="utf-8">'
        f"{how}<title>Redirecting</title>"
        f'</head><body><p>Redirecting to <a href="{escape(target)}">the shop</a>.</p>'
        "</body></html>\n"
    ).encode()


def image_paths(page: Page, count: int) -> list[str]:
    digest = hashlib.sha1(page.url.encode(), usedforsecurity=False).hexdigest()[:8]
    return [f"/img/{digest}-{n}.png" for n in range(count)]


def analytics_snippet(tag: str) -> str:
    if tag.startswith("ym:"):
        counter = tag[3:]
        return (
            "<script>(function(m,e,t,r,i,k,a){m[i]=m[i]||function(){(m[i].a=m[i].a||[])"
            f'.push(arguments)}};}})(window,document,"script","","ym");ym({counter},"init",'
            "{clickmap:true});</script>"
        )
    return (
        f'<script async src="https://www.googletagmanager.example/gtag/js?id={tag}"></script>'
        "<script>window.dataLayer=window.dataLayer||[];function gtag(){dataLayer.push(arguments);}"
        f"gtag('js',new Date());gtag('config','{tag}');</script>"
    )


def _payment(merchant: actors.Merchant, rng: random.Random, field: str = "merchant_id") -> str:
    processor = merchant.processor
    plan = rng.choice(("month", "quarter", "year"))
    price = f"{rng.randrange(9, 90)}.95"
    if processor.style == "widget":
        return (
            f'<div class="checkout"><script src="https://{processor.host}/widget.js" '
            f'data-merchant="{merchant.merchant_id}" data-plan="{plan}" data-amount="{price}">'
            "</script></div>"
        )
    if processor.style == "iframe":
        return (
            f'<div class="checkout"><iframe src="https://{processor.host}/pay?{field}='
            f'{merchant.merchant_id}&amp;plan={plan}" width="400" height="300"></iframe></div>'
        )
    return payment_form(merchant, plan, price, field=field)


def payment_form(
    merchant: actors.Merchant,
    plan: str,
    price: str,
    button: str = "Buy access",
    field: str = "merchant_id",
) -> str:
    """A processor's checkout form handing it the merchant id (also a forum's donate button)."""
    return (
        f'<form class="checkout" method="post" action="https://{merchant.processor.host}/checkout">'
        f'<input type="hidden" name="{field}" value="{merchant.merchant_id}">'
        f'<input type="hidden" name="plan" value="{plan}"><input type="hidden" name="amount" '
        f'value="{price}"><button type="submit">{button}</button></form>'
    )


def _block(block: str, css: dict[str, str], rng: random.Random, site: Site) -> str:
    if block == "grid":
        cards = "".join(
            f'<div class="{css["card"]}"><img src="/img/t{rng.randrange(1000)}.png" alt="item">'
            f"<p>{rng.choice(_ITEM_WORDS).title()} {rng.choice(_ITEM_WORDS)} no. "
            f'{rng.randrange(1, 500)}</p><span class="{css["price"]}">${rng.randrange(5, 60)}'
            "</span></div>"
            for _ in range(rng.randint(3, 8))
        )
        return f'<section class="{css["grid"]}">{cards}</section>'
    if block == "features":
        items = "".join(f"<li>{f}</li>" for f in rng.sample(_FEATURES, 3))
        return f'<section class="features"><ul>{items}</ul></section>'
    if block == "plans":
        return (
            '<section class="plans"><div class="plan">Monthly</div><div class="plan">Quarterly'
            '</div><div class="plan">Yearly</div></section>'
        )
    if block == "faq":
        return (
            '<section class="faq"><h2>FAQ</h2><p>Access starts right after checkout.</p></section>'
        )
    if block == "testimonials":
        return '<section class="quotes"><blockquote>Great selection.</blockquote></section>'
    tagline = site.brand.tagline if site.brand else "Welcome"
    return f'<section class="hero"><h2>{escape(tagline)}</h2></section>'
