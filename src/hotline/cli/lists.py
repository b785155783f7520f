"""``hotline lists`` (hash lists) and ``hotline match`` (captured media against them)."""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, BinaryIO, cast

import typer
from rich.markup import escape
from rich.table import Table

from hotline.accounts.roles import Permission
from hotline.cli.console import err, fail, file_progress, markup_path, out, ticker
from hotline.cli.context import refusals_exit, state
from hotline.hashes import matching, services
from hotline.hashes.export import write_long_csv, write_vics
from hotline.hashes.formats import ListFormatError
from hotline.hashes.pdq_index import DEFAULT_RADIUS
from hotline.hashes.queries import totals
from hotline.store.uow import unit_of_work
from hotline.strategic.files import OutputError, atomic_output

lists_app = typer.Typer(
    help=(
        "Hash lists: known material (from a hash-sharing programme or your own) and "
        "known-benign hashes that suppress matches.\n\n[bold]Example[/]\n\n"
        "  hotline lists import partner.csv --list partner --create known\n"
        "  hotline match"
    ),
    rich_markup_mode="rich",
    no_args_is_help=True,
)


class ImportFormat(StrEnum):
    csv = "csv"
    vics = "vics"
    icse = "icse"


class ListKind(StrEnum):
    known = "known"
    negative = "negative"


class ExportListFormat(StrEnum):
    csv = "csv"
    vics = "vics"


@lists_app.command("import")
def import_command(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="The list: CSV, VICS JSON or ICSE CSV.")],
    list_name: Annotated[str, typer.Option("--list", help="The list to add the entries to.")],
    fmt: Annotated[
        ImportFormat | None,
        typer.Option("--format", help="Force a format (default: detected from the file)."),
    ] = None,
    create: Annotated[
        ListKind | None,
        typer.Option(
            "--create",
            help="Create the list first, of this kind, if it does not exist: known (a match "
            "makes a medium known) or negative (known-benign: suppresses matches).",
        ),
    ] = None,
    organisation: Annotated[
        str | None, typer.Option("--owner", help="The organisation that owns a new list.")
    ] = None,
    source: Annotated[
        str | None, typer.Option(help="Who publishes a new list (kept with it).")
    ] = None,
    licence: Annotated[
        str | None, typer.Option(help="The terms a new list comes under (kept with it).")
    ] = None,
    tlp: Annotated[
        str,
        typer.Option(
            help="Traffic Light Protocol of a new list: clear, green, amber, amber+strict or red."
        ),
    ] = "amber",
) -> None:
    """Add a file's hashes to a list. Importing the same file again adds nothing; rows that
    cannot be read go to the quarantine with their line and reason.

    Formats: CSV (a kind,value[,scheme,code,series,id] layout, or one column per hash
    kind), Project VIC VICS JSON (1.3 and 2.0; PhotoDNA kept as opaque text, never
    matched) and the INTERPOL ICSE CSV layout. Then run [bold]hotline match[/].

    Exit code 0 when every row was read, 1 when some were quarantined.

    [bold]Examples[/]

      hotline lists import partner.csv --list partner --create known
      hotline lists import vics-export.json --list vic --format vics
    """
    app_state = state(ctx)
    if not file.is_file():
        raise fail(f"{file}: no such file")
    engine = app_state.ready_engine()
    actor = app_state.actor()
    with refusals_exit():
        try:
            summary = services.import_list(
                engine,
                actor,
                file,
                list_name,
                format=fmt.value if fmt else None,
                create_kind=create.value if create else None,
                organisation=organisation,
                source=source,
                licence=licence,
                tlp=tlp,
            )
        except (services.ListError, ListFormatError) as error:
            raise fail(str(error)) from error
    if not app_state.quiet:
        table = Table(title=f"Imported {markup_path(file)} into list {escape(list_name)}",
                      show_header=False, title_justify="left")  # fmt: skip
        table.add_column("what")
        table.add_column("count", justify="right")
        table.add_row("entries read", f"{summary.read:,}")
        for kind, count in sorted(summary.by_kind.items()):
            table.add_row(f"  {kind}", f"{count:,}")
        table.add_row("added", f"{summary.added:,}")
        table.add_row("already in the list", f"{summary.already:,}")
        table.add_row("quarantined", f"{summary.quarantined:,}")
        out.print(table)
    if summary.quarantined:
        err.print(
            f"[yellow]{summary.quarantined:,} row(s) quarantined:[/] "
            "`hotline quarantine list` shows them with their line and reason"
        )
        raise typer.Exit(1)


