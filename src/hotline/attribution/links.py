"""The evidence attribution reads: (site, kind, value) links from the store.

Capture selectors come from ``site_selectors``; hosting adds two kinds of its own, the
addresses a site was seen on (``ip``, CDN edges excluded: an edge address says nothing about
who runs a site) and its nameservers (``nameserver``), so the method sees the same kinds as
in a synthetic world's selector dump.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import ColumnElement, Connection, Engine, Select, exists, select

from hotline.attribution.method import ASSESSMENT, COMMERCIAL, NON_COMMERCIAL
from hotline.attribution.page_names import (
    MIN_PAGES,
    NAME_KIND,
    across_sites,
    page_name_mask,
    page_names,
    site_pages,
)
from hotline.attribution.table import Link, LinkTable
from hotline.captures.extractors.brand import host_spells
from hotline.captures.models import Capture, SelectorValue, SiteSelector
from hotline.captures.page_class import NORMAL
from hotline.hosting.models import HostingObservation, IpFactsRow
from hotline.intake.models import Report, Site, Url
from hotline.store.engine import in_memory


def _hosting(rrtypes: tuple[str, ...]) -> Select[str, str]:
    """(site, value) hosting links of these record types; addresses on a CDN edge excluded."""
    obs, facts = HostingObservation, IpFactsRow
    query = (
        select(obs.site_key, obs.value)
        .distinct()
        .join(Site, Site.key == obs.site_key)
        .where(obs.rrtype.in_(rrtypes), obs.status == "ok")
    )
    if rrtypes != ("NS",):
        query = query.outerjoin(facts, facts.ip == obs.value).where(facts.cdn.is_(None))
    return query


_ADDRESSES = ("A", "AAAA", "IP")
_NAMESERVERS = ("NS",)
_HOSTING_KINDS = (("ip", _ADDRESSES), ("nameserver", _NAMESERVERS))


# Plain SQL on the driver's cursor: a medium store holds ~1.5 M link rows, and rows as bare
# tuples cost a third of SQLAlchemy rows. Only constants in these statements.
_SITES = "SELECT id, key FROM sites"
_SELECTORS = "SELECT id, kind, value FROM selectors"
_SITE_SELECTOR_COLUMNS = ("site_id", "selector_id", "captures")
_SITE_SELECTORS = f"SELECT {', '.join(_SITE_SELECTOR_COLUMNS)} FROM site_selectors"
# every row, not DISTINCT: deduplicating in memory is faster than the database's sort
_OBSERVATIONS = {
    kind: "SELECT site_key, value FROM hosting_observations WHERE status = 'ok' AND rrtype IN ("
    + ", ".join(f"'{rrtype}'" for rrtype in rrtypes)
    + ")"
    for kind, rrtypes in _HOSTING_KINDS
}
# The normal pages (the only ones whose names are read: a login wall's title is its kit's) of
# sites with more than one, and their titles: a name every page repeats is the site's, one a
# single page shows is that page's (hotline.attribution.page_names). A site with one page
# has nothing to settle, and most sites of a large store have one: they are not read.
_OWN = f"page_class = '{NORMAL}'"
# (A site with one page is read too if MIN_PAGES is ever one: its page count matters then.)
_OWN_PAGES = (
    f"SELECT site_id, title FROM captures WHERE {_OWN} AND site_id IN "
    f"(SELECT site_id FROM captures WHERE {_OWN} GROUP BY site_id "
    f"HAVING COUNT(*) >= {min(2, MIN_PAGES)})"
)
_CDN_ADDRESSES = "SELECT ip FROM ip_facts WHERE cdn IS NOT NULL"
# What the hotlines that reported a site said about it: one ``assessment`` link per site,
# ``commercial`` or ``non-commercial`` by the majority of the reports that say (none on a
# tie). It is no page evidence: it ties no site to another, it only weighs whether a site
# sells (docs/attribution-method.md).
_ASSESSMENTS = (
    "SELECT urls.site_id, reports.commercial FROM reports JOIN urls ON urls.id = reports.url_id"
    " WHERE reports.commercial IS NOT NULL"
)


def majority_verdicts(rows: Iterable[tuple[Any, Any]]) -> dict[Any, str]:
    """Site → majority verdict of (site, commercial flag) rows; ties give none."""
    votes: dict[Any, int] = defaultdict(int)
    for site, flag in rows:
        votes[site] += 1 if flag else -1
    return {site: COMMERCIAL if n > 0 else NON_COMMERCIAL for site, n in votes.items() if n}


def _integer_rows(
    cursor: Any, statement: str, columns: int, chunk: int = 500_000
) -> NDArray[np.int64]:
    """An integer result of ``columns`` columns as an (n, columns) array, in chunks: a large store
    has ~10 M selector links, and as one list of tuples they would cost gigabytes."""
    cursor.execute(statement)
    parts = [np.empty((0, columns), dtype=np.int64)]
    while rows := cursor.fetchmany(chunk):
        parts.append(np.asarray(rows, dtype=np.int64).reshape(-1, columns))
    return np.concatenate(parts)


def _sqlite_integer_rows(
    cursor: Any, table: str, columns: tuple[str, ...], chunk: int = 500_000
) -> NDArray[np.int64]:
    """SQLite: the integer ``columns`` of every row of ``table`` as an (n, columns) array. Each
    chunk of rows (a range of row ids) comes as one text the database joins and numpy
    parses, not as a Python tuple per row: a third of the time on a medium store, and the
    same numbers (a test holds the two readers equal). Row ids spread far wider than the
    rows (a row id written by hand) are read row by row instead."""
    joined = " || ',' || ".join(columns)
    # table and columns: constants of this module
    cursor.execute(f"SELECT MIN(rowid), MAX(rowid), COUNT(*) FROM {table}")
    first, last, count = cursor.fetchone()
    if not count:
        return np.empty((0, len(columns)), dtype=np.int64)
    if last - first > 4 * count + chunk:
        return _integer_rows(cursor, f"SELECT {', '.join(columns)} FROM {table}", len(columns))
    parts = [np.empty((0, len(columns)), dtype=np.int64)]
    for start in range(first - 1, last, chunk):
        cursor.execute(
            f"SELECT group_concat({joined}, ',') FROM {table} WHERE rowid > ? AND rowid <= ?",
            (start, start + chunk),
        )
        (text_,) = cursor.fetchone()
        if text_:
            numbers = np.fromstring(text_, dtype=np.int64, sep=",")
            parts.append(numbers.reshape(-1, len(columns)))
    return np.concatenate(parts)


def _site_selector_rows(dialect: str, cursor: Any) -> NDArray[np.int64]:
    """(site id, selector id, captures) of every site-selector link."""
    if dialect == "sqlite":
        return _sqlite_integer_rows(cursor, "site_selectors", _SITE_SELECTOR_COLUMNS)
    return _integer_rows(cursor, _SITE_SELECTORS, 3)


def _site_selector_rows_apart(engine: Engine) -> NDArray[np.int64]:
    """The same on a connection of its own: SQLite joins the text without holding Python's
    lock, so this runs in a thread while the other tables are read."""
    with engine.connect() as connection, closing(connection.connection.cursor()) as cursor:
        return _site_selector_rows(engine.dialect.name, cursor)


def _file_database(engine: Engine) -> bool:
    """A database a second connection sees the same (not SQLite's per-connection memory)."""
    return not in_memory(engine.url.render_as_string(hide_password=False))


def link_table(engine: Engine) -> LinkTable:
    """Every link of the store as a ``LinkTable``: the same links as ``links_from_store``
    (a test holds them equal), read as integers where the store has them."""
    with (
        ThreadPoolExecutor(max_workers=1, thread_name_prefix="links") as pool,
        engine.connect() as connection,
        closing(connection.connection.cursor()) as cursor,
    ):
        parallel = _file_database(engine)
        pending = pool.submit(_site_selector_rows_apart, engine) if parallel else None
        cursor.execute(_SITES)
        site_rows = cursor.fetchall()
        sites: list[str] = [key for _id, key in site_rows]
        site_ids = np.asarray([sid for sid, _key in site_rows], dtype=np.int64)
        position = np.full(int(site_ids.max(initial=0)) + 1, -1, dtype=np.int64)
        position[site_ids] = np.arange(len(sites), dtype=np.int64)

        cursor.execute(_SELECTORS)
        selector_rows = cursor.fetchall()
        values: list[tuple[str, str]] = [(kind, value) for _id, kind, value in selector_rows]
        selector_ids = np.asarray([sid for sid, _k, _v in selector_rows], dtype=np.int64)
        value_at = np.full(int(selector_ids.max(initial=0)) + 1, -1, dtype=np.int64)
        value_at[selector_ids] = np.arange(len(values), dtype=np.int64)

        site_codes: list[NDArray[np.int64]] = []
        value_codes: list[NDArray[np.int64]] = []
        cursor.execute(_CDN_ADDRESSES)
        edges = {ip for (ip,) in cursor.fetchall()}
        site_number = {key: i for i, key in enumerate(sites)}
        value_number = {key: i for i, key in enumerate(values)}
        for kind, query in _OBSERVATIONS.items():
            cursor.execute(query)
            # set(): a site is seen on one address many days; each link once, before Python
            seen = set(cursor.fetchall())
            if kind == "ip" and edges:
                seen = {row for row in seen if row[1] not in edges}
            # comprehensions, not a loop: this is the hot path of reading the store
            found = np.asarray([site_number.get(site, -1) for site, _v in seen], dtype=np.int64)
            numbers = np.asarray(
                [value_number.setdefault((kind, v), len(value_number)) for _s, v in seen],
                dtype=np.int64,
            )
            known = found >= 0  # observations of a site the store does not hold: ignored
            site_codes.append(found[known])
            value_codes.append(numbers[known])
        cursor.execute(_ASSESSMENTS)
        verdicts = majority_verdicts(cursor.fetchall())
        voted = [s for s in verdicts if 0 <= s < len(position) and position[s] >= 0]
        site_codes.append(position[np.asarray(voted, dtype=np.int64)])
        value_codes.append(
            np.asarray(
                [
                    value_number.setdefault((ASSESSMENT, verdicts[s]), len(value_number))
                    for s in voted
                ],
                dtype=np.int64,
            )
        )

        if pending is not None:
            rows = pending.result()
        else:
            rows = _site_selector_rows(engine.dialect.name, cursor)
        # links of a site or selector written after those tables were read (an import
        # running beside this one) wait for the next run
        rows = rows[
            (rows[:, 0] >= 0)
            & (rows[:, 0] < len(position))
            & (rows[:, 1] >= 0)
            & (rows[:, 1] < len(value_at))
        ]
        rows = rows[(position[rows[:, 0]] >= 0) & (value_at[rows[:, 1]] >= 0)]
        codes, at = position[rows[:, 0]], value_at[rows[:, 1]]
        own = ~_page_names(cursor, values, rows, at, position, sites)
        site_codes.append(codes[own])
        value_codes.append(at[own])
    values = list(value_number)
    return LinkTable.from_codes(
        sites, values, np.concatenate(site_codes), np.concatenate(value_codes)
    )


def _page_names(
    cursor: Any,
    values: list[tuple[str, str]],
    rows: NDArray[np.int64],
    at: NDArray[np.int64],
    position: NDArray[np.int64],
    keys: list[str],
) -> NDArray[np.bool_]:
    """Which (site id, selector id, captures) ``rows`` are page names (``at``: their value
    codes; ``position``: site id → site code; ``keys``: site code → key)."""
    is_name = np.asarray([kind == NAME_KIND for kind, _v in values], dtype=np.bool_)[at]
    if not is_name.any():
        return is_name
    cursor.execute(_OWN_PAGES)
    titled = site_pages(cursor.fetchall())
    pages = np.zeros(len(keys), dtype=np.int64)
    for site_id, found in titled.items():
        if 0 <= site_id < len(position) and position[site_id] >= 0:
            pages[position[site_id]] = found.pages
    shown = rows[:, 2].copy()
    for i in np.flatnonzero(is_name).tolist():
        site_pages_of = titled.get(int(rows[i, 0]))
        if site_pages_of is not None:
            shown[i] = max(int(shown[i]), site_pages_of.titles[values[at[i]][1]])
    codes = position[rows[:, 0]]

    def spelled(found: NDArray[np.int64]) -> NDArray[np.bool_]:
        return np.asarray(
            [host_spells(values[at[i]][1], keys[codes[i]]) for i in found.tolist()],
            dtype=np.bool_,
        )

    return across_sites(page_name_mask(codes, is_name, shown, pages, spelled), at, is_name)


def links_from_store(engine: Engine) -> Iterator[Link]:
    captured = (
        select(Site.key, SelectorValue.kind, SelectorValue.value, SiteSelector.captures)
        .join(SiteSelector, SiteSelector.site_id == Site.id)
        .join(SelectorValue, SelectorValue.id == SiteSelector.selector_id)
    )
    own_pages = select(Site.key, Capture.title).join(Capture, Capture.site_id == Site.id)
    with engine.connect() as connection:
        rows: list[tuple[str, str, str, int]] = [
            (site, kind, value, captures)
            for site, kind, value, captures in connection.execute(captured)
        ]
        pages = site_pages(connection.execute(own_pages.where(Capture.page_class == NORMAL)).all())
        dropped = page_names(rows, pages)
        for site, kind, value, _captures in rows:
            if (site, value) not in dropped or kind != NAME_KIND:
                yield site, kind, value
        for kind, rrtypes in _HOSTING_KINDS:
            for site, value in connection.execute(_hosting(rrtypes)):
                yield site, kind, value
        flags = connection.execute(
            select(Site.key, Report.commercial)
            .join(Url, Url.site_id == Site.id)
            .join(Report, Report.url_id == Url.id)
            .where(Report.commercial.is_not(None))
        )
        for site, verdict in majority_verdicts(flags).items():
            yield site, ASSESSMENT, verdict


@dataclass(frozen=True)
class Carriers:
    """The sites carrying one value, as SQL to run where the data is: ``ids`` selects their
    ids (to count them from the value's side), ``has`` tests the ``sites`` row of a query
    over that table (to read a small brand's sites and keep those that carry it)."""

    ids: Select[Any]
    has: ColumnElement[bool]


def site_values(
    connection: Connection, site: str, paged: PageNames | None = None
) -> list[tuple[str, str, Carriers]]:
    """The site's links as (kind, value, its carriers): what ``hotline why`` weighs, with
    the same filters as ``links_from_store`` when given the site's ``paged`` names (from
    :func:`site_page_names`): its own page names are left out, and a name's carriers are
    counted without the sites where it is a page's own. The carriers stay in the database,
    to be counted there: a public script host is on most sites of a store."""
    own = (
        select(SelectorValue.id, SelectorValue.kind, SelectorValue.value)
        .join(SiteSelector, SiteSelector.selector_id == SelectorValue.id)
        .join(Site, Site.id == SiteSelector.site_id)
        .where(Site.key == site)
        .order_by(SelectorValue.id)
    )
    out: list[tuple[str, str, Carriers]] = []
    for sid, kind, value in connection.execute(own):
        if paged is not None and kind == NAME_KIND:
            if value in paged.own:
                continue
            out.append((kind, value, selector_carriers(sid, paged.elsewhere.get(value, ()))))
        else:
            out.append((kind, value, selector_carriers(sid)))
    obs = HostingObservation
    for kind, rrtypes in _HOSTING_KINDS:
        values = sorted(
            {v for _site, v in connection.execute(_hosting(rrtypes).where(obs.site_key == site))}
        )
        out.extend((kind, value, _hosting_carriers(value, rrtypes)) for value in values)
    return out


@dataclass(frozen=True)
class PageNames:
    """One site's names as the page-name rule judges them across the store."""

    own: dict[str, str]  # the site's own page names: value → why
    shared: dict[str, int]  # such a name → how many other sites show it (as any kind of name)
    examples: dict[str, tuple[str, ...]]  # such a name → the first few of those, by key
    elsewhere: dict[str, frozenset[int]]  # the site's name → ids of sites where it is a page's


# Other carriers of a page name listed as examples by ``why``
PAGE_NAME_EXAMPLES = 3
# Sites a name's carriers are counted without, at most, in one query (bound parameters)
MAX_LEFT_OUT = 900
# Site ids per query when reading a name's carriers (bound parameters)
_CHUNK = 500


def site_page_names(connection: Connection, site: str) -> PageNames:
    """The site's names judged as ``links_from_store`` judges them: read from the site, the
    other carriers of its names and their pages, which is all the rule looks at for these
    values."""
    names = [
        sid
        for (sid,) in connection.execute(
            select(SiteSelector.selector_id)
            .join(Site, Site.id == SiteSelector.site_id)
            .join(SelectorValue, SelectorValue.id == SiteSelector.selector_id)
            .where(Site.key == site, SelectorValue.kind == NAME_KIND)
        )
    ]
    if not names:
        return PageNames({}, {}, {}, {})
    # Plain id lists, in chunks: as nested sub-selects SQLite planned these reads as scans,
    # 20 s for a name on 1,800 sites of a medium store (now 0.1 s).
    carriers = sorted(
        {
            site_id
            for (site_id,) in connection.execute(
                select(SiteSelector.site_id).where(SiteSelector.selector_id.in_(names))
            )
        }
    )
    ids: dict[str, int] = {}
    rows: list[tuple[str, str, str, int]] = []
    titles: list[tuple[str, str | None]] = []
    shown = (Site.id, Site.key, SelectorValue.kind, SelectorValue.value, SiteSelector.captures)
    for start in range(0, len(carriers), _CHUNK):
        chunk = carriers[start : start + _CHUNK]
        # every kind, the names kept here: asked for the kind, the planners start from the
        # selectors' kind index and read every name of the store
        for site_id, key, kind, value, captures in connection.execute(
            select(*shown)
            .join(SiteSelector, SiteSelector.site_id == Site.id)
            .join(SelectorValue, SelectorValue.id == SiteSelector.selector_id)
            .where(SiteSelector.site_id.in_(chunk))
        ):
            if kind == NAME_KIND:
                ids[key] = site_id
                rows.append((key, kind, value, captures))
        titles.extend(
            (key, title)
            for key, title in connection.execute(
                select(Site.key, Capture.title)
                .join(Capture, Capture.site_id == Site.id)
                .where(Capture.page_class == NORMAL, Capture.site_id.in_(chunk))
            )
        )
    pages = site_pages(titles)
    dropped = page_names(rows, pages)
    mine = {value for key, _kind, value, _captures in rows if key == site}
    others: dict[str, list[str]] = {}
    for key, _kind, value, _captures in rows:
        if key != site and value in mine:
            others.setdefault(value, []).append(key)
    own = {value: why for (key, value), why in dropped.items() if key == site}
    elsewhere: dict[str, set[int]] = {}
    for (key, value), _why in dropped.items():
        if key != site and value in mine and value not in own:
            elsewhere.setdefault(value, set()).add(ids[key])
    return PageNames(
        own,
        {value: len(others.get(value, ())) for value in own},
        {value: tuple(sorted(others.get(value, ()))[:PAGE_NAME_EXAMPLES]) for value in own},
        {value: frozenset(found) for value, found in elsewhere.items()},
    )


def selector_carriers(sid: int, without: Iterable[int] = ()) -> Carriers:
    """The sites that carry a captured value, ``without`` these (sites where the value is a
    page's own name, which the links leave out)."""
    left_out = sorted(without)
    ids = select(SiteSelector.site_id.label("id")).where(SiteSelector.selector_id == sid)
    has = exists().where(SiteSelector.site_id == Site.id, SiteSelector.selector_id == sid)
    # (one bound parameter per site left out: past MAX_LEFT_OUT the count keeps them, an
    # approximation only for a name that is a page's own on that many sites)
    if 0 < len(left_out) <= MAX_LEFT_OUT:
        ids = ids.where(SiteSelector.site_id.not_in(left_out))
        has = has.where(SiteSelector.site_id.not_in(left_out))
    return Carriers(ids, has)


def _hosting_carriers(value: str, rrtypes: tuple[str, ...]) -> Carriers:
    """The value passed ``_hosting``'s filters for the explained site, so its CDN check
    holds for every carrier: only the record types and status are asked again."""
    obs = HostingObservation
    carrying = (obs.value == value, obs.rrtype.in_(rrtypes), obs.status == "ok")
    return Carriers(
        select(Site.id).distinct().join(obs, obs.site_key == Site.key).where(*carrying),
        # the value's carriers listed once, not a correlated test: SQLite would answer that
        # one from the value's index, reading every carrier again for each brand site
        Site.key.in_(select(obs.site_key).where(*carrying)),
    )
