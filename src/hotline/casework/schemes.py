"""Classification schemes as data: a decision is always the pair (scheme, code).

Shipped with the install (``data/schemes.json``); labels are neutral and never describe
content:

* ``interpol`` — INTERPOL baseline / national / not illegal.
* ``uk`` — UK categories A/B/C (all illegal), plus not illegal.
* ``projectvic`` — Project VIC categories 0–4: only 1 is illegal as shipped; 2 is pertinent,
  not illegal; 3 differs per country, so a national scheme decides.

A hotline adds its own national scheme with :func:`load_scheme` (JSON or CSV).
"""

from __future__ import annotations

import csv
import functools
import io
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

MAX_BYTES = 1 << 20  # a scheme is a few dozen codes; a megabyte is something else
MAX_CODE = 32  # the width of the stored ``code`` column
MAX_TEXT = 200
CSV_HEADER = ("scheme", "code", "label", "illegal")
_NAME = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")
_SCHEME_KEYS = frozenset({"name", "title", "source", "codes"})
_CODE_KEYS = frozenset({"code", "label", "illegal"})
_TRUE = frozenset({"true", "yes", "1"})
_FALSE = frozenset({"false", "no", "0"})


class SchemeError(ValueError):
    """A scheme that cannot be used, or a code a scheme does not have; the message says where."""


@dataclass(frozen=True)
class Code:
    code: str
    label: str
    illegal: bool


@dataclass(frozen=True)
class Scheme:
    name: str
    title: str
    codes: tuple[Code, ...]

    def code(self, code: str) -> Code:
        """The code of this scheme, or :class:`SchemeError` listing the codes it has."""
        for known in self.codes:
            if known.code == code:
                return known
        known_codes = ", ".join(c.code for c in self.codes)
        raise SchemeError(f"scheme {self.name}: no code {code!r}; known: {known_codes}")


class _Bad(Exception):
    """A reason, raised where a value is checked and located by the caller."""


def shipped() -> dict[str, Scheme]:
    """The shipped schemes by name (a fresh dict: callers may add their own to it)."""
    return {scheme.name: scheme for scheme in _shipped()}


@functools.cache
def _shipped() -> tuple[Scheme, ...]:
    label = "shipped schemes"
    data = (resources.files("hotline.casework") / "data" / "schemes.json").read_bytes()
    document = json.loads(data)
    schemes = []
    for index, item in enumerate(document["schemes"]):
        schemes.append(_from_object(item, label, f"schemes[{index}]."))
    return tuple(schemes)


def load_scheme(path: Path) -> Scheme:
    """A hotline's own scheme from a JSON or CSV file.

    JSON: ``{"name", "title", "codes": [{"code", "label", "illegal"}]}`` (``title`` optional,
    ``source`` an optional note). CSV: the header ``scheme,code,label,illegal``, one code per
    row, one scheme per file; ``illegal`` is true/false, yes/no or 1/0. Errors are
    :class:`SchemeError` naming the file and the line (CSV) or the field (JSON).
    """
    label = str(path)
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_BYTES + 1)
    except OSError as error:
        raise SchemeError(f"{label}: cannot read ({error.strerror or error})") from error
    if len(data) > MAX_BYTES:
        raise SchemeError(f"{label}: larger than {MAX_BYTES >> 20} MiB; not a scheme")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise SchemeError(f"{label}:{line}: not UTF-8 text") from error
    suffix = path.suffix.lower()
    as_json = suffix == ".json" or (suffix != ".csv" and text.lstrip().startswith("{"))
    scheme = _load_json(text, label) if as_json else _load_csv(text, label)
    return scheme


def _load_json(text: str, label: str) -> Scheme:
    try:
        document = json.loads(text)
    except RecursionError as error:  # a scheme is three levels deep
        raise SchemeError(f"{label}: not a scheme (JSON nested too deeply)") from error
    except json.JSONDecodeError as error:
        raise SchemeError(f"{label}:{error.lineno}: not JSON ({error.msg})") from error
    except ValueError as error:  # an integer too long to convert, say
        raise SchemeError(f"{label}: not JSON ({error})") from error
    scheme = _from_object(document, label, "")
    _not_shipped(scheme.name, f"{label}: name")
    return scheme


