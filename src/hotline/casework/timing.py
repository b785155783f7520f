"""Time to removal: buckets, medians and provider profiles.

The buckets are disjoint and measured from a start (the report, or the first notice):
same-day < 24 h <= under-3-days < 72 h <= under-7-days < 168 h <= under-42-days < 1008 h <=
over-42-days; a URL not removed is "not-removed". A removal recorded before the start (a
partner's clock, say) counts as same-day.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

BUCKETS = (
    "same-day",
    "under-3-days",
    "under-7-days",
    "under-42-days",
    "over-42-days",
    "not-removed",
)
# upper edges, exclusive; compared as timedeltas so an edge is exact to the microsecond
_EDGES = (
    (timedelta(hours=24), "same-day"),
    (timedelta(hours=72), "under-3-days"),
    (timedelta(hours=168), "under-7-days"),
    (timedelta(hours=1008), "under-42-days"),
)
_THREE_DAYS = timedelta(hours=72)


def hours(start: datetime, end: datetime) -> float:
    """Hours from ``start`` to ``end`` (negative when ``end`` is earlier)."""
    return (end - start).total_seconds() / 3600


def bucket(start: datetime, removed: datetime | None) -> str:
    """The bucket of a URL removed at ``removed`` (None: still up) counted from ``start``."""
    if removed is None:
        return "not-removed"
    elapsed = removed - start
    for edge, name in _EDGES:
        if elapsed < edge:
            return name
    return "over-42-days"


def bucket_counts(pairs: Iterable[tuple[datetime, datetime | None]]) -> dict[str, int]:
    """How many (start, removed) pairs fall in each bucket; every bucket present, in order."""
    counts = dict.fromkeys(BUCKETS, 0)
    for start, removed in pairs:
        counts[bucket(start, removed)] += 1
    return counts


def median_hours(values: Sequence[float]) -> float | None:
    """The median of ``values`` in hours, rounded to 0.01 h; None when there are none.

    NaN and infinities are left out: they have no place in an order.
    """
    finite = [value for value in values if math.isfinite(value)]
    if not finite:
        return None
    return round(statistics.median(finite), 2)


@dataclass(frozen=True)
class Profile:
    cases: int
    removed: int
    median_hours: float | None  # from start to removal, of the removed cases
    within_3_days: float  # share of all cases removed < 72 h after start, 4 decimals
    never_removed: float  # share of all cases not removed, 4 decimals
    reappeared: int


def profile(rows: Iterable[tuple[datetime, datetime | None, bool]]) -> Profile:
    """A provider's profile from its cases: (start, removed_at or None, reappeared)."""
    cases = removed = fast = reappeared = 0
    elapsed: list[float] = []
    for start, removed_at, again in rows:
        cases += 1
        reappeared += bool(again)
        if removed_at is None:
            continue
        removed += 1
        elapsed.append(hours(start, removed_at))
        fast += removed_at - start < _THREE_DAYS
    return Profile(
        cases=cases,
        removed=removed,
        median_hours=median_hours(elapsed),
        within_3_days=_share(fast, cases),
        never_removed=_share(cases - removed, cases),
        reappeared=reappeared,
    )


def _share(part: int, whole: int) -> float:
    return round(part / whole, 4) if whole else 0.0
