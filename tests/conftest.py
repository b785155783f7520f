"""Shared fixtures: every storage test runs on SQLite and on a real PostgreSQL.

PostgreSQL is found at ``HOTLINE_TEST_PG`` (default: the local server on 127.0.0.1:5432 as
the current user, trust auth). Without it the PostgreSQL variants skip with the reason;
under ``CI=true`` they fail instead, so CI can never pass by skipping them.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from hotline.store.engine import make_engine, normalise_url
from hotline.store.migrate import upgrade

# pytest-xdist sets COLUMNS=80 and LINES=24 in its workers; the CLI's consoles (and the
# commands the tests start) would then wrap messages at 80 columns, unlike any other run.
if os.environ.get("PYTEST_XDIST_WORKER"):
    os.environ.pop("COLUMNS", None)
    os.environ.pop("LINES", None)

PG_ADMIN_URL = normalise_url(
    os.environ.get("HOTLINE_TEST_PG", "postgresql://127.0.0.1:5432/postgres")
)
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
BACKENDS = ["sqlite", "postgresql"]


def _pg_admin() -> Engine:
    return create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT", pool_pre_ping=True)


@pytest.fixture(scope="session")
def pg_template() -> Iterator[str]:
    """A migrated template database; each test gets a fresh copy of it (fast, isolated)."""
    admin = _pg_admin()
    try:
        with admin.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as error:  # any failure to reach the server means: no PostgreSQL here
        admin.dispose()
        message = f"PostgreSQL not reachable at {PG_ADMIN_URL} ({type(error).__name__})"
        if IN_CI:
            pytest.fail(f"{message}; CI=true requires the PostgreSQL tests to run")
        pytest.skip(f"{message}: PostgreSQL variants skipped (set HOTLINE_TEST_PG to run them)")
    name = f"hotline_tpl_{uuid.uuid4().hex[:10]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    yield name
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """URL of an empty, migrated database on each backend."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'hotline.db'}"
        engine = make_engine(url)
        upgrade(engine)
        engine.dispose()
        yield url
        return
    template = request.getfixturevalue("pg_template")
    name = f"hotline_t_{uuid.uuid4().hex[:10]}"
    admin = _pg_admin()
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    yield make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    engine = make_engine(db_url)
    yield engine
    engine.dispose()
