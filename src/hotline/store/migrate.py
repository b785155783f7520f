"""Create or upgrade a database to the newest schema (Alembic), and tell where a database is."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, text

from hotline.store.engine import WRITER

MIGRATIONS = Path(__file__).with_name("migrations")
_LOCK_KEY = 0x686F746C696E65  # "hotline": serialises concurrent migrations on one server


def _config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def head_revision() -> str:
    head = ScriptDirectory.from_config(_config()).get_current_head()
    assert head is not None, "the package ships at least one migration"
    return head


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: Engine) -> tuple[str | None, str]:
    """Migrate to head; returns (revision before, revision after).

    Safe when several processes do it at once (two first imports into a new SQLite file,
    two `hotline init` on one server): the migration runs under the database's write lock
    (SQLite ``BEGIN IMMEDIATE``, a PostgreSQL advisory lock), and whoever comes second
    finds the schema at head and does nothing.
    """
    config = _config()
    with engine.connect().execution_options(**WRITER) as connection, connection.begin():
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK_KEY})
        before = MigrationContext.configure(connection).get_current_revision()
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
    return before, head_revision()
