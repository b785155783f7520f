"""``hotline ingest pdns``: passive-DNS files into hosting observations, bad records into the
quarantine with line, byte offset and reason. Batches commit on their own, so a crash keeps
what was committed and a rerun adds nothing that is already there.

Three layouts are read, told apart by how the file starts:

* one JSON object per line — COF, ``dnsdbq -j``, and DNSDB's streaming API framing (SAF:
  ``{"cond":"begin"}``, ``{"obj":{...}}`` lines, ``{"cond":"succeeded"}``), read line by
  line in constant memory;
* a JSON array of records (``[{...}, {...}]``, on one line or pretty-printed);
* a sequence of JSON objects that span several lines each (``jq .`` output).

The last two are read into memory, at most :data:`MAX_DOCUMENT` bytes; larger ones are
refused with the ``jq`` command that turns them into lines. Every error names the file and
the line the record starts on. An incomplete SAF stream (``"failed"``, ``"limited"``, or no
closing line at all) is imported as far as it goes and reported as a warning.
"""

from __future__ import annotations

import gzip
import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from itertools import chain
from pathlib import Path
from typing import IO, Literal

import orjson
from sqlalchemy import Engine

from hotline.hosting.observations import Observation, site_key_for, upsert
from hotline.hosting.pdns import (
    SAF_ENDINGS,
    PdnsLineError,
    PdnsRecord,
    SafMessage,
    decode,
    parse_record,
    saf_message,
)
from hotline.quarantine import Refusal, record
from hotline.store.uow import unit_of_work

MAX_LINE = 1 << 20  # a COF line is a few hundred bytes; a megabyte is not a record
MAX_DOCUMENT = 256 << 20  # a whole-file JSON document is read into memory up to this size
_BOM = b"\xef\xbb\xbf"
_CONVERT = "jq -c '.[]' FILE > records.jsonl for an array, jq -c . FILE > records.jsonl otherwise"
_EXPECTED = (
    "expected one JSON object per line (COF, dnsdbq -j, DNSDB SAF), a JSON array or a "
    "sequence of JSON objects (convert with e.g. jq -c '.[]' FILE > records.jsonl)"
)

Layout = Literal["lines", "array", "sequence"]


@dataclass
class PdnsSummary:
    file: str
    lines: int = 0
    records: int = 0
    observations: int = 0
    ignored_types: int = 0
    rejected: int = 0
    rejected_by_code: Counter[str] = field(default_factory=Counter)
    framing: int = 0  # SAF lines that carry no record: begin, succeeded, keep-alives ...
    layout: Layout = "lines"
    warnings: list[str] = field(default_factory=list)  # one line each, naming the file

    def add(self, other: PdnsSummary) -> None:
        self.lines += other.lines
        self.records += other.records
        self.observations += other.observations
        self.ignored_types += other.ignored_types
        self.rejected += other.rejected
        self.rejected_by_code.update(other.rejected_by_code)
        self.framing += other.framing
        self.warnings.extend(other.warnings)


class PdnsFileError(Exception):
    """A file that cannot be read at all."""


def _open(path: Path) -> IO[bytes]:
    with path.open("rb") as probe:
        magic = probe.read(2)
    if magic == b"\x1f\x8b":
        return gzip.open(path, "rb")  # type: ignore[return-value]
    return path.open("rb")


# -- telling the layouts apart ---------------------------------------------------------------

