"""An exact PDQ index: every stored hash within a Hamming radius of a query, none missed.

Design (docs/hashes.md has the measurements):

- **Multi-index hashing.** A 256-bit hash is cut into ``m`` chunks; two hashes within
  distance ``R`` agree on at least one chunk to within ``R // m`` bits (pigeonhole). Each
  chunk has an inverted table — a counting sort of the ids by chunk value, one offset per
  possible value — so a query probes, per chunk, every value within ``R // m`` bits of its
  own and verifies each candidate on all 256 bits. Exact by construction: the tests compare
  it with a brute-force oracle. Chunks are about ``log2(n)`` bits wide, so a probe finds
  about one stored hash on random data.
- **Segments, not rebuilds.** Adding hashes makes a new segment; a segment is merged with
  the previous one only when it has grown to a quarter of its size (as log-structured
  stores do), so adding 100,000 hashes to ten million builds 100,000, not ten million.
- **Memory.** The raw 32 bytes per hash, an 8-byte entry id, and per chunk a 4-byte
  position (about 11 chunks at ten million): no copies of the hashes, nothing pickled.
- **A C core** (``_pdqmih``, built at install) does the probing and verifying with the
  processor's popcount and releases the GIL, so threads share the cores. Without a compiler
  the install still succeeds and a NumPy brute-force scan gives the same answers, slower
  (``COMPILED`` says which one runs).

Persisted as a plain file (``save``/``load``): a header, the raw hashes, the ids; the chunk
tables are rebuilt on load (a counting sort: about a second for ten million).
"""

from __future__ import annotations

import math
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

try:
    from hotline.hashes import _pdqmih  # type: ignore[attr-defined]

    COMPILED = True
except ImportError:  # no compiler at install time: the NumPy scan below
    _pdqmih = None
    COMPILED = False

HASH_BYTES = 32
DEFAULT_RADIUS = 31  # the distance PDQ's authors and the hash-sharing programmes match at
MERGE_RATIO = 4  # a segment joins the one before it once it is a quarter of that one's size
_MAGIC = b"HLPDQ001"
_HEADER = struct.Struct("<8sQ")

Hashes = NDArray[np.uint8]


def as_hashes(values: Sequence[str] | Hashes) -> Hashes:
    """Hashes as an ``(n, 32)`` array of bytes: from 64-character hex strings (most
    significant bit first, as PDQ writes them) or an array already in that shape."""
    if isinstance(values, np.ndarray):
        array = np.ascontiguousarray(values, dtype=np.uint8)
        if array.ndim != 2 or array.shape[1] != HASH_BYTES:
            raise ValueError(f"hashes must be an (n, 32) array of bytes, got {array.shape}")
        return array
    raw = bytearray()
    for text in values:
        if len(text) != 2 * HASH_BYTES:
            raise ValueError(f"a PDQ hash is 64 hexadecimal characters, got {len(text)}")
        raw += bytes.fromhex(text)
    return np.frombuffer(bytes(raw), dtype=np.uint8).reshape(-1, HASH_BYTES)


def chunk_widths(count: int) -> bytes:
    """About ``log2(count)`` bits per chunk (8 to 24), as even as 256 bits allow."""
    bits = min(24, max(8, math.ceil(math.log2(max(count, 2)))))
    chunks = math.ceil(256 / bits)
    base, extra = divmod(256, chunks)
    return bytes([base + 1] * extra + [base] * (chunks - extra))


@dataclass(frozen=True, slots=True)
class Matches:
    """Each found pair: the query's position, the stored entry's id and their distance."""

    query: NDArray[np.int64]
    id: NDArray[np.int64]
    distance: NDArray[np.uint8]

    def __len__(self) -> int:
        return len(self.query)

    def pairs(self) -> set[tuple[int, int, int]]:
        return set(zip(self.query.tolist(), self.id.tolist(), self.distance.tolist(), strict=True))


class _Segment:
    """Hashes and their chunk tables; immutable once built."""

    def __init__(self, hashes: Hashes, ids: NDArray[np.int64]) -> None:
        self.hashes = hashes
        self.ids = ids
        self.widths = chunk_widths(len(hashes))
        self.offsets: NDArray[np.uint32] | None = None
        self.chunk_ids: NDArray[np.uint32] | None = None
        if _pdqmih is not None:
            total = sum((1 << w) + 1 for w in self.widths)
            self.offsets = np.empty(total, dtype=np.uint32)
            self.chunk_ids = np.empty(len(self.widths) * len(hashes), dtype=np.uint32)
            _pdqmih.build(self.hashes, self.widths, self.offsets, self.chunk_ids)

    def __len__(self) -> int:
        return len(self.hashes)

    def nbytes(self) -> int:
        extra = (
            0
            if self.offsets is None or self.chunk_ids is None
            else (self.offsets.nbytes + self.chunk_ids.nbytes)
        )
        return self.hashes.nbytes + self.ids.nbytes + extra

    def search(self, queries: Hashes, radius: int) -> tuple[Any, Any, Any]:
        if self.offsets is not None and self.chunk_ids is not None and _pdqmih is not None:
            q, i, d = _pdqmih.search(
                self.hashes, self.widths, self.offsets, self.chunk_ids, queries, radius
            )
            # (no match at all comes back as None: the C side had nothing to hand over)
            found = np.frombuffer(i or b"", dtype=np.uint32)
            return (
                np.frombuffer(q or b"", dtype=np.uint32),
                self.ids[found],
                np.frombuffer(d or b"", dtype=np.uint8),
            )
        return _scan(self.hashes, self.ids, queries, radius)


