"""Near-duplicate lookup for 64-bit fingerprints (template SimHashes) by Hamming distance.

Two indexes with one interface, ``add(key, fingerprint)`` and ``query(fingerprint,
max_distance) -> [(key, distance), ...]`` sorted by ``(distance, key)``:

- :class:`BruteForceIndex` scans every entry. It is the oracle: obviously right, O(n) a query.
- :class:`BandedIndex` is the LSH: the 64 bits are cut into ``k`` bands (contiguous bit
  ranges, as equal as possible), each band value is an exact-match bucket key, and a query
  only verifies the entries that share at least one band with it.

Why ``k`` bands find every pair within distance ``d < k`` (pigeonhole): two fingerprints at
Hamming distance ``d`` differ in ``d`` bit positions, and those ``d`` positions fall into at
most ``d`` of the ``k`` disjoint bands. With ``d <= k - 1`` at least one band holds none of
them, so the two fingerprints are equal on that band and meet in its bucket. Every candidate
is then checked with the exact distance, so results are exact, never approximate: the banded
index returns exactly what the brute-force one does for any ``max_distance <= k - 1``, and it
refuses larger distances rather than silently miss matches. More bands allow larger
distances but make bands narrower (``64 / k`` bits), so buckets get fuller and queries slower;
:meth:`BandedIndex.for_distance` picks the smallest ``k`` that is complete for a distance.
"""

from __future__ import annotations

from collections import defaultdict

__all__ = ["BandedIndex", "BruteForceIndex", "hamming"]

BITS = 64
_MASK = (1 << BITS) - 1


def hamming(a: int, b: int) -> int:
    """Number of differing bits of two 64-bit fingerprints."""
    return (a ^ b).bit_count()


def _check_fingerprint(fingerprint: int) -> int:
    if not 0 <= fingerprint <= _MASK:
        raise ValueError(f"fingerprint must be an unsigned 64-bit integer, got {fingerprint}")
    return fingerprint


def _check_distance(max_distance: int) -> None:
    if max_distance < 0:
        raise ValueError(f"max_distance must be >= 0, got {max_distance}")


def _sorted(hits: list[tuple[str, int]]) -> list[tuple[str, int]]:
    hits.sort(key=lambda hit: (hit[1], hit[0]))
    return hits


class BruteForceIndex:
    """Linear scan over every entry: the reference the banded index is tested against.

    Adding a key again replaces its fingerprint.
    """

    def __init__(self) -> None:
        self._entries: dict[str, int] = {}

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, key: object) -> bool:
        return key in self._entries

    def add(self, key: str, fingerprint: int) -> None:
        self._entries[key] = _check_fingerprint(fingerprint)

    def query(self, fingerprint: int, max_distance: int) -> list[tuple[str, int]]:
        """Entries within ``max_distance`` of ``fingerprint``, nearest first, then by key."""
        _check_fingerprint(fingerprint)
        _check_distance(max_distance)
        hits = []
        for key, value in self._entries.items():
            distance = (value ^ fingerprint).bit_count()
            if distance <= max_distance:
                hits.append((key, distance))
        return _sorted(hits)


class BandedIndex:
    """LSH over ``bands`` disjoint bit ranges; complete for ``max_distance <= bands - 1``.

    Adding a key again replaces its fingerprint (and moves it between buckets).
    """

    def __init__(self, bands: int = 8) -> None:
        if not 1 <= bands <= BITS:
            raise ValueError(f"bands must be between 1 and {BITS}, got {bands}")
        self.bands = bands
        # (shift, mask) per band: widths differ by at most one bit when bands does not divide 64.
        base, extra = divmod(BITS, bands)
        layout = []
        shift = 0
        for band in range(bands):
            width = base + (1 if band < extra else 0)
            layout.append((shift, (1 << width) - 1))
            shift += width
        self._layout: tuple[tuple[int, int], ...] = tuple(layout)
        self._buckets: list[defaultdict[int, set[str]]] = [defaultdict(set) for _ in layout]
        self._entries: dict[str, int] = {}

    @classmethod
    def for_distance(cls, max_distance: int) -> BandedIndex:
        """The index with the fewest (widest) bands that finds every pair within distance."""
        _check_distance(max_distance)
        return cls(bands=max_distance + 1)

    @property
    def max_distance(self) -> int:
        """The largest distance :meth:`query` answers completely (pigeonhole: bands - 1)."""
        return self.bands - 1

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, key: object) -> bool:
        return key in self._entries

    def _keys(self, fingerprint: int) -> list[int]:
        return [(fingerprint >> shift) & mask for shift, mask in self._layout]

    def add(self, key: str, fingerprint: int) -> None:
        _check_fingerprint(fingerprint)
        old = self._entries.get(key)
        if old == fingerprint:
            return
        if old is not None:
            for buckets, value in zip(self._buckets, self._keys(old), strict=True):
                members = buckets[value]
                members.discard(key)
                if not members:
                    del buckets[value]
        self._entries[key] = fingerprint
        for buckets, value in zip(self._buckets, self._keys(fingerprint), strict=True):
            buckets[value].add(key)

    def query(self, fingerprint: int, max_distance: int) -> list[tuple[str, int]]:
        """Entries within ``max_distance`` of ``fingerprint``, nearest first, then by key.

        Raises ValueError when ``max_distance >= bands``: the pigeonhole guarantee no longer
        holds there, and a silently incomplete answer is worse than none.
        """
        _check_fingerprint(fingerprint)
        _check_distance(max_distance)
        if max_distance > self.max_distance:
            raise ValueError(
                f"max_distance {max_distance} needs at least {max_distance + 1} bands; "
                f"this index has {self.bands} (complete up to {self.max_distance})"
            )
        candidates: set[str] = set()
        for buckets, value in zip(self._buckets, self._keys(fingerprint), strict=True):
            members = buckets.get(value)
            if members:
                candidates |= members
        entries = self._entries
        hits = []
        for key in candidates:
            distance = (entries[key] ^ fingerprint).bit_count()
            if distance <= max_distance:
                hits.append((key, distance))
        return _sorted(hits)
