"""Opt-in live DNS resolution for hosting enrichment (``hotline enrich --resolve``).

Hotlines often work air-gapped, so nothing here runs unless an analyst asks for it. When
they do, we want one honest record per (name, record type): what the resolver said, when,
and -- if it said nothing useful -- why, in words. DNS trouble is data (a site that has
gone NXDOMAIN is itself a finding), so DNS problems never raise; only programming errors do.

Queries go out through dnspython's asyncio resolver with a semaphore around them, so a
list of tens of thousands of names never has more than ``concurrency`` queries in flight
and never floods a hotline's own resolver. Names are asked once per call; caching across
calls is the caller's business, because only the caller knows how stale is too stale.
"""

from __future__ import annotations

import asyncio
import ipaddress
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

import dns.asyncresolver
import dns.exception
import dns.message
import dns.name
import dns.nameserver
import dns.rcode
import dns.rdata
import dns.rdatatype
import dns.rdtypes.IN.A
import dns.rdtypes.IN.AAAA
import dns.rdtypes.nsbase
import dns.resolver
import dns.rrset

__all__ = ["RRTYPES", "DnsAnswer", "DnsStatus", "ResolverConfig", "resolve_many"]

DnsStatus = Literal["ok", "nxdomain", "no_answer", "servfail", "refused", "timeout", "error"]
RRTYPES = ("A", "AAAA", "NS", "CNAME")

DEFAULT_PORT = 53
MAX_NAME_LENGTH = 253  # presentation form without the trailing dot
MAX_LABEL_LENGTH = 63
# Host names: letters, digits, hyphen; underscore too, because real zones use it
# (``_dmarc``, service labels) and refusing it would hide what is actually registered.
_LABEL_RE = re.compile(rb"[a-z0-9_-]{1,63}")
_PORT_RE = re.compile(r"[0-9]{1,5}")
_BRACKETED_RE = re.compile(r"\[(?P<address>[^\[\]]+)\](?::(?P<port>[^:]*))?")


@dataclass(frozen=True, slots=True)
class DnsAnswer:
    """What the resolver said about one (name, record type), at one moment."""

    name: str
    rrtype: str
    status: DnsStatus
    values: tuple[str, ...]
    cname_chain: tuple[str, ...]
    ttl: int | None
    resolved_at: datetime
    error: str | None = None


@dataclass(frozen=True, slots=True)
class ResolverConfig:
    """How to resolve: which servers, how patiently, how many at once, which types.

    Validated on construction so a typo in ``--nameserver`` fails before any query is sent,
    not as thousands of identical per-name errors.
    """

    nameservers: tuple[str, ...] = ()
    timeout: float = 2.0
    lifetime: float = 5.0
    concurrency: int = 32
    rrtypes: tuple[str, ...] = ("A", "AAAA", "NS")

    def __post_init__(self) -> None:
        for text in self.nameservers:
            self.parse_nameserver(text)
        if not self.timeout > 0:
            raise ValueError(f"timeout must be > 0 seconds, got {self.timeout!r}")
        if not self.lifetime > 0:
            raise ValueError(f"lifetime must be > 0 seconds, got {self.lifetime!r}")
        if self.concurrency < 1:
            raise ValueError(f"concurrency must be at least 1, got {self.concurrency!r}")
        if not self.rrtypes:
            raise ValueError("rrtypes must name at least one record type")
        unknown = [rrtype for rrtype in self.rrtypes if rrtype not in RRTYPES]
        if unknown:
            raise ValueError(
                f"unsupported record type(s) {', '.join(map(repr, unknown))}; "
                f"choose from {', '.join(RRTYPES)}"
            )

    @classmethod
    def parse_nameserver(cls, text: str) -> tuple[str, int]:
        """Split ``"192.0.2.53"``, ``"192.0.2.53:5353"`` or ``"[2001:db8::53]:53"``.

        A bare IPv6 address (``"2001:db8::53"``) is accepted with the default port; a port
        on IPv6 needs brackets, because otherwise the last group and the port are
        indistinguishable. Host names are refused: the resolver must be reachable without
        first resolving something, which matters most on air-gapped networks.
        """
        stripped = text.strip()
        if not stripped:
            raise ValueError("nameserver is empty; expected an IP address, optionally :port")
        bracketed = _BRACKETED_RE.fullmatch(stripped)
        if bracketed:
            address_text, port_text = bracketed["address"], bracketed["port"]
            address = _parse_address(address_text, text)
            if address.version != 6:
                raise ValueError(f"nameserver {text!r}: brackets are only for IPv6 addresses")
        elif stripped.count(":") == 1:
            address_text, port_text = stripped.split(":")
            address = _parse_address(address_text, text)
        else:
            address, port_text = _parse_address(stripped, text), None
        port = DEFAULT_PORT if port_text is None else _parse_port(port_text, text)
        return str(address), port


