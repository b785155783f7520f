"""Tables of casework: decisions, the facts that move a case, the cases, notices.

* ``classification_schemes`` — a hotline's own (national) schemes; the shipped ones are data
  in the package and never copied here.
* ``classifications`` — one analyst's decision (scheme, code) on a URL or on a medium (by
  SHA-256, optionally with its PDQ); unique by a digest of what was decided, by whom and
  when, so importing the same file again adds nothing.
* ``clearances`` and ``removal_evidence`` — facts with the time they are true from: law
  enforcement cleared a URL; a URL was seen down (or up again) by a partner's feed, an
  analyst's check, a capture's page class or passive DNS. Never by hotline fetching it.
* ``cases`` — one per URL under casework: its current state and the timestamps the
  statistics read (first report, decision, first notice, first removal after it).
* ``case_events`` — every state change, timestamped, with the actor and the reason.
* ``notices`` and ``notice_urls`` — what was sent (or written) to whom, and which URLs.
* ``casework_runs`` — each run's moment and rules, so the next one replays only what moved.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from hotline.store.base import Base
from hotline.store.types import BigId, Json, UTCDateTime, utcnow


class SchemeCodeRow(Base):
    __tablename__ = "classification_schemes"
    scheme: Mapped[str] = mapped_column(String(64), primary_key=True)
    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    title: Mapped[str] = mapped_column(Text)
    label: Mapped[str] = mapped_column(Text)
    illegal: Mapped[bool] = mapped_column(Boolean)
    position: Mapped[int] = mapped_column(Integer)  # the order the file listed the codes in
    imported_by: Mapped[str] = mapped_column(String(64))
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Classification(Base):
    __tablename__ = "classifications"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    digest: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    target: Mapped[str] = mapped_column(String(8))  # url | medium
    url_id: Mapped[int | None] = mapped_column(ForeignKey("urls.id"), index=True)
    sha256: Mapped[str | None] = mapped_column(String(64), index=True)
    pdq: Mapped[str | None] = mapped_column(String(64))
    scheme: Mapped[str] = mapped_column(String(64))
    code: Mapped[str] = mapped_column(String(32))
    illegal: Mapped[bool] = mapped_column(Boolean)
    analyst: Mapped[str] = mapped_column(String(64))
    organisation: Mapped[str | None] = mapped_column(String(64))
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime())
    note: Mapped[str | None] = mapped_column(Text)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Clearance(Base):
    __tablename__ = "clearances"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    digest: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    url_id: Mapped[int] = mapped_column(ForeignKey("urls.id"), index=True)
    cleared_at: Mapped[datetime] = mapped_column(UTCDateTime())
    by: Mapped[str] = mapped_column(String(64))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class RemovalEvidence(Base):
    __tablename__ = "removal_evidence"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    digest: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    url_id: Mapped[int] = mapped_column(ForeignKey("urls.id"), index=True)
    observed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    up: Mapped[bool] = mapped_column(Boolean)  # False: gone; True: answering again
    source: Mapped[str] = mapped_column(String(64))  # partner:<name> | analyst | capture | pdns
    detail: Mapped[str | None] = mapped_column(Text)
    # the capture it was read from, so a run reads each capture once
    capture_id: Mapped[int | None] = mapped_column(ForeignKey("captures.id"), index=True)
    recorded_by: Mapped[str] = mapped_column(String(64))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Case(Base):
    __tablename__ = "cases"
    url_id: Mapped[int] = mapped_column(ForeignKey("urls.id"), primary_key=True)
    state: Mapped[str] = mapped_column(String(24), index=True)
    state_at: Mapped[datetime] = mapped_column(UTCDateTime())
    reported_at: Mapped[datetime] = mapped_column(UTCDateTime())
    classified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    scheme: Mapped[str | None] = mapped_column(String(64))
    code: Mapped[str | None] = mapped_column(String(32))
    illegal: Mapped[bool | None] = mapped_column(Boolean)
    cleared_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    first_notice_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_notice_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    notices: Mapped[int] = mapped_column(Integer, default=0)  # since first noticed/moved/back
    recipients: Mapped[str | None] = mapped_column(Text)  # of the latest notice, space-separated
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # first, after notice
    gone_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # gone before notice
    reappearances: Mapped[int] = mapped_column(Integer, default=0)
    # hosting when first noticed: what the statistics group by
    country: Mapped[str | None] = mapped_column(String(16))
    asn: Mapped[int | None] = mapped_column(BigInteger)
    provider: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class CaseEvent(Base):
    __tablename__ = "case_events"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    url_id: Mapped[int] = mapped_column(ForeignKey("urls.id"), index=True)
    state: Mapped[str] = mapped_column(String(24))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    actor: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(Text)
    detail: Mapped[dict[str, Any] | None] = mapped_column(Json)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class NoticeRow(Base):
    __tablename__ = "notices"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    number: Mapped[str] = mapped_column(String(16), unique=True)  # N-000001
    recipient: Mapped[str] = mapped_column(String(128), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(Text)
    contact: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    escalated: Mapped[bool] = mapped_column(Boolean, default=False)
    directory: Mapped[str | None] = mapped_column(Text)  # where its files were written
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    send_error: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(64))


class NoticeUrlRow(Base):
    __tablename__ = "notice_urls"
    # a replay reads a URL's notices that are not repeats: by URL and reason
    __table_args__ = (Index("ix_notice_urls_url_id_reason", "url_id", "reason"),)
    notice_id: Mapped[int] = mapped_column(ForeignKey("notices.id"), primary_key=True)
    url_id: Mapped[int] = mapped_column(ForeignKey("urls.id"), primary_key=True, index=True)
    sequence: Mapped[int] = mapped_column(Integer)  # 1: first notice of this URL to them
    # first | renotice | moved | reappeared (hotline.casework.states), or clearance: a
    # referral to law enforcement, which does not start the takedown clock
    reason: Mapped[str] = mapped_column(String(16))


class CaseworkRun(Base):
    """One ``casework run``: as of which moment, when it started, under which rules. The next
    run replays only the cases something happened to since (see ``advance._active``)."""

    __tablename__ = "casework_runs"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    now: Mapped[datetime] = mapped_column(UTCDateTime())
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    rules: Mapped[str] = mapped_column(String(64))  # fingerprint of the rules it ran under
    cases: Mapped[int] = mapped_column(Integer)
    actor: Mapped[str] = mapped_column(String(64))
