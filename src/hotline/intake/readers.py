"""Streaming readers for report feeds (CSV with a header row, JSON Lines).

Readers never raise on bad content: every record comes out either as a :class:`Record`
(field mapping) or as a :class:`BadRecord` that says where and why. A line ends at CR, LF
or CRLF in both formats, as RFC 4180 readers and universal newlines have it. Memory stays
bounded whatever the file: a physical line longer than :data:`MAX_LINE_BYTES` is skipped in
chunks, a CSV record may span at most :data:`MAX_RECORD_LINES` lines and
:data:`MAX_RECORD_BYTES` bytes, and a record may have at most :data:`MAX_FIELDS` fields.
"""

from __future__ import annotations

import csv
import json
import math
import re
import sys
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, NoReturn

MAX_LINE_BYTES = 1 << 20  # 1 MiB: far above any real report row, far below memory trouble
MAX_RECORD_LINES = 1000  # physical lines one CSV record (a long quoted note) may span
MAX_RECORD_BYTES = MAX_LINE_BYTES  # bytes one CSV record may span
MAX_FIELDS = 1000  # columns of a CSV header, fields of a JSON object
MAX_DEPTH = 32  # nesting of arrays and objects in a JSON line
RAW_KEPT = 64 * 1024  # raw bytes a refusal of a record over its budget keeps
_CHUNK = 256 * 1024  # bytes read at a time
_BOM = b"\xef\xbb\xbf"
_CR, _LF = 13, 10
csv.field_size_limit(MAX_LINE_BYTES)
_LINE_END = re.compile(rb"\r\n?|\n")


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
    data: bytes  # with its line end; empty for an oversize line
    oversize: bool = False
    size: int = 0  # bytes in the file, line end included (set for oversize lines)
    odd_quotes: bool = False  # an odd number of '"' in it (set for oversize lines)


def _size(line: _Line) -> int:
    return line.size if line.oversize else len(line.data)


def _odd_quotes(line: _Line) -> bool:
    return line.odd_quotes if line.oversize else line.data.count(b'"') % 2 == 1


@dataclass
class _Cursor:
    """Where a reader is in its file: the progress bar reads ``offset``."""

    offset: int = 0
    lines: int = 0


def _physical_lines(handle: BinaryIO, cursor: _Cursor) -> Iterator[_Line]:
    """The file's lines, each ending at CRLF, CR or LF (kept in ``data``).

    A CR at the end of what has been read may be the first half of a CRLF, so that line
    waits for the next chunk. A line whose content is over :data:`MAX_LINE_BYTES` comes out
    as ``oversize`` with no data: it is read past in chunks and never held whole.
    """
    carry = b""
    eof = False
    while not eof:
        chunk = handle.read(_CHUNK)
        if chunk:
            buf = carry + chunk if carry else chunk
        else:
            eof, buf = True, carry
        if not buf:
            return
        parts = buf.splitlines(True)  # bytes split at CR, LF and CRLF only
        carry = b""
        if not eof and parts[-1][-1] != _LF:  # no line end yet, or a CR an LF may follow
            carry = parts.pop()
        for data in parts:
            cursor.lines += 1
            start = cursor.offset
            cursor.offset += len(data)
            if len(data) > MAX_LINE_BYTES and _content(data) > MAX_LINE_BYTES:
                odd = data.count(b'"') % 2 == 1
                yield _Line(cursor.lines, start, b"", oversize=True, size=len(data), odd_quotes=odd)
            else:
                yield _Line(cursor.lines, start, data)
        if len(carry) > MAX_LINE_BYTES and carry[-1] != _CR:  # no line end in sight
            size, odd, carry, eof = _drain(handle, carry)
            cursor.lines += 1
            start, cursor.offset = cursor.offset, cursor.offset + size
            yield _Line(cursor.lines, start, b"", oversize=True, size=size, odd_quotes=odd)


def _content(data: bytes) -> int:
    """Length of a line without its line end."""
    if data.endswith(b"\r\n"):
        return len(data) - 2
    return len(data) - 1 if data[-1] in (_CR, _LF) else len(data)


def _drain(handle: BinaryIO, head: bytes) -> tuple[int, bool, bytes, bool]:
    """Read past the rest of an oversize line that starts with ``head`` (no line end in it).

    Returns its size, whether it holds an odd number of quotes, what was read after it, and
    whether the file ended.
    """
    size, quotes = len(head), head.count(b'"')
    while True:
        chunk = handle.read(_CHUNK)
        if not chunk:
            return size, quotes % 2 == 1, b"", True
        hit = _LINE_END.search(chunk)
        if hit is None:
            size, quotes = size + len(chunk), quotes + chunk.count(b'"')
            continue
        end = hit.end()
        quotes += chunk.count(b'"', 0, end)
        rest = chunk[end:]
        if not rest and chunk[-1] == _CR:  # a CR last in the chunk: an LF may follow it
            rest = handle.read(_CHUNK)
            if rest.startswith(b"\n"):
                end, rest = end + 1, rest[1:]
            elif not rest:
                return size + end, quotes % 2 == 1, b"", True
        return size + end, quotes % 2 == 1, rest, False


