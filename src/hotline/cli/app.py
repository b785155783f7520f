"""``hotline``: the command line. Commands parse options, call services, print results."""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Sequence
from typing import Annotated, NoReturn

import typer
from rich.markup import escape
from sqlalchemy.exc import SQLAlchemyError

from hotline import __version__
from hotline.cli.console import USAGE, err, fail, out
from hotline.cli.context import AppState, short_error, state
from hotline.store.engine import DEFAULT_DB, database_url

# Every command, in the order --help lists them: name → (module in hotline.cli, attribute,
# whether it is a group of subcommands). A command's module is imported only when it runs
# (or when the whole app is built: --help, the tests), so `hotline why` does not pay for
# the demo's, the web server's and the report's imports (about 0.4 s on every run).
_COMMANDS: dict[str, tuple[str, str, bool]] = {
    "ingest": ("ingest", "app", True),
    "quarantine": ("quarantine", "app", True),
    "export": ("exports", "app", True),
    "demo": ("demo", "demo", False),
    "synth": ("synth", "synth", False),
    "score": ("synth", "score_command", False),
    "selectors": ("selectors", "selectors", False),
    "enrich": ("hosting", "enrich", False),
    "hosting": ("hosting", "hosting", False),
    "providers": ("hosting", "providers_app", True),
    "attribute": ("attribution", "attribute", False),
    "why": ("attribution", "why", False),
    "link": ("attribution", "link", False),
    "unlink": ("attribution", "unlink", False),
    "label": ("attribution", "label", False),
    "report": ("report", "report", False),
    "orgs": ("accounts", "orgs_app", True),
    "users": ("accounts", "users_app", True),
    "audit": ("accounts", "audit_app", True),
    "tokens": ("credentials", "tokens_app", True),
    "serve": ("serve", "serve", False),
    "lists": ("lists", "lists_app", True),
    "match": ("lists", "match", False),
    "casework": ("casework", "app", True),
}
_HELP = (
    "Content-free intelligence for internet hotlines: canonical URLs, sites, hosting, "
    "brands and distributors, from the reports and captures hotlines already hold.\n\n"
    "Start with [bold]hotline demo[/] to see it work on a synthetic world.\n\n"
    "[bold]Examples[/]\n\n"
    "  hotline demo\n\n"
    "  hotline init && hotline ingest reports feeds/*.csv\n\n"
    "  hotline --db postgresql://hotline@db.example/hotline quarantine list"
)
_VALUED_OPTIONS = frozenset({"--db", "--as", "--org"})  # the main options that take a value
_HELP_OPTIONS = frozenset({"-h", "--help"})


def _version(value: bool) -> None:
    if value:
        out.print(f"hotline {__version__}")
        raise typer.Exit()


def main_options(
    ctx: typer.Context,
    db: Annotated[
        str | None,
        typer.Option(
            "--db",
            envvar="HOTLINE_DB",
            help=f"Database URL: sqlite:///FILE or postgresql://USER@HOST/NAME. "
            f"Default: {DEFAULT_DB}.",
            show_default=False,
        ),
    ] = None,
    quiet: Annotated[
        bool,
        typer.Option(
            "--quiet",
            "-q",
            help="No progress bars, notes or import summaries: errors, warnings and the "
            "output asked for only. The exit code tells success.",
        ),
    ] = False,
    as_user: Annotated[
        str | None,
        typer.Option(
            "--as",
            envvar="HOTLINE_USER",
            help="Act as this user (default: your login name). A database without users "
            "treats whoever runs the command as its local admin; once users exist, unknown "
            "names are refused.",
            show_default=False,
        ),
    ] = None,
    org: Annotated[
        str | None,
        typer.Option(
            "--org",
            envvar="HOTLINE_ORG",
            help="The organisation to act in, for a member of several (default: the one "
            "where your role is strongest).",
            show_default=False,
        ),
    ] = None,
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version."),
    ] = False,
) -> None:
    ctx.obj = AppState(db=database_url(db), quiet=quiet, as_user=as_user, org=org)