@lists_app.command("list")
def list_command(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per list.")] = False,
) -> None:
    """Every hash list: kind, owner, TLP, enabled, entries per hash kind.

    [bold]Examples[/]

      hotline lists list
      hotline lists list --json
    """
    engine = state(ctx).ready_engine()
    with engine.connect() as connection:
        rows = services.lists(connection)
    if as_json:
        for row in rows:
            sys.stdout.write(json.dumps(row.__dict__) + "\n")
        return
    if not rows:
        err.print("no hash lists yet: `hotline lists import FILE --list NAME --create known`")
        return
    table = Table(title="Hash lists", title_justify="left")
    for column in ("name", "kind", "enabled", "owner", "TLP", "entries"):
        table.add_column(column)
    for row in rows:
        entries = ", ".join(f"{k} {n:,}" for k, n in sorted(row.entries.items())) or "none"
        table.add_row(escape(row.name), row.kind, "yes" if row.enabled else "no",
                      escape(row.organisation or "–"), row.tlp, entries)  # fmt: skip
    out.print(table)


def _set_enabled(ctx: typer.Context, name: str, enabled: bool) -> None:
    app_state = state(ctx)
    engine = app_state.ready_engine()
    actor = app_state.require(Permission.DECIDE, "lists.enable" if enabled else "lists.disable",
                              name)  # fmt: skip
    try:
        with unit_of_work(engine) as connection:
            services.set_enabled(connection, actor, name, enabled)
    except services.ListError as error:
        raise fail(str(error)) from error
    if not app_state.quiet:
        err.print(f"list {escape(name)} {'enabled' if enabled else 'disabled'}; "
                  "run `hotline match --full` to apply it to earlier media")  # fmt: skip


@lists_app.command("show")
def show(ctx: typer.Context, name: Annotated[str, typer.Argument(help="The list.")]) -> None:
    """One list: its kind, owner, source, licence, TLP, entries per kind and what they
    matched.

    [bold]Example[/]

      hotline lists show partner
    """
    engine = state(ctx).ready_engine()
    with engine.connect() as connection:
        row = next((r for r in services.lists(connection) if r.name == name), None)
        found = services.matched(connection, name) if row is not None else (0, 0)
    if row is None:
        raise fail(f"no hash list named {name!r}; `hotline lists list` shows them")
    table = Table(title=f"Hash list {escape(name)}", show_header=False, title_justify="left")
    table.add_column("what")
    table.add_column("value")
    for label, value in (
        ("kind", row.kind), ("enabled", "yes" if row.enabled else "no"),
        ("owner", row.organisation or "–"), ("source", row.source or "–"),
        ("licence", row.licence or "–"), ("TLP", row.tlp),
    ):  # fmt: skip
        table.add_row(label, escape(value))
    for kind, count in sorted(row.entries.items()):
        table.add_row(f"entries: {kind}", f"{count:,}")
    table.add_row("media matched", f"{found[0]:,}")
    table.add_row("entries that matched", f"{found[1]:,}")
    out.print(table)


@lists_app.command("disable")
def disable(ctx: typer.Context, name: Annotated[str, typer.Argument(help="The list.")]) -> None:
    """Stop using a list: its matches no longer count, nothing is deleted.

    [bold]Example[/]

      hotline lists disable partner
    """
    _set_enabled(ctx, name, False)


@lists_app.command("enable")
def enable(ctx: typer.Context, name: Annotated[str, typer.Argument(help="The list.")]) -> None:
    """Use a disabled list again.

    [bold]Example[/]

      hotline lists enable partner; hotline match --full
    """
    _set_enabled(ctx, name, True)


@lists_app.command("export")
def export(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The list.")],
    out_file: Annotated[Path, typer.Option("--out", "-o", help="The file to write.")],
    fmt: Annotated[
        ExportListFormat, typer.Option("--format", help="csv or vics (VICS JSON 2.0).")
    ] = ExportListFormat.csv,
) -> None:
    """Write a list's entries to a file (written whole or not at all).

    [bold]Example[/]

      hotline lists export partner --format vics --out partner.json
    """
    engine = state(ctx).ready_engine()
    text = fmt is ExportListFormat.csv
    try:
        with engine.connect() as connection, atomic_output(out_file, text=text) as handle:
            entries = services.list_entries(connection, name)
            if text:
                count = write_long_csv(entries, handle)
            else:
                written = write_vics(entries, cast(BinaryIO, handle))
                count = written.entries
                for note in written.lost:
                    err.print(f"[yellow]not in VICS:[/] {escape(note)}")
    except services.ListError as error:
        raise fail(str(error)) from error
    except OutputError as error:
        raise fail(str(error)) from error
    if not state(ctx).quiet:
        err.print(f"[dim]exported {count:,} entr(ies) to {markup_path(out_file)}[/]")


