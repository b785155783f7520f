"""``hotline demo`` on PostgreSQL (the SQLite run and the checks are in tests/test_cli.py;
this file only lets the two slowest tests of the suite run on two workers at once)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine

from tests.test_cli import demo_check, wide_console  # noqa: F401  (autouse: wide output)


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_demo_runs_on_the_world_defanged_and_a_second_run_is_identical(
    db_url: str, engine: Engine, tmp_path: Path
) -> None:
    demo_check(db_url, engine, tmp_path)
