"""``hotline report --print``: the assessment at a glance in the terminal.

The same defanging as the HTML report applies (:func:`hotline.strategic.html.defang_display`),
each value is one line with every control character shown escaped (a TAB or LF, harmless on
a page, could fake a row here), and cells are Rich ``Text`` objects, so nothing in the data
is read as console markup.
"""

from __future__ import annotations

from rich.console import Console
from rich.table import Table as RichTable
from rich.text import Text

from hotline.strategic.html import defang_display, format_cell
from hotline.strategic.model import Assessment, Cell, Table
from hotline.urls.display import escape_controls

MAX_ROWS = 12


def _line(text: str) -> str:
    return escape_controls(defang_display(text))


def _cell(cell: Cell) -> Text:
    return Text(escape_controls(format_cell(cell)))


def _rich_table(table: Table) -> RichTable:
    shown = RichTable(title=Text(_line(table.title), style="bold"), title_justify="left")
    for i, column in enumerate(table.columns):
        numeric = bool(table.rows) and all(
            isinstance(row[i], int | float) or row[i] is None for row in table.rows if i < len(row)
        )
        shown.add_column(Text(_line(column)), justify="right" if numeric else "left")
    for row in table.rows[:MAX_ROWS]:
        shown.add_row(*(_cell(cell) for cell in row))
    return shown


def print_summary(assessment: Assessment, console: Console, tables: int = 3) -> None:
    """The headline in bold, then each section's title, its first paragraph (the section in
    one sentence) and its first table (12 rows at most).

    ``tables`` caps how many tables are printed in all: sections after that show their title
    and first paragraph only (0 prints no table). The full report is in the HTML and CSV files.
    """
    console.print(Text(_line(assessment.title)))
    console.print(Text(_line(assessment.headline), style="bold"))
    printed = 0
    for number, section in enumerate(assessment.sections, start=1):
        console.print()
        console.print(Text(f"{number}. {_line(section.title)}", style="bold underline"))
        if section.paragraphs:
            console.print(Text(_line(section.paragraphs[0])))
        if not section.tables or printed >= tables:
            continue
        table = section.tables[0]
        console.print(_rich_table(table))
        printed += 1
        hidden = len(table.rows) - MAX_ROWS
        if hidden > 0:
            console.print(f"[dim]… {hidden:,} more rows in the report[/]")
        if table.note:
            console.print(Text(_line(table.note), style="dim"))
