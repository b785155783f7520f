"""Reading attribution back: one site's answer and evidence, the site export, the headline."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import Connection, Engine, and_, case, func, or_, select

from hotline.attribution.carrier_index import INDEXES, CarrierCounts, CarrierIndex
from hotline.attribution.links import Carriers, site_page_names, site_values
from hotline.attribution.method import (
    BRAND,
    DISTRIBUTOR,
    PLACED,
    Params,
    ValueSummary,
    explain_local,
    judged,
)
from hotline.attribution.models import AttributionRun, Brand, Distributor, SiteAttribution
from hotline.attribution.page_names import NAME_KIND
from hotline.attribution.services import brand_ref, distributor_ref, params_from_json
from hotline.captures.models import Capture, MediaHash
from hotline.hosting.models import HostingObservation, SiteHosting
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
    new since the last run, are left out so the picture matches that run).

    Carriers are counted by the database, per brand and distributor, never listed here:
    the weights, discounts and examples come out as ``cluster`` gives them, at the cost of
    a few indexed queries per value whatever the number of its carriers."""
    own = connection.execute(
        select(SiteAttribution.brand_id, Brand.distributor_id, SiteAttribution.commercial_score,
               SiteAttribution.candidate)
        .join(Site, Site.id == SiteAttribution.site_id)
        .outerjoin(Brand, Brand.id == SiteAttribution.brand_id)
        .where(Site.key == site_key)
    ).first()  # fmt: skip
    brand_id = own.brand_id if own is not None else None
    distributor_id = own.distributor_id if own is not None and brand_id is not None else None
    brand = brand_ref(brand_id) if brand_id is not None else None
    paged = site_page_names(connection, site_key)
    values = site_values(connection, site_key, paged)
    run_id, params, notes = last_run(connection)
    wanted = {(kind, value) for kind, value, _carriers in values}
    held = {key: notes[key] for key in wanted if key in notes}
    placed = next(
        (
            (level, notes[(f"{PLACED}:{level}", site_key)])
            for level in (BRAND, DISTRIBUTOR)
            if (f"{PLACED}:{level}", site_key) in notes
        ),
        None,
    )
    version = _version(connection, run_id)
    site = _Explained(site_key, brand_id, distributor_id, own is not None)
    index = _current_index(connection, version, params)
    summaries = [
        _summary(connection, version, site, kind, value, carriers, params, index)
        for kind, value, carriers in values
    ]
    # A page's own name (an item, a section heading) was never read by the run: listed
    # after what it weighed, with the reason, so the list of weighed values stays the run's.
    own_names = [
        judged(
            NAME_KIND,
            value,
            paged.shared[value],
            0,
            0,
            (0.0, 0.0, why),
            paged.examples[value],
            commercial=brand is not None,
        )
        for value, why in sorted(paged.own.items())
    ]
    distributors = (
        {brand: distributor_ref(distributor_id)}
        if brand is not None and distributor_id is not None
        else {}
    )
    return [
        asdict(e)
        for e in explain_local(
            site_key,
            [],
            {site_key: brand},
            distributors,
            params,
            notes=held,
            placed=placed,
            summaries=summaries,
        )
    ] + [asdict(e) for e in own_names]


# Parsed once per run and process: a large run's notes are a JSON document of megabytes.
_RUNS: dict[str, tuple[Any, Params, dict[tuple[str, str], str]]] = {}
_RUNS_LOCK = threading.Lock()


def last_run(connection: Connection) -> tuple[Any, Params, dict[tuple[str, str], str]]:
    """The latest run's id, parameters and notes (values it held back, sites it placed)."""
    where = connection.engine.url.render_as_string(hide_password=True)
    run_id = _latest_run(connection)
    with _RUNS_LOCK:
        cached = _RUNS.get(where)
        if cached is not None and cached[0] == run_id:
            return cached
    run = connection.execute(
        select(AttributionRun.params, AttributionRun.notes).where(
            AttributionRun.id == (run_id[0] if run_id is not None else None)
        )
    ).first()
    params = params_from_json(run.params if run is not None else None)
    notes = {(k, v): why for k, v, why in (run.notes or [])} if run is not None else {}
    with _RUNS_LOCK:
        _RUNS[where] = (run_id, params, notes)
    return run_id, params, notes


