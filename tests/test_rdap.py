"""RDAP abuse-contact client: parser on real registry answers, hostile shapes, bootstrap,
and the client against a real HTTP server on the loopback interface (no mocks of httpx)."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, cast

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hotline.hosting.rdap import (
    MAX_RESPONSE_BYTES,
    Bootstrap,
    BootstrapError,
    MemoryRdapCache,
    RdapClient,
    RdapFormatError,
    RdapNetwork,
    RdapOutcome,
    parse_ip_network,
)
from hotline.hosting.rdap_parse import MAX_ENTITY_DEPTH, emails_in_text

VECTORS = Path(__file__).parent / "vectors" / "rdap"
EXPECTED: list[dict[str, Any]] = json.loads((VECTORS / "expected.json").read_text())["files"]

ARIN = "https://rdap.arin.net/registry/"
RIPE = "https://rdap.db.ripe.net/"
APNIC = "https://rdap.apnic.net/"
LACNIC = "https://rdap.lacnic.net/rdap/"
AFRINIC = "https://rdap.afrinic.net/rdap/"

# The IP each vector answers for, the registry IANA's bootstrap names for it, and the
# path of the registry that holds it on the loopback server. 130.59.0.0/16 is early
# registration space transferred to the RIPE NCC inside 130/8, which IANA lists under ARIN:
# the bootstrap names ARIN and ARIN's server redirects to RIPE's.
VECTOR_IPS = {
    "arin-ip.json": ("13.64.0.0", ARIN, "arin"),
    "ripe-ip.json": ("130.59.0.0", ARIN, "ripe"),
    "apnic-ip.json": ("1.1.1.0", APNIC, "apnic"),
    "lacnic-ip.json": ("200.57.141.161", LACNIC, "lacnic"),
    "afrinic-ip.json": ("196.11.240.215", AFRINIC, "afrinic"),
}


def vector(name: str) -> bytes:
    return (VECTORS / name).read_bytes()


def network_doc(**members: object) -> dict[str, object]:
    """A minimal valid ip-network object, members overridden or added."""
    doc: dict[str, object] = {"objectClassName": "ip network", "handle": "NET-TEST"}
    doc.update(members)
    return doc


def abuse_entity(email: str, **members: object) -> dict[str, object]:
    entity: dict[str, object] = {
        "objectClassName": "entity",
        "roles": ["abuse"],
        "vcardArray": ["vcard", [["version", {}, "text", "4.0"], ["email", {}, "text", email]]],
    }
    entity.update(members)
    return entity


# --- parser: the five real registry answers ---------------------------------------------


@pytest.mark.parametrize("case", EXPECTED, ids=[case["file"] for case in EXPECTED])
def test_parse_vectors_match_expected(case: dict[str, Any]) -> None:
    network = parse_ip_network(json.loads(vector(case["file"])))
    assert network.handle == case["handle"]
    assert network.name == case["name"]
    assert network.country == case["country"]
    assert network.start_address == case["startAddress"]
    assert network.end_address == case["endAddress"]
    assert network.ip_version == case["ipVersion"]
    assert network.port43 == case["port43"]
    assert list(network.abuse_emails) == case["abuse_emails"]
    for email in case.get("abuse_email_in_remarks_only", []):
        assert email in network.remarks_emails
        assert email not in network.abuse_emails


def test_afrinic_remark_email_is_fallback_only() -> None:
    network = parse_ip_network(json.loads(vector("afrinic-ip.json")))
    assert network.abuse_emails == ()
    assert network.remarks_emails == ("abuse@mtnbusiness.co.za",)


def test_apnic_remark_naming_a_third_party_is_not_the_abuse_contact() -> None:
    network = parse_ip_network(json.loads(vector("apnic-ip.json")))
    assert network.abuse_emails == ("helpdesk@apnic.net",)
    assert "resolver-abuse@cloudflare.com" not in network.abuse_emails
    assert "resolver-abuse@cloudflare.com" in network.remarks_emails
    # the abuse address is also in an entity remark; it is not repeated as a remark e-mail
    assert "helpdesk@apnic.net" not in network.remarks_emails


def test_lacnic_abuse_role_only_counts_where_it_is_given() -> None:
    network = parse_ip_network(json.loads(vector("lacnic-ip.json")))
    assert network.abuse_emails == ("operacion.redes@TRIARA.COM",)


# --- parser: hostile and odd shapes -----------------------------------------------------


@pytest.mark.parametrize(
    "document",
    [
        [],
        "ip network",
        42,
        None,
        True,
        {},
        {"objectClassName": "entity"},
        {"objectClassName": ["ip network"]},
        network_doc(handle=5),
        network_doc(name=["x"]),
        network_doc(country={"cc": "CH"}),
        network_doc(port43=43),
        network_doc(entities="MAC74-ARIN"),
        network_doc(entities=[1, 2]),
        network_doc(entities=[{"roles": "abuse"}]),
        network_doc(entities=[{"roles": [1]}]),
        network_doc(entities=[{"roles": ["abuse"], "vcardArray": "abuse@example.com"}]),
        network_doc(entities=[{"roles": ["abuse"], "vcardArray": ["vcard", "x"]}]),
        network_doc(entities=[{"roles": ["abuse"], "vcardArray": ["vcard", [["email"]]]}]),
        network_doc(entities=[{"roles": ["abuse"], "vcardArray": ["jcard", []]}]),
        network_doc(remarks="see abuse@example.com"),
        network_doc(remarks=["text"]),
        network_doc(remarks=[{"description": "abuse@example.com"}]),
        network_doc(remarks=[{"description": [1]}]),
        network_doc(startAddress="not-an-ip", endAddress="192.0.2.255"),
        network_doc(startAddress="192.0.2.255", endAddress="192.0.2.0"),
        network_doc(startAddress="192.0.2.0", endAddress="2001:db8::1"),
    ],
)
def test_malformed_shapes_raise_format_error(document: object) -> None:
    with pytest.raises(RdapFormatError):
        parse_ip_network(document)


def test_format_error_is_a_value_error_with_a_reason() -> None:
    with pytest.raises(ValueError, match="objectClassName"):
        parse_ip_network({"objectClassName": "autnum"})
    with pytest.raises(RdapFormatError, match=r"entities\[0\]\.roles"):
        parse_ip_network(network_doc(entities=[{"roles": "abuse"}]))


def nested(depth: int, innermost: dict[str, object]) -> dict[str, object]:
    """A network whose entities nest ``depth`` levels, ``innermost`` at the bottom."""
    entity = innermost
    for _ in range(depth - 1):
        entity = {"objectClassName": "entity", "roles": ["registrant"], "entities": [entity]}
    return network_doc(entities=[entity])


def test_nesting_up_to_the_limit_is_searched() -> None:
    network = parse_ip_network(nested(MAX_ENTITY_DEPTH, abuse_entity("deep@example.com")))
    assert network.abuse_emails == ("deep@example.com",)


def test_absurd_nesting_is_refused_without_recursion() -> None:
    with pytest.raises(RdapFormatError, match="nested deeper"):
        parse_ip_network(nested(MAX_ENTITY_DEPTH + 1, abuse_entity("deep@example.com")))
    with pytest.raises(RdapFormatError):
        parse_ip_network(nested(5000, abuse_entity("deep@example.com")))


def test_huge_entity_array_is_refused() -> None:
    entities = [abuse_entity(f"a{index}@example.com") for index in range(20_000)]
    with pytest.raises(RdapFormatError, match="more than"):
        parse_ip_network(network_doc(entities=entities))


def test_many_entities_below_the_limit_parse() -> None:
    entities = [abuse_entity("same@example.com") for _ in range(2_000)]
    assert parse_ip_network(network_doc(entities=entities)).abuse_emails == ("same@example.com",)


def test_huge_remark_text_is_scanned_quickly() -> None:
    filler = "a" * 500_000 + "@" + "b" * 500_000
    document = network_doc(remarks=[{"description": [filler, "write to abuse@example.net."]}])
    started = time.monotonic()
    network = parse_ip_network(document)
    assert time.monotonic() - started < 2.0
    assert network.remarks_emails == ("abuse@example.net",)


def test_vcard_email_details() -> None:
    entity = abuse_entity("mailto:Abuse@Example.com")
    card = cast(list[Any], entity["vcardArray"])[1]
    card.append(["email", {"type": "work"}, "text", "abuse@example.com"])  # same, other case
    card.append(["EMAIL", {}, "text", "noc@example.com"])  # property names are case-free
    card.append(["email", {}, "text", 7])  # not text: ignored
    card.append(["email", {}, "text", "x" * 300 + "@example.com"])  # absurd: ignored
    card.append(["email", {}, "text", "no at sign"])
    card.append(["tel", {}, "uri", "tel:+1-555-0100"])
    network = parse_ip_network(network_doc(entities=[entity]))
    assert network.abuse_emails == ("Abuse@Example.com", "noc@example.com")


def test_roles_other_than_abuse_do_not_give_abuse_emails() -> None:
    entity = abuse_entity("tech@example.com", roles=["technical", "administrative"])
    network = parse_ip_network(network_doc(entities=[entity]))
    assert network.abuse_emails == ()


def test_missing_members_are_none() -> None:
    network = parse_ip_network({"objectClassName": "ip network"})
    assert network == RdapNetwork(None, None, None, None, None, None, None, (), ())


def test_emails_in_text() -> None:
    text = "Contact <abuse@example.org>, (noc@example.net); not: a@b, @example.com, x@y."
    assert list(emails_in_text(text)) == ["abuse@example.org", "noc@example.net"]


JSON_LEAVES = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20)
JSON_VALUES = st.recursive(
    JSON_LEAVES,
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=10), children, max_size=5)
    ),
    max_leaves=40,
)
RDAP_KEYS = st.sampled_from(
    ["objectClassName", "entities", "roles", "vcardArray", "remarks", "description",
     "handle", "startAddress", "endAddress", "port43", "country", "name"]
)  # fmt: skip
RDAP_LEAVES = JSON_LEAVES | st.sampled_from(
    ["ip network", "entity", "abuse", "vcard", "email", "text", "192.0.2.1", "2001:db8::1",
     "abuse@example.com", "mailto:x@example.org", "see noc@example.net"]
)  # fmt: skip
RDAP_LIKE = st.recursive(
    RDAP_LEAVES,
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(RDAP_KEYS, children, max_size=6)
    ),
    max_leaves=60,
)


def parses_or_refuses(document: object) -> None:
    try:
        result = parse_ip_network(document)
    except RdapFormatError:
        return
    assert isinstance(result, RdapNetwork)
    assert all(isinstance(email, str) for email in result.abuse_emails + result.remarks_emails)


@settings(max_examples=300, deadline=None)
@given(JSON_VALUES)
def test_property_arbitrary_json_parses_or_refuses(document: object) -> None:
    parses_or_refuses(document)


@settings(max_examples=200, deadline=None)
@given(RDAP_LIKE, RDAP_LIKE)
def test_property_rdap_like_json_parses_or_refuses(members: object, entities: object) -> None:
    parses_or_refuses(members)
    if isinstance(members, dict):
        parses_or_refuses({**members, "objectClassName": "ip network", "entities": entities})


# --- bootstrap --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def shipped() -> Bootstrap:
    return Bootstrap.shipped()


@pytest.mark.parametrize(("name", "target"), list(VECTOR_IPS.items()))
def test_shipped_bootstrap_names_the_vectors_registry(
    shipped: Bootstrap, name: str, target: tuple[str, str, str]
) -> None:
    ip, registry, _ = target
    assert shipped.base_urls(ip)[0] == registry


@pytest.mark.parametrize(
    ("ip", "registry"),
    [
        ("2a00:1::1", RIPE),
        ("2a10::1", RIPE),
        ("2001:600:1::1", RIPE),  # inside 2001:600::/23
        ("2600::1", ARIN),
        ("2620:0:1::1", ARIN),
        ("2400:1::1", APNIC),
        ("2410::1", APNIC),
        ("2800:1::1", LACNIC),
        ("2c0f:1::1", AFRINIC),
        ("::ffff:1.1.1.1", APNIC),  # IPv4-mapped is looked up as the IPv4 it carries
    ],
)
def test_shipped_bootstrap_ipv6(shipped: Bootstrap, ip: str, registry: str) -> None:
    assert shipped.base_urls(ip)[0] == registry


@pytest.mark.parametrize(
    "ip",
    [
        "2001:db8::1",  # documentation: inside IANA's 2001::/23, not RIR space
        "2002:c000:204::1",  # 6to4
        "fe80::1",
        "::1",
        "192.0.2.1",  # documentation, although inside ARIN's 192/8
        "198.51.100.7",
        "203.0.113.9",
        "10.1.2.3",
        "192.168.1.1",
        "127.0.0.1",
        "100.64.0.1",
        "224.0.0.1",
        "2a00::1%eth0",  # a zone index names a link, not a registration
        "not an ip",
        "",
    ],
)
def test_shipped_bootstrap_names_nobody_for_special_space(shipped: Bootstrap, ip: str) -> None:
    assert shipped.base_urls(ip) == ()


def test_shipped_bootstrap_covers_every_rir_slash_8(shipped: Bootstrap) -> None:
    missing = [
        n for n in range(1, 224) if n not in (10, 127) and not shipped.base_urls(f"{n}.1.2.3")
    ]
    assert missing == []


def test_https_listed_before_http(shipped: Bootstrap) -> None:
    assert shipped.base_urls("13.64.0.0") == (ARIN, "http://rdap.arin.net/registry/")
    assert shipped.publications
    assert all(p.endswith("Z") for p in shipped.publications)


def write_bootstrap(path: Path, services: list[list[list[str]]]) -> Path:
    document = {"description": "test", "publication": "2026-01-01T00:00:00Z", "version": "1.0"}
    path.write_text(json.dumps({**document, "services": services}))
    return path


def test_longest_prefix_wins(tmp_path: Path) -> None:
    broad = write_bootstrap(tmp_path / "a.json", [[["93.0.0.0/8"], ["https://a.example/"]]])
    narrow = write_bootstrap(
        tmp_path / "b.json",
        [[["93.184.0.0/15", "2a00::/12"], ["https://b.example/rdap"]]],  # no final slash
    )
    bootstrap = Bootstrap.from_files(broad, narrow)
    assert bootstrap.base_urls("93.184.1.1") == ("https://b.example/rdap/",)
    assert bootstrap.base_urls("93.1.1.1") == ("https://a.example/",)
    assert bootstrap.base_urls("2a00::1") == ("https://b.example/rdap/",)
    assert bootstrap.base_urls("13.64.0.0") == ()


@pytest.mark.parametrize(
    "text",
    [
        "not json",
        "[]",
        '{"services": {}}',
        '{"services": [["1.0.0.0/8", "https://x.example/"]]}',
        '{"services": [[["1.0.0.0/33"], ["https://x.example/"]]]}',
        '{"services": [[["1.0.0.1/8"], ["https://x.example/"]]]}',
        '{"services": [[["1.0.0.0/8"], ["ftp://x.example/"]]]}',
        '{"services": [[["1.0.0.0/8"], []]]}',
    ],
)
def test_bad_bootstrap_files_are_refused(tmp_path: Path, text: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(text)
    with pytest.raises(BootstrapError):
        Bootstrap.from_files(path)


def test_bootstrap_needs_a_file(tmp_path: Path) -> None:
    with pytest.raises(BootstrapError):
        Bootstrap.from_files()
    with pytest.raises(BootstrapError, match=r"absent\.json: no such file"):
        Bootstrap.from_files(tmp_path / "absent.json")


# --- a real HTTP server playing the five registries -------------------------------------


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    content_type: str | None = "application/rdap+json"
    send_length: bool = True


@dataclass
class Seen:
    path: str
    headers: dict[str, str]


class FakeRegistries(ThreadingHTTPServer):
    """Answers each path from a script of replies (the last one repeats; 404 if none)."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.lock = threading.Lock()
        self.scripts: dict[str, list[Reply]] = {}
        self.seen: list[Seen] = []

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def script(self, path: str, *replies: Reply) -> None:
        with self.lock:
            self.scripts[path] = list(replies)

    def serve_vector(self, name: str) -> str:
        """Serve a vector at its registry's path; returns the IP to ask about."""
        ip, _, registry = VECTOR_IPS[name]
        self.script(f"/{registry}/ip/{ip}", Reply(body=vector(name)))
        return ip

    def next_reply(self, path: str, headers: dict[str, str]) -> Reply:
        with self.lock:
            self.seen.append(Seen(path, headers))
            script = self.scripts.get(path)
            if not script:
                return Reply(404, b'{"errorCode": 404}')
            return script.pop(0) if len(script) > 1 else script[0]

    def paths(self) -> list[str]:
        with self.lock:
            return [seen.path for seen in self.seen]

    def handle_error(self, request: object, client_address: object) -> None:
        """Clients that gave up (timeout tests) leave broken pipes; they are expected."""


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        server = cast(FakeRegistries, self.server)
        reply = server.next_reply(self.path, dict(self.headers.items()))
        if reply.delay:
            time.sleep(reply.delay)
        try:
            self.send_response(reply.status)
            if reply.content_type is not None:
                self.send_header("Content-Type", reply.content_type)
            if reply.send_length:
                self.send_header("Content-Length", str(len(reply.body)))
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(reply.body)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the tests read the server's own request log."""


