"""Fill the assessment model from the database: every number is one SQL aggregate over the
reports in scope, so the report over a million URLs takes seconds and is reproducible.

Scope = reports received in ``[from, to]`` (by ``reported_at``), from the chosen sources,
and **ingested no later than** ``as_of``: data ingested after that moment does not enter.
Hosting and attribution are read as the last ``hotline enrich``/``attribute`` left them; the
method section says when those ran.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    DateTime,
    Engine,
    Integer,
    MetaData,
    String,
    Text,
    and_,
    case,
    func,
    literal_column,
    select,
)
from sqlalchemy import Table as DbTable

from hotline import __version__
from hotline.attribution.method import band
from hotline.attribution.models import AttributionRun, Brand, SiteAttribution
from hotline.captures.models import MediaHash, SelectorValue, SiteSelector
from hotline.casework.queries import BUCKETS, Stat, provider_names, stats
from hotline.hashes.models import HashList
from hotline.hashes.queries import known_condition
from hotline.hosting.current import HOSTING_LABELS
from hotline.hosting.models import EnrichState, SiteHosting
from hotline.intake.models import Report, Site, Source, Url
from hotline.store.migrate import current_revision
from hotline.strategic.model import Assessment, Cell, Chart, Section, Table
from hotline.urls.sites import psl_version

_SCOPE = MetaData()
_URLS = DbTable(
    "report_scope_urls", _SCOPE,
    Column("url_id", BigInteger, primary_key=True), Column("site_id", BigInteger, index=True),
    Column("first", DateTime), Column("month", String(7), index=True), Column("sources", Integer),
    Column("site_type", String(16)), Column("commercial", Integer),
    prefixes=["TEMPORARY"],
)  # fmt: skip
_SITES = DbTable(
    "report_scope_sites", _SCOPE,
    Column("site_id", BigInteger, primary_key=True), Column("urls", Integer),
    Column("first", DateTime), Column("month", String(7)), Column("country", String(16)),
    Column("status", String(12)), Column("asn", BigInteger), Column("provider", Text),
    Column("countries", Integer), Column("providers", Integer),
    prefixes=["TEMPORARY"],
)  # fmt: skip
_TOP = 15
# The removal-time buckets of hotline.casework.timing, as people read them.
BUCKET_LABELS = {
    "same-day": "same day (under 24 h)",
    "under-3-days": "under 3 days",
    "under-7-days": "under 7 days",
    "under-42-days": "under 42 days",
    "over-42-days": "42 days or more",
    "not-removed": "not removed",
}
NO_CASEWORK = (
    "There is no casework data: no URL has been noticed yet, so there are no removal times "
    "to report."
)


@dataclass(frozen=True, slots=True)
class Scope:
    date_from: date | None = None
    date_to: date | None = None
    as_of: datetime | None = None
    sources: tuple[str, ...] = ()


def _pct(part: int, whole: int) -> float:
    return round(100.0 * part / whole, 1) if whole else 0.0


def gini(values: Sequence[float]) -> float:
    """Gini coefficient of a distribution (0 = all equal, → 1 = one holds everything)."""
    ordered = sorted(v for v in values if v >= 0)
    total = sum(ordered)
    if not ordered or total == 0:
        return 0.0
    weighted = sum((index + 1) * value for index, value in enumerate(ordered))
    count = len(ordered)
    return round((2 * weighted) / (count * total) - (count + 1) / count, 4)


class Builder:
    def __init__(self, connection: Connection, scope: Scope) -> None:
        self.c = connection
        self.scoped_sources: list[str] = []
        self.scope = scope
        self.dialect = connection.dialect.name
        filters = []
        if scope.as_of is not None:
            filters.append(Report.ingested_at <= scope.as_of)
        if scope.date_from is not None:
            filters.append(Report.reported_at >= datetime.combine(scope.date_from, time(), UTC))
        if scope.date_to is not None:
            end = datetime.combine(scope.date_to + timedelta(days=1), time(), UTC)
            filters.append(Report.reported_at < end)
        reports = select(Report.id, Report.url_id, Report.source_id, Report.reported_at,
                         Report.site_type, Report.commercial)  # fmt: skip
        if scope.sources:
            reports = reports.join(Source, Source.id == Report.source_id).where(
                Source.code.in_(scope.sources)
            )
        # The scope is materialised once into temporary tables (reports, URLs, sites in
        # scope): every section reads them instead of re-aggregating millions of reports.
        for table in reversed(_SCOPE.sorted_tables):
            table.drop(connection, checkfirst=True)
        for table in _SCOPE.sorted_tables:
            table.create(connection)
        self.reports = reports.where(and_(*filters)).subquery("scoped_reports")
        r = self.reports
        first = func.min(r.c.reported_at)
        connection.execute(
            _URLS.insert().from_select(
                ["url_id", "site_id", "first", "month", "sources", "site_type", "commercial"],
                select(
                    r.c.url_id, Url.site_id, first, self._month(first),
                    # min ≠ max is "more than one hotline", without a costly COUNT(DISTINCT)
                    func.max(r.c.source_id) - func.min(r.c.source_id) + 1,
                    func.max(r.c.site_type),
                    func.max(func.cast(r.c.commercial, type_=Integer())),
                )
                .join(Url, Url.id == r.c.url_id)
                .group_by(r.c.url_id, Url.site_id),
            )
        )  # fmt: skip
        u = _URLS
        per_site = (
            select(u.c.site_id, func.count().label("urls"), func.min(u.c.first).label("first"),
                   func.min(u.c.month).label("month"))
            .group_by(u.c.site_id)
            .subquery("per_site")
        )  # fmt: skip
        h = SiteHosting
        connection.execute(
            _SITES.insert().from_select(
                ["site_id", "urls", "first", "month", "country", "status", "asn", "provider",
                 "countries", "providers"],
                select(per_site.c.site_id, per_site.c.urls, per_site.c.first, per_site.c.month,
                       func.coalesce(h.country, "unknown"), h.status, h.asn,
                       func.coalesce(h.provider, "unknown"), h.countries, h.providers)
                .join(Site, Site.id == per_site.c.site_id)
                .outerjoin(h, h.site_key == Site.key),
            )
        )  # fmt: skip
        self.urls, self.sites = _URLS, _SITES

    def close(self) -> None:
        for table in reversed(_SCOPE.sorted_tables):
            table.drop(self.c, checkfirst=True)

    def _month(self, column: Any) -> Any:
        # The format is inlined, not bound: PostgreSQL must see the same expression in the
        # select list and in GROUP BY, and two bind parameters are two expressions to it.
        if self.dialect == "postgresql":
            return func.to_char(column, literal_column("'YYYY-MM'"))
        return func.strftime(literal_column("'%Y-%m'"), column)

    def _rows(self, query: Any) -> list[Any]:
        return list(self.c.execute(query))

    # -- 1. scale ---------------------------------------------------------------------------

    def scale(self) -> tuple[Section, dict[str, int]]:
        r, u = self.reports, self.urls
        urls = self.c.execute(select(func.count()).select_from(u)).scalar_one()
        sites = self.c.execute(select(func.count()).select_from(self.sites)).scalar_one()
        multi = self.c.execute(
            select(func.count()).select_from(u).where(u.c.sources > 1)
        ).scalar_one()
        per_source = self._rows(
            select(Source.code, func.count(), func.count(func.distinct(r.c.url_id)))
            .join(Source, Source.id == r.c.source_id)
            .group_by(Source.code)
            .order_by(func.count().desc(), Source.code)
        )
        reports = sum(n for _, n, _ in per_source)
        totals = {"reports": reports, "urls": urls, "sites": sites, "multi": multi}
        self.scoped_sources = sorted(code for code, _, _ in per_source)
        overview = Table(
            "scale", "Reports, unique URLs and sites", ("measure", "count"),
            (("reports", reports), ("unique URLs", urls), ("sites", sites),
             ("URLs reported by more than one hotline", multi),
             ("share of URLs reported by more than one hotline (%)", _pct(multi, urls))),
        )  # fmt: skip
        hotlines = Table(
            "reports_per_hotline", "Reports per hotline", ("hotline", "reports", "unique URLs"),
            tuple((code, n, distinct) for code, n, distinct in per_source),
        )  # fmt: skip
        text = (
            f"{reports:,} reports from {len(per_source)} hotline(s) named {urls:,} unique URLs "
            f"on {sites:,} sites; {multi:,} URLs ({_pct(multi, urls)} %) were reported by "
            "more than one hotline."
        )
        chart = Chart(
            "reports_per_hotline", "Reports per hotline", "bar",
            tuple(code for code, _, _ in per_source),
            (("reports", tuple(float(n) for _, n, _ in per_source)),), "reports",
        )  # fmt: skip
        return Section("scale", "Scale", (text,), (overview, hotlines), (chart,)), totals

    # -- 2. hosting -------------------------------------------------------------------------

    def hosting(self, totals: dict[str, int]) -> tuple[Section, list[tuple[str, int, int]]]:
        s = self.sites
        base = select(s.c.country, func.count(), func.sum(s.c.urls)).group_by(s.c.country)
        by_country = sorted(
            ((c, int(n), int(urls or 0)) for c, n, urls in self._rows(base)),
            key=lambda row: (-row[2], -row[1], row[0]),
        )
        urls_total = totals["urls"] or 1
        country_table = Table(
            "hosting_countries", "Unique URLs and sites by hosting country",
            ("hosting country", "unique URLs", "share of URLs (%)", "sites"),
            tuple((HOSTING_LABELS.get(c, c), urls, _pct(urls, urls_total), n)
                  for c, n, urls in by_country),
            note="Current hosting: the latest origin (non-CDN) address of each site. "
            "'behind CDN' sites are seen only through a CDN; hidden services have no address.",
        )  # fmt: skip
        by_asn = self._rows(
            select(s.c.asn, s.c.provider, func.count(), func.sum(s.c.urls))
            .where(s.c.status == "hosted")
            .group_by(s.c.asn, s.c.provider)
            .order_by(func.sum(s.c.urls).desc(), s.c.asn, s.c.provider)
            .limit(_TOP)
        )
        asn_table = Table(
            "hosting_providers", f"Top {_TOP} hosting networks by unique URLs",
            ("AS", "provider", "sites", "unique URLs"),
            tuple((f"AS{a}" if a is not None else "unknown", p, n, int(urls or 0))
                  for a, p, n, urls in by_asn),
        )  # fmt: skip
        churn = self.c.execute(
            select(
                func.count(),
                func.sum(func.cast(s.c.countries > 1, type_=Integer())),
                func.sum(func.cast(s.c.providers > 1, type_=Integer())),
            ).where(s.c.status.is_not(None))
        ).one()
        enriched, moved_country, moved_provider = (int(v or 0) for v in churn)
        churn_table = Table(
            "hosting_churn", "Hosting churn", ("measure", "sites", "share of enriched sites (%)"),
            (("sites with hosting known", enriched, 100.0 if enriched else 0.0),
             ("changed hosting country", moved_country, _pct(moved_country, enriched)),
             ("changed provider", moved_provider, _pct(moved_provider, enriched))),
        )  # fmt: skip
        chart = Chart(
            "hosting_countries", "Unique URLs by hosting country", "bar",
            tuple(HOSTING_LABELS.get(c, c) for c, _, _ in by_country[:_TOP]),
            (("unique URLs", tuple(float(u) for _, _, u in by_country[:_TOP])),), "URLs",
        )  # fmt: skip
        top = by_country[0] if by_country else ("unknown", 0, 0)
        text = (
            f"{top[2]:,} of {totals['urls']:,} unique URLs ({_pct(top[2], totals['urls'])} %) "
            f"were on sites hosted in {HOSTING_LABELS.get(top[0], top[0])}; "
            f"{moved_country:,} sites changed hosting country over time."
        )
        section = Section("hosting", "Hosting", (text,),
                          (country_table, asn_table, churn_table), (chart,))  # fmt: skip
        return section, by_country

    # -- 3. distributors and brands ---------------------------------------------------------

    def brands(self, totals: dict[str, int]) -> tuple[Section, dict[str, Any]]:
        s = self.sites
        rows = self._rows(
            select(SiteAttribution.brand_id, Brand.distributor_id, func.sum(s.c.urls),
                   func.count(), func.min(s.c.first))
            .select_from(s)
            .join(SiteAttribution, SiteAttribution.site_id == s.c.site_id)
            .join(Brand, Brand.id == SiteAttribution.brand_id)
            .group_by(SiteAttribution.brand_id, Brand.distributor_id)
        )  # fmt: skip
        brand_urls: Counter[int] = Counter()
        brand_sites: Counter[int] = Counter()
        brand_first: dict[int, datetime] = {}
        owner: dict[int, int | None] = {}
        distributor_urls: Counter[int] = Counter()
        for brand, distributor, urls, sites, first in rows:
            brand_urls[brand] += int(urls or 0)
            brand_sites[brand] += int(sites)
            brand_first[brand] = min(first, brand_first.get(brand, first))
            owner[brand] = distributor
            if distributor is not None:
                distributor_urls[distributor] += int(urls or 0)
        top_brands = sorted(brand_urls, key=lambda b: (-brand_urls[b], b))[:10]
        labels: dict[int, str | None] = dict(
            self._rows(select(Brand.id, Brand.label).where(Brand.id.in_(top_brands)))
        )
        top_owners = sorted({d for b in top_brands if (d := owner[b]) is not None})
        distributors = len(distributor_urls)
        attributed_urls = sum(brand_urls.values())
        ranked = sorted(distributor_urls.values(), reverse=True)
        curve = []
        running = 0
        for k, urls in enumerate(ranked, 1):
            running += urls
            curve.append((k, running, _pct(running, attributed_urls)))
        g = gini([float(v) for v in ranked])
        summary = {
            "distributors": distributors,
            "brands": len(brand_urls),
            "top_owners": top_owners,
            "brand_first": brand_first,
        }
        headline = (
            f"{distributors} distributors operated {len(brand_urls)} brands; the "
            f"{len(top_brands)} most prolific brands belong to {len(top_owners)} "
            f"distributor{'s' if len(top_owners) != 1 else ''}."
        )
        concentration = Table(
            "distributor_concentration",
            "Concentration: share of attributed URLs held by the top-k distributors",
            ("top k distributors", "URLs", "cumulative share (%)"),
            tuple(curve[:20]),
            note=f"Gini coefficient of URLs per distributor: {g}",
        )
        top_table = Table(
            "top_brands", "The 10 most prolific brands by unique URLs",
            ("brand", "label", "distributor", "sites (domains)", "unique URLs"),
            tuple((f"b{b}", labels.get(b),
                   f"d{owner[b]}" if owner[b] is not None else None, brand_sites[b], brand_urls[b])
                  for b in top_brands),
        )  # fmt: skip
        sizes = sorted(brand_sites.values())
        hopping = Table(
            "domains_per_brand", "Domains per brand (hopping)", ("measure", "value"),
            (("brands", len(sizes)),
             ("domains per brand, median", sizes[len(sizes) // 2] if sizes else 0),
             ("domains per brand, mean", round(sum(sizes) / len(sizes), 1) if sizes else 0),
             ("domains per brand, largest", sizes[-1] if sizes else 0),
             ("brands on a single domain", sum(1 for n in sizes if n == 1))),
        )  # fmt: skip
        chart = Chart(
            "distributor_concentration", "Cumulative share of attributed URLs, top-k distributors",
            "line", tuple(str(k) for k, _, _ in curve[:20]),
            (("cumulative share", tuple(float(p) for _, _, p in curve[:20])),), "%",
        )  # fmt: skip
        text = (
            headline + f" The top distributor holds {curve[0][2] if curve else 0} % of the "
            f"{attributed_urls:,} attributed URLs; Gini {g}."
        )
        sure = self._rows(
            select(SiteAttribution.confidence)
            .select_from(s)
            .join(SiteAttribution, SiteAttribution.site_id == s.c.site_id)
            .where(SiteAttribution.brand_id.is_not(None))
        )
        bands = Counter(band(value) for (value,) in sure)
        confidence = Table(
            "attribution_confidence", "How sure the attributions are (sites per band)",
            ("band", "sites", "share (%)"),
            tuple((name, bands[name], _pct(bands[name], len(sure)))
                  for name in ("high", "medium", "low", "none") if bands[name]),
            note="high ≥ 0.75, medium ≥ 0.5, low below; 'none': attributed before confidence "
                 "was recorded (run hotline attribute again). Sites below the floor stay "
                 "unattributed and are not counted here.",
        )  # fmt: skip
        section = Section("brands", "Distributors and brands", (text,),
                          (top_table, concentration, hopping, confidence), (chart,))  # fmt: skip
        return section, summary

    # -- 4. payment -------------------------------------------------------------------------

    def payment(self) -> Section:
        s = self.sites
        shown = (
            select(SelectorValue.method, SiteSelector.site_id, SiteAttribution.brand_id,
                   Brand.distributor_id)
            .select_from(s)
            .join(SiteSelector, SiteSelector.site_id == s.c.site_id)
            .join(SelectorValue, SelectorValue.id == SiteSelector.selector_id)
            .outerjoin(SiteAttribution, SiteAttribution.site_id == s.c.site_id)
            .outerjoin(Brand, Brand.id == SiteAttribution.brand_id)
            .where(SelectorValue.method.is_not(None))
            .subquery("payment_shown")
        )  # fmt: skip
        p = shown.c
        per: dict[str, list[int]] = {}
        for method, sites_n, brands_n, distributors_n in self._rows(
            select(p.method, func.count(func.distinct(p.site_id)),
                   func.count(func.distinct(p.brand_id)),
                   func.count(func.distinct(p.distributor_id)))
            .group_by(p.method)
        ):  # fmt: skip
            # Raw methods naming one display method (rare) are summed: an upper bound.
            counts = per.setdefault(_method_name(method), [0, 0, 0])
            for at, value in enumerate((sites_n, brands_n, distributors_n)):
                counts[at] += int(value)
        paying_n = self.c.execute(select(func.count(func.distinct(p.site_id)))).scalar_one()
        crypto_n = self.c.execute(
            select(func.count(func.distinct(p.site_id))).where(p.method.like("crypto%"))
        ).scalar_one()
        ordered = sorted(per, key=lambda m: (-per[m][0], m))
        table = Table(
            "payment_methods", "Sites, brands and distributors per payment method",
            ("payment method", "sites", "brands", "distributors"),
            tuple((m, per[m][0], per[m][1], per[m][2]) for m in ordered),
        )  # fmt: skip
        share = _pct(crypto_n, paying_n)
        text = (
            f"{paying_n:,} sites showed a payment method; {share} % of them offered cryptocurrency."
        )
        chart = Chart(
            "payment_methods", "Sites per payment method", "bar", tuple(ordered),
            (("sites", tuple(float(per[m][0]) for m in ordered)),), "sites",
        )  # fmt: skip
        return Section("payment", "Payment", (text,), (table,), (chart,))

    # -- known material (hash lists) --------------------------------------------------------

    def known_media(self) -> Section:
        """Media captured on the sites in scope: how many a hash list already knew, and the
        new ones by hosting country, by brand and by month. As of the report's moment: media
        captured and matches made by then (which lists are enabled is today's setting)."""
        s = self.sites
        as_of = self.scope.as_of or datetime.now(UTC)

        known = case((known_condition(as_of), 1), else_=0)
        m = (
            select(s.c.site_id, s.c.country, self._month(MediaHash.captured_at).label("month"),
                   known.label("known"))
            .select_from(s)
            .join(MediaHash, MediaHash.site_id == s.c.site_id)
            .where(MediaHash.captured_at <= as_of)
            .subquery("media_in_scope")
        ).c  # fmt: skip
        media, known_n = self.c.execute(
            select(func.count(), func.coalesce(func.sum(m.known), 0))
        ).one()
        media, known_n = int(media), int(known_n)
        lists = self.c.execute(
            select(func.count()).select_from(HashList).where(HashList.enabled.is_(True))
        ).scalar_one()
        overview = Table(
            "known_media", "Media captured: already known versus new", ("measure", "count"),
            (("media captured on the sites in scope", media), ("known (on a hash list)", known_n),
             ("new", media - known_n), ("share already known (%)", _pct(known_n, media)),
             ("hash lists enabled", int(lists))),
            note="Counts only: media are never kept, shown or opened. Known: matched by an "
                 "enabled known list (exact hash, or PDQ within the radius) and by no "
                 "negative list, held matches left out.",
        )  # fmt: skip
        new_n = func.count() - func.coalesce(func.sum(m.known), 0)
        by_country = self._rows(
            select(m.country, func.count(), func.coalesce(func.sum(m.known), 0), new_n)
            .group_by(m.country).order_by(new_n.desc(), m.country).limit(_TOP)
        )  # fmt: skip
        country_table = Table(
            "new_media_by_country", "New media by hosting country",
            ("country", "media", "known", "new"),
            tuple((HOSTING_LABELS.get(c, c), int(n), int(k), int(w)) for c, n, k, w in by_country),
        )  # fmt: skip
        by_brand = self._brand_media(m)
        brand_table = Table(
            "new_media_by_brand", "New media by brand (the 15 with the most)",
            ("brand", "distributor", "media", "known", "new"),
            tuple((f"b{b}", f"d{d}" if d is not None else None, int(n), int(k), int(w))
                  for b, d, n, k, w in by_brand),
        )  # fmt: skip
        months = self._rows(
            select(m.month, func.count(), func.coalesce(func.sum(m.known), 0))
            .group_by(m.month).order_by(m.month)
        )  # fmt: skip
        chart = Chart(
            "media_known_new", "Media captured per month: known and new", "line",
            tuple(str(month) for month, _, _ in months),
            (("known", tuple(float(k) for _, _, k in months)),
             ("new", tuple(float(n - k) for _, n, k in months))), "media",
        )  # fmt: skip
        if media == 0:
            text = "No media were captured on the sites in scope."
        elif not lists:
            text = (
                f"{media:,} media were captured on the sites in scope; no hash list is enabled, "
                "so none is known yet (hotline lists import, then hotline match)."
            )
        else:
            top = by_country[0] if by_country else None
            where = (
                f"; most new media were on sites hosted in {HOSTING_LABELS.get(top[0], top[0])}"
                if top
                else ""
            )
            text = (
                f"{media:,} media were captured on the sites in scope; {known_n:,} "
                f"({_pct(known_n, media)} %) were already known to a hash list and "
                f"{media - known_n:,} are new{where}."
            )
        return Section("known_media", "Known and new material", (text,),
                       (overview, country_table, brand_table), (chart,))  # fmt: skip

    def _brand_media(self, m: Any) -> list[Any]:
        new_n = func.count() - func.coalesce(func.sum(m.known), 0)
        return self._rows(
            select(SiteAttribution.brand_id, Brand.distributor_id, func.count(),
                   func.coalesce(func.sum(m.known), 0), new_n)
            .select_from(m.site_id.table)
            .join(SiteAttribution, SiteAttribution.site_id == m.site_id)
            .join(Brand, Brand.id == SiteAttribution.brand_id)
            .group_by(SiteAttribution.brand_id, Brand.distributor_id)
            .order_by(new_n.desc(), SiteAttribution.brand_id)
            .limit(_TOP)
        )  # fmt: skip

    # -- notice and takedown (casework) -----------------------------------------------------

    def casework_window(self) -> tuple[datetime | None, datetime]:
        """The moments the takedown figures cover: URLs first noticed from the start of the
        period up to the earlier of the period's end and the as-of moment, with removals
        counted up to that same moment (``hotline casework stats --since --until``)."""
        since = (
            datetime.combine(self.scope.date_from, time(), UTC)
            if self.scope.date_from is not None
            else None
        )
        until = self.scope.as_of or datetime.now(UTC)
        if self.scope.date_to is not None:
            end = datetime.combine(self.scope.date_to + timedelta(days=1), time(), UTC)
            until = min(until, end - timedelta(microseconds=1))
        return since, until

    def takedown(self) -> Section:
        """Time to removal of the noticed URLs, from ``hotline.casework.queries.stats``: the
        same figures ``hotline casework stats`` prints for the same window."""
        title = "Notice and takedown"
        since, until = self.casework_window()
        overall = stats(self.c, "overall", since=since, until=until)
        if not overall:
            if not stats(self.c, "overall"):
                return Section("takedown", title, (NO_CASEWORK,))
            text = (
                f"No URL was first noticed between {_moment(since) if since else 'the start'} "
                f"and {_moment(until)}, so there are no removal times to report for this scope."
            )
            return Section("takedown", title, (text,))
        [total] = overall
        names = provider_names(self.c)
        by_country = stats(self.c, "country", since=since, until=until)
        by_provider = stats(self.c, "provider", since=since, until=until)
        summary = Table(
            "takedown", "URLs noticed and removed", ("measure", "value"),
            (("URLs noticed", total.noticed), ("URLs removed", total.removed),
             ("median hours from first notice to removal", total.median_from_notice),
             ("median hours from first report to removal", total.median_from_report),
             ("share removed within 3 days of the first notice (%)",
              _share(total.within_3_days)),
             ("share never removed (%)", _share(total.never_removed)),
             ("URLs that re-appeared after removal", total.reappeared)),
            note="Noticed: a first notice went to a hotline, a provider or a CDN (a referral "
                 "to law enforcement does not start the clock). Medians are over the URLs "
                 "removed; shares are of all URLs noticed.",
        )  # fmt: skip
        buckets = Table(
            "takedown_buckets", "Time to removal",
            ("time to removal", "from first notice: URLs", "from first notice: share (%)",
             "from first report: URLs"),
            tuple((BUCKET_LABELS.get(name, name), total.from_notice.get(name, 0),
                   _pct(total.from_notice.get(name, 0), total.noticed),
                   total.from_report.get(name, 0)) for name in BUCKETS),
            note="Buckets are disjoint: same day is under 24 hours, under 3 days 24 to 72 hours, "
                 "under 7 days 72 to 168 hours, under 42 days 168 to 1,008 hours.",
        )  # fmt: skip
        countries = Table(
            "takedown_countries", f"Time to removal by hosting country (the {_TOP} with the most "
            "URLs noticed)", ("hosting country", *_PROFILE_COLUMNS),
            tuple((HOSTING_LABELS.get(s.key, s.key), *_profile(s)) for s in by_country[:_TOP]),
            note="The hosting the first notice went to; a later move does not change it.",
        )  # fmt: skip
        providers = Table(
            "takedown_providers", f"Time to removal by provider (the {_TOP} with the most URLs "
            "noticed)", ("AS", "provider", *_PROFILE_COLUMNS),
            tuple((s.key, names.get(s.key), *_profile(s)) for s in by_provider[:_TOP]),
        )  # fmt: skip
        again = sorted((s for s in by_provider if s.reappeared),
                       key=lambda s: (-s.reappeared, s.key))  # fmt: skip
        recidivism = Table(
            "takedown_reappeared", "URLs that re-appeared after removal, by provider",
            ("AS", "provider", "URLs noticed", "URLs removed", "URLs re-appeared",
             "share of removed URLs re-appeared (%)"),
            tuple((s.key, names.get(s.key), s.noticed, s.removed, s.reappeared,
                   _pct(s.reappeared, s.removed)) for s in again[:_TOP]),
            note="A URL seen up again after its removal was recorded counts once, however "
                 "often it came back.",
        )  # fmt: skip
        chart = Chart(
            "takedown_buckets", "URLs by time to removal after the first notice", "bar",
            tuple(BUCKET_LABELS.get(name, name) for name in BUCKETS),
            (("URLs", tuple(float(total.from_notice.get(name, 0)) for name in BUCKETS)),), "URLs",
        )  # fmt: skip
        median = (
            f"the median time to removal was {_format_hours(total.median_from_notice)} from "
            f"the first notice and {_format_hours(total.median_from_report)} from the first "
            "report"
            if total.median_from_notice is not None
            else "none was seen removed"
        )
        text = (
            f"{total.noticed:,} URLs were noticed and {total.removed:,} "
            f"({_pct(total.removed, total.noticed)} %) were seen removed by {_moment(until)}; "
            f"{median}. {100 * total.within_3_days:.1f} % were removed within 3 days of the "
            f"first notice, {100 * total.never_removed:.1f} % were never removed, and "
            f"{total.reappeared:,} re-appeared after removal."
        )
        scope = (
            "Scope: every URL first noticed "
            + (f"from {_moment(since)} " if since else "")
            + f"up to {_moment(until)}, whichever hotline reported it; a removal seen after "
            "that moment counts as not removed. Providers and countries are the hosting the "
            "first notice went to."
        )
        return Section("takedown", title, (text, scope),
                       (summary, buckets, countries, providers, recidivism), (chart,))  # fmt: skip

    # -- 5. site types ----------------------------------------------------------------------

    def site_types(self, totals: dict[str, int]) -> Section:
        u = self.urls
        kind = func.coalesce(u.c.site_type, "not given")
        rows = self._rows(
            select(kind, func.count()).group_by(kind).order_by(func.count().desc(), kind)
        )
        attributed = self.c.execute(
            select(func.count())
            .select_from(self.sites)
            .join(SiteAttribution, SiteAttribution.site_id == self.sites.c.site_id)
            .where(SiteAttribution.brand_id.is_not(None))
        ).scalar_one()
        flagged = self.c.execute(
            select(func.count()).select_from(u).where(u.c.commercial == 1)
        ).scalar_one()
        types = Table(
            "site_types", "Unique URLs by site type (as reported)", ("site type", "unique URLs"),
            tuple((k, n) for k, n in rows),
        )  # fmt: skip
        commercial = Table(
            "commercial_share", "Commercial share",
            ("measure", "count", "share (%)"),
            (("sites attributed to a brand", attributed, _pct(attributed, totals["sites"])),
             ("URLs reported as commercial", flagged, _pct(flagged, totals["urls"]))),
        )  # fmt: skip
        text = (
            f"{attributed:,} of {totals['sites']:,} sites ({_pct(attributed, totals['sites'])} %) "
            "carry commercial evidence and were attributed to a brand."
        )
        chart = Chart(
            "site_types", "Unique URLs by site type", "bar", tuple(k for k, _ in rows),
            (("unique URLs", tuple(float(n) for _, n in rows)),), "URLs",
        )  # fmt: skip
        return Section("site_types", "Site types and commercial share", (text,),
                       (types, commercial), (chart,))  # fmt: skip

    # -- 6. trends --------------------------------------------------------------------------

    def trends(
        self, by_country: list[tuple[str, int, int]], brand_first: dict[int, Any]
    ) -> Section:
        u, s = self.urls, self.sites
        top = [c for c, _, _ in by_country[:5]]
        # The mix is of new *sites* per month (by their first reported URL): one pass over
        # the sites in scope, where a per-URL mix would join every URL to its site.
        mix_rows = self._rows(
            select(s.c.month, s.c.country, func.count()).group_by(s.c.month, s.c.country)
        )
        mix: dict[str, Counter[str]] = defaultdict(Counter)
        for month, c, n in mix_rows:
            mix[month][c if c in top else "other"] += n
        new_urls = dict(self._rows(select(u.c.month, func.count()).group_by(u.c.month)))
        new_sites: Counter[str] = Counter()
        for month, _, n in mix_rows:
            new_sites[month] += n
        new_brands: Counter[str] = Counter(f"{first:%Y-%m}" for first in brand_first.values())
        months = sorted(set(new_urls) | set(new_sites) | set(new_brands))
        monthly = Table(
            "monthly", "New URLs, sites and brands per month (first reported in the period)",
            ("month", "new URLs", "new sites", "new brands"),
            tuple((m, new_urls.get(m, 0), new_sites.get(m, 0), new_brands.get(m, 0))
                  for m in months),
        )  # fmt: skip
        columns = [*top, "other"]
        mix_table = Table(
            "hosting_mix_monthly", "New sites per month by current hosting country",
            ("month", *(HOSTING_LABELS.get(c, c) for c in columns)),
            tuple((m, *(mix[m].get(c, 0) for c in columns)) for m in months),
        )  # fmt: skip
        charts = (
            Chart("monthly", "New URLs, sites and brands per month", "line", tuple(months),
                  (("new URLs", tuple(float(new_urls.get(m, 0)) for m in months)),
                   ("new sites", tuple(float(new_sites.get(m, 0)) for m in months)),
                   ("new brands", tuple(float(new_brands.get(m, 0)) for m in months)))),
            Chart("hosting_mix_monthly", "New sites per month by hosting country", "line",
                  tuple(months),
                  tuple((HOSTING_LABELS.get(c, c), tuple(float(mix[m].get(c, 0)) for m in months))
                        for c in columns)),
        )  # fmt: skip
        text = (
            f"Monthly figures over {len(months)} month(s): a URL, site or brand counts in the "
            "month of its first report within the period."
        )
        return Section("trends", "Trends", (text,), (monthly, mix_table), charts)

    # -- 7. method --------------------------------------------------------------------------

    def method(self, as_of: datetime) -> Section:
        engine_state = {k: v for k, v in self.c.execute(select(EnrichState.key, EnrichState.value))}
        run = self.c.execute(
            select(AttributionRun).order_by(AttributionRun.id.desc()).limit(1)
        ).first()
        rows: list[tuple[Cell, ...]] = [
            ("as of (data ingested up to)", as_of.isoformat()),
            ("period", f"{self.scope.date_from or 'start'} to {self.scope.date_to or 'end'}"),
            ("sources in scope", ", ".join(self.scope.sources) or "all"),
            ("sources with reports in scope", ", ".join(self.scoped_sources)),
            ("database schema revision", current_revision(self.c.engine) or "none"),
            ("tool version", __version__),
            ("public suffix list", psl_version()),
            ("IP databases", engine_state.get("fingerprint", "not enriched").split("|cdn:")[0]),
            ("last attribution run", run.finished_at.isoformat() if run else "never"),
        ]
        paragraphs = (
            "Sources: the reports of the hotlines listed, as received; one report is one URL "
            "as one hotline received it.",
            "Dedupe: URLs are compared in canonical form (scheme and host lower-cased, default "
            "ports, dot segments and percent-encoding normalised, tracking parameters and "
            "fragments removed); a site is the registrable domain by the Public Suffix List, "
            "an onion service or a bare IP. Counts of unique URLs and sites use these forms.",
            "Hosting: the current hosting of a site is its latest origin address, looked up in "
            "the IP databases named below. Addresses of known CDNs and reverse proxies never "
            "count as a hosting country: such sites are listed as 'behind CDN'. Addresses no "
            "database knows are 'unknown'.",
            "Attribution: sites are grouped into brands and brands into distributors by shared "
            "selectors weighted by kind and rarity (values shared by many unrelated sites are "
            "discounted, and a value that would join clusters which each stand on evidence of "
            "their own counts only with corroboration); sites without enough commercial "
            "evidence, or whose confidence is below the floor, stay unattributed; analyst "
            "decisions override the method. On synthetic worlds its B-cubed F1 is about "
            "0.94-0.99 for brands and distributors, and 0.85-0.96 on worlds that also carry "
            "error pages, parked domains, shared template kits and referral links, at "
            "precision 0.94-1.00; on real data it is evidence for an analyst, not a finding.",
            "Reproducibility: only reports ingested up to the as-of moment are counted; "
            "hosting and attribution are as the last enrichment and attribution runs left "
            "them. IP to ASN data by RouteViews and DB-IP, country data by the NRO, via "
            "ip-location-db, when the bundled databases are used.",
        )
        table = Table("method", "Database state and tool", ("item", "value"), tuple(rows))
        return Section("method", "Method and caveats", paragraphs, (table,), ())


_PROFILE_COLUMNS = ("URLs noticed", "URLs removed", "median hours from notice",
                    "removed within 3 days (%)", "never removed (%)")  # fmt: skip


def _share(value: float) -> float:
    """A casework share (0..1, four decimals) as a percentage, without rounding it again."""
    return round(100 * value, 2)


def _profile(stat: Stat) -> tuple[Cell, ...]:
    return (stat.noticed, stat.removed, stat.median_from_notice,
            _share(stat.within_3_days), _share(stat.never_removed))  # fmt: skip


def _moment(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _format_hours(value: float | None) -> str:
    """``75.5`` → ``75.5 hours``; from two days on, the days too (``170 hours (7.1 days)``)."""
    if value is None:
        return "—"
    text = f"{value:,.2f}".rstrip("0").rstrip(".")
    return f"{text} hours" + (f" ({value / 24:,.1f} days)" if value >= 48 else "")


def _method_name(method: str) -> str:
    if method.startswith("crypto:"):
        return f"cryptocurrency ({method.split(':', 1)[1]})"
    return {"card": "card processor", "e-wallet": "e-wallet", "ewallet": "e-wallet",
            "money-transfer": "money transfer"}.get(method, method)  # fmt: skip


def build_assessment(
    engine: Engine, scope: Scope, generated_at: datetime | None = None
) -> Assessment:
    # to the microsecond: cut to the second, a report made in the same second as an import
    # would leave out the rows that import just wrote, and its printed moment would not
    # reproduce it
    as_of = scope.as_of or datetime.now(UTC)
    scope = Scope(scope.date_from, scope.date_to, as_of, tuple(sorted(scope.sources)))
    with engine.connect() as connection:
        builder = Builder(connection, scope)
        scale, totals = builder.scale()
        hosting, by_country = builder.hosting(totals)
        brands, brand_summary = builder.brands(totals)
        sections = (
            scale,
            hosting,
            brands,
            builder.payment(),
            builder.site_types(totals),
            builder.trends(by_country, brand_summary["brand_first"]),
            builder.known_media(),
            builder.takedown(),
            builder.method(as_of),
        )
        builder.close()
    top = by_country[0] if by_country else ("unknown", 0, 0)
    where = HOSTING_LABELS.get(top[0], top[0])
    headline = (
        f"Of {totals['urls']:,} unique URLs, {top[2]:,} ({_pct(top[2], totals['urls'])} %) were "
        f"hosted in {where}; {brand_summary['distributors']} distributors operated "
        f"{brand_summary['brands']} brands; the 10 most prolific brands belong to "
        f"{len(brand_summary['top_owners'])} distributor"
        f"{'s' if len(brand_summary['top_owners']) != 1 else ''}."
    )
    return Assessment(
        title="Strategic assessment: commercial distribution sites",
        headline=headline,
        generated_at=generated_at or datetime.now(UTC).replace(microsecond=0),
        as_of=as_of,
        period_from=scope.date_from,
        period_to=scope.date_to,
        sources=scope.sources or tuple(builder.scoped_sources),
        tool_version=__version__,
        sections=sections,
    )
