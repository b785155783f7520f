"""Passive DNS in the Common Output Format (draft-dulaunoy-dnsop-passive-dns-cof), one line at a
time: pure parsing, no I/O, so the rules can be tested (and fuzzed) on their own.

Tolerant where the draft says readers must be (owner names with or without the trailing dot,
``rdata`` as a string or an array, ``rrtype`` as text or an RFC 3597 number, unknown fields,
``zone_time_*`` instead of ``time_*``), strict where a wrong value would become a wrong
hosting fact (an A record whose rdata is not an IPv4 address, times that are not epoch
seconds, first seen after last seen).

DNSDB's streaming API framing (SAF) wraps the same records: ``{"cond":"begin"}``, then one
``{"obj":{...}}`` per record, then ``{"cond":"succeeded"}`` — or ``"limited"`` / ``"failed"``
with a ``msg`` when the answer is incomplete. :func:`saf_message` recognises these lines;
:func:`parse_line` reads the record an ``obj`` line carries.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson

KEPT_TYPES = frozenset({"A", "AAAA", "CNAME", "NS"})
# Plausible epoch seconds: passive DNS started in 2004; nothing can be seen in the future far.
_EARLIEST = 946_684_800  # 2000-01-01
_LATEST = 4_102_444_800  # 2100-01-01
_NUMERIC_TYPES = {1: "A", 28: "AAAA", 5: "CNAME", 2: "NS"}


@dataclass(frozen=True, slots=True)
class PdnsRecord:
    rrname: str  # lower-case, no trailing dot
    rrtype: str  # A | AAAA | CNAME | NS
    values: tuple[str, ...]  # addresses (compressed form) or target names
    first_seen: datetime
    last_seen: datetime
    count: int


SAF_CONDITIONS = frozenset({"begin", "ongoing", "succeeded", "limited", "failed"})
SAF_ENDINGS = frozenset({"succeeded", "limited", "failed"})


@dataclass(frozen=True, slots=True)
class SafMessage:
    """One line of DNSDB's streaming API framing."""

    cond: str | None  # begin | ongoing | succeeded | limited | failed; None: a bare obj line
    msg: str | None  # the server's explanation, for limited and failed
    obj: Any  # the record it carries (decoded JSON), or None


class PdnsLineError(ValueError):
    """A line that is not a usable COF record; ``code`` is the quarantine reason code."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-_.")


def _name(value: Any, what: str) -> str:
    """A host name as DNS holds it: ASCII letters, digits, hyphens (and the underscore of
    service labels); Unicode names become their punycode form, as intake stores them."""
    if not isinstance(value, str):
        raise PdnsLineError("bad_rrname", f"{what} must be a string")
    name = value.strip().rstrip(".").lower()
    if not name.isascii():
        try:
            name = name.encode("idna").decode("ascii")
        except UnicodeError:
            raise PdnsLineError("bad_rrname", f"{what} '{value[:80]}' is not a DNS name") from None
    bad = (
        not name
        or len(name) > 253
        or any(not 0 < len(part) <= 63 for part in name.split("."))
        or not set(name) <= _NAME_CHARS
        or _is_address(name)
    )
    if bad:
        raise PdnsLineError("bad_rrname", f"{what} '{value[:80]}' is not a DNS name")
    return name


def _is_address(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def _epoch(document: dict[str, Any], key: str) -> int | None:
    value = document.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise PdnsLineError("bad_time", f"{key} must be a number of epoch seconds")
    if not _EARLIEST <= value <= _LATEST:
        raise PdnsLineError("bad_time", f"{key} {value} is not a plausible epoch time")
    return int(value)


def _times(document: dict[str, Any]) -> tuple[int, int]:
    first, last = _epoch(document, "time_first"), _epoch(document, "time_last")
    if first is None or last is None:  # section 3.7: zone times may replace them
        first, last = _epoch(document, "zone_time_first"), _epoch(document, "zone_time_last")
    if first is None or last is None:
        raise PdnsLineError(
            "missing_field", "needs time_first and time_last (or zone_time_first/_last)"
        )
    if first > last:
        raise PdnsLineError("bad_time", f"time_first {first} is after time_last {last}")
    return first, last


def _rrtype(value: Any) -> str | None:
    if isinstance(value, bool):
        raise PdnsLineError("bad_rrtype", "rrtype must be a string or a number")
    if isinstance(value, int):
        return _NUMERIC_TYPES.get(value)
    if not isinstance(value, str) or not value.strip():
        raise PdnsLineError("bad_rrtype", "rrtype must be a string or a number")
    text = value.strip().upper()
    return text if text in KEPT_TYPES else None


def _rdata(value: Any) -> list[str]:
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not items or not all(isinstance(v, str) for v in items):
        raise PdnsLineError("bad_rdata", "rdata must be a string or a non-empty array of strings")
    return items


def _values(rrtype: str, items: list[str]) -> tuple[str, ...]:
    found: set[str] = set()
    for item in items:
        if rrtype in ("A", "AAAA"):
            text = item.strip()
            try:
                if "%" in text:  # a scope (zone index) belongs to one host's interface
                    raise ValueError(text)
                address = ipaddress.ip_address(text)
            except ValueError:
                raise PdnsLineError(
                    "bad_rdata", f"{rrtype} rdata '{item[:60]}' is not an IP address"
                ) from None
            if (address.version == 4) != (rrtype == "A"):
                raise PdnsLineError(
                    "bad_rdata", f"{rrtype} rdata '{item[:60]}' is an IPv{address.version} address"
                )
            found.add(address.compressed)
        else:
            found.add(_name(item, f"{rrtype} rdata"))
    return tuple(sorted(found))


def decode(text: bytes) -> Any:
    """The JSON value of one line (or one record of a JSON document)."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError as error:
        raise PdnsLineError("bad_json", f"not JSON: {error}") from None


