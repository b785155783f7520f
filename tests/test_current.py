"""The current-hosting rule, on hand-made sightings: each clause of the rule has a case."""

from __future__ import annotations

from datetime import UTC, datetime

from hotline.hosting.current import AddressSighting, verdict


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
