"""Read-only questions about what intake has stored."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, func, select

from hotline.intake.models import Report, Site, Source, Url


def multi_source_urls(connection: Connection) -> int:
    """URLs reported by more than one hotline (the cross-hotline overlap)."""
    per_url = (
        select(Report.url_id)
        .group_by(Report.url_id)
        .having(func.count(func.distinct(Report.source_id)) > 1)
        .subquery()
    )
    return int(connection.execute(select(func.count()).select_from(per_url)).scalar_one())


@dataclass(frozen=True)
class SiteCount:
    site: str
    urls: int
    reports: int
    sources: int


def top_sites(connection: Connection, limit: int = 10) -> list[SiteCount]:
    """Sites by number of distinct reported URLs."""
    query = (
        select(
            Site.key,
            func.count(func.distinct(Url.id)),
            func.count(Report.id),
            func.count(func.distinct(Report.source_id)),
        )
        .join(Url, Url.site_id == Site.id)
        .join(Report, Report.url_id == Url.id)
        .group_by(Site.id, Site.key)
        .order_by(func.count(func.distinct(Url.id)).desc(), Site.key)
        .limit(limit)
    )
    return [SiteCount(k, u, r, s) for k, u, r, s in connection.execute(query)]


def totals(connection: Connection) -> dict[str, int]:
    return {
        name: int(connection.execute(select(func.count()).select_from(model)).scalar_one())
        for name, model in (
            ("reports", Report),
            ("urls", Url),
            ("sites", Site),
            ("sources", Source),
        )
    }


def canonical_urls(connection: Connection) -> set[str]:
    """Every stored canonical URL."""
    return set(connection.scalars(select(Url.canonical)))


def stored_sources(
    connection: Connection, asked: tuple[str, ...]
) -> tuple[tuple[str, ...], list[str]]:
    """The stored source codes for the asked ones, matched without regard to case, and the
    asked codes nobody stored (an unknown code is the caller's error to report)."""
    stored = {code.upper(): code for code in connection.scalars(select(Source.code))}
    known = tuple(stored[code.upper()] for code in asked if code.upper() in stored)
    return known, [code for code in asked if code.upper() not in stored]


def all_sources(connection: Connection) -> list[str]:
    return sorted(connection.scalars(select(Source.code)))
