"""Live DNS resolution against a real loopback DNS server (no mocks of dnspython)."""

from __future__ import annotations

import ipaddress
import socket
import time
from datetime import UTC

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hotline.hosting.resolve import DnsAnswer, ResolverConfig, resolve_many
from tests.dns_server import (
    DROP_NAME,
    REFUSED_NAME,
    SERVFAIL_NAME,
    DnsTestServer,
    dns_server,
    dns_server_module,
)

__all__ = ["dns_server", "dns_server_module"]  # fixtures, imported for pytest to find

FAST: dict[str, float] = {"timeout": 0.3, "lifetime": 0.3}


def config(server: DnsTestServer, **overrides: object) -> ResolverConfig:
    """A config pointed at the test server; keyword overrides as in ResolverConfig."""
    options: dict[str, object] = {"nameservers": (server.address,), **overrides}
    return ResolverConfig(**options)  # type: ignore[arg-type]


def by_type(answers: list[DnsAnswer]) -> dict[str, DnsAnswer]:
    return {answer.rrtype: answer for answer in answers}


def one(server: DnsTestServer, name: str, rrtype: str, **overrides: object) -> DnsAnswer:
    [answer] = resolve_many([name], config(server, rrtypes=(rrtype,), **overrides))
    return answer


# -- answers ----------------------------------------------------------------------------


def test_a_aaaa_ns_values(dns_server: DnsTestServer) -> None:
    answers = by_type(resolve_many(["shop-alpha.test"], config(dns_server)))

    assert set(answers) == {"A", "AAAA", "NS"}
    assert answers["A"].values == ("192.0.2.10",)
    assert answers["AAAA"].values == ("2001:db8::10",)
    assert answers["NS"].values == ("ns1.dns-host.test", "ns2.dns-host.test")
    for answer in answers.values():
        assert answer.name == "shop-alpha.test"
        assert answer.status == "ok"
        assert answer.cname_chain == ()
        assert answer.ttl == 300
        assert answer.error is None
        assert answer.resolved_at.tzinfo is not None
        assert answer.resolved_at.utcoffset() == UTC.utcoffset(None)


def test_cname_chain_recorded_for_a(dns_server: DnsTestServer) -> None:
    answer = one(dns_server, "www.shop-alpha.test", "A")

    assert answer.status == "ok"
    assert answer.cname_chain == ("edge.cdn.example",)
    assert answer.values == ("192.0.2.9", "192.0.2.200")  # numeric order, not text order


def test_multi_hop_cname_chain_in_order(dns_server: DnsTestServer) -> None:
    answer = one(dns_server, "deep.shop-alpha.test", "A")

    assert answer.cname_chain == ("hop.cdn.example", "edge.cdn.example")
    assert answer.values == ("192.0.2.9", "192.0.2.200")


def test_cname_type_gives_the_target(dns_server: DnsTestServer) -> None:
    answer = one(dns_server, "www.shop-alpha.test", "CNAME")

    assert answer.status == "ok"
    assert answer.values == ("edge.cdn.example",)
    assert answer.cname_chain == ()


def test_truncated_udp_answer_is_retried_over_tcp(dns_server: DnsTestServer) -> None:
    answer = one(dns_server, "big.shop-alpha.test", "A")

    assert answer.status == "ok"
    assert len(answer.values) == 60
    assert answer.values[:2] == ("198.51.100.1", "198.51.100.2")
    assert any(transport == "tcp" for *_, transport in dns_server.queries)


# -- negative and failing answers ----------------------------------------------------------


def test_nxdomain(dns_server: DnsTestServer) -> None:
    answer = one(dns_server, "missing.shop-alpha.test", "A")

    assert answer.status == "nxdomain"
    assert answer.values == ()
    assert answer.ttl == 60  # the SOA's negative TTL
    assert answer.error is None


def test_nxdomain_behind_a_cname_keeps_the_chain(dns_server: DnsTestServer) -> None:
    answer = one(dns_server, "dangling.shop-alpha.test", "A")

    assert answer.status == "nxdomain"
    assert answer.cname_chain == ("gone.cdn.example",)


def test_no_answer_for_a_missing_type(dns_server: DnsTestServer) -> None:
    answers = by_type(resolve_many(["mail-only.shop-alpha.test"], config(dns_server)))

    assert answers["A"].status == "no_answer"
    assert answers["A"].values == ()
    assert answers["A"].error is None
    assert answers["AAAA"].status == "ok"
    assert answers["AAAA"].values == ("2001:db8::25",)


