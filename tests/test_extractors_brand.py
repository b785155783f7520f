"""Brand extractor: the normalised name from title, logo alt text and the first heading,
without the decorations pages wrap it in ("Zorbel logo", "Welcome to Zorbel", "Zorbel™")."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hotline.captures.extractors.brand import (
    BRAND_PREFIXES,
    BRAND_SUFFIXES,
    GENERIC_WORDS,
    MIN_BRAND_LENGTH,
    TITLE_SEPARATORS,
    brand_name,
    extract_brand,
    normalise_brand,
    title_brand,
    title_name,
)
from hotline.captures.page import CapturedPage, Selector, Strength


def page(head: str = "", body: str = "") -> CapturedPage:
    html = f"<!DOCTYPE html><html><head>{head}</head><body>{body}</body></html>"
    return CapturedPage.parse(
        "https://www.catalogue.test/", "www.catalogue.test", "catalogue.test", html
    )


def brands(head: str = "", body: str = "") -> list[tuple[str, str]]:
    return [(s.value, s.where) for s in extract_brand(page(head, body))]


def test_synthetic_style_landing_page() -> None:
    head = "<title>Zorbelkinvax | fresh picks every week</title>"
    body = (
        '<header class="x-header"><img class="x-logo-pel" src="/logo.png" alt="Zorbelkinvax">'
        '</header><main><h1>Zorbelkinvax</h1><section class="hero"><h2>Welcome</h2></section>'
    )
    assert extract_brand(page(head, body)) == [
        Selector("brand_text", "zorbelkinvax", "title", Strength.MEDIUM)
    ]


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("Corner Shop | fresh picks", "corner shop"),
        ("Corner Shop - new arrivals", "corner shop"),
        ("Corner Shop — members save more", "corner shop"),
        ("Corner Shop :: catalogue", "corner shop"),
        ("Shoes » Corner Shop", "shoes"),  # a breadcrumb: the page first (the site's pages
        # tell which part repeats: hotline.attribution.page_names)
        ("Corner Shop: fresh picks", "corner shop: fresh picks"),  # a colon cuts nothing
        ("Corner Shop|fresh picks", "corner shop"),
        ("Corner Shop / Gallery", "corner shop"),
        ("24/7 Corner Shop", "24/7 corner shop"),  # no space after it: part of the name
        ("Corner Shop open 10:30", "corner shop open 10:30"),
        ("Corner Shop · gifts", "corner shop"),
        ("Corner Shop • gifts", "corner shop"),
        ("Corner Shop ~ since 1999", "corner shop"),
        ("Corner·Shop", "corner·shop"),  # a separator needs its spaces
        ("Corner-Shop | x - y", "corner-shop"),
        ("  Corner\n\tShop  ", "corner shop"),
        ("Ｃｏｒｎｅｒ Shop", "corner shop"),  # full-width letters: NFKC
    ],
)
def test_title_normalisation(title: str, expected: str) -> None:
    assert title_name(title) == expected
    assert brands(f"<title>{title}</title>") == [(expected, "title")]


def test_logo_and_heading_when_the_title_is_generic() -> None:
    head = "<title>Home</title>"
    body = (
        '<img src="/img/banner.png" alt="Summer sale">'
        '<img src="/static/site-logo.svg" alt="Corner  Shop">'
        "<h1>Hand-made <em>Pottery</em></h1><h1>Second heading</h1>"
    )
    assert brands(head, body) == [("corner shop", "logo"), ("hand-made pottery", "h1")]


def test_logo_by_class() -> None:
    body = '<img class="brand LOGO-main" src="/a.png" alt="Pottery Corner">'
    assert brands(body=body) == [("pottery corner", "logo")]


@pytest.mark.parametrize(
    "text", ["Home", "Welcome", "logo", "Catalogue", "Index", "Forum", "Image Host", "ab", " "]
)
def test_generic_and_short_values_are_skipped(text: str) -> None:
    body = f'<img class="logo" alt="{text}"><h1>{text}</h1>'
    assert brands(f"<title>{text}</title>", body) == []
    # a generic (or empty) first part gives way to the name after it; a short one is a name
    # of its own, too short to use, and what follows it is not taken for it
    after = [] if text == "ab" else [("corner shop", "title")]
    assert brands(f"<title>{text} | Corner Shop</title>", body) == after


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("Contact us | Corner Shop", "corner shop"),  # an inner page names its section first
        ("Latest updates – Corner Shop", "corner shop"),
        ("Gallery - Corner Shop", "corner shop"),
        ("FAQ | Help | Corner Shop", "corner shop"),  # the last part, not the middle one
        ("Home | Corner Shop logo", "corner shop"),  # decorations go from the fallback too
        ("| Corner Shop", "corner shop"),  # an empty first part is no name either
        ("Corner Shop | Contact us", "corner shop"),  # the name first: as before
        ("Corner Shop | fresh picks", "corner shop"),  # a tagline is never taken
        ("Home | Latest updates", None),  # both generic: no value, not a generic one
        ("Contact us", None),
        ("Home | ab", None),  # too short to be a name
        ("AB | Best deals online", None),  # a name too short to use: the tagline is no name
        ("Contact us | Corner Shop | Best deals", "corner shop"),  # the next part, not the last
    ],
)
def test_a_title_that_names_its_section_first(title: str, expected: str | None) -> None:
    assert brands(f"<title>{title}</title>") == ([] if expected is None else [(expected, "title")])


@pytest.mark.parametrize(
    "heading", ["Contact us", "About Us", "Latest updates", "Terms and conditions", "FAQ"]
)
def test_a_section_heading_is_not_a_name(heading: str) -> None:
    """Inner pages head their content with the section: the same words on unrelated sites."""
    assert brands("<title>Corner Shop</title>", f"<h1>{heading}</h1>") == [("corner shop", "title")]


def test_values_are_deduplicated_per_page() -> None:
    head = "<title>Corner Shop</title>"
    body = '<img class="logo" alt="CORNER SHOP"><h1>Corner shop</h1>'
    assert brands(head, body) == [("corner shop", "title")]


def test_normalise_brand() -> None:
    assert normalise_brand("\u00a0Ｆｏｏ\u2003 Bar\n") == "foo bar"


def test_no_title_no_logo_no_heading() -> None:
    assert brands() == []
    assert brands(body="<img alt='Corner Shop'><title></title>") == []


@pytest.mark.parametrize(
    ("title", "expected"), [("| Corner Shop", ""), ("Corner Shop |", "corner shop")]
)
def test_a_separator_at_either_end(title: str, expected: str) -> None:
    assert title_name(title) == expected


# --- decorations ----------------------------------------------------------------------------

DECORATED = [
    "Zorbel logo",
    "Zorbel Logo",
    "logo Zorbel",
    "Logo: Zorbel",
    "Zorbel - official site",
    "Zorbel | Official Website",
    "Official Zorbel",
    "The official Zorbel",
    "Welcome to Zorbel",
    "Welcome to the Zorbel",
    "Home of Zorbel",
    "Zorbel home",
    "Zorbel Homepage",
    "Zorbel (official)",
    "Zorbel™",
    "Zorbel ™",
    "Zorbel®",
    "Zorbel(TM)",
    "© Zorbel",
    "Official Zorbel Logo",
    "Welcome to the official Zorbel home page",
    "  ZORBEL   LOGO ",
    "Welcome to Zorbel!",
    "“Zorbel”",
    "Zorbel...",
    "zorbel.test",
    "www.Zorbel.example",
    "Welcome to zorbel.test!",
]


@pytest.mark.parametrize("text", DECORATED)
def test_decorations_are_taken_off(text: str) -> None:
    assert brand_name(text) == "zorbel"


@pytest.mark.parametrize("text", DECORATED)
def test_decorated_candidates_give_one_brand_value(text: str) -> None:
    head = "<title>Zorbel | fresh picks every week</title>"
    body = f'<img class="site-logo" src="/logo.png" alt="{text}"><h1>{text}</h1>'
    assert brands(head, body) == [("zorbel", "title")]
    # and on their own, each where it stands
    assert brands(f"<title>{text}</title>") == [("zorbel", "title")]
    assert brands(body=f'<img class="logo" alt="{text}">') == [("zorbel", "logo")]
    assert brands(body=f"<h1>{text}</h1>") == [("zorbel", "h1")]


@pytest.mark.parametrize(
    "title",
    ["zorbel-shop7.test", "Zorbel-Shop7.test", "xn--zorbl-shop3-egk0g.test", "www.zorbel2.test"],
)
def test_a_title_that_is_an_address_of_several_words_names_nothing(title: str) -> None:
    # a site that calls itself by its address: the address is no brand's name (each of a
    # brand's domains would have its own); the logo still names it, the domain may place it
    assert brands(f"<title>{title}</title>") == []
    assert brands(f"<title>{title}</title>", '<img class="logo" alt="Zorbel">') == [
        ("zorbel", "logo")
    ]
    # after an address only a part the page confirms is a name: a tagline is not
    logo = '<img class="logo" alt="Zorbel">'
    assert brands(f"<title>{title} | Zorbel</title>", logo) == [("zorbel", "title")]
    assert brands(f"<title>{title} | Best deals online</title>") == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Dr.Oetker", "dr.oetker"),  # initials and a dot: a name, not an address
        ("J.Crew", "j.crew"),
        ("shop.zorbel.test", "shop.zorbel.test"),  # several labels: kept as written
        ("नमस्ते", "नमस्ते"),  # a final vowel sign is part of the word
        ("สวัสดี", "สวัสดี"),
    ],
)
def test_names_that_look_like_addresses_or_end_in_marks_are_kept(text: str, expected: str) -> None:
    assert brand_name(text) == expected
    assert brands(f"<title>{text}</title>") == [(expected, "title")]


def test_a_name_spoofed_with_cyrillic_letters_is_the_latin_name() -> None:
    # a look-alike domain's address as its title, or a spoofed name: the Latin name it copies
    spoofed = "Gosw\u0435xdovdra"  # a Cyrillic е
    assert brand_name(spoofed) == "goswexdovdra"
    assert brands(f"<title>{spoofed}.test | Best deals</title>") == [("goswexdovdra", "title")]
    # a name wholly in another script is that script's name, and Latin extras stay
    assert brand_name("Зорвексал") == "зорвексал"
    assert brand_name("Øresund") == "øresund"


@pytest.mark.parametrize("title", ["★★★", "...", "!!!", "🔥"])
def test_a_title_of_marks_only_names_nothing(title: str) -> None:
    assert brands(f"<title>{title}</title>") == []


def test_a_trademark_sign_in_a_title_is_not_glued_to_the_name() -> None:
    assert brands("<title>Zorbel™ | fresh picks</title>") == [("zorbel", "title")]
    assert normalise_brand("Zorbel™") == "zorbeltm"  # why brand_name drops the sign first


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Logomarx", "logomarx"),  # a decoration word inside a name is the name
        ("Zorbelhome", "zorbelhome"),
        ("Officialwear", "officialwear"),
        ("Homeofficial Supplies", "homeofficial supplies"),
        ("Corner Shop", "corner shop"),
        ("Zorbel logo designs", "zorbel logo designs"),  # only at either end
        ("ab logo", "ab logo"),  # "ab" is too short: kept as it stands
        ("Welcome to AB", "welcome to ab"),
        ("logo", "logo"),  # then dropped by extract_brand as a generic word
        ("Welcome", "welcome"),
        ("", ""),
    ],
)
def test_what_is_not_taken_off(text: str, expected: str) -> None:
    assert brand_name(text) == expected


def test_a_value_kept_whole_is_still_filtered() -> None:
    assert brands(body='<img class="logo" alt="Logo"><h1>Official</h1>') == []
    assert brands(body="<h1>ab logo</h1>") == [("ab logo", "h1")]


def test_the_decoration_lists_are_normalised_data() -> None:
    for decoration in (*BRAND_PREFIXES, *BRAND_SUFFIXES):
        assert normalise_brand(decoration) == decoration
    # a longer entry comes before any shorter one it starts (ends) with, or it is never used
    for entries, fits in ((BRAND_PREFIXES, str.startswith), (BRAND_SUFFIXES, str.endswith)):
        for i, entry in enumerate(entries):
            assert not any(fits(entry, earlier) for earlier in entries[:i]), entry


def test_a_megabyte_of_decorations_is_cheap() -> None:
    text = "logo " * 200_000 + "zorbel"
    assert brand_name(text) == normalise_brand(text)  # too long to be a name: not stripped
    assert brands(body=f"<h1>{text}</h1>") == []


PIECES = st.sampled_from(
    [
        *BRAND_PREFIXES, *BRAND_SUFFIXES, "zorbel", "ab", "x", " ", "-", "|", ":", "™", "®",
        "©", ".", "www.", ".test", "!", "★", "“", "\ufe0f", "\u0947", "\u043e", "\u0415",
    ]
)  # fmt: skip


@settings(max_examples=500, deadline=None)
@given(
    text=st.one_of(
        st.lists(PIECES, max_size=8).map(" ".join),
        st.lists(PIECES, max_size=8).map("".join),
        st.text(max_size=40),
        st.tuples(st.text(max_size=10), PIECES, st.text(max_size=10)).map("".join),
    )
)
def test_decoration_stripping_is_idempotent_and_never_too_short(text: str) -> None:
    name = brand_name(text)
    assert brand_name(name) == name
    if len(name) < MIN_BRAND_LENGTH:
        # short only when there was nothing longer to begin with: no strip made it short
        assert len(brand_name(name)) == len(name)
        assert len(normalise_brand(name)) == len(name)
        assert len(name) == len(_plain(text))


def _plain(text: str) -> str:
    """The text as brand_name sees it before any decoration is taken off."""
    value = text
    for mark in "™®℠©":
        value = value.replace(mark, "")
    for _ in range(4):
        value = normalise_brand(value)
    return value


def test_the_site_name_a_meta_tag_declares() -> None:
    head = (
        "<title>Best deals of the week | Zorbel</title>"
        '<meta property="og:site_name" content="Zorbel™">'
    )
    # the declared name confirms the title's later part: the tagline first is no name
    assert brands(head) == [("zorbel", "title")]
    assert brands('<meta property="og:site_name" content="Zorbel">') == [("zorbel", "meta")]
    assert brands('<meta property="og:site_name" content="Home">') == []  # generic
    assert brands('<meta property="og:title" content="Zorbel">') == []  # a page's, not a site's
    # the software's name, as often as the site's: not read
    assert brands('<meta name="application-name" content="Nextcloud">') == []


NAMES = st.one_of(
    st.text(st.characters(categories=["Ll", "Lu", "Nd"]), min_size=1, max_size=20),
    st.sampled_from(["Official", "Logo", "Home", "ab", "Zorbel logo", "Welcome to Zorbel"]),
)
DECORATIONS = frozenset((*BRAND_PREFIXES, *BRAND_SUFFIXES))


@settings(max_examples=300, deadline=None)
@given(
    name=NAMES,
    section=st.sampled_from(sorted(GENERIC_WORDS)),
    separator=st.sampled_from(TITLE_SEPARATORS),
    name_first=st.booleans(),
)
def test_the_name_is_found_on_either_side_of_a_section(
    name: str, section: str, separator: str, name_first: bool
) -> None:
    """Whichever side the name stands on, the title gives the name; never the section, and
    nothing at all when the name is no usable name (too short, a decoration, generic)."""
    expected = brand_name(name)
    usable = (
        len(expected) >= MIN_BRAND_LENGTH
        and expected not in GENERIC_WORDS
        and expected not in DECORATIONS
        and normalise_brand(name) not in GENERIC_WORDS
    )
    title = f"{name}{separator}{section}" if name_first else f"{section}{separator}{name}"
    assert title_brand(title) == (expected if usable else "")


def _on(host: str, head: str = "", body: str = "") -> list[tuple[str, str]]:
    html = f"<!DOCTYPE html><html><head>{head}</head><body>{body}</body></html>"
    captured = CapturedPage.parse(f"https://{host}/item/4821", host, host, html)
    return [(s.value, s.where) for s in extract_brand(captured)]


def test_a_product_page_names_the_item_first_and_the_host_says_which_part_is_the_name() -> None:
    title = "<title>Deluxe pack 4821 | Zorbel</title>"
    assert _on("zorbel-shop3.test", title) == [("zorbel", "title")]
    assert _on("www.zorbel.test", title) == [("zorbel", "title")]
    # a host that spells neither part: the first part, as before
    assert _on("dovnub4x6.test", title) == [("deluxe pack 4821", "title")]
    # a host that spells the first part keeps it, whatever comes after
    assert _on("www.iana.test", "<title>IANA — Root Zone Database</title>") == [("iana", "title")]
    # a name of three letters is too short for the host to confirm: a later part the host
    # spells wins, else the first part stays
    assert _on("abc-zorbel.test", "<title>ABC | Zorbel</title>") == [("zorbel", "title")]
    assert _on("abc.test", "<title>ABC | Zorbel</title>") == [("abc", "title")]
    # the top level spells nothing: "Online deals" is not confirmed by a .online host
    assert _on("zorbel.online", "<title>Online | Zorbel</title>") == [("zorbel", "title")]


def test_a_heading_beside_a_title_that_names_the_site_is_the_pages_own() -> None:
    body = "<h1>Deluxe pack 4821</h1>"
    assert _on("shop.test", "<title>Zorbel | fresh picks</title>", body) == [("zorbel", "title")]
    # where the title names nothing, the heading is read
    assert _on("shop.test", "<title>Home</title>", body) == [("deluxe pack 4821", "h1")]
    assert _on("shop.test", "", "<h1>Zorbel</h1>") == [("zorbel", "h1")]


def test_the_logo_or_the_declared_site_name_says_which_title_part_is_the_name() -> None:
    """A host that spells neither part: the page's logo or its og:site_name confirms the
    later part, so the product page gives the shop, not the item."""
    title = "<title>Deluxe pack 4821 | Zorbel</title>"
    logo = '<img class="site-logo" src="/logo.png" alt="Zorbel logo">'
    assert _on("dovnub4x6.test", title, logo) == [("zorbel", "title")]
    meta = '<meta property="og:site_name" content="Zorbel">'
    assert _on("dovnub4x6.test", title + meta) == [("zorbel", "title")]
    # a logo that names the first part keeps it; one that names neither changes nothing
    first = '<img class="logo" src="/logo.png" alt="Deluxe pack 4821">'
    assert _on("dovnub4x6.test", title, first) == [("deluxe pack 4821", "title")]
    other = '<img class="logo" src="/logo.png" alt="Qwixo">'
    assert _on("dovnub4x6.test", title, other) == [
        ("deluxe pack 4821", "title"),
        ("qwixo", "logo"),
    ]


def test_a_colon_is_no_separator_and_a_short_first_part_keeps_a_confirmed_name() -> None:
    """ "Re: …" and "Video: …" name a reply or a category, not the site: not cut, so each
    page's own words stay whole (attribution drops them as pages' own); a too-short first
    part gives a later part only when the page confirms it."""
    assert _on("qx5x2.test", "<title>Video: Birds</title>") == [("video: birds", "title")]
    reply = "<title>Re: Summer meetup | Vaxpel Board</title>"
    assert _on("qx5x2.test", reply) == [("re: summer meetup", "title")]
    assert _on("vaxpel-board.test", reply) == [("vaxpel board", "title")]
    short = "<title>Q | Zorbel</title>"
    assert _on("zorbel.test", short) == [("zorbel", "title")]
    logo = '<img class="logo" src="/logo.png" alt="Zorbel">'
    assert _on("qx5x2.test", short, logo) == [("zorbel", "title")]
    assert _on("qx5x2.test", "<title>AB | Best deals</title>") == []  # nothing confirms


def test_after_a_generic_part_a_confirmed_part_wins_over_the_first_usable_one() -> None:
    title = "<title>Gallery | Deluxe pack 4821 | Zorbel</title>"
    logo = '<img class="logo" src="/logo.png" alt="Zorbel">'
    assert _on("qx5x2.test", title, logo) == [("zorbel", "title")]
    assert _on("zorbel-shop.test", title) == [("zorbel", "title")]
    assert _on("qx5x2.test", title) == [("deluxe pack 4821", "title")]  # nothing confirms


@given(st.sampled_from(["Deluxe pack 4821", "Our story", "Gallery 7", "Weekly picks"]))
def test_a_confirmed_later_part_wins_whatever_the_first(first: str) -> None:
    title = f"<title>{first} – Zorbel</title>"
    logo = '<img class="logo" src="/logo.png" alt="Zorbel">'
    assert _on("qx5x2.test", title, logo)[0] == ("zorbel", "title")
