"""Tables of the captures stage: captures, selectors (once per kind and value), their links
to sites and captures (the evidence), and media hashes (never the media).

Counts such as "sites sharing this selector" are derived with queries, as in the intake
tables; ``site_selectors`` keeps first/last seen because attribution reads it constantly.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, ForeignKey, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from hotline.store.base import Base
from hotline.store.types import BigId, Json, UTCDateTime, utcnow


class Capture(Base):
    """One HTML page as a capture tool recorded it (its WARC response record)."""

    __tablename__ = "captures"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    record_id: Mapped[str] = mapped_column(String(255), unique=True)  # WARC-Record-ID
    file: Mapped[str] = mapped_column(String(1024))
    record_offset: Mapped[int] = mapped_column(BigId)
    url_id: Mapped[int] = mapped_column(ForeignKey("urls.id"), index=True)  # as requested
    final_url_id: Mapped[int] = mapped_column(ForeignKey("urls.id"), index=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), index=True)  # final URL's
    captured_at: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[int] = mapped_column(Integer)
    ip: Mapped[str | None] = mapped_column(String(45))  # WARC-IP-Address
    referer: Mapped[str | None] = mapped_column(Text)
    redirect_chain: Mapped[list[str] | None] = mapped_column(Json)
    title: Mapped[str | None] = mapped_column(Text)
    html_bytes: Mapped[int] = mapped_column(Integer)
    flags: Mapped[list[str] | None] = mapped_column(Json)  # e.g. html_cut, not_html
    # normal, error, placeholder, suspended, challenge, login, directory or empty
    # (hotline.captures.page_class): what the site showed, kept when its selectors are not
    page_class: Mapped[str] = mapped_column(String(16), server_default="normal")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class SelectorValue(Base):
    __tablename__ = "selectors"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    digest: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)  # sha256(kind, value)
    kind: Mapped[str] = mapped_column(String(32), index=True)
    value: Mapped[str] = mapped_column(Text)
    strength: Mapped[str] = mapped_column(String(8))
    method: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class SiteSelector(Base):
    __tablename__ = "site_selectors"

    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), primary_key=True)
    selector_id: Mapped[int] = mapped_column(
        ForeignKey("selectors.id"), primary_key=True, index=True
    )
    first_seen: Mapped[datetime] = mapped_column(UTCDateTime())
    last_seen: Mapped[datetime] = mapped_column(UTCDateTime())
    captures: Mapped[int] = mapped_column(Integer)
    first_capture_id: Mapped[int] = mapped_column(ForeignKey("captures.id"))


class CaptureSelector(Base):
    """The evidence: which capture showed which selector, and where in the page."""

    __tablename__ = "capture_selectors"

    capture_id: Mapped[int] = mapped_column(ForeignKey("captures.id"), primary_key=True)
    selector_id: Mapped[int] = mapped_column(
        ForeignKey("selectors.id"), primary_key=True, index=True
    )
    found_in: Mapped[str] = mapped_column(String(80))


class MediaHash(Base):
    """Hashes of one media payload. The bytes themselves are never stored anywhere."""

    __tablename__ = "media_hashes"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    record_id: Mapped[str] = mapped_column(String(255), unique=True)  # WARC-Record-ID
    capture_id: Mapped[int | None] = mapped_column(ForeignKey("captures.id"), index=True)
    url_id: Mapped[int | None] = mapped_column(ForeignKey("urls.id"), index=True)  # the page's
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), index=True)
    uri: Mapped[str] = mapped_column(Text)
    captured_at: Mapped[datetime] = mapped_column(UTCDateTime())
    media_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(BigInteger)
    md5: Mapped[str] = mapped_column(String(32))
    sha1: Mapped[str] = mapped_column(String(40))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    pdq: Mapped[str | None] = mapped_column(String(64))
    pdq_quality: Mapped[int | None] = mapped_column(Integer)
    pdq_skipped: Mapped[str | None] = mapped_column(Text)
    is_favicon: Mapped[bool] = mapped_column(Boolean, default=False)
    extra: Mapped[dict[str, Any] | None] = mapped_column(Json)
