"""Questions an analyst asks of stored captures that need more than one table."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import Connection, func, select

from hotline.captures.altcoins import classify_altcoin
from hotline.captures.models import Capture, SelectorValue, SiteSelector
from hotline.captures.page_class import PAGE_CLASSES
from hotline.intake.models import Site, Url

# Measured on the synthetic worlds: pages of one brand's template are 0-10 bits apart, pages
# of different template families 12-43 (mostly over 20). See docs/captures.md.
SAME_TEMPLATE_BITS = 10


def similar_templates(
    connection: Connection, site: str, max_distance: int = SAME_TEMPLATE_BITS
) -> list[tuple[str, int]]:
    """Other sites whose page template is within ``max_distance`` bits of one of this site's,
    nearest first: the near-duplicate lookup behind "these shops use one template"."""
    table = template_table(connection)
    rows = table.rows_of.get(site, ())
    if not rows:
        return []
    found_sites, found_bits = [], []
    for row in rows:
        differing = _popcount(table.prints ^ table.prints[row])
        near = np.flatnonzero(differing <= max_distance)
        found_sites.append(table.site_number[near])
        found_bits.append(differing[near].astype(np.int64))
    others = np.concatenate(found_sites)
    bits = np.concatenate(found_bits)
    own = table.site_number[rows[0]]
    keep = others != own
    others, bits = others[keep], bits[keep]
    # nearest first, then by key (site numbers follow key order); a site once, at its nearest
    order = np.lexsort((others, bits))
    others, bits = others[order], bits[order]
    _, first = np.unique(others, return_index=True)
    first.sort()  # back into (distance, key) order
    return [
        (table.keys[o], b)
        for o, b in zip(others[first].tolist(), bits[first].tolist(), strict=True)
    ]


@dataclass(frozen=True)
class TemplateTable:
    """Every (site, template fingerprint) of the store, as one array: a site page compares
    its templates with all of them at once (exact, a few milliseconds for 100,000)."""

    keys: list[str]  # the sites with a template, in key order
    site_number: NDArray[np.int64]  # per row: its site's position in ``keys``
    prints: NDArray[np.uint64]
    rows_of: dict[str, list[int]]


# One table per database, kept while no capture or selector value has been added since:
# template links are written only with captures, so the newest ids tell whether it is stale.
_TABLES: dict[str, tuple[tuple[Any, ...], TemplateTable, float]] = {}
_TABLE_TTL = 300.0  # seconds
_TABLES_LOCK = threading.Lock()


def template_table(connection: Connection) -> TemplateTable:
    # the newest capture with its import time (a database made again under the same name
    # numbers from 1 again) and the newest value; on PostgreSQL two imports may commit out
    # of id order, so the table is also rebuilt after _TABLE_TTL
    latest = connection.execute(
        select(Capture.id, Capture.created_at).order_by(Capture.id.desc()).limit(1)
    ).first()
    version = (
        tuple(latest or ()),
        connection.execute(select(func.max(SelectorValue.id))).scalar(),
    )
    where = connection.engine.url.render_as_string(hide_password=True)
    with _TABLES_LOCK:  # one build at a time: many page views arrive together after a start
        cached = _TABLES.get(where)
        if cached is not None and cached[0] == version and time.monotonic() < cached[2]:
            return cached[1]
        query = (
            select(Site.key, SelectorValue.value)
            .join(SiteSelector, SiteSelector.site_id == Site.id)
            .join(SelectorValue, SelectorValue.id == SiteSelector.selector_id)
            .where(SelectorValue.kind == "template")
        )
        sites: list[str] = []
        prints: list[int] = []
        rows_of: dict[str, list[int]] = {}
        for key, value in connection.execute(query):
            rows_of.setdefault(key, []).append(len(sites))
            sites.append(key)
            prints.append(int(value, 16))
        keys = sorted(rows_of)
        number = {key: i for i, key in enumerate(keys)}
        site_number = np.array([number[key] for key in sites], dtype=np.int64)
        table = TemplateTable(keys, site_number, np.array(prints, dtype=np.uint64), rows_of)
        _TABLES[where] = (version, table, time.monotonic() + _TABLE_TTL)
        return table


def _popcount(words: NDArray[np.uint64]) -> NDArray[np.uint64]:
    """Set bits of each 64-bit word, by the classic SWAR steps on whole arrays (NumPy 1
    has no bit_count; a byte table costs eight lookups a word)."""
    m1, m2, m4 = (
        np.uint64(0x5555555555555555),
        np.uint64(0x3333333333333333),
        np.uint64(0x0F0F0F0F0F0F0F0F),
    )
    x = words - ((words >> np.uint64(1)) & m1)
    x = (x & m2) + ((x >> np.uint64(2)) & m2)
    x = (x + (x >> np.uint64(4))) & m4
    counts: NDArray[np.uint64] = (x * np.uint64(0x0101010101010101)) >> np.uint64(56)
    return counts


@dataclass(frozen=True, slots=True)
class PageClassCount:
    page_class: str
    captures: int
    first: datetime
    last: datetime


@dataclass(frozen=True, slots=True)
class SitePages:
    """What a site's captures showed: how many pages of each class, and the latest one."""

    classes: list[PageClassCount] = field(default_factory=list)  # in PAGE_CLASSES order
    latest_class: str | None = None
    latest_at: datetime | None = None
    latest_url: str | None = None  # canonical, final URL: defang it before showing it

    @property
    def captures(self) -> int:
        return sum(count.captures for count in self.classes)


