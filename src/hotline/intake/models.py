"""Intake's tables: sources, sites, URLs and reports.

Counts such as "reports per URL" or "first reported" are derived with queries, not stored:
concurrent importers then never contend on hot counter rows, and nothing can drift. Every
later stage joins ``sites`` and ``urls``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hotline.store.base import Base
from hotline.store.types import BigId, Json, UTCDateTime, utcnow


class Source(Base):
    """A hotline or organisation that sends reports, known by its short code."""

    __tablename__ = "sources"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Site(Base):
    """Registrable domain, onion service or bare IP; the unit hosting and brands attach to."""

    __tablename__ = "sites"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    key: Mapped[str] = mapped_column(String(255), unique=True)
    kind: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Url(Base):
    """One canonical URL. Unique by the SHA-256 of its text: a URL may be 8 KB, an index key not."""

    __tablename__ = "urls"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    digest: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    canonical: Mapped[str] = mapped_column(Text)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), index=True)
    scheme: Mapped[str] = mapped_column(String(8))
    host: Mapped[str] = mapped_column(String(255))
    origin: Mapped[str] = mapped_column(String(16), default="report")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Report(Base):
    """One URL as one hotline received it. Unique by (source, the source's own report id)."""

    __tablename__ = "reports"
    __table_args__ = (UniqueConstraint("source_id", "source_report_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id"))
    source_report_id: Mapped[str] = mapped_column(String(256))
    url_id: Mapped[int] = mapped_column(ForeignKey("urls.id"), index=True)
    reported_at: Mapped[datetime] = mapped_column(UTCDateTime())
    raw_url: Mapped[str] = mapped_column(Text)
    site_type: Mapped[str | None] = mapped_column(String(16))
    commercial: Mapped[bool | None] = mapped_column(Boolean)
    note: Mapped[str | None] = mapped_column(Text)
    extra: Mapped[dict[str, Any] | None] = mapped_column(Json)
    scheme_added: Mapped[bool] = mapped_column(Boolean, default=False)
    had_userinfo: Mapped[bool] = mapped_column(Boolean, default=False)
    ingested_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
