"""Designers' credits: "Site by <a href=…>Name</a>" in a page's footer.

A web-design agency signs the sites it builds ("Site by", "Website by", "Web design:",
"Designed and developed by", …) with a link to its own site or its mailbox. The credit names
a third party who put things on the page — often its own mailbox, sometimes its own analytics
tag — so what travels with a credit may be the designer's, not the operator's. Attribution
therefore never links sites by a credit; it reads the credit as a reason to doubt the values
that come with it (docs/attribution-method.md).

The value is the credited party's site key: the registrable domain of the link (or of the
mailbox's domain for a ``mailto:`` credit), so "Site by" on one page and "Web design:
studio@…" on another name the same agency. A credit is only read where the phrase stands
right before the link — in the text node before it, or in the inline element before it
("<small>Site by</small> <a>", with comments and blank text between them skipped, and out of
a wrapper such as "<strong><a>…</a></strong>") — or begins the link's own text ("Website by
Nimbo"): a sentence that merely contains "by" and a link ("Follow us by e-mail", "Photos by
<a>") is no credit, and neither are words that as often credit an author or a maker ("Created
by", "Made by": only "Site created by" and "Made with ♥ by" are read). A platform's "Powered
by" is left out on purpose: it names the software a site runs on, which thousands of
unrelated operators share, and the template extractor already sees kits.

A designer known only by a profile on a social or freelance site ("Site by
<a href=https://social.example.com/nimbo>") or by a free mailbox is named by that profile or
address ("instagram.com/nimbo", "nimbo@gmail.com"): the platform's domain alone would make
every such designer one.
"""

from __future__ import annotations

import re
from urllib.parse import unquote, urlsplit

from selectolax.lexbor import LexborNode

from hotline.captures.extractors._common import attribute, resolve
from hotline.captures.page import CapturedPage, Selector, Strength
from hotline.urls import Rejection, canonicalize

__all__ = ["CREDIT_PHRASE", "FREEMAIL_DOMAINS", "PROFILE_HOSTS", "extract_credits"]

# A second trade after the first: "Designed & developed by", "Design and hosting by".
_SECOND = r"develop(?:ed|ment)|built|host(?:ed|ing)|design(?:ed)?|seo|marketing|maintained"
_PHRASE = (
    r"(?:^|[^\w])(?:"
    # "Site by", "Website by", "Web site by", "Web design by", "Site created by", "Designed
    # by", "Developed by", "Built by", "Crafted by", "Design & hosting by", "Designed by:"
    r"(?:(?:(?:web\s?)?site|web)\s+)?"
    r"(?:site|web\s?design|design(?:ed)?|develop(?:ed|ment)|built|crafted"
    r"|(?<=site )(?:created|made)|(?<=website )(?:created|made))"
    rf"(?:\s+(?:&|and|\+)\s+(?:{_SECOND}))?\s+by\s*:?"
    r"|website\s+by\s*:?"
    # "Made with ♥ by", "Made with love by"
    r"|made\s+with\s+\S{1,12}\s+by"
    # "Web design:", "Webdesign & SEO:", "Design & development:"
    rf"|(?:web\s?design(?:\s*(?:&|and|\+)\s*(?:{_SECOND}))?"
    rf"|design\s*(?:&|and|\+)\s*(?:{_SECOND}))\s*:"
    # the same credit in a few other languages
    r"|(?:web\s?design|design|erstellt|umsetzung)\s+von|umsetzung\s*:"
    r"|(?:r[ée]alis[ée]|con[çc]u|cr[ée]{1,2}|d[ée]velopp[ée])\s+par"
    r"|(?:dise[ñn]ad[oa]|desarrollad[oa]|hecho|realizzato|sviluppato)\s+(?:por|da)"
    r"|(?:gemaakt|ontworpen)\s+door"
    r")"
)
CREDIT_PHRASE = re.compile(_PHRASE + r"\s*$", re.IGNORECASE)
# ... or the link's own text begins with it: "<a>Website by Nimbo</a>"
_OWN_CREDIT = re.compile(_PHRASE + r"\s+\S", re.IGNORECASE)
# How much text next to the link is read: a footer line, not a paragraph.
_MAX_LEAD = 80
# Cheap tests before the regular expressions: the last letters the text before a link must
# end with, and the first letters a link's own credit can begin with (most links fail one)
_STARTS = frozenset("swdbcmeurhgoSWDBCMEURHGO")
_ENDS = ("by", "by:", ":", "von", "par", "por", "da", "door")
# Elements a footer wraps a credit's words or its link in.
_INLINE = frozenset({"span", "small", "em", "strong", "b", "i", "font", "u", "sup", "sub"})
# Characters that are space to a reader but not to str.split: no-break and zero-width ones.
_SPACES = str.maketrans({"\u00a0": " ", "\u200b": " ", "\u200c": " ", "\u200d": " "})
# Hosts whose first path segment is someone's profile, and free mailboxes: a credit there
# names the profile or the address, not the platform.
PROFILE_HOSTS = frozenset(
    {
        "behance.net", "dribbble.com", "facebook.com", "fiverr.com", "github.com",
        "instagram.com", "linkedin.com", "linktr.ee", "t.me", "tiktok.com", "twitter.com",
        "upwork.com", "vk.com", "x.com", "youtube.com",
    }
)  # fmt: skip
FREEMAIL_DOMAINS = frozenset(
    {
        "aol.com", "gmail.com", "gmx.de", "gmx.net", "googlemail.com", "hotmail.com",
        "icloud.com", "mail.ru", "outlook.com", "proton.me", "protonmail.com", "web.de",
        "yahoo.com", "yandex.ru",
    }
)  # fmt: skip


