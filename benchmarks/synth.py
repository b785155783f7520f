"""Synthetic world generation: wall time and peak memory per scale, against an I/O floor.

    python -m benchmarks.synth                      # medium and large
    python -m benchmarks.synth --scales small medium

Each scale runs the real ``hotline --quiet synth`` command in a subprocess; peak memory is
its RSS sampled every 50 ms from /proc. The **baseline**, measured in the same run, is the
I/O floor: copying the files that run wrote (read and write the same bytes, no generation),
so the ratio says how much of the time is the generator itself rather than the disk.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from pathlib import Path

from benchmarks.memory import run_measured

OUT = Path(__file__).with_name("out")


def _size(folder: Path) -> int:
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file())


def measure(scale: str, seed: int) -> dict[str, float | int | str]:
    target = OUT / f"world-{scale}"
    shutil.rmtree(target, ignore_errors=True)
    command = [sys.executable, "-m", "hotline.cli.app", "--quiet", "synth", "--scale", scale,
               "--seed", str(seed), "--out", str(target)]  # fmt: skip
    seconds, peak, _ = run_measured(command)
    truth_counts = _counts(target)
    copy_target = OUT / f"world-{scale}-copy"
    shutil.rmtree(copy_target, ignore_errors=True)
    started = time.perf_counter()
    shutil.copytree(target, copy_target)
    floor = time.perf_counter() - started
    shutil.rmtree(copy_target)
    size = _size(target)
    result: dict[str, float | int | str] = {
        "scale": scale,
        "seconds": round(seconds, 1),
        "peak_rss_mb": round(peak / 2**20),
        "bytes": size,
        "io_floor_seconds": round(floor, 2),
        "ratio_to_io_floor": round(seconds / floor, 1) if floor else 0.0,
        **truth_counts,
    }
    shutil.rmtree(target)
    return result


def _counts(folder: Path) -> dict[str, int]:
    """The counts from truth.json's tail (meta), without loading a large file whole."""
    with (folder / "truth.json").open("rb") as handle:
        handle.seek(max(0, (folder / "truth.json").stat().st_size - 4_000_000))
        tail = handle.read()
    start = tail.rfind(b'"meta":')
    meta = json.JSONDecoder().raw_decode(tail[start + 7 :].decode())[0]
    counts: dict[str, int] = meta["counts"]
    return {k: counts[k] for k in ("sites", "urls", "reports", "captures", "selector_links")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", nargs="+", default=["medium", "large"])
    parser.add_argument("--seed", type=int, default=2013)
    args = parser.parse_args()
    OUT.mkdir(exist_ok=True)
    results = []
    for scale in args.scales:
        result = measure(scale, args.seed)
        results.append(result)
        print(
            f"{scale:>6}: {result['sites']:>9,} sites, {result['urls']:>9,} URLs, "
            f"{result['selector_links']:>10,} selector links, {result['captures']:>8,} captures"
            f" in {result['seconds']:>6} s, peak {result['peak_rss_mb']:>5} MB, "
            f"{int(result['bytes']) / 2**20:,.0f} MB written; I/O floor "
            f"{result['io_floor_seconds']} s (×{result['ratio_to_io_floor']})",
            flush=True,
        )
    (OUT / "synth.json").write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
