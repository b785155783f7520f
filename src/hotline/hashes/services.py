"""Hash lists: create, import (idempotent, bad rows quarantined), enable or disable, read.

Every write checks the actor's permission and leaves one audit event. A list is ``known``
(a match makes a medium known) or ``negative`` (known-benign: it suppresses matches).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, func, insert, select, update

from hotline.accounts.audit import record_event
from hotline.accounts.models import Organisation
from hotline.accounts.roles import Actor, Permission
from hotline.accounts.services import audited_run, counts, require
from hotline.hashes.entries import Entry, Problem
from hotline.hashes.formats import ListFormat, read_list
from hotline.hashes.models import HashEntry, HashList, HashMatch
from hotline.hashes.signals import SignalKind
from hotline.quarantine import Refusal
from hotline.quarantine import record as quarantine
from hotline.store.uow import unit_of_work
from hotline.store.upsert import insert_ignore

LIST_KINDS = ("known", "negative")
TLP_LEVELS = ("clear", "green", "amber", "amber+strict", "red")
QUARANTINE_KIND = "hashlists"
_BATCH = 5_000


class ListError(ValueError):
    """A list that does not exist, or a name, kind or level that is not allowed."""


@dataclass
class ListImportSummary:
    list_name: str
    file: str
    read: int = 0  # entries read (after duplicates inside the file were removed)
    added: int = 0  # new in the list
    already: int = 0  # already in the list: importing again adds nothing
    quarantined: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)

    @property
    def refused(self) -> int:
        return self.quarantined


@dataclass(frozen=True)
class ListRow:
    name: str
    kind: str
    enabled: bool
    organisation: str | None
    source: str | None
    licence: str | None
    tlp: str
    entries: dict[str, int]


def _list(connection: Connection, name: str) -> Any:
    row = connection.execute(select(HashList).where(HashList.name == name)).first()
    if row is None:
        raise ListError(f"no hash list named {name!r}; `hotline lists list` shows them")
    return row


def create_list(
    connection: Connection,
    actor: Actor,
    name: str,
    kind: str = "known",
    *,
    organisation: str | None = None,
    source: str | None = None,
    licence: str | None = None,
    tlp: str = "amber",
    audit: bool = True,
) -> int:
    """A new list (the caller checked the permission); returns its id. ``audit``: record
    the creation as an event of its own (an import that creates its list records one event
    for both instead)."""
    name = name.strip()
    if not name or len(name) > 64 or not name.isprintable():
        raise ListError("a list name is 1 to 64 printable characters")
    if kind not in LIST_KINDS:
        raise ListError(f"a list is {' or '.join(LIST_KINDS)}, not {kind!r}")
    if tlp not in TLP_LEVELS:
        raise ListError(f"TLP is one of {', '.join(TLP_LEVELS)}, not {tlp!r}")
    owner = None
    if organisation is not None:
        owner = connection.execute(
            select(Organisation.id).where(Organisation.name == organisation)
        ).scalar()
        if owner is None:
            raise ListError(f"no organisation named {organisation!r}")
    if connection.execute(select(HashList.id).where(HashList.name == name)).first():
        raise ListError(f"a hash list named {name!r} exists already")
    created = connection.execute(
        insert(HashList)
        .values(
            name=name,
            kind=kind,
            organisation_id=owner,
            source=source,
            licence=licence,
            tlp=tlp,
            enabled=True,
        )
        .returning(HashList.id)
    ).scalar_one()
    if audit:
        record_event(
            connection,
            actor,
            "lists.create",
            name,
            after={"kind": kind, "organisation": organisation, "tlp": tlp, "source": source},
        )
    return int(created)


def import_list(
    engine: Engine,
    actor: Actor,
    path: Path,
    list_name: str,
    *,
    format: ListFormat | str | None = None,
    create_kind: str | None = None,
    organisation: str | None = None,
    source: str | None = None,
    licence: str | None = None,
    tlp: str = "amber",
) -> ListImportSummary:
    """Read ``path`` into the list (created first when ``create_kind`` is given and it does
    not exist). Entries already in the list are skipped; rows that cannot be read are
    quarantined with their file and line. One audit event for the run."""
    require(engine, actor, Permission.IMPORT, "lists.import", f"{list_name}:{path}")
    items = read_list(path, format)  # an unknown format raises before anything is written
    created: str | None = None
    with unit_of_work(engine) as connection:
        exists = connection.execute(select(HashList.id).where(HashList.name == list_name)).first()
        if exists is None and create_kind is not None:
            create_list(connection, actor, list_name, create_kind, organisation=organisation,
                        source=source, licence=licence, tlp=tlp, audit=False)  # fmt: skip
            created = create_kind
        list_id = int(_list(connection, list_name).id)
    summary = ListImportSummary(list_name=list_name, file=str(path))
    with audited_run(engine, actor, "lists.import", f"{list_name}:{path}") as audit:
        if created:
            audit["created"] = created
        batch: list[Entry] = []
        problems: list[Problem] = []
        for item in items:
            if isinstance(item, Problem):
                problems.append(item)
            else:
                batch.append(item)
            if len(batch) >= _BATCH or len(problems) >= _BATCH:
                _store(engine, list_id, batch, problems, summary)
                batch, problems = [], []
        _store(engine, list_id, batch, problems, summary)
        audit.update(counts(summary))
    return summary


def _store(
    engine: Engine,
    list_id: int,
    entries: list[Entry],
    problems: list[Problem],
    summary: ListImportSummary,
) -> None:
    with unit_of_work(engine) as connection:
        if entries:
            rows = [
                {
                    "list_id": list_id,
                    "kind": e.kind.value,
                    "value": e.value,
                    "scheme": e.classification[0] if e.classification else None,
                    "code": e.classification[1] if e.classification else None,
                    "series": e.series,
                    "external_id": e.external_id,
                    "pdq_quality": e.pdq_quality,
                }
                for e in entries
            ]
            stmt = insert_ignore(connection, HashEntry.__table__, ["list_id", "kind", "value"])
            added = len(connection.execute(stmt.returning(HashEntry.id), rows).all())
            summary.read += len(rows)
            summary.added += added
            summary.already += len(rows) - added
            for e in entries:
                summary.by_kind[e.kind.value] = summary.by_kind.get(e.kind.value, 0) + 1
        if problems:
            summary.quarantined += quarantine(
                connection,
                [
                    Refusal.keeping(
                        QUARANTINE_KIND,
                        p.file,
                        p.line,
                        p.record or 0,
                        p.code,
                        p.reason,
                        p.raw.encode("utf-8", "backslashreplace"),
                        p.raw_truncated,
                    )
                    for p in problems
                ],
            )


def set_enabled(connection: Connection, actor: Actor, name: str, enabled: bool) -> None:
    """Enable or disable a list (the caller checked the permission); audited."""
    row = _list(connection, name)
    connection.execute(update(HashList).where(HashList.id == row.id).values(enabled=enabled))
    record_event(
        connection,
        actor,
        "lists.enable" if enabled else "lists.disable",
        name,
        before={"enabled": bool(row.enabled)},
        after={"enabled": enabled},
    )


def lists(connection: Connection) -> list[ListRow]:
    """Every list with its entries counted per kind."""
    per_kind: dict[int, dict[str, int]] = {}
    for list_id, kind, count in connection.execute(
        select(HashEntry.list_id, HashEntry.kind, func.count()).group_by(
            HashEntry.list_id, HashEntry.kind
        )
    ):
        per_kind.setdefault(int(list_id), {})[str(kind)] = int(count)
    owners = dict(connection.execute(select(Organisation.id, Organisation.name)).all())
    return [
        ListRow(
            name=row.name,
            kind=row.kind,
            enabled=bool(row.enabled),
            organisation=owners.get(row.organisation_id),
            source=row.source,
            licence=row.licence,
            tlp=row.tlp,
            entries=per_kind.get(int(row.id), {}),
        )
        for row in connection.execute(select(HashList).order_by(HashList.name))
    ]


def list_entries(connection: Connection, name: str) -> Iterator[Entry]:
    """The entries of one list, in the order they were added (for export)."""
    list_id = _list(connection, name).id
    rows = connection.execute(
        select(HashEntry).where(HashEntry.list_id == list_id).order_by(HashEntry.id)
    )
    for row in rows:
        yield Entry(
            kind=SignalKind(row.kind),
            value=row.value,
            classification=(row.scheme, row.code) if row.scheme and row.code else None,
            series=row.series,
            external_id=row.external_id,
            pdq_quality=row.pdq_quality,
        )


def matched(connection: Connection, name: str) -> tuple[int, int]:
    """(media matched, entries that matched) of one list, held matches left out."""
    list_id = _list(connection, name).id
    media, entries = connection.execute(
        select(func.count(func.distinct(HashMatch.medium_id)),
               func.count(func.distinct(HashMatch.entry_id)))
        .join(HashEntry, HashEntry.id == HashMatch.entry_id)
        .where(HashEntry.list_id == list_id, HashMatch.held.is_(False))
    ).one()  # fmt: skip
    return int(media), int(entries)
