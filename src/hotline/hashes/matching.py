"""Captured media against every enabled hash list: exact for MD5, SHA-1 and SHA-256, PDQ
within a radius (default 31) when both sides have quality ≥ 50.

Incremental: each run records the last medium and the last entry it compared, and the next
compares only new media against every entry and the older media against new entries
(``full`` compares everything again, as does a change of radius). Matches are facts
(medium, entry, kind, distance), stored once; whether a medium is *known* is derived from
them (``hotline.hashes.queries``): a match to a known list, and none to a negative list.

**Flood guard.** An entry that matches more than ``flood`` distinct media in one run is
more likely a bad entry (a blank image's hash, a logo) than a flood of material: its matches
are stored *held* — they count nowhere until reviewed — and the hold is an audit event.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sqlalchemy import Connection, Engine, func, insert, select, update

from hotline.accounts.audit import record_event
from hotline.accounts.roles import Actor, Permission
from hotline.accounts.services import audited_run, counts, require
from hotline.captures.models import MediaHash
from hotline.hashes.models import HashEntry, HashList, HashMatch, MatchRun
from hotline.hashes.pdq_index import DEFAULT_RADIUS, PdqIndex, as_hashes
from hotline.store.types import utcnow
from hotline.store.uow import unit_of_work
from hotline.store.upsert import insert_ignore

MIN_QUALITY = 50  # below it PDQ hashes of flat or tiny images collide: never matched
DEFAULT_FLOOD = 1000
RECHECK_WINDOW = 10_000  # ids below the last marks compared again on PostgreSQL
EXACT_KINDS = ("md5", "sha1", "sha256")
_BATCH = 20_000


def _quiet(what: str, done: int, total: int, items: int = 0) -> None:
    """No progress shown."""


@dataclass
class MatchSummary:
    radius: int
    full: bool
    media: int = 0  # media compared in this run
    entries: int = 0  # entries of enabled lists compared
    matches: int = 0  # new matches stored (held ones included)
    held: int = 0  # of those, held by the flood guard
    held_entries: int = 0
    suppressed: int = 0  # media this run found on a negative list
    by_list: dict[str, int] = field(default_factory=dict)


@dataclass
class _Side:
    """Entries to compare with: exact values by kind, and a PDQ index."""

    exact: dict[str, dict[str, list[int]]]
    pdq: PdqIndex
    count: int


def _side(rows: list[Any]) -> _Side:
    exact: dict[str, dict[str, list[int]]] = {k: defaultdict(list) for k in EXACT_KINDS}
    pdq_values: list[str] = []
    pdq_ids: list[int] = []
    for entry_id, kind, value, quality, _list in rows:
        if kind in exact:
            exact[kind][value].append(int(entry_id))
        elif kind == "pdq" and (quality is None or quality >= MIN_QUALITY):
            # a list that gives no quality is trusted to hold usable hashes
            pdq_values.append(value)
            pdq_ids.append(int(entry_id))
    index = PdqIndex()
    if pdq_values:
        index.add(as_hashes(pdq_values), np.asarray(pdq_ids, dtype=np.int64))
    return _Side(exact, index, len(rows))


def _entries(connection: Connection, after: int) -> list[Any]:
    query = (
        select(
            HashEntry.id, HashEntry.kind, HashEntry.value, HashEntry.pdq_quality, HashEntry.list_id
        )
        .join(HashList, HashList.id == HashEntry.list_id)
        .where(HashList.enabled.is_(True), HashEntry.id > after)
    )
    return list(connection.execute(query).all())


def _media(engine: Engine, lowest: int, highest: int) -> Iterator[list[Any]]:
    """Media with ``lowest < id <= highest``, in batches, in id order."""
    with engine.connect() as connection:
        cursor = lowest
        while True:
            rows = connection.execute(
                select(
                    MediaHash.id,
                    MediaHash.md5,
                    MediaHash.sha1,
                    MediaHash.sha256,
                    MediaHash.pdq,
                    MediaHash.pdq_quality,
                )
                .where(MediaHash.id > cursor, MediaHash.id <= highest)
                .order_by(MediaHash.id)
                .limit(_BATCH)
            ).all()
            if not rows:
                return
            yield list(rows)
            cursor = int(rows[-1].id)


def _compare(rows: list[Any], side: _Side, radius: int) -> list[tuple[int, int, str, int]]:
    """(medium id, entry id, kind, distance) of every match of these media."""
    found: list[tuple[int, int, str, int]] = []
    for row in rows:
        for kind, value in (("md5", row.md5), ("sha1", row.sha1), ("sha256", row.sha256)):
            for entry in side.exact[kind].get(value, ()):
                found.append((int(row.id), entry, kind, 0))
    usable = [r for r in rows if r.pdq and (r.pdq_quality or 0) >= MIN_QUALITY]
    if usable and len(side.pdq):
        hits = side.pdq.search(as_hashes([r.pdq for r in usable]), radius)
        for q, entry, distance in zip(
            hits.query.tolist(), hits.id.tolist(), hits.distance.tolist(), strict=True
        ):
            found.append((int(usable[q].id), int(entry), "pdq", int(distance)))
    return found


def match(
    engine: Engine,
    actor: Actor,
    *,
    radius: int = DEFAULT_RADIUS,
    flood: int = DEFAULT_FLOOD,
    full: bool = False,
    progress: Any = _quiet,
) -> MatchSummary:
    """Compare what has not been compared yet (everything with ``full``); see the module."""
    if not 0 <= radius <= 64:
        raise ValueError(f"the PDQ radius is between 0 and 64 bits, got {radius}")
    if flood < 1:
        raise ValueError(f"the flood guard needs at least 1 medium per entry, got {flood}")
    require(engine, actor, Permission.PROCESS, "match", "media")
    with engine.connect() as connection:
        last = connection.execute(
            select(MatchRun).where(MatchRun.finished_at.is_not(None)).order_by(MatchRun.id.desc())
        ).first()
        if last is None or last.radius != radius:
            full = True
        seen_media = 0 if full else int(last.last_medium_id)  # type: ignore[union-attr]
        seen_entries = 0 if full else int(last.last_entry_id)  # type: ignore[union-attr]
        top_medium = int(connection.execute(select(func.max(MediaHash.id))).scalar() or 0)
        top_entry = int(connection.execute(select(func.max(HashEntry.id))).scalar() or 0)
        every = _entries(connection, 0)
        enabled = sorted(
            int(i) for (i,) in connection.execute(select(HashList.id).where(HashList.enabled))
        )
        before = set(last.lists or []) if last is not None else set()
        # PostgreSQL hands out ids at insert and shows rows at commit: an import still
        # running when the last run read its marks may commit ids below them. Such rows
        # are compared again here (a repeat stores nothing twice); SQLite writes one
        # transaction at a time and needs no window.
        window = RECHECK_WINDOW if engine.dialect.name == "postgresql" and not full else 0
        seen_media = max(0, seen_media - window)
        seen_entries = max(0, seen_entries - window)
        lists_of = dict(
            connection.execute(select(HashEntry.id, HashList.name).join(HashList)).all()
        )
        negative = {
            int(i)
            for (i,) in connection.execute(
                select(HashEntry.id).join(HashList).where(HashList.kind == "negative")
            )
        }
    summary = MatchSummary(radius=radius, full=full, entries=len(every))
    with audited_run(engine, actor, "match", "media") as audit:
        found: list[tuple[int, int, str, int]] = []
        all_side = _side(every)
        new_media = max(0, top_medium - seen_media)
        done = 0
        for rows in _media(engine, seen_media, top_medium):
            found += _compare(rows, all_side, radius)
            done += len(rows)
            summary.media += len(rows)
            progress("new media against every list", done, new_media, len(found))
        # new entries, and every entry of a list enabled since the last run
        fresh = [row for row in every if int(row[0]) > seen_entries or row[4] not in before]
        if fresh and seen_media:
            new_side = _side(fresh)
            done = 0
            for rows in _media(engine, 0, seen_media):
                found += _compare(rows, new_side, radius)
                done += len(rows)
                summary.media += len(rows)
                progress("earlier media against new entries", done, seen_media, len(found))
        found = _unseen(engine, found)  # rows compared again (the window) are not news
        held = _flooded(found, flood) - negative  # a benign entry may match everything
        # an entry held by an earlier run stays held until someone releases it: its new
        # matches wait too, however few
        already = _still_held(engine)
        held |= already
        _store(engine, actor, found, held, already, summary, lists_of, negative)
        with unit_of_work(engine) as connection:
            connection.execute(
                insert(MatchRun).values(
                    started_at=utcnow(),
                    finished_at=utcnow(),
                    last_medium_id=top_medium,
                    last_entry_id=top_entry,
                    radius=radius,
                    media=summary.media,
                    matches=summary.matches,
                    held=summary.held,
                    suppressed=summary.suppressed,
                    lists=enabled,
                )
            )
        audit.update(counts(summary))
    return summary


def _unseen(
    engine: Engine, found: list[tuple[int, int, str, int]]
) -> list[tuple[int, int, str, int]]:
    """``found`` without the pairs stored by an earlier run."""
    media = sorted({m for m, _e, _k, _d in found})
    stored: set[tuple[int, int]] = set()
    with engine.connect() as connection:
        for start in range(0, len(media), 5_000):
            part = media[start : start + 5_000]
            stored.update(
                (int(m), int(e))
                for m, e in connection.execute(
                    select(HashMatch.medium_id, HashMatch.entry_id).where(
                        HashMatch.medium_id.in_(part)
                    )
                )
            )
    return [row for row in found if (row[0], row[1]) not in stored]


def _still_held(engine: Engine) -> set[int]:
    with engine.connect() as connection:
        return {
            int(e)
            for (e,) in connection.execute(
                select(HashMatch.entry_id).where(HashMatch.held.is_(True)).distinct()
            )
        }


def _flooded(found: list[tuple[int, int, str, int]], flood: int) -> set[int]:
    media_per_entry: Counter[int] = Counter()
    for entry, _medium in {(e, m) for m, e, _k, _d in found}:
        media_per_entry[entry] += 1
    return {entry for entry, media in media_per_entry.items() if media > flood}


def _store(
    engine: Engine,
    actor: Actor,
    found: list[tuple[int, int, str, int]],
    held: set[int],
    already: set[int],
    summary: MatchSummary,
    lists_of: dict[int, str],
    negative: set[int],
) -> None:
    best: dict[tuple[int, int], tuple[str, int]] = {}
    for medium, entry, kind, distance in found:
        # one row per (medium, entry): an exact match says more than a PDQ one
        key = (medium, entry)
        if key not in best or (distance, kind != "pdq") < (best[key][1], best[key][0] != "pdq"):
            best[key] = (kind, distance)
    summary.suppressed = len({m for (m, e) in best if e in negative})
    rows = [
        {
            "medium_id": medium,
            "entry_id": entry,
            "kind": kind,
            "distance": distance,
            "held": entry in held,
            "matched_at": utcnow(),
        }
        for (medium, entry), (kind, distance) in sorted(best.items())
    ]
    with unit_of_work(engine) as connection:
        for start in range(0, len(rows), _BATCH):
            part = rows[start : start + _BATCH]
            stmt = insert_ignore(connection, HashMatch.__table__, ["medium_id", "entry_id"])
            stored = connection.execute(
                stmt.returning(HashMatch.entry_id, HashMatch.held), part
            ).all()
            summary.matches += len(stored)
            for entry, was_held in stored:
                summary.held += bool(was_held)
                name = lists_of.get(int(entry), "?")
                summary.by_list[name] = summary.by_list.get(name, 0) + 1
        for entry in sorted(held - already):
            media = len({m for (m, e) in best if e == entry})
            record_event(
                connection,
                actor,
                "match.hold",
                f"entry {entry}",
                after={"list": lists_of.get(entry), "media": media, "why": "flood guard"},
            )
        summary.held_entries = len(held - already)


def held(connection: Connection) -> list[tuple[int, str, str, str, int]]:
    """Entries whose matches the flood guard holds: (entry id, list, kind, value, media)."""
    return [
        (int(e), str(name), str(kind), str(value), int(media))
        for e, name, kind, value, media in connection.execute(
            select(HashEntry.id, HashList.name, HashEntry.kind, HashEntry.value, func.count())
            .join(HashMatch, HashMatch.entry_id == HashEntry.id)
            .join(HashList, HashList.id == HashEntry.list_id)
            .where(HashMatch.held.is_(True))
            .group_by(HashEntry.id, HashList.name, HashEntry.kind, HashEntry.value)
            .order_by(HashEntry.id)
        )
    ]


def release(connection: Connection, actor: Actor, entry: int) -> int:
    """After review, let an entry's held matches count (the caller checked the permission);
    returns how many. Audited ``match.release``, even when none was held: the decision was
    made."""
    released = int(
        connection.execute(
            update(HashMatch)
            .where(HashMatch.entry_id == entry, HashMatch.held.is_(True))
            .values(held=False)
        ).rowcount
    )
    record_event(connection, actor, "match.release", f"entry {entry}",
                 before={"held": released}, after={"held": 0})  # fmt: skip
    return released
