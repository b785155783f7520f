"""Shared terminal helpers: one console for messages, exit codes, progress bars, and the
helpers that make values from data safe to print.

Every value that comes from data (feeds, captures, passive DNS, IP databases, RDAP, analysts'
labels, file names) is printed through :func:`markup_value` (inside a markup string),
:func:`text_value` (a ``Text``, never read as markup) or :func:`markup_path` (a path the user
gave): control characters and bidi overrides are shown escaped, rich markup is shown
literally, and values are defanged (:func:`hotline.urls.display.for_people`). As a last line
of defence, :class:`HotlineConsole` escapes any control character still left in what it
prints, so no value can move the cursor, retitle the window or write the clipboard.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from typing import Any

import typer
from rich.console import Console, ConsoleDimensions
from rich.markup import escape
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    ProgressColumn,
    Task,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.segment import Segment
from rich.table import Table
from rich.text import Text

from hotline.urls.display import escape_controls, for_people, is_displayable

# Exit codes, a contract scripts rely on (README): 0 ok, 1 input rejected (partly or
# wholly), 2 usage or environment error, 130 interrupted.
OK, INPUT_REJECTED, USAGE = 0, 1, 2

# Width of output that goes to a pipe, a file or a log rather than a terminal, unless COLUMNS
# says otherwise: wide enough that tables keep one line per row.
PIPED_WIDTH = 240


class HotlineConsole(Console):
    """A rich console that fits a terminal, and never cuts text that goes anywhere else.

    On a terminal, tables fit the window and may shorten a cell with "…". Written to a pipe,
    a file or a log, output is read by tools and kept as a record, so nothing may be lost:
    the width is COLUMNS when set, else :data:`PIPED_WIDTH` (not the 80 columns rich would
    assume), and every table column wraps a value that does not fit instead of cutting it.
    """

    def _to_terminal(self) -> bool:
        try:
            return bool(self.file.isatty())
        except (AttributeError, ValueError, OSError):  # closed or not a real stream
            return False

    @property
    def size(self) -> ConsoleDimensions:
        size = super().size
        columns = self._environ.get("COLUMNS", "")
        if self._width is None and not columns.isdigit() and not self._to_terminal():
            return ConsoleDimensions(PIPED_WIDTH, size.height)
        return size

    @size.setter
    def size(self, new_size: tuple[int, int]) -> None:
        self._width, self._height = new_size

    def print(self, *objects: Any, **options: Any) -> None:
        if not self._to_terminal():
            for item in objects:
                if isinstance(item, Table):
                    _wrap_instead_of_cutting(item)
        super().print(*objects, **options)

    def _render_buffer(self, buffer: Iterable[Segment]) -> str:
        """The text written out, with every control character in it shown escaped.

        Values are made safe before they are laid out (the helpers below); this is the last
        line of defence, for whatever slipped through. It works on the finished lines, so
        nothing is cut, and leaves rich's own cursor controls (progress bars), its styles,
        line breaks and tabs alone.
        """
        return super()._render_buffer(_escaped(buffer))


def _escaped(buffer: Iterable[Segment]) -> Iterator[Segment]:
    for segment in buffer:
        if segment.control or is_displayable(segment.text, keep=_LAYOUT):
            yield segment
        else:
            yield Segment(escape_controls(segment.text, keep=_LAYOUT), segment.style)


_LAYOUT = "\t\n"


def markup_value(value: object) -> str:
    """A value from data, to put inside a markup string: one line, controls escaped, URLs
    defanged, markup shown literally (``[bold]`` prints as ``[bold]``)."""
    return escape(for_people(str(value)))


def text_value(value: object, style: str = "") -> Text:
    """A value from data as a ``Text`` (never read as markup): one line, controls escaped,
    URLs defanged."""
    return Text(for_people(str(value)), style=style)


def markup_path(path: object) -> str:
    """A file name or path the user gave, for a markup string: controls escaped and markup
    shown literally, but not defanged (it is a path, not a host)."""
    return escape(escape_controls(str(path)))


def _wrap_instead_of_cutting(table: Table) -> None:
    for column in table.columns:
        column.no_wrap = False  # rich cuts an unwrapped cell at the column's width
        if column.overflow in ("ellipsis", "crop"):
            column.overflow = "fold"


# No emoji codes: a label ":warning:" from data prints as it is written.
out = HotlineConsole(highlight=False, emoji=False)
err = HotlineConsole(stderr=True, highlight=False, emoji=False)


def fail(message: str, code: int = USAGE) -> typer.Exit:
    """Print an error on stderr and return the Exit to raise (``raise fail(...)``).

    The message is shown literally: control characters escaped (line breaks kept), no
    markup."""
    err.print(f"[bold red]error:[/] {escape(escape_controls(message, keep=chr(10)))}")
    return typer.Exit(code)


class RowRateColumn(ProgressColumn):
    """Rows per second, from the ``rows`` field the importer updates."""

    def render(self, task: Task) -> Text:
        rows = int(task.fields.get("rows", 0))
        elapsed = task.elapsed or 0.0
        rate = f"{rows / elapsed:,.0f} rows/s" if elapsed > 0.5 else "…"
        return Text(f"{rows:,} rows · {rate}", style="cyan")


@contextmanager
def file_progress(quiet: bool) -> Iterator[Progress]:
    progress = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        DownloadColumn(),
        RowRateColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=err,
        disable=quiet or not err.is_terminal,
        transient=False,
    )
    with progress:
        yield progress


def ticker(progress: Progress) -> Callable[..., None]:
    """The pipeline's progress shape ``(what, done, total, items)`` drawn as one bar per
    ``what`` (a file or a step) on ``progress``."""
    tasks: dict[str, TaskID] = {}

    def tick(what: str, done: int, total: int, items: int = 0) -> None:
        if what not in tasks:
            tasks[what] = progress.add_task(what, total=total or None, rows=items)
        progress.update(tasks[what], completed=done, total=total or None, rows=items)

    return tick


def canonical_site(text: str) -> str | None:
    """The site key intake gives what a person typed — a site, a host, a URL, defanged or
    not — or None when the canonicaliser refuses it. A Unicode host becomes the punycode
    key the store holds ("çebel.test" → "xn--ebel-...test")."""
    from hotline.urls import CanonicalURL, canonicalize, refang

    value = refang(text).strip()
    found = canonicalize(value if "://" in value else f"http://{value}/")
    return found.site if isinstance(found, CanonicalURL) else None


def site_argument(text: str) -> str:
    """What a person typed for a site — a site key, a host, a URL, defanged or not — as the
    site key the store uses (``hxxps://www.shop[.]test/a`` → ``shop.test``): intake's reading
    (:func:`canonical_site`) first, else the typed text, cleaned, to be looked up and not
    found."""
    from urllib.parse import urlsplit

    from hotline.hosting.observations import site_key_for
    from hotline.urls import refang

    canonical = canonical_site(text)
    if canonical is not None:
        return canonical
    value = refang(text).strip()
    if "://" in value:
        with suppress(ValueError):  # a malformed URL is looked up as typed, then not found
            value = urlsplit(value).hostname or value
        value = value.split("://", 1)[-1].split("/", 1)[0]  # never echo a live scheme
    value = value.strip().lower().rstrip(".").strip("[]")
    if ":" in value:
        return f"[{value}]"  # an IPv6 address is its own site, keyed as intake writes it
    if not value or value.replace(".", "").isdigit():
        return value  # so is an IPv4 address
    try:
        return site_key_for(value)
    except ValueError:  # an odd string is looked up as typed, then not found
        return value
