"""Mutated WARC bytes through the whole reading path: nothing escapes, nothing runs long.

The same seeds and mutations as ``benchmarks/fuzz_captures.py`` (whose documented run reads
a million inputs), drawn by hypothesis here so a failure shrinks to a small input.
"""

from __future__ import annotations

import random
import time

from benchmarks.fuzz_captures import mutate, read_all, seeds
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hotline.captures.extractors import default_extractors

SEEDS = seeds()
EXTRACTORS = default_extractors()
BUDGET_SECONDS = 2.0  # per input; the benchmark's documented run holds 1 s


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, len(SEEDS) - 1), st.integers(0, 2**32 - 1), st.booleans())
def test_mutated_warc_bytes_never_crash_the_reader(index: int, seed: int, glue: bool) -> None:
    rng = random.Random(seed)
    data = SEEDS[index] + (SEEDS[(index + 1) % len(SEEDS)] if glue else b"")
    data = mutate(rng, data)
    started = time.perf_counter()
    found = read_all(data, EXTRACTORS)  # type: ignore[arg-type]
    assert time.perf_counter() - started < BUDGET_SECONDS
    for page in found.pages:  # whatever came in, what is kept is clean text
        assert page.title is None or "\x1b" not in page.title
        assert all("\x00" not in s.value for s in page.selectors)


@given(st.binary(max_size=4096))
def test_arbitrary_bytes_never_crash_the_reader(data: bytes) -> None:
    read_all(data, EXTRACTORS)  # type: ignore[arg-type]
