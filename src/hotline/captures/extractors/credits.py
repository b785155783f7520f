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
right before the link, or is the link's own text ("Website by Nimbo"): a sentence that merely
contains "by" and a link ("Follow us by e-mail") is no credit. A platform's "Powered by" is
left out on purpose: it names the software a site runs on, which thousands of unrelated
operators share, and the template extractor already sees kits.
"""

from __future__ import annotations

import re

from hotline.captures.extractors._common import attribute, resolve
from hotline.captures.page import CapturedPage, Selector, Strength
from hotline.urls import Rejection, canonicalize

__all__ = ["CREDIT_PHRASE", "extract_credits"]

# The words before the designer's link, at the end of the text that precedes it: "Site by",
# "Website by", "Web design by", "Web design:", "Design by", "Designed & developed by",
# "Design and hosting by", "Webdesign & SEO:", "Developed by", "Built by", "Created by",
# "Crafted by", "Made by" / "Made with ♥ by"; and the same credit as pages in a few other
# languages write it ("Webdesign von", "Réalisé par", "Conçu par", "Diseñado por",
# "Gemaakt door"), since hotlines see sites from everywhere.
_SECOND = r"develop(?:ed|ment)|built|host(?:ed|ing)|design(?:ed)?|seo|marketing|maintained"
_PHRASE = (
    r"(?:^|[^\w])(?:"
    r"(?:(?:web\s?)?site|web\s?design|design(?:ed)?|develop(?:ed|ment)|built|created|crafted"
    r"|made(?:\s+with\s+\S{1,12})?)"
    rf"(?:\s+(?:&|and|\+)\s+(?:{_SECOND}))?\s*(?:by|:)"
    r"|(?:web\s?design|design|erstellt|umsetzung)\s*(?:von|:)"
    r"|(?:r[ée]alis[ée]|con[çc]u|cr[ée]{1,2}|d[ée]velopp[ée])\s+par"
    r"|(?:dise[ñn]ad[oa]|desarrollad[oa]|hecho|realizzato|sviluppato)\s+(?:por|da)"
    r"|(?:gemaakt|ontworpen)\s+door"
    r")"
)
CREDIT_PHRASE = re.compile(_PHRASE + r"\s*$", re.IGNORECASE)
# ... or the link's own text begins with it: "<a>Website by Nimbo</a>"
_OWN_CREDIT = re.compile(_PHRASE + r"\s+\S", re.IGNORECASE)
# The text a credit phrase can sit in: a footer line, not a paragraph of prose.
_MAX_LEAD = 80
# The first letters a credit phrase can begin with, and the ends it can have: cheap tests
# that spare the regular expressions nearly every link (a page has dozens, a credit one)
_STARTS = frozenset("swdbcmeurhgoSWDBCMEURHGO")
_ENDS = ("by", ":", "von", "par", "por", "da", "door")


def _lead(node_text: str) -> str:
    """The end of the text before a link, where a credit phrase would stand."""
    return " ".join(node_text.split())[-_MAX_LEAD:]


def _mailbox_site(href: str) -> str | None:
    target = href[len("mailto:") :].partition("?")[0]
    _local, at, domain = target.rpartition("@")
    if not at or not domain:
        return None
    canonical = canonicalize(f"http://{domain.strip()}/")
    return None if isinstance(canonical, Rejection) else canonical.site


def extract_credits(page: CapturedPage) -> list[Selector]:
    """``credit`` selectors: the site key of each designer a page credits."""
    found: dict[str, Selector] = {}
    for anchor in page.tree.css("a[href]"):
        before = anchor.prev
        text = before.text_content if before is not None and before.is_text_node else None
        if (
            text
            and text.rstrip()[-4:].lower().endswith(_ENDS)
            and CREDIT_PHRASE.search(_lead(text))
        ):
            where = "text"
        else:
            first = anchor.child
            own = first.text_content if first is not None and first.is_text_node else None
            if not own or own.lstrip()[:1] not in _STARTS:
                continue
            if not _OWN_CREDIT.match(_lead(anchor.text(deep=True) or "")):
                continue
            where = "link-text"
        href = attribute(anchor, "href")
        if href is None:
            continue
        if href[:7].lower() == "mailto:":
            site = _mailbox_site(href)
        else:
            link = resolve(page, href)
            site = link.site if link is not None and link.third_party(page) else None
        if site is not None and site != page.site:
            found.setdefault(site, Selector("credit", site, where, Strength.WEAK))
    return list(found.values())
