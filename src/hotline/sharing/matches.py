"""Export of hash-list matches: one row per (captured medium, list entry) that counts.

Held matches (the flood guard's) and media on a negative list are left out; see
:mod:`hotline.hashes.queries`. Never any content: the medium is named by its SHA-256.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import Connection

from hotline.hashes.queries import match_rows
from hotline.urls import defang
from hotline.urls.display import for_people

MATCH_EXPORT_COLUMNS = (
    "site",
    "url",
    "captured_at",
    "medium_sha256",
    "list",
    "entry_id",
    "entry_value",
    "kind",
    "distance",
)


def matches_export_rows(
    connection: Connection, *, defanged: bool = False
) -> Iterator[tuple[Any, ...]]:
    for row in match_rows(connection):
        site, url = row.site, row.url or ""
        if defanged:
            site, url = for_people(defang(site)), for_people(defang(url)) if url else ""
        yield (
            site,
            url,
            row.captured_at,
            row.sha256,
            row.list_name,
            row.entry_id,
            row.entry_value,
            row.kind,
            row.distance,
        )
