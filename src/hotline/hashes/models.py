"""Tables of the hashes stage: hash lists, their entries, matches of captured media against
them, and the high-water marks that make matching incremental.

A list is ``known`` (classified material: a match makes a medium known) or ``negative``
(known-benign: a medium matching it is never reported as known, whatever else it matches).
Entries are unique per (list, kind, value), so importing a file again adds nothing.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hotline.store.base import Base
from hotline.store.types import BigId, Json, UTCDateTime, utcnow


class HashList(Base):
    __tablename__ = "hash_lists"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(8))  # known | negative
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    source: Mapped[str | None] = mapped_column(Text)  # who publishes it
    licence: Mapped[str | None] = mapped_column(Text)
    tlp: Mapped[str] = mapped_column(String(16), default="amber")  # Traffic Light Protocol
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class HashEntry(Base):
    __tablename__ = "hash_entries"
    __table_args__ = (UniqueConstraint("list_id", "kind", "value"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    list_id: Mapped[int] = mapped_column(ForeignKey("hash_lists.id"), index=True)
    kind: Mapped[str] = mapped_column(String(8))  # md5 | sha1 | sha256 | pdq | photodna
    value: Mapped[str] = mapped_column(Text)  # canonical (hotline.hashes.signals)
    scheme: Mapped[str | None] = mapped_column(String(32))  # classification scheme ...
    code: Mapped[str | None] = mapped_column(String(32))  # ... and its code: never a bare number
    series: Mapped[str | None] = mapped_column(Text)
    external_id: Mapped[str | None] = mapped_column(Text)
    pdq_quality: Mapped[int | None] = mapped_column(Integer)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class HashMatch(Base):
    """One medium matching one entry. ``held``: its entry matched more media in one run than
    the flood guard allows, so the match waits for review instead of counting."""

    __tablename__ = "hash_matches"
    __table_args__ = (UniqueConstraint("medium_id", "entry_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    medium_id: Mapped[int] = mapped_column(ForeignKey("media_hashes.id"), index=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("hash_entries.id"), index=True)
    kind: Mapped[str] = mapped_column(String(8))  # the signal kind that matched
    distance: Mapped[int] = mapped_column(Integer)  # 0 for the exact kinds
    held: Mapped[bool] = mapped_column(Boolean, default=False)
    matched_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class MatchRun(Base):
    """One ``hotline match``: what it compared (the high-water marks the next run starts
    from) and what it found."""

    __tablename__ = "hash_match_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_medium_id: Mapped[int] = mapped_column(BigId, default=0)
    last_entry_id: Mapped[int] = mapped_column(BigId, default=0)
    radius: Mapped[int] = mapped_column(Integer)
    media: Mapped[int] = mapped_column(BigId, default=0)  # media compared in this run
    matches: Mapped[int] = mapped_column(BigId, default=0)
    held: Mapped[int] = mapped_column(BigId, default=0)
    suppressed: Mapped[int] = mapped_column(BigId, default=0)  # by negative lists
    # the lists enabled during the run: a list enabled later has all its entries compared
    # with the earlier media at the next run, however old its entries are
    lists: Mapped[list[int] | None] = mapped_column(Json)
