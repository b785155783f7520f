"""Dialect-neutral "insert, and ignore rows whose unique key already exists".

Both SQLite (≥ 3.24) and PostgreSQL speak ``INSERT ... ON CONFLICT (...) DO NOTHING``;
SQLAlchemy has one construct per dialect, chosen here so services stay dialect-free.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Table
from sqlalchemy.dialects import postgresql, sqlite


def insert_ignore(connection: Connection, table: Any, key: Sequence[str]) -> Any:
    """``INSERT INTO table ... ON CONFLICT (key) DO NOTHING`` for the connection's dialect."""
    target: Table = table
    if connection.dialect.name == "postgresql":
        return postgresql.insert(target).on_conflict_do_nothing(index_elements=list(key))
    if connection.dialect.name == "sqlite":
        return sqlite.insert(target).on_conflict_do_nothing(index_elements=list(key))
    raise NotImplementedError(f"unsupported database dialect: {connection.dialect.name}")
