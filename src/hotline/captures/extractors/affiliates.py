"""Affiliate ids in outgoing links: the partner programme that pays for sending a visitor.

A link to another site whose query names an affiliate (``?aff=K3X9Q2``) says who gets paid
for the referral; the same id on many sites is one programme. The value is ``param=id``
(parameter lower-cased, id as written).

Not every ``?ref=`` is an affiliate id. Forums and link lists tag their outbound links with
their own name (``?ref=quuxboard``) or with where the link sat (``?ref=footer``), and
``campaign``/``cid``/``tracker`` are marketing tags as often as programme ids. A non-commercial
site must not carry a commercial selector for that, so a parameter value is an affiliate id
only when the evidence fits:

1. **Never an id** (whatever else holds): ``utm_*`` parameters; values under
   :data:`MIN_AFFILIATE_ID` or over :data:`MAX_AFFILIATE_ID` characters, or with spaces,
   control characters or ``/`` (text, a path or a URL); values shaped like a host name
   (``quuxboard.test``, ``https://www.quuxboard.test/``): they name a site; values that are
   the name of **either end of the link** — the linking page's host, its site (registrable
   domain), the first label of either, the link target's likewise, and the page's brand texts
   (:func:`~hotline.captures.extractors.brand.extract_brand`) — compared case-insensitively
   after NFKC, IDN decoding and without ``www.``, dashes, dots, underscores and spaces, so
   ``QuuxBoard``, ``quux-board``, ``quuxboard.test`` and ``www.quuxboard.test`` all match;
   and values made only of :data:`REFERRAL_WORDS` (``home``, ``nav``, ``footer``,
   ``sidebar``, ``share``, ``rss``, ``footer_link``…), also after taking off the page's own
   name (``quuxboard-forum``).
2. **Evidence points**, added up:

   * the value's shape: **2** when it looks like an id — digits inside letters (``ab12cd``,
     ``K3X9Q2``), five or more digits (``12345``), five or more letters in upper case
     (``KXQZTB``) or in mixed case that is not CamelCase words (``kXqZtB``); **1** for a
     name with a number at an end (``john123``, ``summer-2024``) or a short number (``2024``:
     as often a year, page or campaign number); **0** for a word or name (``bigfan``,
     ``QuuxBoard``, short ``ACME``), which is what a referral tag looks like;
   * **+1** for a programme parameter: the name contains ``aff`` or ``partner``, which only
     affiliate programmes use (``ref``, ``campaign``, ``cid``, ``tracker`` get nothing);
   * **+1** for a programme destination: the target's host or path has a word of
     :data:`PROGRAMME_WORDS` (``join``, ``signup``, ``register``, ``checkout``, ``pay``,
     ``buy``, ``subscribe``, ``members``…): the link sends a paying visitor.

   Two points make an id: an id-shaped value on its own (``?ref=ab12cd``, and the synthetic
   worlds' ``?campaign=K3X9Q2`` to a landing page), a numbered name under ``aff``/``partner``
   or to a join page, a word under ``aff``/``partner`` that leads to a join page — never a
   bare word under ``ref``. Three or more points make the selector ``strong`` (typically an
   id-shaped value under a programme parameter or to a programme destination), two
   ``medium``.

``where`` is ``link:<target site>;<evidence>`` with the evidence joined by ``+``: the shape
(``id``, ``numbered`` or ``name``) then ``param`` and ``join`` when they counted, e.g.
``link:zorbel.test;id+param+join``. Code that only wants the target site reads up to ``;``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from contextlib import suppress
from itertools import pairwise
from urllib.parse import urlsplit

from hotline.captures.extractors._common import Link, attribute, resolve
from hotline.captures.extractors.brand import extract_brand
from hotline.captures.page import CapturedPage, Selector, Strength

__all__ = [
    "AFFILIATE_PARAMS",
    "MAX_AFFILIATE_ID",
    "MIN_AFFILIATE_ID",
    "PROGRAMME_WORDS",
    "REFERRAL_WORDS",
    "extract_affiliates",
]

AFFILIATE_PARAMS: tuple[str, ...] = (
    "aff",
    "aff_id",
    "affid",
    "ref",
    "refid",
    "partner",
    "partner_id",
    "campaign",
    "cid",
    "tracker",
)
MIN_AFFILIATE_ID = 3
MAX_AFFILIATE_ID = 64
# Points needed for an id, and for a strong one (see the module docstring).
_ACCEPT = 2
_STRONG = 3

# Where a link sat or how it was shared: what sites put in ``ref`` for their own statistics.
# Compared lower-case, per part of the value split at separators.
REFERRAL_WORDS: frozenset[str] = frozenset(
    {
        "home",
        "homepage",
        "index",
        "main",
        "front",
        "frontpage",
        "nav",
        "navbar",
        "navigation",
        "menu",
        "header",
        "footer",
        "sidebar",
        "side",
        "top",
        "bottom",
        "toolbar",
        "tab",
        "link",
        "links",
        "linklist",
        "textlink",
        "button",
        "btn",
        "banner",
        "badge",
        "widget",
        "logo",
        "image",
        "img",
        "text",
        "cta",
        "hero",
        "popup",
        "embed",
        "forum",
        "board",
        "thread",
        "topic",
        "post",
        "posts",
        "reply",
        "comment",
        "comments",
        "signature",
        "sig",
        "profile",
        "blog",
        "blogroll",
        "news",
        "wiki",
        "directory",
        "list",
        "toplist",
        "portal",
        "catalog",
        "catalogue",
        "search",
        "related",
        "recommended",
        "bookmark",
        "bookmarks",
        "friends",
        "resources",
        "sitemap",
        "about",
        "contact",
        "share",
        "sharing",
        "social",
        "twitter",
        "facebook",
        "reddit",
        "instagram",
        "telegram",
        "whatsapp",
        "discord",
        "mastodon",
        "rss",
        "feed",
        "atom",
        "email",
        "mail",
        "newsletter",
        "push",
        "notification",
        "qr",
        "print",
        "app",
        "mobile",
        "desktop",
        "android",
        "ios",
        "web",
        "site",
        "website",
        "www",
        "direct",
        "external",
        "outbound",
        "out",
        "click",
        "ref",
        "referral",
        "referrer",
        "partner",
        "partners",
        "affiliate",
        "affiliates",
        "sponsor",
        "sponsored",
        "ad",
        "ads",
        "advert",
        "promo",
    }
)
# Words of a target host or path that make it a programme destination: where a visitor
# joins, pays or buys. Whole words only ("display" is no "pay").
PROGRAMME_WORDS: tuple[str, ...] = (
    "join",
    "signup",
    "sign-up",
    "sign_up",
    "register",
    "registration",
    "checkout",
    "pay",
    "payment",
    "payments",
    "buy",
    "purchase",
    "order",
    "cart",
    "billing",
    "subscribe",
    "subscription",
    "member",
    "members",
    "membership",
    "premium",
)
_PROGRAMME = re.compile(
    r"(?<![a-z])(?:"
    + "|".join(re.escape(w) for w in sorted(PROGRAMME_WORDS, key=len, reverse=True))
    + r")(?![a-z])"
)
_NAME_NOISE = re.compile(r"[\s._\-@~]+")  # what spellings of one name differ by
_SCHEME = re.compile(r"^[a-z][a-z0-9+.\-]*://")
# A host name: dotted labels ending in a top-level label of letters (or an IDN one).
_HOST = re.compile(r"^(?:[\w\-]+\.)+(?:[^\W\d_]{2,}|xn--[a-z0-9\-]+)$")
_SEPARATORS = re.compile(r"[^\w]|_")  # splits a value into its parts


def extract_affiliates(
    page: CapturedPage, params: Iterable[str] = AFFILIATE_PARAMS
) -> list[Selector]:
    """``affiliate`` selectors from ``a[href]`` links to other sites (rule: module docstring)."""
    wanted = frozenset(name.lower() for name in params)
    own: _Names | None = None  # the page's own names, read once and only when needed
    found: dict[str, Selector] = {}
    for node in page.tree.css("a"):
        link = resolve(page, attribute(node, "href"))
        if link is None or not link.params or not link.third_party(page):
            continue
        for name, value in link.params:
            param = name.strip().lower()
            ident = value.strip()
            if param not in wanted or param.startswith("utm_") or not _plausible(ident):
                continue
            if own is None:
                own = _Names.of_page(page)
            selector = _judge(param, ident, link, own)
            if selector is None:
                continue
            known = found.get(selector.value)
            # One value seen twice keeps its first place but its best evidence.
            if known is None or (
                known.strength is not Strength.STRONG and selector.strength is Strength.STRONG
            ):
                found[selector.value] = selector
    return list(found.values())


def _plausible(ident: str) -> bool:
    """Rule 1's cheap part: a single token of sensible length."""
    if not MIN_AFFILIATE_ID <= len(ident) <= MAX_AFFILIATE_ID or "/" in ident:
        return False
    return all(c.isprintable() and not c.isspace() for c in ident)


