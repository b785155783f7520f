"""``hotline``: the command line. Commands parse options, call services, print results."""

from __future__ import annotations

import os
import sys
from typing import Annotated, NoReturn

import typer
from rich.markup import escape
from sqlalchemy.exc import SQLAlchemyError

from hotline import __version__
from hotline.cli import (
    accounts,
    attribution,
    casework,
    credentials,
    demo,
    exports,
    hosting,
    ingest,
    lists,
    quarantine,
    report,
    selectors,
    serve,
    synth,
)
from hotline.cli.console import USAGE, err, fail, out
from hotline.cli.context import AppState, short_error, state
from hotline.store.engine import DEFAULT_DB, database_url
from hotline.store.migrate import upgrade

app = typer.Typer(
    name="hotline",
    help=(
        "Content-free intelligence for internet hotlines: canonical URLs, sites, hosting, "
        "brands and distributors, from the reports and captures hotlines already hold.\n\n"
        "Start with [bold]hotline demo[/] to see it work on a synthetic world.\n\n"
        "[bold]Examples[/]\n\n"
        "  hotline demo\n\n"
        "  hotline init && hotline ingest reports feeds/*.csv\n\n"
        "  hotline --db postgresql://hotline@db.example/hotline quarantine list"
    ),
    rich_markup_mode="rich",
    no_args_is_help=True,
    context_settings={"help_option_names": ["-h", "--help"]},
    pretty_exceptions_enable=False,
)
app.add_typer(ingest.app, name="ingest")
app.add_typer(quarantine.app, name="quarantine")
app.add_typer(exports.app, name="export")
app.command("demo")(demo.demo)
app.command("synth")(synth.synth)
app.command("score")(synth.score_command)
app.command("selectors")(selectors.selectors)
app.command("enrich")(hosting.enrich)
app.command("hosting")(hosting.hosting)
app.add_typer(hosting.providers_app, name="providers")
app.command("attribute")(attribution.attribute)
app.command("why")(attribution.why)
app.command("link")(attribution.link)
app.command("unlink")(attribution.unlink)
app.command("label")(attribution.label)
app.command("report")(report.report)
app.add_typer(accounts.orgs_app, name="orgs")
app.add_typer(accounts.users_app, name="users")
app.add_typer(accounts.audit_app, name="audit")
app.add_typer(credentials.tokens_app, name="tokens")
app.command("serve")(serve.serve)
app.add_typer(lists.lists_app, name="lists")
app.command("match")(lists.match)
app.add_typer(casework.app, name="casework")


def _version(value: bool) -> None:
    if value:
        out.print(f"hotline {__version__}")
        raise typer.Exit()


@app.callback()
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


@app.command()
def init(ctx: typer.Context) -> None:
    """Create the database, or migrate it to this version's schema. Safe to run again.

    [bold]Examples[/]

      hotline init
      hotline --db postgresql://hotline@127.0.0.1/hotline init
    """
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


def main() -> None:
    """Console entry point: Click's usage errors exit 2; everything else maps to an exit code.

    Whatever escapes a command ends here as one readable line and an exit code, never as a
    traceback: 2 for the environment (database, files), 130 for Ctrl-C.
    """
    try:
        app(standalone_mode=True)
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
