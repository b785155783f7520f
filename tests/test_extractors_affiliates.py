"""Affiliates extractor: ``param=id`` from links to other sites, only when the evidence fits.

The rule (module docstring of ``hotline.captures.extractors.affiliates``): a value that names
either end of the link, a referral word or a host is never an id; otherwise its shape, a
programme parameter (``aff``, ``partner``) and a programme destination (join, pay, …) add up.
"""

from __future__ import annotations

import re
import unicodedata
from html import escape
from urllib.parse import urlencode

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hotline.captures.extractors.affiliates import (
    AFFILIATE_PARAMS,
    REFERRAL_WORDS,
    extract_affiliates,
)
from hotline.captures.page import CapturedPage, Selector, Strength


def page(
    body: str,
    url: str = "https://www.catalogue.test/",
    host: str = "www.catalogue.test",
    site: str = "catalogue.test",
    title: str = "Shop",
) -> CapturedPage:
    html = f"<!DOCTYPE html><html><head><title>{title}</title></head><body>{body}</body></html>"
    return CapturedPage.parse(url, host, site, html)


def values(body: str) -> list[tuple[str, str]]:
    return [(s.value, s.where) for s in extract_affiliates(page(body))]


def forum(body: str, title: str = "QuuxBoard | talk about shops") -> CapturedPage:
    """A forum that tags its outbound links with its own name."""
    return page(
        body, "https://www.quuxboard.test/t/12", "www.quuxboard.test", "quuxboard.test", title
    )


def link(href: str) -> str:
    return f'<p class="post">have a look <a href="{escape(href)}">here</a></p>'


# --- programme links: found ---------------------------------------------------------------


def test_partner_link() -> None:
    body = '<aside class="partners"><a href="https://corner-shop.test/?aff=K3X9QW">Our partner'
    assert extract_affiliates(page(body)) == [
        Selector("affiliate", "aff=K3X9QW", "link:corner-shop.test;id+param", Strength.STRONG)
    ]


@pytest.mark.parametrize(
    ("href", "value", "where", "strength"),
    [
        # an id under a programme parameter, to a join page: all the evidence there is
        (
            "https://zorbel.test/join?aff=K3X9Q2",
            "aff=K3X9Q2",
            "id+param+join",
            Strength.STRONG,
        ),
        ("https://zorbel.test/?partner=12345", "partner=12345", "id+param", Strength.STRONG),
        ("https://zorbel.test/?ref=ab12cd", "ref=ab12cd", "id", Strength.MEDIUM),
        ("https://zorbel.test/?campaign=KXQZTB", "campaign=KXQZTB", "id", Strength.MEDIUM),
        ("https://zorbel.test/?tracker=kXqZtB", "tracker=kXqZtB", "id", Strength.MEDIUM),
        ("https://zorbel.test/checkout?ref=ab12cd", "ref=ab12cd", "id+join", Strength.STRONG),
        ("https://pay.zorbel.test/?cid=77310", "cid=77310", "id+join", Strength.STRONG),
        # names need the programme's words around them
        ("https://zorbel.test/?aff=john123", "aff=john123", "numbered+param", Strength.MEDIUM),
        (
            "https://zorbel.test/sign-up?aff=bigfan",
            "aff=bigfan",
            "name+param+join",
            Strength.MEDIUM,
        ),
        (
            "https://zorbel.test/members/?ref=summer-2024",
            "ref=summer-2024",
            "numbered+join",
            Strength.MEDIUM,
        ),
        (
            "https://zorbel.test/?partner_id=123",
            "partner_id=123",
            "numbered+param",
            Strength.MEDIUM,
        ),
    ],
)
def test_programme_links(href: str, value: str, where: str, strength: Strength) -> None:
    assert extract_affiliates(forum(link(href))) == [
        Selector("affiliate", value, f"link:zorbel.test;{where}", strength)
    ]


@pytest.mark.parametrize("param", AFFILIATE_PARAMS)
def test_every_configured_parameter(param: str) -> None:
    body = f'<a href="https://www.other.example/item/7?color=red&amp;{param}=Ab-12">x</a>'
    evidence = "id+param" if "aff" in param or "partner" in param else "id"
    assert values(body) == [(f"{param}=Ab-12", f"link:other.example;{evidence}")]


def test_parameter_is_lower_cased_and_id_kept_as_written() -> None:
    assert values('<a href="https://other.test/?REF=MiXeD%2D9">x</a>') == [
        ("ref=MiXeD-9", "link:other.test;id")
    ]


