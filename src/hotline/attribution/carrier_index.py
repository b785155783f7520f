"""Every value's carriers and every site's stored answer, in memory: what a page of ``why``
evidence asks of the store, answered from arrays.

``why`` weighs each of a site's values by its carriers: how many there are, how many are
clean, how they fall over brands and distributors, and the first few by key (examples).
Asked of the database, that is a few queries per value, and for a value carried by tens of
thousands of sites (a shared nameserver, a kit default) a query can take a tenth of a
second: a site page of a large store spent most of its time there. A web server builds this
index once per attribution run (seconds on a medium store: the same link table the run
reads) and answers those questions with array operations, the same answers as the queries
(``tests/test_attribution.py`` and ``tests/test_web.py`` hold them equal on both engines).

It is only used while it is current: built for one *version* of the store (the run, the
newest capture, medium and hosting observation; see ``queries._version``), it answers
nothing once the store has moved on, and the queries answer until a new one is built. On
PostgreSQL two imports may commit out of id order, so there an index also expires after
``EXPIRES_PG`` seconds, like the queries' own caches.
"""

from __future__ import annotations

import bisect
import logging
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import Engine, func, select

from hotline.attribution.links import link_table
from hotline.attribution.models import Brand, SiteAttribution
from hotline.attribution.table import Ints, LinkTable
from hotline.captures.models import SiteSelector
from hotline.intake.models import Site

NONE = -1  # no brand, no distributor
_KEEP_FROM = 1_000  # carriers from which a value's counts are kept once counted
EXPIRES_PG = 300.0  # seconds an index of a PostgreSQL store is trusted without a newer import

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class CarrierCounts:
    """A value's carriers that have a stored answer: in all, clean ones, per brand and per
    distributor, distinct brands and clusters (a distributor, or a brand without one), and
    the first six by key."""

    carriers: int
    clean: int
    brands: int
    clusters: int
    per_brand: dict[int, int]
    per_distributor: dict[int, int]
    first: list[str]


@dataclass(eq=False)
class CarrierIndex:
    version: tuple[Any, ...]
    table: LinkTable
    answered: NDArray[np.bool_]  # per site of the table: has a stored answer
    clean: NDArray[np.bool_]
    brand: Ints  # NONE when the answer names no brand
    distributor: Ints
    selector_sites: Ints  # per selector id: how many sites carry it (all, answered or not)
    expires: float = math.inf  # time.monotonic() after which it is rebuilt
    _counted: dict[tuple[str, str], CarrierCounts] = field(default_factory=dict, repr=False)

    @classmethod
    def build(cls, engine: Engine, version: tuple[Any, ...], noise_below: float) -> CarrierIndex:
        """The store's links and stored answers; ``noise_below`` is the run's threshold of
        a clean carrier (its commercial score)."""
        table = link_table(engine)
        position = {key: i for i, key in enumerate(table.sites)}
        size = len(table.sites)
        answered = np.zeros(size, dtype=np.bool_)
        clean = np.zeros(size, dtype=np.bool_)
        brand = np.full(size, NONE, dtype=np.int64)
        distributor = np.full(size, NONE, dtype=np.int64)
        query = (
            select(Site.key, SiteAttribution.brand_id, Brand.distributor_id,
                   SiteAttribution.candidate, SiteAttribution.commercial_score)
            .join(Site, Site.id == SiteAttribution.site_id)
            .outerjoin(Brand, Brand.id == SiteAttribution.brand_id)
        )  # fmt: skip
        with engine.connect() as connection:
            per_selector = connection.execute(
                select(SiteSelector.selector_id, func.count()).group_by(SiteSelector.selector_id)
            ).all()
            for key, brand_id, distributor_id, candidate, score in connection.execute(query):
                at = position.get(key)
                if at is None:  # a site with no link carries no value: never asked about
                    continue
                answered[at] = True
                clean[at] = bool(candidate) or (score or 0.0) >= noise_below - 1e-9
                if brand_id is not None:
                    brand[at] = brand_id
                    if distributor_id is not None:
                        distributor[at] = distributor_id
        selector_sites = np.zeros(max((sid for sid, _n in per_selector), default=0) + 1, np.int64)
        for sid, count in per_selector:
            selector_sites[sid] = count
        return cls(version, table, answered, clean, brand, distributor, selector_sites)

    def selector_carriers(self, selector_id: int) -> int | None:
        """How many sites carry a captured value (by its id); None if unknown here."""
        if 0 <= selector_id < len(self.selector_sites) and self.selector_sites[selector_id]:
            return int(self.selector_sites[selector_id])
        return None

    def _carriers(self, kind: str, value: str) -> Ints | None:
        """The value's carriers with a stored answer, in key order; None if unknown."""
        values = self.table.values
        at = bisect.bisect_left(values, (kind, value))
        if at == len(values) or values[at] != (kind, value):
            return None
        sites = self.table.carriers(at)  # ascending positions: key order
        kept: Ints = sites[self.answered[sites]]
        return kept

    def counts(self, kind: str, value: str) -> CarrierCounts | None:
        found = self._counted.get((kind, value))
        if found is not None:
            return found
        sites = self._carriers(kind, value)
        if sites is None:
            return None
        brands = self.brand[sites]
        distributors = self.distributor[sites]
        branded = brands != NONE
        per_brand = _tally(brands[branded])
        with_distributor = distributors != NONE
        per_distributor = _tally(distributors[with_distributor])
        alone = _tally(brands[branded & ~with_distributor])
        counted = CarrierCounts(
            carriers=len(sites),
            clean=int(np.count_nonzero(self.clean[sites])),
            brands=len(per_brand),
            clusters=len(per_distributor) + len(alone),
            per_brand=per_brand,
            per_distributor=per_distributor,
            first=[self.table.sites[s] for s in sites[:6].tolist()],
        )
        if len(sites) >= _KEEP_FROM:  # the widely carried ones come back on many pages
            self._counted[(kind, value)] = counted
        return counted

    def first_of(
        self, kind: str, value: str, count: int, *, brand: int | None = None,
        distributor: int | None = None,
    ) -> list[str] | None:  # fmt: skip
        """The first ``count`` carriers (by key) of one brand's or one distributor's."""
        sites = self._carriers(kind, value)
        if sites is None:
            return None
        if brand is not None:
            sites = sites[self.brand[sites] == brand]
        if distributor is not None:
            sites = sites[self.distributor[sites] == distributor]
        return [self.table.sites[s] for s in sites[:count].tolist()]