_TOKEN = re.compile(rb'["{}\[\],]')
_STRING_REST = re.compile(rb'[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NON_SPACE = re.compile(rb"[^ \t\r\n]")


def layout_of(head: bytes) -> Layout:
    """The layout of a file that starts with ``head`` (its first megabyte, decompressed).

    An array starts with "["; a sequence of multi-line objects starts with an object that
    is not complete on its first line but is complete, valid JSON a few lines later.
    Anything else is read line by line (where a bad line is rejected on its own)."""
    text = head.removeprefix(_BOM).lstrip(b" \t\r\n")
    if text.startswith(b"["):
        return "array"
    first = text.split(b"\n", 1)[0].strip()
    if not first.startswith(b"{"):
        return "lines"
    try:
        orjson.loads(first)
    except orjson.JSONDecodeError:
        pass
    else:
        return "lines"
    for start, end in spans(text):
        try:
            orjson.loads(text[start:end])
        except orjson.JSONDecodeError:
            return "lines"
        return "sequence" if b"\n" in text[start:end].strip() else "lines"
    return "lines"


def spans(data: bytes) -> Iterator[tuple[int, int]]:
    """(start, end) of each record of a JSON document: the elements of a top-level array,
    or each top-level value of a sequence. Structure only (strings are skipped whole, in
    C), so a broken record still ends where its brackets close and the next one is found;
    a record that never closes runs to the end of the data. Linear in the data's length."""
    size = len(data)
    depth = 0  # nesting below the record level
    in_array = False  # inside a top-level array, whose elements are the records
    start: int | None = None
    pos = 0
    while pos < size:
        match = _TOKEN.search(data, pos)
        stop = size if match is None else match.start()
        if start is None:
            text = _NON_SPACE.search(data, pos, stop)
            if text is not None:
                start = text.start()  # a bare value (or junk) where a record belongs
        if match is None:
            break
        char = data[stop]
        if char == 0x22:  # a string: jump to its closing quote
            if start is None:
                start = stop
            rest = _STRING_REST.match(data, stop + 1)
            pos = size if rest is None else rest.end()
            continue
        pos = stop + 1
        if char in b"{[":
            if char == 0x5B and depth == 0 and not in_array and start is None:
                in_array = True
                continue
            if start is None:
                start = stop
            depth += 1
        elif char in b"}]":
            if depth > 0:
                depth -= 1
                if depth == 0 and not in_array and start is not None:
                    yield start, stop + 1
                    start = None
            elif in_array and char == 0x5D:
                if start is not None:
                    yield start, stop
                    start = None
                in_array = False
            elif start is None:
                start = stop  # a stray closing bracket: part of a broken record
        elif depth == 0:  # a comma at the record level
            if in_array:
                if start is not None:
                    yield start, stop
                    start = None
            elif start is None:
                start = stop
    if start is not None:
        yield start, size


# -- reading ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Item:
    line: int  # where the record starts, 1-based
    offset: int  # byte offset of its start (in the decompressed data)
    text: bytes
    refusal: PdnsLineError | None = None  # refused before parsing (too long, file cut short)


def _lines(handle: IO[bytes]) -> Iterator[_Item]:
    """One item per line (blank ones too, so lines are counted); an overlong line is cut,
    skipped and refused."""
    offset, number = 0, 0
    while True:
        line = handle.readline(MAX_LINE)
        if not line:
            return
        number += 1
        start = offset
        offset += len(line)
        whole = line.endswith(b"\n") or len(line) < MAX_LINE
        if not whole:
            while True:  # skip the rest of the overlong line
                rest = handle.readline(MAX_LINE)
                offset += len(rest)
                if not rest or rest.endswith(b"\n"):
                    break
        text = (line.removeprefix(_BOM) if number == 1 else line).strip()
        too_long = (
            None
            if whole
            else PdnsLineError("line_too_long", f"line longer than {MAX_LINE:,} bytes")
        )
        yield _Item(number, start, text, too_long)


def _document(handle: IO[bytes], path: Path) -> tuple[bytes, PdnsLineError | None]:
    """The whole (decompressed) file, and why it ends early if a compressed stream breaks."""
    chunks: list[bytes] = []
    size = 0
    try:
        while chunk := handle.read(1 << 20):
            size += len(chunk)
            if size > MAX_DOCUMENT:
                raise PdnsFileError(
                    f"{path}: a JSON document over {_size(MAX_DOCUMENT)} is not read into "
                    f"memory; convert it to one record per line first ({_CONVERT})"
                )
            chunks.append(chunk)
    except (OSError, EOFError, gzip.BadGzipFile) as error:
        cut = PdnsLineError(
            "truncated_file", f"file ends in the middle of a compressed stream ({error})"
        )
        return b"".join(chunks), cut
    return b"".join(chunks), None


def _records(data: bytes) -> Iterator[_Item]:
    """One item per record of an in-memory JSON document, with the line it starts on."""
    line, counted = 1, 0
    for start, end in spans(data):
        line += data.count(b"\n", counted, start)
        counted = start
        text = data[start:end].strip()
        if len(text) > MAX_LINE:
            yield _Item(
                line,
                start,
                text,
                PdnsLineError("record_too_long", f"record longer than {MAX_LINE:,} bytes"),
            )
        else:
            yield _Item(line, start, text)


def _physical_lines(data: bytes) -> int:
    return data.count(b"\n") + (1 if data and not data.endswith(b"\n") else 0)


class _Stream:
    """Follows DNSDB's framing through a file and says when a stream is incomplete."""

    def __init__(self, name: str, warnings: list[str]) -> None:
        self.name = name
        self.warnings = warnings
        self.open_line: int | None = None  # where the stream being read began

    def see(self, message: SafMessage, line: int) -> None:
        cond = message.cond
        why = f" ({message.msg})" if message.msg else ""
        if cond == "begin":
            if self.open_line is not None:
                self._warn(
                    f"line {self.open_line}: the DNSDB stream that begins there has no closing "
                    f"line before the next begin (line {line}): it was cut short, records may "
                    "be missing"
                )
            self.open_line = line
        elif cond in SAF_ENDINGS:
            if cond == "failed":
                self._warn(
                    f"line {line}: DNSDB reports the query failed{why}: the stream is "
                    "incomplete, records may be missing"
                )
            elif cond == "limited":
                self._warn(
                    f"line {line}: the DNSDB answer stopped at a result limit{why}: the "
                    "server holds more records than this file"
                )
            self.open_line = None
        elif self.open_line is None:
            self.open_line = line  # records without a begin line still need an end

    @property
    def open(self) -> bool:
        return self.open_line is not None

    def finish(self) -> None:
        if self.open_line is not None:
            self._warn(
                f"the DNSDB stream from line {self.open_line} has no closing "
                '{"cond":"succeeded"} line: the file is incomplete (cut short), records may '
                "be missing"
            )

    def _warn(self, text: str) -> None:
        self.warnings.append(f"{self.name}: {text}")


def observations_of(record: PdnsRecord) -> list[Observation]:
    site_key = site_key_for(record.rrname)
    return [
        Observation(
            site_key,
            record.rrname,
            "pdns",
            record.rrtype,
            value,
            record.first_seen,
            record.last_seen,
            count=record.count,
        )
        for value in record.values
    ]


class PdnsImporter:
    def __init__(self, engine: Engine, batch_size: int = 20_000) -> None:
        self.engine = engine
        self.batch_size = batch_size

    def ingest(self, path: Path, progress: Callable[[int], None] | None = None) -> PdnsSummary:
        summary = PdnsSummary(file=str(path))
        try:
            with _open(path) as probe:
                head = _head(probe)
            handle = _open(path)
        except OSError as error:
            raise PdnsFileError(f"{path}: cannot read ({error.strerror or error})") from error
        summary.layout = layout_of(head)
        with handle:
            if summary.layout == "lines":
                self._read(path, _lines(handle), summary, progress)
            else:
                data, cut = _document(handle, path)
                if data.startswith(_BOM):  # blanked, so offsets stay those of the file
                    data = b"   " + data[len(_BOM) :]
                summary.lines = _physical_lines(data)
                ending = [] if cut is None else [_Item(summary.lines + 1, len(data), b"", cut)]
                self._read(path, chain(_records(data), ending), summary, progress)
        return summary

    def _read(
        self,
        path: Path,
        items: Iterator[_Item],
        summary: PdnsSummary,
        progress: Callable[[int], None] | None,
    ) -> None:
        name = str(path)
        pending: list[Observation] = []
        refused: list[Refusal] = []
        stream = _Stream(name, summary.warnings)
        first, wrapped = True, False
        lines = summary.layout == "lines"

        def refuse(item: _Item, error: PdnsLineError) -> None:
            summary.rejected += 1
            summary.rejected_by_code[error.code] += 1
            refused.append(
                Refusal.keeping("pdns", name, item.line, item.offset, error.code, error.reason,
                                item.text)
            )  # fmt: skip

        try:
            for item in _guarded(items):
                if lines:
                    summary.lines = item.line
                if not item.text and item.refusal is None:
                    continue
                try:
                    if item.refusal is not None:
                        raise item.refusal
                    parsed = self._parse(item, stream, summary)
                except PdnsLineError as error:
                    refuse(item, error)
                    if error.code == "not_a_record" and not wrapped:
                        wrapped = True  # the reason says how to extract the records
                        summary.warnings.append(f"{name}: line {item.line}: {error.reason}")
                    if first and lines and error.code in ("bad_json", "not_an_object"):
                        summary.warnings.append(
                            f"{name}: line {item.line} is not a JSON object; {_EXPECTED}"
                        )
                else:
                    if parsed is not None:
                        summary.records += 1
                        pending.extend(observations_of(parsed))
                first = False
                if len(pending) >= self.batch_size or len(refused) >= 1000:
                    summary.observations += self._flush(pending, refused)
                    pending, refused = [], []
                    if progress is not None:
                        progress(item.offset)
        except _Truncated as cut:
            # A truncated .gz read line by line: keep what was read, say where it stopped.
            refuse(_Item(summary.lines + 1, 0, b""), cut.error)
        stream.finish()
        summary.observations += self._flush(pending, refused)

    def _parse(self, item: _Item, stream: _Stream, summary: PdnsSummary) -> PdnsRecord | None:
        """The record an item holds; ``None`` for framing and for types hosting skips."""
        document = decode(item.text)
        message = saf_message(document)
        if message is not None:
            stream.see(message, item.line)
            if message.obj is None:
                summary.framing += 1
                return None
            document = message.obj
        elif document == {} and stream.open:
            summary.framing += 1  # a SAF keep-alive
            return None
        parsed = parse_record(document)
        if parsed is None:
            summary.ignored_types += 1
        return parsed

    def _flush(self, pending: list[Observation], refused: list[Refusal]) -> int:
        with unit_of_work(self.engine) as connection:
            written = upsert(connection, pending)
            record(connection, refused)
        return written


class _Truncated(Exception):
    def __init__(self, error: PdnsLineError) -> None:
        super().__init__(error.reason)
        self.error = error


def _guarded(items: Iterator[_Item]) -> Iterator[_Item]:
    """The items, with a compressed stream that breaks off turned into :class:`_Truncated`."""
    try:
        yield from items
    except (OSError, EOFError, gzip.BadGzipFile) as error:
        reason = f"file ends in the middle of a compressed stream ({error})"
        raise _Truncated(PdnsLineError("truncated_file", reason)) from error


def _size(count: int) -> str:
    return f"{count >> 20:,} MiB" if count >= 1 << 20 else f"{count:,} bytes"


def _head(handle: IO[bytes]) -> bytes:
    """The first megabyte (decompressed), or as much as a broken stream gives."""
    chunks: list[bytes] = []
    size = 0
    try:
        while size < MAX_LINE and (chunk := handle.read(MAX_LINE - size)):
            chunks.append(chunk)
            size += len(chunk)
    except (OSError, EOFError, gzip.BadGzipFile):
        pass
    return b"".join(chunks)
