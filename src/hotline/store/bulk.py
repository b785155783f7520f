"""Bulk writes on the import hot path: stage plain rows, then let the database join and insert.

The ORM and even Core's compiled ``executemany`` spend more time processing parameters than
the databases spend storing them (measured ~3,000 rows/s). So an import batch is written as:

1. plain tuples into a per-connection temporary *staging* table — ``executemany`` on SQLite
   (in-process, no round trips to save), binary ``COPY`` on PostgreSQL;
2. one ``INSERT INTO target SELECT ... FROM stage JOIN ... ORDER BY key ON CONFLICT DO
   NOTHING`` per target table: the database maps natural keys (site key, URL digest) to ids
   itself, so Python never fetches ids back, and rows are locked in key order so concurrent
   importers cannot deadlock each other.

Table and column names come from our own code, never from input.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection

_SQLITE_TYPES = {"text": "TEXT", "bytea": "BLOB", "bool": "INTEGER", "int8": "INTEGER"}


@dataclass(frozen=True, slots=True)
class StageTable:
    name: str
    columns: Sequence[tuple[str, str]]  # (name, PostgreSQL type for binary COPY)

    @property
    def names(self) -> str:
        return ", ".join(name for name, _ in self.columns)


class Bulk:
    """Staging and set-based inserts on one open transaction, for SQLite or PostgreSQL."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.postgres = connection.dialect.name == "postgresql"
        if self.postgres:
            # Staged batches are small and targets large: probe the target's unique index per
            # staged row. Left to itself, the planner (with stale statistics on a growing
            # table) hashes the whole target every batch, which makes big imports quadratic.
            # An import that is lost in a crash is re-run idempotently, so it need not wait
            # for the WAL flush at each commit either. All three settings end with the
            # transaction.
            for setting in (
                "enable_hashjoin = off",
                "enable_mergejoin = off",
                "synchronous_commit = off",
            ):
                connection.exec_driver_sql(f"SET LOCAL {setting}")

    def stage(self, table: StageTable, rows: list[tuple[Any, ...]]) -> None:
        """Replace the staging table's content with ``rows``."""
        created: set[str] = self.connection.info.setdefault("hotline_stages", set())
        if table.name not in created:
            self._create(table)
            created.add(table.name)
        if not self.postgres:
            self.connection.exec_driver_sql(f"DELETE FROM {table.name}")
            if rows:
                marks = ", ".join("?" for _ in table.columns)
                self.connection.exec_driver_sql(
                    f"INSERT INTO {table.name} ({table.names}) VALUES ({marks})", rows
                )
            return
        driver: Any = self.connection.connection.driver_connection
        with driver.cursor() as cursor:
            cursor.execute(f"TRUNCATE {table.name}")
            with cursor.copy(
                f"COPY {table.name} ({table.names}) FROM STDIN (FORMAT BINARY)"
            ) as copy:
                copy.set_types([pg_type for _, pg_type in table.columns])
                for row in rows:
                    copy.write_row(row)
            # A staging table has no statistics; without them the planner may join it to a
            # large target table by scanning the target, every batch.
            cursor.execute(f"ANALYZE {table.name}")

    def _create(self, table: StageTable) -> None:
        if self.postgres:
            columns = ", ".join(f"{name} {pg_type}" for name, pg_type in table.columns)
            # Emptied at commit, private to the connection: a killed importer leaves nothing.
            self.connection.exec_driver_sql(
                f"CREATE TEMP TABLE IF NOT EXISTS {table.name} ({columns}) ON COMMIT DELETE ROWS"
            )
        else:
            columns = ", ".join(f"{name} {_SQLITE_TYPES[t]}" for name, t in table.columns)
            self.connection.exec_driver_sql(
                f"CREATE TEMP TABLE IF NOT EXISTS {table.name} ({columns})"
            )

    def insert_select(self, sql: str, now: str) -> int:
        """Run an ``INSERT ... SELECT`` written with ``{now}`` for the batch's timestamp and
        ``{where}`` before its ``ORDER BY``; returns the rows inserted."""
        if self.postgres:
            statement = sql.format(now="%(now)s::timestamp", where="")
        else:
            # `WHERE true` keeps SQLite's parser from reading ON CONFLICT as a join clause.
            statement = sql.format(now=":now", where="WHERE true")
        return int(self.connection.exec_driver_sql(statement, {"now": now}).rowcount)

    def insert_ignore(self, table: str, columns: Sequence[str], rows: list[tuple[Any, ...]]) -> int:
        """Plain multi-row insert of a few rows (e.g. new sources), skipping existing keys."""
        if not rows:
            return 0
        names = ", ".join(columns)
        mark = "%s" if self.postgres else "?"
        marks = ", ".join(mark for _ in columns)
        return int(
            self.connection.exec_driver_sql(
                f"INSERT INTO {table} ({names}) VALUES ({marks}) ON CONFLICT DO NOTHING", rows
            ).rowcount
        )
