"""Engines for the two supported databases, configured the way this workload needs."""

from __future__ import annotations

import os
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

DEFAULT_DB = "sqlite:///hotline.db"


def database_url(explicit: str | None = None) -> str:
    """``--db`` wins over ``HOTLINE_DB``, which wins over the embedded default."""
    return explicit or os.environ.get("HOTLINE_DB") or DEFAULT_DB


class DatabaseUrlError(ValueError):
    """A database URL hotline cannot use; the message says why in one line."""


SUPPORTED = ("sqlite", "postgresql")
_DRIVERS = {"sqlite": ("", "pysqlite"), "postgresql": ("", "psycopg")}
_FORMS = "sqlite:///FILE or postgresql://USER@HOST/NAME"


def parse_database_url(url: str) -> URL:
    """The URL parsed and checked: SQLite or PostgreSQL (through psycopg 3), a valid port.

    Raises :class:`DatabaseUrlError` naming what is wrong, never the parser's own error.
    """
    if url.startswith("postgres://"):  # the form Heroku and libpq tools print
        url = "postgresql://" + url.removeprefix("postgres://")
    try:
        parsed = make_url(url)
    except ArgumentError as error:
        raise DatabaseUrlError(f"not a database URL; expected {_FORMS}") from error
    except ValueError as error:  # the only value SQLAlchemy converts is the port
        raise DatabaseUrlError("the port is not a number") from error
    backend, _, driver = parsed.drivername.partition("+")
    if backend not in SUPPORTED:
        raise DatabaseUrlError(
            "hotline stores its data in SQLite (sqlite:///FILE) or PostgreSQL "
            "(postgresql://USER@HOST/NAME); other databases are not supported"
        )
    if driver not in _DRIVERS[backend]:
        usual = "sqlite:///FILE" if backend == "sqlite" else "postgresql://USER@HOST/NAME"
        raise DatabaseUrlError(
            f"the '{driver}' driver is not supported; write {usual} "
            f"(hotline uses {'sqlite3' if backend == 'sqlite' else 'psycopg 3'})"
        )
    if parsed.port is not None and not 0 < parsed.port < 65536:
        raise DatabaseUrlError(f"port {parsed.port} is out of range (1-65535)")
    if backend == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def normalise_url(url: str) -> str:
    """Accept the URL forms people type (``postgresql://``, ``postgres://``) for psycopg 3."""
    return parse_database_url(url).render_as_string(hide_password=False)


def in_memory(url: str) -> bool:
    """Whether a URL names an SQLite database that lives only in memory: ``sqlite://``,
    ``:memory:``, a ``file::memory:`` or ``mode=memory`` URI, the memdb VFS. Such a database
    vanishes when the process ends. A URL that cannot be used raises DatabaseUrlError."""
    parsed = parse_database_url(url)
    if parsed.get_backend_name() != "sqlite":
        return False
    database = parsed.database or ""
    if not database or ":memory:" in database:
        return True

    def values(key: str) -> tuple[str, ...]:
        value = parsed.query.get(key, ())
        return (value,) if isinstance(value, str) else tuple(value)

    return "memory" in values("mode") or "memdb" in values("vfs")


def make_engine(url: str) -> Engine:
    url = normalise_url(url)
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
    # WAL lets readers (report, lookups) run while an import writes; NORMAL is durable at
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
