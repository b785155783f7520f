"""A file's lines in bounded memory, each ending at CR, LF or CRLF.

A line over :data:`MAX_LINE_BYTES` comes out as ``oversize`` with no data: it is read past
in chunks and never held whole, so a hostile file without line ends costs a chunk, not
its size.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

MAX_LINE_BYTES = 1 << 20  # a hash-list row is under a kilobyte; a megabyte is not a row
_CHUNK = 256 * 1024
_EOL = re.compile(rb"\r\n|\r|\n")


@dataclass(frozen=True, slots=True)
class Line:
    number: int  # 1-based
    offset: int  # byte offset of its start
    data: bytes  # without its line end; empty when oversize
    oversize: bool = False
    size: int = 0  # bytes in the file, line end included


def lines(handle: BinaryIO, limit: int = MAX_LINE_BYTES) -> Iterator[Line]:
    buf = b""
    number = offset = 0
    skipped: int | None = None  # bytes already read past of an oversize line
    eof = False
    while not eof:
        chunk = handle.read(_CHUNK)
        eof = not chunk
        buf += chunk
        pos = 0
        for match in _EOL.finditer(buf):
            if not eof and match.group() == b"\r" and match.end() == len(buf):
                break  # a CR last in the buffer: an LF may follow in the next chunk
            data = buf[pos : match.start()]
            size = match.end() - pos
            number += 1
            if skipped is not None or len(data) > limit:
                yield Line(number, offset, b"", True, size + (skipped or 0))
                offset += size + (skipped or 0)
                skipped = None
            else:
                yield Line(number, offset, data, False, size)
                offset += size
            pos = match.end()
        buf = buf[pos:]
        if eof:
            if buf or skipped is not None:
                number += 1
                if skipped is not None or len(buf) > limit:
                    yield Line(number, offset, b"", True, len(buf) + (skipped or 0))
                else:
                    yield Line(number, offset, buf, False, len(buf))
            return
        if len(buf) > limit:
            keep = 1 if buf.endswith(b"\r") else 0  # the first half of a CRLF, perhaps
            skipped = (skipped or 0) + len(buf) - keep
            buf = buf[len(buf) - keep :]