def test_sixty_four_characters_is_still_an_id() -> None:
    ident = "K3X9Q2" * 10 + "ABCD"
    assert values(f'<a href="https://other.test/?cid={ident}">x</a>') == [
        (f"cid={ident}", "link:other.test;id")
    ]


def test_custom_parameter_list_and_dedupe() -> None:
    body = (
        '<a href="https://a.test/?via=Z1X9">1</a><a href="https://b.test/?via=Z1X9">2</a>'
        '<a href="https://a.test/?aff=Q7W8">3</a>'
    )
    found = extract_affiliates(page(body), params=("VIA",))
    assert [(s.value, s.where) for s in found] == [("via=Z1X9", "link:a.test;id")]


def test_one_value_keeps_its_first_place_and_its_best_evidence() -> None:
    body = (
        link("https://zorbel.test/?ref=ab12cd")
        + link("https://zorbel.test/?aff=K3X9Q2")
        + link("https://zorbel.test/join?ref=ab12cd")
    )
    found = extract_affiliates(forum(body))
    assert [(s.value, s.where, s.strength) for s in found] == [
        ("ref=ab12cd", "link:zorbel.test;id+join", Strength.STRONG),
        ("aff=K3X9Q2", "link:zorbel.test;id+param", Strength.STRONG),
    ]


def test_where_starts_with_the_target_site() -> None:
    [found] = extract_affiliates(forum(link("https://shop.zorbel.test/join?aff=K3X9Q2")))
    assert found.where.split(";", 1)[0] == "link:zorbel.test"


# --- referral tags and noise: not found -----------------------------------------------------

OWN_NAMES = [
    "quuxboard",
    "QuuxBoard",
    "QUUXBOARD",
    "quux-board",
    "quux_board",
    "quux.board",
    "quuxboard.test",
    "QuuxBoard.Test",
    "www.quuxboard.test",
    "quuxboardtest",
    "quuxboard_forum",
    "forum-quuxboard",
    "@quuxboard",
]


@pytest.mark.parametrize("name", OWN_NAMES)
@pytest.mark.parametrize("param", ["ref", "aff", "partner", "campaign"])
def test_the_forums_own_name_is_never_an_id(name: str, param: str) -> None:
    # even under a programme parameter and to a join page: the forum is naming itself
    query = urlencode({param: name})
    body = link(f"https://shop.zorbel.test/?{query}") + link(f"https://zorbel.test/join?{query}")
    assert extract_affiliates(forum(body)) == []


def test_the_own_name_in_a_url_and_in_utm_source() -> None:
    body = (
        link("https://shop.zorbel.test/?ref=https://www.quuxboard.test/")
        + link("https://shop.zorbel.test/?utm_source=quuxboard&utm_medium=forum")
        + link("https://shop.zorbel.test/?utm_campaign=K3X9Q2&utm_content=ab12cd")
    )
    assert extract_affiliates(forum(body)) == []
    # utm_* is never an id, even when a deployment lists it
    found = extract_affiliates(forum(body), params=("utm_campaign", "utm_content"))
    assert found == []


def test_the_page_brand_name_is_an_own_name() -> None:
    """A link list on a host that does not spell its name: its title does."""
    captured = page(
        link("https://zorbel.test/join?aff=Quuxlinks"),
        "https://lists.example/",
        "lists.example",
        "lists.example",
        title="Welcome to QuuxLinks | the best lists",
    )
    assert extract_affiliates(captured) == []


def test_an_idn_sites_own_name_in_unicode() -> None:
    captured = page(
        link("https://zorbel.test/join?aff=B%C3%BCcher")
        + link("https://zorbel.test/?aff=x7bücher"),
        "https://www.xn--bcher-kva.test/",
        "www.xn--bcher-kva.test",
        "xn--bcher-kva.test",
    )
    assert [s.value for s in extract_affiliates(captured)] == ["aff=x7bücher"]


def test_the_targets_own_name_is_not_an_id() -> None:
    body = link("https://zorbel.test/join?aff=zorbel") + link("https://z.test/?ref=Zorbel.test")
    assert extract_affiliates(forum(body)) == []


@pytest.mark.parametrize(
    "word",
    [
        "home",
        "nav",
        "footer",
        "sidebar",
        "link",
        "forum",
        "share",
        "twitter",
        "rss",
        "email",
        "homepage",
        "menu",
        "banner",
        "FOOTER",
        "footer_link",
        "nav-top",
        "Side.Bar",
    ],
)
def test_referral_words_are_not_ids(word: str) -> None:
    body = link(f"https://zorbel.test/?ref={word}") + link(f"https://zorbel.test/join?aff={word}")
    assert extract_affiliates(forum(body)) == []