def _parse_address(
    address_text: str, original: str
) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    """An IP address or a ValueError that quotes what the analyst typed."""
    try:
        return ipaddress.ip_address(address_text)
    except ValueError:
        raise ValueError(
            f"nameserver {original!r}: {address_text!r} is not an IP address "
            "(use 192.0.2.53, 192.0.2.53:5353 or [2001:db8::53]:53)"
        ) from None


def _parse_port(port_text: str, original: str) -> int:
    """A port in 1..65535 written in ASCII digits, or a ValueError saying what is wrong."""
    if not _PORT_RE.fullmatch(port_text) or not 1 <= int(port_text) <= 65535:
        raise ValueError(f"nameserver {original!r}: port must be a number from 1 to 65535")
    return int(port_text)


def normalise_name(text: str) -> str | None:
    """The lower-case ASCII (IDNA) form without trailing dot, or None if it is no host name.

    Going through ``dns.name`` gives the same IDNA mapping the resolver itself would use,
    so the name we report is exactly the name we asked about.
    """
    stripped = text.strip()
    if not stripped or stripped == "." or "\\" in stripped:
        return None
    try:
        name = dns.name.from_text(stripped)
    except (dns.exception.DNSException, UnicodeError, ValueError):
        return None
    labels = [label.lower() for label in name.labels if label]
    if not labels or any(not _LABEL_RE.fullmatch(label) for label in labels):
        return None
    ascii_name = b".".join(labels).decode("ascii")
    if len(ascii_name) > MAX_NAME_LENGTH or any(len(lb) > MAX_LABEL_LENGTH for lb in labels):
        return None
    return ascii_name


def _now() -> datetime:
    return datetime.now(UTC)


def _target_text(name: dns.name.Name) -> str:
    return name.to_text(omit_final_dot=True).lower()


def _rdata_value(rdata: dns.rdata.Rdata) -> str:
    """One record's value as we store it: a canonical IP string or a lower-case name."""
    if isinstance(rdata, dns.rdtypes.IN.A.A | dns.rdtypes.IN.AAAA.AAAA):
        return str(ipaddress.ip_address(rdata.address))
    if isinstance(rdata, dns.rdtypes.nsbase.NSBase):
        return _target_text(rdata.target)
    return rdata.to_text()  # pragma: no cover - only the types in RRTYPES are asked for


def _sort_key(value: str) -> tuple[int, int, str]:
    """Numeric order for addresses (192.0.2.9 before 192.0.2.10), text order for names."""
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return (9, 0, value)
    return (address.version, int(address), value)


def _values(rrset: dns.rrset.RRset | None) -> tuple[str, ...]:
    if rrset is None:
        return ()
    return tuple(sorted({_rdata_value(rdata) for rdata in rrset}, key=_sort_key))


def _chain(cnames: Iterable[dns.rrset.RRset]) -> tuple[str, ...]:
    chain: list[str] = []
    for rrset in cnames:
        for rdata in rrset:
            if isinstance(rdata, dns.rdtypes.nsbase.NSBase):
                chain.append(_target_text(rdata.target))
    return tuple(chain)


def _negative_details(response: object) -> tuple[tuple[str, ...], int | None]:
    """CNAME chain and negative TTL (from the SOA) of an NXDOMAIN/NODATA response.

    Best effort: a negative answer without SOA has no meaningful TTL, so we say None
    rather than inventing dnspython's placeholder.
    """
    if not isinstance(response, dns.message.QueryMessage):
        return (), None
    try:
        chaining = response.resolve_chaining()
    except dns.exception.DNSException:
        return (), None
    has_soa = any(
        rrset.rdtype == dns.rdatatype.SOA and chaining.canonical_name.is_subdomain(rrset.name)
        for rrset in response.authority
    )
    return _chain(chaining.cnames), chaining.minimum_ttl if has_soa else None


def _one_line(error: BaseException) -> str:
    text = " ".join(str(error).split())
    return text or type(error).__name__


def _failure_status(error: dns.resolver.NoNameservers) -> DnsStatus:
    """SERVFAIL, REFUSED or a transport error, read from dnspython's per-server trace.

    SERVFAIL wins over REFUSED when servers disagree: it speaks about the domain, while
    REFUSED usually speaks about our access to that server.
    """
    rcodes = set()
    for entry in error.kwargs.get("errors", []):
        response = entry[4] if len(entry) > 4 else None
        if isinstance(response, dns.message.Message):
            rcodes.add(response.rcode())
    if dns.rcode.SERVFAIL in rcodes:
        return "servfail"
    if dns.rcode.REFUSED in rcodes:
        return "refused"
    if rcodes:
        return "servfail"
    return "error"


@dataclass(frozen=True, slots=True)
class _Query:
    name: str
    rrtype: str


