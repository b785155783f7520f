"""The unit of work: one write transaction, the same on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, Engine

from hotline.store.engine import WRITER


@contextmanager
def unit_of_work(engine: Engine) -> Iterator[Connection]:
    """A connection in a write transaction, committed when the block ends and rolled back
    when it raises. On SQLite it holds the write lock from the start, so two writers queue
    instead of failing when a reader tries to become a writer (see ``WRITER``)."""
    with engine.connect().execution_options(**WRITER) as connection, connection.begin():
        yield connection
