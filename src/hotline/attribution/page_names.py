"""A site's name, settled across its pages: the names a page shows only for itself.

A shop system's product page names the item first ("Deluxe pack 4821 | Zorbel", or
"Deluxe pack 4821" alone), and a site's inner pages may be titled or headed by their section.
The brand extractor reads one page at a time and cannot always tell the item from the shop;
across the site's pages it can: the shop's name is on (nearly) every page, an item's on its
own page only.

How many of a site's pages show a ``brand_text`` value is the larger of two counts: the
captures that showed it as a value (``site_selectors.captures``) and the captures whose
title holds it as one of its parts (``captures.title``, read the way the extractor cuts a
title; so "Deluxe pack 4821 | Zorbel" counts for "zorbel" even where the page gave the item).

Two rules say which values are a page's own name, not the site's, and so no evidence of
which brand the site is:

- a value shown on at most :data:`PAGE_SHARE` of the pages of the site's most-shown value
  (an item on one page of five, a section heading on two of seven, beside the name on all);
- a value shown on one page only of a site with :data:`MIN_PAGES` normal pages or more (the
  pages whose names the extractor reads; a login wall's title is its kit's), unless the
  site's host spells it: a name-less shop's product page gives the item and nothing else,
  while a forum whose name is only on its front page has it in its domain name.

And a value that is a page's own name on at least half of the sites that show it is one
everywhere: a section heading ("Our story") or a common item ("Gift card") is what it is on
every site, also on the one page a single-capture site gave.

The rule is computed from the store in one place for every reader (the link table the
method reads, ``links_from_store``, ``hotline why``), so they agree.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TypeVar

import numpy as np
from numpy.typing import NDArray

from hotline.captures.extractors.brand import host_spells, title_names

NAME_KIND = "brand_text"
# A value on at most this share of the pages of the site's most-shown value is a page's.
PAGE_SHARE = 0.5
# Own pages a site needs before a value on one of them alone is that page's (host spelling
# aside). Two, chosen on tuning seeds 900-911 with product pages: with three, a two-page shop
# whose landing page names nothing kept its one item as a name of its own (brand F1 0.947
# and 0.967 on seeds 905 and 904, against 0.981 and 0.985); on worlds without product pages
# the two give the same scores.
MIN_PAGES = 2

_Site = TypeVar("_Site", bound=Hashable)


@dataclass
class SitePages:
    """A site's normal pages: how many were captured, and how many titles name each value."""

    pages: int = 0
    titles: Counter[str] = field(default_factory=Counter)

    def add(self, title: str | None) -> None:
        self.pages += 1
        if title:
            self.titles.update(title_names(title))


def site_pages(rows: Iterable[tuple[_Site, str | None]]) -> dict[_Site, SitePages]:
    """(site, title) rows of normal-page captures → each site's :class:`SitePages`."""
    found: dict[_Site, SitePages] = {}
    for site, title in rows:
        found.setdefault(site, SitePages()).add(title)
    return found


def page_name_mask(
    sites: NDArray[np.int64],
    is_name: NDArray[np.bool_],
    shown: NDArray[np.int64],
    pages: NDArray[np.int64],
    spelled: Callable[[NDArray[np.int64]], NDArray[np.bool_]],
) -> NDArray[np.bool_]:
    """Which link rows the per-site rules make page names. Per row: the site's code, whether
    the value is a name, on how many of the site's pages it is shown; ``pages`` holds each
    site's normal pages (by site code); ``spelled`` tells for some rows (their indices)
    whether the site's host spells the value."""
    if not is_name.any():
        return np.zeros(len(sites), dtype=np.bool_)
    most = np.zeros(len(pages), dtype=np.int64)
    np.maximum.at(most, sites[is_name], shown[is_name])
    mask: NDArray[np.bool_] = is_name & (shown <= PAGE_SHARE * most[sites])
    once = np.flatnonzero(is_name & ~mask & (shown == 1) & (pages[sites] >= MIN_PAGES))
    if len(once):
        mask[once[~spelled(once)]] = True
    return mask


def across_sites(
    mask: NDArray[np.bool_], values: NDArray[np.int64], is_name: NDArray[np.bool_]
) -> NDArray[np.bool_]:
    """``mask`` (the per-site rules) with the rule across sites: a value that is a page's
    own on at least half of the sites that show it is one on all of them (``values``: the
    rows' value codes)."""
    if not mask.any():
        return mask
    count = int(values.max()) + 1
    paged = np.bincount(values[mask], minlength=count)
    carriers = np.bincount(values[is_name], minlength=count)
    widely: NDArray[np.bool_] = (paged > 0) & (2 * paged >= carriers)
    return mask | (is_name & widely[values])


def page_names(
    rows: Iterable[tuple[_Site, str, str, int]], pages: Mapping[_Site, SitePages]
) -> dict[tuple[_Site, str], str]:
    """(site, value) → why, for the page names among (site, kind, value, captures) rows;
    ``pages`` are the sites' normal pages (:func:`site_pages`)."""
    named = [row for row in rows if row[1] == NAME_KIND]
    if not named:
        return {}
    site_code: dict[_Site, int] = {}
    value_code: dict[str, int] = {}
    for site, _kind, value, _captures in named:
        site_code.setdefault(site, len(site_code))
        value_code.setdefault(value, len(value_code))
    shown = [
        max(captures, pages[site].titles[value] if site in pages else 0)
        for site, _kind, value, captures in named
    ]
    own = [pages[site].pages if site in pages else 0 for site in site_code]
    sites = np.asarray([site_code[row[0]] for row in named], dtype=np.int64)
    is_name = np.ones(len(named), dtype=np.bool_)

    def spelled(rows: NDArray[np.int64]) -> NDArray[np.bool_]:
        return np.asarray([host_spells(named[i][2], str(named[i][0])) for i in rows.tolist()])

    here = page_name_mask(
        sites, is_name, np.asarray(shown, dtype=np.int64), np.asarray(own, dtype=np.int64), spelled
    )
    values = np.asarray([value_code[row[2]] for row in named], dtype=np.int64)
    mask = across_sites(here, values, is_name)
    on_site = here.tolist()
    top: dict[_Site, tuple[int, str]] = {}
    for (site, _kind, value, _captures), count in zip(named, shown, strict=True):
        top[site] = max(top.get(site, (0, "")), (count, value))
    found: dict[tuple[_Site, str], str] = {}
    for (site, _kind, value, _captures), count, dropped, here in zip(
        named, shown, mask.tolist(), on_site, strict=True
    ):
        if not dropped:
            continue
        if not here:
            found[(site, value)] = "a page's own name on at least half of the sites that show it"
            continue
        most, name = top[site]
        of_pages = pages[site].pages if site in pages else 0
        found[(site, value)] = (
            f"a page's own name: shown on {count} of the site's {of_pages} pages"
            + (f", its name {name!r} on {most}" if name != value else "")
        )
    return found
