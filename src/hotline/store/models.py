"""The intake tables: sources, sites, URLs, reports and the quarantine of rejected input.

Counts such as "reports per URL" or "first reported" are derived with queries, not stored:
concurrent importers then never contend on hot counter rows, and nothing can drift.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from hotline.store.types import BigId, Json, UTCDateTime, utcnow

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


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