def init(ctx: typer.Context) -> None:
    """Create the database, or migrate it to this version's schema. Safe to run again.

    [bold]Examples[/]

      hotline init
      hotline --db postgresql://hotline@127.0.0.1/hotline init
    """
    from hotline.store.migrate import upgrade

    app_state = state(ctx)
    engine = app_state.engine()
    try:
        before, after = upgrade(engine)
    except SQLAlchemyError as error:
        raise fail(f"cannot initialise '{app_state.shown_db}': {short_error(error)}") from error
    if before == after:
        out.print(f"database is up to date (schema {after})")
    elif before is None:
        out.print(f"created the hotline schema {after} in {app_state.shown_db}")
    else:
        out.print(f"migrated the database from schema {before} to {after}")


def build(only: str | None = None) -> typer.Typer:
    """The command line: every command, or with ``only`` just that one (and ``init``)."""
    built = typer.Typer(
        name="hotline",
        help=_HELP,
        rich_markup_mode="rich",
        no_args_is_help=True,
        context_settings={"help_option_names": ["-h", "--help"]},
        pretty_exceptions_enable=False,
    )
    built.callback()(main_options)
    for name, (module, attribute, group) in _COMMANDS.items():
        if only is not None and name != only:
            continue
        target = getattr(importlib.import_module(f"hotline.cli.{module}"), attribute)
        if group:
            built.add_typer(target, name=name)
        else:
            built.command(name)(target)
    built.command()(init)
    return built


def command_named(args: Sequence[str]) -> str | None:
    """The command ``args`` run (the first word that is not a main option or its value), if
    it is one; ``None`` otherwise (help, a typo: the whole app answers those)."""
    value_next = False
    for arg in args:
        if value_next:
            value_next = False
        elif arg in _VALUED_OPTIONS:
            value_next = True
        elif arg in _HELP_OPTIONS:
            return None  # the main help, whatever follows: it lists every command
        elif not arg.startswith("-"):
            return arg if arg in _COMMANDS or arg == "init" else None
    return None


_APP: typer.Typer | None = None


def __getattr__(name: str) -> typer.Typer:
    """``app``: the whole command line, built on first use (tests, documentation tools)."""
    global _APP
    if name != "app":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    if _APP is None:
        _APP = build()
    return _APP


def main() -> None:
    """Console entry point: Click's usage errors exit 2; everything else maps to an exit code.

    Whatever escapes a command ends here as one readable line and an exit code, never as a
    traceback: 2 for the environment (database, files), 130 for Ctrl-C.
    """
    try:
        build(command_named(sys.argv[1:]))(standalone_mode=True)
    except KeyboardInterrupt:
        err.print("interrupted; batches already committed are kept, rerun to complete")
        sys.exit(130)
    except BrokenPipeError:
        # `hotline export urls | head`: the reader has what it wanted. Silence the final
        # flush of stdout (it would fail again) and exit as a successful command.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(0)
    except SQLAlchemyError as error:
        _database_error(error)
    except OSError as error:
        where = f"{error.filename}: " if error.filename else ""
        err.print(f"[bold red]error:[/] {escape(where + (error.strerror or str(error)))}")
        sys.exit(USAGE)
    except Exception as error:
        # the driver's own errors (attribution reads through the raw cursor), recognised by
        # module so that psycopg is not imported by commands that never touch PostgreSQL
        if type(error).__module__.split(".")[0] in {"psycopg", "sqlite3"}:
            _database_error(error)
        raise


def _database_error(error: BaseException) -> NoReturn:
    text = str(getattr(error, "orig", None) or error).strip()
    err.print(f"[bold red]database error:[/] {escape(text)}")
    sys.exit(USAGE)


if __name__ == "__main__":
    main()