def _judge(param: str, ident: str, link: Link, own: _Names) -> Selector | None:
    text = unicodedata.normalize("NFKC", ident)
    if _host_shaped(text) or own.named(text) or _Names.of_link(link).named(text):
        return None
    parts = [p for p in _SEPARATORS.split(text.lower()) if p]
    if not parts or all(p in REFERRAL_WORDS for p in parts):
        return None
    shape, points = _shape(text)
    evidence = [shape]
    if "aff" in param or "partner" in param:
        points += 1
        evidence.append("param")
    if _programme_target(link):
        points += 1
        evidence.append("join")
    if points < _ACCEPT:
        return None
    strength = Strength.STRONG if points >= _STRONG else Strength.MEDIUM
    where = f"link:{link.site};{'+'.join(evidence)}"
    return Selector("affiliate", f"{param}={ident}", where, strength)


def _host_shaped(text: str) -> bool:
    bare = _SCHEME.sub("", text.lower()).removeprefix("www.")
    return bool(_HOST.match(bare))


def _shape(text: str) -> tuple[str, int]:
    """("id", 2), ("numbered", 1) or ("name", 0) for a value (see the module docstring)."""
    runs = _runs(text)
    letters = "".join(run for kind, run in runs if kind == "a")
    digits = [run for kind, run in runs if kind == "9"]
    if not digits:
        if len(letters) >= 5 and not _word_case(letters):
            return "id", 2
        return "name", 0
    if not letters:
        return ("id", 2) if sum(map(len, digits)) >= 5 else ("numbered", 1)
    # A name with a number: one number, at the start or the end, beside word-case letters.
    kinds = [kind for kind, _ in runs if kind != "-"]
    at_end = len(digits) == 1 and (kinds[0] == "9" or kinds[-1] == "9")
    words = [run for kind, run in runs if kind == "a"]
    if at_end and len(letters) >= 3 and all(_word_case(w) for w in words):
        return "numbered", 1
    return "id", 2


