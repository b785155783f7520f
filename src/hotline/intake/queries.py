"""Reading intake back for one URL or one site: what is known, since when, how often.

Counts only: which hotline reported what is a question of the organisations' visibility
(``hotline.accounts.visibility``), not of intake.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, Select, func, select

from hotline.intake.models import Report, Site, Url
from hotline.urls import url_digest


@dataclass(frozen=True, slots=True)
class UrlFacts:
    canonical: str
    site: str
    first_reported: datetime | None  # None: seen in a capture only, never reported
    last_reported: datetime | None
    reports: int
    sources: int
    first_stored: datetime


def _url_query() -> Select[str, str, datetime, datetime, int, int, datetime]:
    return (
        select(
            Url.canonical,
            Site.key,
            func.min(Report.reported_at),
            func.max(Report.reported_at),
            func.count(Report.id),
            func.count(func.distinct(Report.source_id)),
            Url.created_at,
        )
        .join(Site, Site.id == Url.site_id)
        .outerjoin(Report, Report.url_id == Url.id)
        .group_by(Url.id, Url.canonical, Site.key, Url.created_at)
    )


def url_facts(connection: Connection, canonical: str) -> UrlFacts | None:
    """One canonical URL (as ``hotline.urls.canonicalize`` gives it), or None if unknown."""
    row = connection.execute(_url_query().where(Url.digest == url_digest(canonical))).first()
    return UrlFacts(*row) if row is not None else None


@dataclass(frozen=True, slots=True)
class SiteFacts:
    site: str
    kind: str
    urls: int
    reports: int
    first_reported: datetime | None
    last_reported: datetime | None
    first_stored: datetime


def site_facts(connection: Connection, site_key: str) -> SiteFacts | None:
    row = connection.execute(
        select(
            Site.key,
            Site.kind,
            func.count(func.distinct(Url.id)),
            func.count(Report.id),
            func.min(Report.reported_at),
            func.max(Report.reported_at),
            Site.created_at,
        )
        .outerjoin(Url, Url.site_id == Site.id)
        .outerjoin(Report, Report.url_id == Url.id)
        .where(Site.key == site_key)
        .group_by(Site.id, Site.key, Site.kind, Site.created_at)
    ).first()
    return SiteFacts(*row) if row is not None else None


def site_urls(connection: Connection, site_key: str, limit: int, offset: int = 0) -> list[UrlFacts]:
    """The site's URLs, most reported first (then by URL), a page at a time."""
    query = (
        _url_query()
        .where(Site.key == site_key)
        .order_by(func.count(Report.id).desc(), Url.canonical)
        .limit(limit)
        .offset(offset)
    )
    return [UrlFacts(*row) for row in connection.execute(query)]
