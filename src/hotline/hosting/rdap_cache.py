"""The result of one RDAP look-up, and a cache of them.

RIRs rate-limit RDAP hard (RIPE and ARIN answer 429 after a burst), and one network answer
covers every address in it, so the cache serves any address inside a cached network's
start..end range: a batch of 500 IPs in one hosting provider's /16 costs one query.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol

from hotline.hosting.rdap_parse import RdapNetwork

RdapStatus = Literal[
    "ok",
    "not_found",
    "rate_limited",
    "server_error",
    "timeout",
    "malformed",
    "no_registry",
    "error",
]

DEFAULT_TTL = 7 * 24 * 3600.0  # registration data changes slowly
DEFAULT_FAILURE_TTL = 3600.0  # a failure is worth retrying soon, but not in a tight loop
_DEFINITE: frozenset[str] = frozenset({"ok", "not_found"})


@dataclass(frozen=True, slots=True)
class RdapOutcome:
    """What happened when hotline asked about one IP; ``network`` is set only when "ok"."""

    ip: str
    status: RdapStatus
    network: RdapNetwork | None
    url: str | None  # the final URL that answered (after referrals/redirects)
    attempts: int  # HTTP requests made (retries included); 0 when none was made
    error: str | None  # one readable line when status != "ok"
    fetched_at: datetime  # timezone-aware UTC


class RdapCache(Protocol):
    def get(self, ip: str) -> RdapOutcome | None: ...

    def put(self, outcome: RdapOutcome) -> None: ...


_Span = tuple[int, int, int]  # (IP version, first address, last address) as integers


class MemoryRdapCache:
    """In-process TTL cache of outcomes, keyed by IP, that also answers for every address
    inside a cached "ok" network. Not shared between processes; not thread-safe."""

    def __init__(
        self,
        *,
        ttl: float = DEFAULT_TTL,
        failure_ttl: float = DEFAULT_FAILURE_TTL,
        max_entries: int = 100_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._ttl = ttl
        self._failure_ttl = failure_ttl
        self._max_entries = max_entries
        self._clock = clock
        self._by_ip: dict[str, tuple[RdapOutcome, float]] = {}
        # one entry per network; a scan is linear in the number of networks cached, which
        # stays small (thousands) because each covers many addresses
        self._ranges: dict[_Span, tuple[RdapOutcome, float]] = {}

    def get(self, ip: str) -> RdapOutcome | None:
        """The cached outcome for ``ip``, or for the most specific live cached network
        holding it (returned with ``ip`` set to the address asked about)."""
        now = self._clock()
        hit = self._by_ip.get(ip)
        if hit is not None:
            if hit[1] > now:
                return hit[0]
            del self._by_ip[ip]
        covering = self._covering(ip, now)
        return None if covering is None else dataclasses.replace(covering, ip=ip)

    def put(self, outcome: RdapOutcome) -> None:
        ttl = self._ttl if outcome.status in _DEFINITE else self._failure_ttl
        expires = self._clock() + ttl
        self._by_ip.pop(outcome.ip, None)  # re-insert at the end: eviction is oldest first
        self._by_ip[outcome.ip] = (outcome, expires)
        span = _span(outcome)
        if span is not None:
            self._ranges.pop(span, None)
            self._ranges[span] = (outcome, expires)
        self._evict()

    def __len__(self) -> int:
        return len(self._by_ip)

    def _covering(self, ip: str, now: float) -> RdapOutcome | None:
        """The live cached network holding ``ip`` with the fewest addresses."""
        if not self._ranges:
            return None
        try:
            address = ipaddress.ip_address(ip)
        except ValueError:
            return None
        value = int(address)
        best: tuple[int, RdapOutcome] | None = None
        for (version, first, last), (outcome, expires) in self._ranges.items():
            if version != address.version or not first <= value <= last or expires <= now:
                continue
            if best is None or last - first < best[0]:
                best = (last - first, outcome)
        return None if best is None else best[1]

    def _evict(self) -> None:
        """Drop expired networks, then the oldest entries beyond ``max_entries``."""
        now = self._clock()
        for span in [span for span, (_, expires) in self._ranges.items() if expires <= now]:
            del self._ranges[span]
        while len(self._by_ip) > self._max_entries:
            del self._by_ip[next(iter(self._by_ip))]
        while len(self._ranges) > self._max_entries:
            del self._ranges[next(iter(self._ranges))]


def _span(outcome: RdapOutcome) -> _Span | None:
    """(version, first, last) of an "ok" outcome's network, if it holds the IP asked about.

    A network that does not contain the queried address is a confused or hostile answer;
    it is cached for that IP only, never used for its neighbours."""
    network = outcome.network
    if outcome.status != "ok" or network is None:
        return None
    if network.start_address is None or network.end_address is None:
        return None
    try:
        first = ipaddress.ip_address(network.start_address.strip())
        last = ipaddress.ip_address(network.end_address.strip())
        asked = ipaddress.ip_address(outcome.ip)
    except ValueError:
        return None
    if not (first.version == last.version == asked.version):
        return None
    if not int(first) <= int(asked) <= int(last):
        return None
    return first.version, int(first), int(last)
