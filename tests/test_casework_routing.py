"""Notice and takedown routing: one test per rule, and what holds for any hosting facts."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hotline.casework.routing import KINDS, HostingFacts, Route, route
from hotline.casework.rules import Member, Rules, default_rules

RULES = Rules(
    own_country="NL",
    law_enforcement=Member("National police unit", "unit@police.example"),
    members={"DE": Member("Hotline DE", "reports@hotline-de.example")},
    cdn_desks={"Edge network": "abuse@edge.example"},
    providers={64500: "abuse@provider.example"},
)
HOSTED = HostingFacts(
    country="FR",
    asn=64501,
    provider="Host Example",
    abuse=("abuse@host.example", "noc@host.example"),
)


def _one(routes: list[Route]) -> Route:
    assert len(routes) == 1
    return routes[0]


# rule 3: a member hotline's country


def test_member_country_goes_to_that_hotline() -> None:
    only = _one(route(replace(HOSTED, country="DE"), RULES, cleared=False))
    assert only == Route(
        "hotline",
        "hotline:DE",
        "Hotline DE",
        "reports@hotline-de.example",
        "The site is hosted in DE, where Hotline DE is the member hotline.",
    )


def test_country_codes_compare_in_upper_case() -> None:
    assert _one(route(replace(HOSTED, country="de"), RULES, cleared=False)).recipient == (
        "hotline:DE"
    )


# rule 2: the own country


def test_own_country_not_cleared_waits_for_law_enforcement() -> None:
    only = _one(route(replace(HOSTED, country="NL"), RULES, cleared=False))
    assert only.kind == "law-enforcement"
    assert only.recipient == "police"
    assert only.name == "National police unit"
    assert only.contact == "unit@police.example"
    assert "must clear the URL before any notice" in only.reason


def test_own_country_without_a_unit_in_the_rules() -> None:
    rules = replace(RULES, law_enforcement=None)
    only = _one(route(replace(HOSTED, country="NL"), rules, cleared=False))
    assert (only.kind, only.recipient, only.name, only.contact) == (
        "law-enforcement",
        "police",
        "law enforcement",
        None,
    )


def test_own_country_cleared_goes_to_the_provider() -> None:
    only = _one(route(replace(HOSTED, country="NL"), RULES, cleared=True))
    assert only.kind == "provider"
    assert only.recipient == "provider:AS64501"
    assert only.contact == "abuse@host.example"
    assert only.reason == (
        "The site is hosted in NL, the own country, and law enforcement cleared the URL: "
        "the notice goes to the abuse contact of Host Example (AS64501) from RDAP."
    )


def test_clearance_changes_nothing_elsewhere() -> None:
    for country in ("DE", "FR", None):
        facts = replace(HOSTED, country=country)
        assert route(facts, RULES, cleared=False) == route(facts, RULES, cleared=True)


# rule 4: the provider


def test_no_member_goes_to_the_rdap_abuse_contact() -> None:
    only = _one(route(HOSTED, RULES, cleared=False))
    assert only == Route(
        "provider",
        "provider:AS64501",
        "Host Example (AS64501)",
        "abuse@host.example",
        "The site is hosted in FR, where no member hotline works: the notice goes to the "
        "abuse contact of Host Example (AS64501) from RDAP.",
    )


def test_the_rules_providers_list_overrides_rdap() -> None:
    only = _one(route(replace(HOSTED, asn=64500), RULES, cleared=False))
    assert only.recipient == "provider:AS64500"
    assert only.contact == "abuse@provider.example"
    assert only.reason.endswith("from the rules.")


def test_rdap_text_that_is_no_address_is_skipped() -> None:
    facts = replace(HOSTED, abuse=("see the web form", "a@b@host.example", " abuse@host.example "))
    assert _one(route(facts, RULES, cleared=False)).contact == "abuse@host.example"


def test_no_contact_known_is_unroutable() -> None:
    only = _one(route(replace(HOSTED, abuse=()), RULES, cleared=False))
    assert only == Route(
        "unroutable",
        "unroutable",
        "Host Example (AS64501)",
        None,
        "The site is hosted in FR, where no member hotline works, and no abuse contact is "
        "known for Host Example (AS64501).",
    )


def test_nothing_known_at_all_is_unroutable() -> None:
    only = _one(route(HostingFacts(country=None), RULES, cleared=False))
    assert (only.kind, only.recipient, only.name, only.contact) == (
        "unroutable",
        "unroutable",
        "unknown provider",
        None,
    )
    assert "unknown country" in only.reason


def test_without_an_as_number_the_address_is_the_key() -> None:
    facts = HostingFacts(country="FR", abuse=("Abuse@Host.example",))
    only = _one(route(facts, RULES, cleared=False))
    assert (only.kind, only.recipient, only.name, only.contact) == (
        "provider",
        "provider:abuse@host.example",
        "host.example",
        "Abuse@Host.example",
    )


def test_unknown_country_takes_the_provider_rule() -> None:
    only = _one(route(replace(HOSTED, country=None), RULES, cleared=False))
    assert only.kind == "provider"
    assert only.contact == "abuse@host.example"
    assert only.reason.startswith("The site is hosted in an unknown country:")


def test_without_rules_nothing_waits_for_clearance() -> None:
    only = _one(route(replace(HOSTED, country="NL"), default_rules(), cleared=False))
    assert only.kind == "provider"


# rule 1: behind a CDN

BEHIND = HostingFacts(country="US", asn=64510, provider="Edge network", cdn="Edge network")


def test_cdn_without_a_known_origin_goes_to_the_cdn_desk() -> None:
    only = _one(route(BEHIND, RULES, cleared=False))
    assert only == Route(
        "cdn",
        "cdn:Edge network",
        "Edge network",
        "abuse@edge.example",
        "The site is served through the CDN Edge network, whose abuse desk can pass the "
        "notice on to the origin's host.",
    )


def test_cdn_with_the_origin_in_a_member_country_makes_two_routes() -> None:
    facts = replace(BEHIND, origin_country="DE", origin_asn=64520)
    cdn, origin = route(facts, RULES, cleared=False)
    assert (cdn.kind, cdn.recipient, cdn.contact) == (
        "cdn",
        "cdn:Edge network",
        "abuse@edge.example",
    )
    assert (origin.kind, origin.recipient, origin.contact) == (
        "hotline",
        "hotline:DE",
        "reports@hotline-de.example",
    )
    assert origin.reason == (
        "The site's origin behind Edge network is hosted in DE, where Hotline DE is the "
        "member hotline."
    )


def test_cdn_with_the_origin_at_a_provider() -> None:
    facts = replace(BEHIND, origin_country="FR", origin_asn=64500)
    assert [(r.kind, r.recipient, r.contact) for r in route(facts, RULES, cleared=False)] == [
        ("cdn", "cdn:Edge network", "abuse@edge.example"),
        ("provider", "provider:AS64500", "abuse@provider.example"),
    ]


def test_the_edge_country_is_not_where_the_site_is() -> None:
    # the edge geolocates to the own country; without an origin that says nothing
    facts = replace(BEHIND, country="NL")
    assert _one(route(facts, RULES, cleared=False)).kind == "cdn"


def test_cdn_with_the_origin_in_the_own_country_waits_for_clearance() -> None:
    facts = replace(BEHIND, origin_country="NL", origin_asn=64530, origin_abuse=("a@o.example",))
    only = _one(route(facts, RULES, cleared=False))
    assert only.kind == "law-enforcement"
    assert only.reason.startswith("The site's origin behind Edge network is hosted in NL")
    cdn, origin = route(facts, RULES, cleared=True)
    assert (cdn.kind, origin.kind, origin.recipient) == ("cdn", "provider", "provider:AS64530")


def test_cdn_without_a_desk_is_unroutable_but_the_origin_is_not() -> None:
    facts = replace(BEHIND, cdn="Other edge", origin_country="DE")
    cdn, origin = route(facts, RULES, cleared=False)
    assert (cdn.kind, cdn.recipient, cdn.name, cdn.contact) == (
        "unroutable",
        "unroutable",
        "Other edge",
        None,
    )
    assert "no abuse desk" in cdn.reason
    assert origin.recipient == "hotline:DE"


def test_cdn_and_origin_both_unroutable_make_one_route() -> None:
    facts = replace(BEHIND, cdn="Other edge", origin_country="FR", origin_provider="Origin host")
    only = _one(route(facts, RULES, cleared=False))
    assert (only.kind, only.recipient, only.contact) == ("unroutable", "unroutable", None)
    assert "no abuse desk" in only.reason
    assert "no abuse contact is known for Origin host" in only.reason


def test_over_long_recipient_keys_fit_their_column() -> None:
    address = "a" * 150 + "@host.example"
    only = _one(route(HostingFacts(country="FR", abuse=(address,)), RULES, cleared=False))
    assert only.contact == address
    assert len(only.recipient) <= 128
    assert only.recipient.startswith("provider:")


_COUNTRIES = st.sampled_from([None, "NL", "nl", "DE", "FR", "", "XX"])
_ASNS = st.sampled_from([None, 64500, 64501])
_ABUSE = st.lists(
    st.sampled_from(["abuse@host.example", "x", "", "a@b", "abuse@other.example"]), max_size=3
).map(tuple)
_FACTS = st.builds(
    HostingFacts,
    country=_COUNTRIES,
    asn=_ASNS,
    provider=st.sampled_from([None, "", "Host Example"]),
    abuse=_ABUSE,
    cdn=st.sampled_from([None, "", "Edge network", "Other edge"]),
    origin_country=_COUNTRIES,
    origin_asn=_ASNS,
    origin_provider=st.sampled_from([None, "Origin host"]),
    origin_abuse=_ABUSE,
)


@given(_FACTS, st.booleans(), st.sampled_from([RULES, default_rules()]))
def test_any_facts_route_somewhere_with_a_reason(
    facts: HostingFacts, cleared: bool, rules: Rules
) -> None:
    routes = route(facts, rules, cleared)
    assert 1 <= len(routes) <= 2
    assert len({r.recipient for r in routes}) == len(routes)
    for each in routes:
        assert each.kind in KINDS
        assert each.name
        assert each.reason.startswith("The site")
        assert each.reason.endswith(".")
        assert "://" not in each.reason
        if each.kind == "unroutable":
            assert (each.recipient, each.contact) == ("unroutable", None)
        elif each.kind != "law-enforcement":
            assert each.contact is not None
    if any(r.kind == "law-enforcement" for r in routes):
        assert routes == [r for r in routes if r.kind == "law-enforcement"]
        assert not cleared


@pytest.mark.parametrize("cleared", [False, True])
def test_routing_is_deterministic(cleared: bool) -> None:
    facts = replace(BEHIND, origin_country="NL", origin_asn=64500)
    assert route(facts, RULES, cleared) == route(facts, RULES, cleared)