def test_servfail(dns_server: DnsTestServer) -> None:
    answer = one(dns_server, SERVFAIL_NAME, "A", **FAST)

    assert answer.status == "servfail"
    assert answer.error is not None
    assert "SERVFAIL" in answer.error
    assert "\n" not in answer.error


def test_refused(dns_server: DnsTestServer) -> None:
    answer = one(dns_server, REFUSED_NAME, "A", **FAST)

    assert answer.status == "refused"
    assert answer.error is not None
    assert "REFUSED" in answer.error


def test_timeout_when_the_server_never_answers(dns_server: DnsTestServer) -> None:
    started = time.monotonic()
    answer = one(dns_server, DROP_NAME, "A", **FAST)

    assert answer.status == "timeout"
    assert answer.values == ()
    assert answer.error is not None
    assert time.monotonic() - started < 2.0
    assert dns_server.count(DROP_NAME) >= 1


def test_unreachable_server_is_an_error_not_an_exception() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    cfg = ResolverConfig(
        nameservers=(f"127.0.0.1:{closed_port}",), rrtypes=("A",), timeout=0.3, lifetime=0.3
    )

    [answer] = resolve_many(["shop-alpha.test"], cfg)

    assert answer.status in {"error", "timeout"}
    assert answer.error


# -- dedupe, normalisation, concurrency -----------------------------------------------------


def test_duplicates_and_spelling_variants_are_asked_once(dns_server: DnsTestServer) -> None:
    names = ["shop-alpha.test", "Shop-Alpha.TEST", "shop-alpha.test.", "  SHOP-alpha.test.  "]

    answers = resolve_many(names, config(dns_server))

    assert [(a.name, a.rrtype) for a in answers] == [
        ("shop-alpha.test", "A"),
        ("shop-alpha.test", "AAAA"),
        ("shop-alpha.test", "NS"),
    ]
    assert dns_server.counts() == {
        ("shop-alpha.test", "A"): 1,
        ("shop-alpha.test", "AAAA"): 1,
        ("shop-alpha.test", "NS"): 1,
    }


def test_results_keep_first_seen_order(dns_server: DnsTestServer) -> None:
    names = ["slow-1.shop-alpha.test", "shop-alpha.test", "www.shop-alpha.test"]

    answers = resolve_many(names, config(dns_server, rrtypes=("A",)))

    assert [answer.name for answer in answers] == names  # slow-1 answered last, listed first


def test_unicode_names_are_asked_in_idna_form(dns_server: DnsTestServer) -> None:
    answer = one(dns_server, "Bücher.Shop-Alpha.test", "A")

    assert answer.name == "xn--bcher-kva.shop-alpha.test"
    assert answer.status == "nxdomain"
    assert dns_server.count("xn--bcher-kva.shop-alpha.test", "A") == 1


def test_concurrency_is_bounded(dns_server: DnsTestServer) -> None:
    names = [f"slow-{i}.shop-alpha.test" for i in range(12)]

    answers = resolve_many(names, config(dns_server, rrtypes=("A",), concurrency=3))

    assert all(answer.status == "ok" for answer in answers)
    assert [answer.values for answer in answers] == [(f"203.0.113.{i + 1}",) for i in range(12)]
    assert dns_server.count() == 12
    assert 1 < dns_server.max_in_flight <= 3


def test_progress_sees_every_answer(dns_server: DnsTestServer) -> None:
    seen: list[DnsAnswer] = []

    answers = resolve_many(
        ["shop-alpha.test", "bad name.test"], config(dns_server), progress=seen.append
    )

    assert sorted(seen, key=repr) == sorted(answers, key=repr)
    assert len(seen) == 6


# -- invalid names ----------------------------------------------------------------------------

INVALID_NAMES = [
    "",
    "   ",
    ".",
    "a..shop-alpha.test",
    "x" * 64 + ".shop-alpha.test",
    ".".join(["a" * 50] * 5) + ".test",  # 259 characters
    "bad name.shop-alpha.test",
    "bad/name.shop-alpha.test",
    "bad\\.name.shop-alpha.test",
    "*.shop-alpha.test",
    "shop-alpha.test:8080",
]


