"""What a hash list reads into: entries, and problems that say where and why.

Readers never raise on a bad row: they yield a :class:`Problem` naming the file, the line
(or record) and the reason, and go on. :func:`deduplicated` then keeps one entry per
signal, so a list that repeats a hash gives it once, and a list that gives one hash two
different classifications says so, naming both lines.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from hotline.hashes.signals import SignalKind

Classification = tuple[str, str]
"""(scheme, code): whose vocabulary, and the category in it, e.g. ("projectvic", "1")."""

RAW_KEPT = 256  # characters of a refused row kept for the reader of the report
MAX_TEXT = 1000  # characters of a series name, an id, a scheme or a code


@dataclass(frozen=True, slots=True)
class Entry:
    kind: SignalKind
    value: str  # canonical, see hotline.hashes.signals.canonical
    classification: Classification | None = None
    series: str | None = None
    external_id: str | None = None  # the list's own id for the item (VICS MediaID, ...)
    pdq_quality: int | None = None


@dataclass(frozen=True, slots=True)
class Problem:
    """A row, record or file that could not be (wholly) read, and where it was.

    ``line`` is 1-based; for a JSON record it is the line the record starts on and
    ``record`` its 1-based number. ``code`` is short and stable (for counting and for the
    quarantine); ``reason`` is for people. ``raw`` is the start of the offending text.
    """

    file: str
    line: int
    code: str
    reason: str
    raw: str = ""
    raw_truncated: bool = False
    record: int | None = None

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.reason}"


@dataclass(frozen=True, slots=True)
class Found:
    """An entry as a reader found it, before duplicates are removed."""

    line: int
    entry: Entry


def problem(
    file: str, line: int, code: str, reason: str, raw: str = "", record: int | None = None
) -> Problem:
    """A problem holding at most :data:`RAW_KEPT` characters of the raw text."""
    return Problem(file, line, code, reason, raw[:RAW_KEPT], len(raw) > RAW_KEPT, record)


def clean_text(value: str, name: str) -> str | None:
    """Optional free text (series, id, scheme, code): stripped, None when empty.

    Raises ValueError when too long or holding control characters, which are never
    meant and break the CSV and terminal output further on.
    """
    text = value.strip()
    if not text:
        return None
    if len(text) > MAX_TEXT:
        raise ValueError(f"{name} is {len(text):,} characters, over the {MAX_TEXT:,} limit")
    if any(ord(char) < 0x20 or ord(char) == 0x7F for char in text):
        raise ValueError(f"{name} holds a control character")
    return text


def _key(entry: Entry) -> bytes:
    """A compact key: one byte for the kind, then the digest's bytes (half the hex)."""
    tag = list(SignalKind).index(entry.kind).to_bytes(1, "big")
    if entry.kind is SignalKind.PHOTODNA:
        return tag + entry.value.encode("ascii")
    return tag + bytes.fromhex(entry.value)


def _shown(classification: Classification | None) -> str:
    return "no classification" if classification is None else ":".join(classification)


def deduplicated(items: Iterable[Found | Problem], file: str) -> Iterator[Entry | Problem]:
    """One entry per (kind, value), the first seen; problems pass through in order.

    A repeat with the same classification is reported once per value (``duplicate``);
    one with another classification is reported every time (``conflicting_classification``)
    naming both lines, and the first is kept. Memory: one small int and a key of about 50
    bytes per distinct signal, some 150 bytes each with the dictionary's own cost, so
    a million distinct hashes take about 150 MB.
    """
    # value = classification index << 41 | first line << 1 | repeat already reported
    seen: dict[bytes, int] = {}
    classes: dict[Classification | None, int] = {None: 0}
    by_index: list[Classification | None] = [None]
    for item in items:
        if isinstance(item, Problem):
            yield item
            continue
        entry = item.entry
        key = _key(entry)
        index = classes.get(entry.classification)
        if index is None:
            index = classes[entry.classification] = len(by_index)
            by_index.append(entry.classification)
        packed = seen.get(key)
        if packed is None:
            seen[key] = index << 41 | item.line << 1
            yield entry
            continue
        first_line, first_index = (packed >> 1) & ((1 << 40) - 1), packed >> 41
        subject = f"{entry.kind} {entry.value}"
        if first_index != index:
            yield problem(
                file,
                item.line,
                "conflicting_classification",
                f"{subject} is {_shown(entry.classification)} on line {item.line} but "
                f"{_shown(by_index[first_index])} on line {first_line}; line "
                f"{first_line} is kept",
                subject,
            )
        elif not packed & 1:
            seen[key] = packed | 1
            yield problem(
                file,
                item.line,
                "duplicate",
                f"{subject} repeats line {first_line}; kept once (later repeats of it "
                "are not reported)",
                subject,
            )
