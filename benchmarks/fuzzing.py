"""The mutation step shared by the fuzzers of the capture and report-feed readers."""

from __future__ import annotations

import argparse
import random
import resource
import time
from collections.abc import Callable, Sequence
from pathlib import Path

OUT = Path(__file__).with_name("out") / "fuzz"
BUDGET_MB = 1024


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


def run(
    description: str,
    setup: Callable[[int], Callable[[random.Random], tuple[str, bytes]]],
    read: Callable[[str, bytes], object],
) -> None:
    """The fuzzers' command line: ``--count`` inputs from ``setup(seed)``'s maker, each read
    by ``read(suffix, data)`` under a per-input time budget and a run memory budget. The
    first crash and the first slow input are saved under ``benchmarks/out/fuzz/``; exit 1
    when there was either."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--count", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--max-seconds", type=float, default=1.0)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    make = setup(args.seed)
    crashes = breaches = 0
    slowest = 0.0
    OUT.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    for number in range(1, args.count + 1):
        suffix, data = make(rng)
        began = time.perf_counter()
        try:
            read(suffix, data)
        except Exception as error:  # a crash is what is being looked for
            crashes += 1
            if crashes == 1:
                (OUT / f"crash.{suffix}").write_bytes(data)
                print(f"crash at input {number}: {type(error).__name__}: {error}")
        spent = time.perf_counter() - began
        slowest = max(slowest, spent)
        if spent > args.max_seconds:
            breaches += 1
            if breaches == 1:
                (OUT / f"slow.{suffix}").write_bytes(data)
                print(f"over budget at input {number}: {spent:.2f} s")
        if number % 100_000 == 0:
            rate = number / (time.perf_counter() - started)
            print(f"{number:,} inputs, {rate:,.0f}/s, slowest {slowest * 1000:.1f} ms", flush=True)
    seconds = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    breaches += peak_mb > BUDGET_MB
    print(
        f"{args.count:,} inputs in {seconds:.0f} s ({args.count / seconds:,.0f}/s); slowest "
        f"{slowest * 1000:.1f} ms; peak RSS {peak_mb:.0f} MB; crashes {crashes}; "
        f"budget breaches {breaches}"
    )
    raise SystemExit(1 if crashes or breaches else 0)
