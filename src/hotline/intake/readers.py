"""Streaming readers for report feeds (CSV with a header row, JSON Lines).

Readers never raise on bad content: every record comes out either as a :class:`Record`
(field mapping) or as a :class:`BadRecord` that says where and why. Memory stays bounded
whatever the file: a physical line longer than :data:`MAX_LINE_BYTES` is skipped in chunks.
"""

from __future__ import annotations

import csv
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import orjson

MAX_LINE_BYTES = 1 << 20  # 1 MiB: far above any real report row, far below memory trouble
MAX_RECORD_LINES = 1000  # physical lines one CSV record (a long quoted note) may span
_BOM = b"\xef\xbb\xbf"
csv.field_size_limit(MAX_LINE_BYTES)


@dataclass(slots=True)
class Record:
    line: int
    offset: int
    fields: dict[str, object]
    raw: bytes


@dataclass(slots=True)
class BadRecord:
    line: int
    offset: int
    code: str
    reason: str
    raw: bytes
    raw_truncated: bool = False


Item = Record | BadRecord


@dataclass(slots=True)
class _Line:
    number: int
    offset: int
    data: bytes
    oversize: bool = False


@dataclass
class _Cursor:
    """Where a reader is in its file: the progress bar reads ``offset``."""

    offset: int = 0
    lines: int = 0


def _physical_lines(handle: BinaryIO, cursor: _Cursor) -> Iterator[_Line]:
    while True:
        # +2: a line of exactly the limit still fits with its "\r\n" and is not split.
        chunk = handle.readline(MAX_LINE_BYTES + 2)
        if not chunk:
            return
        cursor.lines += 1
        start = cursor.offset
        cursor.offset += len(chunk)
        if len(chunk.rstrip(b"\r\n")) > MAX_LINE_BYTES:
            while not chunk.endswith(b"\n"):  # drain the rest of the line, keeping nothing
                chunk = handle.readline(MAX_LINE_BYTES)
                if not chunk:
                    break
                cursor.offset += len(chunk)
            yield _Line(cursor.lines, start, b"", oversize=True)
            continue
        yield _Line(cursor.lines, start, chunk)


def _oversize(line: _Line, handle_offset: int) -> BadRecord:
    size = handle_offset - line.offset
    return BadRecord(
        line.number,
        line.offset,
        "line_too_long",
        f"line is {size:,} bytes, over the {MAX_LINE_BYTES:,}-byte limit; skipped unread",
        b"",
        raw_truncated=True,
    )


def _not_utf8(line: _Line, data: bytes, error: UnicodeDecodeError) -> BadRecord:
    """``data`` is what was decoded (the line without a leading BOM): the error indexes it."""
    return BadRecord(
        line.number,
        line.offset,
        "not_utf8",
        _utf8_reason(data, error),
        line.data,
    )


def _utf8_reason(data: bytes, error: UnicodeDecodeError) -> str:
    return f"not valid UTF-8 (byte 0x{data[error.start]:02X} at column {error.start + 1})"


class FeedReader:
    """Iterate a feed file; ``cursor.offset`` tells how far it has read (for progress)."""

    def __init__(self, path: Path, fmt: str) -> None:
        self.path = path
        self.fmt = fmt
        self.cursor = _Cursor()

    def __iter__(self) -> Iterator[Item]:
        with self.path.open("rb") as handle:
            if self.fmt == "csv":
                yield from self._csv(handle)
            else:
                yield from self._jsonl(handle)

    def _jsonl(self, handle: BinaryIO) -> Iterator[Item]:
        empty = True
        empty_so_far = True  # no record seen yet: a leading "[" means a JSON array file
        lines = _physical_lines(handle, self.cursor)
        for line in lines:
            empty = False
            if line.oversize:
                yield _oversize(line, self.cursor.offset)
                continue
            data = line.data[3:] if line.number == 1 and line.data.startswith(_BOM) else line.data
            if not data.strip():
                continue
            if empty_so_far and data.lstrip().startswith(b"["):
                yield BadRecord(
                    line.number,
                    line.offset,
                    "bad_json",
                    "the file is a JSON array; hotline reads JSON Lines (one object per line), "
                    "e.g. convert with: jq -c '.[]' FILE > FILE.jsonl",
                    data,
                )
                for _ in lines:  # read to the end, keeping nothing: progress reaches 100 %
                    pass
                return
            empty_so_far = False
            try:
                data.decode("utf-8")
            except UnicodeDecodeError as error:
                yield _not_utf8(line, data, error)
                continue
            try:
                value = orjson.loads(data)
            except orjson.JSONDecodeError as error:
                yield BadRecord(
                    line.number, line.offset, "bad_json", f"invalid JSON: {error}", data
                )
                continue
            if not isinstance(value, dict):
                kind = type(value).__name__
                yield BadRecord(
                    line.number,
                    line.offset,
                    "bad_json",
                    f"expected a JSON object, got {kind}",
                    data,
                )
                continue
            # Field names match case-insensitively, exactly as CSV header names do.
            fields = {str(k).strip().lower(): v for k, v in value.items()}
            yield Record(line.number, line.offset, fields, data)
        if empty:
            yield BadRecord(0, 0, "empty_file", "the file is empty: no records", b"")

    def _csv(self, handle: BinaryIO) -> Iterator[Item]:
        lines = _physical_lines(handle, self.cursor)
        header_line = next(lines, None)
        if header_line is None:
            yield BadRecord(0, 0, "empty_file", "the file is empty: no header row", b"")
            return
        if header_line.oversize:
            yield BadRecord(
                1, 0, "bad_header", "the header row is over the 1 MiB line limit", b"", True
            )
            return
        data = header_line.data.removeprefix(_BOM)
        try:
            header = [h.strip().lower() for h in next(csv.reader([data.decode("utf-8")]), [])]
        except UnicodeDecodeError as error:
            reason = f"header row is {_utf8_reason(data, error)}; no row of this file was read"
            yield BadRecord(1, 0, "bad_header", reason, header_line.data)
            return
        except csv.Error as error:
            yield BadRecord(1, 0, "bad_header", f"unreadable header row: {error}", data)
            return
        problem = _header_problem(header)
        if problem:
            yield BadRecord(1, 0, "bad_header", problem, data)
            return
        yield from _CsvRows(lines, header, self.cursor)


