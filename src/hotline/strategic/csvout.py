"""The report's tables and chart data as CSV files, for spreadsheets and other tools.

The tables travel with the report and are opened by people, in spreadsheets, so every text
cell is made safe to show (:func:`hotline.urls.display.for_people`): a control character
or bidi override is written as a visible escape (``\\x1b``, ``\\u202e``; TAB and LF,
which a cell shows as layout, stay) and a URL anywhere in a cell is defanged
(``hxxps://shop[.]example[.]test/``). A bare domain is written as the model holds it.
What a spreadsheet would *execute* is neutralised too: a text cell that starts like a formula
(``=``, ``+``, ``-``, ``@``, TAB, CR) gets a leading ``'`` (the OWASP advice against CSV
injection). Numbers stay numbers, negative ones too. Each file is written whole or not at
all (:func:`hotline.strategic.files.write_atomic`).
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Iterable, Sequence
from pathlib import Path

from hotline.strategic.files import write_atomic
from hotline.strategic.model import Assessment, Cell, Chart, Table
from hotline.urls.display import for_people

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_SAFE_KEY = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-]*")


def safe_text(text: str) -> str:
    """``=cmd()`` → ``'=cmd()``; an ESC is written ``\\x1b`` and a URL defanged (see the
    module). Other text is returned unchanged."""
    text = for_people(text, keep="\t\n")
    return "'" + text if text.startswith(_FORMULA_START) else text


def csv_cell(cell: Cell) -> str:
    """One cell as CSV text: None → empty, numbers as numbers, text injection-safe."""
    if cell is None:
        return ""
    if isinstance(cell, bool):
        return "true" if cell else "false"
    if isinstance(cell, int):
        return str(cell)
    if isinstance(cell, float):
        if not math.isfinite(cell):
            return ""
        return str(int(cell)) if cell.is_integer() else repr(cell)
    return safe_text(str(cell))


def _csv_bytes(header: Sequence[str], rows: Iterable[Sequence[Cell]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([safe_text(name) for name in header])
    writer.writerows([csv_cell(cell) for cell in row] for row in rows)
    return buffer.getvalue().encode("utf-8")


def table_csv(table: Table) -> bytes:
    return _csv_bytes(table.columns, table.rows)


def chart_csv(chart: Chart) -> bytes:
    """``label`` and one column per series, one row per label (missing values empty)."""
    header = ["label", *(name for name, _ in chart.series)]
    rows = [
        [label, *(values[i] if i < len(values) else None for _, values in chart.series)]
        for i, label in enumerate(chart.labels)
    ]
    return _csv_bytes(header, rows)


def _file_name(stem: str) -> str:
    if not _SAFE_KEY.fullmatch(stem) or ".." in stem:
        raise ValueError(f"report key {stem!r} cannot be a file name (use letters, digits, -_.)")
    return stem + ".csv"


def table_files(assessment: Assessment) -> list[tuple[str, bytes]]:
    """Every table as ``<key>.csv`` and every chart as ``chart-<key>.csv``, in report order:
    (file name, CSV bytes). Two tables (or charts) with the same key would overwrite each
    other, so that raises ``ValueError``."""
    planned: list[tuple[str, bytes]] = []
    for section in assessment.sections:
        planned += [(_file_name(table.key), table_csv(table)) for table in section.tables]
        planned += [
            (_file_name(f"chart-{chart.key}"), chart_csv(chart)) for chart in section.charts
        ]
    seen: set[str] = set()
    for name, _ in planned:
        if name in seen:
            raise ValueError(f"two report tables or charts would both be written to {name}")
        seen.add(name)
    return planned


def write_tables(assessment: Assessment, folder: Path) -> list[Path]:
    """Every table as ``folder/<key>.csv`` and every chart as ``folder/chart-<key>.csv``.

    Returns the paths in report order. Two tables (or charts) with the same key would silently
    overwrite each other, so that raises ``ValueError`` before anything is written. A file
    that cannot be written raises :class:`hotline.strategic.files.OutputError`: the files
    written before it are whole, and the one that failed is as it was (the earlier file, or
    none).
    """
    planned = table_files(assessment)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, data in planned:
        path = folder / name
        write_atomic(path, data)
        written.append(path)
    return written
