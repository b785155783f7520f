"""Questions an analyst asks of stored captures that need more than one table."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Connection, func, select

from hotline.captures.models import Capture, SelectorValue, SiteSelector
from hotline.captures.neardup import BandedIndex
from hotline.captures.page_class import PAGE_CLASSES
from hotline.intake.models import Site, Url

# Measured on the synthetic worlds: pages of one brand's template are 0-10 bits apart, pages
# of different template families 12-43 (mostly over 20). See docs/captures.md.
SAME_TEMPLATE_BITS = 10


def similar_templates(
    connection: Connection, site: str, max_distance: int = SAME_TEMPLATE_BITS
) -> list[tuple[str, int]]:
    """Other sites whose page template is within ``max_distance`` bits of one of this site's,
    nearest first: the near-duplicate lookup behind "these shops use one template"."""
    query = (
        select(Site.key, SelectorValue.value)
        .join(SiteSelector, SiteSelector.site_id == Site.id)
        .join(SelectorValue, SelectorValue.id == SiteSelector.selector_id)
        .where(SelectorValue.kind == "template")
    )
    index = BandedIndex.for_distance(max_distance)
    own: list[int] = []
    for key, value in connection.execute(query):
        fingerprint = int(value, 16)
        if key == site:
            own.append(fingerprint)
        else:
            index.add(f"{key}\x00{value}", fingerprint)
    best: dict[str, int] = {}
    for fingerprint in own:
        for found, distance in index.query(fingerprint, max_distance):
            other = found.split("\x00", 1)[0]
            best[other] = min(distance, best.get(other, distance))
    return sorted(best.items(), key=lambda item: (item[1], item[0]))


@dataclass(frozen=True, slots=True)
class PageClassCount:
    page_class: str
    captures: int
    first: datetime
    last: datetime


@dataclass(frozen=True, slots=True)
class SitePages:
    """What a site's captures showed: how many pages of each class, and the latest one."""

    classes: list[PageClassCount] = field(default_factory=list)  # in PAGE_CLASSES order
    latest_class: str | None = None
    latest_at: datetime | None = None
    latest_url: str | None = None  # canonical, final URL: defang it before showing it

    @property
    def captures(self) -> int:
        return sum(count.captures for count in self.classes)


def site_pages(connection: Connection, site: str) -> SitePages:
    """A site's captures by page class (``normal``, ``error``, ``placeholder``, ...).

    Pages that are not the site's own yield no selectors, so this is where an analyst sees
    that a site was captured at all, and whether its latest capture shows it down.
    """
    counts = (
        select(
            Capture.page_class,
            func.count(),
            func.min(Capture.captured_at),
            func.max(Capture.captured_at),
        )
        .join(Site, Site.id == Capture.site_id)
        .where(Site.key == site)
        .group_by(Capture.page_class)
    )
    latest = (
        select(Capture.page_class, Capture.captured_at, Url.canonical)
        .join(Site, Site.id == Capture.site_id)
        .join(Url, Url.id == Capture.final_url_id)
        .where(Site.key == site)
        .order_by(Capture.captured_at.desc(), Capture.id.desc())
        .limit(1)
    )
    order = {name: position for position, name in enumerate(PAGE_CLASSES)}
    classes = [
        PageClassCount(page_class, count, first, last)
        for page_class, count, first, last in connection.execute(counts)
    ]
    newest = connection.execute(latest).first()
    classes.sort(key=lambda item: (order.get(item.page_class, len(order)), item.page_class))
    if newest is None:
        return SitePages(classes)
    return SitePages(classes, newest[0], newest[1], newest[2])


def selector_values(connection: Connection, kind: str) -> set[str]:
    """Every distinct stored selector value of one kind (``btc_address``...)."""
    return set(connection.scalars(select(SelectorValue.value).where(SelectorValue.kind == kind)))


def selectors_by_kind(connection: Connection) -> dict[str, int]:
    """Distinct stored selector values per kind."""
    rows = connection.execute(select(SelectorValue.kind, func.count()).group_by(SelectorValue.kind))
    return {kind: count for kind, count in rows}


def sites_with_value(connection: Connection, value: str, limit: int = 50) -> list[tuple[str, str]]:
    """(kind, site) of every site that shows a selector value exactly as stored, of any
    kind: what an analyst pastes (a wallet, a merchant id) to ask "where else?"."""
    rows = connection.execute(
        select(SelectorValue.kind, Site.key)
        .join(SiteSelector, SiteSelector.selector_id == SelectorValue.id)
        .join(Site, Site.id == SiteSelector.site_id)
        .where(SelectorValue.value == value)
        .order_by(SelectorValue.kind, Site.key)
        .limit(limit)
    )
    return [(kind, key) for kind, key in rows]
