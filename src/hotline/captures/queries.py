"""Questions an analyst asks of stored captures that need more than one table."""

from __future__ import annotations

from sqlalchemy import Engine, select

from hotline.captures.models import Selector, SiteSelector
from hotline.captures.neardup import BandedIndex
from hotline.store.models import Site

# Measured on the synthetic worlds: pages of one brand's template are 0-10 bits apart, pages
# of different template families 12-43 (mostly over 20). See docs/captures.md.
SAME_TEMPLATE_BITS = 10


def similar_templates(
    engine: Engine, site: str, max_distance: int = SAME_TEMPLATE_BITS
) -> list[tuple[str, int]]:
    """Other sites whose page template is within ``max_distance`` bits of one of this site's,
    nearest first: the near-duplicate lookup behind "these shops use one template"."""
    query = (
        select(Site.key, Selector.value)
        .join(SiteSelector, SiteSelector.site_id == Site.id)
        .join(Selector, Selector.id == SiteSelector.selector_id)
        .where(Selector.kind == "template")
    )
    index = BandedIndex.for_distance(max_distance)
    own: list[int] = []
    with engine.connect() as connection:
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
