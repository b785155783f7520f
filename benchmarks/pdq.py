"""PDQ radius search: hotline's index against FAISS, measured in the same run.

    python -m benchmarks.pdq                       # 1M and 10M, random and clustered
    python -m benchmarks.pdq --sizes 1000000 --queries 2000

Per collection (``random``: uniform 256-bit hashes; ``clustered``: families of
near-duplicates as real collections hold — a base hash and members 0-24 bits from it):
build time, index memory, queries per second at distance 31 (one thread, and as many
threads as cores), recall against FAISS ``IndexBinaryFlat`` (exact brute force), the time to
add 100,000 hashes, and the baselines: ``IndexBinaryFlat`` and ``IndexBinaryMultiHash`` as
python-threatexchange's ``PDQIndex`` sets it up (16 hash maps of 16 bits, ``nflip`` =
31 // 16). Half of the queries are near-copies of stored hashes (0-40 bits away: across the
threshold), half random. FAISS (``pip install faiss-cpu``) is a benchmark dependency only;
without it the baselines are skipped, said so.

One JSON line per measurement on stdout.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import resource
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
from numpy.typing import NDArray

from hotline.hashes.pdq_index import COMPILED, PdqIndex

RADIUS = 31


def flip(hashes: NDArray[np.uint8], bits: NDArray[np.int64], rng: np.random.Generator) -> None:
    """Flip ``bits[i]`` distinct random bits of row ``i``, in place."""
    for row, count in enumerate(bits.tolist()):
        for bit in rng.choice(256, count, replace=False).tolist():
            hashes[row, bit >> 3] ^= np.uint8(1 << (bit & 7))


def collection(kind: str, size: int, rng: np.random.Generator) -> NDArray[np.uint8]:
    if kind == "random":
        return rng.integers(0, 256, (size, 32), dtype=np.uint8)
    # families of about ten members, each member within 0-24 bits of its family's base
    bases = rng.integers(0, 256, (size // 10 + 1, 32), dtype=np.uint8)
    members = np.empty((size, 32), dtype=np.uint8)
    step = 500_000  # bounded temporary memory
    for start in range(0, size, step):
        count = min(step, size - start)
        block = bases[rng.integers(0, len(bases), count)]
        share = rng.integers(0, 25, count)[:, None] / 256.0
        flips = np.packbits(rng.random((count, 256), dtype=np.float32) < share, axis=1)
        members[start : start + count] = block ^ flips
    return members


def queries_for(
    stored: NDArray[np.uint8], count: int, rng: np.random.Generator
) -> NDArray[np.uint8]:
    near = stored[rng.integers(0, len(stored), count // 2)].copy()
    flip(near, rng.integers(0, 41, len(near)), rng)
    far = rng.integers(0, 256, (count - len(near), 32), dtype=np.uint8)
    return np.concatenate([near, far])


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed(fn: Callable[[], Any]) -> tuple[Any, float]:
    started = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - started


def threaded_search(index: PdqIndex, queries: NDArray[np.uint8], threads: int) -> float:
    parts = np.array_split(queries, threads * 8)
    started = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(lambda part: index.search(part, RADIUS), parts))
    return time.perf_counter() - started


def faiss_pairs(limits: Any, distances: Any, ids: Any) -> set[tuple[int, int, int]]:
    out: set[tuple[int, int, int]] = set()
    for q in range(len(limits) - 1):
        for k in range(int(limits[q]), int(limits[q + 1])):
            out.add((q, int(ids[k]), int(distances[k])))
    return out


def measure(kind: str, size: int, query_count: int, seed: int) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    stored = collection(kind, size, rng)
    queries = queries_for(stored, query_count, rng)
    row: dict[str, Any] = {"collection": kind, "size": size, "queries": query_count}
    index = PdqIndex()
    _, row["build_s"] = timed(lambda: index.add(stored, np.arange(size, dtype=np.int64)))
    row["index_mb"] = round(index.nbytes() / 2**20)
    row["raw_mb"] = round(stored.nbytes / 2**20)
    found, seconds = timed(lambda: index.search(queries, RADIUS))
    row["qps_1_thread"] = round(query_count / seconds)
    cores = os.cpu_count() or 1
    row["threads"] = cores
    row[f"qps_{cores}_threads"] = round(query_count / threaded_search(index, queries, cores))
    row["matches"] = len(found)
    extra = collection(kind, 100_000, rng)
    _, row["add_100k_s"] = timed(
        lambda: index.add(extra, np.arange(size, size + len(extra), dtype=np.int64))
    )
    row["segments_after_add"] = index.segments
    row["compiled"] = COMPILED
    try:  # a benchmark dependency only, typed or not: imported by name
        faiss: Any = importlib.import_module("faiss")
    except ImportError:
        row["faiss"] = "not installed: pip install faiss-cpu for the baselines"
        return row
    faiss.omp_set_num_threads(1)
    flat = faiss.IndexBinaryFlat(256)
    flat.add(stored)
    # FAISS range search keeps distances strictly below its radius
    result, seconds = timed(lambda: flat.range_search(queries, RADIUS + 1))
    row["faiss_flat_qps_1_thread"] = round(query_count / seconds)
    oracle = faiss_pairs(*result)
    ours = found.pairs()
    row["recall"] = round(len(ours & oracle) / max(len(oracle), 1), 6)
    row["exact"] = ours == oracle
    row["speedup_vs_faiss_flat"] = round(row["qps_1_thread"] / row["faiss_flat_qps_1_thread"], 1)
    flat.reset()  # its memory back before the next baseline
    multi = faiss.IndexBinaryMultiHash(256, 16, 16)  # python-threatexchange's PDQIndex
    _, row["faiss_multihash_build_s"] = timed(lambda: multi.add(stored))
    multi.nflip = RADIUS // 16
    result, seconds = timed(lambda: multi.range_search(queries, RADIUS + 1))
    row["faiss_multihash_qps_1_thread"] = round(query_count / seconds)
    row["faiss_multihash_recall"] = round(
        len(faiss_pairs(*result) & oracle) / max(len(oracle), 1), 6
    )
    row["speedup_vs_faiss_multihash"] = round(
        row["qps_1_thread"] / row["faiss_multihash_qps_1_thread"], 1
    )
    row["peak_rss_mb"] = round(rss_mb())
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--collections", nargs="+", default=["random", "clustered"])
    parser.add_argument("--queries", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    for size in args.sizes:
        for kind in args.collections:
            print(json.dumps(measure(kind, size, args.queries, args.seed)), flush=True)


if __name__ == "__main__":
    main()