def _version(connection: Connection, run: Any) -> tuple[Any, ...]:
    """What a value's carriers depend on: the run (their answers), the newest capture and
    medium (captured values; a favicon can arrive with a medium alone) and the newest
    hosting observation, with their import times (a database made again under the same
    name numbers from 1 again). On PostgreSQL two imports may commit out of id order, so
    a count kept under an older version also expires (``_CROWD_TTL``)."""
    capture = connection.execute(
        select(Capture.id, Capture.created_at).order_by(Capture.id.desc()).limit(1)
    ).first()
    medium = connection.execute(select(func.max(MediaHash.id))).scalar()
    hosting = connection.execute(
        select(HostingObservation.id, HostingObservation.recorded_at)
        .order_by(HostingObservation.id.desc())
        .limit(1)
    ).first()
    return (run, tuple(capture or ()), medium, tuple(hosting or ()))


def _latest_run(connection: Connection) -> tuple[Any, ...] | None:
    """The latest run's id and its start: a database made again under the same name
    numbers its runs from 1 again."""
    latest = connection.execute(
        select(AttributionRun.id, AttributionRun.started_at)
        .order_by(AttributionRun.id.desc())
        .limit(1)
    ).first()
    return tuple(latest) if latest is not None else None


def _store_version(engine: Engine) -> tuple[Any, ...]:
    with engine.connect() as connection:
        return _version(connection, _latest_run(connection))


def carrier_index(connection: Connection) -> CarrierIndex | None:
    """The in-memory index of this store's carriers if one is current (a server keeps
    one: :func:`keep_carrier_index`), else None: ask the database."""
    run_id, params, _notes = last_run(connection)
    return _current_index(connection, _version(connection, run_id), params)


def _current_index(
    connection: Connection, version: tuple[Any, ...], params: Params
) -> CarrierIndex | None:
    where = connection.engine.url.render_as_string(hide_password=True)
    return INDEXES.current(where, version, params.noise_below)


def keep_carrier_index(engine: Engine) -> None:
    """Answer ``why``'s counts of this store from memory from now on (a server does): the
    index of the current version is built now, later ones in the background when a run or
    an import has changed the store."""
    with engine.connect() as connection:
        run_id, params, _notes = last_run(connection)
        version = _version(connection, run_id)
    where = engine.url.render_as_string(hide_password=True)
    INDEXES.build_now(where, engine, version, params.noise_below, _store_version)


@dataclass(frozen=True, slots=True)
class _Explained:
    key: str
    brand_id: int | None
    distributor_id: int | None
    answered: bool  # has a stored answer (else it is new since the last run)


def _from_groups(
    groups: list[tuple[int | None, int | None, int, int]], first: list[str]
) -> CarrierCounts:
    """A value's counts from its carriers grouped by (brand, distributor, count, clean)."""
    per_brand: dict[int, int] = {}
    per_distributor: dict[int, int] = {}
    clusters: set[tuple[str, int]] = set()
    for brand, distributor, count, _clean in groups:
        if brand is None:
            continue
        per_brand[brand] = per_brand.get(brand, 0) + count
        if distributor is not None:
            per_distributor[distributor] = per_distributor.get(distributor, 0) + count
        clusters.add(("d", distributor) if distributor is not None else ("b", brand))
    return CarrierCounts(
        carriers=sum(count for _b, _d, count, _c in groups),
        clean=sum(clean for _b, _d, _n, clean in groups),
        brands=len(per_brand),
        clusters=len(clusters),
        per_brand=per_brand,
        per_distributor=per_distributor,
        first=first,
    )


_CROWDS: dict[tuple[Any, ...], tuple[float, CarrierCounts]] = {}
_CROWDS_LOCK = threading.Lock()
_CROWDS_MAX = 20_000  # values; then the cache starts over
_CROWD_TTL = 300.0  # seconds a count is trusted without a newer import to say otherwise


