"""The records one upload's import refused: the quarantine entries of its stored file.

An upload is one organisation's (``hotline.accounts.visibility``); the caller checks that
the asking organisation owns the upload before it asks for its refusals here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, func, select

from hotline.accounts.models import Upload
from hotline.quarantine import QuarantineEntry


@dataclass(frozen=True, slots=True)
class Refusals:
    entries: list[Any]  # rows of the quarantine table (columns as attributes)
    total: int
    by_reason: list[tuple[str, int]]  # most frequent first


def refusals(connection: Connection, upload_id: int, limit: int = 20, offset: int = 0) -> Refusals:
    """The upload's refused records in the order they were refused, a page at a time, and
    how many there are by reason."""
    file = select(Upload.file).where(Upload.id == upload_id).scalar_subquery()
    mine = QuarantineEntry.file == file
    by_reason = [
        (str(code), int(n))
        for code, n in connection.execute(
            select(QuarantineEntry.reason_code, func.count())
            .where(mine)
            .group_by(QuarantineEntry.reason_code)
            .order_by(func.count().desc(), QuarantineEntry.reason_code)
        )
    ]
    total = sum(n for _, n in by_reason)
    entries = (
        list(
            connection.execute(
                select(QuarantineEntry)
                .where(mine)
                .order_by(QuarantineEntry.id)
                .limit(limit)
                .offset(offset)
            ).all()
        )
        if total
        else []
    )
    return Refusals(entries, total, by_reason)
