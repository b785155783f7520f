"""Export and display of selectors: one row per (site, kind, value), with how widely shared.

``sites`` (how many sites show the value) is what tells an analyst whether a value is
evidence: a merchant id on three sites links them; a CDN address on three thousand does not.
``site_page_class`` is the class of the site's latest capture (``normal``, ``error``,
``placeholder``, ``suspended``, ...; ``hotline.captures.page_class``): a site whose latest
page is not its own has gone down, been parked or blocked since it showed these values.

Values come from captured pages, so with ``defanged`` (for people) every text is passed
through :func:`hotline.urls.display.for_people`: a URL anywhere in a brand text, affiliate
id or other free value is defanged, and control characters are shown escaped. Without it
(for tools), values are exactly as stored.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from sqlalchemy import Connection, func, select

from hotline.captures.models import Capture, SelectorValue, SiteSelector
from hotline.intake.models import Site
from hotline.urls import defang
from hotline.urls.display import display_value, for_people

SELECTOR_EXPORT_COLUMNS = (
    "site",
    "kind",
    "value",
    "method",
    "strength",
    "first_seen",
    "last_seen",
    "captures",
    "sites",
    "site_page_class",  # added last: the columns before it are a contract
)


def selector_rows(
    connection: Connection,
    *,
    site: str | None = None,
    defanged: bool = False,
    carried: Callable[[int], int] | None = None,
) -> Iterator[tuple[Any, ...]]:
    """Rows of SELECTOR_EXPORT_COLUMNS in (site, kind, value) order; one site if given.

    ``carried`` (a selector id → how many sites carry it, from an index kept in memory)
    spares counting them here, with one site: a value on most sites of a large store is
    100,000 rows to count for every page that shows it."""
    counted = site is not None and carried is not None
    sharing = None if counted else _sharing(site).subquery()
    latest = _latest_class(site)
    query = (
        select(
            Site.key,
            SelectorValue.kind,
            SelectorValue.value,
            SelectorValue.method,
            SelectorValue.strength,
            SiteSelector.first_seen,
            SiteSelector.last_seen,
            SiteSelector.captures,
            SelectorValue.id if sharing is None else sharing.c.sites,
            latest.c.page_class,
        )
        .join(SiteSelector, SiteSelector.site_id == Site.id)
        .join(SelectorValue, SelectorValue.id == SiteSelector.selector_id)
        # a gateway's source site may have no capture of its own: then no class
        .outerjoin(latest, (latest.c.site_id == Site.id) & (latest.c.rank == 1))
        .order_by(Site.key, SelectorValue.kind, SelectorValue.value)
    )
    if sharing is not None:
        query = query.join(sharing, sharing.c.selector_id == SelectorValue.id)
    if site is not None:
        query = query.where(Site.key == site)
    result = connection.execution_options(stream_results=True, yield_per=2000).execute(query)
    for key, kind, value, *rest in result:
        if counted and carried is not None:
            rest[5] = carried(rest[5])  # the selector's id → its carriers
        if defanged:
            yield (
                for_people(defang(key)), for_people(kind), display_value(kind, value),
                *(for_people(v) if isinstance(v, str) else v for v in rest),
            )  # fmt: skip
        else:
            yield (key, kind, value, *rest)


def selector_sites(connection: Connection, selector: int) -> int:
    """How many sites carry one captured value."""
    count = select(func.count()).where(SiteSelector.selector_id == selector)
    return int(connection.execute(count).scalar_one())


def _sharing(site: str | None) -> Any:
    """(selector, how many sites carry it); of one site's values only when a site is given,
    not of every value."""
    shared = select(SiteSelector.selector_id, func.count().label("sites"))
    if site is not None:
        shared = shared.where(
            SiteSelector.selector_id.in_(
                select(SiteSelector.selector_id)
                .join(Site, Site.id == SiteSelector.site_id)
                .where(Site.key == site)
            )
        )
    return shared.group_by(SiteSelector.selector_id)


def _latest_class(site: str | None) -> Any:
    """Each site's latest capture (by capture time, then import order), one row per site,
    with its page class; of one site's captures only when a site is given."""
    ranked = select(
        Capture.site_id,
        Capture.page_class,
        func.row_number()
        .over(
            partition_by=Capture.site_id,
            order_by=(Capture.captured_at.desc(), Capture.id.desc()),
        )
        .label("rank"),
    )
    if site is not None:  # one site: rank its captures only, not the whole table
        ranked = ranked.where(
            Capture.site_id == select(Site.id).where(Site.key == site).scalar_subquery()
        )
    return ranked.subquery()
