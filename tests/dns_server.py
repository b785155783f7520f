"""A small, real authoritative-style DNS server on loopback for the resolver tests.

It speaks UDP and TCP on 127.0.0.1 (ephemeral port) through dnspython's message parsing and
rendering, so the resolver under test does real network I/O and real retries -- no mocks.
Each query is answered on its own thread, which lets a test delay answers and watch how
many queries are in flight at once.

Behaviour names (besides the zone): ``servfail.behaviour.test`` answers SERVFAIL,
``refused.behaviour.test`` answers REFUSED, ``drop.behaviour.test`` never answers. Any
name whose first label starts with ``slow`` is answered from the zone after
``slow_delay`` seconds. Names outside the zone get NXDOMAIN; a zone name without the asked
type gets NOERROR with an empty answer (and an SOA, as a real server would).
"""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
import time
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset
import pytest

Zone = Mapping[str, Mapping[str, Sequence[str]]]

SERVFAIL_NAME = "servfail.behaviour.test"
REFUSED_NAME = "refused.behaviour.test"
DROP_NAME = "drop.behaviour.test"
SOA_TEXT = "ns1.dns-host.test. hostmaster.dns-host.test. 1 3600 600 86400 300"
TTL = 300
POLL = 0.05  # how often the server loops look up to see whether they should stop
UDP_LIMIT = 512  # the resolver sends no EDNS, so classic DNS size rules apply

ZONE: dict[str, dict[str, list[str]]] = {
    "shop-alpha.test": {
        "A": ["192.0.2.10"],
        "AAAA": ["2001:db8::10"],
        "NS": ["ns1.dns-host.test", "NS2.dns-host.test."],
    },
    "www.shop-alpha.test": {"CNAME": ["edge.cdn.example"]},
    "edge.cdn.example": {"A": ["192.0.2.200", "192.0.2.9"]},
    "deep.shop-alpha.test": {"CNAME": ["hop.cdn.example"]},
    "hop.cdn.example": {"CNAME": ["edge.cdn.example"]},
    "dangling.shop-alpha.test": {"CNAME": ["gone.cdn.example"]},
    "mail-only.shop-alpha.test": {"AAAA": ["2001:db8::25"]},
    # More A records than fit in 512 bytes: forces truncation and the TCP retry.
    "big.shop-alpha.test": {"A": [f"198.51.100.{i}" for i in range(1, 61)]},
    **{f"slow-{i}.shop-alpha.test": {"A": [f"203.0.113.{i + 1}"]} for i in range(16)},
}