def _oversize(line: _Line) -> BadRecord:
    return BadRecord(
        line.number,
        line.offset,
        "line_too_long",
        f"line is {line.size:,} bytes, over the {MAX_LINE_BYTES:,}-byte limit; skipped unread",
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


# --- JSON -----------------------------------------------------------------------------------


class _DuplicateKey(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    value = dict(pairs)
    if len(value) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _DuplicateKey(key)
            seen.add(key)
    return value


def _constant(name: str) -> NoReturn:
    raise ValueError(f"{name} is not a JSON number")


def _float(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise ValueError(f"the number {text[:40]} is out of range")
    return value


# The standard library's decoder: integers of any size stay exact (orjson turns those beyond
# 64 bits into floats), and every object's key/value pairs are seen, so a repeated key is
# caught instead of silently taking the last value. NaN, Infinity and numbers that overflow
# a float are refused, as JSON has no such values.
_JSON = json.JSONDecoder(object_pairs_hook=_object, parse_constant=_constant, parse_float=_float)
_JSON_TOKEN = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]')
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")


def _too_deep(data: bytes) -> bool:
    """Whether arrays and objects nest deeper than :data:`MAX_DEPTH` (strings skipped)."""
    if data.count(b"[") + data.count(b"{") <= MAX_DEPTH:
        return False
    depth = 0
    for token in _JSON_TOKEN.findall(data):
        if token in (b"[", b"{"):
            depth += 1
            if depth > MAX_DEPTH:
                return True
        elif token in (b"]", b"}"):
            depth -= 1
    return False


def _parse_json(line: _Line, data: bytes, text: str) -> Item:
    def refuse(code: str, reason: str) -> BadRecord:
        return BadRecord(line.number, line.offset, code, reason, data)

    if _too_deep(data):
        return refuse("bad_json", f"arrays and objects nest over {MAX_DEPTH} levels deep")
    try:
        value = _JSON.decode(text)
    except _DuplicateKey as duplicate:
        return refuse(
            "duplicate_key",
            f"key '{duplicate.key[:80]}' appears twice in one object: "
            "two values for one field, neither is taken",
        )
    except RecursionError:  # unreachable below MAX_DEPTH; kept so no input can raise
        return refuse("bad_json", "arrays and objects nest too deep")
    except ValueError as error:  # JSONDecodeError, and the refusals of _constant/_float
        if "integer string conversion" in str(error):  # valid JSON, past Python's own limit
            limit = sys.get_int_max_str_digits()
            return refuse("bad_json", f"an integer has over {limit:,} digits")
        return refuse("bad_json", f"invalid JSON: {error}")
    if not isinstance(value, dict):
        return refuse("bad_json", f"expected a JSON object, got {type(value).__name__}")
    if len(value) > MAX_FIELDS:
        return refuse(
            "too_many_fields",
            f"the object has {len(value):,} fields, over the limit of {MAX_FIELDS:,}",
        )
    if b"\\u" in data and _SURROGATE_ESCAPE.search(data) and _has_lone_surrogate(value):
        return refuse("bad_json", "a string holds an unpaired UTF-16 surrogate escape (\\uD8xx)")
    # Field names match case-insensitively, exactly as CSV header names do; two names that
    # differ only in case or surrounding blanks are two values for one field.
    fields: dict[str, object] = {key.strip().lower(): item for key, item in value.items()}
    if len(fields) != len(value):
        return refuse("duplicate_key", _same_field(list(value)))
    return Record(line.number, line.offset, fields, data)


def _same_field(keys: list[str]) -> str:
    seen: dict[str, str] = {}
    for key in keys:
        name = key.strip().lower()
        if name in seen:
            return (
                f"keys '{seen[name][:80]}' and '{key[:80]}' both name the field '{name[:80]}': "
                "two values for one field, neither is taken"
            )
        seen[name] = key
    raise AssertionError("no two keys name the same field")


def _has_lone_surrogate(value: object) -> bool:
    try:
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


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
                yield _oversize(line)
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
                text = data.decode("utf-8")
            except UnicodeDecodeError as error:
                yield _not_utf8(line, data, error)
                continue
            yield _parse_json(line, data, text)
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
            yield BadRecord(1, 0, "bad_header", problem, data[:RAW_KEPT], len(data) > RAW_KEPT)
            return
        yield from _CsvRows(lines, header)


def _header_problem(header: list[str]) -> str | None:
    from hotline.intake.records import REQUIRED_FIELDS

    if not any(header):
        return "the header row is empty"
    if len(header) > MAX_FIELDS:
        return (
            f"the header row has {len(header):,} columns, over the limit of {MAX_FIELDS:,}; "
            "no row of this file was read"
        )
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
    as the csv module pulls lines. A record may span at most :data:`MAX_RECORD_LINES` lines
    and :data:`MAX_RECORD_BYTES` bytes. When a quote opened in a record does not close within
    that budget (or before the end of the file), the lines after the record's first line
    decide what happened:

    - they read as rows of their own (a stray quote): only the first line is refused and the
      lines after it are read again as rows;
    - they do not (a quoted field that runs on): the record is followed to where its quote
      closes, counting quotes and keeping nothing, and refused as one entry however many
      lines it spans; reading goes on after it.

    A line that is not UTF-8 is decoded with surrogate escapes so the CSV structure is kept,
    and the whole record it belongs to is refused.
    """

    lines: Iterator[_Line]
    header: list[str]
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
            if self._pending and (
                line.oversize
                or len(self._pending) >= MAX_RECORD_LINES
                or self._pending_bytes + len(line.data) > MAX_RECORD_BYTES
            ):
                self._again.appendleft(line)
                self._overflow = True
                return  # csv sees the end of its input inside the quoted field and fails
            if line.oversize:
                self._bad.append(_oversize(line))
                continue
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
                overflow, self._overflow = self._overflow, False
                if pending:
                    yield self._broken(pending, error, overflow)
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
            elif len(row) != width and len(pending) > 1 and self._rows_of_their_own(pending[1:]):
                yield self._stray_quote(pending, f"closes only on line {pending[-1].number:,}")
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

    def _broken(self, pending: list[_Line], error: str | None, overflow: bool) -> BadRecord:
        """The refusal for a record csv could not finish; sets up where reading goes on."""
        for line in pending:  # lines read again are decoded again
            self._not_utf8.pop(line.number, None)
        first = pending[0]
        if error is not None and not overflow and "end of data" not in error.lower():
            self._again.extendleft(reversed(pending[1:]))
            return BadRecord(
                first.number, first.offset, "bad_csv", f"CSV syntax: {error}", first.data
            )
        following = pending[1:]
        if overflow and self._again:
            following = [*following, self._again[0]]  # the line over the budget
        if self._rows_of_their_own(following):
            return self._stray_quote(pending, f"never closes (checked {len(pending)} line(s))")
        return self._runaway(pending, overflow)

    def _rows_of_their_own(self, lines: list[_Line]) -> bool:
        """Whether most of these lines (up to 100 of them) read as complete rows."""
        checked = fits = 0
        for line in lines:
            if line.oversize or not line.data.strip():
                continue
            checked += 1
            try:
                row = next(csv.reader([line.data.decode("utf-8", "surrogateescape")], strict=True))
            except (csv.Error, StopIteration):
                row = []
            fits += len(row) == len(self.header)
            if checked == 100:
                break
        return fits * 2 > checked or checked == 0

    def _stray_quote(self, pending: list[_Line], how: str) -> BadRecord:
        self._again.extendleft(reversed(pending[1:]))
        first = pending[0]
        reason = (
            f"a quoted field opened on this line {how}; the lines after it read as rows, so "
            "this line is refused and they are read again as rows of their own"
        )
        return BadRecord(first.number, first.offset, "bad_csv", reason, first.data)

    def _runaway(self, pending: list[_Line], overflow: bool) -> BadRecord:
        """One refusal for a record whose quoted field runs past the budget or never closes.

        Past the budget, the lines are followed (counting quotes, keeping nothing) up to the
        one that closes the field; the record ends there and reading goes on after it.
        """
        first, last = pending[0], pending[-1]
        count, size = len(pending), sum(_size(p) for p in pending)
        raw = b"".join(p.data for p in pending)[:RAW_KEPT]
        closed = False
        if overflow:
            inside = True
            while (line := self._next_line()) is not None:
                count, size, last = count + 1, size + _size(line), line
                if _odd_quotes(line):
                    inside = not inside
                if not inside:
                    closed = True
                    break
        # Within the budget, the file ended inside the quoted field: a plain syntax problem.
        code = "record_too_long" if closed or overflow else "bad_csv"
        if closed:
            reason = (
                f"a quoted field opened on this line runs {count:,} lines ({size:,} bytes) to "
                f"line {last.number:,}, over the limit of {MAX_RECORD_LINES:,} lines or "
                f"{MAX_RECORD_BYTES:,} bytes a record; refused as one record, reading goes "
                f"on after line {last.number:,}"
            )
        else:
            reason = (
                f"a quoted field opened on this line never closes: its {count:,} lines "
                f"({size:,} bytes) to the end of the file are refused as one record"
            )
        return BadRecord(first.number, first.offset, code, reason, raw, size > len(raw))