@pytest.fixture(autouse=True)
def no_proxies(monkeypatch: pytest.MonkeyPatch) -> None:
    """httpx honours proxy variables; a proxy in the environment must not see loopback tests."""
    for name in (
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "ALL_PROXY",
        "http_proxy",
        "https_proxy",
        "all_proxy",
    ):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def registries() -> Iterator[FakeRegistries]:
    server = FakeRegistries()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def loopback_bootstrap(registries: FakeRegistries, tmp_path: Path) -> Bootstrap:
    """The five RIRs' ranges, each pointed at its own path on the loopback server. RIPE's
    range lists a mirror first that knows nothing (404), as a second base would."""
    base = registries.base
    services = [
        [["13.0.0.0/8"], [f"{base}/arin/"]],
        [["130.0.0.0/8"], [f"{base}/ripe-mirror/", f"{base}/ripe/"]],
        [["1.0.0.0/8"], [f"{base}/apnic/"]],
        [["200.0.0.0/8"], [f"{base}/lacnic/"]],
        [["196.0.0.0/8", "2c00::/12"], [f"{base}/afrinic/"]],
    ]
    return Bootstrap.from_files(write_bootstrap(tmp_path / "loopback.json", services))


class Sleeps:
    """Stands in for time.sleep: records the pauses instead of taking them."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


def make_client(bootstrap: Bootstrap, **options: Any) -> RdapClient:
    options.setdefault("timeout", 2.0)
    options.setdefault("sleep", Sleeps())
    return RdapClient(bootstrap, **options)


@pytest.mark.parametrize("case", EXPECTED, ids=[case["file"] for case in EXPECTED])
def test_lookup_yields_the_abuse_contacts(
    registries: FakeRegistries, loopback_bootstrap: Bootstrap, case: dict[str, Any]
) -> None:
    ip = registries.serve_vector(case["file"])
    with make_client(loopback_bootstrap) as client:
        outcome = client.lookup(ip)
    assert outcome.status == "ok", outcome.error
    assert outcome.error is None
    assert outcome.network is not None
    assert list(outcome.network.abuse_emails) == case["abuse_emails"]
    assert outcome.network.handle == case["handle"]
    assert outcome.fetched_at.tzinfo is not None
    assert outcome.fetched_at.utcoffset() == UTC.utcoffset(None)
    assert outcome.url is not None
    assert outcome.url.endswith(f"/ip/{ip}")


def test_requests_ask_for_rdap_json(
    registries: FakeRegistries, loopback_bootstrap: Bootstrap
) -> None:
    ip = registries.serve_vector("arin-ip.json")
    with make_client(loopback_bootstrap, user_agent="hotline-test/1") as client:
        client.lookup(ip)
    headers = {name.lower(): value for name, value in registries.seen[0].headers.items()}
    assert "application/rdap+json" in headers["accept"]
    assert headers["user-agent"] == "hotline-test/1"


def test_404_from_first_base_tries_the_next(
    registries: FakeRegistries, loopback_bootstrap: Bootstrap
) -> None:
    ip = registries.serve_vector("ripe-ip.json")
    with make_client(loopback_bootstrap) as client:
        outcome = client.lookup(ip)
    assert outcome.status == "ok"
    assert outcome.attempts == 2
    assert registries.paths() == [f"/ripe-mirror/ip/{ip}", f"/ripe/ip/{ip}"]
    assert outcome.url == f"{registries.base}/ripe/ip/{ip}"


@pytest.mark.parametrize("status", [301, 302, 307, 308])
def test_redirect_to_another_registry_is_followed(registries: FakeRegistries, status: int) -> None:
    """As in life: IANA names ARIN for 130/8, ARIN refers 130.59.0.0 to the RIPE NCC."""
    ip = registries.serve_vector("ripe-ip.json")
    target = f"{registries.base}/ripe/ip/{ip}"
    registries.script(f"/arin/ip/{ip}", Reply(status, headers={"Location": target}))
    bootstrap = Bootstrap([("130.0.0.0/8", [f"{registries.base}/arin/"])])
    with make_client(bootstrap) as client:
        outcome = client.lookup(ip)
    assert outcome.status == "ok"
    assert outcome.url == target
    assert outcome.network is not None
    assert outcome.network.abuse_emails == ("abuse@switch.ch",)
    assert outcome.attempts == 1  # one query; the referral is part of it
    assert registries.paths() == [f"/arin/ip/{ip}", f"/ripe/ip/{ip}"]


def test_relative_redirect_is_resolved(registries: FakeRegistries) -> None:
    ip = registries.serve_vector("lacnic-ip.json")
    registries.script(f"/arin/ip/{ip}", Reply(301, headers={"Location": f"../../lacnic/ip/{ip}"}))
    bootstrap = Bootstrap([("200.0.0.0/8", [f"{registries.base}/arin/"])])
    with make_client(bootstrap) as client:
        outcome = client.lookup(ip)
    assert outcome.status == "ok"
    assert outcome.url == f"{registries.base}/lacnic/ip/{ip}"


def test_redirect_to_another_scheme_is_refused(registries: FakeRegistries) -> None:
    ip = "13.64.0.0"
    registries.script(f"/arin/ip/{ip}", Reply(302, headers={"Location": "file:///etc/passwd"}))
    bootstrap = Bootstrap([("13.0.0.0/8", [f"{registries.base}/arin/"])])
    with make_client(bootstrap) as client:
        outcome = client.lookup(ip)
    assert outcome.status == "error"
    assert outcome.error is not None
    assert "file" in outcome.error


def test_redirect_loop_stops_after_max_referrals(registries: FakeRegistries) -> None:
    ip = "13.64.0.0"
    registries.script(f"/arin/ip/{ip}", Reply(302, headers={"Location": f"/arin/ip/{ip}"}))
    bootstrap = Bootstrap([("13.0.0.0/8", [f"{registries.base}/arin/"])])
    with make_client(bootstrap, max_referrals=2) as client:
        outcome = client.lookup(ip)
    assert outcome.status == "error"
    assert outcome.error is not None
    assert "referrals" in outcome.error
    assert len(registries.paths()) == 3  # the query and two referrals


def test_404_everywhere_is_not_found_without_retry(
    registries: FakeRegistries, loopback_bootstrap: Bootstrap
) -> None:
    sleeps = Sleeps()
    with make_client(loopback_bootstrap, sleep=sleeps) as client:
        outcome = client.lookup("13.1.2.3")
    assert outcome.status == "not_found"
    assert outcome.network is None
    assert outcome.attempts == 1
    assert sleeps.calls == []
    assert outcome.error is not None
    assert "404" in outcome.error


def test_429_twice_then_ok_backs_off(
    registries: FakeRegistries, loopback_bootstrap: Bootstrap
) -> None:
    ip = "13.64.0.0"
    registries.script(
        f"/arin/ip/{ip}",
        Reply(429, headers={"Retry-After": "2"}),
        Reply(429),
        Reply(body=vector("arin-ip.json")),
    )
    sleeps = Sleeps()
    with make_client(loopback_bootstrap, sleep=sleeps, backoff=0.25) as client:
        outcome = client.lookup(ip)
    assert outcome.status == "ok"
    assert outcome.attempts == 3
    assert sleeps.calls == [2.0, 0.5]  # Retry-After honoured, then exponential (0.25 * 2)


def test_retry_after_is_capped_and_rate_limit_reported(
    registries: FakeRegistries, loopback_bootstrap: Bootstrap
) -> None:
    registries.script("/arin/ip/13.64.0.0", Reply(429, headers={"Retry-After": "3600"}))
    sleeps = Sleeps()
    options = {"sleep": sleeps, "max_attempts": 3, "max_backoff": 5.0}
    with make_client(loopback_bootstrap, **options) as client:
        outcome = client.lookup("13.64.0.0")
    assert outcome.status == "rate_limited"
    assert outcome.attempts == 3
    assert sleeps.calls == [5.0, 5.0]


def test_500_forever_is_server_error_after_max_attempts(
    registries: FakeRegistries, loopback_bootstrap: Bootstrap
) -> None:
    registries.script("/arin/ip/13.64.0.0", Reply(500, b"oops", content_type="text/plain"))
    sleeps = Sleeps()
    options = {"sleep": sleeps, "max_attempts": 4, "backoff": 1.0, "max_backoff": 3.0}
    with make_client(loopback_bootstrap, **options) as client:
        outcome = client.lookup("13.64.0.0")
    assert outcome.status == "server_error"
    assert outcome.attempts == 4
    assert len(registries.paths()) == 4
    assert sleeps.calls == [1.0, 2.0, 3.0]  # 4.0 capped at max_backoff
    assert outcome.error is not None
    assert "500" in outcome.error


def test_slow_server_is_a_timeout(
    registries: FakeRegistries, loopback_bootstrap: Bootstrap
) -> None:
    registries.script("/arin/ip/13.64.0.0", Reply(body=vector("arin-ip.json"), delay=1.0))
    sleeps = Sleeps()
    with make_client(loopback_bootstrap, timeout=0.2, max_attempts=2, sleep=sleeps) as client:
        outcome = client.lookup("13.64.0.0")
    assert outcome.status == "timeout"
    assert outcome.attempts == 2
    assert len(sleeps.calls) == 1


def test_connection_refused_is_an_error_after_retries() -> None:
    with socket.socket() as probe:  # a port that was free a moment ago: nothing listens
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    bootstrap = Bootstrap([("13.0.0.0/8", [f"http://127.0.0.1:{port}/arin/"])])
    sleeps = Sleeps()
    with make_client(bootstrap, max_attempts=3, sleep=sleeps) as client:
        outcome = client.lookup("13.64.0.0")
    assert outcome.status == "error"
    assert outcome.attempts == 3
    assert len(sleeps.calls) == 2


@pytest.mark.parametrize(
    "reply",
    [
        Reply(body=b"{not json"),
        Reply(body=b"[" * 100_000),  # deep enough to exhaust a recursive decoder
        Reply(body=b'{"objectClassName": "autnum"}'),
        Reply(body=b"\xff\xfe\x00garbage"),
        Reply(body=b"<html>hello</html>", content_type="text/html"),
        Reply(body=b"not gzip at all", headers={"Content-Encoding": "gzip"}),
        Reply(body=b"{}" + b" " * MAX_RESPONSE_BYTES),  # declared too large
        Reply(body=b"{}" + b" " * MAX_RESPONSE_BYTES, send_length=False),  # streamed too large
    ],
    ids=["not-json", "deep", "wrong-class", "binary", "html", "bad-gzip", "large", "large-unsized"],
)
def test_bad_bodies_are_malformed(
    registries: FakeRegistries, loopback_bootstrap: Bootstrap, reply: Reply
) -> None:
    registries.script("/arin/ip/13.64.0.0", reply)
    with make_client(loopback_bootstrap) as client:
        outcome = client.lookup("13.64.0.0")
    assert outcome.status == "malformed"
    assert outcome.network is None
    assert outcome.attempts == 1
    assert outcome.error


def test_invalid_ip_makes_no_request(
    registries: FakeRegistries, loopback_bootstrap: Bootstrap
) -> None:
    with make_client(loopback_bootstrap) as client:
        outcome = client.lookup("13.64.0.0.1")
    assert outcome.status == "error"
    assert outcome.attempts == 0
    assert outcome.ip == "13.64.0.0.1"
    assert registries.paths() == []


def test_unknown_and_special_space_is_no_registry(
    registries: FakeRegistries, loopback_bootstrap: Bootstrap
) -> None:
    with make_client(loopback_bootstrap) as client:
        outcomes = [client.lookup(ip) for ip in ("8.0.0.1", "192.0.2.1", "2001:db8::1")]
    assert [outcome.status for outcome in outcomes] == ["no_registry"] * 3
    assert registries.paths() == []


def test_cache_hit_makes_no_second_request(
    registries: FakeRegistries, loopback_bootstrap: Bootstrap
) -> None:
    ip = registries.serve_vector("apnic-ip.json")
    with make_client(loopback_bootstrap, cache=MemoryRdapCache()) as client:
        first = client.lookup(ip)
        second = client.lookup("1.1.1.0")
    assert first.status == "ok"
    assert second == first
    assert registries.paths() == [f"/apnic/ip/{ip}"]


def test_ip_inside_a_cached_network_is_served_from_cache(
    registries: FakeRegistries, loopback_bootstrap: Bootstrap
) -> None:
    ip = registries.serve_vector("arin-ip.json")  # 13.64.0.0 - 13.107.255.255
    with make_client(loopback_bootstrap, cache=MemoryRdapCache()) as client:
        first = client.lookup(ip)
        inside = client.lookup("13.100.1.2")
        outside = client.lookup("13.200.0.1")
    assert inside.status == "ok"
    assert inside.ip == "13.100.1.2"
    assert inside.network == first.network
    assert outside.status == "not_found"
    assert registries.paths() == [f"/arin/ip/{ip}", "/arin/ip/13.200.0.1"]


def test_lookup_many_is_one_query_per_network(
    registries: FakeRegistries, loopback_bootstrap: Bootstrap
) -> None:
    arin = registries.serve_vector("arin-ip.json")
    afrinic = registries.serve_vector("afrinic-ip.json")
    seen: list[RdapOutcome] = []
    ips = [arin, "13.64.9.9", afrinic, "196.11.239.1", "bogus", arin]
    with make_client(loopback_bootstrap) as client:  # no cache configured
        outcomes = client.lookup_many(ips, progress=seen.append)
    assert [outcome.ip for outcome in outcomes] == ips
    assert [outcome.status for outcome in outcomes] == ["ok"] * 4 + ["error", "ok"]
    assert seen == outcomes
    assert registries.paths() == [f"/arin/ip/{arin}", f"/afrinic/ip/{afrinic}"]


def test_ip_spelling_is_canonical(
    registries: FakeRegistries, loopback_bootstrap: Bootstrap
) -> None:
    registries.script("/afrinic/ip/2c0f:f000::1", Reply(status=404))
    with make_client(loopback_bootstrap) as client:
        outcome = client.lookup("2C0F:F000:0:0::1")
    assert outcome.ip == "2c0f:f000::1"
    assert registries.paths() == ["/afrinic/ip/2c0f:f000::1"]


# --- the cache on its own ---------------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def outcome_for(ip: str, status: str, network: RdapNetwork | None = None) -> RdapOutcome:
    return RdapOutcome(
        ip=ip,
        status=status,  # type: ignore[arg-type]
        network=network,
        url=None,
        attempts=1,
        error=None if status == "ok" else status,
        fetched_at=datetime.now(UTC),
    )


def test_cache_ttls_differ_for_failures() -> None:
    clock = Clock()
    cache = MemoryRdapCache(ttl=100.0, failure_ttl=10.0, clock=clock)
    cache.put(outcome_for("192.0.2.1", "not_found"))
    cache.put(outcome_for("192.0.2.2", "server_error"))
    clock.now += 11
    assert cache.get("192.0.2.1") is not None
    assert cache.get("192.0.2.2") is None
    clock.now += 100
    assert cache.get("192.0.2.1") is None


def test_cache_range_prefers_the_most_specific_network_and_checks_membership() -> None:
    def net(start: str, end: str) -> RdapNetwork:
        return RdapNetwork(None, None, None, start, end, "v4", None, (), ())

    cache = MemoryRdapCache()
    cache.put(outcome_for("203.0.113.200", "ok", net("203.0.113.0", "203.0.113.255")))
    cache.put(outcome_for("203.0.113.65", "ok", net("203.0.113.64", "203.0.113.127")))
    # a network that does not contain the address asked about is never used for neighbours
    cache.put(outcome_for("198.51.100.1", "ok", net("192.0.2.0", "192.0.2.255")))
    hit = cache.get("203.0.113.77")
    assert hit is not None
    assert hit.network is not None
    assert hit.network.start_address == "203.0.113.64"
    hit = cache.get("203.0.113.210")
    assert hit is not None
    assert hit.network is not None
    assert hit.network.start_address == "203.0.113.0"
    assert cache.get("192.0.2.9") is None


def test_cache_is_bounded() -> None:
    cache = MemoryRdapCache(max_entries=3)
    for last in range(10):
        cache.put(outcome_for(f"192.0.2.{last}", "not_found"))
    assert len(cache) == 3
    assert cache.get("192.0.2.0") is None
    assert cache.get("192.0.2.9") is not None
