"""What a strategic assessment holds, independent of how it is drawn.

The builder (``hotline.strategic.build``) fills these from the database; the renderers turn
them into a self-contained HTML file, a PDF, CSV tables and a terminal summary. Keeping the
two apart is what makes the report testable: the numbers are checked on the model, the
drawing on the files.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Literal

Cell = str | int | float | None


@dataclass(frozen=True, slots=True)
class Table:
    key: str  # the CSV file stem: tables/<key>.csv
    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]
    note: str | None = None


@dataclass(frozen=True, slots=True)
class Chart:
    key: str
    title: str
    kind: Literal["bar", "line"]  # bar: one bar per label; line: one line per series
    labels: tuple[str, ...]  # bar categories, or line x values (months "2026-01")
    series: tuple[tuple[str, tuple[float, ...]], ...]  # (series name, one value per label)
    unit: str = ""  # shown after values, e.g. "URLs" or "%"


@dataclass(frozen=True, slots=True)
class Section:
    key: str
    title: str
    paragraphs: tuple[str, ...] = ()
    tables: tuple[Table, ...] = ()
    charts: tuple[Chart, ...] = ()


@dataclass(frozen=True, slots=True)
class Assessment:
    title: str
    headline: str
    generated_at: datetime  # the only value allowed to differ between two identical runs
    as_of: datetime
    period_from: date | None
    period_to: date | None
    sources: tuple[str, ...]
    tool_version: str
    sections: tuple[Section, ...] = field(default_factory=tuple)