def _summary(
    connection: Connection,
    version: tuple[Any, ...],
    site: _Explained,
    kind: str,
    value: str,
    carriers: Carriers,
    params: Params,
    index: CarrierIndex | None = None,
) -> ValueSummary:
    """One value of the explained site, weighed from counts, with the examples
    ``Clustering.explain`` picks: up to five other carriers, from the first six of the
    site's brand, then the first twelve of its distributor, then the first six of all
    (each by key). With a current ``index``, counted in memory (the same answers)."""
    counted = index.counts(kind, value) if index is not None else None
    crowd = counted or _crowd(connection, version, kind, value, carriers, params)
    unanswered = 0 if site.answered else 1  # still a carrier: no brand, no evidence
    total = crowd.carriers + unanswered
    clean = crowd.clean + int(bool(unanswered) and params.noise_below - 1e-9 <= 0.0)
    in_brand_all = crowd.per_brand.get(site.brand_id, 0) if site.brand_id is not None else 0
    in_dist_all = (
        crowd.per_distributor.get(site.distributor_id, 0) if site.distributor_id is not None else 0
    )
    # never below zero: a site whose value arrived since the count is not in it yet
    in_brand = max(0, in_brand_all - 1) if site.brand_id is not None else 0
    in_dist = max(0, in_dist_all - 1 - in_brand) if site.distributor_id is not None else 0
    chosen: list[str] = []

    def choose(pool: Iterable[str]) -> None:
        for key in pool:
            if key != site.key and key not in chosen and len(chosen) < 5:
                chosen.append(key)

    from_value = total <= _FROM_VALUE
    if site.brand_id is not None and in_brand_all > 1:
        found = (
            index.first_of(kind, value, 6, brand=site.brand_id)
            if counted and index is not None
            else None
        )
        if found is None:
            same_brand = SiteAttribution.brand_id == site.brand_id
            found = _first_of(connection, carriers, same_brand, 6, from_value=from_value)
        choose(found)
    if site.distributor_id is not None and in_dist_all > 1 and len(chosen) < 5:
        found = (
            index.first_of(kind, value, 12, distributor=site.distributor_id)
            if counted and index is not None
            else None
        )
        if found is None:
            of_distributor = SiteAttribution.brand_id.in_(
                select(Brand.id).where(Brand.distributor_id == site.distributor_id)
            )
            found = _first_of(connection, carriers, of_distributor, 12, from_value=from_value)
        choose(found)
    first = crowd.first if site.answered else sorted([*crowd.first, site.key])[:6]
    choose(first)
    return ValueSummary(
        kind,
        value,
        total,
        clean,
        brands=crowd.brands,
        clusters=crowd.clusters,
        in_brand=in_brand,
        in_dist=in_dist,
        examples=tuple(chosen),
    )


def _crowd(
    connection: Connection,
    version: tuple[Any, ...],
    kind: str,
    value: str,
    carriers: Carriers,
    params: Params,
) -> CarrierCounts:
    key = (connection.engine.url.render_as_string(hide_password=True), *version, kind, value)
    with _CROWDS_LOCK:
        found = _CROWDS.get(key)
    if found is not None and time.monotonic() - found[0] < _CROWD_TTL:
        return found[1]
    clean = case(
        (
            or_(
                SiteAttribution.candidate.is_(True),
                func.coalesce(SiteAttribution.commercial_score, 0.0) >= params.noise_below - 1e-9,
            ),
            1,
        ),
        else_=0,
    )
    ids = carriers.ids.subquery()
    grouped = connection.execute(
        select(SiteAttribution.brand_id, Brand.distributor_id, func.count(), func.sum(clean))
        .select_from(ids)
        .join(SiteAttribution, SiteAttribution.site_id == ids.c.id)
        .outerjoin(Brand, Brand.id == SiteAttribution.brand_id)
        .group_by(SiteAttribution.brand_id, Brand.distributor_id)
    )
    groups = [(b, d if b is not None else None, int(n), int(c or 0)) for b, d, n, c in grouped]
    first = list(
        connection.execute(
            select(Site.key)
            .join(ids, ids.c.id == Site.id)
            .join(SiteAttribution, SiteAttribution.site_id == Site.id)
            .order_by(_by_key(connection))
            .limit(6)
        ).scalars()
    )
    crowd = _from_groups(groups, first)
    with _CROWDS_LOCK:
        if len(_CROWDS) >= _CROWDS_MAX:
            _CROWDS.clear()
        _CROWDS[key] = (time.monotonic(), crowd)
    return crowd


# Up to this many carriers, a brand's carriers of a value are read from the value's side
# (its carriers, then their brand); beyond, from the brand's side (its sites, each tested).
_FROM_VALUE = 5_000


def _first_of(
    connection: Connection, carriers: Carriers, among: Any, count: int, *, from_value: bool
) -> list[str]:
    """The first ``count`` carriers (by key) among a brand's or a distributor's sites."""
    if from_value:
        ids = carriers.ids.subquery()
        query = select(Site.key).join(ids, ids.c.id == Site.id)
        condition = among
    else:
        query = select(Site.key)
        condition = and_(among, carriers.has)
    return list(
        connection.execute(
            query.join(SiteAttribution, SiteAttribution.site_id == Site.id)
            .where(condition)
            .order_by(_by_key(connection))
            .limit(count)
        ).scalars()
    )


def _by_key(connection: Connection) -> Any:
    """Site keys in code-point order, as Python sorts them (``cluster`` orders sites so):
    PostgreSQL's default collation would follow the locale's rules instead."""
    return Site.key.collate("C") if connection.dialect.name == "postgresql" else Site.key


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
