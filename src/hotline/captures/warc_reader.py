"""A streaming WARC 1.0/1.1 reader that survives bad input and reports where it went wrong.

Why not a library's iterator: warcio and FastWARC stop at the first broken record (or, worse,
read garbage as the next one). A hotline's capture archive must go in *around* a broken
record, with the broken one quarantined by file, record number, byte offset and reason. So
this reader walks gzip members itself (one record per member is what ISO 28500 Annex D
recommends and what capture tools write) and resynchronises after damage:

- gzip: each member is inflated with a size cap (a compression bomb costs CPU, never memory);
  a corrupt member is skipped to the next gzip magic; a truncated last member is reported;
- plain WARC: records are read by Content-Length; after a malformed header or a block whose
  length is wrong, reading resumes at the next line that starts with ``WARC/1.``;
- the record's block is checked against its Content-Length (both too short and trailing
  bytes are reported: "wrong Content-Length").

Bytes never leave memory: blocks are handed to the caller and dropped with the record.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import BinaryIO

MAX_RECORD_BYTES = 64 * 1024 * 1024  # a record (headers + block) bigger than this is refused
MAX_HEADER_BYTES = 64 * 1024
_MAX_INFLATE_PER_MEMBER = 1024 * 1024 * 1024  # past this a member is abandoned, not inflated
_CHUNK = 1024 * 1024
_GZIP_MAGIC = b"\x1f\x8b\x08"
_VERSIONS = (b"WARC/1.0", b"WARC/1.1")
_PRINTABLE = re.compile(rb"[\x20-\x7e\t]*")
_DIGITS = re.compile(r"[0-9]{1,12}")
_ARC_START = b"filedesc://"  # an ARC file's first record
_TRAILER_LOOKAHEAD = 16  # bytes after a block read to see that the next record starts


@dataclass(slots=True)
class WarcRecord:
    """One record: its position, its WARC headers (names lower-cased) and its block."""

    number: int  # 1-based position in the file, counting damaged records too
    offset: int  # byte offset in the file (of its gzip member when compressed)
    version: str
    headers: dict[str, str]
    block: bytes = field(repr=False)

    @property
    def type(self) -> str:
        return self.headers.get("warc-type", "")

    @property
    def record_id(self) -> str:
        return self.headers.get("warc-record-id", "")


@dataclass(frozen=True, slots=True)
class WarcProblem:
    """A record that could not be read: where, why (a stable code and words), its head."""

    number: int
    offset: int
    code: str
    reason: str
    head: bytes  # at most the WARC header bytes: never a block, so never media


def read_warc(stream: BinaryIO) -> Iterator[WarcRecord | WarcProblem]:
    """Records and problems in file order. Never raises on content; I/O errors propagate."""
    start = stream.read(64).lstrip()
    stream.seek(0)
    if start.startswith(_GZIP_MAGIC):
        yield from _read_gzip(stream)
    else:
        yield from _read_plain(stream)


# -- gzip -----------------------------------------------------------------------------------


def _read_gzip(stream: BinaryIO) -> Iterator[WarcRecord | WarcProblem]:
    number = 0
    offset = 0
    pending = b""  # compressed bytes read but not yet consumed
    while True:
        if len(pending) < 3:
            pending += stream.read(_CHUNK)
        if not pending:
            return
        if not pending.startswith(_GZIP_MAGIC):
            if not pending.strip():  # blank padding (a final newline) is not damage
                more = stream.read(_CHUNK)
                if not more:
                    return
                offset += len(pending)
                pending = more
                continue
            # Garbage between members (or a plain record glued on): skip to the next member.
            skip = _find_magic(stream, pending)
            number += 1
            yield WarcProblem(
                number,
                offset,
                "not_gzip",
                "bytes between gzip members are not a gzip member; skipped to the next one",
                b"",  # not a WARC record: nothing of it is kept
            )
            offset += skip[0]
            pending = skip[1]
            continue
        member_offset = offset
        inflater = zlib.decompressobj(31)
        out = bytearray()
        inflated = 0
        oversized = False
        damaged: str | None = None
        consumed_all = False
        while not inflater.eof:
            if not pending:
                pending = stream.read(_CHUNK)
                if not pending:
                    consumed_all = True
                    break
            try:
                piece = inflater.decompress(pending, _CHUNK)
            except zlib.error as error:
                damaged = f"corrupt gzip member ({error})"
                break
            # At the member's end the rest is unused_data; before it, what max_length held back
            # is unconsumed_tail (never both: reading both would duplicate bytes).
            rest = inflater.unused_data if inflater.eof else inflater.unconsumed_tail
            offset += len(pending) - len(rest)
            pending = rest
            inflated += len(piece)
            if not oversized:
                out += piece
                if len(out) > MAX_RECORD_BYTES:
                    oversized = True
                    out = bytearray(out[:MAX_HEADER_BYTES])
            if inflated > _MAX_INFLATE_PER_MEMBER:
                damaged = "gzip member inflates past 1 GiB (compression bomb?)"
                break
        if damaged is not None or consumed_all:
            number += 1
            reason = damaged or "truncated gzip member: the file ends inside it"
            code = "truncated_gzip" if damaged is None else "corrupt_gzip"
            yield WarcProblem(number, member_offset, code, reason, bytes(_head(out)))
            if consumed_all:
                return
            skip = _find_magic(stream, pending[1:])
            offset += 1 + skip[0]
            pending = skip[1]
            continue
        if oversized:
            number += 1
            yield WarcProblem(
                number,
                member_offset,
                "record_too_large",
                f"record inflates to {inflated:,} bytes, over the {MAX_RECORD_BYTES:,}-byte limit",
                bytes(_head(out)),
            )
            continue
        for item in _parse_records(bytes(out), member_offset, number):
            number += 1
            yield item
            if isinstance(item, WarcProblem) and item.code == "arc_not_supported":
                return  # one line for the file, not one per ARC record


def _find_magic(stream: BinaryIO, data: bytes) -> tuple[int, bytes]:
    """Skip forward to the next gzip magic; returns (bytes skipped, data from the magic on)."""
    skipped = 0
    while True:
        at = data.find(_GZIP_MAGIC)
        if at >= 0:
            return skipped + at, data[at:]
        more = stream.read(_CHUNK)
        keep = data[-2:] if len(data) >= 2 else data
        skipped += len(data) - len(keep)
        if not more:
            return skipped + len(keep), b""
        data = keep + more


def _parse_records(data: bytes, offset: int, number: int) -> Iterator[WarcRecord | WarcProblem]:
    """Records inside one inflated member: usually one; several when a whole file was
    gzipped as one stream (they then share the member's offset, as in a CDX index)."""
    position = 0
    while True:
        position = _skip_blank_lines(data, position)
        if position >= len(data):
            return
        number += 1
        parsed = _parse_one(data, position, number, offset)
        if isinstance(parsed, WarcProblem):
            yield parsed
            position = _next_version_line(data, position)
            if position < 0:
                return
            continue
        record, position = parsed
        yield record


def _skip_blank_lines(data: bytes, position: int) -> int:
    while position < len(data) and data[position] in (0x0D, 0x0A):
        position += 1
    return position


# -- plain ----------------------------------------------------------------------------------


def _read_plain(stream: BinaryIO) -> Iterator[WarcRecord | WarcProblem]:
    number = 0
    buffer = b""
    base = 0  # file offset of buffer[0]
    eof = False

    def fill(size: int) -> None:
        nonlocal buffer, eof
        while not eof and len(buffer) < size:
            more = stream.read(max(_CHUNK, size - len(buffer)))
            eof = not more
            buffer += more

    while True:
        fill(MAX_HEADER_BYTES + 4)
        stripped = buffer.lstrip(b"\r\n")
        base += len(buffer) - len(stripped)
        buffer = stripped
        if not buffer:
            fill(1)
            if not buffer:
                return
            continue
        number += 1
        if buffer.startswith(_ARC_START):
            yield _arc_problem(number, base)
            return
        header_end, separator = _header_end(buffer, 0)
        head = _split_head(buffer[:header_end]) if header_end >= 0 else None
        problem: WarcProblem
        if isinstance(head, tuple):
            version, headers, length = head
            block_start = header_end + separator
            end = block_start + length
            if length > MAX_RECORD_BYTES:
                problem = WarcProblem(
                    number,
                    base,
                    "record_too_large",
                    f"Content-Length {length:,} is over the {MAX_RECORD_BYTES:,}-byte limit",
                    _head(buffer[:header_end]),
                )
            else:
                fill(end + _TRAILER_LOOKAHEAD)
                block = buffer[block_start:end]
                if len(block) == length and _ends_record(buffer, end, eof):
                    yield WarcRecord(number, base, version, headers, block)
                    buffer = buffer[end:]
                    base += end
                    continue
                problem = WarcProblem(
                    number,
                    base,
                    "bad_content_length",
                    f"wrong Content-Length: the header says {length:,} bytes but "
                    "the record " + ("ends first" if len(block) < length else "does not end there"),
                    _head(buffer[:header_end]),
                )
        else:
            reason = head if isinstance(head, str) else "no end of WARC headers (blank line)"
            problem = WarcProblem(number, base, "bad_warc_header", reason, _head(buffer))
        yield problem
        # Resynchronise at the next line that starts a WARC record, in bounded memory.
        at = _next_version_line(buffer, 0)
        while at < 0 and not eof:
            keep = buffer[-16:]
            base += len(buffer) - len(keep)
            more = stream.read(_CHUNK)
            eof = not more
            buffer = keep + more
            at = _next_version_line(buffer, 0)
        if at < 0:
            return
        buffer = buffer[at:]
        base += at


def _next_version_line(buffer: bytes, start: int) -> int:
    best = -1
    for version in _VERSIONS:
        at = buffer.find(b"\n" + version, start)
        if at >= 0 and (best < 0 or at + 1 < best):
            best = at + 1
    return best


# -- one record -------------------------------------------------------------------------------


def _parse_one(
    data: bytes, position: int, number: int, offset: int
) -> tuple[WarcRecord, int] | WarcProblem:
    if data.startswith(_ARC_START, position):
        return _arc_problem(number, offset)
    header_end, separator = _header_end(data, position)
    if header_end < 0:
        return WarcProblem(
            number,
            offset,
            "bad_warc_header",
            "no end of WARC headers (blank line)",
            _head(data[position : position + 8192]),
        )
    head = _split_head(data[position:header_end])
    if isinstance(head, str):
        return WarcProblem(
            number, offset, "bad_warc_header", head, _head(data[position:header_end])
        )
    version, headers, length = head
    block_start = header_end + separator
    block = data[block_start : block_start + length]
    if len(block) < length or not _ends_record(data, block_start + length, True):
        reason = f"wrong Content-Length: the header says {length:,} bytes but the record " + (
            "ends first" if len(block) < length else "does not end there"
        )
        return WarcProblem(
            number, offset, "bad_content_length", reason, _head(data[position:header_end])
        )
    return WarcRecord(number, offset, version, headers, block), block_start + length


def _header_end(data: bytes, start: int) -> tuple[int, int]:
    """Where the WARC header block ends and how long its blank line is: CRLF CRLF as the
    standard says, or LF LF as some writers (and files whose line ends were converted) have."""
    limit = start + MAX_HEADER_BYTES + 4
    end = data.find(b"\r\n\r\n", start, limit)
    if end >= 0:
        return end, 4
    end = data.find(b"\n\n", start, limit)
    return (end, 2) if end >= 0 else (-1, 0)


def _ends_record(data: bytes, end: int, at_eof: bool) -> bool:
    """Does a record's block end at ``end``? Then what follows is line ends (the standard
    says two CRLFs; writers put one, two or none) and then the next record or the end.
    Anything else means Content-Length is wrong."""
    rest = data[end : end + _TRAILER_LOOKAHEAD].lstrip(b"\r\n")
    if rest:
        return rest.startswith(_VERSIONS) or _VERSIONS[0].startswith(rest[:8])
    return at_eof or len(data) - end >= _TRAILER_LOOKAHEAD


def _arc_problem(number: int, offset: int) -> WarcProblem:
    return WarcProblem(
        number,
        offset,
        "arc_not_supported",
        "this is an ARC file (the format before WARC), which is not read; convert it first, "
        "e.g. `warcio recompress FILE.arc FILE.warc.gz`, and import the WARC",
        b"",
    )


def _split_head(head: bytes) -> tuple[str, dict[str, str], int] | str:
    """(version, headers, Content-Length) or why the header block is not a WARC header."""
    lines = head.replace(b"\r\n", b"\n").split(b"\n")
    version = lines[0].strip()
    if version not in _VERSIONS:
        shown = version[:40].decode("latin-1", "replace")
        return f"not a WARC 1.0/1.1 record (first line {shown!r})"
    headers: dict[str, str] = {}
    if head.isascii():  # nearly always: read it as text in one go
        parsed = _ascii_fields(head.decode("ascii").replace("\r\n", "\n").split("\n")[1:])
        if isinstance(parsed, str):
            return parsed
        headers = parsed
        lines = []
    last = ""
    for raw in lines[1:]:
        if raw[:1] in (b" ", b"\t") and last:  # folded continuation line
            headers[last] += " " + raw.strip().decode("utf-8", "replace")
            continue
        name, colon, value = raw.partition(b":")
        if not colon or not name.strip():
            return f"malformed WARC header line {raw[:60].decode('latin-1', 'replace')!r}"
        last = name.strip().decode("latin-1").lower()
        headers[last] = value.strip().decode("utf-8", "replace")
    length_text = headers.get("content-length")
    if length_text is None:
        return "WARC record without Content-Length"
    if not _DIGITS.fullmatch(length_text):  # isdigit() would accept "²"
        return f"Content-Length is not a number: {length_text[:20]!r}"
    if "warc-type" not in headers:
        return "WARC record without WARC-Type"
    return version.decode(), headers, int(length_text)


def _ascii_fields(lines: list[str]) -> dict[str, str] | str:
    """The header lines of an ASCII header block, as the bytes loop reads them."""
    headers: dict[str, str] = {}
    last = ""
    for raw in lines:
        if raw[:1] in (" ", "\t") and last:  # folded continuation line
            headers[last] += " " + raw.strip()
            continue
        name, colon, value = raw.partition(":")
        if not colon or not name.strip():
            return f"malformed WARC header line {raw[:60]!r}"
        last = name.strip().lower()
        headers[last] = value.strip()
    return headers


def _head(data: bytes | bytearray) -> bytes:
    """What the quarantine may keep of a broken record: its WARC header lines, never a block.

    Only a record that starts like one (``WARC/1.``) has a header; of it, printable lines
    are kept up to the blank line (or the first line that is not text), at most 8 KiB. A
    broken record can hold anything, including media, so nothing else survives.
    """
    if bytes(data[:7]) != b"WARC/1.":
        return b""
    kept = []
    size = 0
    for line in bytes(data[:8192]).split(b"\r\n"):
        if not line or not _PRINTABLE.fullmatch(line):
            break
        kept.append(line)
        size += len(line) + 2
    return b"\r\n".join(kept)[:8192]
