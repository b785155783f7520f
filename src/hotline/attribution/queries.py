"""Reading attribution back: one site's answer and evidence, the site export, the headline."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import Connection, func, select

from hotline.attribution.links import neighbourhood
from hotline.attribution.method import BRAND, DISTRIBUTOR, PLACED, explain_local
from hotline.attribution.models import AttributionRun, Brand, Distributor, SiteAttribution
from hotline.attribution.services import brand_ref, distributor_ref, params_from_json
from hotline.hosting.models import SiteHosting
from hotline.intake.models import Report, Site, Url

SITE_EXPORT_COLUMNS = (
    "site", "brand_id", "distributor_id", "brand_label", "distributor_label", "urls",
    "first_seen", "last_seen", "country", "confidence",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class SiteAnswer:
    site: str
    brand: str | None
    brand_label: str | None
    distributor: str | None
    distributor_label: str | None
    brand_sites: int
    distributor_brands: int
    evidence: list[dict[str, Any]]
    confidence: float | None = None
    commercial_score: float | None = None
    # the reporting hotlines' commercial flags on the site's reports: (yes, no)
    flags: tuple[int, int] = (0, 0)


@dataclass(frozen=True, slots=True)
class SiteCluster:
    """A site's brand and distributor as the last run stored them, without the evidence
    (:func:`site_answer` weighs that, at several times the cost: a lookup or a site summary
    does not need it)."""

    brand: str | None
    brand_label: str | None
    brand_sites: int
    distributor: str | None
    distributor_label: str | None
    distributor_brands: int
    confidence: float | None
    commercial_score: float | None


def site_cluster(connection: Connection, site_key: str) -> SiteCluster | None:
    """None when the site has no stored answer (not attributed by any run yet)."""
    row = connection.execute(
        select(SiteAttribution.brand_id, Brand.label,
               Brand.distributor_id, Distributor.label.label("d_label"),
               SiteAttribution.confidence, SiteAttribution.commercial_score)
        .join(Site, Site.id == SiteAttribution.site_id)
        .outerjoin(Brand, Brand.id == SiteAttribution.brand_id)
        .outerjoin(Distributor, Distributor.id == Brand.distributor_id)
        .where(Site.key == site_key)
    ).first()  # fmt: skip
    if row is None:
        return None
    brand_sites = distributor_brands = 0
    if row.brand_id is not None:
        brand_sites = connection.execute(
            select(func.count()).where(SiteAttribution.brand_id == row.brand_id)
        ).scalar_one()
    if row.distributor_id is not None:
        distributor_brands = connection.execute(
            select(func.count()).where(
                Brand.distributor_id == row.distributor_id, Brand.retired_at.is_(None)
            )
        ).scalar_one()
    return SiteCluster(
        brand_ref(row.brand_id) if row.brand_id is not None else None,
        row.label,
        int(brand_sites),
        distributor_ref(row.distributor_id) if row.distributor_id is not None else None,
        row.d_label,
        int(distributor_brands),
        row.confidence,
        row.commercial_score,
    )


def site_answer(connection: Connection, site_key: str) -> SiteAnswer | None:
    stored = site_cluster(connection, site_key)
    if stored is None:
        return None
    return SiteAnswer(
        site_key,
        stored.brand,
        stored.brand_label,
        stored.distributor,
        stored.distributor_label,
        stored.brand_sites,
        stored.distributor_brands,
        _evidence(connection, site_key) if stored.brand is not None else [],
        stored.confidence,
        stored.commercial_score,
        _flags(connection, site_key),
    )


def _flags(connection: Connection, site_key: str) -> tuple[int, int]:
    """How many of the site's reports the hotlines flagged commercial, and not."""
    counts = dict(
        connection.execute(
            select(Report.commercial, func.count())
            .join(Url, Url.id == Report.url_id)
            .join(Site, Site.id == Url.site_id)
            .where(Site.key == site_key, Report.commercial.is_not(None))
            .group_by(Report.commercial)
        ).all()
    )
    return int(counts.get(True, 0)), int(counts.get(False, 0))


