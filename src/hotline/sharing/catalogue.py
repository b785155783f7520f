"""Lists of the shared intelligence, filtered and a page at a time: sites, URLs, brands and
distributors, each with its counts.

These are the front ends' browsing lists (the web API's ``/sites``, ``/urls``, ``/brands``,
``/distributors``); the whole tables for other tools are the exports (``hotline export``).
Every list is in a stable order (a unique key last), so walking it page by page with a
limit and an offset returns every row once. A page is chosen first, on the filtered ids
alone, and only its rows are counted: a page of a large store costs the filter and its
own rows, not every site's counts.

Reports are counted here, never listed: which organisation may read which report is
``hotline.accounts.visibility``'s question.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import Connection, Select, exists, func, or_, select

from hotline.attribution.models import Brand, Distributor, SiteAttribution
from hotline.captures.models import Capture
from hotline.hosting.models import SiteHosting
from hotline.intake.models import Report, Site, Url

T = TypeVar("T")
UNKNOWN_COUNTRY = "unknown"  # a site not yet enriched counts as hosted where unknown


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One page of a list and how many rows the whole filtered list holds."""

    items: list[T]
    total: int


# --- sites --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SiteFilter:
    """Which sites: every given condition holds (None: no condition)."""

    country: str | None = None  # current hosting country (ISO code) or status word
    brand: int | None = None
    distributor: int | None = None
    first_seen_from: datetime | None = None  # first reported at or after
    first_seen_before: datetime | None = None  # first reported before
    text: str | None = None  # in the site key or in the host of one of its URLs


@dataclass(frozen=True, slots=True)
class SiteRow:
    key: str
    kind: str
    brand: str | None
    brand_label: str | None
    distributor: str | None
    distributor_label: str | None
    country: str
    first_seen: datetime | None  # first report (None: known from captures only)
    last_seen: datetime | None
    known_since: datetime  # first stored
    urls: int
    reports: int
    captures: int


def _first_reports() -> Any:
    """Each reported site's first report, as a subquery (site_id, first)."""
    return (
        select(Url.site_id, func.min(Report.reported_at).label("first"))
        .join(Report, Report.url_id == Url.id)
        .group_by(Url.site_id)
        .subquery("firsts")
    )


def _chosen_sites(where: SiteFilter) -> Select[int, str]:
    """Ids and keys of the sites the filter lets through."""
    country = func.coalesce(SiteHosting.country, UNKNOWN_COUNTRY)
    query = (
        select(Site.id, Site.key)
        .outerjoin(SiteAttribution, SiteAttribution.site_id == Site.id)
        .outerjoin(Brand, Brand.id == SiteAttribution.brand_id)
        .outerjoin(SiteHosting, SiteHosting.site_key == Site.key)
    )
    if where.country is not None:
        query = query.where(country == where.country)
    if where.brand is not None:
        query = query.where(SiteAttribution.brand_id == where.brand)
    if where.distributor is not None:
        query = query.where(Brand.distributor_id == where.distributor)
    if where.text:
        in_a_host = exists().where(
            Url.site_id == Site.id, Url.host.contains(where.text, autoescape=True)
        )
        query = query.where(or_(Site.key.contains(where.text, autoescape=True), in_a_host))
    if where.first_seen_from is not None or where.first_seen_before is not None:
        firsts = _first_reports()
        query = query.join(firsts, firsts.c.site_id == Site.id)
        if where.first_seen_from is not None:
            query = query.where(firsts.c.first >= where.first_seen_from)
        if where.first_seen_before is not None:
            query = query.where(firsts.c.first < where.first_seen_before)
    return query


def sites(connection: Connection, where: SiteFilter, limit: int, offset: int) -> Page[SiteRow]:
    """Sites in key order, with brand, distributor, current country and counts."""
    chosen = _chosen_sites(where)
    total = connection.execute(select(func.count()).select_from(chosen.subquery())).scalar_one()
    ids = [
        int(site_id)
        for site_id, _ in connection.execute(chosen.order_by(Site.key).limit(limit).offset(offset))
    ]
    return Page(_site_rows(connection, ids) if ids else [], int(total))


def _site_rows(connection: Connection, ids: list[int]) -> list[SiteRow]:
    per_url = (
        select(
            Url.site_id,
            func.count(func.distinct(Url.id)).label("urls"),
            func.count(Report.id).label("reports"),
            func.min(Report.reported_at).label("first"),
            func.max(Report.reported_at).label("last"),
        )
        .outerjoin(Report, Report.url_id == Url.id)
        .where(Url.site_id.in_(ids))
        .group_by(Url.site_id)
        .subquery("per_url")
    )
    per_capture = (
        select(Capture.site_id, func.count().label("captures"))
        .where(Capture.site_id.in_(ids))
        .group_by(Capture.site_id)
        .subquery("per_capture")
    )
    query = (
        select(Site.key, Site.kind, SiteAttribution.brand_id, Brand.label.label("b_label"),
               Brand.distributor_id, Distributor.label.label("d_label"), SiteHosting.country,
               per_url.c.first, per_url.c.last, Site.created_at, per_url.c.urls,
               per_url.c.reports, per_capture.c.captures)
        .outerjoin(SiteAttribution, SiteAttribution.site_id == Site.id)
        .outerjoin(Brand, Brand.id == SiteAttribution.brand_id)
        .outerjoin(Distributor, Distributor.id == Brand.distributor_id)
        .outerjoin(SiteHosting, SiteHosting.site_key == Site.key)
        .outerjoin(per_url, per_url.c.site_id == Site.id)
        .outerjoin(per_capture, per_capture.c.site_id == Site.id)
        .where(Site.id.in_(ids))
        .order_by(Site.key)
    )  # fmt: skip
    return [
        SiteRow(key, kind, _ref("b", brand), b_label, _ref("d", distributor), d_label,
                country or UNKNOWN_COUNTRY, first, last, known, int(urls or 0),
                int(reports or 0), int(captures or 0))
        for key, kind, brand, b_label, distributor, d_label, country, first, last, known, urls,
        reports, captures in connection.execute(query)
    ]  # fmt: skip