def _from_object(document: Any, label: str, prefix: str) -> Scheme:
    """A scheme from its JSON object; ``prefix`` locates it inside the file."""
    if not isinstance(document, dict):
        where = f"{label}: {prefix[:-1]}" if prefix else label
        raise SchemeError(f"{where}: expected an object with name, title and codes")
    unknown = sorted(set(document) - _SCHEME_KEYS)
    if unknown:
        raise SchemeError(
            f"{label}: {prefix}{_shown(unknown[0])}: unknown key "
            f"(a scheme has {', '.join(sorted(_SCHEME_KEYS))})"
        )
    for key in ("name", "codes"):
        if key not in document:
            raise SchemeError(f"{label}: {prefix}{key}: missing")
    name = _located(_name, document["name"], f"{label}: {prefix}name")
    title = name
    if "title" in document:
        title = _located(_text, document["title"], f"{label}: {prefix}title")
    if not isinstance(document.get("source", ""), str):
        raise SchemeError(f"{label}: {prefix}source: expected a string")
    items = document["codes"]
    if not isinstance(items, list) or not items:
        raise SchemeError(f"{label}: {prefix}codes: expected a non-empty list of codes")
    codes: list[Code] = []
    first: dict[str, int] = {}
    for index, item in enumerate(items):
        where = f"{label}: {prefix}codes[{index}]"
        if not isinstance(item, dict):
            raise SchemeError(f"{where}: expected an object with code, label and illegal")
        unknown = sorted(set(item) - _CODE_KEYS)
        if unknown:
            raise SchemeError(
                f"{where}.{_shown(unknown[0])}: unknown key "
                f"(a code has {', '.join(sorted(_CODE_KEYS))})"
            )
        for key in sorted(_CODE_KEYS):
            if key not in item:
                raise SchemeError(f"{where}.{key}: missing")
        code = _located(_code, item["code"], f"{where}.code")
        if code in first:
            raise SchemeError(f"{where}.code: {_shown(code)} already in codes[{first[code]}]")
        first[code] = index
        text = _located(_text, item["label"], f"{where}.label")
        if not isinstance(item["illegal"], bool):
            raise SchemeError(f"{where}.illegal: expected true or false")
        codes.append(Code(code, text, item["illegal"]))
    return Scheme(name, title, tuple(codes))


def _load_csv(text: str, label: str) -> Scheme:
    reader = csv.reader(io.StringIO(text, newline=""))
    header_line = 0
    name = ""
    codes: list[Code] = []
    first: dict[str, int] = {}
    line = 1
    try:
        for row in reader:
            start, line = line, reader.line_num + 1  # a quoted field may span lines
            if not any(field.strip() for field in row):
                continue
            fields = [field.strip() for field in row]
            if not header_line:
                if tuple(field.lower() for field in fields) != CSV_HEADER:
                    raise SchemeError(
                        f"{label}:{start}: expected the header {','.join(CSV_HEADER)}"
                    )
                header_line = start
                continue
            if len(fields) != len(CSV_HEADER):
                raise SchemeError(
                    f"{label}:{start}: expected {len(CSV_HEADER)} fields "
                    f"({','.join(CSV_HEADER)}), found {len(fields)}"
                )
            where = f"{label}:{start}"
            row_name = _located(_name, fields[0], f"{where}: scheme")
            if not name:
                _not_shipped(row_name, f"{where}: scheme")
                name = row_name
            elif row_name != name:
                raise SchemeError(
                    f"{where}: scheme {_shown(row_name)} differs from {_shown(name)} above; "
                    "one file holds one scheme"
                )
            code = _located(_code, fields[1], f"{where}: code")
            if code in first:
                raise SchemeError(f"{where}: code {_shown(code)} already on line {first[code]}")
            first[code] = start
            text_label = _located(_text, fields[2], f"{where}: label")
            illegal = fields[3].lower()
            if illegal not in _TRUE | _FALSE:
                raise SchemeError(
                    f"{where}: illegal: {_shown(fields[3])} is not true/false, yes/no or 1/0"
                )
            codes.append(Code(code, text_label, illegal in _TRUE))
    except csv.Error as error:  # a NUL byte, an overlong field, a stray quote
        raise SchemeError(f"{label}:{reader.line_num}: not CSV ({error})") from error
    if not header_line:
        raise SchemeError(f"{label}:1: empty; expected the header {','.join(CSV_HEADER)}")
    if not codes:
        raise SchemeError(f"{label}:{header_line}: no codes after the header")
    return Scheme(name, name, tuple(codes))


def _not_shipped(name: str, where: str) -> None:
    # a decision names its scheme; two schemes under one name would make old decisions ambiguous
    if name in shipped():
        raise SchemeError(
            f"{where}: {_shown(name)} is a shipped scheme; give your scheme another name"
        )


def _located(check: Callable[[object], str], value: object, where: str) -> str:
    try:
        return check(value)
    except _Bad as reason:
        raise SchemeError(f"{where}: {reason}") from None


def _name(value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _Bad("expected the scheme's name as a non-empty string")
    name = value.strip()
    if not _NAME.fullmatch(name):
        raise _Bad(
            f"{_shown(name)} is not a scheme name "
            "(lower-case letters, digits, '.', '_' and '-', at most 64)"
        )
    return name


def _code(value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _Bad("expected the code as a non-empty string")
    code = value.strip()
    if len(code) > MAX_CODE:
        raise _Bad(f"{_shown(code)} is longer than {MAX_CODE} characters")
    if not code.isprintable() or any(c.isspace() for c in code):
        raise _Bad(f"{_shown(code)} holds a space or a control character")
    return code


def _text(value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _Bad("expected a non-empty string")
    text = value.strip()
    if len(text) > MAX_TEXT:
        raise _Bad(f"longer than {MAX_TEXT} characters")
    if not text.isprintable():
        raise _Bad("holds a control character")
    return text


def _shown(text: str) -> str:
    """A value of the file as it may appear in a message: quoted, printable, short."""
    shown = "".join(c if c.isprintable() else ascii(c)[1:-1] for c in text[:80])
    return f"'{shown}{'…' if len(text) > 80 else ''}'"
