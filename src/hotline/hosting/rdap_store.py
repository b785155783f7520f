"""What the last RDAP look-up of each address ended in, kept so a failure stays visible.

``ip_facts`` holds what RDAP *said* (network, country, abuse contacts) and the outcome's
kind; ``rdap_lookups`` holds the outcome itself: the kind, the one-line reason when it is
not "ok", the URL that answered and how many requests it took. ``hotline enrich --rdap``
writes both in one transaction, one row per address, replaced on every new look-up.

Readers ask :func:`rdap_states` for the addresses they show and print
:attr:`RdapState.note` ("RDAP failed (timeout): timed out after 10s (ReadTimeout)") next
to an address whose look-up failed.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, Integer, String, Text, delete, insert, select
from sqlalchemy.orm import Mapped, mapped_column

from hotline.hosting.rdap_cache import RdapOutcome
from hotline.store.base import Base
from hotline.store.types import UTCDateTime

MAX_ERROR = 500  # characters of a reason kept; reasons are one short line by construction
_CHUNK = 2000


class RdapLookup(Base):
    __tablename__ = "rdap_lookups"

    ip: Mapped[str] = mapped_column(String(45), primary_key=True)
    # ok | not_found | rate_limited | server_error | timeout | malformed | no_registry | error
    status: Mapped[str] = mapped_column(String(16))
    error: Mapped[str | None] = mapped_column(Text)  # one readable line; null when "ok"
    url: Mapped[str | None] = mapped_column(Text)  # the final URL asked (after redirects)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    fetched_at: Mapped[datetime] = mapped_column(UTCDateTime())


@dataclass(frozen=True, slots=True)
class RdapState:
    """The last RDAP look-up of one address."""

    ip: str
    status: str
    error: str | None
    url: str | None
    attempts: int
    fetched_at: datetime

    @property
    def failed(self) -> bool:
        """True unless the registry answered with the network (``status == "ok"``)."""
        return self.status != "ok"

    @property
    def note(self) -> str | None:
        """``None`` when the look-up succeeded, else one line for people:
        ``RDAP failed (<kind>): <reason>``."""
        return failure_note(self.status, self.error)


def failure_note(status: str, error: str | None) -> str | None:
    """``RDAP failed (<kind>): <reason>`` for a failed outcome, ``None`` for "ok"."""
    if status == "ok":
        return None
    reason = " ".join((error or status).split())
    return f"RDAP failed ({status}): {reason}"


def record(connection: Connection, outcomes: Sequence[RdapOutcome]) -> None:
    """Store the outcomes, replacing earlier ones for the same addresses (the caller's
    transaction; the last outcome of an address wins if it appears twice)."""
    latest = {outcome.ip: outcome for outcome in outcomes}
    if not latest:
        return
    ips = sorted(latest)
    for part in _chunks(ips):
        connection.execute(delete(RdapLookup).where(RdapLookup.ip.in_(part)))
    connection.execute(
        insert(RdapLookup),
        [
            {
                "ip": ip,
                "status": latest[ip].status,
                "error": _clip(latest[ip].error),
                "url": _clip(latest[ip].url),
                "attempts": latest[ip].attempts,
                "fetched_at": latest[ip].fetched_at,
            }
            for ip in ips
        ],
    )


def rdap_states(connection: Connection, ips: Iterable[str]) -> dict[str, RdapState]:
    """The last look-up of each of ``ips`` that RDAP was asked about (others are absent)."""
    found: dict[str, RdapState] = {}
    for part in _chunks(sorted(set(ips))):
        query = select(
            RdapLookup.ip, RdapLookup.status, RdapLookup.error, RdapLookup.url,
            RdapLookup.attempts, RdapLookup.fetched_at,
        ).where(RdapLookup.ip.in_(part))  # fmt: skip
        for row in connection.execute(query):
            found[row.ip] = RdapState(*row)
    return found


def _clip(text: str | None) -> str | None:
    return None if text is None else text[:MAX_ERROR]


def _chunks(items: Sequence[str]) -> Iterable[Sequence[str]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]
