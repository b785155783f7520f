"""The mutation step shared by the fuzzers of the capture and report-feed readers."""

from __future__ import annotations

import random
from collections.abc import Sequence


def mutate(
    rng: random.Random,
    data: bytes,
    snippets: Sequence[bytes],
    *,
    longest_cut: int,
    longest_piece: int,
    most_copies: int,
    most_snippets: int,
) -> bytes:
    """``data`` with 1–8 random edits: a bit flipped, random bytes inserted, a run deleted,
    the tail cut off, a piece repeated, or a hostile snippet spliced in (repeated)."""
    buffer = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        choice = rng.randrange(7)
        at = rng.randrange(len(buffer) + 1)
        if choice == 0 and buffer:
            buffer[min(at, len(buffer) - 1)] ^= 1 << rng.randrange(8)
        elif choice == 1:
            buffer[at:at] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 8)))
        elif choice == 2:
            del buffer[at : at + rng.randint(1, longest_cut)]
        elif choice == 3:
            del buffer[at:]
        elif choice == 4:
            piece = buffer[at : at + rng.randint(1, longest_piece)]
            buffer[at:at] = piece * rng.randint(1, most_copies)
        else:
            buffer[at:at] = rng.choice(snippets) * rng.randint(1, most_snippets)
    return bytes(buffer)
