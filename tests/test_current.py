"""The current-hosting rule, on hand-made sightings: each clause of the rule has a case, and
so does the choice of the names that decide (content, never name servers or mail hosts)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from hotline.hosting.current import (
    CONTENT,
    MAIL,
    NAME_SERVER,
    OTHER,
    AddressSighting,
    SiteNames,
    deciding,
    verdict,
)


def _at(month: int, day: int = 1) -> datetime:
    return datetime(2026, month, day, tzinfo=UTC)


def _seen(ip: str, first: int, last: int, country: str | None, asn: int | None = 64500,
          cdn: str | None = None) -> AddressSighting:  # fmt: skip
    return AddressSighting(ip, _at(first), _at(last), country, asn, f"AS{asn}", cdn)


def test_latest_origin_by_last_seen_is_current() -> None:
    found = verdict(
        "domain",
        [_seen("198.51.100.1", 1, 5, "NL"), _seen("203.0.113.9", 4, 9, "RU", 64501),
         _seen("198.51.100.2", 2, 3, "DE", 64502)],
    )  # fmt: skip
    assert (found.status, found.country, found.ip, found.asn) == (
        "hosted",
        "RU",
        "203.0.113.9",
        64501,
    )
    assert found.since == _at(4)
    assert (found.ips, found.asns, found.countries) == (3, 3, 3)
    assert [stay["country"] for stay in found.history] == ["NL", "DE", "RU"]


def test_cdn_addresses_never_count_as_the_hosting_country() -> None:
    found = verdict("domain", [_seen("192.0.2.1", 1, 9, "US", 64496, cdn="Edge")])
    assert (found.status, found.country, found.cdn) == ("behind-cdn", "behind-cdn", "Edge")
    assert found.origin_country is None
    assert found.countries == 0


def test_an_origin_seen_while_behind_the_cdn_is_the_hosting() -> None:
    found = verdict(
        "domain",
        [_seen("192.0.2.1", 1, 9, "US", 64496, cdn="Edge"), _seen("198.51.100.7", 3, 8, "NL")],
    )
    assert (found.status, found.country, found.ip) == ("hosted", "NL", "198.51.100.7")


def test_moving_behind_a_cdn_after_the_last_origin_sighting_is_behind_cdn() -> None:
    found = verdict(
        "domain",
        [_seen("198.51.100.7", 1, 3, "NL"), _seen("192.0.2.1", 4, 9, "US", 64496, cdn="Edge")],
    )
    assert (found.status, found.origin_country) == ("behind-cdn", "NL")


def test_onion_unknown_and_unlocated_addresses() -> None:
    assert verdict("onion", [_seen("198.51.100.7", 1, 3, "NL")]).country == "onion"
    assert verdict("domain", []).status == "unknown"
    nowhere = verdict("domain", [_seen("198.51.100.7", 1, 3, None, None)])
    assert (nowhere.status, nowhere.country) == ("hosted", "unknown")


def test_ties_are_broken_the_same_way_every_time() -> None:
    a, b = _seen("198.51.100.1", 1, 5, "NL"), _seen("198.51.100.2", 1, 5, "DE")
    assert verdict("domain", [a, b]).ip == verdict("domain", [b, a]).ip


# -- which names decide ------------------------------------------------------------------------


def _named(ip: str, first: int, last: int, country: str, host: str, role: str,
           cdn: str | None = None) -> AddressSighting:  # fmt: skip
    return AddressSighting(ip, _at(first), _at(last), country, 64500, "AS64500", cdn, host, role)


def test_a_name_server_seen_later_elsewhere_never_decides() -> None:
    web = _named("198.51.100.1", 1, 5, "NL", "shop.test", CONTENT)
    ns = _named("203.0.113.9", 2, 9, "RU", "ns1.shop.test", NAME_SERVER)
    mail = _named("203.0.113.10", 3, 9, "KZ", "mail.shop.test", MAIL)
    found = verdict("domain", [ns, web, mail])
    assert (found.status, found.country, found.ip) == ("hosted", "NL", "198.51.100.1")
    # hopping counts and history are the web server's only
    assert (found.ips, found.countries, found.last_seen) == (1, 1, _at(5))
    assert [stay["country"] for stay in found.history] == ["NL"]
    # the same sightings without roles: the name server's later address would win
    assert verdict("domain", [replace(s, role=CONTENT) for s in (ns, web, mail)]).country == "KZ"


def test_a_cdn_fronted_site_with_its_own_name_servers_is_behind_cdn() -> None:
    edge = _named("192.0.2.1", 1, 9, "US", "www.shop.test", CONTENT, cdn="Edge")
    ns = _named("203.0.113.9", 1, 9, "RU", "ns1.shop.test", NAME_SERVER)
    found = verdict("domain", [edge, ns])
    assert (found.status, found.country, found.origin_country) == ("behind-cdn", "behind-cdn", None)


def test_other_names_decide_only_without_content_names() -> None:
    other = _named("198.51.100.3", 1, 9, "DE", "static.shop.test", OTHER)
    ns = _named("203.0.113.9", 1, 9, "RU", "ns1.shop.test", NAME_SERVER)
    assert verdict("domain", [other, ns]).country == "DE"
    web = _named("198.51.100.1", 1, 5, "NL", "shop.test", CONTENT)
    assert verdict("domain", [other, ns, web]).country == "NL"
    assert deciding([other, ns, web]) == [web]


def test_name_servers_and_mail_alone_leave_the_hosting_unknown() -> None:
    ns = _named("203.0.113.9", 1, 9, "RU", "ns1.shop.test", NAME_SERVER)
    mail = _named("203.0.113.10", 1, 9, "KZ", "mail.shop.test", MAIL)
    found = verdict("domain", [ns, mail])
    assert (found.status, found.country, found.ips) == ("unknown", "unknown", 0)


def test_roles_of_names_prefer_the_records_to_the_labels() -> None:
    names = SiteNames.of("shop.test", served={"www.shop.test", "img.shop.test"})
    assert {names.role(h) for h in ("shop.test", "www.shop.test", "img.shop.test",
                                    "www.img.shop.test")} == {CONTENT}  # fmt: skip
    # no NS or MX record known: first labels say it
    assert names.role("ns1.shop.test") == names.role("dns2.shop.test") == NAME_SERVER
    assert names.role("mail.shop.test") == names.role("mx1.shop.test") == MAIL
    assert names.role("static.shop.test") == OTHER
    # the label rule holds only under the site's own domain
    assert names.role("ns1.shop.test.example") == OTHER
    recorded = SiteNames.of(
        "shop.test", nameservers={"ns1.shop.test", "a.dns.example"}, mail={"in.shop.test"}
    )
    assert recorded.role("ns1.shop.test") == NAME_SERVER
    assert recorded.role("in.shop.test") == MAIL
    # NS and MX records known: a name they do not point to is no name server or mail host
    assert recorded.role("ns3.shop.test") == OTHER
    assert recorded.role("mail.shop.test") == OTHER
    # a host a URL was reported or captured on serves content, whatever it is called
    assert SiteNames.of("shop.test", served={"ns1.shop.test"}).role("ns1.shop.test") == CONTENT
