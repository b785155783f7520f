"""Writing hosting observations: one row per (source, host, type, value, status), widened on
every sighting (earliest first seen, latest last seen), so importing the same passive-DNS
file or captures again changes nothing and a longer feed only stretches the periods."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, case
from sqlalchemy.dialects import postgresql, sqlite

from hotline.hosting.models import HostingObservation
from hotline.store.types import utcnow
from hotline.urls.model import SiteKind
from hotline.urls.sites import site_for_host

ADDRESS_TYPES = ("A", "AAAA", "IP")


@dataclass(frozen=True, slots=True)
class Observation:
    site_key: str
    host: str
    source: str
    rrtype: str
    value: str
    first_seen: datetime
    last_seen: datetime
    status: str = "ok"
    count: int = 1

    def digest(self) -> bytes:
        key = "\0".join((self.source, self.host, self.rrtype, self.value, self.status))
        return hashlib.sha256(key.encode("utf-8")).digest()


def site_key_for(host: str) -> str:
    """The site a DNS name belongs to (eTLD+1, or the onion service), as intake computes it."""
    if host.endswith(".onion"):
        return site_for_host(host, SiteKind.ONION)
    return site_for_host(host, SiteKind.DOMAIN)


def merge(observations: Iterable[Observation]) -> list[Observation]:
    """Fold repeated sightings inside one batch (one statement may not touch a row twice)."""
    merged: dict[bytes, Observation] = {}
    for item in observations:
        digest = item.digest()
        seen = merged.get(digest)
        if seen is None:
            merged[digest] = item
            continue
        merged[digest] = Observation(
            seen.site_key,
            seen.host,
            seen.source,
            seen.rrtype,
            seen.value,
            min(seen.first_seen, item.first_seen),
            max(seen.last_seen, item.last_seen),
            seen.status,
            seen.count + item.count,
        )
    return list(merged.values())


def upsert(connection: Connection, observations: Sequence[Observation]) -> int:
    """Insert new observations and widen known ones; returns how many rows were written."""
    rows = merge(observations)
    if not rows:
        return 0
    now = utcnow()
    table: Any = HostingObservation.__table__
    values = [
        {
            "digest": item.digest(),
            "site_key": item.site_key,
            "host": item.host,
            "source": item.source,
            "rrtype": item.rrtype,
            "value": item.value,
            "status": item.status,
            "first_seen": item.first_seen,
            "last_seen": item.last_seen,
            "count": item.count,
            "recorded_at": now,
        }
        for item in rows
    ]
    dialect = connection.dialect.name
    stmt: Any
    if dialect == "postgresql":
        stmt = postgresql.insert(table)
    elif dialect == "sqlite":
        stmt = sqlite.insert(table)
    else:
        raise NotImplementedError(f"unsupported database dialect: {dialect}")
    new = stmt.excluded
    widened = (new.first_seen < table.c.first_seen) | (new.last_seen > table.c.last_seen)
    stmt = stmt.on_conflict_do_update(
        index_elements=["digest"],
        set_={
            "first_seen": case(
                (new.first_seen < table.c.first_seen, new.first_seen), else_=table.c.first_seen
            ),
            "last_seen": case(
                (new.last_seen > table.c.last_seen, new.last_seen), else_=table.c.last_seen
            ),
            # Only a sighting that widens the period marks the row as changed: a re-import
            # must not make the next enrichment recompute every site.
            "recorded_at": case((widened, new.recorded_at), else_=table.c.recorded_at),
            "count": case((widened, table.c.count + new.count), else_=table.c.count),
        },
    )
    connection.execute(stmt, values)
    return len(values)
