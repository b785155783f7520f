"""Shared, defensive helpers of the selector extractors: visible text, attributes and links.

Pages are hostile input: attributes may be missing (``<a href>`` gives None), huge, or carry
any Unicode. Every helper here skips what it cannot read instead of raising, so that each
extractor stays a few lines of "what to look for", not "how to survive the page".
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from functools import lru_cache
from typing import NamedTuple
from urllib.parse import parse_qsl, urljoin, urlsplit

from selectolax.lexbor import LexborNode

from hotline.captures.page import CapturedPage, Selector
from hotline.urls import CanonicalURL, Rejection, canonicalize

__all__ = [
    "MAX_ATTRIBUTE",
    "Extractor",
    "Link",
    "attribute",
    "attributes",
    "resolve",
    "visible_texts",
]

Extractor = Callable[[CapturedPage], Iterable[Selector]]

# Attribute values longer than this are skipped (data: URIs, inline blobs): no selector worth
# having hides in them, and they are where a hostile page would put its megabytes.
MAX_ATTRIBUTE = 8192
# Text under these elements is not shown to a visitor.
_INVISIBLE = frozenset({"script", "style", "template"})


def visible_texts(page: CapturedPage) -> Iterator[str]:
    """Each text node of the page that a browser would render (not script or style)."""
    root = page.tree.root
    if root is None:
        return
    for node in root.traverse(include_text=True):
        if not node.is_text_node:
            continue
        parent = node.parent
        if parent is not None and parent.tag in _INVISIBLE:
            continue
        text = node.text_content
        if text and not text.isspace():
            yield text


def attributes(page: CapturedPage) -> Iterator[tuple[str, str]]:
    """(name, value) of every element attribute that has a value of at most MAX_ATTRIBUTE."""
    root = page.tree.root
    if root is None:
        return
    for node in root.traverse():
        for name, value in node.attributes.items():
            if value and len(value) <= MAX_ATTRIBUTE:
                yield name, value


def attribute(node: LexborNode, name: str) -> str | None:
    """One attribute, stripped; None when absent, valueless, empty or over MAX_ATTRIBUTE."""
    value = node.attributes.get(name)
    if not value or len(value) > MAX_ATTRIBUTE:
        return None
    value = value.strip()
    return value or None


class Link(NamedTuple):
    """An http(s) URL found on a page, resolved against the page's URL."""

    url: str  # absolute, as written (not canonicalised: tracking parameters are kept)
    host: str  # canonical ASCII host
    site: str  # its site key
    params: tuple[tuple[str, str], ...]  # the decoded query, in order, blanks kept

    def third_party(self, page: CapturedPage) -> bool:
        return self.site != page.site


def resolve(page: CapturedPage, raw: str | None) -> Link | None:
    """The http(s) link ``raw`` points at from ``page``, or None (other schemes, junk, huge)."""
    if not raw:
        return None
    cache = page.links
    if raw in cache:
        found: Link | None = cache[raw]
        return found
    cache[raw] = found = _resolve(page.url, raw)
    return found


def _resolve(base: str, raw: str) -> Link | None:
    raw = raw.strip()
    if not raw or len(raw) > MAX_ATTRIBUTE:
        return None
    try:
        head = raw[:8].lower()
        if head.startswith(("http://", "https://")):
            # An absolute link does not depend on the page, only on whether its scheme is
            # the page's: join it once for all the pages that carry it.
            same = base[: len(head.split("/", 1)[0])].lower() == head.split("/", 1)[0]
            url = _join_absolute(raw, same)
        else:
            url = urljoin(base, raw)
        # most links have no query: no need to split the URL to find an empty one
        params = tuple(parse_qsl(urlsplit(url).query, keep_blank_values=True)) if "?" in url else ()
    except (ValueError, UnicodeError):
        return None
    if not url[:8].lower().startswith(("http://", "https://")):
        return None
    canonical = _canonical(url)
    if isinstance(canonical, Rejection):
        return None
    return Link(url, canonical.host, canonical.site, params)


@lru_cache(maxsize=1 << 16)
def _join_absolute(raw: str, same_scheme: bool) -> str:
    """``urljoin(base, raw)`` for an absolute ``raw`` (``http://`` or ``https://``): it does
    not depend on ``base`` except through whether the two schemes are the same."""
    return (
        urljoin("https://x/" if raw[:5].lower() == "https" else "http://x/", raw)
        if (same_scheme)
        else urljoin("ftp://x/", raw)
    )


@lru_cache(maxsize=1 << 16)
def _canonical(url: str) -> CanonicalURL | Rejection:
    """Canonical form of an absolute URL; pages of one site link to the same URLs again and
    again (navigation, the payment page), so recent answers are kept."""
    return canonicalize(url)
