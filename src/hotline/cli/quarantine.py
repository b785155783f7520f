"""``hotline quarantine``: what was rejected, where, and why."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from hotline.cli.console import fail, markup_path, markup_value, out, text_value
from hotline.cli.context import state
from hotline.quarantine import counts_by_reason, entries, entry
from hotline.strategic.files import OutputError, write_atomic
from hotline.urls.display import for_people

app = typer.Typer(
    help=(
        "See the input that was rejected and why.\n\n[bold]Examples[/]\n\n"
        "  hotline quarantine list --reason bad_timestamp\n\n  hotline quarantine show 12"
    ),
    rich_markup_mode="rich",
    no_args_is_help=True,
)


def _preview(raw: bytes, width: int = 60) -> str:
    """The record on one line: line breaks as ⏎, controls escaped, URLs defanged, cut."""
    lines = raw.decode("utf-8", "backslashreplace").replace("\r\n", "\n").split("\n")
    text = "⏎".join(for_people(line) for line in lines)
    return text if len(text) <= width else text[: width - 1] + "…"


@app.command("list")
def list_entries(
    ctx: typer.Context,
    file: Annotated[
        str | None, typer.Option(help="Only entries whose file path contains this text.")
    ] = None,
    reason: Annotated[
        str | None, typer.Option(help="Only this reason code, e.g. url_unsupported_scheme.")
    ] = None,
    limit: Annotated[int, typer.Option(min=0, help="At most this many rows (0: all).")] = 50,
) -> None:
    """List rejected records: id, file, line, reason. URLs are shown defanged.

    [bold]Examples[/]

      hotline quarantine list
      hotline quarantine list --reason bad_timestamp --limit 0
      hotline quarantine list --file hl-a-2026-11.csv
    """
    engine = state(ctx).ready_engine()
    with engine.connect() as connection:
        counts = list(counts_by_reason(connection))
        rows = entries(connection, file=file, code=reason, limit=limit or None)
    if not counts:
        out.print("the quarantine is empty: nothing was rejected")
        return
    out.print(
        "by reason: "
        + ", ".join(f"[bold]{markup_value(code)}[/] {count:,}" for code, count in counts)
    )
    table = Table(show_lines=False)
    for column in ("id", "file", "line", "reason", "record"):
        table.add_column(column, overflow="fold")
    for item in rows:
        # Everything below came from input files: shown literally, never as markup, with
        # control characters escaped and URLs defanged.
        table.add_row(
            str(item.id),
            text_value(Path(item.file).name),
            str(item.line),
            text_value(f"{item.reason_code}: {item.reason}"),
            Text(_preview(item.raw)),
        )
    out.print(table)
    out.print("[dim]hotline quarantine show ID prints one record in full[/]")


@app.command("show")
def show(
    ctx: typer.Context,
    entry_id: Annotated[int, typer.Argument(help="Quarantine id (from `quarantine list`).")],
    save_raw: Annotated[
        Path | None,
        typer.Option(help="Also write the record's original bytes to this file, unchanged."),
    ] = None,
) -> None:
    """Show one rejected record in full: where it was, why, and its content (defanged).

    [bold]Example[/]

      hotline quarantine show 12 --save-raw row12.csv
    """
    engine = state(ctx).ready_engine()
    with engine.connect() as connection:
        item = entry(connection, entry_id)
    if item is None:
        raise fail(f"no quarantine entry with id {entry_id}")
    out.print(f"[bold]id[/]        {item.id}")
    out.print(f"[bold]kind[/]      {markup_value(item.kind)}")
    out.print(f"[bold]file[/]      {markup_value(item.file)}")
    out.print(f"[bold]line[/]      {item.line}  (byte offset {item.byte_offset:,})")
    out.print(f"[bold]reason[/]    {markup_value(f'{item.reason_code}: {item.reason}')}")
    out.print(f"[bold]recorded[/]  {item.created_at:%Y-%m-%d %H:%M:%S} UTC")
    size = f"{len(item.raw):,} bytes" + (
        " (cut; the original was longer)" if item.raw_truncated else ""
    )
    out.print(f"[bold]record[/]    {size}, URLs defanged, control characters escaped:")
    record = item.raw.decode("utf-8", "backslashreplace")
    out.print(Text(for_people(record, keep="\t\n")))
    if save_raw is not None:
        try:
            write_atomic(save_raw, item.raw)
        except OutputError as error:
            raise fail(str(error)) from error
        out.print(f"original bytes written to {markup_path(save_raw)}")
