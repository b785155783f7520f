"""``hotline``: the command line. Commands parse options, call services, print results."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from sqlalchemy.exc import SQLAlchemyError

from hotline import __version__
from hotline.cli import demo, exports, ingest, quarantine
from hotline.cli.console import USAGE, err, fail, out
from hotline.cli.context import AppState, state
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
        bool, typer.Option("--quiet", "-q", help="No progress bars or notes; results only.")
    ] = False,
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version."),
    ] = False,
) -> None:
    ctx.obj = AppState(db=database_url(db), quiet=quiet)


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
        raise fail(f"cannot initialise '{app_state.db}': {error}") from error
    if before == after:
        out.print(f"database is up to date (schema {after})")
    elif before is None:
        out.print(f"created the hotline schema {after} in {app_state.db}")
    else:
        out.print(f"migrated the database from schema {before} to {after}")


def main() -> None:
    """Console entry point: Click's usage errors exit 2; everything else maps to the brief."""
    try:
        app(standalone_mode=True)
    except KeyboardInterrupt:
        err.print("interrupted; batches already committed are kept, rerun to complete")
        sys.exit(130)
    except SQLAlchemyError as error:
        err.print(f"[bold red]database error:[/] {str(getattr(error, 'orig', error)).strip()}")
        sys.exit(USAGE)


if __name__ == "__main__":
    main()
