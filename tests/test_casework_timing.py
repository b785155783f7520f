"""Time to removal: exact bucket edges, medians and provider profiles."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hotline.casework.timing import (
    BUCKETS,
    Profile,
    bucket,
    bucket_counts,
    hours,
    median_hours,
    profile,
)

START = datetime(2024, 3, 1, 10, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("elapsed", "expected"),
    [
        (timedelta(0), "same-day"),
        (timedelta(hours=23, minutes=59, seconds=59), "same-day"),
        (timedelta(hours=24) - timedelta(microseconds=1), "same-day"),
        (timedelta(hours=24), "under-3-days"),
        (timedelta(hours=72) - timedelta(seconds=1), "under-3-days"),
        (timedelta(hours=72), "under-7-days"),
        (timedelta(hours=168) - timedelta(seconds=1), "under-7-days"),
        (timedelta(hours=168), "under-42-days"),
        (timedelta(hours=1008) - timedelta(seconds=1), "under-42-days"),
        (timedelta(hours=1008), "over-42-days"),
        (timedelta(days=400), "over-42-days"),
        (timedelta(hours=-5), "same-day"),  # removal stamped before the report: a clock
    ],
)
def test_bucket_edges(elapsed: timedelta, expected: str) -> None:
    assert bucket(START, START + elapsed) == expected


def test_not_removed() -> None:
    assert bucket(START, None) == "not-removed"


def test_buckets_are_in_order_of_time() -> None:
    assert BUCKETS == (
        "same-day",
        "under-3-days",
        "under-7-days",
        "under-42-days",
        "over-42-days",
        "not-removed",
    )


def test_bucket_counts_name_every_bucket_in_order() -> None:
    counts = bucket_counts(
        [(START, START + timedelta(hours=1)), (START, None), (START, START + timedelta(days=2))]
    )
    assert list(counts) == list(BUCKETS)
    assert counts == {
        "same-day": 1,
        "under-3-days": 1,
        "under-7-days": 0,
        "under-42-days": 0,
        "over-42-days": 0,
        "not-removed": 1,
    }


def test_hours() -> None:
    assert hours(START, START + timedelta(minutes=90)) == 1.5
    assert hours(START + timedelta(hours=2), START) == -2.0


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([], None),
        ([5.0], 5.0),
        ([1.0, 2.0, 3.0], 2.0),
        ([1.0, 2.0], 1.5),
        ([1 / 3], 0.33),
        ([2 / 3, 1.0, 0.0], 0.67),
        ([float("nan"), 4.0], 4.0),
        ([float("nan")], None),
    ],
)
def test_median_hours(values: list[float], expected: float | None) -> None:
    assert median_hours(values) == expected


def test_profile() -> None:
    rows = [
        (START, START + timedelta(hours=2), False),
        (START, START + timedelta(hours=71, minutes=59), True),
        (START, START + timedelta(hours=72), False),
        (START, None, False),
        (START, None, True),
        (START, START + timedelta(days=50), False),
    ]
    assert profile(rows) == Profile(
        cases=6,
        removed=4,
        median_hours=71.99,  # of 2, 71.983, 72 and 1200 h: (71.983 + 72) / 2
        within_3_days=round(2 / 6, 4),
        never_removed=round(2 / 6, 4),
        reappeared=2,
    )


def test_profile_of_nothing() -> None:
    assert profile([]) == Profile(0, 0, None, 0.0, 0.0, 0)


def test_profile_reads_a_generator_once() -> None:
    rows = ((START, START + timedelta(hours=n), False) for n in range(3))
    assert profile(rows).cases == 3


# removal times up to twice the last edge either way, to the microsecond
_ELAPSED = st.timedeltas(min_value=timedelta(hours=-2016), max_value=timedelta(hours=2016))
_STARTS = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2090, 1, 1), timezones=st.just(UTC)
)


@given(_STARTS, _ELAPSED)
def test_bucket_is_total(start: datetime, elapsed: timedelta) -> None:
    assert bucket(start, start + elapsed) in BUCKETS[:-1]


@given(_STARTS, _ELAPSED, _ELAPSED)
def test_bucket_is_monotone_in_the_removal_time(
    start: datetime, first: timedelta, second: timedelta
) -> None:
    early, late = sorted((first, second))
    earlier = BUCKETS.index(bucket(start, start + early))
    later = BUCKETS.index(bucket(start, start + late))
    assert earlier <= later <= BUCKETS.index(bucket(start, None))


_ROWS = st.lists(
    st.tuples(_STARTS, st.one_of(st.none(), _ELAPSED), st.booleans()), max_size=40
).map(lambda rows: [(s, None if e is None else s + e, again) for s, e, again in rows])


@given(_ROWS)
def test_profile_shares_are_shares(
    rows: list[tuple[datetime, datetime | None, bool]],
) -> None:
    result = profile(rows)
    assert 0.0 <= result.within_3_days <= 1.0
    assert 0.0 <= result.never_removed <= 1.0
    assert result.within_3_days + result.never_removed <= 1.0 + 1e-4  # each rounded
    assert 0 <= result.removed <= result.cases == len(rows)
    assert 0 <= result.reappeared <= result.cases
    if result.removed:
        assert result.median_hours is not None
        assert math.isfinite(result.median_hours)
    else:
        assert result.median_hours is None
    # the profile and the buckets agree on what "within 3 days" is
    counts = bucket_counts((start, removed) for start, removed, _ in rows)
    fast = counts["same-day"] + counts["under-3-days"]
    assert result.within_3_days == (round(fast / len(rows), 4) if rows else 0.0)
    assert counts["not-removed"] == result.cases - result.removed
