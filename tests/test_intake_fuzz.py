"""Mutated report feeds through the real reader and validation: nothing escapes, nothing
runs long. The same seeds and mutations as ``benchmarks/fuzz_reports.py`` (whose documented
run reads a million feeds), drawn by hypothesis so a failure shrinks."""

from __future__ import annotations

import random
import re
import time
from pathlib import Path

import pytest
from benchmarks.fuzz_reports import _CSV, _JSONL, mutate, read_feed
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

BUDGET_SECONDS = 2.0  # per input; the benchmark's documented run holds 1 s


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(["csv", "jsonl"]), st.integers(0, 2**32 - 1))
def test_mutated_feeds_never_crash_the_reader(
    tmp_path_factory: pytest.TempPathFactory, fmt: str, seed: int
) -> None:
    path = tmp_path_factory.mktemp("feed") / f"feed.{fmt}"
    data = mutate(random.Random(seed), _CSV if fmt == "csv" else _JSONL)
    path.write_bytes(data)
    started = time.perf_counter()
    items = read_feed(path, fmt)
    assert time.perf_counter() - started < BUDGET_SECONDS
    # nothing lost: a line after a CSV header (any line of JSON Lines) with more than
    # blanks and quotes in it gives a record or a located refusal
    lines = [line for line in re.split(rb"\r\n|\r|\n", data) if re.sub(rb'[\s"]', b"", line)]
    if len(lines) >= (2 if fmt == "csv" else 1):
        assert items >= 1


@given(st.sampled_from(["csv", "jsonl"]), st.binary(max_size=2048))
def test_arbitrary_bytes_never_crash_the_reader(
    tmp_path_factory: pytest.TempPathFactory, fmt: str, data: bytes
) -> None:
    path: Path = tmp_path_factory.mktemp("bytes") / "feed"
    path.write_bytes(data)
    read_feed(path, fmt)
