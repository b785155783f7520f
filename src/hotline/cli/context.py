"""What every command needs: the database, opened and checked once."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import typer
from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from hotline.cli.console import err, fail
from hotline.store.engine import DatabaseUrlError, in_memory, make_engine
from hotline.store.migrate import current_revision, head_revision, upgrade


@dataclass
class AppState:
    db: str
    quiet: bool = False
    _engine: Engine | None = field(default=None, repr=False)

    @property
    def shown_db(self) -> str:
        """The database URL for messages: never with its password."""
        try:
            shown = make_url(self.db).render_as_string(hide_password=True)
        except (ArgumentError, ValueError):  # unparsable: hide what sits where a password would
            shown = _PASSWORD.sub(r"\1***@", self.db)
        return "".join(c if c.isprintable() else ascii(c)[1:-1] for c in shown)

    def engine(self) -> Engine:
        """The engine for ``--db``; a URL that cannot work is refused in one line, exit 2.

        An in-memory SQLite database is refused too: everything written to it would be gone
        when the command ends, after reporting success.
        """
        if self._engine is None:
            try:
                memory = in_memory(self.db)
            except DatabaseUrlError as error:
                raise fail(f"cannot use database '{self.shown_db}': {error}") from error
            if memory:
                raise fail(
                    f"cannot use database '{self.shown_db}': an in-memory SQLite database "
                    "keeps nothing once the command ends; give a file (sqlite:///FILE)"
                )
            try:
                self._engine = make_engine(self.db)
            except (SQLAlchemyError, ValueError, ImportError) as error:
                raise fail(f"cannot use database '{self.shown_db}': {error}") from error
        return self._engine

    def ready_engine(self) -> Engine:
        """The engine, with the schema at the newest revision.

        An empty SQLite file is initialised on the spot (the embedded default should just
        work); a shared PostgreSQL database is migrated only by an explicit ``hotline init``.
        """
        engine = self.engine()
        try:
            current = current_revision(engine)
        except SQLAlchemyError as error:
            raise fail(f"cannot open database '{self.shown_db}': {short_error(error)}") from error
        head = head_revision()
        if current == head:
            return engine
        if current is None and engine.dialect.name == "sqlite":
            upgrade(engine)
            if not self.quiet:
                err.print(f"[dim]initialised a new database at {self.shown_db}[/]")
            return engine
        if current is None:
            raise fail(
                f"database '{self.shown_db}' has no hotline schema yet; run `hotline init` first"
            )
        raise fail(
            f"database schema is at revision {current}, this hotline needs {head}; "
            "run `hotline init` to migrate"
        )


_PASSWORD = re.compile(r"(://[^/@:]*:)[^/@]*@")


def state(ctx: typer.Context) -> AppState:
    obj = ctx.find_root().obj
    assert isinstance(obj, AppState)
    return obj


def short_error(error: SQLAlchemyError) -> str:
    return str(getattr(error, "orig", None) or error).strip().splitlines()[0]
