"""A streaming JSON scanner: walks the outer structure of a large document and hands out
each record's raw bytes, so a record is parsed on its own (with orjson) and a document of
any size is read in the memory of one record.

Only the outer levels are walked token by token: object members and array elements.
A value is captured by bracket counting with strings skipped whole (by regex, in C), so a
broken record still ends where its brackets close, and the next one is read. A value over
``limit`` bytes is read past and not kept; one nested deeper than ``max_depth`` is marked,
so a nesting bomb costs a counter, never a recursion.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import BinaryIO

import orjson

_CHUNK = 1 << 20
_NON_SPACE = re.compile(rb"[^ \t\r\n]")
# Possessive throughout: the pattern never backtracks, whatever the input.
_SKIP = re.compile(rb'(?:[^"{}\[\]]++|"[^"\\]*+(?:\\.[^"\\]*+)*+")*+', re.DOTALL)
_STRING_REST = re.compile(rb'[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_STRING_BODY = re.compile(rb'[^"\\]*(?:\\.[^"\\]*)*', re.DOTALL)
_SCALAR_END = re.compile(rb"[ \t\r\n,\]}:]")
MAX_KEY = 64 * 1024  # bytes of an object key; keys are short words


class ScanError(Exception):
    """The document's outer structure is broken at ``line``: reading cannot go on."""

    def __init__(self, line: int, reason: str) -> None:
        super().__init__(f"line {line}: {reason}")
        self.line = line
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Captured:
    line: int  # where the value starts
    raw: bytes  # empty when too large
    size: int
    too_large: bool = False
    too_deep: bool = False


class Scanner:
    def __init__(self, handle: BinaryIO) -> None:
        self._handle = handle
        self._buf = b""
        self._pos = 0
        self._line = 1
        self._eof = False

    @property
    def line(self) -> int:
        return self._line

    def _fill(self) -> bool:
        """Read more, dropping what is behind the cursor; False at the end of the file."""
        if self._eof:
            return False
        chunk = self._handle.read(_CHUNK)
        if not chunk:
            self._eof = True
            return False
        self._buf = self._buf[self._pos :] + chunk
        self._pos = 0
        return True

    def _advance(self, to: int) -> None:
        self._line += self._buf.count(b"\n", self._pos, to)
        self._pos = to

    def skip_bom(self) -> None:
        while len(self._buf) - self._pos < 3 and self._fill():
            pass
        if self._buf.startswith(b"\xef\xbb\xbf", self._pos):
            self._pos += 3

    def peek(self) -> int | None:
        """The next byte that is not whitespace, or None at the end of the file."""
        while True:
            match = _NON_SPACE.search(self._buf, self._pos)
            if match is not None:
                self._advance(match.start())
                return self._buf[self._pos]
            self._advance(len(self._buf))
            if not self._fill():
                return None

    def take(self, char: bytes, what: str) -> None:
        found = self.peek()
        if found != char[0]:
            shown = "the end of the file" if found is None else repr(chr(found))
            raise ScanError(self._line, f"expected {what}, found {shown}")
        self._pos += 1

    def string(self) -> str:
        """An object key."""
        self.take(b'"', "a member name in double quotes")
        start = self._pos - 1
        while True:
            match = _STRING_REST.match(self._buf, start + 1)
            if match is not None:
                break
            if len(self._buf) - start > MAX_KEY:
                raise ScanError(self._line, f"a member name over {MAX_KEY:,} bytes")
            self._pos = start
            if not self._fill():
                raise ScanError(self._line, "the file ends inside a string")
            start = 0
        raw = self._buf[start : match.end()]
        self._advance(match.end())
        try:
            text = orjson.loads(raw)
        except orjson.JSONDecodeError as error:
            raise ScanError(self._line, f"a member name that is not valid JSON ({error})") from None
        assert isinstance(text, str)
        return text

    def value(self, limit: int, max_depth: int) -> Captured:
        """The raw bytes of the next value (object, array, string or scalar)."""
        first = self.peek()
        if first is None:
            raise ScanError(self._line, "the file ends where a value belongs")
        line = self._line
        if first not in b'{["':
            return self._scalar(line, limit)
        # Invariant: self._pos is where the kept bytes start (the value's start while it
        # is kept), and self._line is the line there.
        start = self._pos
        depth = deepest = size = 0
        kept, in_string = True, first == 0x22
        cursor = start + 1 if in_string else start
        while True:
            if in_string:
                end = _STRING_BODY.match(self._buf, cursor).end()  # type: ignore[union-attr]
                if end < len(self._buf) and self._buf[end] == 0x22:
                    cursor, in_string = end + 1, False
                    if depth == 0:  # a bare string value
                        return self._done(
                            line, start, cursor, kept and cursor - start <= limit, size, 0, 0
                        )
                    continue
                cursor = end  # the string goes on (or a backslash waits for its pair)
            else:
                # everything up to the next bracket, complete strings included, in one step
                end = _SKIP.match(self._buf, cursor).end()  # type: ignore[union-attr]
                if end < len(self._buf):
                    cursor = end + 1
                    char = self._buf[end]
                    if char == 0x22:  # a string that goes on past the buffer
                        in_string = True
                        continue
                    depth += 1 if char in b"{[" else -1
                    deepest = max(deepest, depth)
                    if depth == 0:
                        return self._done(
                            line,
                            start,
                            cursor,
                            kept and cursor - start <= limit,
                            size,
                            deepest,
                            max_depth,
                        )
                    continue
                cursor = end
            # more data is needed: keep the value so far, or read past it once too large
            if kept and cursor - start > limit:
                kept = False
            if not kept:
                size += cursor - start
                self._advance(cursor)
                start = cursor
            cursor -= start
            if not self._fill():
                raise ScanError(line, "the file ends inside a value that starts here")
            start = 0

    def _done(
        self,
        line: int,
        start: int,
        end: int,
        kept: bool,
        size: int,
        deepest: int,
        max_depth: int,
    ) -> Captured:
        raw = self._buf[start:end] if kept else b""
        self._advance(end)
        return Captured(line, raw, size + end - start, not kept, deepest > max_depth)

    def _scalar(self, line: int, limit: int) -> Captured:
        start = self._pos
        while True:
            match = _SCALAR_END.search(self._buf, start)
            if match is not None or not self._fill_keeping(start):
                break
            start = 0
        end = len(self._buf) if match is None else match.start()
        raw = self._buf[self._pos : end]
        self._advance(end)
        if len(raw) > limit:
            return Captured(line, b"", len(raw), too_large=True)
        return Captured(line, raw, len(raw))

    def _fill_keeping(self, start: int) -> bool:
        if len(self._buf) - start > MAX_KEY:
            raise ScanError(self._line, f"a bare value over {MAX_KEY:,} bytes")
        return self._fill()
