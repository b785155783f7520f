"""Bulk writes on the import hot path: plain rows in, the database maps keys to ids.

The ORM and even Core's compiled ``executemany`` spend more time processing parameters than
the databases spend storing them (measured ~3,000 rows/s). So an import batch is written as
plain tuples keyed by natural keys (site key, URL digest, source code):

- PostgreSQL: binary ``COPY`` into a per-connection temporary *staging* table, then one
  ``INSERT INTO target SELECT ... FROM stage JOIN ... ORDER BY key ON CONFLICT DO NOTHING``
  per target table — three round trips per table and batch, whatever its size;
- SQLite (in-process, no round trips to save): one ``executemany`` of ``INSERT ... VALUES
  (..., (SELECT id ...), ...) ON CONFLICT DO NOTHING`` per target table.

Either way Python never fetches ids back, and rows arrive sorted by their unique key, so
concurrent importers lock rows in the same order and cannot deadlock each other.

Table and column names come from our own code, never from input.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection


@dataclass(frozen=True, slots=True)
class Load:
    """How a batch of plain rows reaches one target table on each engine.

    ``from_stage`` (PostgreSQL) inserts from the staging table, with ``{now}`` for the batch
    time; ``values`` (SQLite) is an ``executemany`` statement whose parameters are a row's
    values followed by the batch time, with ids looked up by sub-selects. SQLite runs in
    process, so staging there would only copy every row once more.
    """

    stage: StageTable
    from_stage: str
    values: str


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
            # Both settings end with the transaction.
            for setting in ("enable_hashjoin = off", "enable_mergejoin = off"):
                connection.exec_driver_sql(f"SET LOCAL {setting}")

    def _stage(self, table: StageTable, rows: list[tuple[Any, ...]]) -> None:
        """PostgreSQL: binary COPY of ``rows`` into the (per-transaction) staging table."""
        columns = ", ".join(f"{name} {pg_type}" for name, pg_type in table.columns)
        # Private to the connection and emptied at every commit. Created (if missing) in
        # every transaction: a creation rolled back with a failed batch must not be assumed.
        self.connection.exec_driver_sql(
            f"CREATE TEMP TABLE IF NOT EXISTS {table.name} ({columns}) ON COMMIT DELETE ROWS"
        )
        driver: Any = self.connection.connection.driver_connection
        with driver.cursor() as cursor:
            copy_sql = f"COPY {table.name} ({table.names}) FROM STDIN (FORMAT BINARY)"
            with cursor.copy(copy_sql) as copy:
                copy.set_types([pg_type for _, pg_type in table.columns])
                for row in rows:
                    copy.write_row(row)
            # A staging table has no statistics; without them the planner may join it to a
            # large target table by scanning the target, every batch.
            cursor.execute(f"ANALYZE {table.name}")

    def load(self, load: Load, rows: list[tuple[Any, ...]], now: str) -> int:
        """Insert the rows that are new; returns how many were."""
        if not rows:
            return 0
        if self.postgres:
            self._stage(load.stage, rows)
            sql = load.from_stage.format(now="%(now)s::timestamp")
            return int(self.connection.exec_driver_sql(sql, {"now": now}).rowcount)
        return int(
            self.connection.exec_driver_sql(load.values, [(*row, now) for row in rows]).rowcount
        )