def _evidence(connection: Connection, site_key: str) -> list[dict[str, Any]]:
    """The site's evidence, weighed from the store as the last run weighed it: its values,
    their carriers and the carriers' stored brands (sites with no stored answer yet, i.e.
    new since the last run, are left out so the picture matches that run)."""
    values = neighbourhood(connection, site_key)
    keys = sorted({key for _kind, _value, carriers in values for key in carriers})
    brand_of: dict[str, str | None] = {}
    distributor_of: dict[str, str] = {}
    scores: dict[str, float] = {}
    candidates: set[str] = set()
    for start in range(0, len(keys), 500):
        rows = connection.execute(
            select(
                Site.key,
                SiteAttribution.brand_id,
                Brand.distributor_id,
                SiteAttribution.commercial_score,
                SiteAttribution.candidate,
            )
            .join(SiteAttribution, SiteAttribution.site_id == Site.id)
            .outerjoin(Brand, Brand.id == SiteAttribution.brand_id)
            .where(Site.key.in_(keys[start : start + 500]))
        )
        for key, brand, distributor, commerce, candidate in rows:
            scores[key] = commerce or 0.0
            if candidate:
                candidates.add(key)
            ref = brand_ref(brand) if brand is not None else None
            brand_of[key] = ref
            if ref is not None and distributor is not None:
                distributor_of[ref] = distributor_ref(distributor)
    known = [
        (kind, value, [c for c in carriers if c in brand_of]) for kind, value, carriers in values
    ]
    run = connection.execute(
        select(AttributionRun.params, AttributionRun.notes)
        .order_by(AttributionRun.id.desc())
        .limit(1)
    ).first()
    params = params_from_json(run.params if run is not None else None)
    notes = {(k, v): why for k, v, why in (run.notes or [])} if run is not None else {}
    wanted = {(kind, value) for kind, value, _carriers in values}
    held = {key: why for key, why in notes.items() if key in wanted}
    placed = next(
        (
            (level, notes[(f"{PLACED}:{level}", site_key)])
            for level in (BRAND, DISTRIBUTOR)
            if (f"{PLACED}:{level}", site_key) in notes
        ),
        None,
    )
    return [
        asdict(e)
        for e in explain_local(
            site_key,
            known,
            brand_of,
            distributor_of,
            params,
            scores=scores,
            notes=held,
            candidates=candidates,
            placed=placed,
        )
    ]


def site_rows(connection: Connection) -> Iterator[tuple[Any, ...]]:
    """The site export (columns in docs/attribution.md), one row per site in key order."""
    per_site = (
        select(
            Url.site_id,
            func.count(func.distinct(Url.id)).label("urls"),
            func.min(Report.reported_at).label("first_seen"),
            func.max(Report.reported_at).label("last_seen"),
        )
        .outerjoin(Report, Report.url_id == Url.id)
        .group_by(Url.site_id)
        .subquery("per_site")
    )
    query = (
        select(Site.key, SiteAttribution.brand_id, Brand.distributor_id, Brand.label,
               Distributor.label, per_site.c.urls, per_site.c.first_seen, per_site.c.last_seen,
               SiteHosting.country, SiteAttribution.confidence)
        .outerjoin(SiteAttribution, SiteAttribution.site_id == Site.id)
        .outerjoin(Brand, Brand.id == SiteAttribution.brand_id)
        .outerjoin(Distributor, Distributor.id == Brand.distributor_id)
        .outerjoin(per_site, per_site.c.site_id == Site.id)
        .outerjoin(SiteHosting, SiteHosting.site_key == Site.key)
        .order_by(Site.key)
    )  # fmt: skip
    result = connection.execution_options(stream_results=True, yield_per=5000).execute(query)
    for key, brand, distributor, b_label, d_label, urls, first, last, country, sure in result:
        yield (
            key,
            brand_ref(brand) if brand is not None else None,
            distributor_ref(distributor) if distributor is not None else None,
            b_label, d_label, urls or 0,
            first.isoformat() if first else None, last.isoformat() if last else None,
            country, round(sure, 3) if sure is not None and brand is not None else None,
        )  # fmt: skip


@dataclass(frozen=True, slots=True)
class Headline:
    distributors: int
    brands: int
    top_brands: list[tuple[str, str | None, int]]  # (brand, distributor, URLs)

    @property
    def top_distributors(self) -> list[str]:
        return sorted({d for _, d, _ in self.top_brands if d is not None}, key=_natural)

    def sentence(self) -> str:
        if not self.brands:
            return (
                "No site is attributed yet: attribution needs captures with commercial "
                "signals (hotline ingest captures FILE.warc.gz, then hotline attribute)"
            )
        top = self.top_distributors
        return (
            f"{self.distributors} distributors operate {self.brands} brands; the "
            f"{len(self.top_brands)} most prolific brands belong to "
            f"{len(top)} distributor{'s' if len(top) != 1 else ''} ({', '.join(top)})"
        )


def _natural(ref: str) -> tuple[str, int]:
    return ref[0], int(ref[1:])


def headline(connection: Connection, top: int = 10) -> Headline:
    urls = func.count(func.distinct(Url.id))
    rows = connection.execute(
        select(Brand.id, Brand.distributor_id, urls)
        .join(SiteAttribution, SiteAttribution.brand_id == Brand.id)
        .join(Url, Url.site_id == SiteAttribution.site_id)
        .where(Brand.retired_at.is_(None))
        .group_by(Brand.id, Brand.distributor_id)
        .order_by(urls.desc(), Brand.id)
        .limit(top)
    ).all()
    brands = connection.execute(
        select(func.count(func.distinct(SiteAttribution.brand_id)))
    ).scalar_one()
    distributors = connection.execute(
        select(func.count(func.distinct(Brand.distributor_id))).join(
            SiteAttribution, SiteAttribution.brand_id == Brand.id
        )
    ).scalar_one()
    return Headline(
        int(distributors),
        int(brands),
        [(brand_ref(b), distributor_ref(d) if d is not None else None, int(n)) for b, d, n in rows],
    )
