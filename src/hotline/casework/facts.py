"""Facts that move cases, imported from files or recorded one at a time.

Four kinds, each a file of JSON Lines (removals may also be CSV, as partners send them):

* ``decisions`` — ``{"url" | "sha256", "scheme", "code", "analyst", "decided_at", "note"?}``
* ``clearances`` — ``{"url", "cleared_at", "by"?}``: law enforcement cleared the URL for notice
* ``removals`` — ``url,removed_at,source``: a partner confirms the URL is gone
* ``checks`` — ``{"url", "at", "up", "analyst"}``: an analyst looked (never hotline itself)

A bad record is refused with its file, line and reason into the quarantine; a record already
imported adds nothing (every fact is unique by a digest of what it says).
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import Connection, Engine

from hotline.accounts.audit import record_event
from hotline.accounts.roles import Actor, Permission
from hotline.accounts.services import require
from hotline.casework.decisions import (
    DecisionError,
    decision_row,
    find_target,
    insert_decisions,
    resolve_code,
    schemes,
)
from hotline.casework.models import Clearance, RemovalEvidence
from hotline.quarantine import Refusal, record
from hotline.store.types import utcnow
from hotline.store.uow import unit_of_work
from hotline.store.upsert import insert_ignore

KINDS = ("decisions", "clearances", "removals", "checks")
_MAX_LINE = 1 << 20


class FactError(ValueError):
    """One record that cannot be used; the message says why."""


@dataclass(slots=True)
class FactsSummary:
    kind: str
    file: str
    read: int = 0
    added: int = 0
    already: int = 0
    refused: int = 0


def parse_time(value: Any, what: str) -> datetime:
    """An ISO 8601 time with a zone (``Z`` or an offset); a time without one is refused,
    because guessing the zone would shift every time-to-removal by hours."""
    if not isinstance(value, str) or not value.strip():
        raise FactError(f"{what}: an ISO 8601 time is required")
    text = value.strip()
    try:
        moment = datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith("Z") else text)
    except ValueError:
        raise FactError(f"{what}: not an ISO 8601 time: {text[:40]!r}") from None
    if moment.tzinfo is None:
        raise FactError(f"{what}: the time needs a zone (Z or +hh:mm): {text[:40]!r}")
    return moment.astimezone(UTC)


def _text(record_: dict[str, Any], key: str, *, required: bool = True) -> str | None:
    value = record_.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise FactError(f"{key}: required")
        return None
    if not isinstance(value, str):
        raise FactError(f"{key}: must be text")
    return value.strip()


def _digest(*parts: Any) -> bytes:
    return hashlib.sha256(orjson.dumps([str(p) for p in parts])).digest()


# -- reading ------------------------------------------------------------------------------


def _records(path: Path) -> Iterator[tuple[int, int, bytes, dict[str, Any] | str]]:
    """(line, byte offset, raw bytes, record or the reason it is unreadable)."""
    data = path.read_bytes()
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    first = data.lstrip()[:1]
    if first in (b"{", b""):
        offset = 0
        for number, raw in enumerate(data.splitlines(keepends=True), start=1):
            line = raw.strip()
            here, offset = offset, offset + len(raw)
            if not line:
                continue
            if len(line) > _MAX_LINE:
                yield number, here, line, "line longer than 1 MiB"
                continue
            try:
                value = orjson.loads(line)
            except orjson.JSONDecodeError as error:
                yield number, here, line, f"not JSON: {error}"
                continue
            if not isinstance(value, dict):
                yield number, here, line, "a JSON object is required on each line"
                continue
            yield number, here, line, value
        return
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        yield 1, 0, data[:200], f"not UTF-8 text: {error.reason} at byte {error.start}"
        return
    reader = csv.DictReader(io.StringIO(text, newline=""))
    for row in reader:
        number = reader.line_num
        raw = ",".join(v or "" for v in row.values() if isinstance(v, str)).encode()
        if None in row:
            yield number, 0, raw, "more fields than the header names"
            continue
        yield number, 0, raw, dict(row)


def _decision(connection: Connection, known: dict[str, Any], item: dict[str, Any]) -> Any:
    url, sha = _text(item, "url", required=False), _text(item, "sha256", required=False)
    if (url is None) == (sha is None):
        raise FactError("name exactly one of url or sha256")
    scheme, code = _text(item, "scheme"), _text(item, "code")
    analyst = _text(item, "analyst")
    at = parse_time(item.get("decided_at"), "decided_at")
    note = _text(item, "note", required=False)
    try:
        target = find_target(connection, url or f"sha256:{sha}", _text(item, "pdq", required=False))
        found = resolve_code(known, str(scheme), str(code))
    except DecisionError as error:
        raise FactError(str(error)) from None
    return decision_row(target, found, str(scheme), str(analyst), None, at, note)


def _url_id(connection: Connection, item: dict[str, Any]) -> int:
    try:
        target = find_target(connection, str(_text(item, "url")))
    except DecisionError as error:
        raise FactError(str(error)) from None
    if target.url_id is None:
        raise FactError("url: a URL is required here, not a medium")
    return target.url_id


def _clearance(connection: Connection, actor: Actor, item: dict[str, Any]) -> dict[str, Any]:
    url_id = _url_id(connection, item)
    at = parse_time(item.get("cleared_at"), "cleared_at")
    by = _text(item, "by", required=False) or actor.name
    return {"digest": _digest(url_id, at.isoformat()), "url_id": url_id, "cleared_at": at,
            "by": by[:64], "recorded_at": utcnow()}  # fmt: skip


def _removal(connection: Connection, actor: Actor, item: dict[str, Any]) -> dict[str, Any]:
    url_id = _url_id(connection, item)
    at = parse_time(item.get("removed_at"), "removed_at")
    source = _text(item, "source", required=False) or "partner"
    return _seen_row(url_id, at, False, f"partner:{source}"[:64], None, actor.name)


def _check(connection: Connection, actor: Actor, item: dict[str, Any]) -> dict[str, Any]:
    url_id = _url_id(connection, item)
    at = parse_time(item.get("at"), "at")
    up = item.get("up")
    if isinstance(up, str) and up.lower() in {"true", "false", "up", "down"}:
        up = up.lower() in {"true", "up"}
    if not isinstance(up, bool):
        raise FactError("up: true (the URL answers) or false (it is gone) is required")
    analyst = _text(item, "analyst", required=False) or actor.name
    return _seen_row(url_id, at, up, "analyst", analyst, actor.name)


def _seen_row(
    url_id: int, at: datetime, up: bool, source: str, detail: str | None, by: str
) -> dict[str, Any]:
    return {
        "digest": _digest(url_id, at.isoformat(), up, source),
        "url_id": url_id,
        "observed_at": at,
        "up": up,
        "source": source,
        "detail": detail,
        "capture_id": None,
        "recorded_by": by,
        "recorded_at": utcnow(),
    }


def import_facts(engine: Engine, actor: Actor, kind: str, path: Path) -> FactsSummary:
    """Import one file of facts in one transaction; refusals go to the quarantine."""
    if kind not in KINDS:
        raise FactError(f"unknown kind {kind!r}; one of {', '.join(KINDS)}")
    permission = Permission.DECIDE if kind in {"decisions", "checks"} else Permission.IMPORT
    require(engine, actor, permission, f"casework.import.{kind}", str(path))
    summary = FactsSummary(kind, str(path))
    with unit_of_work(engine) as connection:
        known = schemes(connection)
        makers: dict[str, Callable[[dict[str, Any]], Any]] = {
            "decisions": lambda item: _decision(connection, known, item),
            "clearances": lambda item: _clearance(connection, actor, item),
            "removals": lambda item: _removal(connection, actor, item),
            "checks": lambda item: _check(connection, actor, item),
        }
        rows: list[dict[str, Any]] = []
        refusals: list[Refusal] = []
        for line, offset, raw, item in _records(path):
            summary.read += 1
            try:
                if isinstance(item, str):
                    raise FactError(item)
                rows.append(makers[kind](item))
            except FactError as error:
                refusals.append(
                    Refusal.keeping(kind, str(path), line, offset, "invalid", str(error), raw)
                )
        summary.refused = len(refusals)
        record(connection, refusals)
        summary.added = _insert(connection, kind, rows)
        summary.already = len(rows) - summary.added
        record_event(
            connection,
            actor,
            f"casework.import.{kind}",
            str(path)[-500:],
            after={"read": summary.read, "added": summary.added, "refused": summary.refused},
        )
    return summary


def _insert(connection: Connection, kind: str, rows: list[dict[str, Any]]) -> int:
    if kind == "decisions":
        return insert_decisions(connection, rows)
    table = Clearance if kind == "clearances" else RemovalEvidence
    unique = {row["digest"]: row for row in rows}  # a file may repeat a line
    if not unique:
        return 0
    stmt = insert_ignore(connection, table.__table__, ["digest"])
    return len(connection.execute(stmt.returning(table.id), list(unique.values())).all())


def record_check(
    engine: Engine, actor: Actor, url: str, up: bool, at: datetime | None = None
) -> bool:
    """An analyst's own check of a URL (seen down, or up again); True when new."""
    require(engine, actor, Permission.DECIDE, "casework.check", url[:200])
    with unit_of_work(engine) as connection:
        row = _check(connection, actor, {"url": url, "up": up,
                                         "at": (at or utcnow()).isoformat()})  # fmt: skip
        added = _insert(connection, "checks", [row]) == 1
        record_event(connection, actor, "casework.check", url[:500], after={"up": up})
    return added


def record_clearance(engine: Engine, actor: Actor, url: str, at: datetime | None = None) -> bool:
    """Law enforcement cleared the URL for notice to its host; True when new."""
    require(engine, actor, Permission.DECIDE, "casework.clear", url[:200])
    with unit_of_work(engine) as connection:
        row = _clearance(
            connection, actor, {"url": url, "cleared_at": (at or utcnow()).isoformat()}
        )
        added = _insert(connection, "clearances", [row]) == 1
        record_event(connection, actor, "casework.clear", url[:500])
    return added
