"""``hotline ingest``: bring report feeds and captures (later passive DNS) into the store."""

from __future__ import annotations

from contextlib import closing
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from sqlalchemy import Engine

from hotline import pipeline
from hotline.captures.extractors.payments import ProcessorTable
from hotline.captures.services import CaptureSummary
from hotline.cli.console import INPUT_REJECTED, err, fail, file_progress, out, ticker
from hotline.cli.context import AppState, refusals_exit, state
from hotline.intake.batches import IntakeWorkerError
from hotline.intake.services import (
    IngestSummary,
    ReportImporter,
    UnknownFormatError,
    detect_format,
)
from hotline.intake.stats import multi_source_urls

app = typer.Typer(
    help=(
        "Bring input into the store.\n\n[bold]Example[/]\n\n"
        "  hotline ingest reports feeds/hl-a.csv feeds/hl-b.jsonl\n\n"
        "  hotline ingest captures captures/*.warc.gz"
    ),
    rich_markup_mode="rich",
    no_args_is_help=True,
)


class FeedFormat(StrEnum):
    csv = "csv"
    jsonl = "jsonl"


@app.command("reports")
def reports(
    ctx: typer.Context,
    files: Annotated[
        list[Path],
        typer.Argument(
            help="Report feeds: CSV with a header row, or JSON Lines.", show_default=False
        ),
    ],
    fmt: Annotated[
        FeedFormat | None,
        typer.Option("--format", help="Feed format; by default from the file extension."),
    ] = None,
    batch_size: Annotated[
        int, typer.Option(min=1, max=100_000, help="Rows per transaction.")
    ] = 5000,
) -> None:
    """Import hotline report feeds: validate, canonicalise, dedupe; quarantine bad rows.

    Each row needs [bold]source[/], [bold]source_report_id[/], [bold]reported_at[/] (ISO 8601)
    and [bold]url[/]; [bold]site_type[/], [bold]commercial[/] and [bold]note[/] are optional and
    other columns are kept. A report is unique by (source, source_report_id), so importing a
    file again adds nothing. Rows that cannot be used go to the quarantine with file, line and
    reason (see [bold]hotline quarantine list[/]); the rest of the file still goes in.

    Exit code 0 when every row was accepted, 1 when some were rejected.

    [bold]Examples[/]

      hotline ingest reports feeds/hl-a-2026-11.csv feeds/hl-b-2026-11.jsonl
      hotline ingest reports --format csv export.txt
    """
    app_state = state(ctx)
    for path in files:
        if path.is_dir():
            raise fail(f"{path}: is a directory; give the feed files themselves")
        if not path.is_file():
            raise fail(f"{path}: no such file")
        try:
            detect_format(path, fmt.value if fmt else None)
        except UnknownFormatError as error:
            raise fail(str(error)) from error
    engine = app_state.ready_engine()
    importer = ReportImporter(engine, batch_size=batch_size)
    total = import_files(app_state, importer, files, fmt.value if fmt else None)
    if not app_state.quiet:  # quiet: no summary, only warnings; the exit code tells the rest
        with engine.connect() as connection:
            overlap = multi_source_urls(connection)
        _print_summary(total, overlap, len(files))
    if total.rejected:
        err.print(
            f"[yellow]{total.rejected:,} row(s) rejected[/] — see "
            "[bold]hotline quarantine list[/] for where and why"
        )
        raise typer.Exit(INPUT_REJECTED)


def import_files(
    app_state: AppState, importer: ReportImporter, files: list[Path], fmt: str | None
) -> IngestSummary:
    """Import files one after the other with a progress bar each; returns the totals."""
    with file_progress(app_state.quiet) as progress, refusals_exit():
        try:
            return pipeline.import_reports(importer.engine, app_state.actor(), files, fmt,
                                           ticker(progress), importer)  # fmt: skip
        except IntakeWorkerError as error:
            raise fail(str(error)) from error
        except KeyboardInterrupt:
            err.print(
                "interrupted: batches already committed are kept; "
                "run the same command again to complete the import"
            )
            raise typer.Exit(130) from None