def site_pages(connection: Connection, site: str) -> SitePages:
    """A site's captures by page class (``normal``, ``error``, ``placeholder``, ...).

    Pages that are not the site's own yield no selectors, so this is where an analyst sees
    that a site was captured at all, and whether its latest capture shows it down.
    """
    counts = (
        select(
            Capture.page_class,
            func.count(),
            func.min(Capture.captured_at),
            func.max(Capture.captured_at),
        )
        .join(Site, Site.id == Capture.site_id)
        .where(Site.key == site)
        .group_by(Capture.page_class)
    )
    latest = (
        select(Capture.page_class, Capture.captured_at, Url.canonical)
        .join(Site, Site.id == Capture.site_id)
        .join(Url, Url.id == Capture.final_url_id)
        .where(Site.key == site)
        .order_by(Capture.captured_at.desc(), Capture.id.desc())
        .limit(1)
    )
    order = {name: position for position, name in enumerate(PAGE_CLASSES)}
    classes = [
        PageClassCount(page_class, count, first, last)
        for page_class, count, first, last in connection.execute(counts)
    ]
    newest = connection.execute(latest).first()
    classes.sort(key=lambda item: (order.get(item.page_class, len(order)), item.page_class))
    if newest is None:
        return SitePages(classes)
    return SitePages(classes, newest[0], newest[1], newest[2])


def selector_values(connection: Connection, kind: str) -> set[str]:
    """Every distinct stored selector value of one kind (``btc_address``...)."""
    return set(connection.scalars(select(SelectorValue.value).where(SelectorValue.kind == kind)))


def selectors_by_kind(connection: Connection) -> dict[str, int]:
    """Distinct stored selector values per kind."""
    rows = connection.execute(select(SelectorValue.kind, func.count()).group_by(SelectorValue.kind))
    return {kind: count for kind, count in rows}


def sites_with_value(connection: Connection, value: str, limit: int = 50) -> list[tuple[str, str]]:
    """(kind, site) of every site that shows a selector value exactly as stored, of any
    kind: what an analyst pastes (a wallet, a merchant id) to ask "where else?". A Litecoin,
    Dogecoin, Tron or Monero address is stored with its coin in front ("XMR:4…"): pasted
    bare, as a page shows it, it is found as well."""
    values = [value]
    coin = classify_altcoin(value)
    if coin is not None:
        values.append(f"{coin[0]}:{coin[1]}")
    rows = connection.execute(
        select(SelectorValue.kind, Site.key)
        .join(SiteSelector, SiteSelector.selector_id == SelectorValue.id)
        .join(Site, Site.id == SiteSelector.site_id)
        .where(SelectorValue.value.in_(values))
        .order_by(SelectorValue.kind, Site.key)
        .limit(limit)
    )
    return [(kind, key) for kind, key in rows]