def _header_problem(header: list[str]) -> str | None:
    from hotline.intake.records import REQUIRED_FIELDS

    if not any(header):
        return "the header row is empty"
    seen: set[str] = set()
    for name in header:
        if name in seen:
            return f"column '{name}' appears twice in the header"
        seen.add(name)
    missing = [name for name in REQUIRED_FIELDS if name not in seen]
    if missing:
        return (
            f"header lacks required column(s): {', '.join(missing)} "
            f"(found: {', '.join(h for h in header if h) or 'none'}); no row of this file was read"
        )
    return None


@dataclass
class _CsvRows:
    """csv.reader over decoded lines, remembering which physical lines each record used.

    A quoted field may span lines, so one record's start line and raw bytes are collected
    as the csv module pulls lines. Two guards keep one bad line from swallowing the file:
    a record may span at most :data:`MAX_RECORD_LINES` lines and :data:`MAX_LINE_BYTES`
    bytes, and when a record fails (a stray quote that never closes, say) only its first
    line is refused and the lines after it are read again as records of their own. A line
    that is not UTF-8 is decoded with surrogate escapes so the CSV structure is kept, and
    the whole record it belongs to is refused.
    """

    lines: Iterator[_Line]
    header: list[str]
    cursor: _Cursor
    _pending: list[_Line] = field(default_factory=list)
    _pending_bytes: int = 0
    _again: deque[_Line] = field(default_factory=deque)
    _bad: list[BadRecord] = field(default_factory=list)
    _overflow: bool = False
    _not_utf8: dict[int, str] = field(default_factory=dict)  # line number -> reason

    def _next_line(self) -> _Line | None:
        return self._again.popleft() if self._again else next(self.lines, None)

    def _decoded(self) -> Iterator[str]:
        while (line := self._next_line()) is not None:
            if line.oversize:
                self._bad.append(_oversize(line, self.cursor.offset))
                continue
            if self._pending and (
                len(self._pending) >= MAX_RECORD_LINES
                or self._pending_bytes + len(line.data) > MAX_LINE_BYTES
            ):
                self._again.appendleft(line)
                self._overflow = True
                return  # csv sees the end of its input inside the quoted field and fails
            try:
                text = line.data.decode("utf-8")
            except UnicodeDecodeError as error:
                self._not_utf8[line.number] = (
                    f"line {line.number}: {_utf8_reason(line.data, error)}"
                )
                text = line.data.decode("utf-8", "surrogateescape")
            self._pending.append(line)
            self._pending_bytes += len(line.data)
            yield text

    def __iter__(self) -> Iterator[Item]:
        reader = csv.reader(self._decoded(), strict=True)
        width = len(self.header)
        while True:
            try:
                row = next(reader, None)
                error = None
            except csv.Error as exc:
                row, error = [], str(exc)
            yield from self._bad
            self._bad.clear()
            pending, self._pending, self._pending_bytes = self._pending, [], 0
            if error is not None or self._overflow:
                if pending:
                    yield self._refuse_first_line(pending, error)
                    self._again.extendleft(reversed(pending[1:]))
                self._overflow = False
                reader = csv.reader(self._decoded(), strict=True)
                continue
            if row is None:
                return
            if not pending:
                continue
            first, raw = pending[0], b"".join(p.data for p in pending)
            problem = self._utf8_problem(pending)
            if problem is not None:
                yield BadRecord(first.number, first.offset, "not_utf8", problem, raw)
            elif not row or (len(row) == 1 and not row[0].strip()):
                continue  # blank line
            elif len(row) != width:
                yield BadRecord(
                    first.number,
                    first.offset,
                    "bad_csv",
                    f"expected {width} fields as in the header, got {len(row)}",
                    raw,
                )
            else:
                yield Record(
                    first.number, first.offset, dict(zip(self.header, row, strict=True)), raw
                )

    def _utf8_problem(self, lines: list[_Line]) -> str | None:
        if not self._not_utf8:
            return None
        problems = [self._not_utf8.pop(line.number, None) for line in lines]
        return next((p for p in problems if p), None)

    def _refuse_first_line(self, pending: list[_Line], error: str | None) -> BadRecord:
        first = pending[0]
        if self._overflow or (error and "end of data" in error.lower()):
            reason = (
                "a quoted field opened on this line never closes "
                f"(checked {len(pending)} line(s)); this line is refused and the "
                "lines after it are read again as rows of their own"
            )
        else:
            reason = f"CSV syntax: {error}"
        return BadRecord(first.number, first.offset, "bad_csv", reason, first.data)
