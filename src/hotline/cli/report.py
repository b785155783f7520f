"""``hotline report``: the strategic assessment as HTML, PDF and CSV, or in the terminal."""

from __future__ import annotations

import sys
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from hotline import pipeline
from hotline.cli.console import err, fail, markup_path, out
from hotline.cli.context import refusals_exit, state
from hotline.strategic.build import Scope
from hotline.strategic.model import Assessment


def _date(text: str | None, what: str) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError as error:
        raise fail(f"{what}: '{text}' is not a date (YYYY-MM-DD)") from error


def _moment(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as error:
        raise fail(f"--as-of: '{text}' is not an ISO 8601 date and time") from error
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def report(
    ctx: typer.Context,
    out_dir: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="Folder for assessment.html, .pdf, tables/; '-' writes the HTML alone to "
            "standard output.",
            show_default=False,
        ),
    ] = None,
    date_from: Annotated[
        str | None, typer.Option("--from", help="First day of reports counted (YYYY-MM-DD).")
    ] = None,
    date_to: Annotated[
        str | None, typer.Option("--to", help="Last day of reports counted (YYYY-MM-DD).")
    ] = None,
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of",
            help="Count only data ingested up to this moment (ISO 8601); "
            "the same --as-of gives the same report. Default: now.",
        ),
    ] = None,
    source: Annotated[
        list[str] | None,
        typer.Option("--source", help="Only these hotlines' reports (source codes). Repeatable."),
    ] = None,
    print_: Annotated[
        bool, typer.Option("--print", help="Show the headline and key tables in the terminal.")
    ] = False,
) -> None:
    """Write the strategic assessment: scale, hosting, distributors and brands, payment,
    site types, trends, method — from the database, in seconds, reproducibly.

    [bold]--out DIR[/] writes [bold]assessment.html[/] (one offline file, charts as inline
    SVG, printable, every URL and domain defanged, no links), [bold]assessment.pdf[/] when a
    PDF engine is available (WeasyPrint or headless Chromium), and [bold]tables/*.csv[/]
    with the data behind every table and chart (CSV-injection safe). [bold]--out -[/]
    writes only the HTML, to standard output. [bold]--print[/] shows the headline and key
    tables here. Run [bold]hotline enrich[/] and [bold]hotline
    attribute[/] first so hosting and brands are current.

    [bold]Examples[/]

      hotline report --out assessment-2026
      hotline report --from 2026-01-01 --to 2026-06-30 --source HL-A --source HL-B --print
      hotline report --out q3 --as-of 2026-10-01T00:00:00Z
      hotline report --out - > assessment.html
    """
    if out_dir is None and not print_:
        raise fail("say where to write the report (--out DIR) or use --print")
    to_stdout = out_dir is not None and str(out_dir) == "-"
    if to_stdout and print_:
        raise fail("--out - and --print both write to standard output; choose one")
    scope = Scope(_date(date_from, "--from"), _date(date_to, "--to"), _moment(as_of),
                  tuple(source or ()))  # fmt: skip
    if scope.date_from and scope.date_to and scope.date_from > scope.date_to:
        raise fail("--from is after --to")
    app_state = state(ctx)
    engine = app_state.ready_engine()
    if scope.sources:
        scope = Scope(
            scope.date_from, scope.date_to, scope.as_of, _known_sources(engine, scope.sources)
        )

    def deliver(assessment: Assessment) -> dict[str, object] | None:
        if print_:
            from hotline.strategic.terminal import print_summary

            print_summary(assessment, out)
        if out_dir is None:
            return None
        if to_stdout:
            _html_to_stdout(assessment)
            return None
        return _write_files(assessment, out_dir)

    with refusals_exit():
        pipeline.assess(engine, app_state.actor(), scope,
                        str(out_dir) if out_dir is not None else None, deliver)  # fmt: skip


def _html_to_stdout(assessment: Assessment) -> None:
    from hotline.strategic.html import render_html

    html = render_html(assessment)
    sys.stdout.flush()
    binary = getattr(sys.stdout, "buffer", None)
    if binary is not None:  # UTF-8, as the file would be, whatever the locale says
        binary.write(html.encode("utf-8"))
        binary.flush()
    else:
        sys.stdout.write(html)
        sys.stdout.flush()


def _write_files(assessment: Assessment, out_dir: Path) -> dict[str, object]:
    from hotline.strategic.files import OutputError

    try:
        written = write_report(assessment, out_dir)
    except OutputError as error:
        raise fail(str(error)) from error
    except OSError as error:  # the folder itself cannot be made
        raise fail(f"cannot write the report to {out_dir}: {error.strerror or error}") from error
    html_path = markup_path(written["html"])
    out.print(f"wrote {html_path}")
    if written.get("pdf"):
        out.print(f"wrote {markup_path(written['pdf'])} ({written['engine']})")
    else:
        err.print("[dim]no PDF engine found (WeasyPrint or Chromium): HTML and CSV only[/]")
    out.print(f"wrote {written['tables']} table(s) to {markup_path(out_dir / 'tables')}")
    out.print(f"open {html_path} in a browser; it needs no network")
    return {"files": {key: str(value) for key, value in written.items() if value is not None}}


def _known_sources(engine: Any, asked: tuple[str, ...]) -> tuple[str, ...]:
    """The stored codes for the asked ones (case-insensitive); an unknown code is an error,
    not an empty report that looks like a real one."""
    from hotline.intake.stats import all_sources, stored_sources

    with engine.connect() as connection:
        known, unknown = stored_sources(connection, asked)
        listed = ", ".join(all_sources(connection)) or "none yet"
    if unknown:
        raise fail(f"unknown source(s): {', '.join(unknown)} (known: {listed})")
    return known


def write_report(assessment: Assessment, out_dir: Path) -> dict[str, object]:
    """Write assessment.html, tables/*.csv and (with an engine) assessment.pdf into ``out_dir``.

    Each file is written whole or not at all; a file that cannot be written raises
    :class:`hotline.strategic.files.OutputError` and leaves the earlier one in place.
    """
    from hotline.strategic.csvout import write_tables
    from hotline.strategic.files import write_atomic
    from hotline.strategic.html import render_html
    from hotline.strategic.pdf import write_pdf

    out_dir.mkdir(parents=True, exist_ok=True)
    html_path = out_dir / "assessment.html"
    write_atomic(html_path, render_html(assessment).encode("utf-8"))
    tables = write_tables(assessment, out_dir / "tables")
    pdf_path = out_dir / "assessment.pdf"
    engine = write_pdf(html_path, pdf_path)
    return {"html": html_path, "pdf": pdf_path if engine else None, "engine": engine,
            "tables": len(tables)}  # fmt: skip
