"""Project VIC (VICS) JSON hash lists, data models 1.3 and 2.0, read as a stream.

A VICS document is an OData-style object: ``"odata.metadata"`` (1.x) or
``"@odata.context"`` (2.0) names the data model, and ``"value"`` holds either Media
records directly (a hash set: the context ends in ``#Media``) or Cases, each with a
``"Media"`` array (a case export: ``#Cases``). Each Media record becomes one entry per hash
it carries (``MD5``, ``SHA1``, ``SHA256``, ``PhotoDNA``, and the ``AlternativeHashes``
list of ``{"HashName", "HashValue"}``), all with the record's ``Category`` (as
("projectvic", category)), ``Series`` and ``MediaID``. See docs/hashes.md for what is
verified against public sources and what is not.

Memory: one record at a time (at most :data:`MAX_RECORD_BYTES`), whatever the document's
size; a case's members other than ``Media`` are held while the case is read.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, BinaryIO

import orjson

from hotline.hashes.entries import Entry, Found, Problem, clean_text, problem
from hotline.hashes.jsonscan import Captured, ScanError, Scanner
from hotline.hashes.signals import InvalidSignal, SignalKind, canonical, parse_kind

MAX_RECORD_BYTES = 1 << 20  # a Media record is under a few kilobytes, Exif included
MAX_DEPTH = 16  # a Media record nests three levels (MediaFiles, Exifs, AlternativeHashes)
MAX_CATEGORY = 999  # the model's categories are small integers
SCHEME = "projectvic"
CONTEXT_KEYS = ("@odata.context", "odata.metadata")
CONTEXT_2_0 = (
    "http://github.com/VICSDATAMODEL/ProjectVic/DataModels/2.0.xml/Default/$metadata#Media"
)
_HASH_FIELDS = {
    "md5": SignalKind.MD5,
    "sha1": SignalKind.SHA1,
    "sha256": SignalKind.SHA256,
    "photodna": SignalKind.PHOTODNA,
}


class _Reader:
    def __init__(self, handle: BinaryIO, file: str) -> None:
        self.scanner = Scanner(handle)
        self.file = file
        self.records = 0
        self.media_list = False  # the context says value holds Media records

    def problem(self, line: int, code: str, reason: str, raw: bytes = b"") -> Problem:
        text = raw[:1024].decode("utf-8", "replace")
        return problem(self.file, line, code, reason, text, self.records or None)

    # -- the outer structure ----------------------------------------------------------

    def read(self) -> Iterator[Found | Problem]:
        scanner = self.scanner
        scanner.skip_bom()
        try:
            scanner.take(b"{", "a JSON object (a VICS document starts with '{')")
            saw_value = False
            if scanner.peek() == ord("}"):
                scanner.take(b"}", "'}'")
            else:
                while True:
                    key = scanner.string()
                    scanner.take(b":", "':' after a member name")
                    if key == "value":
                        saw_value = True
                        yield from self.value_array()
                    elif key in CONTEXT_KEYS:
                        self.context(scanner.value(MAX_RECORD_BYTES, 1))
                    else:
                        scanner.value(MAX_RECORD_BYTES, 1 << 30)  # read past, unused
                    if scanner.peek() == ord(","):
                        scanner.take(b",", "','")
                        continue
                    scanner.take(b"}", "',' or '}' after a member")
                    break
            if scanner.peek() is not None:
                yield self.problem(scanner.line, "trailing_data", "data after the document")
            if not saw_value:
                yield self.problem(1, "no_value", 'the document has no "value" array')
        except ScanError as error:
            yield self.problem(error.line, "bad_json", f"not a VICS document: {error.reason}")

    def context(self, captured: Captured) -> None:
        try:
            text = orjson.loads(captured.raw)
        except orjson.JSONDecodeError:
            return
        self.media_list = isinstance(text, str) and text.rstrip("/").endswith("#Media")

    def elements(self) -> Iterator[None]:
        """Steps through an array's elements, leaving the scanner at each one."""
        scanner = self.scanner
        scanner.take(b"[", "a JSON array")
        if scanner.peek() == ord("]"):
            scanner.take(b"]", "']'")
            return
        while True:
            yield None
            if scanner.peek() == ord(","):
                scanner.take(b",", "','")
                continue
            scanner.take(b"]", "',' or ']' after an array element")
            return

    def value_array(self) -> Iterator[Found | Problem]:
        for _ in self.elements():
            if self.media_list:
                yield from self.record(self.scanner.value(MAX_RECORD_BYTES, MAX_DEPTH))
            else:
                yield from self.case_or_record()

    def case_or_record(self) -> Iterator[Found | Problem]:
        """An element of ``value`` when the context does not say: a Case (its ``Media``
        array streamed) or a Media record (its members gathered, then read)."""
        scanner = self.scanner
        if scanner.peek() != ord("{"):
            yield from self.record(scanner.value(MAX_RECORD_BYTES, MAX_DEPTH))
            return
        line = scanner.line
        scanner.take(b"{", "'{'")
        members: dict[str, Any] = {}
        problems: list[Problem] = []
        is_case = False
        if scanner.peek() == ord("}"):
            scanner.take(b"}", "'}'")
        else:
            while True:
                key = scanner.string()
                scanner.take(b":", "':' after a member name")
                if key == "Media" and scanner.peek() == ord("["):
                    is_case = True
                    for _ in self.elements():
                        yield from self.record(scanner.value(MAX_RECORD_BYTES, MAX_DEPTH))
                else:
                    captured = scanner.value(MAX_RECORD_BYTES, MAX_DEPTH)
                    parsed = self.parse(captured)
                    if isinstance(parsed, Problem):
                        problems.append(parsed)
                    else:
                        members[key] = parsed
                if scanner.peek() == ord(","):
                    scanner.take(b",", "','")
                    continue
                scanner.take(b"}", "',' or '}' after a member")
                break
        if is_case:
            return
        self.records += 1
        if problems:
            yield problems[0]
            return
        yield from self.media(members, line)

    # -- one record -------------------------------------------------------------------

    def parse(self, captured: Captured) -> Any:
        if captured.too_large:
            reason = f"{captured.size:,} bytes, over the {MAX_RECORD_BYTES:,}-byte limit"
            return self.problem(captured.line, "record_too_large", self.at(reason))
        if captured.too_deep:
            reason = f"nested deeper than {MAX_DEPTH} levels"
            return self.problem(captured.line, "too_deep", self.at(reason), captured.raw)
        try:
            return orjson.loads(captured.raw)
        except orjson.JSONDecodeError as error:
            reason = f"not valid JSON ({error.msg})"
            return self.problem(captured.line, "bad_json", self.at(reason), captured.raw)

    def at(self, reason: str) -> str:
        return f"record {self.records}: {reason}" if self.records else reason

    def record(self, captured: Captured) -> Iterator[Found | Problem]:
        self.records += 1
        parsed = self.parse(captured)
        if isinstance(parsed, Problem):
            yield parsed
        elif not isinstance(parsed, dict):
            reason = self.at("a Media record must be a JSON object")
            yield self.problem(captured.line, "not_an_object", reason, captured.raw)
        else:
            yield from self.media(parsed, captured.line, captured.raw)

    def media(
        self, record: dict[str, Any], line: int, raw: bytes = b""
    ) -> Iterator[Found | Problem]:
        fields = {str(key).lower(): value for key, value in record.items()}
        reasons: list[str] = []
        entries: list[Entry] = []
        try:
            classification = _category(fields.get("category"))
            series = _text(fields.get("series"), "Series")
            external_id = _text(fields.get("mediaid"), "MediaID")
        except ValueError as error:
            yield self.problem(line, "bad_value", self.at(str(error)), raw)
            return
        for kind, value in _hashes(fields, reasons):
            try:
                signal = canonical(kind, value)
            except InvalidSignal as error:
                reasons.append(str(error))
                continue
            entry = Entry(kind, signal, classification, series, external_id)
            if entry not in entries:  # MD5 given both as a field and an alternative hash
                entries.append(entry)
        for entry in entries:
            yield Found(line, entry)
        if not entries and not reasons:
            reasons.append("no MD5, SHA1, SHA256 or PhotoDNA in the record")
        if reasons:
            yield self.problem(line, "bad_value", self.at("; ".join(reasons)), raw)


