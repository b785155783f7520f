"""Rows shaped for the store's staging tables: plain tuples, sorted, no database ids.

The importer never maps keys to ids in Python: it stages rows keyed by natural keys (site
key, URL digest, source code) and lets the database join the ids in (see ``bulk.py``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from hotline.intake.records import ReportRow
from hotline.store.types import storage_time
from hotline.urls import SiteKind

_KIND_TEXT = {kind: kind.value for kind in SiteKind}  # plain str: Enum.value is slow
SiteRow = tuple[str, str]  # key, kind
UrlRow = tuple[bytes, str, str, str, str]  # digest, canonical, site key, scheme, host
ReportTuple = tuple[Any, ...]  # see REPORT_FIELDS


@dataclass(frozen=True, slots=True)
class StagedReports:
    sources: list[str]
    sites: list[SiteRow]
    urls: list[UrlRow]
    reports: list[ReportTuple]


def stage_reports(rows: Iterable[ReportRow]) -> StagedReports:
    sources: set[str] = set()
    sites: dict[str, SiteRow] = {}
    urls: dict[bytes, UrlRow] = {}
    reports: list[ReportTuple] = []
    for r in rows:
        c = r.canonical
        sources.add(r.source)
        if c.site not in sites:
            sites[c.site] = (c.site, _KIND_TEXT[c.site_kind])
        if r.digest not in urls:
            urls[r.digest] = (r.digest, c.url, c.site, c.scheme, c.host)
        reports.append(
            (
                r.source,
                r.source_report_id,
                r.digest,
                storage_time(r.reported_at),
                r.raw_url,
                r.site_type,
                r.commercial,
                r.note,
                r.extra,
                c.scheme_added,
                c.had_userinfo,
            )
        )
    # Sorted by the unique key each table is written under: concurrent importers then lock
    # rows in the same order and cannot deadlock.
    reports.sort(key=lambda t: (t[0], t[1]))
    return StagedReports(
        sources=sorted(sources),
        sites=sorted(sites.values()),
        urls=sorted(urls.values()),
        reports=reports,
    )
