"""Two importers on one database at once: no errors, no duplicates, nothing missing."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from hotline.store.engine import make_engine
from hotline.synth.feed import FeedGenerator, write_feed
from tests.helpers import counts, dangling_references, duplicated_keys, hotline_command

pytestmark = pytest.mark.slow


def test_two_concurrent_imports_of_overlapping_feeds(db_url: str, tmp_path: Path) -> None:
    rows = list(FeedGenerator(seed=11, sources=4, duplicate_share=0.5).rows(24_000))
    shared = rows[:4000]  # both hotline exports contain these very reports
    first, second = tmp_path / "first.csv", tmp_path / "second.csv"
    write_feed(first, iter(shared + rows[4000::2]))
    write_feed(second, iter(shared + rows[4001::2]))

    runs = [
        subprocess.Popen(
            hotline_command(db_url, "ingest", "reports", "--batch-size", "400", str(path)),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for path in (first, second)
    ]
    results = [(*run.communicate(timeout=600), run.returncode) for run in runs]
    for stdout, stderr, code in results:
        assert code == 0, f"stdout:\n{stdout}\nstderr:\n{stderr}"

    engine = make_engine(db_url)
    stored = counts(engine)
    assert stored["reports"] == len(rows)
    assert stored["urls"] == len({row.truth for row in rows})
    assert duplicated_keys(engine) == 0
    assert dangling_references(engine) == 0
    engine.dispose()