def saf_message(document: Any) -> SafMessage | None:
    """The SAF message ``document`` is, or ``None`` when it is not one (a COF record, or
    anything else). An object is a SAF message when it has ``cond`` or ``obj`` and none of
    a record's fields; an unknown ``cond`` is refused with ``bad_saf``."""
    if not isinstance(document, dict) or not ("cond" in document or "obj" in document):
        return None
    if any(key in document for key in ("rrname", "rrtype", "rdata")):
        return None
    cond = document.get("cond")
    if cond is not None and cond not in SAF_CONDITIONS:
        shown = cond[:40] if isinstance(cond, str) else type(cond).__name__
        raise PdnsLineError("bad_saf", f"unknown SAF condition {shown!r}")
    msg = document.get("msg")
    text = " ".join(msg.split())[:200] if isinstance(msg, str) else ""
    return SafMessage(cond, text or None, document.get("obj"))


def parse_line(line: bytes) -> PdnsRecord | None:
    """One COF line, or a SAF line carrying a record (``{"obj": {...}}``) → a record;
    ``None`` for a valid record of a type hosting does not use.

    Raises :class:`PdnsLineError` with a reason code for anything unusable; a SAF line
    without a record (``{"cond":"begin"}``) is ``saf_frame``.
    """
    document = decode(line)
    message = saf_message(document)
    if message is not None:
        if message.obj is None:
            raise PdnsLineError("saf_frame", f"SAF framing ({message.cond}), not a record")
        document = message.obj
    return parse_record(document)


_JQ_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _refuse_wrapper(document: dict[str, Any]) -> None:
    """An API answer that holds the records in an array member ({"records": [...]}) is
    refused with the jq command that extracts them."""
    for key, value in document.items():
        if isinstance(value, list) and value and all(isinstance(item, dict) for item in value):
            path = f".{key}" if _JQ_KEY.fullmatch(key) else f".[{orjson.dumps(key).decode()}]"
            raise PdnsLineError(
                "not_a_record",
                f"an object holding {len(value):,} records under {key[:40]!r}, not a record; "
                f"extract them first: jq -c '{path}[]' FILE > records.jsonl",
            )


def parse_record(document: Any) -> PdnsRecord | None:
    """One decoded COF record → a record; ``None`` for a valid record of a type hosting
    does not use. Raises :class:`PdnsLineError` for anything unusable."""
    if not isinstance(document, dict):
        raise PdnsLineError("not_an_object", "a COF line must be one JSON object")
    if "rrname" not in document:
        _refuse_wrapper(document)
    for key in ("rrname", "rrtype", "rdata"):
        if key not in document:
            raise PdnsLineError("missing_field", f"missing mandatory field '{key}'")
    rrtype = _rrtype(document["rrtype"])
    rrname = _name(document["rrname"], "rrname")
    items = _rdata(document["rdata"])
    first, last = _times(document)
    if rrtype is None:
        return None
    count = document.get("count", 1)
    if isinstance(count, bool) or not isinstance(count, int) or count < 0:
        count = 1
    return PdnsRecord(
        rrname,
        rrtype,
        _values(rrtype, items),
        datetime.fromtimestamp(first, UTC),
        datetime.fromtimestamp(last, UTC),
        min(count, 2**62),
    )
