"""SIGKILL in the middle of a large import: the database stays consistent and a rerun completes.

Run on both engines, and with the reading child process active (the file is large enough),
so the test also checks that the orphaned reader exits instead of lingering.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
from sqlalchemy import text

from hotline.store.engine import make_engine
from hotline.store.migrate import upgrade
from hotline.synth.feed import FeedGenerator, write_feed
from tests.helpers import (
    counts,
    dangling_references,
    duplicated_keys,
    hotline_command,
    run_hotline,
    session_processes,
)

pytestmark = pytest.mark.slow
ROWS = 60_000


def _wait_for_progress(db_url: str, process: subprocess.Popen[str], low: int) -> int:
    engine = make_engine(db_url)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            assert process.poll() is None, "the import finished before it could be killed"
            with engine.connect() as connection:
                stored = int(connection.execute(text("SELECT count(*) FROM reports")).scalar_one())
            if stored >= low:
                return stored
            time.sleep(0.02)
        raise AssertionError("the import made no progress")
    finally:
        engine.dispose()


def test_sigkill_mid_import_then_rerun_equals_an_uninterrupted_run(
    db_url: str, tmp_path: Path
) -> None:
    feed = tmp_path / "large.csv"
    write_feed(feed, FeedGenerator(seed=5, duplicate_share=0.3, bad_share=0.01).rows(ROWS))
    assert feed.stat().st_size > 4 << 20  # large enough for the reading child process
    args = ("ingest", "reports", "--batch-size", "500", str(feed))

    victim = subprocess.Popen(
        hotline_command(db_url, *args),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        text=True,
        start_new_session=True,
    )
    seen = _wait_for_progress(db_url, victim, low=ROWS // 10)
    os.kill(victim.pid, signal.SIGKILL)
    victim.wait(timeout=30)
    assert victim.returncode == -signal.SIGKILL

    deadline = time.monotonic() + 15
    while session_processes(victim.pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert session_processes(victim.pid) == [], "the orphaned reading process did not exit"

    engine = make_engine(db_url)
    interrupted = counts(engine)
    assert seen <= interrupted["reports"] < ROWS
    assert dangling_references(engine) == 0
    if engine.dialect.name == "sqlite":
        with engine.connect() as connection:
            assert connection.execute(text("PRAGMA integrity_check")).scalar() == "ok"
            assert connection.execute(text("PRAGMA foreign_key_check")).all() == []

    rerun = run_hotline(db_url, *args)
    assert rerun.returncode == 1, rerun.stderr  # 1: the feed's few bad rows are rejected
    completed = counts(engine)
    assert duplicated_keys(engine) == 0
    with engine.connect() as connection:
        quarantined = connection.execute(text("SELECT count(*) FROM quarantine")).scalar_one()
    engine.dispose()

    reference_url = f"sqlite:///{tmp_path / 'reference.db'}"
    reference_engine = make_engine(reference_url)
    upgrade(reference_engine)
    assert run_hotline(reference_url, *args).returncode == 1
    assert completed == counts(reference_engine)
    with reference_engine.connect() as connection:
        assert (
            quarantined == connection.execute(text("SELECT count(*) FROM quarantine")).scalar_one()
        )
    reference_engine.dispose()