def test_referral_words_are_lower_case_words() -> None:
    assert all(word.isalpha() and word.islower() for word in REFERRAL_WORDS)


@pytest.mark.parametrize(
    "href",
    [
        "https://zorbel.test/?ref=bigfan",  # a name under ref: a referral tag
        "https://zorbel.test/join?ref=bigfan",  # ... even to a join page
        "https://zorbel.test/?aff=bigfan",  # a name under aff, but nothing to join
        "https://zorbel.test/?ref=ACME",  # four capitals are a name, not a code
        "https://zorbel.test/?ref=QuuxLinks",  # CamelCase is how names are written
        "https://zorbel.test/?ref=summer2024",  # a named campaign
        "https://zorbel.test/?campaign=2024",  # a year
        "https://zorbel.test/display?ref=bigfan",  # "display" is no "pay"
        "https://zorbel.test/?ref=linkhub.example",  # a host names a site
        "https://zorbel.test/?ref=a7",  # too short to tell one programme from another
        "https://zorbel.test/?ref=ab%2012cd",  # text, not a token
        "https://zorbel.test/?ref=x/7/y",  # a path
    ],
)
def test_names_and_tags_without_evidence(href: str) -> None:
    assert extract_affiliates(forum(link(href))) == []


def test_not_affiliates() -> None:
    body = (
        '<a href="/catalog/?aff=OWN1X">relative: own site</a>'
        '<a href="https://shop.catalogue.test/?ref=OWN2X">own site, other host</a>'
        '<a href="https://other.test/?aff=">empty</a>'
        f'<a href="https://other.test/?aff={"x7" * 33}">too long</a>'
        '<a href="https://other.test/?page=2&amp;q=ref">no affiliate parameter</a>'
        '<a href="https://other.test/#aff=FRAG9">fragment, not query</a>'
        '<a href="mailto:a@other.test?ref=1X2Y">mail</a><a href>none</a><a>no href</a>'
    )
    assert values(body) == []


# --- properties -------------------------------------------------------------------------------

_SCHEME = re.compile(r"^[a-z][a-z0-9+.\-]*://")


def own_key(text: str) -> str:
    """How a test reader would compare a value with the forum's name: written again here,
    not imported, so that a change to the extractor's own comparison is caught."""
    bare = _SCHEME.sub("", unicodedata.normalize("NFKC", text).lower().strip())
    bare = bare.split("/", 1)[0].removeprefix("www.")
    return re.sub(r"[\s._\-@~]+", "", bare)


@st.composite
def own_spellings(draw: st.DrawFn) -> str:
    """The forum's name as a person might type it: any case, separators anywhere, with or
    without www., the suffix and a scheme."""
    letters = [c.upper() if draw(st.booleans()) else c for c in "quuxboard"]
    spelled = "".join(c + draw(st.sampled_from(["", "", "", "-", ".", "_"])) for c in letters)
    prefix = draw(st.sampled_from(["", "www.", "WWW.", "https://", "http://www."]))
    suffix = draw(st.sampled_from(["", ".test", ".TEST"]))
    return prefix + spelled + suffix


PARAMS = st.sampled_from([*AFFILIATE_PARAMS, "utm_source", "utm_campaign", "page", "AFF"])
TARGETS = st.sampled_from(
    ["https://zorbel.test/", "https://zorbel.test/join", "https://pay.zorbel.test/checkout"]
)


@settings(max_examples=300, deadline=None)
@given(param=PARAMS, name=own_spellings(), target=TARGETS)
def test_no_spelling_of_the_own_name_is_an_id(param: str, name: str, target: str) -> None:
    href = f"{target}?{urlencode({param: name})}"
    assert extract_affiliates(forum(link(href))) == []


@settings(max_examples=400, deadline=None)
@given(
    pairs=st.lists(st.tuples(PARAMS, st.one_of(own_spellings(), st.text(max_size=80))), max_size=6),
    raw=st.text(max_size=120),
    target=TARGETS,
)
def test_arbitrary_queries_never_raise_nor_name_the_forum(
    pairs: list[tuple[str, str]], raw: str, target: str
) -> None:
    body = link(f"{target}?{urlencode(pairs)}") + f'<a href="{escape(target)}?{escape(raw)}">x</a>'
    for selector in extract_affiliates(forum(body)):
        param, _, ident = selector.value.partition("=")
        assert param in AFFILIATE_PARAMS
        assert own_key(ident) not in {"quuxboard", "quuxboardtest"}
        assert selector.where.startswith("link:zorbel.test;")
        assert selector.strength in (Strength.STRONG, Strength.MEDIUM)
