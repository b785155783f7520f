"""``hotline export``: machine-readable tables for other tools, or defanged for people.

Two audiences, one switch. ``--no-defang`` (the default for a file or a pipe) is the tools'
contract: every value exactly as stored, so the export round-trips (CSV only prefixes a cell
that would start a spreadsheet formula; JSON Lines escapes control characters as JSON does).
``--defang`` (the default on a terminal) is for people: sites and URLs defanged, and every
text cell passed through :func:`hotline.urls.display.for_people` (a URL anywhere in a value
defanged, control characters and bidi overrides shown escaped). Whatever the switch, what
goes to a terminal never carries a control character. A file is written whole or not at all.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator, Sequence
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from hotline.casework.queries import CASE_EXPORT_COLUMNS, case_rows
from hotline.cli.console import err, fail, markup_path
from hotline.cli.context import state
from hotline.sharing.formats import write_rows
from hotline.sharing.matches import MATCH_EXPORT_COLUMNS, matches_export_rows
from hotline.sharing.selectors import SELECTOR_EXPORT_COLUMNS, selector_rows
from hotline.sharing.urls import URL_EXPORT_COLUMNS, url_rows
from hotline.strategic.files import OutputError, atomic_output
from hotline.urls.display import escape_controls, rows_for_people

app = typer.Typer(
    help=(
        "Export tables as CSV or JSON Lines.\n\n[bold]Example[/]\n\n"
        "  hotline export urls --format jsonl --out urls.jsonl"
    ),
    rich_markup_mode="rich",
    no_args_is_help=True,
)


OUT_HELP = "Write to this file instead of standard output ('-' is standard output)."


def output_file(out_file: Path | None) -> Path | None:
    """The file to write, or None for standard output: no --out, or ``--out -``.

    A file really named ``-`` is still reachable with a folder in front (``exports/-``, or
    its full path).
    """
    return None if out_file is None or str(out_file) == "-" else out_file


def _stdout_is_terminal() -> bool:
    try:
        return sys.stdout.isatty()
    except (AttributeError, ValueError):  # closed or not a real stream
        return False


def _controls_escaped(rows: Iterator[tuple[Any, ...]]) -> Iterator[tuple[Any, ...]]:
    """Rows for a terminal that asked for values as stored: only control characters escaped."""
    for row in rows:
        yield tuple(
            escape_controls(v) if isinstance(v, str)
            else [escape_controls(x) if isinstance(x, str) else x for x in v]
            if isinstance(v, list)
            else v
            for v in row
        )  # fmt: skip


class ExportFormat(StrEnum):
    csv = "csv"
    jsonl = "jsonl"


@app.command("urls")
def export_urls(
    ctx: typer.Context,
    fmt: Annotated[
        ExportFormat, typer.Option("--format", help="Output format.")
    ] = ExportFormat.csv,
    out_file: Annotated[
        Path | None, typer.Option("--out", "-o", help=OUT_HELP, show_default=False)
    ] = None,
    defanged: Annotated[
        bool | None,
        typer.Option(
            "--defang/--no-defang",
            help="Defang URLs and sites (for people, not tools). Default: defanged when "
            "writing to a terminal, as they are when the output goes to a file or a pipe.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """One row per canonical URL: url, site, first and last reported, report count, sources.

    URLs go to files and pipes as they are (tools need them) and to a terminal defanged;
    --defang / --no-defang decide explicitly. Defanged output is for people: control
    characters in any value are shown escaped, and nothing written to a terminal carries one.
    CSV cells that a spreadsheet would run as a formula are prefixed with a quote. A file is
    written whole or not at all.

    [bold]Examples[/]

      hotline export urls --format csv --out urls.csv
      hotline export urls --format jsonl | head
    """
    out_file = output_file(out_file)
    engine = state(ctx).ready_engine()
    if defanged is None:  # a person reading a terminal never sees a live URL by default
        defanged = out_file is None and _stdout_is_terminal()
    with engine.connect() as connection:
        rows = url_rows(connection, defanged=defanged)
        count = _write(rows, URL_EXPORT_COLUMNS, fmt, out_file, people=defanged)
    if not state(ctx).quiet:
        where = f" to {markup_path(out_file)}" if out_file else ""
        err.print(f"[dim]exported {count:,} URL(s){where}[/]")


@app.command("matches")
def export_matches(
    ctx: typer.Context,
    fmt: Annotated[
        ExportFormat, typer.Option("--format", help="Output format.")
    ] = ExportFormat.csv,
    out_file: Annotated[
        Path | None, typer.Option("--out", "-o", help=OUT_HELP, show_default=False)
    ] = None,
    defanged: Annotated[
        bool | None,
        typer.Option(
            "--defang/--no-defang",
            help="Defang sites and URLs (for people). Default: defanged on a terminal only.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """One row per captured medium matching a hash-list entry (run [bold]hotline match[/]
    first): site, URL, capture time, the medium's SHA-256, list, entry, kind, distance.
    Matches held by the flood guard and media on a negative list are left out.

    [bold]Examples[/]

      hotline export matches --format csv --out matches.csv
      hotline export matches --format jsonl | head
    """
    out_file = output_file(out_file)
    engine = state(ctx).ready_engine()
    if defanged is None:
        defanged = out_file is None and _stdout_is_terminal()
    with engine.connect() as connection:
        rows = matches_export_rows(connection, defanged=defanged)
        count = _write(rows, MATCH_EXPORT_COLUMNS, fmt, out_file, people=defanged)
    if not state(ctx).quiet:
        where = f" to {markup_path(out_file)}" if out_file else ""
        err.print(f"[dim]exported {count:,} match(es){where}[/]")


@app.command("cases")
def export_cases(
    ctx: typer.Context,
    fmt: Annotated[
        ExportFormat, typer.Option("--format", help="Output format.")
    ] = ExportFormat.csv,
    out_file: Annotated[
        Path | None, typer.Option("--out", "-o", help=OUT_HELP, show_default=False)
    ] = None,
    defanged: Annotated[
        bool | None,
        typer.Option(
            "--defang/--no-defang",
            help="Defang URLs (for people). Default: defanged on a terminal only.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """One row per casework case (run [bold]hotline casework run[/] first): URL, state and
    since when, first report, decision, first and last notice, removal, gone before notice,
    re-appearances, and the hosting the first notice went to.

    [bold]Examples[/]

      hotline export cases --format csv --out cases.csv
      hotline export cases --format jsonl | head
    """
    out_file = output_file(out_file)
    engine = state(ctx).ready_engine()
    if defanged is None:
        defanged = out_file is None and _stdout_is_terminal()
    with engine.connect() as connection:
        count = _write(case_rows(connection), CASE_EXPORT_COLUMNS, fmt, out_file, people=defanged)
    if not state(ctx).quiet:
        where = f" to {markup_path(out_file)}" if out_file else ""
        err.print(f"[dim]exported {count:,} case(s){where}[/]")


@app.command("selectors")
def export_selectors(
    ctx: typer.Context,
    fmt: Annotated[
        ExportFormat, typer.Option("--format", help="Output format.")
    ] = ExportFormat.csv,
    out_file: Annotated[
        Path | None, typer.Option("--out", "-o", help=OUT_HELP, show_default=False)
    ] = None,
    defanged: Annotated[
        bool | None,
        typer.Option(
            "--defang/--no-defang",
            help="Defang sites, host-like values and every URL inside a value (for people). "
            "Default: defanged on a terminal only.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """One row per (site, kind, value): method, strength, first and last seen, captures
    showing it, and how many sites share the value (the rarer, the stronger the link).

    [bold]Examples[/]

      hotline export selectors --format csv --out selectors.csv
      hotline export selectors --format jsonl | grep btc_address
    """
    out_file = output_file(out_file)
    engine = state(ctx).ready_engine()
    if defanged is None:
        defanged = out_file is None and _stdout_is_terminal()
    with engine.connect() as connection:
        rows = selector_rows(connection, defanged=defanged)
        count = _write(rows, SELECTOR_EXPORT_COLUMNS, fmt, out_file, people=defanged)
    if not state(ctx).quiet:
        where = f" to {markup_path(out_file)}" if out_file else ""
        err.print(f"[dim]exported {count:,} selector link(s){where}[/]")


def _write(
    rows: Iterator[tuple[Any, ...]],
    columns: Sequence[str],
    fmt: ExportFormat,
    out_file: Path | None,
    *,
    people: bool,
) -> int:
    """Write the rows; ``people``: for people (see the module), else as stored."""
    if people:
        rows = rows_for_people(rows)
    elif out_file is None and _stdout_is_terminal():
        rows = _controls_escaped(rows)
    if out_file is None:
        try:
            count = write_rows(sys.stdout, fmt.value, columns, rows)
            sys.stdout.flush()
        except BrokenPipeError:
            # `hotline export urls | head`: the reader has what it wanted; that is success.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            raise typer.Exit(0) from None
        return count
    try:
        with atomic_output(out_file, text=True) as handle:
            return write_rows(handle, fmt.value, columns, rows)
    except OutputError as error:
        raise fail(str(error)) from error


@app.command("sites")
def export_sites(
    ctx: typer.Context,
    fmt: Annotated[
        ExportFormat, typer.Option("--format", help="Output format.")
    ] = ExportFormat.csv,
    out_file: Annotated[
        Path | None, typer.Option("--out", "-o", help=OUT_HELP, show_default=False)
    ] = None,
    defanged: Annotated[
        bool | None,
        typer.Option(
            "--defang/--no-defang",
            help="Defang site names. Default: defanged on a terminal only.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """One row per site: site, brand_id, distributor_id, brand_label, distributor_label,
    urls, first_seen, last_seen (reports), country (current hosting). Run
    [bold]hotline attribute[/] and [bold]hotline enrich[/] first for the ids and country.

    [bold]Examples[/]

      hotline export sites --format csv --out sites.csv
      hotline score --truth world/truth.json --export sites.csv
    """
    from hotline.attribution.queries import SITE_EXPORT_COLUMNS, site_rows
    from hotline.urls import defang_host

    out_file = output_file(out_file)
    engine = state(ctx).ready_engine()
    if defanged is None:
        defanged = out_file is None and _stdout_is_terminal()
    with engine.connect() as connection:
        rows = site_rows(connection)
        if defanged:
            rows = ((defang_host(row[0]), *row[1:]) for row in rows)
        count = _write(rows, SITE_EXPORT_COLUMNS, fmt, out_file, people=defanged)
    if not state(ctx).quiet:
        where = f" to {markup_path(out_file)}" if out_file else ""
        err.print(f"[dim]exported {count:,} site(s){where}[/]")