@pytest.mark.parametrize("name", INVALID_NAMES)
def test_invalid_names_are_errors_without_a_query(dns_server: DnsTestServer, name: str) -> None:
    answers = resolve_many([name], config(dns_server))

    assert [answer.rrtype for answer in answers] == ["A", "AAAA", "NS"]
    assert all(answer.status == "error" and answer.error for answer in answers)
    assert all(answer.values == () and answer.ttl is None for answer in answers)
    assert dns_server.count() == 0


def test_invalid_names_do_not_stop_the_valid_ones(dns_server: DnsTestServer) -> None:
    answers = resolve_many([*INVALID_NAMES, "shop-alpha.test"], config(dns_server, rrtypes=("A",)))

    assert answers[-1].status == "ok"
    assert {answer.status for answer in answers[:-1]} == {"error"}
    assert dns_server.counts() == {("shop-alpha.test", "A"): 1}


def test_longest_valid_name_is_accepted(dns_server: DnsTestServer) -> None:
    name = ".".join(["a" * 63] * 3) + "." + "b" * 56 + ".test"  # 253 characters
    assert len(name) == 253

    answer = one(dns_server, name, "A")

    assert answer.status == "nxdomain"
    assert dns_server.count(name) == 1


# -- configuration ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("192.0.2.53", ("192.0.2.53", 53)),
        ("192.0.2.53:5353", ("192.0.2.53", 5353)),
        (" 198.51.100.7:53 ", ("198.51.100.7", 53)),
        ("2001:db8::53", ("2001:db8::53", 53)),
        ("[2001:db8::53]", ("2001:db8::53", 53)),
        ("[2001:db8::53]:53", ("2001:db8::53", 53)),
        ("[2001:DB8:0::53]:65535", ("2001:db8::53", 65535)),
        ("203.0.113.1:1", ("203.0.113.1", 1)),
    ],
)
def test_parse_nameserver_accepts(text: str, expected: tuple[str, int]) -> None:
    assert ResolverConfig.parse_nameserver(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "  ",
        "ns1.dns-host.test",
        "ns1.dns-host.test:53",
        "192.0.2.53:",
        "192.0.2.53:0",
        "192.0.2.53:65536",
        "192.0.2.53:-1",
        "192.0.2.53:+53",
        "192.0.2.53:5x",
        "192.0.2.53:٥٣",  # non-ASCII digits
        "192.0.2.256",
        "192.000.2.53",
        "[192.0.2.53]:53",
        "[2001:db8::53]:",
        "[2001:db8::53]:99999",
        "[2001:db8::53",
        "2001:db8::zz",
        "192.0.2.53:53:53",
    ],
)
def test_parse_nameserver_rejects(text: str) -> None:
    with pytest.raises(ValueError, match="nameserver"):
        ResolverConfig.parse_nameserver(text)


@given(address=st.ip_addresses(), port=st.integers(min_value=1, max_value=65535))
def test_parse_nameserver_round_trips(
    address: ipaddress.IPv4Address | ipaddress.IPv6Address, port: int
) -> None:
    text = f"{address}:{port}" if address.version == 4 else f"[{address}]:{port}"

    assert ResolverConfig.parse_nameserver(text) == (str(address), port)
    assert ResolverConfig.parse_nameserver(str(address)) == (str(address), 53)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"nameservers": ("ns1.dns-host.test",)}, "not an IP address"),
        ({"rrtypes": ("MX",)}, "unsupported record type"),
        ({"rrtypes": ()}, "at least one record type"),
        ({"concurrency": 0}, "concurrency"),
        ({"timeout": 0}, "timeout"),
        ({"lifetime": -1.0}, "lifetime"),
    ],
)
def test_config_is_validated_up_front(overrides: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ResolverConfig(**overrides)  # type: ignore[arg-type]


def test_nothing_valid_to_resolve_needs_no_resolver() -> None:
    """The system resolver is never consulted here, so this is offline whatever the host."""
    assert resolve_many([], ResolverConfig()) == []
    answers = resolve_many(iter(["", "bad name.test"]), ResolverConfig(rrtypes=("A",)))
    assert [(answer.name, answer.status) for answer in answers] == [
        ("", "error"),
        ("bad name.test", "error"),
    ]


def test_default_config_matches_the_contract() -> None:
    cfg = ResolverConfig()

    assert cfg.nameservers == ()
    assert (cfg.timeout, cfg.lifetime, cfg.concurrency) == (2.0, 5.0, 32)
    assert cfg.rrtypes == ("A", "AAAA", "NS")