def _runs(text: str) -> list[tuple[str, str]]:
    """``text`` cut into runs of letters ("a"), digits ("9") and anything else ("-")."""
    runs: list[tuple[str, str]] = []
    for char in text:
        kind = "a" if char.isalpha() else "9" if char.isdigit() else "-"
        if runs and runs[-1][0] == kind:
            runs[-1] = (kind, runs[-1][1] + char)
        else:
            runs.append((kind, char))
    return runs


def _word_case(letters: str) -> bool:
    """Lower case, Title case or CamelCase words ("quuxboard", "Zorbel", "QuuxBoard",
    "quuxBoard"), or a script without case: how people write names. Random ids mix cases
    without that pattern ("kXqZtB") or are all capitals ("KXQZTB")."""
    capitals = [i for i, c in enumerate(letters) if c.isupper()]
    bounds = [*capitals, len(letters)]
    # Each capital must open a word of three letters or more.
    return all(end - begin >= 3 for begin, end in pairwise(bounds))


def _programme_target(link: Link) -> bool:
    try:
        path = urlsplit(link.url).path
    except ValueError:
        return False
    return bool(_PROGRAMME.search(f"{link.host}/{path}".lower()))


def _name_key(text: str) -> str:
    """One spelling for the many of a name: NFKC, lower case, no scheme, path or ``www.``,
    no separators."""
    bare = _SCHEME.sub("", unicodedata.normalize("NFKC", text).lower().strip())
    bare = bare.split("/", 1)[0].removeprefix("www.")
    return _NAME_NOISE.sub("", bare)


def _spellings(host: str) -> set[str]:
    """A host as written and with its IDN labels decoded."""
    spellings = {host.lower()}
    # Not a valid IDN: the ASCII spelling is all there is.
    with suppress(UnicodeError, ValueError):
        spellings.add(host.encode("ascii").decode("idna").lower())
    return spellings


class _Names:
    """The keys of the names of one end of a link."""

    def __init__(self, hosts: Iterable[str], names: Iterable[str] = ()) -> None:
        keys: set[str] = set()
        for host in hosts:
            for spelling in _spellings(host):
                bare = spelling.removeprefix("www.")
                keys.add(_name_key(bare))
                keys.add(_name_key(bare.split(".", 1)[0]))
        keys.update(_name_key(name) for name in names)
        keys.discard("")
        self.keys = frozenset(keys)

    @classmethod
    def of_page(cls, page: CapturedPage) -> _Names:
        brands = (s.value for s in extract_brand(page))
        return cls((page.host, page.site), brands)

    @classmethod
    def of_link(cls, link: Link) -> _Names:
        return cls((link.host, link.site))

    def named(self, text: str) -> bool:
        """Whether ``text`` is one of these names, alone or with referral words around it
        (``quuxboard``, ``QuuxBoard``, ``quuxboard.test``, ``quuxboard_forum``)."""
        if _name_key(text) in self.keys:
            return True
        parts = [p for p in _SEPARATORS.split(text.lower()) if p]
        rest = "".join(p for p in parts if p not in REFERRAL_WORDS)
        return bool(rest) and rest in self.keys
