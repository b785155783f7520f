"""Two importers on one database at once: no errors, no duplicates, nothing missing."""

from __future__ import annotations

import re
import subprocess
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from hotline.intake.models import Report
from hotline.store.engine import make_engine
from hotline.synth.feed import FeedGenerator, write_feed
from tests.helpers import counts, dangling_references, duplicated_keys, hotline_command

pytestmark = pytest.mark.slow


def _summary_count(stdout: str, label: str) -> int:
    match = re.search(rf"{re.escape(label)}\s*│\s*([\d,]+)", stdout)
    assert match, stdout
    return int(match.group(1).replace(",", ""))


def _ingest_window(engine: Engine, report_ids: list[str]) -> tuple[datetime, datetime]:
    with engine.connect() as connection:
        start, end = connection.execute(
            select(func.min(Report.ingested_at), func.max(Report.ingested_at)).where(
                Report.source_report_id.in_(report_ids)
            )
        ).one()
    return start, end


def test_two_concurrent_imports_of_overlapping_feeds(db_url: str, tmp_path: Path) -> None:
    # ~5 MB per file: each importer also runs its reading child process.
    rows = list(FeedGenerator(seed=11, sources=4, duplicate_share=0.5).rows(72_000))
    shared = rows[:4000]  # both hotline exports contain these very reports
    first, second = tmp_path / "first.csv", tmp_path / "second.csv"
    write_feed(first, iter(shared + rows[4000::2]))
    write_feed(second, iter(shared + rows[4001::2]))
    assert min(first.stat().st_size, second.stat().st_size) > 4 << 20

    runs = [
        subprocess.Popen(
            # not --quiet: the summary tables are read below
            [
                arg
                for arg in hotline_command(
                    db_url, "ingest", "reports", "--batch-size", "400", str(path)
                )
                if arg != "--quiet"
            ],
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
    # Together the two summaries account for every report exactly once ...
    new = [_summary_count(stdout, "new reports") for stdout, _, _ in results]
    duplicates = [
        _summary_count(stdout, "duplicate reports (already known)") for stdout, _, _ in results
    ]
    assert sum(new) == len(rows)
    assert sum(duplicates) == len(shared)
    if engine.dialect.name == "postgresql":
        # ... and they really wrote at the same time: their write windows overlap. Only on
        # PostgreSQL, where writers do not queue for one lock: SQLite lets one writer in at a
        # time and promises no turns, so there one importer may write all its batches while
        # the other waits (seen under load), and the check would fail on a correct run.
        windows = [
            _ingest_window(engine, [row.source_report_id for row in rows[4000 + k :: 2]])
            for k in (0, 1)
        ]
        assert max(w[0] for w in windows) < min(w[1] for w in windows), windows
    assert stored["urls"] == len({row.truth for row in rows})
    assert duplicated_keys(engine) == 0
    assert dangling_references(engine) == 0
    engine.dispose()