@lists_app.command("held")
def held_command(ctx: typer.Context) -> None:
    """Entries the flood guard holds for review: they matched more media in one run than
    --flood allowed (a blank image's hash, a logo, a placeholder on a list?). Their matches
    count nowhere until released.

    [bold]Example[/]

      hotline lists held
    """
    engine = state(ctx).ready_engine()
    with engine.connect() as connection:
        rows = matching.held(connection)
    if not rows:
        err.print("no entry is held")
        return
    table = Table(title="Held entries", title_justify="left")
    for column in ("entry", "list", "kind", "value", "media"):
        table.add_column(column)
    for entry, name, kind, value, media in rows:
        table.add_row(str(entry), escape(name), kind, escape(value), f"{media:,}")
    out.print(table)


@lists_app.command("release")
def release_command(
    ctx: typer.Context,
    entry: Annotated[int, typer.Argument(help="The entry's number (`hotline lists held`).")],
) -> None:
    """Let a held entry's matches count, after review. Audited.

    [bold]Example[/]

      hotline lists release 1234
    """
    app_state = state(ctx)
    engine = app_state.ready_engine()
    actor = app_state.require(Permission.DECIDE, "match.release", f"entry {entry}")
    with unit_of_work(engine) as connection:
        released = matching.release(connection, actor, entry)
    if not released:  # the decision is recorded all the same: it was made
        err.print(f"entry {entry} holds no matches (`hotline lists held` shows those that do)")
    elif not app_state.quiet:
        err.print(f"released {released:,} match(es) of entry {entry}")


def match(
    ctx: typer.Context,
    radius: Annotated[
        int,
        typer.Option(help="PDQ: the largest Hamming distance (of 256 bits) that matches."),
    ] = DEFAULT_RADIUS,
    flood: Annotated[
        int,
        typer.Option(
            help="Hold an entry for review when it matches more than this many media in one "
            "run (a blank image or a logo on a list would match everything)."
        ),
    ] = matching.DEFAULT_FLOOD,
    full: Annotated[
        bool, typer.Option("--full", help="Compare everything again, not only what is new.")
    ] = False,
) -> None:
    """Compare every captured medium with every enabled hash list.

    MD5, SHA-1 and SHA-256 match exactly; PDQ within --radius bits when both hashes have
    quality 50 or more. Only new media and new entries are compared unless --full. A medium
    is [bold]known[/] when it matches a known list and no negative list; every other
    medium is new. Media are never shown: only their hashes and counts.

    [bold]Examples[/]

      hotline match
      hotline match --radius 24 --full
      hotline export matches --format csv --out matches.csv
    """
    app_state = state(ctx)
    engine = app_state.ready_engine()
    with file_progress(app_state.quiet) as progress, refusals_exit():
        try:
            summary = matching.match(engine, app_state.actor(), radius=radius, flood=flood,
                                     full=full, progress=ticker(progress))  # fmt: skip
        except ValueError as error:
            raise fail(str(error)) from error
    with engine.connect() as connection:
        overall = totals(connection)
    if app_state.quiet:
        return
    table = Table(title="Matched media against the hash lists", show_header=False,
                  title_justify="left")  # fmt: skip
    table.add_column("what")
    table.add_column("count", justify="right")
    table.add_row("media compared" + (" (full run)" if summary.full else ""), f"{summary.media:,}")
    table.add_row("entries of enabled lists", f"{summary.entries:,}")
    table.add_row("new matches", f"{summary.matches:,}")
    for name, count in sorted(summary.by_list.items()):
        table.add_row(f"  {escape(name)}", f"{count:,}")
    table.add_row("held by the flood guard", f"{summary.held:,} ({summary.held_entries} entries)")
    table.add_row("media on a negative list", f"{summary.suppressed:,}")
    table.add_row("all media: known / new", f"{overall.known:,} / {overall.new:,}")
    out.print(table)
    if summary.held_entries:
        err.print(
            f"[yellow]{summary.held_entries} entr(ies) matched more than {flood:,} media and "
            "were held for review[/] (`hotline lists held`, `hotline lists release`)"
        )
