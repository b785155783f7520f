"""Links as integer arrays: the shape the clustering works on.

A medium world has about a million (site, kind, value) links and a large one five million;
as Python tuples and sets they cost seconds to group and gigabytes to hold. Here sites and
values are numbered once — in sorted order, so the smallest number of a cluster is its
smallest key, as the method's ids require — and the links are two integer arrays sorted by
(value, site), so a value's carriers are one slice.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

Link = tuple[str, str, str]  # (site key, selector kind, normalised value)
Ints = NDArray[np.int64]


def _sorted(items: Sequence[Any]) -> tuple[list[Any], Ints]:
    """The items sorted, and each item's position in that order (items unique)."""
    order = sorted(range(len(items)), key=_sort_keys(items).__getitem__)
    ranks = np.empty(len(items), dtype=np.int64)
    ranks[np.asarray(order, dtype=np.int64)] = np.arange(len(items), dtype=np.int64)
    return [items[i] for i in order], ranks


def _sort_keys(items: Sequence[Any]) -> Sequence[Any]:
    """Keys that sort like ``items``: a (kind, value) pair as one text, kind and value joined
    by NUL, which sorts below every other character (a kind has none), so the order is the
    pairs' own. Texts compare far faster than tuples: a large store has millions of values."""
    if items and all(type(item) is tuple and len(item) == 2 for item in items):
        return [f"{kind}\0{value}" for kind, value in items]
    return items


def pointers(groups: Ints, count: int) -> Ints:
    """CSR row pointers of a sorted array of group numbers ``0..count-1``."""
    starts = np.zeros(count + 1, dtype=np.int64)
    np.cumsum(np.bincount(groups, minlength=count), out=starts[1:])
    return starts


@dataclass(eq=False)
class LinkTable:
    sites: list[str]  # sorted site keys
    values: list[tuple[str, str]]  # sorted (kind, value)
    site_of: Ints  # per link, sorted by (value, site), no duplicate link
    value_of: Ints
    value_pointers: Ints = field(init=False, repr=False)
    _by_site: tuple[Ints, Ints] | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        self.value_pointers = pointers(self.value_of, len(self.values))

    def __len__(self) -> int:
        return len(self.site_of)

    @classmethod
    def from_links(cls, links: Iterable[Link], extra_sites: Iterable[str] = ()) -> LinkTable:
        site_ids: dict[str, int] = {}
        value_ids: dict[tuple[str, str], int] = {}
        site_codes: list[int] = []
        value_codes: list[int] = []
        for site, kind, value in links:
            site_codes.append(site_ids.setdefault(site, len(site_ids)))
            value_codes.append(value_ids.setdefault((kind, value), len(value_ids)))
        return cls.from_codes(
            list(site_ids),
            list(value_ids),
            np.asarray(site_codes, dtype=np.int64),
            np.asarray(value_codes, dtype=np.int64),
            extra_sites,
        )

    @classmethod
    def from_codes(
        cls,
        sites: Sequence[str],
        values: Sequence[tuple[str, str]],
        site_codes: Ints,
        value_codes: Ints,
        extra_sites: Iterable[str] = (),
    ) -> LinkTable:
        """Links given as positions in unsorted, unique ``sites`` and ``values``. Kept: the
        sites that carry a link, plus ``extra_sites``; values without a link are dropped.
        Duplicate links count once."""
        # which positions occur, in order: a count per position, not a sort of every link
        used_sites = np.flatnonzero(np.bincount(site_codes, minlength=len(sites)))
        keep = {sites[i] for i in used_sites.tolist()}
        kept_sites = [sites[i] for i in used_sites.tolist()]
        kept_sites.extend(s for s in dict.fromkeys(extra_sites) if s not in keep)
        site_at = np.full(len(sites), -1, dtype=np.int64)
        site_at[used_sites] = np.arange(len(used_sites), dtype=np.int64)
        order_sites, site_rank = _sorted(kept_sites)
        used_values = np.flatnonzero(np.bincount(value_codes, minlength=len(values)))
        kept_values = [values[i] for i in used_values.tolist()]
        value_at = np.full(len(values), -1, dtype=np.int64)
        value_at[used_values] = np.arange(len(used_values), dtype=np.int64)
        order_values, value_rank = _sorted(kept_values)
        s = site_rank[site_at[site_codes]]
        v = value_rank[value_at[value_codes]]
        width = max(len(kept_sites), 1)
        pairs = np.unique(v * width + s)  # sorted by (value, site), duplicates gone
        return cls(order_sites, order_values, pairs % width, pairs // width)

    def including(self, sites: Iterable[str]) -> LinkTable:
        """The same links over a site list that also holds ``sites`` (an analyst may name a
        site that carries no link)."""
        have = set(self.sites)
        missing = [s for s in dict.fromkeys(sites) if s not in have]
        if not missing:
            return self
        return LinkTable.from_codes(
            [*self.sites, *missing], self.values, self.site_of, self.value_of, missing
        )

    def carriers(self, value: int) -> Ints:
        return self.site_of[self.value_pointers[value] : self.value_pointers[value + 1]]

    def site_values(self, site: int) -> Ints:
        if self._by_site is None:
            order = np.lexsort((self.value_of, self.site_of))
            self._by_site = (pointers(self.site_of[order], len(self.sites)), self.value_of[order])
        starts, values = self._by_site
        return values[starts[site] : starts[site + 1]]

    def links(self) -> Iterable[Link]:
        """The links back as tuples (for tools that want them; not used by the method)."""
        for s, v in zip(self.site_of.tolist(), self.value_of.tolist(), strict=True):
            kind, value = self.values[v]
            yield self.sites[s], kind, value
