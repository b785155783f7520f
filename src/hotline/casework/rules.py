"""The casework rules file (TOML): who gets a notice, and when.

Every key is optional except ``own_country``: the country the hotline works in, where law
enforcement clears a URL before any notice. Without a rules file (:func:`default_rules`) there
is no own country and nothing waits for clearance.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

MAX_BYTES = 1 << 20  # a rules file is a page; a megabyte is something else
MAX_HOURS = 24 * 3660  # ten years: beyond it a re-notice is no schedule, and timedelta overflows
MAX_NAME = 64  # the width of hosting's stored ``cdn`` column
MAX_CONTACT = 254  # the longest address SMTP carries
_KEYS = (
    "own_country",
    "renotice_hours",
    "escalate_after",
    "consensus",
    "law_enforcement",
    "members",
    "cdn_desks",
    "providers",
)
_PARTY_KEYS = ("name", "contact")
_COUNTRY = re.compile(r"[A-Z]{2}")
_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_SYNTAX_AT = re.compile(r"\s*\(at line (\d+), column (\d+)\)$")
# characters that would split or quote an address inside a To: header
_ADDRESS_SPECIALS = frozenset('<>,;:"()[]\\')


class RulesError(ValueError):
    """A rules file that cannot be used; the message names the file and the key."""


@dataclass(frozen=True)
class Member:
    """A party notices go to: a member hotline, or the law-enforcement unit."""

    name: str
    contact: str


@dataclass(frozen=True)
class Rules:
    own_country: str | None = None
    renotice_hours: float = 24.0
    escalate_after: int = 3
    consensus: int = 1
    law_enforcement: Member | None = None
    members: dict[str, Member] = field(default_factory=dict)  # country → member hotline
    cdn_desks: dict[str, str] = field(default_factory=dict)  # CDN name → abuse desk
    providers: dict[int, str] = field(default_factory=dict)  # AS number → abuse contact


class _Bad(Exception):
    """A reason, raised where a value is checked and located by the caller."""


def default_rules() -> Rules:
    """The rules without a file: no own country, so nothing waits for clearance."""
    return Rules()


def looks_like_email(text: str) -> bool:
    """An address a notice may go to: one ``@``, a dotted domain, nothing that breaks a header."""
    if not text or len(text) > MAX_CONTACT or text.count("@") != 1:
        return False
    if not text.isprintable() or any(c.isspace() or c in _ADDRESS_SPECIALS for c in text):
        return False
    local, domain = text.split("@")
    labels = domain.split(".")
    return bool(local) and len(labels) >= 2 and all(labels)


def load_rules(path: Path) -> Rules:
    """The rules of a TOML file; :class:`RulesError` ``"FILE: key: reason"`` when unusable."""
    label = str(path)
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_BYTES + 1)
    except OSError as error:
        raise RulesError(f"{label}: cannot read ({error.strerror or error})") from error
    if len(data) > MAX_BYTES:
        raise RulesError(f"{label}: larger than {MAX_BYTES >> 20} MiB; not a rules file")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise RulesError(f"{label}:{line}: not UTF-8 text (TOML is UTF-8)") from error
    try:
        document = tomllib.loads(text)
    except RecursionError as error:
        raise RulesError(f"{label}: not a rules file (TOML nested too deeply)") from error
    except ValueError as error:  # TOMLDecodeError, or a number too long to convert
        message = str(error)
        at = _SYNTAX_AT.search(message)
        if at is None:
            raise RulesError(f"{label}: not TOML ({message})") from error
        reason = message[: at.start()]
        raise RulesError(
            f"{label}:{at.group(1)}: not TOML ({reason} at column {at.group(2)})"
        ) from error
    return _rules(document, label)


def _rules(document: dict[str, Any], label: str) -> Rules:
    _known(document, _KEYS, label, "")
    if "own_country" not in document:
        raise RulesError(f"{label}: own_country: missing (the country the hotline works in)")
    own = _at(_country, document["own_country"], label, "own_country")
    values: dict[str, Any] = {}
    if "renotice_hours" in document:
        values["renotice_hours"] = _at(_hours, document["renotice_hours"], label, "renotice_hours")
    for key in ("escalate_after", "consensus"):
        if key in document:
            values[key] = _at(_count, document[key], label, key)
    if "law_enforcement" in document:
        values["law_enforcement"] = _party(document["law_enforcement"], label, "law_enforcement")
    members: dict[str, Member] = {}
    for key, value in _table(document, "members", label).items():
        where = f"members.{_key(key)}"
        country = _at(_country, key, label, where)
        if country == own:
            raise RulesError(
                f"{label}: {where}: {own} is own_country; its URLs go to law enforcement"
            )
        if country in members:
            raise RulesError(f"{label}: {where}: {country} is listed twice")
        members[country] = _party(value, label, where)
    desks: dict[str, str] = {}
    for key, value in _table(document, "cdn_desks", label).items():
        where = f"cdn_desks.{_key(key)}"
        name = _at(_cdn_name, key, label, where)
        if name in desks:
            raise RulesError(f"{label}: {where}: {name!r} is listed twice")
        desks[name] = _at(_contact, value, label, where)
    providers: dict[int, str] = {}
    for key, value in _table(document, "providers", label).items():
        where = f"providers.{_key(key)}"
        asn = _at(_asn, key, label, where)
        if asn in providers:
            raise RulesError(f"{label}: {where}: AS{asn} is listed twice")
        providers[asn] = _at(_contact, value, label, where)
    return Rules(own_country=own, members=members, cdn_desks=desks, providers=providers, **values)


def _known(table: dict[str, Any], keys: tuple[str, ...], label: str, prefix: str) -> None:
    for key in table:
        if key not in keys:
            raise RulesError(
                f"{label}: {prefix}{_key(key)}: unknown key (known: {', '.join(keys)})"
            )


def _table(document: dict[str, Any], key: str, label: str) -> dict[str, Any]:
    value = document.get(key, {})
    if not isinstance(value, dict):
        raise RulesError(f"{label}: {key}: expected a table ([{key}])")
    return value


def _party(value: Any, label: str, where: str) -> Member:
    if not isinstance(value, dict):
        raise RulesError(f"{label}: {where}: expected a table with name and contact")
    _known(value, _PARTY_KEYS, label, f"{where}.")
    for key in _PARTY_KEYS:
        if key not in value:
            raise RulesError(f"{label}: {where}.{key}: missing")
    name = _at(_text, value["name"], label, f"{where}.name")
    return Member(name, _at(_contact, value["contact"], label, f"{where}.contact"))


def _at(check: Callable[[Any], Any], value: Any, label: str, where: str) -> Any:
    try:
        return check(value)
    except _Bad as reason:
        raise RulesError(f"{label}: {where}: {reason}") from None


def _country(value: object) -> str:
    if not isinstance(value, str):
        raise _Bad('expected a country code as a string (like "NL")')
    country = value.upper() if value.isascii() else value
    if not _COUNTRY.fullmatch(country):
        raise _Bad(f"{_shown(value)} is not a country code (two letters, ISO 3166, like NL)")
    return country


def _hours(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _Bad("expected a number of hours")
    if not 0 < value <= MAX_HOURS:  # also refuses nan and inf
        raise _Bad(f"expected more than 0 and at most {MAX_HOURS} hours")
    return float(value)


def _count(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _Bad("expected a whole number")
    if value < 1:
        raise _Bad("expected 1 or more")
    return value


def _asn(value: str) -> int:
    digits = value.strip().upper().removeprefix("AS")
    number = int(digits) if digits.isascii() and digits.isdigit() and len(digits) <= 10 else -1
    if not 0 < number < 2**32:
        raise _Bad("not an AS number (like 64500 or AS64500)")
    return number


def _text(value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _Bad("expected a non-empty string")
    text = value.strip()
    if not text.isprintable():
        raise _Bad("holds a control character")
    return text


def _cdn_name(value: str) -> str:
    name = _text(value)
    if len(name) > MAX_NAME:
        raise _Bad(f"a CDN's name is at most {MAX_NAME} characters")
    return name


def _contact(value: object) -> str:
    if not isinstance(value, str):
        raise _Bad("expected an e-mail address as a string")
    if not looks_like_email(value):
        raise _Bad(f"{_shown(value)} is not an e-mail address (like abuse@provider.example)")
    return value


def _key(key: str) -> str:
    """A key as TOML would write it: bare when it can be, else quoted and printable."""
    if _BARE_KEY.fullmatch(key):
        return key
    shown = "".join(
        "\\" + c if c in '"\\' else c if c.isprintable() else ascii(c)[1:-1] for c in key[:80]
    )
    return f'"{shown}{"…" if len(key) > 80 else ""}"'


def _shown(text: str) -> str:
    """A value of the file as it may appear in a message: quoted, printable, short."""
    shown = "".join(c if c.isprintable() else ascii(c)[1:-1] for c in text[:80])
    return f"'{shown}{'…' if len(text) > 80 else ''}'"
