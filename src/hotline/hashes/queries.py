"""Known versus new: read functions over the matches (they take the caller's connection).

A medium is **known** when it matches an entry of an enabled ``known`` list (the match not
held by the flood guard) and no entry of an enabled ``negative`` list; every other medium
is **new**. Counts only: no function here returns anything of the media but their hashes.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, case, exists, func, select

from hotline.captures.models import Capture, MediaHash
from hotline.hashes.models import HashEntry, HashList, HashMatch
from hotline.intake.models import Site, Url


@dataclass(frozen=True)
class MediaCounts:
    media: int
    known: int

    @property
    def new(self) -> int:
        return self.media - self.known


def _matched(kind: str, as_of: datetime | None = None) -> Any:
    """Whether the medium has an applied match to an enabled list of ``kind`` (made by
    ``as_of``, when given)."""
    conditions = [
        HashMatch.medium_id == MediaHash.id,
        HashMatch.held.is_(False),
        HashList.enabled.is_(True),
        HashList.kind == kind,
    ]
    if as_of is not None:
        conditions.append(HashMatch.matched_at <= as_of)
    return exists(
        select(HashMatch.id)
        .join(HashEntry, HashEntry.id == HashMatch.entry_id)
        .join(HashList, HashList.id == HashEntry.list_id)
        .where(*conditions)
    )


def known_condition(as_of: datetime | None = None) -> Any:
    """A SQL condition on ``media_hashes``: the medium is known (by ``as_of``, when given:
    the strategic assessment's moment)."""
    return and_(_matched("known", as_of), ~_matched("negative", as_of))


def media_counts(
    connection: Connection, site_keys: list[str] | None = None
) -> dict[str, MediaCounts]:
    """Per site (all sites with media, or those named): media and how many are known."""
    known = func.sum(case((known_condition(), 1), else_=0))
    query = (
        select(Site.key, func.count(MediaHash.id), known)
        .join(MediaHash, MediaHash.site_id == Site.id)
        .group_by(Site.key)
    )
    if site_keys is not None:
        query = query.where(Site.key.in_(site_keys))
    return {
        key: MediaCounts(media=int(media), known=int(k or 0))
        for key, media, k in connection.execute(query)
    }


@dataclass(frozen=True)
class CaptureMedia:
    captured_at: datetime
    url: str | None  # the page captured
    media: int
    known: int


def capture_counts(
    connection: Connection, site_key: str, limit: int | None = None
) -> list[CaptureMedia]:
    """Per capture of one site (newest first, at most ``limit``): its media and how many
    are known. Media the importer could not tie to a page capture are in the site's totals
    only."""
    known = func.sum(case((known_condition(), 1), else_=0))
    query = (
        select(Capture.captured_at, Url.canonical, func.count(MediaHash.id), known)
        .join(MediaHash, MediaHash.capture_id == Capture.id)
        .join(Site, Site.id == Capture.site_id)
        .outerjoin(Url, Url.id == Capture.url_id)
        .where(Site.key == site_key)
        .group_by(Capture.id, Capture.captured_at, Url.canonical)
        .order_by(Capture.captured_at.desc(), Capture.id.desc())
        .limit(limit)
    )
    return [
        CaptureMedia(at, url, int(media), int(k or 0))
        for at, url, media, k in connection.execute(query)
    ]


def totals(connection: Connection) -> MediaCounts:
    """Every medium of every capture: how many, and how many are known."""
    media = int(connection.execute(select(func.count(MediaHash.id))).scalar() or 0)
    known = int(
        connection.execute(select(func.count(MediaHash.id)).where(known_condition())).scalar() or 0
    )
    return MediaCounts(media=media, known=known)


@dataclass(frozen=True)
class MatchRow:
    site: str
    url: str | None
    captured_at: datetime
    sha256: str
    list_name: str
    list_kind: str
    entry_id: int
    entry_value: str
    kind: str
    distance: int
    held: bool


def match_rows(connection: Connection, include_held: bool = False) -> Iterator[MatchRow]:
    """Every stored match of an enabled list, negative lists' suppressions applied: a
    medium that matches a negative list shows no match at all."""
    query = (
        select(
            Site.key,
            # the page the medium was found on when known, else the medium's own address
            func.coalesce(Url.canonical, MediaHash.uri),
            MediaHash.captured_at,
            MediaHash.sha256,
            HashList.name,
            HashList.kind,
            HashEntry.id,
            HashEntry.value,
            HashMatch.kind,
            HashMatch.distance,
            HashMatch.held,
        )
        .select_from(HashMatch)
        .join(MediaHash, MediaHash.id == HashMatch.medium_id)
        .join(Site, Site.id == MediaHash.site_id)
        .outerjoin(Url, Url.id == MediaHash.url_id)
        .join(HashEntry, HashEntry.id == HashMatch.entry_id)
        .join(HashList, HashList.id == HashEntry.list_id)
        .where(HashList.enabled.is_(True), HashList.kind == "known", ~_matched("negative"))
        .order_by(HashMatch.id)
    )
    if not include_held:
        query = query.where(HashMatch.held.is_(False))
    for row in connection.execute(query):
        yield MatchRow(*row)


def entry_matches(connection: Connection, list_name: str) -> dict[str, set[tuple[str, int]]]:
    """Per entry of one list (by its own id, else its value): the media it matched, as
    (SHA-256, distance), held matches included. For checking a list against what is known
    about it (the demo, tests)."""
    query = (
        select(HashEntry.external_id, HashEntry.value, MediaHash.sha256, HashMatch.distance)
        .select_from(HashEntry)
        .join(HashList, HashList.id == HashEntry.list_id)
        .outerjoin(HashMatch, HashMatch.entry_id == HashEntry.id)
        .outerjoin(MediaHash, MediaHash.id == HashMatch.medium_id)
        .where(HashList.name == list_name)
    )
    found: dict[str, set[tuple[str, int]]] = {}
    for external, value, sha256, distance in connection.execute(query):
        pairs = found.setdefault(external or value, set())
        if sha256 is not None:
            pairs.add((str(sha256), int(distance)))
    return found


def is_known(connection: Connection, sha256: str) -> bool:
    """Whether any captured medium with this SHA-256 counts as known."""
    found = connection.execute(
        select(MediaHash.id).where(MediaHash.sha256 == sha256, known_condition()).limit(1)
    ).first()
    return found is not None
