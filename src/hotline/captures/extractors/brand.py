"""Brand text: the name a site calls itself in its title, logo and main heading.

Brands hop across domains but keep their name, so the normalised name links the domains of
one brand. Normalisation is NFKC, lower case, whitespace collapsed; a title keeps only the
part before its first separator ("Name | tagline" gives "name"). Generic words a page may
show instead of a name ("home", "welcome", "logo", …) and values under three characters are
not selectors.
"""

from __future__ import annotations

import unicodedata

from hotline.captures.extractors._common import MAX_ATTRIBUTE
from hotline.captures.model import CapturedPage, Selector, Strength

__all__ = [
    "GENERIC_WORDS",
    "MAX_BRAND_LENGTH",
    "MIN_BRAND_LENGTH",
    "TITLE_SEPARATORS",
    "extract_brand",
    "normalise_brand",
    "title_name",
]

TITLE_SEPARATORS: tuple[str, ...] = (" | ", " - ", " — ", " – ", " :: ")
MIN_BRAND_LENGTH = 3
MAX_BRAND_LENGTH = 128
# Compared after normalisation. Site-type words are here too: an image host titled
# "Image Host | …" names what it is, not who runs it.
GENERIC_WORDS: frozenset[str] = frozenset(
    {
        "home",
        "homepage",
        "home page",
        "welcome",
        "logo",
        "catalogue",
        "catalog",
        "index",
        "main",
        "main page",
        "shop",
        "store",
        "online shop",
        "untitled",
        "untitled document",
        "default",
        "loading",
        "loading...",
        "redirecting",
        "redirecting...",
        "login",
        "log in",
        "sign in",
        "members",
        "gallery",
        "checkout",
        "join",
        "blog",
        "page",
        "site",
        "website",
        "forum",
        "image host",
        "file host",
        "video host",
        "not found",
        "404 not found",
        "403 forbidden",
        "error",
        "access denied",
    }
)


def normalise_brand(text: str) -> str:
    """NFKC, lower case, runs of whitespace as one space, no leading or trailing space."""
    return " ".join(unicodedata.normalize("NFKC", text).lower().split())


def title_name(title: str) -> str:
    """The normalised part of a title before its first separator."""
    text = f" {normalise_brand(title)} "  # a separator may open or close the title
    cut = len(text)
    for separator in TITLE_SEPARATORS:
        position = text.find(separator)
        if 0 <= position < cut:
            cut = position
    return text[:cut].strip()


def _usable(value: str) -> bool:
    return MIN_BRAND_LENGTH <= len(value) <= MAX_BRAND_LENGTH and value not in GENERIC_WORDS


def _logo_alt(page: CapturedPage) -> str | None:
    for node in page.tree.css("img"):
        attrs = node.attributes
        marks = f"{attrs.get('class') or ''} {attrs.get('src') or ''}"
        if len(marks) > 2 * MAX_ATTRIBUTE or "logo" not in marks.lower():
            continue
        alt = attrs.get("alt")
        if alt and len(alt) <= MAX_ATTRIBUTE:
            value = normalise_brand(alt)
            if _usable(value):
                return value
    return None


def extract_brand(page: CapturedPage) -> list[Selector]:
    """``brand_text`` from the title, the logo's alt text and the first ``h1``, deduplicated."""
    candidates: list[tuple[str, str | None]] = []
    title = page.tree.css_first("title")
    if title is not None:
        candidates.append(("title", title_name(title.text(deep=True))))
    candidates.append(("logo", _logo_alt(page)))
    heading = page.tree.css_first("h1")
    if heading is not None:
        candidates.append(("h1", normalise_brand(heading.text(deep=True, separator=" "))))
    found: dict[str, Selector] = {}
    for where, value in candidates:
        if value and _usable(value):
            found.setdefault(value, Selector("brand_text", value, where, Strength.MEDIUM))
    return list(found.values())
