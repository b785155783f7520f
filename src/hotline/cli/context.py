"""What every command needs: the database, opened and checked once."""

from __future__ import annotations

import getpass
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import typer
from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from hotline.accounts.audit import storable
from hotline.accounts.roles import Actor, Permission
from hotline.accounts.services import (
    AccountError,
    NotAllowed,
    record_refusal,
    require,
    resolve_actor,
)
from hotline.cli.console import err, fail
from hotline.store.engine import DatabaseUrlError, in_memory, make_engine
from hotline.store.migrate import current_revision, head_revision, upgrade


@dataclass
class AppState:
    db: str
    quiet: bool = False
    as_user: str | None = None  # --as; None: the operating-system user
    org: str | None = None  # --org; None: the user's organisation
    _engine: Engine | None = field(default=None, repr=False)
    _actor: Actor | None = field(default=None, repr=False)

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
            self.actor()  # an unknown user of a multi-user database goes no further
            return engine
        if current is None and engine.dialect.name == "sqlite":
            upgrade(engine)
            if not self.quiet:
                err.print(f"[dim]initialised a new database at {self.shown_db}[/]")
            self.actor()
            return engine
        if current is None:
            raise fail(
                f"database '{self.shown_db}' has no hotline schema yet; run `hotline init` first"
            )
        raise fail(
            f"database schema is at revision {current}, this hotline needs {head}; "
            "run `hotline init` to migrate"
        )

    def actor(self) -> Actor:
        """Who runs this command: ``--as``, else the operating-system user.

        A database with no users is a single-user installation (the runner is its local
        admin); once it has users, an unknown or disabled name is refused in one line.
        """
        if self._actor is None:
            login = _os_user()
            name = self.as_user or login
            try:
                with self.engine().connect() as connection:
                    self._actor = resolve_actor(connection, name, self.org, login)
            except AccountError as error:  # recorded after the read connection is closed
                claimed = Actor(name=storable(name, 64), organisation=None)
                note = record_refusal(self.engine(), claimed, "access", self.shown_db,
                                      {"why": str(error), "login": login})  # fmt: skip
                raise fail(str(error) + note) from error
            if not self._actor.may(Permission.READ):
                self.require(Permission.READ, "read", self.shown_db)
        return self._actor

    def require(self, permission: Permission, action: str, object_: str) -> Actor:
        """The actor, if allowed to; otherwise the refusal is audited and the command ends."""
        actor = self.actor()
        with refusals_exit():
            require(self.engine(), actor, permission, action, object_)
        return actor


@contextmanager
def refusals_exit() -> Iterator[None]:
    """A step the actor may not run ends the command in one line, exit 2 (already audited)."""
    try:
        yield
    except NotAllowed as error:
        raise fail(str(error)) from error


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError):  # no login name and no USER variable (some containers)
        return "local"


_PASSWORD = re.compile(r"(://[^/@:]*:)[^/@]*@")


def state(ctx: typer.Context) -> AppState:
    obj = ctx.find_root().obj
    assert isinstance(obj, AppState)
    return obj


def short_error(error: SQLAlchemyError) -> str:
    return str(getattr(error, "orig", None) or error).strip().splitlines()[0]