def _print_summary(summary: IngestSummary, overlap: int, files: int) -> None:
    table = Table(title=f"Imported {files} file(s)", show_header=False, title_justify="left")
    table.add_column("what")
    table.add_column("count", justify="right")
    for label, value in (
        ("rows read", summary.rows_read),
        ("new reports", summary.new_reports),
        ("duplicate reports (already known)", summary.duplicate_reports),
        ("new URLs", summary.new_urls),
        ("new sites", summary.new_sites),
        ("rejected (quarantined)", summary.rejected),
        ("URLs reported by more than one hotline (whole database)", overlap),
    ):
        table.add_row(label, f"{value:,}")
    out.print(table)
    if summary.rejected_by_code:
        reasons = ", ".join(
            f"{code} {count:,}" for code, count in sorted(summary.rejected_by_code.items())
        )
        out.print(f"rejected by reason: {reasons}")


@app.command("captures")
def captures(
    ctx: typer.Context,
    files: Annotated[
        list[Path],
        typer.Argument(help="WARC 1.0/1.1 files, gzipped (.warc.gz) or not.", show_default=False),
    ],
    processors: Annotated[
        Path | None,
        typer.Option(
            "--processors",
            help="Extra payment processors (CSV host,name,method or the JSON list a synthetic "
            "world writes), merged over the shipped table.",
        ),
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(
            "--workers",
            min=1,
            help="Processes that parse large files (8 MB and up) while this one reads and "
            "stores; default one per core, 1 = parse here.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Import capture files: pages, their selectors, and hashes of their media.

    Each HTML response becomes a capture (URL, final URL after redirects, time, status,
    server IP, Referer, title) with the selectors found in it: payment addresses and
    merchant ids, affiliate and analytics ids, template fingerprint, brand text, e-mails,
    script hosts, favicons, redirects between sites. Images and videos are hashed in memory
    (MD5, SHA-1, SHA-256, PDQ for images) and the bytes dropped: [bold]no media byte is ever
    written[/], not to the database, a temporary file or a log.

    A record is unique by its WARC-Record-ID, so importing a file again adds nothing. Broken
    records (truncated gzip, bad headers, wrong Content-Length, not HTTP, not HTML, too
    large) go to the quarantine with file, record number, offset and reason; the rest of the
    file still goes in. Revisit records (deduplicating recorders) are captures too; logs and
    manifests of wget or wpull are counted and skipped. ARC files are not read: convert them
    with [bold]warcio recompress[/] first. Exit code 0 when every record was read, 1 when some
    were refused.

    [bold]Examples[/]

      hotline ingest captures captures/*.warc.gz
      hotline ingest captures --processors world/processors.json world/captures/*.warc.gz
    """
    app_state = state(ctx)
    for path in files:
        if not path.is_file():
            raise fail(f"{path}: no such file")
    try:
        table = ProcessorTable.load(processors)
    except (OSError, ValueError) as error:
        raise fail(f"cannot read the processor table {processors}: {error}") from error
    engine = app_state.ready_engine()
    total = import_captures(app_state, engine, files, table, workers)
    if not app_state.quiet:  # quiet: no summary, only warnings; the exit code tells the rest
        _print_capture_summary(total, len(files))
    if total.rejected:
        err.print(
            f"[yellow]{total.rejected:,} record(s) refused[/] — see "
            "[bold]hotline quarantine list[/] for where and why"
        )
        raise typer.Exit(INPUT_REJECTED)


def import_captures(
    app_state: AppState,
    engine: Engine,
    files: list[Path],
    table: ProcessorTable,
    workers: int | None = None,
) -> CaptureSummary:
    total = CaptureSummary(file="all files")
    stored = 0  # files stored whole: an interruption is in the next one
    with file_progress(app_state.quiet) as progress, refusals_exit():
        run = pipeline.import_captures(
            engine, app_state.actor(), files, table, workers, ticker(progress)
        )
        try:
            with closing(run):
                for _, summary in run:
                    total.add(summary)
                    stored += 1
        except KeyboardInterrupt:
            where = f" in {files[stored].name}" if stored < len(files) else ""
            err.print(
                f"interrupted{where}: batches already committed are kept; "
                "run the same command again to complete the import"
            )
            raise typer.Exit(130) from None
    return total


def _print_capture_summary(summary: CaptureSummary, files: int) -> None:
    table = Table(
        title=f"Imported {files} capture file(s)", show_header=False, title_justify="left"
    )
    table.add_column("what")
    table.add_column("count", justify="right")
    for label, value in (
        ("WARC records read", summary.records),
        ("HTML pages", summary.pages),
        ("new captures", summary.new_captures),
        ("captures already known", summary.known_captures),
        ("selector sightings (capture, selector)", summary.selector_links),
        ("media hashed (bytes dropped)", summary.media),
        ("revisit records (captures of content stored before)", summary.revisits),
        ("  of those, original in no file imported", summary.revisits_without_original),
        ("not captures of a web resource (warcinfo, logs, manifests)", summary.not_web),
        ("URLs first seen in captures", summary.new_urls),
        ("records refused (quarantined)", summary.rejected),
    ):
        table.add_row(label, f"{value:,}")
    out.print(table)
    if summary.rejected_by_code:
        reasons = ", ".join(f"{c} {n:,}" for c, n in sorted(summary.rejected_by_code.items()))
        out.print(f"refused by reason: {reasons}")
    if summary.flags:
        out.print("flags: " + ", ".join(f"{f} {n:,}" for f, n in sorted(summary.flags.items())))


@app.command("pdns")
def pdns(
    ctx: typer.Context,
    files: Annotated[
        list[Path],
        typer.Argument(
            help="Passive DNS: COF / dnsdbq -j / DNSDB SAF lines, a JSON array or a sequence "
            "of JSON objects (.gz or not).",
            show_default=False,
        ),
    ],
) -> None:
    """Import passive DNS: which names resolved to which addresses, and when.

    Each record is a COF object: [bold]rrname[/], [bold]rrtype[/], [bold]rdata[/] (string or
    array), [bold]time_first[/]/[bold]time_last[/] (epoch seconds; zone_time_* accepted),
    optional [bold]count[/]. Read as one object per line (COF, [bold]dnsdbq -j[/], DNSDB API
    streaming lines with [bold]{"cond":...}[/] and [bold]{"obj":...}[/]), as a JSON array, or
    as a sequence of pretty-printed objects. A, AAAA, CNAME and NS records become hosting
    observations; other types are counted and skipped. Importing again widens the seen
    periods and adds no rows. Bad records go to the quarantine with line, byte offset and
    reason. A DNSDB stream that failed, hit its limit or was cut short is imported as far as
    it goes, with a warning. Then run [bold]hotline enrich[/].

    Exit code 0 when every record was accepted, 1 when some were rejected.

    [bold]Examples[/]

      hotline ingest pdns world/pdns.jsonl
      dnsdbq -r '*.shop.example' -j > shop.jsonl; hotline ingest pdns shop.jsonl
    """
    from rich.markup import escape

    from hotline.hosting.pdns_import import PdnsFileError

    app_state = state(ctx)
    for path in files:
        if not path.is_file():
            raise fail(f"{path}: no such file")
    engine = app_state.ready_engine()
    with file_progress(app_state.quiet) as progress, refusals_exit():
        try:
            total = pipeline.import_pdns(engine, app_state.actor(), files, ticker(progress))
        except PdnsFileError as error:
            raise fail(str(error)) from error
    table = Table(title=f"Imported {len(files)} passive-DNS file(s)", show_header=False,
                  title_justify="left")  # fmt: skip
    table.add_column("what")
    table.add_column("count", justify="right")
    rows = [
        ("lines read", total.lines),
        ("records used (A, AAAA, CNAME, NS)", total.records),
        ("observations written", total.observations),
        ("records of other types (skipped)", total.ignored_types),
        ("rejected (quarantined)", total.rejected),
    ]
    if total.framing:
        rows.append(("DNSDB framing lines (begin, succeeded, ...)", total.framing))
    for label, value in rows:
        table.add_row(label, f"{value:,}")
    if not app_state.quiet:
        out.print(table)
    for warning in total.warnings:
        err.print(f"[yellow]warning:[/] {escape(warning)}", soft_wrap=True)  # one line, for grep
    if total.rejected:
        reasons = ", ".join(f"{c} {n:,}" for c, n in sorted(total.rejected_by_code.items()))
        err.print(
            f"[yellow]{total.rejected:,} line(s) rejected[/] ({reasons}) — see "
            "[bold]hotline quarantine list[/] for where and why"
        )
        raise typer.Exit(INPUT_REJECTED)
