"""The evidence attribution reads: (site, kind, value) links from the store.

Capture selectors come from ``site_selectors``; hosting adds two kinds of its own, the
addresses a site was seen on (``ip``, CDN edges excluded: an edge address says nothing about
who runs a site) and its nameservers (``nameserver``), so the method sees the same kinds as
in a synthetic world's selector dump.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

from sqlalchemy import Connection, Engine, Select, select

from hotline.captures.models import Selector, SiteSelector
from hotline.hosting.models import HostingObservation, IpFactsRow
from hotline.store.models import Site

Link = tuple[str, str, str]  # (site key, selector kind, normalised value)


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


def links_from_store(engine: Engine) -> Iterator[Link]:
    captured = (
        select(Site.key, Selector.kind, Selector.value)
        .join(SiteSelector, SiteSelector.site_id == Site.id)
        .join(Selector, Selector.id == SiteSelector.selector_id)
    )
    with engine.connect() as connection:
        for site, kind, value in connection.execute(captured):
            yield site, kind, value
        for kind, rrtypes in _HOSTING_KINDS:
            for site, value in connection.execute(_hosting(rrtypes)):
                yield site, kind, value


def neighbourhood(connection: Connection, site: str) -> list[tuple[str, str, list[str]]]:
    """The site's links as (kind, value, every site carrying that value): what ``hotline
    why`` needs, read with the same filters as ``links_from_store`` (indexed: one value's
    carriers, never the whole table)."""
    out: list[tuple[str, str, list[str]]] = []
    own = (
        select(Selector.id, Selector.kind, Selector.value)
        .join(SiteSelector, SiteSelector.selector_id == Selector.id)
        .join(Site, Site.id == SiteSelector.site_id)
        .where(Site.key == site)
        .order_by(Selector.id)
    )
    selectors = {sid: (kind, value) for sid, kind, value in connection.execute(own)}
    carriers: dict[int, list[str]] = defaultdict(list)
    ids = sorted(selectors)
    for start in range(0, len(ids), 500):  # bounded IN lists (SQLite's variable limit)
        rows = connection.execute(
            select(SiteSelector.selector_id, Site.key)
            .join(Site, Site.id == SiteSelector.site_id)
            .where(SiteSelector.selector_id.in_(ids[start : start + 500]))
        )
        for sid, key in rows:
            carriers[sid].append(key)
    out.extend((*selectors[sid], sorted(carriers[sid])) for sid in ids)
    obs = HostingObservation
    for kind, rrtypes in _HOSTING_KINDS:
        values = sorted(
            {v for _site, v in connection.execute(_hosting(rrtypes).where(obs.site_key == site))}
        )
        for value in values:
            shared = connection.execute(_hosting(rrtypes).where(obs.value == value))
            out.append((kind, value, sorted({key for key, _v in shared})))
    return out
