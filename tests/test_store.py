"""The storage layer on both engines: migrations, UTC, SQLite settings."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import Engine, inspect, select, text
from sqlalchemy.orm import Session

from hotline.intake.models import Source
from hotline.store.engine import make_engine, normalise_url
from hotline.store.migrate import current_revision, head_revision, upgrade


def test_schema_is_at_head_with_the_intake_tables(engine: Engine) -> None:
    assert current_revision(engine) == head_revision()
    tables = set(inspect(engine).get_table_names())
    assert {"sources", "sites", "urls", "reports", "quarantine"} <= tables


def test_upgrade_twice_changes_nothing(engine: Engine) -> None:
    before, after = upgrade(engine)
    assert before == after == head_revision()


def test_times_come_back_as_utc_whatever_zone_went_in(engine: Engine) -> None:
    moment = datetime(2026, 3, 29, 1, 30, tzinfo=timezone(timedelta(hours=5, minutes=30)))
    with Session(engine) as session:
        session.add(Source(code="HL-UTC", created_at=moment))
        session.commit()
    with Session(engine) as session:
        stored = session.scalars(select(Source.created_at).where(Source.code == "HL-UTC")).one()
    assert stored == moment
    assert stored.tzinfo is UTC
    assert stored.hour == 20  # 01:30 at +05:30 is 20:00 UTC the day before


def test_a_naive_datetime_is_refused(engine: Engine) -> None:
    with Session(engine) as session:
        session.add(Source(code="HL-NAIVE", created_at=datetime(2026, 1, 1)))
        with pytest.raises(Exception, match="naive datetime"):
            session.commit()


def test_sqlite_runs_in_wal_mode_with_foreign_keys(tmp_path: object) -> None:
    engine = make_engine(f"sqlite:///{tmp_path}/wal.db")
    upgrade(engine)
    with engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
    engine.dispose()


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgresql://u@db.example/hl", "postgresql+psycopg://u@db.example/hl"),
        ("postgres://u@db.example/hl", "postgresql+psycopg://u@db.example/hl"),
        ("sqlite:///hotline.db", "sqlite:///hotline.db"),
    ],
)
def test_database_urls_people_type_are_accepted(given: str, expected: str) -> None:
    assert normalise_url(given) == expected


def test_other_databases_are_refused_with_a_reason() -> None:
    with pytest.raises(ValueError, match=r"SQLite .* or PostgreSQL"):
        make_engine("mysql://hotline@db.example/hl")


def test_concurrent_first_use_of_a_new_sqlite_file(tmp_path: Path) -> None:
    """Several importers starting on a database file that does not exist yet all succeed."""
    import subprocess

    from tests.helpers import hotline_command

    feed = tmp_path / "feed.csv"
    feed.write_text(
        "source,source_report_id,reported_at,url\n"
        + "".join(f"HL-A,{n},2026-01-01,http://s{n}.zorbel.test/\n" for n in range(50))
    )
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    runs = [
        subprocess.Popen(
            hotline_command(url, "ingest", "reports", str(feed)),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(5)
    ]
    for run in runs:
        _, stderr = run.communicate(timeout=120)
        assert run.returncode == 0, stderr
    engine = make_engine(url)
    assert current_revision(engine) == head_revision()
    engine.dispose()
