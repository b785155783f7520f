"""Feeds for ``hotline demo``: several hotlines reporting one synthetic world, a few bad rows."""

from __future__ import annotations

from pathlib import Path

from hotline.synth.feed import FeedGenerator, FeedRow, write_feed

DEMO_REPORTS = 1_138  # the size of the 2013 assessment's URL list, for a familiar scale


def write_demo_feeds(out_dir: Path, seed: int = 2013) -> list[Path]:
    """One file per hotline, as they would arrive: three in CSV and two in JSON Lines."""
    out_dir.mkdir(parents=True, exist_ok=True)
    generator = FeedGenerator(seed, sources=5, duplicate_share=0.3, bad_share=0.03, sites=180)
    by_source: dict[str, list[FeedRow]] = {}
    for row in generator.rows(DEMO_REPORTS):
        by_source.setdefault(row.source, []).append(row)
    paths = []
    for index, (source, rows) in enumerate(sorted(by_source.items())):
        suffix = "csv" if index < 3 else "jsonl"
        path = out_dir / f"{source.lower()}-reports.{suffix}"
        write_feed(path, iter(rows))
        paths.append(path)
    return paths