_POPCOUNT = np.array([bin(b).count("1") for b in range(256)], dtype=np.uint8)


def _scan(
    hashes: Hashes, ids: NDArray[np.int64], queries: Hashes, radius: int
) -> tuple[Any, Any, Any]:
    """Brute force with NumPy (exact; the fallback and the benchmarks' floor)."""
    found_q: list[NDArray[np.int64]] = []
    found_i: list[NDArray[np.int64]] = []
    found_d: list[NDArray[np.uint8]] = []
    step = max(1, 4_000_000 // max(len(hashes), 1))  # bounded temporary memory
    for start in range(0, len(queries), step):
        block = queries[start : start + step]
        xor = np.bitwise_xor(block[:, None, :], hashes[None, :, :])
        distance = _POPCOUNT[xor].sum(axis=2, dtype=np.uint16)
        q, i = np.nonzero(distance <= radius)
        found_q.append(q.astype(np.int64) + start)
        found_i.append(ids[i])
        found_d.append(distance[q, i].astype(np.uint8))
    if not found_q:
        empty = np.empty(0, dtype=np.int64)
        return empty, empty, np.empty(0, dtype=np.uint8)
    return np.concatenate(found_q), np.concatenate(found_i), np.concatenate(found_d)


class PdqIndex:
    """Stored PDQ hashes with entry ids; ``search`` returns every pair within a radius."""

    def __init__(self) -> None:
        self._segments: list[_Segment] = []

    def __len__(self) -> int:
        return sum(len(s) for s in self._segments)

    @property
    def segments(self) -> int:
        return len(self._segments)

    def nbytes(self) -> int:
        """Memory held by the index's arrays."""
        return sum(s.nbytes() for s in self._segments)

    def add(self, hashes: Sequence[str] | Hashes, ids: Sequence[int] | NDArray[np.int64]) -> None:
        """Add hashes with their entry ids (any 64-bit integers; duplicates allowed)."""
        array = as_hashes(hashes)
        id_array = np.ascontiguousarray(ids, dtype=np.int64)
        if len(id_array) != len(array):
            raise ValueError(f"{len(array)} hashes but {len(id_array)} ids")
        if not len(array):
            return
        self._segments.append(_Segment(array.copy(), id_array.copy()))
        while len(self._segments) >= 2 and len(self._segments[-1]) * MERGE_RATIO >= len(
            self._segments[-2]
        ):
            last, before = self._segments.pop(), self._segments.pop()
            self._segments.append(
                _Segment(
                    np.concatenate([before.hashes, last.hashes]),
                    np.concatenate([before.ids, last.ids]),
                )
            )

    def search(self, queries: Sequence[str] | Hashes, radius: int = DEFAULT_RADIUS) -> Matches:
        """Every (query position, entry id, distance) with distance ≤ ``radius``."""
        if not 0 <= radius <= 255:  # distances travel as one byte
            raise ValueError(f"radius must be between 0 and 255, got {radius}")
        array = as_hashes(queries)
        parts = [segment.search(array, radius) for segment in self._segments]
        if not parts:
            empty = np.empty(0, dtype=np.int64)
            return Matches(empty, empty, np.empty(0, dtype=np.uint8))
        return Matches(
            np.concatenate([np.asarray(p[0], dtype=np.int64) for p in parts]),
            np.concatenate([np.asarray(p[1], dtype=np.int64) for p in parts]),
            np.concatenate([np.asarray(p[2], dtype=np.uint8) for p in parts]),
        )

    def save(self, path: Path) -> None:
        """A plain file: header, raw hashes, ids (little-endian int64). Never pickled."""
        hashes = (
            np.concatenate([s.hashes for s in self._segments])
            if self._segments
            else np.empty((0, HASH_BYTES), dtype=np.uint8)
        )
        ids = (
            np.concatenate([s.ids for s in self._segments])
            if self._segments
            else np.empty(0, dtype=np.int64)
        )
        with path.open("wb") as handle:
            handle.write(_HEADER.pack(_MAGIC, len(hashes)))
            handle.write(hashes.tobytes())
            handle.write(ids.astype("<i8").tobytes())

    @classmethod
    def load(cls, path: Path) -> PdqIndex:
        """Read a file ``save`` wrote; a truncated or foreign file is refused, located."""
        data = path.read_bytes()
        if len(data) < _HEADER.size:
            raise ValueError(f"{path}: not a PDQ index file (too short)")
        magic, count = _HEADER.unpack_from(data)
        if magic != _MAGIC:
            raise ValueError(f"{path}: not a PDQ index file (header {magic!r})")
        expected = _HEADER.size + count * (HASH_BYTES + 8)
        if len(data) != expected:
            raise ValueError(f"{path}: {len(data)} bytes, a file of {count} hashes has {expected}")
        body = _HEADER.size + count * HASH_BYTES
        index = cls()
        index.add(
            np.frombuffer(
                data, dtype=np.uint8, count=count * HASH_BYTES, offset=_HEADER.size
            ).reshape(-1, HASH_BYTES),
            np.frombuffer(data, dtype="<i8", count=count, offset=body).astype(np.int64),
        )
        return index
