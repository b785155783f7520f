"""The analyst's provider table: AS number → display name and kind.

RIR organisation names are long and inconsistent ("SOMEHOST-AS Somehost Ltd"); hotlines know
their providers as "Somehost, bulletproof". Entries here win over the AS database's name
and a kind of ``cdn`` makes the AS count as a CDN (its addresses never count as hosting).
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Row, delete, select

from hotline.accounts.audit import record_event
from hotline.accounts.roles import Actor
from hotline.hosting.models import Provider
from hotline.store.types import utcnow
from hotline.store.upsert import insert_ignore

KINDS = ("cloud", "shared", "bulletproof", "dedicated", "cdn", "isp", "other")


class ProviderError(ValueError):
    """An entry that cannot be stored; the message says which and why."""


@dataclass(frozen=True, slots=True)
class ProviderEntry:
    asn: int
    name: str
    kind: str
    note: str | None = None


def parse_asn(text: str) -> int:
    digits = text.strip().upper().removeprefix("AS")
    if not digits.isdigit() or not 0 < int(digits) < 2**32:
        raise ProviderError(f"'{text}' is not an AS number (1 to 4294967295, 'AS' optional)")
    return int(digits)


def entry(asn: str | int, name: str, kind: str, note: str | None = None) -> ProviderEntry:
    number = parse_asn(str(asn))
    kind = kind.strip().lower()
    if kind not in KINDS:
        raise ProviderError(f"kind '{kind}' is not one of {', '.join(KINDS)}")
    if not name.strip():
        raise ProviderError(f"AS{number}: the name is empty")
    return ProviderEntry(number, name.strip()[:255], kind, note)


def read_csv(path: Path) -> list[ProviderEntry]:
    """``asn,name,kind[,note]`` with a header row; every bad line is reported with its number."""
    entries: list[ProviderEntry] = []
    problems: list[str] = []
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = {"asn", "name", "kind"} - set(reader.fieldnames or ())
        if missing:
            raise ProviderError(f"{path}: header lacks {', '.join(sorted(missing))}")
        for row in reader:
            try:
                entries.append(
                    entry(row["asn"] or "", row["name"] or "", row["kind"] or "", row.get("note"))
                )
            except ProviderError as error:
                problems.append(f"{path}:{reader.line_num}: {error}")
    if problems:
        raise ProviderError("\n".join(problems))
    return entries


def save(connection: Connection, given: Iterable[ProviderEntry], actor: Actor) -> int:
    """Add or replace entries, with one audit event keeping the entries they replace."""
    entries = list(given)
    rows = [
        {"asn": e.asn, "name": e.name, "kind": e.kind, "note": e.note,
         "updated_by": actor.name[:64], "updated_at": utcnow()}
        for e in entries
    ]  # fmt: skip
    if not rows:
        return 0
    asns = [e.asn for e in entries]
    before = _entries(connection, asns)
    connection.execute(delete(Provider).where(Provider.asn.in_(asns)))
    connection.execute(insert_ignore(connection, Provider.__table__, ["asn"]), rows)
    shown = f"AS{asns[0]}" if len(asns) == 1 else f"{len(asns)} ASes"
    after = [{k: r[k] for k in ("asn", "name", "kind", "note")} for r in rows]
    record_event(connection, actor, "providers.set", shown, before=before, after=after)
    return len(rows)


def remove(connection: Connection, asn: int, actor: Actor) -> bool:
    before = _entries(connection, [asn])
    if not before:
        return False
    connection.execute(delete(Provider).where(Provider.asn == asn))
    record_event(connection, actor, "providers.remove", f"AS{asn}", before=before)
    return True


def _entries(connection: Connection, asns: list[int]) -> list[dict[str, Any]]:
    return [
        {"asn": r.asn, "name": r.name, "kind": r.kind, "note": r.note}
        for r in connection.execute(
            select(Provider).where(Provider.asn.in_(asns)).order_by(Provider.asn)
        )
    ]


def listing(connection: Connection) -> list[Row[Any]]:
    return list(connection.execute(select(Provider).order_by(Provider.asn)))
