"""The PDQ index is exact: it finds every stored hash within the radius and nothing else.

Checked against a brute-force oracle in plain Python on planted near-copies at every
distance across the threshold (0-40), on random data, after incremental adds that split
the index into segments, after a save and load, and with the NumPy fallback that runs when
the C core could not be built.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.typing import NDArray

from hotline.hashes import pdq_index
from hotline.hashes.pdq_index import COMPILED, PdqIndex, as_hashes, chunk_widths


def oracle(
    stored: NDArray[np.uint8], ids: list[int], queries: NDArray[np.uint8], radius: int
) -> set[tuple[int, int, int]]:
    values = [int.from_bytes(row.tobytes(), "big") for row in stored]
    found = set()
    for q, row in enumerate(queries):
        query = int.from_bytes(row.tobytes(), "big")
        for value, entry in zip(values, ids, strict=True):
            distance = (value ^ query).bit_count()
            if distance <= radius:
                found.add((q, entry, distance))
    return found


def near_copies(stored: NDArray[np.uint8], rng: np.random.Generator) -> NDArray[np.uint8]:
    """One query per distance 0-40 (each from a random stored hash), plus random ones."""
    queries = []
    for distance in range(41):
        row = stored[rng.integers(len(stored))].copy()
        for bit in rng.choice(256, distance, replace=False).tolist():
            row[bit >> 3] ^= np.uint8(1 << (bit & 7))
        queries.append(row)
    queries += list(rng.integers(0, 256, (20, 32), dtype=np.uint8))
    return np.array(queries, dtype=np.uint8)


@pytest.fixture(params=["compiled", "numpy"])
def engine(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    if request.param == "compiled":
        if not COMPILED:
            pytest.skip("the C core was not built on this machine (no compiler at install)")
    else:
        monkeypatch.setattr(pdq_index, "_pdqmih", None)
    return str(request.param)


def test_the_c_core_is_built_where_ci_runs() -> None:
    if os.environ.get("CI") == "true":
        assert COMPILED, "CI machines have a compiler: the C core must be built and tested"


def test_every_planted_near_copy_within_the_radius_is_found_and_none_beyond(
    engine: str,
) -> None:
    rng = np.random.default_rng(7)
    stored = rng.integers(0, 256, (3000, 32), dtype=np.uint8)
    ids = [10_000 + i for i in range(len(stored))]
    queries = near_copies(stored, rng)
    index = PdqIndex()
    index.add(stored, ids)
    found = index.search(queries, 31).pairs()
    assert found == oracle(stored, ids, queries, 31)
    distances = {d for _q, _i, d in found}
    assert 31 in distances or 30 in distances  # the threshold itself was exercised
    assert all(d <= 31 for d in distances)
    # the planted copies at 0-31 bits are each found; those at 32-40 are not
    planted = {q for q, _i, d in found if q < 41}
    assert set(range(32)) <= planted


def test_families_of_near_duplicates_are_all_found(engine: str) -> None:
    rng = np.random.default_rng(3)
    base = rng.integers(0, 256, (40, 32), dtype=np.uint8)
    stored = np.repeat(base, 25, axis=0)
    flips = np.packbits(rng.random((len(stored), 256)) < 0.06, axis=1)
    stored ^= flips  # each member about 15 bits from its base
    ids = list(range(len(stored)))
    index = PdqIndex()
    index.add(stored, ids)
    queries = base[:10]
    assert index.search(queries, 31).pairs() == oracle(stored, ids, queries, 31)


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    size=st.integers(0, 300),
    radius=st.integers(0, 64),
    batches=st.integers(1, 4),
)
def test_any_collection_any_radius_equals_brute_force(
    seed: int, size: int, radius: int, batches: int
) -> None:
    rng = np.random.default_rng(seed)
    stored = rng.integers(0, 256, (size, 32), dtype=np.uint8)
    if size:
        # near-duplicates make the chunk tables skewed, as real collections do
        stored[size // 2 :] = stored[: size - size // 2] ^ np.packbits(
            rng.random((size - size // 2, 256)) < 0.05, axis=1
        )
    ids = list(range(size))
    index = PdqIndex()
    for part in np.array_split(np.arange(size), batches):
        index.add(stored[part], [ids[i] for i in part.tolist()])
    queries = near_copies(stored, rng) if size else rng.integers(0, 256, (5, 32), np.uint8)
    assert index.search(queries, radius).pairs() == oracle(stored, ids, queries, radius)


def test_adding_makes_segments_and_merges_them_without_losing_anything(engine: str) -> None:
    rng = np.random.default_rng(11)
    stored = rng.integers(0, 256, (5000, 32), dtype=np.uint8)
    ids = list(range(5000))
    index = PdqIndex()
    index.add(stored[:4000], ids[:4000])
    index.add(stored[4000:4500], ids[4000:4500])  # small: a segment of its own
    assert index.segments == 2
    index.add(stored[4500:], ids[4500:])  # the two small ones reach a quarter: merged
    assert index.segments == 1
    assert len(index) == 5000
    queries = near_copies(stored, rng)
    assert index.search(queries, 31).pairs() == oracle(stored, ids, queries, 31)


def test_save_and_load_give_the_same_answers(tmp_path: Path) -> None:
    rng = np.random.default_rng(5)
    stored = rng.integers(0, 256, (1500, 32), dtype=np.uint8)
    index = PdqIndex()
    index.add(stored[:1000], range(1000))
    index.add(stored[1000:], range(1000, 1500))
    path = tmp_path / "list.pdqindex"
    index.save(path)
    again = PdqIndex.load(path)
    queries = near_copies(stored, rng)
    assert again.search(queries).pairs() == index.search(queries).pairs()
    assert len(again) == 1500
    data = path.read_bytes()
    assert b"pickle" not in data
    assert data[:8] == b"HLPDQ001"


def test_a_truncated_or_foreign_file_is_refused_with_its_name(tmp_path: Path) -> None:
    index = PdqIndex()
    index.add(np.zeros((3, 32), dtype=np.uint8), [1, 2, 3])
    path = tmp_path / "list.pdqindex"
    index.save(path)
    path.write_bytes(path.read_bytes()[:-5])
    with pytest.raises(ValueError, match=r"list\.pdqindex: .* bytes"):
        PdqIndex.load(path)
    path.write_bytes(b"not an index at all")
    with pytest.raises(ValueError, match="not a PDQ index file"):
        PdqIndex.load(path)
    path.write_bytes(b"")
    with pytest.raises(ValueError, match="too short"):
        PdqIndex.load(path)


def test_hex_input_and_its_errors() -> None:
    value = "f" * 64
    index = PdqIndex()
    index.add([value, "0" * 64], [7, 8])
    found = index.search(["f" * 63 + "e"], 1)
    assert found.pairs() == {(0, 7, 1)}
    with pytest.raises(ValueError, match="64 hexadecimal characters"):
        as_hashes(["abc"])
    with pytest.raises(ValueError, match="2 hashes but 1 ids"):
        index.add([value, value], [1])
    with pytest.raises(ValueError, match="radius"):
        index.search([value], 256)  # distances travel as one byte: 256 would read as 0
    assert len(PdqIndex().search([value])) == 0


def test_chunks_cover_every_bit_and_grow_with_the_collection() -> None:
    for count in (0, 1, 1000, 1_000_000, 10_000_000, 10**9):
        widths = chunk_widths(count)
        assert sum(widths) == 256
        assert max(widths) - min(widths) <= 1
        assert 1 <= len(widths) <= 32
    assert len(chunk_widths(10_000_000)) < len(chunk_widths(1000))


@pytest.mark.parametrize("size", [50, 3000, 70_000])
def test_differences_spread_evenly_over_every_chunk_are_found(engine: str, size: int) -> None:
    """The worst case for multi-index hashing: the differing bits are spaced evenly, so no
    chunk is left with fewer than its share; a probe radius one too small misses them."""
    rng = np.random.default_rng(size)
    stored = rng.integers(0, 256, (size, 32), dtype=np.uint8)
    queries = []
    for distance in range(41):
        for phase in range(3):
            row = stored[(distance * 3 + phase) % size].copy()
            for j in range(distance):
                bit = (j * 256 // max(distance, 1) + phase) % 256
                row[bit >> 3] ^= np.uint8(1 << (bit & 7))
            queries.append(row)
    query_array = np.array(queries, dtype=np.uint8)
    index = PdqIndex()
    index.add(stored, range(size))
    found = index.search(query_array, 31).pairs()
    if size <= 3000:
        assert found == oracle(stored, list(range(size)), query_array, 31)
    planted = {(q, (q // 3 * 3 + q % 3) % size) for q in range(len(queries)) if q // 3 <= 31}
    assert planted <= {(q, i) for q, i, _d in found}
    assert all(d <= 31 for _q, _i, d in found)
