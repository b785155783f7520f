"""One brand or one distributor as people read it: its label and its members.

The attribution stage writes brands and distributors; this reads them back for the front
ends' brand and distributor pages (``hotline why`` answers for one site:
``hotline.attribution.queries``). Ids are the stable references ``b12`` and ``d3``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, select

from hotline.attribution.models import Brand, Distributor, SiteAttribution
from hotline.captures.models import SelectorValue, SiteSelector
from hotline.hosting.models import SiteHosting
from hotline.intake.models import Site, Url

_REF = re.compile(r"^([bd])(\d{1,18})$", re.IGNORECASE)


def parse_ref(text: str, kind: str) -> int | None:
    """The number of ``b12`` (kind ``b``) or ``d3`` (kind ``d``); None when it is not one."""
    found = _REF.match(text.strip())
    if found is None or found.group(1).lower() != kind:
        return None
    number = int(found.group(2))
    return number if number < 2**63 else None  # beyond a 64-bit id: no such cluster


@dataclass(frozen=True, slots=True)
class MemberSite:
    site: str
    urls: int
    confidence: float | None
    country: str | None


@dataclass(frozen=True, slots=True)
class BrandView:
    ref: str
    label: str | None
    labelled_by: str | None
    distributor: str | None
    distributor_label: str | None
    retired_at: datetime | None
    sites: list[MemberSite]
    site_total: int


def brand(
    connection: Connection, number: int, limit: int = 100, offset: int = 0
) -> BrandView | None:
    row = connection.execute(
        select(Brand.label, Brand.labelled_by, Brand.distributor_id, Brand.retired_at,
               Distributor.label.label("d_label"))
        .outerjoin(Distributor, Distributor.id == Brand.distributor_id)
        .where(Brand.id == number)
    ).first()  # fmt: skip
    if row is None:
        return None
    urls = select(Url.site_id, func.count().label("urls")).group_by(Url.site_id).subquery()
    members = SiteAttribution.brand_id == number
    total = connection.execute(select(func.count()).where(members)).scalar_one()
    sites = [
        MemberSite(key, int(n or 0), confidence, country)
        for key, n, confidence, country in connection.execute(
            select(Site.key, urls.c.urls, SiteAttribution.confidence, SiteHosting.country)
            .join(SiteAttribution, SiteAttribution.site_id == Site.id)
            .outerjoin(urls, urls.c.site_id == Site.id)
            .outerjoin(SiteHosting, SiteHosting.site_key == Site.key)
            .where(members)
            .order_by(urls.c.urls.desc(), Site.key)
            .limit(limit)
            .offset(offset)
        )
    ]
    distributor = f"d{row.distributor_id}" if row.distributor_id is not None else None
    return BrandView(f"b{number}", row.label, row.labelled_by, distributor, row.d_label,
                     row.retired_at, sites, int(total))  # fmt: skip


@dataclass(frozen=True, slots=True)
class MemberBrand:
    brand: str
    label: str | None
    sites: int


@dataclass(frozen=True, slots=True)
class DistributorView:
    ref: str
    label: str | None
    labelled_by: str | None
    retired_at: datetime | None
    brands: list[MemberBrand]


def distributor(connection: Connection, number: int) -> DistributorView | None:
    row = connection.execute(
        select(Distributor.label, Distributor.labelled_by, Distributor.retired_at).where(
            Distributor.id == number
        )
    ).first()
    if row is None:
        return None
    sites = func.count(SiteAttribution.site_id)
    brands = [
        MemberBrand(f"b{brand_id}", label, int(n))
        for brand_id, label, n in connection.execute(
            select(Brand.id, Brand.label, sites)
            .outerjoin(SiteAttribution, SiteAttribution.brand_id == Brand.id)
            .where(Brand.distributor_id == number, Brand.retired_at.is_(None))
            .group_by(Brand.id, Brand.label)
            .order_by(sites.desc(), Brand.id)
        )
    ]
    return DistributorView(f"d{number}", row.label, row.labelled_by, row.retired_at, brands)


# what a picture of the evidence shows: what names, pays or tags a site; hosting (addresses,
# name servers, script hosts) ties unrelated sites and would only draw noise
EVIDENCE_KINDS = (
    "brand_text", "favicon_md5", "template", "analytics", "email", "merchant_id",
    "btc_address", "eth_address", "crypto_address", "affiliate", "payment_host", "gateway",
)  # fmt: skip


EVIDENCE_VALUES = 40  # values a graph draws, the most widely shared first


@dataclass(frozen=True, slots=True)
class EvidenceLink:
    member: str  # a site key (a brand's graph) or a brand ref ``b12`` (a distributor's)
    kind: str
    value: str


def brand_evidence(connection: Connection, number: int, sites: int = 40) -> list[EvidenceLink]:
    """The values shared by two or more of a brand's sites (its first ``sites`` by id), each
    with the sites that carry it: the edges of the brand's evidence graph."""
    members = (
        select(SiteAttribution.site_id)
        .where(SiteAttribution.brand_id == number)
        .order_by(SiteAttribution.site_id)
        .limit(sites)
        .subquery()
    )
    return _shared(connection, members, Site.key)


def distributor_evidence(
    connection: Connection, number: int, brands: int = 30
) -> list[EvidenceLink]:
    """The values shown on sites of two or more of a distributor's brands, each with the
    brands whose sites carry it: the edges of the distributor's evidence graph."""
    chosen = (
        select(Brand.id)
        .where(Brand.distributor_id == number, Brand.retired_at.is_(None))
        .order_by(Brand.id)
        .limit(brands)
        .subquery()
    )
    members = (
        select(SiteAttribution.site_id)
        .where(SiteAttribution.brand_id.in_(select(chosen.c.id)))
        .subquery()
    )
    return _shared(connection, members, SiteAttribution.brand_id, "b")


def _shared(
    connection: Connection, members: Any, member: Any, prefix: str = ""
) -> list[EvidenceLink]:
    """The ``EVIDENCE_VALUES`` values carried by the most members (two at least), and their
    carriers: chosen in the database, so a distributor of many sites costs one grouped
    query and a small one, not all its selectors."""
    carriers = func.count(func.distinct(member))
    scope = (
        select(SiteSelector.selector_id)
        .join(SelectorValue, SelectorValue.id == SiteSelector.selector_id)
        .join(Site, Site.id == SiteSelector.site_id)
        .join(SiteAttribution, SiteAttribution.site_id == SiteSelector.site_id)
        .where(
            SiteSelector.site_id.in_(select(members.c.site_id)),
            SelectorValue.kind.in_(EVIDENCE_KINDS),
        )
    )
    top = [
        int(selector)
        for (selector,) in connection.execute(
            scope.group_by(SiteSelector.selector_id)
            .having(carriers >= 2)
            .order_by(carriers.desc(), SiteSelector.selector_id)
            .limit(EVIDENCE_VALUES)
        )
    ]
    if not top:
        return []
    rows = connection.execute(
        select(member, SelectorValue.kind, SelectorValue.value)
        .select_from(SiteSelector)
        .join(SelectorValue, SelectorValue.id == SiteSelector.selector_id)
        .join(Site, Site.id == SiteSelector.site_id)
        .join(SiteAttribution, SiteAttribution.site_id == SiteSelector.site_id)
        .where(
            SiteSelector.site_id.in_(select(members.c.site_id)),
            SiteSelector.selector_id.in_(top),
        )
        .distinct()
    ).all()
    return sorted(
        {EvidenceLink(f"{prefix}{who}", str(kind), str(value)) for who, kind, value in rows},
        key=lambda link: (link.kind, link.value, link.member),
    )