def _ref(prefix: str, number: int | None) -> str | None:
    return f"{prefix}{number}" if number is not None else None


# --- URLs ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class UrlRow:
    canonical: str
    site: str
    host: str
    origin: str  # report, or capture: first seen in a capture, never reported
    first_reported: datetime | None
    last_reported: datetime | None
    reports: int
    known_since: datetime


def urls(
    connection: Connection, site: str | None, host: str | None, limit: int, offset: int
) -> Page[UrlRow]:
    """Canonical URLs in the order they were first stored; of one site and/or one host."""
    chosen = select(Url.id).join(Site, Site.id == Url.site_id)
    if site is not None:
        chosen = chosen.where(Site.key == site)
    if host is not None:
        chosen = chosen.where(Url.host == host)
    total = connection.execute(select(func.count()).select_from(chosen.subquery())).scalar_one()
    ids = [
        int(i) for (i,) in connection.execute(chosen.order_by(Url.id).limit(limit).offset(offset))
    ]
    if not ids:
        return Page([], int(total))
    query = (
        select(Url.canonical, Site.key, Url.host, Url.origin, func.min(Report.reported_at),
               func.max(Report.reported_at), func.count(Report.id), Url.created_at)
        .join(Site, Site.id == Url.site_id)
        .outerjoin(Report, Report.url_id == Url.id)
        .where(Url.id.in_(ids))
        .group_by(Url.id, Url.canonical, Site.key, Url.host, Url.origin, Url.created_at)
        .order_by(Url.id)
    )  # fmt: skip
    return Page([UrlRow(*row) for row in connection.execute(query)], int(total))


# --- brands and distributors --------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BrandRow:
    ref: str
    label: str | None
    distributor: str | None
    distributor_label: str | None
    sites: int
    retired_at: datetime | None


def brands(
    connection: Connection,
    distributor: int | None,
    text: str | None,
    retired: bool,
    limit: int,
    offset: int,
) -> Page[BrandRow]:
    """Brands with the most sites first (then by id); ``text`` in the label, any case;
    retired brands only with ``retired``."""
    members = (
        select(SiteAttribution.brand_id, func.count().label("sites"))
        .where(SiteAttribution.brand_id.is_not(None))
        .group_by(SiteAttribution.brand_id)
        .subquery("members")
    )
    sites = func.coalesce(members.c.sites, 0)
    query = (
        select(Brand.id, Brand.label, Brand.distributor_id, Distributor.label.label("d_label"),
               sites.label("sites"), Brand.retired_at)
        .outerjoin(Distributor, Distributor.id == Brand.distributor_id)
        .outerjoin(members, members.c.brand_id == Brand.id)
    )  # fmt: skip
    if distributor is not None:
        query = query.where(Brand.distributor_id == distributor)
    if text:
        query = query.where(func.lower(Brand.label).contains(text.lower(), autoescape=True))
    if not retired:
        query = query.where(Brand.retired_at.is_(None))
    total = connection.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    rows = connection.execute(query.order_by(sites.desc(), Brand.id).limit(limit).offset(offset))
    return Page(
        [BrandRow(f"b{b}", label, _ref("d", d), d_label, int(n), gone)
         for b, label, d, d_label, n, gone in rows],
        int(total),
    )  # fmt: skip


@dataclass(frozen=True, slots=True)
class DistributorRow:
    ref: str
    label: str | None
    brands: int  # brands not retired
    sites: int  # sites of those brands
    retired_at: datetime | None


def distributors(
    connection: Connection, text: str | None, retired: bool, limit: int, offset: int
) -> Page[DistributorRow]:
    """Distributors with the most sites first (then by id); ``text`` in the label, any case;
    retired distributors only with ``retired``."""
    per_brand = (
        select(SiteAttribution.brand_id, func.count().label("sites"))
        .group_by(SiteAttribution.brand_id)
        .subquery("per_brand")
    )
    members = (
        select(Brand.distributor_id, func.count(Brand.id).label("brands"),
               func.coalesce(func.sum(per_brand.c.sites), 0).label("sites"))
        .outerjoin(per_brand, per_brand.c.brand_id == Brand.id)
        .where(Brand.retired_at.is_(None), Brand.distributor_id.is_not(None))
        .group_by(Brand.distributor_id)
        .subquery("members")
    )  # fmt: skip
    sites = func.coalesce(members.c.sites, 0)
    query = select(
        Distributor.id, Distributor.label, func.coalesce(members.c.brands, 0),
        sites.label("sites"), Distributor.retired_at,
    ).outerjoin(members, members.c.distributor_id == Distributor.id)  # fmt: skip
    if text:
        query = query.where(func.lower(Distributor.label).contains(text.lower(), autoescape=True))
    if not retired:
        query = query.where(Distributor.retired_at.is_(None))
    total = connection.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    rows = connection.execute(
        query.order_by(sites.desc(), Distributor.id).limit(limit).offset(offset)
    )
    return Page(
        [DistributorRow(f"d{d}", label, int(b), int(n), gone) for d, label, b, n, gone in rows],
        int(total),
    )
