"""Reading hosting back: a site's timeline and current hosting, per-country counts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, func, select

from hotline.hosting.current import CONTENT
from hotline.hosting.models import HostingObservation, IpFactsRow, Provider, SiteHosting
from hotline.hosting.observations import ADDRESS_TYPES
from hotline.hosting.sightings import site_names
from hotline.intake.models import Site, Url


@dataclass(frozen=True, slots=True)
class TimelineRow:
    first_seen: datetime
    last_seen: datetime
    host: str
    rrtype: str
    value: str
    status: str
    sources: tuple[str, ...]
    country: str | None
    asn: int | None
    provider: str | None
    cdn: str | None
    abuse: tuple[str, ...]
    role: str = CONTENT  # of the name: content, name server, mail or other (current.py)


def timeline(connection: Connection, site_key: str) -> list[TimelineRow]:
    """Every observation of the site, merged across sources, oldest first; each row says the
    role of its name (name servers and mail hosts never decide the current hosting)."""
    names = site_names(connection, [site_key])[site_key]
    obs, facts = HostingObservation, IpFactsRow
    query = (
        select(obs.host, obs.rrtype, obs.value, obs.status, obs.source, obs.first_seen,
               obs.last_seen, facts.country, facts.asn, facts.as_org, facts.cdn, facts.abuse_emails,
               Provider.name, Provider.kind)
        .outerjoin(facts, facts.ip == obs.value)
        .outerjoin(Provider, Provider.asn == facts.asn)
        .where(obs.site_key == site_key)
    )  # fmt: skip
    merged: dict[tuple[str, str, str, str], dict[str, Any]] = {}
    for row in connection.execute(query):
        o = row
        key = (o.host, o.rrtype if o.rrtype not in ADDRESS_TYPES else "IP", o.value, o.status)
        item = merged.get(key)
        if item is None:
            cdn = row.cdn or (row.name if row.kind == "cdn" else None)
            merged[key] = {
                "first_seen": o.first_seen, "last_seen": o.last_seen, "host": o.host,
                "rrtype": o.rrtype, "value": o.value, "status": o.status, "sources": {o.source},
                "country": row.country, "asn": row.asn, "provider": row.name or row.as_org,
                "cdn": cdn, "abuse": tuple(row.abuse_emails or ()), "role": names.role(o.host),
            }  # fmt: skip
            continue
        item["first_seen"] = min(item["first_seen"], o.first_seen)
        item["last_seen"] = max(item["last_seen"], o.last_seen)
        item["sources"].add(o.source)
    rows = [
        TimelineRow(**{**item, "sources": tuple(sorted(item["sources"]))})
        for item in merged.values()
    ]
    return sorted(rows, key=lambda r: (r.first_seen, r.last_seen, r.host, r.value))


def current(connection: Connection, site_key: str) -> Row[Any] | None:
    """The site's ``site_hosting`` row (columns as attributes), if enrichment has run."""
    return connection.execute(select(SiteHosting).where(SiteHosting.site_key == site_key)).first()


@dataclass(frozen=True, slots=True)
class CountryCount:
    country: str
    sites: int
    urls: int


def hosting_by_country(connection: Connection) -> list[CountryCount]:
    """Sites and unique URLs per current hosting country ("behind-cdn", "onion", "unknown"
    are rows of their own; sites not yet enriched count as "unknown")."""
    country = func.coalesce(SiteHosting.country, "unknown")
    urls = (
        select(Url.site_id, func.count().label("urls")).group_by(Url.site_id).subquery("per_site")
    )
    query = (
        select(
            country.label("country"), func.count(Site.id), func.coalesce(func.sum(urls.c.urls), 0)
        )
        .select_from(Site)
        .outerjoin(SiteHosting, SiteHosting.site_key == Site.key)
        .outerjoin(urls, urls.c.site_id == Site.id)
        .group_by(country)
    )
    rows = [CountryCount(c, int(s), int(u)) for c, s, u in connection.execute(query)]
    return sorted(rows, key=lambda r: (-r.urls, -r.sites, r.country))


def current_countries(connection: Connection) -> dict[str, str | None]:
    """Site key → its current hosting country (or ``behind-cdn``, ``onion``...)."""
    rows = connection.execute(select(SiteHosting.site_key, SiteHosting.country))
    return {key: country for key, country in rows}
