"""The quarantine: every refused input record, where it was, why, and its raw bytes.

Shared by every ingest kind (reports now; captures and passive DNS later).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import (
    Boolean,
    Connection,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    func,
    select,
)
from sqlalchemy.orm import Mapped, Session, mapped_column

from hotline.store.base import Base
from hotline.store.types import BigId, UTCDateTime, utcnow
from hotline.store.upsert import insert_ignore


class QuarantineEntry(Base):
    """Input that was refused, with where it was and why, kept byte for byte (up to a cap).

    Unique by (file, line, offset, digest of the raw bytes) so that re-running an import
    does not quarantine the same bad row twice.
    """

    __tablename__ = "quarantine"
    __table_args__ = (
        UniqueConstraint("file", "line", "byte_offset", "raw_digest", name="uq_quarantine_record"),
        Index("ix_quarantine_created_at", "created_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # what was being ingested: reports, ...
    file: Mapped[str] = mapped_column(String(1024))
    line: Mapped[int] = mapped_column(Integer)
    byte_offset: Mapped[int] = mapped_column(BigId)
    reason_code: Mapped[str] = mapped_column(String(40), index=True)
    reason: Mapped[str] = mapped_column(Text)
    raw: Mapped[bytes] = mapped_column(LargeBinary)
    raw_truncated: Mapped[bool] = mapped_column(Boolean, default=False)
    raw_digest: Mapped[bytes] = mapped_column(LargeBinary(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


MAX_RAW_KEPT = 64 * 1024  # enough to read any real row; a hostile 1 MiB line is cut
_MAX_FILE = 1024  # the column's width; a longer path keeps its (telling) end


@dataclass(frozen=True, slots=True)
class Refusal:
    kind: str
    file: str
    line: int
    offset: int
    code: str
    reason: str
    raw: bytes
    raw_truncated: bool = False
    raw_digest: bytes = b""  # of the whole original record; computed from raw if empty

    @classmethod
    def keeping(
        cls,
        kind: str,
        file: str,
        line: int,
        offset: int,
        code: str,
        reason: str,
        raw: bytes,
        raw_truncated: bool = False,
    ) -> Refusal:
        """A refusal that holds at most MAX_RAW_KEPT bytes of the record from the start, so
        a batch of hostile 1 MiB lines does not hold gigabytes while it waits to be stored."""
        return cls(
            kind,
            file,
            line,
            offset,
            code,
            reason,
            raw[:MAX_RAW_KEPT],
            raw_truncated or len(raw) > MAX_RAW_KEPT,
            hashlib.sha256(raw).digest(),
        )


def _storable(text: str) -> str:
    """Text as PostgreSQL can hold it: no NUL, no lone surrogates (from odd file names)."""
    return text.replace("\x00", "\\x00").encode("utf-8", "backslashreplace").decode("utf-8")


def record(connection: Connection, refusals: Sequence[Refusal]) -> int:
    """Store refusals; a refusal already stored (same file, line, offset, bytes) is skipped."""
    if not refusals:
        return 0
    rows = [
        {
            "kind": r.kind,
            "file": _storable(
                r.file if len(r.file) <= _MAX_FILE else "…" + r.file[-_MAX_FILE + 1 :]
            ),
            "line": r.line,
            "byte_offset": r.offset,
            "reason_code": r.code,
            "reason": _storable(r.reason),
            "raw": r.raw[:MAX_RAW_KEPT],
            "raw_truncated": r.raw_truncated or len(r.raw) > MAX_RAW_KEPT,
            "raw_digest": r.raw_digest or hashlib.sha256(r.raw).digest(),
        }
        for r in refusals
    ]
    stmt = insert_ignore(
        connection, QuarantineEntry.__table__, ["file", "line", "byte_offset", "raw_digest"]
    )
    return len(connection.execute(stmt.returning(QuarantineEntry.id), rows).all())


def entries(
    connection: Connection,
    *,
    file: str | None = None,
    code: str | None = None,
    limit: int | None = 50,
) -> list[QuarantineEntry]:
    query = select(QuarantineEntry).order_by(QuarantineEntry.id)
    if file:
        query = query.where(QuarantineEntry.file.contains(file, autoescape=True))
    if code:
        query = query.where(QuarantineEntry.reason_code == code)
    if limit:
        query = query.limit(limit)
    with Session(bind=connection) as session:
        return list(session.scalars(query))


def entry(connection: Connection, entry_id: int) -> QuarantineEntry | None:
    with Session(bind=connection) as session:
        return session.get(QuarantineEntry, entry_id)


def counts_by_reason(connection: Connection) -> Iterable[tuple[str, int]]:
    rows = connection.execute(
        select(QuarantineEntry.reason_code, func.count())
        .group_by(QuarantineEntry.reason_code)
        .order_by(func.count().desc())
    )
    return [(code, count) for code, count in rows]


def quarantined_lines(connection: Connection) -> list[int | None]:
    """The line (or record) number of every quarantined entry, in order."""
    return sorted(
        connection.scalars(select(QuarantineEntry.line)), key=lambda n: (n is None, n or 0)
    )
