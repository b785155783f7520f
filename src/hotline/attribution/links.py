"""The evidence attribution reads: (site, kind, value) links from the store.

Capture selectors come from ``site_selectors``; hosting adds two kinds of its own, the
addresses a site was seen on (``ip``, CDN edges excluded: an edge address says nothing about
who runs a site) and its nameservers (``nameserver``), so the method sees the same kinds as
in a synthetic world's selector dump.
"""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import Engine, select

from hotline.captures.models import Selector, SiteSelector
from hotline.hosting.models import HostingObservation, IpFactsRow
from hotline.store.models import Site

Link = tuple[str, str, str]  # (site key, selector kind, normalised value)


def links_from_store(engine: Engine) -> Iterator[Link]:
    captured = (
        select(Site.key, Selector.kind, Selector.value)
        .join(SiteSelector, SiteSelector.site_id == Site.id)
        .join(Selector, Selector.id == SiteSelector.selector_id)
    )
    obs, facts = HostingObservation, IpFactsRow
    addresses = (
        select(obs.site_key, obs.value)
        .distinct()
        .join(Site, Site.key == obs.site_key)
        .outerjoin(facts, facts.ip == obs.value)
        .where(obs.rrtype.in_(("A", "AAAA", "IP")), obs.status == "ok", facts.cdn.is_(None))
    )
    nameservers = (
        select(obs.site_key, obs.value)
        .distinct()
        .join(Site, Site.key == obs.site_key)
        .where(obs.rrtype == "NS", obs.status == "ok")
    )
    with engine.connect() as connection:
        for site, kind, value in connection.execute(captured):
            yield site, kind, value
        for site, value in connection.execute(addresses):
            yield site, "ip", value
        for site, value in connection.execute(nameservers):
            yield site, "nameserver", value
