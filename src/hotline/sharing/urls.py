"""Export of canonical URLs: one row per URL with who reported it and when.

With ``defanged`` (for people) URLs and sites are defanged and every text is made safe to show
(:func:`hotline.urls.display.for_people`); without it (for tools) values are as stored.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import Connection, func, select

from hotline.intake.models import Report, Site, Source, Url
from hotline.urls import defang
from hotline.urls.display import for_people

URL_EXPORT_COLUMNS = ("url", "site", "first_reported", "last_reported", "reports", "sources")


def url_rows(connection: Connection, *, defanged: bool = False) -> Iterator[tuple[Any, ...]]:
    """Stream (url, site, first, last, report count, sorted source codes) in URL id order."""
    if connection.dialect.name == "postgresql":
        sources = func.string_agg(func.distinct(Source.code), " ")
    else:
        sources = func.group_concat(func.distinct(Source.code))
    query = (
        select(
            Url.canonical,
            Site.key,
            func.min(Report.reported_at),
            func.max(Report.reported_at),
            func.count(Report.id),
            sources,
        )
        .join(Site, Site.id == Url.site_id)
        .outerjoin(Report, Report.url_id == Url.id)
        .outerjoin(Source, Source.id == Report.source_id)
        .group_by(Url.id, Url.canonical, Site.key)
        .order_by(Url.id)
    )
    result = connection.execution_options(stream_results=True, yield_per=2000).execute(query)
    for url, site, first, last, count, codes in result:
        codes_sorted = sorted((codes or "").replace(",", " ").split())
        if defanged:
            yield (
                for_people(defang(url)), for_people(defang(site)), first, last, count,
                [for_people(code) for code in codes_sorted],
            )  # fmt: skip
        else:
            yield (url, site, first, last, count, codes_sorted)