class DnsTestServer:
    """Serves a zone dict over UDP and TCP on 127.0.0.1 from background threads."""

    def __init__(self, zone: Zone, *, slow_delay: float = 0.2) -> None:
        self.zone = {_key(name): dict(types) for name, types in zone.items()}
        self.slow_delay = slow_delay
        self.queries: list[tuple[str, str, str]] = []  # (name, rrtype, "udp" | "tcp")
        self.max_in_flight = 0
        self._in_flight = 0
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._udp, self._tcp = _bind_pair()
        self.host, self.port = self._udp.getsockname()
        self._threads = [
            threading.Thread(target=self._serve_udp, name="dns-udp", daemon=True),
            threading.Thread(target=self._serve_tcp, name="dns-tcp", daemon=True),
        ]

    @property
    def address(self) -> str:
        """The nameserver as ``ResolverConfig`` takes it."""
        return f"{self.host}:{self.port}"

    def count(self, name: str | None = None, rrtype: str | None = None) -> int:
        """How many queries arrived, optionally for one name and/or type."""
        with self._lock:
            return sum(
                1
                for qname, qtype, _ in self.queries
                if (name is None or qname == name) and (rrtype is None or qtype == rrtype)
            )

    def counts(self) -> Counter[tuple[str, str]]:
        with self._lock:
            return Counter((qname, qtype) for qname, qtype, _ in self.queries)

    def reset(self) -> None:
        with self._lock:
            self.queries.clear()
            self.max_in_flight = 0

    def start(self) -> DnsTestServer:
        for thread in self._threads:
            thread.start()
        return self

    def stop(self) -> None:
        """Stop the loops (they poll every POLL seconds) and release the port."""
        self._stopping.set()
        for thread in self._threads:
            thread.join(timeout=2)
        self._udp.close()
        self._tcp.close()

    # -- transport -------------------------------------------------------------------

    def _serve_udp(self) -> None:
        while not self._stopping.is_set():
            try:
                wire, client = self._udp.recvfrom(65535)
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=self._answer_udp, args=(wire, client), daemon=True).start()

    def _answer_udp(self, wire: bytes, client: tuple[str, int]) -> None:
        reply = self._handle(wire, "udp")
        if reply is not None and not self._stopping.is_set():
            with contextlib.suppress(OSError):  # the server is shutting down
                self._udp.sendto(reply, client)

    def _serve_tcp(self) -> None:
        while not self._stopping.is_set():
            try:
                connection, _ = self._tcp.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=self._answer_tcp, args=(connection,), daemon=True).start()

    def _answer_tcp(self, connection: socket.socket) -> None:
        with connection:
            connection.settimeout(5)
            try:
                while True:
                    header = _recv_exactly(connection, 2)
                    if header is None:
                        return
                    wire = _recv_exactly(connection, struct.unpack("!H", header)[0])
                    if wire is None:
                        return
                    reply = self._handle(wire, "tcp")
                    if reply is not None:
                        connection.sendall(struct.pack("!H", len(reply)) + reply)
            except OSError:
                return

    # -- DNS -------------------------------------------------------------------------

    def _handle(self, wire: bytes, transport: str) -> bytes | None:
        """Parse, count, maybe delay, answer. None means: say nothing (drop)."""
        try:
            query = dns.message.from_wire(wire)
        except dns.exception.DNSException:
            return None
        if not query.question:
            return None
        question = query.question[0]
        name = _key(question.name.to_text())
        rrtype = dns.rdatatype.to_text(question.rdtype)
        with self._lock:
            self.queries.append((name, rrtype, transport))
            self._in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self._in_flight)
        try:
            if name.split(".", 1)[0].startswith("slow"):
                time.sleep(self.slow_delay)
            response = self._respond(query, name, question.rdtype)
            if response is None:
                return None
            return _render(response, transport)
        finally:
            with self._lock:
                self._in_flight -= 1

    def _respond(
        self, query: dns.message.Message, name: str, rdtype: dns.rdatatype.RdataType
    ) -> dns.message.Message | None:
        response = dns.message.make_response(query)
        response.flags |= dns.flags.AA | dns.flags.RA
        if name == DROP_NAME:
            return None
        if name in (SERVFAIL_NAME, REFUSED_NAME):
            response.set_rcode(dns.rcode.SERVFAIL if name == SERVFAIL_NAME else dns.rcode.REFUSED)
            return response
        current = name
        for _ in range(8):  # follow CNAMEs inside the zone, as a recursive server would
            types = self.zone.get(current)
            if types is None:
                response.set_rcode(dns.rcode.NXDOMAIN)
                response.authority.append(_soa(current))
                return response
            wanted = dns.rdatatype.to_text(rdtype)
            if wanted in types:
                response.answer.append(_rrset(current, wanted, types[wanted]))
                return response
            if "CNAME" not in types:
                response.authority.append(_soa(current))
                return response
            response.answer.append(_rrset(current, "CNAME", types["CNAME"]))
            current = _key(types["CNAME"][0])
        return response


def _bind_pair() -> tuple[socket.socket, socket.socket]:
    """A UDP and a TCP socket on the same ephemeral loopback port (retried if taken)."""
    for _ in range(20):
        udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        udp.bind(("127.0.0.1", 0))
        tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            tcp.bind(("127.0.0.1", udp.getsockname()[1]))
        except OSError:
            udp.close()
            tcp.close()
            continue
        tcp.listen(64)
        udp.settimeout(POLL)
        tcp.settimeout(POLL)
        return udp, tcp
    raise RuntimeError("could not bind UDP and TCP to one loopback port")


def _key(name: str) -> str:
    return name.strip().lower().rstrip(".")


def _absolute(text: str) -> str:
    return text if text.endswith(".") else f"{text}."


def _rrset(name: str, rrtype: str, values: Sequence[str]) -> dns.rrset.RRset:
    records = [_absolute(value) if rrtype in ("NS", "CNAME") else value for value in values]
    return dns.rrset.from_text_list(_absolute(name), TTL, "IN", rrtype, records)


def _soa(name: str) -> dns.rrset.RRset:
    """The SOA of the zone holding ``name``: we pretend every zone is the last two labels."""
    apex = ".".join(name.split(".")[-2:])
    return dns.rrset.from_text(_absolute(apex), 60, "IN", "SOA", SOA_TEXT)


def _render(response: dns.message.Message, transport: str) -> bytes:
    """Wire form; over UDP an oversized answer is cut down to a TC-flagged empty reply."""
    if transport == "tcp":
        return response.to_wire()
    try:
        return response.to_wire(max_size=UDP_LIMIT)
    except dns.exception.TooBig:
        response.answer.clear()
        response.authority.clear()
        response.flags |= dns.flags.TC
        return response.to_wire(max_size=UDP_LIMIT)


def _recv_exactly(connection: socket.socket, size: int) -> bytes | None:
    data = b""
    while len(data) < size:
        chunk = connection.recv(size - len(data))
        if not chunk:
            return None
        data += chunk
    return data


@pytest.fixture(scope="module")
def dns_server_module() -> Iterator[DnsTestServer]:
    """One loopback DNS server per test module: starting threads per test is wasted time."""
    server = DnsTestServer(ZONE).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def dns_server(dns_server_module: DnsTestServer) -> DnsTestServer:
    """The module's server with fresh counters, so each test sees only its own queries."""
    dns_server_module.reset()
    return dns_server_module
