"""The audit trail: append-only, hash-chained events.

Each event's hash is the SHA-256 of the canonical JSON of its fields (position, time,
actor, organisation, action, object, outcome, before, after) and of the previous event's
hash. Recomputing the chain from the first event names the first one that was edited,
removed or moved. The head (last position and hash), kept outside the database, also
shows a removal at the end. On PostgreSQL and SQLite, triggers refuse UPDATE and DELETE on
the table; the chain is what still tells when someone with the file or superuser rights
went around them.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, insert, select, text

from hotline.accounts.models import AuditEvent
from hotline.accounts.roles import Actor
from hotline.store.types import utcnow

GENESIS = "0" * 64
"""The previous hash of the first event."""

_CHAIN_LOCK = 7_307_716_201  # pg_advisory_xact_lock key: one appender at a time

OK = "ok"
REFUSED = "refused"
FAILED = "failed"


def canonical_json(value: Any) -> str:
    """Sorted keys, no spaces, ASCII (any other character as a ``\\u`` escape, so a file
    name with undecodable bytes hashes and stores like any other); times as ISO 8601 UTC;
    sets sorted."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=True, default=_plain
    )


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return _time(value)
    if isinstance(value, set | frozenset):
        return sorted(value, key=str)
    if hasattr(value, "__dataclass_fields__"):
        return {name: getattr(value, name) for name in value.__dataclass_fields__}
    return str(value)


def _time(value: datetime) -> str:
    moment = value if value.tzinfo else value.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def event_hash(fields: Mapping[str, Any]) -> str:
    """The hash of one event from its stored fields (``hash`` itself excluded)."""
    body = {k: fields[k] for k in _HASHED}
    body["at"] = _time(body["at"])
    return hashlib.sha256(canonical_json(body).encode("utf-8")).hexdigest()


_HASHED = (
    "id",
    "at",
    "actor",
    "organisation",
    "action",
    "object",
    "outcome",
    "before",
    "after",
    "prev_hash",
)


@dataclass(frozen=True, slots=True)
class Entry:
    """One event to append: what was done to which object, and what it changed."""

    action: str
    object_: str
    before: Any = None
    after: Any = None
    outcome: str = OK


def record_event(
    connection: Connection,
    actor: Actor,
    action: str,
    object_: str,
    *,
    before: Any = None,
    after: Any = None,
    outcome: str = OK,
) -> int:
    """Append one event in the caller's transaction; returns its position.

    Appenders queue: PostgreSQL takes a transaction-scoped advisory lock, SQLite's writer
    already holds the database's write lock (``BEGIN IMMEDIATE``).
    """
    return record_events(connection, actor, [Entry(action, object_, before, after, outcome)])


def record_events(connection: Connection, actor: Actor, entries: Sequence[Entry]) -> int:
    """Append ``entries`` in order, chained as if appended one by one, in one statement;
    returns the position of the last (0 when there is none). A run that records thousands of
    events (casework's state changes) pays for one look at the head, not one per event."""
    if not entries:
        return 0
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _CHAIN_LOCK})
    last = connection.execute(
        select(AuditEvent.id, AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1)
    ).first()
    position, previous = (last.id, last.hash) if last else (0, GENESIS)
    name = storable(actor.name, 64)
    rows: list[dict[str, Any]] = []
    for entry in entries:
        position += 1
        fields: dict[str, Any] = {
            "id": position,
            "at": utcnow(),
            "actor": name,
            "organisation": actor.organisation,
            "action": entry.action,
            "object": storable(entry.object_, 2000),
            "outcome": entry.outcome,
            "before": None if entry.before is None else canonical_json(entry.before),
            "after": None if entry.after is None else canonical_json(entry.after),
            "prev_hash": previous,
        }
        fields["hash"] = previous = event_hash(fields)
        rows.append(fields)
    connection.execute(insert(AuditEvent), rows)
    return int(position)


def storable(text: str, limit: int) -> str:
    """Text any database stores and any hash takes: undecodable bytes (lone surrogates from
    a file name) and NUL written as escapes, cut to ``limit`` characters."""
    safe = text.encode("utf-8", "backslashreplace").decode("utf-8").replace("\x00", "\\x00")
    return safe if len(safe) <= limit else safe[: limit - 1] + "…"


@dataclass(frozen=True)
class Verdict:
    events: int  # events checked
    broken_at: int | None  # position of the first event that does not fit, or None
    reason: str  # why it does not fit ("" when the chain holds)
    head_id: int | None
    head_hash: str | None

    @property
    def ok(self) -> bool:
        return self.broken_at is None


def verify(connection: Connection) -> Verdict:
    """Recompute the chain from the first event; stop at the first that does not fit."""
    expected_id, expected_prev, count = 1, GENESIS, 0
    last: Any = None
    for row in connection.execute(select(AuditEvent).order_by(AuditEvent.id)):
        count += 1
        fields = row._asdict()
        if row.id != expected_id:
            reason = (
                f"event #{expected_id} is missing"
                if row.id > expected_id
                else "positions out of order"
            )
            return Verdict(count, row.id, reason, None, None)
        if row.prev_hash != expected_prev:
            return Verdict(
                count,
                row.id,
                "its previous hash is not the hash of the event "
                "before it (an event was removed, inserted or moved)",
                None,
                None,
            )
        if event_hash(fields) != row.hash:
            return Verdict(count, row.id, "its fields do not match its hash (edited)", None, None)
        expected_id, expected_prev, last = row.id + 1, row.hash, row
    return Verdict(count, None, "", last.id if last else None, last.hash if last else None)


def events(
    connection: Connection,
    *,
    actor: str | None = None,
    action: str | None = None,
    organisation: str | None = None,
    since: datetime | None = None,
    limit: int | None = None,
) -> Iterator[Any]:
    """Events, newest first, filtered; ``action`` matches a prefix (``attribution.``)."""
    query = select(AuditEvent).order_by(AuditEvent.id.desc())
    if actor:
        query = query.where(AuditEvent.actor == actor)
    if action:
        query = query.where(AuditEvent.action.startswith(action, autoescape=True))
    if organisation:
        query = query.where(AuditEvent.organisation == organisation)
    if since is not None:
        query = query.where(AuditEvent.at >= since)
    if limit:
        query = query.limit(limit)
    yield from connection.execute(query)