def _category(value: object) -> tuple[str, str] | None:
    if value is None or value == "":
        return None
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_CATEGORY:
        raise ValueError(f"Category must be an integer from 0 to {MAX_CATEGORY}, got {value!r:.40}")
    return (SCHEME, str(value))


def _text(value: object, name: str) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ValueError(f"{name} must be text or a number, got {type(value).__name__}")
    return clean_text(str(value), name)


def _hashes(fields: dict[str, Any], reasons: list[str]) -> Iterator[tuple[SignalKind, str]]:
    """(kind, text) of every hash in a record; empty and null values are absent ones."""
    for name, kind in _HASH_FIELDS.items():
        value = fields.get(name)
        if value is None or value == "":
            continue
        if isinstance(value, str):
            yield kind, value
        else:
            reasons.append(f"{name} must be a string, got {type(value).__name__}")
    alternatives = fields.get("alternativehashes")
    if not isinstance(alternatives, list):
        return
    for item in alternatives:
        if not isinstance(item, dict):
            continue
        label, text = item.get("HashName"), item.get("HashValue")
        alternative = parse_kind(label) if isinstance(label, str) else None
        if alternative is None or text is None or text == "":
            continue  # a hash kind this project does not hold
        if isinstance(text, str):
            yield alternative, text
        else:
            reasons.append(f"AlternativeHashes {label} must be a string")


def read_vics(handle: BinaryIO, file: str) -> Iterator[Found | Problem]:
    """Entries and problems of a VICS JSON list, in file order (duplicates not removed)."""
    return _Reader(handle, file).read()