def _make_resolver(config: ResolverConfig) -> dns.asyncresolver.Resolver:
    """A fresh, cache-less resolver: the system's when no nameservers are given."""
    resolver = dns.asyncresolver.Resolver(configure=not config.nameservers)
    if config.nameservers:
        resolver.nameservers = [
            dns.nameserver.Do53Nameserver(*ResolverConfig.parse_nameserver(text))
            for text in config.nameservers
        ]
    resolver.timeout = config.timeout
    resolver.lifetime = config.lifetime
    resolver.cache = None
    return resolver


async def _ask(
    resolver: dns.asyncresolver.Resolver, query: _Query, config: ResolverConfig
) -> DnsAnswer:
    """Ask once and turn every DNS outcome into a DnsAnswer."""

    def answer(
        status: DnsStatus,
        values: tuple[str, ...] = (),
        chain: tuple[str, ...] = (),
        ttl: int | None = None,
        error: str | None = None,
    ) -> DnsAnswer:
        return DnsAnswer(query.name, query.rrtype, status, values, chain, ttl, _now(), error)

    qname = dns.name.from_text(query.name)
    try:
        result = await resolver.resolve(qname, query.rrtype, lifetime=config.lifetime, search=False)
    except dns.resolver.NXDOMAIN as error:
        chain, ttl = _negative_details(error.kwargs.get("responses", {}).get(qname))
        return answer("nxdomain", chain=chain, ttl=ttl)
    except dns.resolver.NoAnswer as error:
        chain, ttl = _negative_details(error.kwargs.get("response"))
        return answer("no_answer", chain=chain, ttl=ttl)
    except dns.resolver.NoNameservers as error:
        return answer(_failure_status(error), error=_one_line(error))
    except dns.exception.Timeout as error:  # LifetimeTimeout names the servers it tried
        return answer("timeout", error=_one_line(error))
    except dns.exception.DNSException as error:
        return answer("error", error=_one_line(error))
    chaining = result.chaining_result
    return answer(
        "ok",
        values=_values(chaining.answer),
        chain=_chain(chaining.cnames),
        ttl=chaining.minimum_ttl,
    )


def _plan(names: Iterable[str], rrtypes: tuple[str, ...]) -> tuple[list[_Query], set[str]]:
    """Distinct (name, rrtype) pairs in first-seen order, and which names are invalid."""
    seen: dict[str, bool] = {}
    for raw in names:
        normalised = normalise_name(raw)
        key = normalised if normalised is not None else raw.strip().lower()
        seen.setdefault(key, normalised is not None)
    queries = [_Query(name, rrtype) for name in seen for rrtype in rrtypes]
    return queries, {name for name, valid in seen.items() if not valid}


async def _resolve_all(
    queries: list[_Query],
    invalid: set[str],
    config: ResolverConfig,
    progress: Callable[[DnsAnswer], None] | None,
) -> dict[_Query, DnsAnswer]:
    """Run the queries with at most ``concurrency`` in flight.

    The semaphore is taken before a task is created, so memory stays bounded too: a huge
    name list never turns into a huge pile of waiting tasks.
    """
    results: dict[_Query, DnsAnswer] = {}

    def record(query: _Query, result: DnsAnswer) -> None:
        results[query] = result
        if progress is not None:
            progress(result)

    resolver: dns.asyncresolver.Resolver | None = None
    setup_error: str | None = None
    if any(query.name not in invalid for query in queries):
        try:
            resolver = _make_resolver(config)
        except dns.exception.DNSException as error:  # e.g. no /etc/resolv.conf, air-gapped
            setup_error = f"no usable system resolver: {_one_line(error)}"

    semaphore = asyncio.Semaphore(config.concurrency)
    tasks: set[asyncio.Task[None]] = set()

    async def run(query: _Query, active: dns.asyncresolver.Resolver) -> None:
        try:
            record(query, await _ask(active, query, config))
        finally:
            semaphore.release()

    for query in queries:
        if query.name in invalid:
            record(query, _error(query, "not a valid host name"))
        elif resolver is None:
            record(query, _error(query, setup_error or "no resolver"))
        else:
            await semaphore.acquire()
            task = asyncio.create_task(run(query, resolver))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
    if tasks:
        await asyncio.gather(*tasks)
    return results


def _error(query: _Query, message: str) -> DnsAnswer:
    return DnsAnswer(query.name, query.rrtype, "error", (), (), None, _now(), message)


def resolve_many(
    names: Iterable[str],
    config: ResolverConfig,
    *,
    progress: Callable[[DnsAnswer], None] | None = None,
) -> list[DnsAnswer]:
    """Resolve every distinct name for each of ``config.rrtypes``; one DnsAnswer per pair.

    Results come back in first-seen name order, then ``config.rrtypes`` order, whatever
    order the network answered in; ``progress`` is called as each answer arrives. Runs its
    own event loop (``asyncio.run``), so call it from synchronous code only.
    """
    queries, invalid = _plan(names, config.rrtypes)
    results = asyncio.run(_resolve_all(queries, invalid, config, progress))
    return [results[query] for query in queries]
