"""Tables of the attribution stage.

Brands and distributors get **stable ids**: each run matches its clusters to the previous
run's by overlap, so an id, its label and the notes about it survive new data. A cluster
that no longer exists is retired (kept, with the time), never reused.

Analyst decisions are rows of their own (``attribution_overrides``: link or unlink, with
author, time and reason) that every run applies as hard constraints.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from hotline.store.base import Base
from hotline.store.types import BigId, Json, UTCDateTime, utcnow


class Distributor(Base):
    __tablename__ = "distributors"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    label: Mapped[str | None] = mapped_column(String(255))
    labelled_by: Mapped[str | None] = mapped_column(String(64))
    labelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Brand(Base):
    __tablename__ = "brands"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    distributor_id: Mapped[int | None] = mapped_column(ForeignKey("distributors.id"), index=True)
    # the distributor before the current one: lets a split undo a merge with the old id
    former_distributor_id: Mapped[int | None] = mapped_column(ForeignKey("distributors.id"))
    label: Mapped[str | None] = mapped_column(String(255))
    labelled_by: Mapped[str | None] = mapped_column(String(64))
    labelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class SiteAttribution(Base):
    """The latest run's answer for one site. ``hotline why`` weighs its evidence from the
    store when asked (the ``evidence`` column, written by runs before migration 0005, is
    gone)."""

    __tablename__ = "site_attribution"

    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), primary_key=True)
    brand_id: Mapped[int | None] = mapped_column(ForeignKey("brands.id"), index=True)
    # 0..1, None when unattributed; the band people read comes from ``method.band``
    confidence: Mapped[float | None] = mapped_column(Float)
    commercial_score: Mapped[float | None] = mapped_column(Float)
    # the run treated the site as commercial (score, shared strong value or analyst)
    candidate: Mapped[bool | None] = mapped_column(Boolean)
    attributed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class AttributionOverride(Base):
    __tablename__ = "attribution_overrides"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    action: Mapped[str] = mapped_column(String(8))  # link | unlink
    level: Mapped[str] = mapped_column(String(12))  # site | brand
    left: Mapped[str] = mapped_column(String(255))  # site key, or brand id as text
    right: Mapped[str] = mapped_column(String(255))
    reason: Mapped[str] = mapped_column(Text)
    author: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class AttributionRun(Base):
    __tablename__ = "attribution_runs"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime] = mapped_column(UTCDateTime())
    links: Mapped[int] = mapped_column(Integer)
    sites: Mapped[int] = mapped_column(Integer)
    attributed: Mapped[int] = mapped_column(Integer)
    brands: Mapped[int] = mapped_column(Integer)
    distributors: Mapped[int] = mapped_column(Integer)
    kept_brand_ids: Mapped[int] = mapped_column(Integer)
    new_brand_ids: Mapped[int] = mapped_column(Integer)
    retired_brand_ids: Mapped[int] = mapped_column(Integer)
    params: Mapped[dict[str, Any] | None] = mapped_column(Json)
    # values held back as bridges or hubs: [[kind, value, reason], ...]
    notes: Mapped[list[list[str]] | None] = mapped_column(Json)
