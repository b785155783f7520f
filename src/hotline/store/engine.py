"""Engines for the two supported databases, configured the way this workload needs."""

from __future__ import annotations

import os
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url

DEFAULT_DB = "sqlite:///hotline.db"


def database_url(explicit: str | None = None) -> str:
    """``--db`` wins over ``HOTLINE_DB``, which wins over the embedded default."""
    return explicit or os.environ.get("HOTLINE_DB") or DEFAULT_DB


def normalise_url(url: str) -> str:
    """Accept the URL forms people type (``postgresql://``, ``postgres://``) for psycopg 3."""
    parsed = make_url(url.replace("postgres://", "postgresql://", 1))
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


SUPPORTED = ("sqlite", "postgresql")


def make_engine(url: str) -> Engine:
    url = normalise_url(url)
    if make_url(url).get_backend_name() not in SUPPORTED:
        raise ValueError(
            "hotline stores its data in SQLite (sqlite:///FILE) or PostgreSQL "
            "(postgresql://USER@HOST/NAME); other databases are not supported"
        )
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 60})
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    return create_engine(url, pool_pre_ping=True)


WRITER = {"sqlite_begin": "BEGIN IMMEDIATE"}
"""Execution options for a connection that will write: on SQLite it takes the write lock at
BEGIN, so two importers queue on ``busy_timeout`` instead of failing with "database is locked"
when a read transaction tries to upgrade to a write. PostgreSQL ignores it."""


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy, not the sqlite3 module, decide when transactions begin (see _sqlite_begin).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    # WAL lets readers (report, serve) run while an import writes; NORMAL is durable at
    # checkpoints and cannot corrupt the file on a crash, only lose the last transactions.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=60000")
    # 64 MiB of page cache (default 2 MiB): index pages of a large import stay in memory.
    cursor.execute("PRAGMA cache_size=-65536")
    cursor.execute("PRAGMA temp_store=MEMORY")
    cursor.execute("PRAGMA wal_autocheckpoint=20000")
    cursor.close()


def _sqlite_begin(connection: Any) -> None:
    connection.exec_driver_sql(connection.get_execution_options().get("sqlite_begin", "BEGIN"))