def _plain(text: str) -> str:
    return " ".join(text.translate(_SPACES).split())


def _text_before(anchor: LexborNode) -> str | None:
    """The text right before ``anchor``: the text node or inline element before it (blank
    text and comments skipped), climbing out of inline wrappers it is the first thing in."""
    node = anchor
    for _ in range(3):
        before = node.prev
        steps = 0
        while (
            before is not None
            and steps < 4
            and (
                before.tag == "-comment"
                or (
                    before.is_text_node
                    and not (before.text_content or "").translate(_SPACES).strip()
                )
            )
        ):
            before, steps = before.prev, steps + 1
        if before is not None:
            if before.is_text_node:
                return before.text_content
            if before.tag in _INLINE:
                return before.text(deep=True)
            return None
        parent = node.parent
        if parent is None or parent.tag not in _INLINE:
            return None
        node = parent
    return None


def _own_text(anchor: LexborNode) -> str | None:
    first = anchor.child
    if first is None:
        return None
    text = first.text_content if first.is_text_node else anchor.text(deep=True)
    return text or None


def _mailbox(href: str) -> str | None:
    """The credited party of a ``mailto:`` link: the mailbox's site, or the whole address
    at a free-mail provider; the first recipient only."""
    target = unquote(href[len("mailto:") :].partition("?")[0]).split(",")[0].strip()
    if "<" in target and target.endswith(">"):  # "Nimbo Studio <hello@nimbo.example>"
        target = target[target.rindex("<") + 1 : -1]
    local, at, domain = target.rpartition("@")
    if not at or not local or not domain:
        return None
    canonical = canonicalize(f"http://{domain.strip()}/")
    if isinstance(canonical, Rejection):
        return None
    if canonical.site in FREEMAIL_DOMAINS:
        return f"{local.strip().lower()}@{canonical.site}"
    return canonical.site


def _credited(page: CapturedPage, href: str) -> str | None:
    if href[:7].lower() == "mailto:":
        return _mailbox(href)
    link = resolve(page, href)
    if link is None or not link.third_party(page):
        return None
    if link.site in PROFILE_HOSTS:
        handle = urlsplit(link.url).path.strip("/").split("/")[0].lower()
        return f"{link.site}/{handle}" if handle else None
    return link.site


def extract_credits(page: CapturedPage) -> list[Selector]:
    """``credit`` selectors: each designer a page credits (see the module's docstring)."""
    found: dict[str, Selector] = {}
    for anchor in page.tree.css("a[href]"):
        text = _text_before(anchor)
        if (
            text
            and (lead := _plain(text)[-_MAX_LEAD:]).lower().endswith(_ENDS)
            and (CREDIT_PHRASE.search(lead))
        ):
            where = "text"
        else:
            own = _own_text(anchor)
            if not own or own.lstrip()[:1] not in _STARTS:
                continue
            if not _OWN_CREDIT.match(_plain(anchor.text(deep=True) or "")[:_MAX_LEAD]):
                continue
            where = "link-text"
        href = attribute(anchor, "href")
        value = _credited(page, href) if href is not None else None
        if value is not None and value != page.site:
            found.setdefault(value, Selector("credit", value, where, Strength.WEAK))
    return list(found.values())
