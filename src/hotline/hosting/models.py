"""Tables of the hosting stage.

* ``hosting_observations`` — at some time(s), a name resolved to an address (or a CNAME or NS
  target), seen by one source; one row per (source, host, type, value, status) with the
  first and last time seen, so a re-import widens a row instead of duplicating it. Keyed by
  the *site key*, not a site id: passive DNS often arrives before the reports that name it.
* ``ip_facts`` — what the IP databases, the CDN list and RDAP say about one address; looked up
  once per address and database version, shared by every observation of it.
* ``providers`` — the analyst's table: AS number → display name and kind.
* ``site_hosting`` — each site's derived current hosting and hopping counts, recomputed by
  ``hotline enrich`` for the sites whose observations changed.
* ``enrich_state`` — where the last enrichment stopped (capture id, database fingerprint).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from hotline.store.base import Base
from hotline.store.types import BigId, Json, UTCDateTime, utcnow


class HostingObservation(Base):
    __tablename__ = "hosting_observations"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    digest: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    site_key: Mapped[str] = mapped_column(String(255), index=True)
    host: Mapped[str] = mapped_column(String(255), index=True)
    source: Mapped[str] = mapped_column(String(8))  # capture | pdns | dns | url
    rrtype: Mapped[str] = mapped_column(String(8))  # A | AAAA | CNAME | NS | IP (capture, url)
    # indexed: `hotline why` reads the carriers of one address or nameserver
    value: Mapped[str] = mapped_column(String(255), index=True)  # address/target; "" = status
    status: Mapped[str] = mapped_column(String(12), default="ok")  # ok | nxdomain | timeout ...
    first_seen: Mapped[datetime] = mapped_column(UTCDateTime())
    last_seen: Mapped[datetime] = mapped_column(UTCDateTime())
    count: Mapped[int] = mapped_column(BigInteger, default=1)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)


class IpFactsRow(Base):
    __tablename__ = "ip_facts"

    ip: Mapped[str] = mapped_column(String(45), primary_key=True)
    country: Mapped[str | None] = mapped_column(String(8))
    asn: Mapped[int | None] = mapped_column(BigInteger, index=True)
    as_org: Mapped[str | None] = mapped_column(Text)
    cdn: Mapped[str | None] = mapped_column(String(64))
    fingerprint: Mapped[str] = mapped_column(String(255))
    looked_up_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    rdap_status: Mapped[str | None] = mapped_column(String(16))
    rdap_network: Mapped[str | None] = mapped_column(Text)
    rdap_country: Mapped[str | None] = mapped_column(String(8))
    abuse_emails: Mapped[list[str] | None] = mapped_column(Json)
    rdap_fetched_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Provider(Base):
    __tablename__ = "providers"

    asn: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    name: Mapped[str] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(Text)
    updated_by: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class SiteHosting(Base):
    __tablename__ = "site_hosting"

    site_key: Mapped[str] = mapped_column(String(255), primary_key=True)
    status: Mapped[str] = mapped_column(String(12))  # hosted | behind-cdn | onion | unknown
    country: Mapped[str] = mapped_column(String(16), index=True)  # ISO, or the status word
    ip: Mapped[str | None] = mapped_column(String(45))
    asn: Mapped[int | None] = mapped_column(BigInteger)
    provider: Mapped[str | None] = mapped_column(Text)
    cdn: Mapped[str | None] = mapped_column(String(64))
    origin_country: Mapped[str | None] = mapped_column(String(8))  # last origin seen, if any
    since: Mapped[datetime | None] = mapped_column(UTCDateTime())
    first_seen: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_seen: Mapped[datetime | None] = mapped_column(UTCDateTime())
    ips: Mapped[int] = mapped_column(Integer, default=0)
    asns: Mapped[int] = mapped_column(Integer, default=0)
    countries: Mapped[int] = mapped_column(Integer, default=0)
    providers: Mapped[int] = mapped_column(Integer, default=0)
    history: Mapped[list[dict[str, Any]] | None] = mapped_column(Json)  # country hops in order
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class EnrichState(Base):
    __tablename__ = "enrich_state"

    key: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