def _tally(codes: Ints) -> dict[int, int]:
    """Code → how often, for non-negative codes (ids): counted, not sorted (a value on
    100,000 sites is tallied in a millisecond)."""
    if len(codes) == 0:
        return {}
    counts = np.bincount(codes)
    found = np.flatnonzero(counts)
    return dict(zip(found.tolist(), counts[found].tolist(), strict=True))


class CarrierIndexes:
    """The current index of each store this process serves, built in the background: a
    request never waits for one (it asks the database meanwhile). A build starts once the
    store's version has stayed the same for ``settle`` seconds: an attribution run commits
    once and is indexed seconds later, while an import that commits batch after batch is
    indexed when it is done, not after every batch."""

    def __init__(self, settle: float = 5.0) -> None:
        self._lock = threading.Lock()
        self._built: dict[str, CarrierIndex] = {}
        self._building: set[str] = set()
        # the stores served: their engine, and how to read their version (after a build, to
        # keep it only if nothing was imported meanwhile)
        self._stores: dict[str, tuple[Engine, Callable[[Engine], tuple[Any, ...]]]] = {}
        self._seen: dict[str, tuple[tuple[Any, ...], float]] = {}  # version, first seen
        self._generation = 0  # forget() starts a new one: a build begun before stores nothing
        self.settle = settle

    def current(
        self, where: str, version: tuple[Any, ...], noise_below: float
    ) -> CarrierIndex | None:
        """The index of ``version``, or None: then, if this store is served, one is built
        for it once it has settled."""
        with self._lock:
            found = self._built.get(where)
            if found is not None and found.version == version and time.monotonic() < found.expires:
                return found
            if where not in self._stores or where in self._building:
                return None
            now = time.monotonic()
            seen = self._seen.get(where)
            if seen is None or seen[0] != version:
                self._seen[where] = (version, now)
                if self.settle > 0:
                    return None
            elif now - seen[1] < self.settle:
                return None
            self._building.add(where)
        threading.Thread(
            target=self._build,
            args=(where, version, noise_below),
            name="hotline-carrier-index",
            daemon=True,
        ).start()
        return None

    def build_now(
        self,
        where: str,
        engine: Engine,
        version: tuple[Any, ...],
        noise_below: float,
        version_of: Callable[[Engine], tuple[Any, ...]],
    ) -> None:
        """Serve this store from now on (a web server does; a command asks the database),
        its index of ``version`` built before this returns."""
        with self._lock:
            self._stores[where] = (engine, version_of)
            if where in self._building:
                return
            self._building.add(where)
        self._build(where, version, noise_below)

    def _build(self, where: str, version: tuple[Any, ...], noise_below: float) -> None:
        with self._lock:
            generation = self._generation
            engine, version_of = self._stores[where]
        try:
            index = CarrierIndex.build(engine, version, noise_below)
            if engine.dialect.name == "postgresql":
                index.expires = time.monotonic() + EXPIRES_PG
            # read in several statements: kept only if nothing was imported meanwhile
            if version_of(engine) == version:
                with self._lock:
                    if generation == self._generation:
                        self._built[where] = index
        except Exception:  # a page still answers from the database
            log.warning("building the carrier index failed", exc_info=True)
        finally:
            with self._lock:
                self._building.discard(where)

    def forget(self) -> None:
        """Drop every index and store (a server that stops; tests)."""
        with self._lock:
            self._generation += 1
            self._built.clear()
            self._stores.clear()
            self._seen.clear()
            self._building.clear()


INDEXES = CarrierIndexes()
