"""Helpers for tests that run the real ``hotline`` command in other processes."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Concatenate, ParamSpec, TypeVar

from sqlalchemy import Connection, Engine, func, select, text

from hotline.intake.models import Report, Site, Source, Url


def hotline_command(db_url: str, *args: str) -> list[str]:
    return [sys.executable, "-m", "hotline.cli.app", "--db", db_url, "--quiet", *args]


def run_hotline(db_url: str, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        hotline_command(db_url, *args),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        env={**os.environ, "COLUMNS": "200"},
    )


def counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as connection:
        return {
            model.__tablename__: int(
                connection.execute(select(func.count()).select_from(model)).scalar_one()
            )
            for model in (Report, Url, Site, Source)
        }


def dangling_references(engine: Engine) -> int:
    """Rows pointing at rows that do not exist (must be 0 in a consistent database)."""
    with engine.connect() as connection:
        return int(
            connection.execute(
                text(
                    "SELECT (SELECT count(*) FROM reports r LEFT JOIN urls u ON u.id = r.url_id "
                    "        WHERE u.id IS NULL)"
                    " + (SELECT count(*) FROM reports r LEFT JOIN sources s ON s.id = r.source_id"
                    "        WHERE s.id IS NULL)"
                    " + (SELECT count(*) FROM urls u LEFT JOIN sites s ON s.id = u.site_id"
                    "        WHERE s.id IS NULL)"
                )
            ).scalar_one()
        )


def duplicated_keys(engine: Engine) -> int:
    """Canonical URLs or site keys stored more than once (must be 0)."""
    with engine.connect() as connection:
        return sum(
            int(connection.execute(text(sql)).scalar_one())
            for sql in (
                "SELECT count(*) FROM (SELECT canonical FROM urls GROUP BY canonical "
                "HAVING count(*) > 1) d",
                "SELECT count(*) FROM (SELECT key FROM sites GROUP BY key HAVING count(*) > 1) d",
            )
        )


def session_processes(session_id: int) -> list[int]:
    """Pids of live processes in a session (Linux /proc), to find orphaned children."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        state, session = fields[0], int(fields[3])
        if session == session_id and state != "Z":
            found.append(int(entry.name))
    return found


P = ParamSpec("P")
R = TypeVar("R")


def ask(
    engine: Engine,
    query: Callable[Concatenate[Connection, P], R],
    *args: P.args,
    **kwargs: P.kwargs,
) -> R:
    """A read function (they take a connection) called on a connection of ``engine``."""
    with engine.connect() as connection:
        return query(connection, *args, **kwargs)
