"""Attribution without a single point of failure: decoys, kit defaults, hubs, confidence.

The method must not let one value — whatever its kind and however many sites carry it —
merge two distributors on its own, nor let one weak commercial kind make a site commercial.
"""

from __future__ import annotations

from itertools import combinations

from hypothesis import given, settings
from hypothesis import strategies as st

from hotline.attribution.method import (
    ASSESSMENT,
    COMMERCIAL,
    NON_COMMERCIAL,
    PLACED,
    SET_ASIDE,
    Clustering,
    Constraints,
    Params,
    band,
    cluster,
    explain_local,
)
from hotline.attribution.table import Link

STRONG_AND_DECOYABLE = (
    "affiliate",
    "btc_address",
    "merchant_id",
    "brand_text",
    "favicon_md5",
    "analytics",
    "email",
)


def _world(shape: list[list[int]]) -> tuple[list[Link], dict[str, str]]:
    """Distributors (a list of brands, each its number of sites) with the usual evidence:
    per brand a name and a logo, per distributor a merchant account, a pool of addresses
    and a partner id; returns the links and each site's true distributor."""
    links: list[Link] = []
    truth: dict[str, str] = {}
    for d, brands in enumerate(shape):
        for b, sites in enumerate(brands):
            for s in range(sites):
                site = f"d{d}-b{b}-s{s}.test"
                truth[site] = f"d{d}"
                links += [
                    (site, "brand_text", f"name{d}x{b}"),
                    (site, "favicon_md5", f"logo{d}x{b}"),
                    (site, "merchant_id", f"pay.d{d}.test|M{d}"),
                    (site, "btc_address", f"bc1qpool{d}x{(b + s) % 2}"),
                    (site, "affiliate", f"aff=P{d}"),
                    (site, "script_host", "cdn.jslibs.example"),
                ]
    return links, truth


def _distributor_of(links: list[Link]) -> dict[str, str | None]:
    result = cluster(links)
    return {
        site: (result.distributor_of[brand] if brand is not None else None)
        for site, brand in result.brand_of.items()
    }


@settings(max_examples=60, deadline=None)
@given(
    shape=st.lists(st.lists(st.integers(1, 3), min_size=2, max_size=4), min_size=3, max_size=6),
    kind=st.sampled_from(STRONG_AND_DECOYABLE),
    picks=st.lists(st.integers(0, 10_000), min_size=3, max_size=40),
)
def test_one_decoy_on_many_unrelated_sites_never_merges_two_distributors(
    shape: list[list[int]], kind: str, picks: list[int]
) -> None:
    links, truth = _world(shape)
    before = _distributor_of(links)
    sites = sorted(truth)
    # the decoy sits on sites of at least three distributors, chosen by hypothesis
    carriers = {sites[p % len(sites)] for p in picks}
    for d in range(3):
        carriers.add(f"d{d}-b0-s0.test")
    decoyed = links + [(site, kind, "DECOY-VALUE") for site in sorted(carriers)]
    after = _distributor_of(decoyed)
    for a, b in combinations(sites, 2):
        if before[a] != before[b]:
            assert after[a] is None or after[a] != after[b], (kind, a, b)


def test_the_world_without_decoys_is_found_exactly() -> None:
    links, truth = _world([[2, 1, 3], [1, 2], [3, 3, 1, 1]])
    found = _distributor_of(links)
    for a, b in combinations(sorted(truth), 2):
        assert (found[a] == found[b]) == (truth[a] == truth[b]), (a, b)


def test_a_kit_default_used_only_by_shops_of_unrelated_distributors_merges_nothing() -> None:
    links, truth = _world([[2, 2], [2, 2], [2, 2], [2, 2]])
    # every shop of every distributor kept the kit's default logo, name and analytics id
    for site in sorted(truth):
        links += [
            (site, "favicon_md5", "kit-logo"),
            (site, "brand_text", "your shop name"),
            (site, "analytics", "G-KITDEFAULT"),
        ]
    found = _distributor_of(links)
    for a, b in combinations(sorted(truth), 2):
        assert (found[a] == found[b]) == (truth[a] == truth[b]), (a, b)
    result = cluster(links)
    kit = next(e for e in result.explain("d0-b0-s0.test", limit=30) if e.value == "kit-logo")
    assert kit.weight == 0
    assert kit.discounted is not None
    assert "kit default" in kit.discounted


def test_a_redirecting_hub_does_not_chain_the_brands_it_sends_visitors_to() -> None:
    links, truth = _world([[2], [2], [2], [2]])
    for d in range(4):  # one shortener sends visitors to a shop of every distributor
        links += [
            ("short.example", "gateway", f"short.example>d{d}-b0-s0.test"),
            (f"d{d}-b0-s0.test", "gateway", f"short.example>d{d}-b0-s0.test"),
        ]
    result = cluster(links)
    assert result.brand_of["short.example"] is None
    found = _distributor_of(links)
    for a, b in combinations(sorted(truth), 2):
        assert (found[a] == found[b]) == (truth[a] == truth[b]), (a, b)


def test_a_named_shortener_is_not_the_majority_of_its_own_links() -> None:
    # the shortener calls itself by a name and the hotlines called it commercial; its short
    # links go to a shop of each of four distributors, and to one domain that shows nothing
    # but the redirect: it is one carrier of its links, not the cluster most of them sit in
    links, truth = _world([[2], [2], [2], [2]])
    links += [
        ("short.example", "brand_text", "zipto short links"),
        ("short.example", ASSESSMENT, COMMERCIAL),
        ("short.example", "gateway", "short.example>bare.test"),
        ("bare.test", "gateway", "short.example>bare.test"),
        ("bare.test", ASSESSMENT, COMMERCIAL),
    ]
    for d in range(4):
        links += [
            ("short.example", "gateway", f"short.example>d{d}-b0-s0.test"),
            (f"d{d}-b0-s0.test", "gateway", f"short.example>d{d}-b0-s0.test"),
        ]
    result = cluster(links)
    assert result.brand_of["short.example"] in (None, "short.example")
    assert result.brand_of["bare.test"] != result.brand_of["short.example"] or (
        result.brand_of["bare.test"] is None
    )
    found = _distributor_of(links)
    for a, b in combinations(sorted(truth), 2):
        assert (found[a] == found[b]) == (truth[a] == truth[b]), (a, b)


def _redirect(source: str, target: str) -> list[Link]:
    """What the reader records when ``source``'s front page sends its visitor to
    ``target``: the gateway on both sites, the redirect on the source alone."""
    value = f"{source}>{target}"
    return [(source, "gateway", value), (target, "gateway", value), (source, "redirect", value)]


def test_a_gateway_of_one_brand_still_joins_it() -> None:
    links, _truth = _world([[2, 2]])
    links += _redirect("go.example", "d0-b1-s0.test")
    result = cluster(links)
    assert result.brand_of["go.example"] == result.brand_of["d0-b1-s0.test"]


def test_one_weak_commercial_kind_does_not_make_a_forum_commercial() -> None:
    links, _truth = _world([[2, 2]])
    # a forum with its own name that tags its outbound links: name and "affiliate" both weak
    links += [
        ("board.example", "brand_text", "quuxboard"),
        ("board.example", "affiliate", "ref=quuxboard"),
        ("board.example", "analytics", "G-BOARD"),
    ]
    result = cluster(links)
    assert result.brand_of["board.example"] is None  # two weak kinds, tied to nothing
    assert result.scores["d0-b0-s0.test"] >= Params().commercial_floor
    tagged_only = cluster([*links[:-3], ("board.example", "affiliate", "ref=quuxboard")])
    assert tagged_only.scores["board.example"] < Params().commercial_floor


def test_a_lone_site_with_a_payment_address_only_stays_unattributed() -> None:
    links, _truth = _world([[2, 2]])
    links += [("forum.example", "btc_address", "bc1qdonations"), ("forum.example", "ip", "x")]
    result = cluster(links)
    assert result.brand_of["forum.example"] is None  # commercial, but tied to nothing


def test_confidence_is_given_for_every_attributed_site_and_banded() -> None:
    links, truth = _world([[3, 1], [1]])
    result = cluster(links)
    assert set(result.confidence) == {s for s, b in result.brand_of.items() if b is not None}
    assert all(0 <= c <= 1 for c in result.confidence.values())
    # a brand of three domains inside a distributor is surer than a one-domain brand
    assert result.confidence["d0-b0-s0.test"] > result.confidence["d0-b1-s0.test"]
    assert band(result.confidence["d0-b0-s0.test"]) == "high"
    assert band(None) == "none"
    assert band(0.1) == "low"
    assert set(truth) >= set(result.confidence)


def test_a_kit_title_and_logo_that_hide_each_other_merge_nothing() -> None:
    # one kit's default title and default logo, each on a different but overlapping set of
    # shops of three distributors: without either, the other still ties the shops together,
    # so neither looks like a bridge on its own; their carriers call themselves by other names
    links, truth = _world([[2], [2], [2]])
    links += [
        ("d0-b0-s0.test", "brand_text", "store name here"),
        ("d1-b0-s0.test", "brand_text", "store name here"),
        ("d2-b0-s0.test", "brand_text", "store name here"),
        ("d0-b0-s1.test", "favicon_md5", "kit-logo"),
        ("d1-b0-s1.test", "favicon_md5", "kit-logo"),
        ("d2-b0-s0.test", "favicon_md5", "kit-logo"),
        ("d1-b0-s0.test", "favicon_md5", "kit-logo"),
    ]
    found = _distributor_of(links)
    for a, b in combinations(sorted(truth), 2):
        assert (found[a] == found[b]) == (truth[a] == truth[b]), (a, b)
    result = cluster(links)
    for value in ("store name here", "kit-logo"):
        evidence = next(e for e in result.explain("d1-b0-s0.test", 30) if e.value == value)
        assert evidence.weight == 0
        assert evidence.discounted is not None
        assert "other names" in evidence.discounted


def test_one_page_naming_several_brands_does_not_dispute_their_names() -> None:
    # a distributor's portal shows the names of its three brands: one carrier, not a dispute
    links, _truth = _world([[3, 3, 3]])
    links += [("portal.test", "brand_text", f"name0x{b}") for b in range(3)]
    links += [("portal.test", "merchant_id", "pay.d0.test|M0")]
    result = cluster(links)
    for b in range(3):
        assert result.brand_of[f"d0-b{b}-s0.test"] == result.brand_of[f"d0-b{b}-s2.test"]
        name = next(e for e in result.explain(f"d0-b{b}-s0.test", 30) if e.value == f"name0x{b}")
        assert name.discounted is None or "other names" not in name.discounted


def test_a_redirect_site_adds_no_identity_to_the_domain_it_serves() -> None:
    # a domain of brand 0 reached through a gateway shares the brand's name; the pair of
    # domain and gateway must not count as a second brand standing apart
    links, _truth = _world([[3, 2]])
    links += [
        ("d0-b0-s9.test", "brand_text", "name0x0"),
        ("d0-b0-s9.test", "merchant_id", "pay.d0.test|M0"),
        *_redirect("go.example", "d0-b0-s9.test"),
    ]
    result = cluster(links)
    assert result.brand_of["d0-b0-s9.test"] == result.brand_of["d0-b0-s0.test"]
    assert result.brand_of["go.example"] == result.brand_of["d0-b0-s0.test"]


def _hosted(links: list[Link], site: str, *servers: str) -> list[Link]:
    return [*links, *((site, "nameserver", ns) for ns in servers), (site, "ip", f"ip-{site}")]


def test_a_site_showing_only_hosting_joins_the_distributor_whose_own_name_servers_it_uses() -> None:
    links, _truth = _world([[3, 3], [2, 2]])
    for site in sorted({s for s, _k, _v in links}):
        links = _hosted(links, site, f"ns1.{site[:2]}-dns.test", "ns1.popular-dns.example")
    # taken down: every capture was an error page, only the name servers are known
    links = _hosted(links, "gone.test", "ns1.d0-dns.test", "ns1.popular-dns.example")
    result = cluster(links)
    brand = result.brand_of["gone.test"]
    assert brand == "gone.test"  # a brand of its own: nothing says which of d0's brands
    home = result.brand_of["d0-b0-s0.test"]
    assert home is not None
    assert result.distributor_of[brand] == result.distributor_of[home]
    assert band(result.confidence["gone.test"]) == "low"
    (how,) = [e for e in result.explain("gone.test") if e.kind == PLACED]
    assert how.level == "distributor"
    assert "ns1.d0-dns.test" in how.value
    # a designer's credit shows nothing of the site's own: a page with only that and its
    # hosting is still a site seen only by its hosting
    signed = cluster([*links, ("gone.test", "credit", "studio.example")])
    assert _home(signed, "gone.test") == _home(signed, "d0-b0-s0.test")
    # a public name server, or a private one also used by a site that shows something but is
    # no shop, attaches nothing
    # (a public one serves sites that show no shop too: here five blogs)
    blogs = [(f"blog{n}.test", "brand_text", f"blog {n}") for n in range(5)]
    for n in range(5):
        blogs = _hosted(blogs, f"blog{n}.test", "ns1.popular-dns.example")
    public = cluster(_hosted(links + blogs, "other.test", "ns1.popular-dns.example"))
    assert public.brand_of["other.test"] is None
    # (without them d0 would run 6 of the 10 sites on it: most of them)
    assert _home(cluster(_hosted(links, "other.test", "ns1.popular-dns.example")), "other.test")
    forum = [*links, ("forum.test", "brand_text", "a forum"), ("forum.test", "analytics", "G-F")]
    for n in range(3):
        forum = _hosted(forum, f"forum{n}.test", "ns1.d1-dns.test")
        forum += [(f"forum{n}.test", "analytics", f"G-F{n}")]
    shared = cluster(_hosted(forum, "lost.test", "ns1.d1-dns.test"))
    assert shared.brand_of["lost.test"] is None  # d1 runs 4 of the 7 sites on it
    # ... while a distributor running most of the sites on it (6 of 7) places, and says so
    one = _hosted([*links, ("board.test", "analytics", "G-B")], "board.test", "ns1.d0-dns.test")
    one = _hosted(one, "lost.test", "ns1.d0-dns.test")
    most = cluster(one)
    assert _home(most, "lost.test") == _home(most, "d0-b0-s0.test")
    (how,) = [e for e in most.explain("lost.test") if e.kind == PLACED]
    assert "6 of the 7 sites that show anything" in how.value
    assert cluster(one, params=Params(private_ns_share=0.9)).brand_of["lost.test"] is None
    # name servers alone do not outweigh the reporting hotlines' "non-commercial"
    said = cluster([*links, ("gone.test", ASSESSMENT, NON_COMMERCIAL)])
    assert said.brand_of["gone.test"] is None


def test_what_the_hotlines_called_non_commercial_needs_more_than_a_donation_address() -> None:
    # a forum with a donation address and a hosting panel's logo that one shop also shows:
    # the reporting hotlines said "not commercial", so it stays out
    links, _truth = _world([[3, 2]])
    links += [("board.test", "btc_address", "bc1qdonate"), ("board.test", "favicon_md5", "logo0x0")]
    # (the verdict alone: a nameless site's own address makes it stand apart too)
    alone = Params(nameless_own_payments=2)
    assert cluster(links, params=alone).brand_of["board.test"] is not None  # the trap
    said = [*links, ("board.test", ASSESSMENT, NON_COMMERCIAL)]
    assert cluster(said, params=alone).brand_of["board.test"] is None
    result = cluster(said)
    assert result.brand_of["board.test"] is None
    assert "board.test" not in result.candidates
    # an analyst's must-link still decides
    must = Constraints(same_brand=(("board.test", "d0-b0-s0.test"),))
    linked = cluster(said, must)
    assert linked.brand_of["board.test"] == linked.brand_of["d0-b0-s0.test"]
    # hotlines misjudge: a site that shows the distributor's merchant account stays in
    paying = cluster([*said, ("board.test", "merchant_id", "pay.d0.test|M0")])
    assert paying.brand_of["board.test"] is not None


def _donating_forum(*, on_brands: int = 1) -> tuple[list[Link], list[Link]]:
    """d0 and d1, with a web agency's mailbox on ``on_brands`` sites of d0's first brand and
    a shared host's name server on d0's second brand (independent witnesses); and the links
    of a forum taking donations through a payment processor (its own merchant id and the
    processor's host) that carries both."""
    links, _truth = _world([[3, 2], [2]])
    links += [(f"d0-b0-s{i}.test", "email", "studio@agency.test") for i in range(on_brands)]
    links += [(f"d0-b1-s{i}.test", "nameserver", "ns1.host.test") for i in range(on_brands)]
    forum = [
        ("board.test", "merchant_id", "pay.big.test|F1"),
        ("board.test", "payment_host", "pay.big.test"),
        ("board.test", "email", "studio@agency.test"),
        ("board.test", "nameserver", "ns1.host.test"),
    ]
    return links, forum


def test_what_the_hotlines_called_non_commercial_needs_a_firm_tie_whatever_its_score() -> None:
    # a forum taking donations through a payment processor (its own merchant id: score
    # 1.6 - 0.6 = 1.0) whose only ties to d0 are a web agency's mailbox and a shared host's
    # name servers, weak values corroborating each other
    links, forum = _donating_forum()
    called = [*links, *forum, ("board.test", ASSESSMENT, NON_COMMERCIAL)]
    switched_off = cluster(called, params=Params(verdict_needs_firm_tie=False))
    assert _home(switched_off, "board.test") == _home(switched_off, "d0-b0-s0.test")  # the trap
    assert cluster(called).brand_of["board.test"] is None
    # without the hotlines' word the same ties place it (weak evidence for a shop is enough)
    unsaid = cluster([*links, *forum])
    assert _home(unsaid, "board.test") == _home(unsaid, "d0-b0-s0.test")
    # a strong value shared with d0 (its address pool) is a firm tie: misjudged, placed
    paying = cluster([*called, ("board.test", "btc_address", "bc1qpool0x0")])
    assert _home(paying, "board.test") == _home(paying, "d0-b0-s0.test")


def test_the_firm_tie_is_the_sites_own_not_its_brands() -> None:
    # a forum the hotlines called non-commercial joins d0's first brand only through a
    # hosting panel's logo that was set aside (it needs corroboration); the brand's other
    # sites share d0's merchant account, the forum does not: no firm tie of its own
    links, _truth = _world([[3, 2], [2]])
    links = [x for x in links if not (x[0].startswith("d0-b0") and x[1] == "favicon_md5")]
    links += [(f"d0-b0-s{i}.test", "favicon_md5", "panel") for i in range(3)]
    links += [("other.test", "btc_address", "bc1qother"), ("other.test", "favicon_md5", "panel")]
    links += [
        ("board.test", "payment_host", "pay.big.test"),
        ("board.test", "affiliate", "aff=B1"),
        ("board.test", "gateway", "g.test>board.test"),
        ("g.test", "gateway", "g.test>board.test"),
        ("g.test", ASSESSMENT, NON_COMMERCIAL),
        ("board.test", "favicon_md5", "panel"),
        ("board.test", ASSESSMENT, NON_COMMERCIAL),
    ]
    off = cluster(links, params=Params(verdict_needs_firm_tie=False))
    assert off.brand_of["board.test"] == off.brand_of["d0-b0-s0.test"]  # the trap
    result = cluster(links)
    assert result.brand_of["board.test"] is None
    assert result.brand_of["d0-b0-s1.test"] == result.brand_of["d0-b0-s0.test"]


def test_what_the_hotlines_called_non_commercial_is_not_placed_by_one_tag() -> None:
    # a forum that names itself, with its own merchant id, tied to d0 by a web agency's
    # mailbox (on three of d0's sites and no others) and a shared host's name servers
    links, forum = _donating_forum(on_brands=2)
    links += [(f"d0-b0-s{i}.test", "email", "studio@agency.test") for i in range(2, 3)]
    links += [
        *forum,
        ("board.test", "brand_text", "the board"),
        ("board.test", ASSESSMENT, NON_COMMERCIAL),
    ]
    off = cluster(links, params=Params(verdict_needs_firm_tie=False))
    assert _home(off, "board.test") == _home(off, "d0-b0-s0.test")  # the trap
    result = cluster(links)
    assert result.brand_of["board.test"] is None
    assert "board.test" not in result.placed  # not put back by the lone-site rule


def test_the_hotlines_calling_a_site_commercial_counts_like_one_weak_kind() -> None:
    links, _truth = _world([[3]])
    links += [("shop.test", "brand_text", "name0x0")]
    weak = cluster(links).scores["shop.test"]
    said = cluster([*links, ("shop.test", ASSESSMENT, COMMERCIAL)]).scores["shop.test"]
    assert said == weak + Params().assessed_commercial


def test_a_site_showing_only_hosting_joins_the_brand_its_domain_spells() -> None:
    links, _truth = _world([[3], [2]])
    links = [(s, k, "zorvexal" if v == "name0x0" else v) for s, k, v in links]
    links += [
        ("zorvexal-shop7.test", "ip", "192.0.2.7"),  # taken down: only its address is known
        ("xn--zorvexal-club2-kvc.test", "ip", "192.0.2.8"),  # a look-alike spelling
        ("xn--bzorvexal-zone3-zvb.test", "ip", "192.0.2.11"),  # "büzorvexal": two added
        ("xn--zrvexl-club4-19j0p.test", "ip", "192.0.2.12"),  # Cyrillic о and а
        ("zorvexalfans.test", "ip", "192.0.2.9"),  # one word: not the name
        ("zorvexal-board.test", "ip", "192.0.2.10"),
        ("zorvexal-board.test", "brand_text", "a board"),  # shows a page of its own
    ]
    result = cluster(links)
    home = result.brand_of["d0-b0-s0.test"]
    assert result.brand_of["zorvexal-shop7.test"] == home
    assert result.brand_of["xn--zorvexal-club2-kvc.test"] == home
    assert result.brand_of["xn--bzorvexal-zone3-zvb.test"] == home
    assert result.brand_of["xn--zrvexl-club4-19j0p.test"] == home
    assert band(result.confidence["zorvexal-shop7.test"]) == "low"
    (how,) = [e for e in result.explain("zorvexal-shop7.test") if e.kind == PLACED]
    assert how.level == "brand"
    assert "zorvexal" in how.value
    assert result.brand_of["zorvexalfans.test"] is None
    assert result.brand_of["zorvexal-board.test"] is None
    # the name it spells outweighs what the hotlines said of a site they may have seen down
    said = cluster([*links, ("zorvexal-shop7.test", ASSESSMENT, NON_COMMERCIAL)])
    assert said.brand_of["zorvexal-shop7.test"] == said.brand_of["d0-b0-s0.test"]


def test_a_site_that_names_nothing_joins_the_brand_its_domain_spells_only_when_vouched_for() -> (
    None
):
    links, _truth = _world([[3], [2]])
    links = [(s, k, "zorvexal" if v == "name0x0" else v) for s, k, v in links]
    shows = [("template", "kit-f00d"), ("analytics", "G-NAMELESS01")]
    # a payment page's host: commercial evidence, and no name
    links += [("zorvexal-shop9.test", k, v) for k, v in shows]
    links += [("zorvexal-shop9.test", "payment_host", "checkout.bigpay.test")]
    # no commercial evidence, but the brand's own logo
    links += [("zorvexal-online2.test", k, v) for k, v in shows]
    links += [("zorvexal-online2.test", "favicon_md5", "logo0x0")]
    # a page about the brand: its name in the domain, nothing else (a review, a mirror list)
    links += [("zorvexal-reviews3.test", k, v) for k, v in shows]
    # called commercial, but it shows another brand's logo
    links += [("zorvexal-store4.test", k, v) for k, v in shows]
    links += [
        ("zorvexal-store4.test", "favicon_md5", "logo1x0"),
        ("zorvexal-store4.test", "merchant_id", "pay.x.test|M9"),
        ("zorvexal-store4.test", ASSESSMENT, COMMERCIAL),
    ]
    # a payment page's host, but the hotlines called it non-commercial
    links += [("zorvexal-fans5.test", k, v) for k, v in shows]
    links += [
        ("zorvexal-fans5.test", "payment_host", "checkout.bigpay.test"),
        ("zorvexal-fans5.test", ASSESSMENT, NON_COMMERCIAL),
    ]
    result = cluster(links)
    home = result.brand_of["d0-b0-s0.test"]
    assert result.brand_of["zorvexal-shop9.test"] == home
    assert result.brand_of["zorvexal-online2.test"] == home
    assert band(result.confidence["zorvexal-shop9.test"]) == "low"
    (how,) = [e for e in result.explain("zorvexal-shop9.test") if e.kind == PLACED]
    assert "names nothing itself" in how.value
    assert result.brand_of["zorvexal-reviews3.test"] is None
    assert result.brand_of["zorvexal-store4.test"] != home
    assert result.brand_of["zorvexal-fans5.test"] is None
    # switched off, none of them is placed by its name
    off = cluster(links, params=Params(spell_nameless=False))
    assert off.brand_of["zorvexal-shop9.test"] is None
    # a site placed by its name never vouches for another, whichever key sorts first: a
    # logo only two nameless sites carry, one of them with commercial evidence
    for first, second in (("zorvexal-a1.test", "zorvexal-b2.test"),
                          ("zorvexal-z1.test", "zorvexal-b2.test")):  # fmt: skip
        pair = [
            *links,
            (first, "payment_host", "checkout.bigpay.test"),
            (first, "favicon_md5", "logo-of-nobody"),
            (second, "favicon_md5", "logo-of-nobody"),
        ]
        placed = cluster(pair)
        assert placed.brand_of[first] == placed.brand_of["d0-b0-s0.test"], first
        assert placed.brand_of[second] is None, (first, second)


def test_a_nameless_brand_of_one_joins_the_brand_its_domain_spells() -> None:
    # A site that names nothing and pays into its distributor's account and an address of
    # its own is a brand of one: nothing at the brand level ties it to the others. Its domain
    # spelling one brand's name places it in that brand, unless its payments tie it to
    # another distributor's brands.
    links, _truth = _world([[3], [2]])
    links = [(s, k, "zorvexal" if v == "name0x0" else v) for s, k, v in links]
    links += [
        ("zorvexal-plus7.test", "merchant_id", "pay.d0.test|M0"),  # its distributor's
        ("zorvexal-plus7.test", "btc_address", "bc1qownaddress7"),
        ("zorvexal-hub8.test", "merchant_id", "pay.d1.test|M1"),  # the other distributor's
        ("zorvexal-hub8.test", "btc_address", "bc1qownaddress8"),
    ]
    without = cluster(links, params=Params(spell_nameless=False))
    home = without.brand_of["d0-b0-s0.test"]
    alone = without.brand_of["zorvexal-plus7.test"]
    assert alone is not None
    assert home is not None
    assert alone != home  # the trap: a brand of one in the right distributor
    assert without.distributor_of[alone] == without.distributor_of[home]
    result = cluster(links)
    assert result.brand_of["zorvexal-plus7.test"] == result.brand_of["d0-b0-s0.test"]
    (how,) = [e for e in result.explain("zorvexal-plus7.test") if e.kind == PLACED]
    assert "spells the brand's name 'zorvexal'" in how.value
    assert band(result.confidence["zorvexal-plus7.test"]) == "low"
    hub = result.brand_of["zorvexal-hub8.test"]
    other = result.brand_of["d1-b0-s0.test"]
    assert hub is not None
    assert other is not None
    assert hub != result.brand_of["d0-b0-s0.test"]
    assert result.distributor_of[hub] == result.distributor_of[other]


def test_placements_after_the_clustering_keep_the_analysts_cannot_links() -> None:
    # The placements by domain name, name servers and a lone brand's tag come after the
    # clustering; an analyst's "not the same" must hold for them as it does for merges.
    links, _truth = _world([[3, 2], [2]])
    links = [(s, k, "zorvexal" if v == "name0x0" else v) for s, k, v in links]
    links += [
        ("zorvexal-plus7.test", "merchant_id", "pay.d0.test|M0"),
        ("zorvexal-plus7.test", "btc_address", "bc1qownaddress7"),
        ("zorvexal-shop9.test", "ip", "192.0.2.9"),  # shows only hosting
    ]
    free = cluster(links)
    home = free.brand_of["d0-b0-s0.test"]
    assert free.brand_of["zorvexal-plus7.test"] == home
    assert free.brand_of["zorvexal-shop9.test"] == home
    apart = cluster(
        links,
        Constraints(
            not_same_brand=(("zorvexal-plus7.test", "d0-b0-s1.test"),),
            not_same_distributor=(("zorvexal-shop9.test", "d0-b1-s0.test"),),
        ),
    )
    home = apart.brand_of["d0-b0-s0.test"]
    assert home is not None
    assert apart.brand_of["zorvexal-plus7.test"] != home  # its own brand, its distributor's
    assert "zorvexal-plus7.test" not in apart.placed
    assert apart.brand_of["zorvexal-shop9.test"] is None
    shop9 = [e for e in apart.explain("zorvexal-shop9.test") if e.kind == PLACED]
    assert shop9 == []


def test_a_decoy_heading_on_many_brands_disputes_itself_not_their_names() -> None:
    # "Weekly picks" and "Our story" head inner pages of the two domains of each of six
    # brands: they are the decoys, and each brand's own name, beside one of them on each of
    # its domains (two other names on two carriers, the shape of a kit's title), stays a name
    links, _truth = _world([[2, 2], [2, 2], [2, 2]])
    for d in range(3):
        for b in (0, 1):
            links += [
                (f"d{d}-b{b}-s0.test", "brand_text", "our story"),
                (f"d{d}-b{b}-s1.test", "brand_text", "weekly picks"),
            ]
    result = cluster(links)
    for d in range(3):
        for b in (0, 1):
            assert result.brand_of[f"d{d}-b{b}-s0.test"] == result.brand_of[f"d{d}-b{b}-s1.test"]
            name = next(
                e for e in result.explain(f"d{d}-b{b}-s0.test", 30) if e.kind == "brand_text"
            )
            assert name.discounted is None, name
    for decoy in ("weekly picks", "our story"):
        assert "other names" in result.notes[("brand_text", decoy)]
    brands = {result.brand_of[f"d{d}-b{b}-s0.test"] for d in range(3) for b in (0, 1)}
    assert len(brands) == 6


def test_product_headings_on_a_few_of_a_brands_domains_do_not_dispute_its_name() -> None:
    # six domains of one brand call themselves "calbel"; two product pages also head
    # themselves with an item; three of the domains show a kit's default logo, which one
    # domain of another brand (named "dovsol" with its onion mirror) shows too
    links: list[Link] = []
    for n in range(6):
        links += [
            (f"calbel{n}.test", "brand_text", "calbel"),
            (f"calbel{n}.test", "merchant_id", "pay.example|A"),
        ]
    links += [
        ("calbel4.test", "brand_text", "classic bundle 5431"),
        ("calbel5.test", "brand_text", "limited edition 9393"),
        *((f"calbel{n}.test", "favicon_md5", "kit-logo") for n in range(3)),
        ("dovsol.test", "brand_text", "dovsol"),
        ("dovsol.test", "favicon_md5", "kit-logo"),
        ("dovsol.test", "merchant_id", "pay.example|B"),
        ("dovsolabc.onion", "brand_text", "dovsol"),
        ("dovsolabc.onion", "merchant_id", "pay.example|B"),
    ]
    result = cluster(links)
    # (a domain with a heading of its own may stand apart: the heading is a name only it
    # shows, and the store's links keep it; the point here is the name and the logo)
    calbel = {result.brand_of[f"calbel{n}.test"] for n in range(4)}
    assert len(calbel) == 1
    assert None not in calbel
    assert result.brand_of["dovsol.test"] == result.brand_of["dovsolabc.onion"]
    assert result.brand_of["dovsol.test"] not in calbel
    assert _home(result, "dovsol.test") != _home(result, "calbel0.test")
    # the brand's own name is not taken for a kit's title
    assert "other names" not in result.notes.get(("brand_text", "calbel"), "")


def test_what_a_kit_plants_travels_with_its_disputed_title() -> None:
    # a kit's default title on shops of three distributors (disputed: they call themselves
    # by other names) and its analytics id on most of the same shops: the id is the kit's
    # too, one witness with the title, and counts nothing; a layout that only two of them
    # share is not the kit's by this rule
    links, _truth = _world([[2, 2], [2, 2], [2, 2]])
    kit = [f"d{d}-b0-s{n}.test" for d in range(3) for n in range(2)][:5]
    links += [(site, "brand_text", "kit store") for site in kit]
    links += [(site, "analytics", "G-KITDEFAULT") for site in kit[:4]]
    links += [
        ("trek.test", "brand_text", "trek"),
        ("trek.test", "brand_text", "kit store"),
        ("trek.test", "analytics", "G-KITDEFAULT"),
        ("trek.test", "merchant_id", "pay.example|T1"),
        ("trek.test", "template", "t-kit"),
        ("d0-b0-s0.test", "template", "t-kit"),
    ]
    result = cluster(links)
    assert "spans" in result.notes[("brand_text", "kit store")]
    note = result.notes[("analytics", "G-KITDEFAULT")]
    assert note.startswith("travels with a value that spans"), note
    assert ("template", "t-kit") not in result.notes
    tag = next(e for e in result.explain("d0-b0-s0.test", 30) if e.value == "G-KITDEFAULT")
    assert tag.weight == 0.0
    off = cluster(links, params=Params(kit_values_travel=False))
    assert ("analytics", "G-KITDEFAULT") not in off.notes
    # on fewer than half of the title's shops beside others of its own, a tag is not the kit's
    own = [(f"d0-b1-s{n}.test", "analytics", "G-KITDEFAULT") for n in range(2)]
    own += [(f"d0-b0-s{n}.test", "analytics", "G-KITDEFAULT") for n in range(2)]
    links_own = [link for link in links if link[2] != "G-KITDEFAULT"] + own
    assert ("analytics", "G-KITDEFAULT") not in cluster(links_own).notes
    # the shops' own evidence still holds them together
    assert _home(result, "d0-b0-s0.test") == _home(result, "d0-b1-s1.test")


def test_which_of_equally_disputed_names_is_the_decoy_is_not_decided_by_spelling() -> None:
    # two brands, two decoy headings: every name is disputed as often as every decoy; the
    # outcome must not change when the decoys are spelt to sort before the brands' names
    def partition(first: str, second: str) -> set[frozenset[str]]:
        links, _truth = _world([[2], [2]])
        for d in range(2):
            links += [
                (f"d{d}-b0-s0.test", "brand_text", first),
                (f"d{d}-b0-s1.test", "brand_text", second),
            ]
        result = cluster(links)
        groups: dict[str | None, set[str]] = {}
        for site, brand in result.brand_of.items():
            groups.setdefault(brand, set()).add(site)
        return {frozenset(g) for b, g in groups.items() if b is not None}

    assert partition("our story", "weekly picks") == partition("aaa story", "aab picks")


def test_variants_of_a_brand_name_are_no_dispute() -> None:
    # one brand's domains call themselves "zorvex" (two of them), "zorvex shop" and "zorvex
    # store", one logo on all four
    links, _truth = _world([[4], [2]])
    variants = ("zorvex", "zorvex", "zorvex shop", "zorvex store")
    links = [(s, k, variants[int(s[7])] if v == "name0x0" else v) for s, k, v in links]
    result = cluster(links)
    brand = result.brand_of["d0-b0-s0.test"]
    assert all(result.brand_of[f"d0-b0-s{n}.test"] == brand for n in range(4))
    assert result.brand_of["d1-b0-s0.test"] != brand
    for site in ("d0-b0-s2.test", "d0-b0-s3.test"):
        for e in result.explain(site, 30):
            assert e.discounted is None or "other names" not in e.discounted, e


def test_a_nameless_site_paying_only_into_its_own_accounts_is_not_tied_by_a_logo() -> None:
    # a forum with its own donation address and donate button shows a hosting panel's logo
    # that one shop also shows: nothing but the logo ties them
    links, _truth = _world([[3, 2]])
    logo = [("board.test", "favicon_md5", "logo0x1")]
    address = [("board.test", "btc_address", "bc1qdonate")]
    # one donation address of its own is enough to stand apart
    assert cluster([*links, *logo, *address]).brand_of["board.test"] is None
    once = cluster([*links, *logo, *address], params=Params(nameless_own_payments=2))
    assert once.brand_of["board.test"] == once.brand_of["d0-b1-s0.test"]  # the trap
    # ... and a donation address is no tie when it is the brand's own pool
    pool = cluster([*links, *logo, ("board.test", "btc_address", "bc1qpool0x1")])
    assert pool.brand_of["board.test"] == pool.brand_of["d0-b1-s0.test"]
    links += [*logo, *address, ("board.test", "merchant_id", "pay.example|DONATE1")]
    assert cluster(links).brand_of["board.test"] is None
    # a domain of the brand with accounts of its own still joins by the brand's name
    links += [
        ("d0-b1-s9.test", "btc_address", "bc1qown"),
        ("d0-b1-s9.test", "merchant_id", "pay.example|OWN1"),
        ("d0-b1-s9.test", "brand_text", "name0x1"),
        ("d0-b1-s9.test", "favicon_md5", "logo0x1"),
    ]
    result = cluster(links)
    assert result.brand_of["d0-b1-s9.test"] == result.brand_of["d0-b1-s0.test"]


def _tagged(links: list[Link], distributor: str, tag: str) -> list[Link]:
    """Every site of ``distributor`` also carries the analytics id ``tag``."""
    sites = sorted({s for s, _k, _v in links if s.startswith(f"{distributor}-")})
    return [*links, *((site, "analytics", tag) for site in sites)]


def _d0_sites(links: list[Link]) -> list[str]:
    return sorted({s for s, _k, _v in links if s.startswith("d0-")})


def _home(result: Clustering, site: str) -> str | None:
    """The distributor ``site`` was attributed to, None when unattributed."""
    brand = result.brand_of[site]
    return result.distributor_of[brand] if brand is not None else None


def _solo(site: str, *extra: tuple[str, str]) -> list[Link]:
    """A single-domain shop that names itself, tagged like d0's sites, called commercial."""
    return [
        (site, "brand_text", site.split(".")[0]),
        (site, "analytics", "G-OPERATOR0"),
        (site, ASSESSMENT, COMMERCIAL),
        *((site, kind, value) for kind, value in extra),
    ]


def test_a_lone_shop_joins_the_distributor_whose_sites_alone_carry_its_tag() -> None:
    links, _truth = _world([[2, 2], [2, 2]])
    links = _tagged(links, "d0", "G-OPERATOR0") + _solo("solo.test")
    result = cluster(links)
    brand = result.brand_of["solo.test"]
    assert brand == "solo.test"  # a brand of its own: nothing says which of d0's brands
    assert result.distributor_of[brand] == _home(result, "d0-b0-s0.test")
    assert result.distributor_of[brand] != _home(result, "d1-b0-s0.test")
    assert band(result.confidence["solo.test"]) == "low"
    (how,) = [e for e in result.explain("solo.test") if e.kind == PLACED]
    assert how.level == "distributor"
    assert "G-OPERATOR0" in how.value
    # one payment account of its own is a brand's own merchant account: still placed
    own = cluster([*links, ("solo.test", "merchant_id", "pay.solo.test|S1")])
    assert _home(own, "solo.test") == _home(own, "d0-b0-s0.test")


def test_a_lone_shop_is_not_placed_by_a_tag_that_others_carry_too() -> None:
    links, _truth = _world([[2, 2], [2, 2]])
    links = _tagged(links, "d0", "G-OPERATOR0") + _solo("solo.test")
    # the tag also on one site of another distributor: an agency's or a kit's, not d0's
    agency = cluster([*links, ("d1-b0-s0.test", "analytics", "G-OPERATOR0")])
    assert agency.brand_of["solo.test"] is None
    # ... or on a site that shows something but is nobody's
    stray = [("page.test", "analytics", "G-OPERATOR0"), ("page.test", "template", "t-page")]
    assert cluster(links + stray).brand_of["solo.test"] is None
    # too few sites carry it to say whose it is
    few, _truth = _world([[1, 1], [2, 2]])
    few = _tagged(few, "d0", "G-OPERATOR0") + _solo("solo.test")
    assert cluster(few).brand_of["solo.test"] is None


def test_a_lone_site_that_carries_an_agencys_mailbox_is_not_placed_by_its_other_tag() -> None:
    # a forum the hotlines misjudged, with a donation account of its own, carries an
    # agency's analytics id (on d0's sites only) and the agency's mailbox, which is also on a
    # site of d1 and on another forum: it is the agency's client, not d0's brand
    links, _truth = _world([[2, 2], [2, 2]])
    links = _tagged(links, "d0", "G-OPERATOR0") + _solo(
        "board.test", ("merchant_id", "pay.example|DONATE1"), ("email", "hello@agency.example")
    )
    assert _home(cluster(links), "board.test") == _home(cluster(links), "d0-b0-s0.test")
    agency = [
        ("board.test", "email", "hello@agency.example"),
        ("d1-b0-s0.test", "email", "hello@agency.example"),
        ("other-board.test", "email", "hello@agency.example"),
        ("other-board.test", "template", "t-board"),
    ]
    assert cluster(links + agency).brand_of["board.test"] is None
    # the mailbox on one page nobody runs (or on d0's sites and such a page) says nothing
    bare = [("page.test", "email", "hello@agency.example"), ("page.test", "template", "t-p")]
    assert _home(cluster(links + bare), "board.test") == _home(cluster(links), "d0-b0-s0.test")
    # a shop with two more of d0's tags: the operator's tags outnumber the shared one
    more = [
        *((s, "analytics", f"G-OPERATOR{n}") for n in (1, 2) for s in _d0_sites(links)),
        *(("board.test", "analytics", f"G-OPERATOR{n}") for n in (1, 2)),
    ]
    result = cluster(links + agency + more)
    assert _home(result, "board.test") == _home(result, "d0-b0-s0.test")
    # the mailbox on d0's sites only says nothing against d0: still placed
    own = [(f"d0-b{b}-s{n}.test", "email", "hello@agency.example") for b in (0, 1) for n in (0, 1)]
    result = cluster(links + own)
    assert _home(result, "board.test") == _home(result, "d0-b0-s0.test")


def test_only_a_shop_that_names_itself_and_pays_into_no_accounts_of_its_own_is_placed() -> None:
    links, _truth = _world([[2, 2], [2, 2]])
    links = _tagged(links, "d0", "G-OPERATOR0")
    # a forum with a donation account and the tag its web designer put on d0's shops
    forum = [
        ("forum.test", "analytics", "G-OPERATOR0"),
        ("forum.test", "merchant_id", "pay.bigpay.example|F1"),
        ("forum.test", ASSESSMENT, COMMERCIAL),
    ]
    assert cluster(links + forum).brand_of["forum.test"] is None
    # a shop paying into two accounts nobody else uses stands apart
    apart = _solo("solo.test", ("btc_address", "bc1qsolo0"), ("merchant_id", "pay.solo.test|S"))
    assert cluster(links + apart).brand_of["solo.test"] is None
    # what the hotlines called non-commercial, with nothing commercial shown, is no shop
    said = [*_solo("solo.test")[:2], ("solo.test", ASSESSMENT, NON_COMMERCIAL)]
    assert cluster(links + said).brand_of["solo.test"] is None


def test_a_brand_that_is_a_distributor_of_its_own_joins_by_its_operators_tag() -> None:
    links, _truth = _world([[2, 2], [2, 2]])
    links = _tagged(links, "d0", "G-OPERATOR0")
    # two domains of one brand, tied by their name, no payment seen, d0's tag on both
    pair = [*_solo("pair.test"), *_solo("pair-shop.test")]
    pair = [(s, k, "pair" if k == "brand_text" else v) for s, k, v in pair]
    result = cluster(links + pair)
    brand = result.brand_of["pair.test"]
    assert brand is not None
    assert result.brand_of["pair-shop.test"] == brand
    assert result.distributor_of[brand] == _home(result, "d0-b0-s0.test")


def test_a_nameless_page_the_hotlines_called_commercial_joins_by_its_operators_tag() -> None:
    links, _truth = _world([[2, 2], [2, 2]])
    links = _tagged(links, "d0", "G-OPERATOR0")
    # no title, no payment: a logo of its own, a kit's template and the operator's tag
    page = [
        ("page.test", "favicon_md5", "logo-page"),
        ("page.test", "template", "t-kit"),
        ("page.test", "analytics", "G-OPERATOR0"),
    ]
    said = [("page.test", ASSESSMENT, COMMERCIAL)]
    result = cluster(links + page + said)
    assert _home(result, "page.test") == _home(result, "d0-b0-s0.test")
    assert band(result.confidence["page.test"]) == "low"
    off = cluster(links + page + said, params=Params(lone_by_verdict=False))
    assert off.brand_of["page.test"] is None
    # without the hotlines' word such a page is nobody's (a client of d0's web designer)
    assert cluster(links + page).brand_of["page.test"] is None
    # ... and with it, a tag that another distributor's site carries too places nothing
    shared = [("d1-b0-s0.test", "analytics", "G-OPERATOR0")]
    assert cluster(links + page + said + shared).brand_of["page.test"] is None


def test_a_tag_that_travels_with_the_designers_credit_the_page_carries_places_nothing() -> None:
    # a designer who builds d0's shops only signs them ("Site by studio.example") and puts
    # its tag on them; a page of a client of its, which the hotlines took for a shop, names
    # itself and carries the same credit and tag: the tag is the designer's as much as d0's
    links, _truth = _world([[2, 2], [2, 2]])
    links = _tagged(links, "d0", "G-STUDIO00")
    signed = [(s, "credit", "studio.example") for s in _d0_sites(links)]
    client = [
        ("board.test", "brand_text", "board"),
        ("board.test", "analytics", "G-STUDIO00"),
        ("board.test", ASSESSMENT, COMMERCIAL),
    ]
    credit = [("board.test", "credit", "studio.example")]
    assert cluster(links + signed + client + credit).brand_of["board.test"] is None
    off = cluster(links + signed + client + credit, params=Params(lone_credit_share=0))
    assert _home(off, "board.test") == _home(off, "d0-b0-s0.test")
    # without the credit on the page, or on too few of the tag's other carriers, the tag is
    # the operator's and places the page
    unsigned = cluster(links + signed + client)
    assert _home(unsigned, "board.test") == _home(unsigned, "d0-b0-s0.test")
    few = cluster(links + signed[:1] + client + credit)
    assert _home(few, "board.test") == _home(few, "d0-b0-s0.test")
    # another designer's credit on the page says nothing about this tag
    other = [("board.test", "credit", "elsewhere.example")]
    result = cluster(links + signed + client + other)
    assert _home(result, "board.test") == _home(result, "d0-b0-s0.test")
    # a credit on the sites of three or more distributors is a theme's or a platform's
    # default ("Designed by <theme vendor>"): it doubts nothing, and the tag places the page
    links3, _truth = _world([[2, 2], [2, 2], [2], [2]])
    links3 = _tagged(links3, "d0", "G-STUDIO00")
    everywhere = [(s, "credit", "studio.example") for s, _k, _v in links3]
    theme = cluster(links3 + everywhere + client + credit)
    assert _home(theme, "board.test") == _home(theme, "d0-b0-s0.test")
    assert _home(cluster(links3 + signed + client + credit), "board.test") is None
    # the credit links nothing on its own: two pages signed by one designer stay apart
    pair = [
        (f"{name}{n}.test", kind, value)
        for name in ("alpha", "beta")
        for n in (1, 2)
        for kind, value in (
            ("brand_text", name),
            ("merchant_id", f"pay.example|{name}"),
            ("credit", "studio.example"),
        )
    ]
    apart = cluster(pair)
    alpha, beta = apart.brand_of["alpha1.test"], apart.brand_of["beta1.test"]
    assert alpha is not None
    assert beta is not None
    assert alpha != beta
    assert apart.distributor_of[alpha] != apart.distributor_of[beta]


def test_a_page_commercial_only_by_the_hotlines_word_needs_a_firm_tie() -> None:
    # an agency that builds d0's shops only: its tag and mailbox on every one of them, and on
    # a client's page the hotlines took for a shop (a name of its own, nothing it sells)
    links, _truth = _world([[2, 2], [2, 2]])
    links = _tagged(links, "d0", "G-AGENCY0")
    links += [(s, "email", "hello@agency.example") for s in _d0_sites(links)]
    client = [
        ("board.test", "brand_text", "board"),
        ("board.test", "analytics", "G-AGENCY0"),
        ("board.test", "email", "hello@agency.example"),
        ("board.test", ASSESSMENT, COMMERCIAL),
    ]
    # ... and on three more of its clients' pages, which nobody runs (misjudged too)
    others = [
        (f"blog{n}.test", kind, value)
        for n in range(3)
        for kind, value in (
            ("brand_text", f"blog{n}"),
            ("analytics", "G-AGENCY0"),
            (ASSESSMENT, COMMERCIAL),
        )
    ]
    links += client + others
    # two weak values of one agency were enough to join d0 on the hotlines' word alone
    off = cluster(links, params=Params(word_needs_firm_tie=False))
    assert _home(off, "board.test") == _home(off, "d0-b0-s0.test")
    result = cluster(links)
    assert result.brand_of["board.test"] is None
    # nor does the tag place the clients one by one: four stand-alone sites share it
    assert all(result.brand_of[f"blog{n}.test"] is None for n in range(3))
    crowd = cluster(links, params=Params(lone_crowd_counts=False))
    assert _home(crowd, "blog0.test") == _home(crowd, "d0-b0-s0.test")
    # a page that shows something commercial of its own still joins by them
    paying = cluster([*links, ("board.test", "payment_host", "pay.bigpay.example")])
    assert _home(paying, "board.test") == _home(paying, "d0-b0-s0.test")
    # ... and so does one on d0's own name servers (a parked domain of d0's on them, known
    # only by its hosting, does not make them anyone else's)
    own = [(s, "nameserver", "ns1.d0-own.test") for s in [*_d0_sites(links), "board.test"]]
    parked = [("parked.test", "nameserver", "ns1.d0-own.test")]
    hosted = cluster(links + own + parked)
    assert _home(hosted, "board.test") == _home(hosted, "d0-b0-s0.test")
    # (a site that shows something and is nobody's on them does)
    blog = [("blog9.test", "nameserver", "ns1.d0-own.test"), ("blog9.test", "template", "t9")]
    assert cluster(links + own + blog).brand_of["board.test"] is None


def test_why_names_the_rule_that_held_a_site_back() -> None:
    from hotline.cli.attribution import unattributed_needs

    links, forum = _donating_forum()
    links += [
        *forum,
        ("board.test", ASSESSMENT, NON_COMMERCIAL),
        ("link-list.test", "affiliate", "ref=link-list"),  # one weak kind: under the floor
        ("lone-shop.test", "merchant_id", "pay.lone.test|L1"),  # commercial, tied to nothing
        ("lone-shop.test", "btc_address", "bc1qlone"),
    ]
    result = cluster(links)
    held = {s: result.scores[s] for s in ("board.test", "link-list.test", "lone-shop.test")}
    assert all(result.brand_of[s] is None for s in held)
    assert "called it non-commercial" in unattributed_needs(held["board.test"], 0, 1)
    assert "commercial score of" in unattributed_needs(held["link-list.test"], 0, 0)
    assert "confidence under" in unattributed_needs(held["lone-shop.test"], 0, 0)
    # a name of its own (0.4) and the hotlines' "commercial" (0.4): commercial by their word
    assert "only by the reporting hotlines' word" in unattributed_needs(0.8, 3, 0)
    assert "confidence under" in unattributed_needs(1.4, 3, 0)
    # the verdict only explains what it decided: a site under the floor needs a score first
    assert "commercial score of" in unattributed_needs(held["link-list.test"], 0, 3)


def test_an_operators_tag_and_its_own_name_servers_are_two_witnesses() -> None:
    # two of d0's sites and a lone shop carry the operator's analytics id and sit on its
    # own name servers: the tag alone (0.8) is too light, the hosting adds a second origin
    links, _truth = _world([[2, 2], [2, 2]])
    own = [
        (site, kind, value)
        for site in ("d0-b0-s0.test", "d0-b1-s0.test")
        for kind, value in (
            ("analytics", "G-OPERATOR0"),
            ("nameserver", "ns1.op-dns.test"),
            ("nameserver", "ns2.op-dns.test"),
        )
    ]
    shop = _solo("solo.test")
    assert cluster(links + own + shop).brand_of["solo.test"] is None  # the tag alone
    hosted = _hosted(shop, "solo.test", "ns1.op-dns.test", "ns2.op-dns.test")
    result = cluster(links + own + hosted)
    assert _home(result, "solo.test") == _home(result, "d0-b0-s0.test")
    assert _home(result, "solo.test") != _home(result, "d1-b0-s0.test")
    # a kit's default tag and logo on the same sites stay one witness: not enough
    kit = [(s, "favicon_md5", "kit-logo") for s in ("d0-b0-s0.test", "d0-b1-s0.test")]
    kit += [(s, "analytics", "G-OPERATOR0") for s in ("d0-b0-s0.test", "d0-b1-s0.test")]
    kit_shop = [*shop, ("solo.test", "favicon_md5", "kit-logo")]
    assert cluster(links + kit + kit_shop).brand_of["solo.test"] is None


def test_a_shop_like_page_nobody_runs_does_not_speak_for_an_agency() -> None:
    # a domain of d0's that the hotlines called non-commercial (its pages name a shop and
    # redirect to one) carries d0's tag too and stays unplaced: the lone shop still joins d0
    links, _truth = _world([[2, 2], [2, 2]])
    links = _tagged(links, "d0", "G-OPERATOR0") + _solo("solo.test")
    misjudged = [
        ("d0-shop.test", "analytics", "G-OPERATOR0"),
        ("d0-shop.test", "brand_text", "another name"),
        ("d0-shop.test", "gateway", "d0-shop.test>elsewhere.test"),
        ("d0-shop.test", ASSESSMENT, NON_COMMERCIAL),
    ]
    result = cluster(links + misjudged)
    assert result.brand_of["d0-shop.test"] is None
    assert _home(result, "solo.test") == _home(result, "d0-b0-s0.test")
    # a forum carrying the tag (its pages sell nothing) still says it may be an agency's
    forum = [
        ("forum.test", "analytics", "G-OPERATOR0"),
        ("forum.test", "brand_text", "the forum"),
        ("forum.test", ASSESSMENT, NON_COMMERCIAL),
    ]
    assert cluster(links + forum).brand_of["solo.test"] is None
    # and so does another operator's shop left unattributed (it pays into two accounts of
    # its own): the tag may be an agency's on two clients
    other = [
        ("other.test", "brand_text", "another shop"),
        ("other.test", "merchant_id", "pay.other.test|O1"),
        ("other.test", "btc_address", "bc1qother"),
        ("other.test", "analytics", "G-OPERATOR0"),
    ]
    assert cluster(links + other).brand_of["other.test"] is None
    assert cluster(links + other).brand_of["solo.test"] is None


def test_a_site_showing_only_hosting_joins_the_distributor_whose_own_server_it_is_on() -> None:
    # d0's shops sit on one server address; a site of d0's taken down before its first
    # capture is known only by its public name servers and that address
    links, _truth = _world([[3, 3], [3, 3]])
    for n, site in enumerate(sorted({s for s, _k, _v in links})):
        server = "198.51.100.1" if site.startswith("d0-") else f"203.0.113.{n}"
        links += [(site, "ip", server), (site, "nameserver", "ns1.popular-dns.example")]
    gone = [
        ("gone.test", "ip", "198.51.100.1"),
        ("gone.test", "nameserver", "ns1.popular-dns.example"),
    ]
    result = cluster(links + gone)
    brand = result.brand_of["gone.test"]
    assert brand == "gone.test"
    assert result.distributor_of[brand] == _home(result, "d0-b0-s0.test")
    (how,) = [e for e in result.explain("gone.test") if e.kind == PLACED]
    assert "198.51.100.1" in how.value
    assert "server address" in how.value
    # switched off, the address places nothing
    names_only = Params(placing_kinds=frozenset({"nameserver"}))
    assert cluster(links + gone, params=names_only).brand_of["gone.test"] is None
    # a shared host's address, where sites that show something but are nobody's shops sit
    # beside d0's (five of the eleven), places nobody
    others = [(f"blog{n}.test", kind, value) for n in range(5) for kind, value in (
        ("ip", "198.51.100.1"), ("brand_text", f"a blog {n}"), ("template", f"t-blog{n}"),
    )]  # fmt: skip
    assert cluster(links + gone + others).brand_of["gone.test"] is None
    # an address pointing at d0 and a name server pointing at d1: it stays where it is
    split = [(s, "nameserver", "ns1.d1-dns.test") for s in sorted({s for s, _k, _v in links})
             if s.startswith("d1-")]  # fmt: skip
    torn = [*gone, ("gone.test", "nameserver", "ns1.d1-dns.test")]
    assert cluster(links + split + torn).brand_of["gone.test"] is None


def test_a_misjudged_shop_joins_its_brand_when_a_second_value_of_the_brand_backs_its_name() -> None:
    # the hotlines called a domain of d0's first brand non-commercial; its pages show the
    # brand's name and its operator's tag, but no payment
    links, _truth = _world([[3, 3], [2, 2]])
    links = _tagged(links, "d0", "G-OPERATOR0")
    shop = [
        ("misjudged.test", "brand_text", "name0x0"),
        ("misjudged.test", "analytics", "G-OPERATOR0"),
        ("misjudged.test", ASSESSMENT, NON_COMMERCIAL),
    ]
    result = cluster(links + shop)
    assert result.brand_of["misjudged.test"] == result.brand_of["d0-b0-s0.test"]
    assert result.confidence["misjudged.test"] >= Params().confidence_floor
    # the name alone is not enough against the hotlines' word
    assert cluster(links + shop[::2]).brand_of["misjudged.test"] is None
    # nor is a review page naming the brand with a tag of its own, or one a few shops share
    review = [
        ("review.test", "brand_text", "name0x0"),
        ("review.test", "analytics", "G-REVIEWS"),
        ("review.test", "template", "t-reviews"),
        ("review.test", ASSESSMENT, NON_COMMERCIAL),
    ]
    assert cluster(links + review).brand_of["review.test"] is None
    few = [("d0-b0-s0.test", "template", "t-reviews")]  # one of the brand's three sites
    assert cluster(links + review + few).brand_of["review.test"] is None
    # nor a kit's default template that every shop of every brand carries, the review too
    kit = [(s, "template", "t-reviews") for s in sorted({s for s, _k, _v in links})]
    assert cluster(links + review + kit).brand_of["review.test"] is None


def test_a_redirect_and_its_target_that_name_nothing_join_the_brand_one_spells() -> None:
    """A doorway and the shop it sends to, both seen only without a name (the shop's pages
    dead), are a brand of two tied by the redirect alone: the shop's domain spelling one
    brand's name takes both there; two names spelt, or none, leave them where they are."""
    links, _truth = _world([[3], [2]])
    links = [(s, k, "zorvexal" if v == "name0x0" else v) for s, k, v in links]
    links = [(s, k, "quandorel" if v == "name1x0" else v) for s, k, v in links]

    def doorway(source: str, target: str) -> list[Link]:
        return [
            *_redirect(source, target),
            (source, ASSESSMENT, COMMERCIAL),
            (target, ASSESSMENT, COMMERCIAL),
        ]

    links += doorway("go-kx41.test", "zorvexalonline3.test")
    links += doorway("go-kx52.test", "wexdratel4.test")  # spells nothing
    links += doorway("zorvexal-go.test", "quandorel-shop5.test")  # spells two brands
    without = cluster(links, params=Params(spell_nameless=False))
    pair = without.brand_of["zorvexalonline3.test"]
    assert pair is not None
    assert pair == without.brand_of["go-kx41.test"]  # the trap: a brand of its own
    assert pair != without.brand_of["d0-b0-s0.test"]
    result = cluster(links)
    home = result.brand_of["d0-b0-s0.test"]
    assert result.brand_of["zorvexalonline3.test"] == home
    assert result.brand_of["go-kx41.test"] == home
    (how,) = [e for e in result.explain("go-kx41.test") if e.kind == PLACED]
    assert "a redirect ties it to zorvexalonline3.test" in how.value
    assert result.brand_of["wexdratel4.test"] not in (home, result.brand_of["d1-b0-s0.test"])
    assert result.brand_of["wexdratel4.test"] == result.brand_of["go-kx52.test"]
    # named after one brand, sending to another: neither is placed by its name
    apart = result.brand_of["zorvexal-go.test"]
    assert apart == result.brand_of["quandorel-shop5.test"]
    assert apart not in (home, result.brand_of["d1-b0-s0.test"])


def test_only_a_doorway_pair_follows_the_name_a_member_spells() -> None:
    """A brand held together by a logo and a merchant account of its own is an operator,
    not a doorway: one of its domains spelling another brand's name moves nothing. Nor do
    parked domains that all send to one parking service; nor does a pair an analyst ruled
    apart from the brand, on either of its two sites."""
    links, _truth = _world([[3], [2]])
    links = [(s, k, "zorvexal" if v == "name0x0" else v) for s, k, v in links]
    for site in ("pix-a1.test", "pix-b2.test", "pix-c3.test", "zorvexal-outlet.test"):
        links += [(site, "favicon_md5", "logo-own"), (site, "merchant_id", "pay.own.test|M7")]
    parked = ["ab-travel.test", "cd-garden.test", "ef-music.test", "zorvexal-deals.test"]
    for site in parked:
        links += [*_redirect(site, "parkingco.test"), (site, ASSESSMENT, COMMERCIAL)]
    links += _redirect("go-kx41.test", "zorvexalonline3.test")
    links += [("go-kx41.test", ASSESSMENT, COMMERCIAL)]
    result = cluster(links)
    home = result.brand_of["d0-b0-s0.test"]
    assert result.brand_of["zorvexal-outlet.test"] != home
    assert result.brand_of["pix-a1.test"] != home
    assert all(result.brand_of[site] != home for site in [*parked, "parkingco.test"])
    assert result.brand_of["go-kx41.test"] == result.brand_of["zorvexalonline3.test"] == home
    for ruled in ("go-kx41.test", "zorvexalonline3.test"):
        kept = cluster(links, Constraints(not_same_brand=((ruled, "d0-b0-s0.test"),)))
        pair = {kept.brand_of["go-kx41.test"], kept.brand_of["zorvexalonline3.test"]}
        assert kept.brand_of["d0-b0-s0.test"] not in pair, ruled
        assert len(pair) == 1, ruled  # both stay, together


def _operator_with_one_account(tag_also_on: tuple[str, ...] = ()) -> list[Link]:
    """One operator's brands a and b (joined by a shared address), c and d: one merchant
    account on a site of each, its tag and its own name servers on a, c and d (and on
    ``tag_also_on``); brand e is another operator's. Every brand pays into two accounts of
    its own too, so each stands on its own evidence."""
    links: list[Link] = []
    for brand in "abcde":
        for s in (1, 2):
            site = f"{brand}{s}.test"
            links += [
                (site, "brand_text", f"name-{brand}"),
                (site, "favicon_md5", f"logo-{brand}"),
                (site, "btc_address", "bc1qshared-ab" if brand in "ab" else f"bc1qown-{brand}"),
                (site, "eth_address", f"0xown{brand}"),  # two accounts: c, d and e stand
                (site, ASSESSMENT, COMMERCIAL),
            ]
    links += [(f"{brand}1.test", "merchant_id", "pay.big.test|M1") for brand in "abcd"]
    for site in ("a2.test", "c2.test", "d2.test", *tag_also_on):
        links += [
            (site, "analytics", "G-OPERATOR"),
            (site, "nameserver", "ns1.operator-dns.test"),
            (site, "nameserver", "ns2.operator-dns.test"),
        ]
    return links


def test_an_operators_tag_and_name_servers_beside_its_merchant_account_join_its_brands() -> None:
    # c and d stand on their own names: the account alone would join three such clusters,
    # the tag and name servers alone would be a hosting panel's; within the clusters the
    # account spans they are the operator's second and third witnesses
    result = cluster(_operator_with_one_account())
    assert _home(result, "c1.test") == _home(result, "a1.test") == _home(result, "d2.test")
    assert _home(result, "e1.test") != _home(result, "a1.test")
    tag = next(e for e in result.explain("c2.test", limit=30) if e.value == "G-OPERATOR")
    assert tag.weight > 0
    assert tag.discounted is None
    # without the account the same tag and name servers are a panel's on three clients
    alone = cluster([link for link in _operator_with_one_account() if link[1] != "merchant_id"])
    assert len({_home(alone, s) for s in ("a1.test", "c1.test", "d1.test")}) == 3


def test_a_tag_that_reaches_beyond_the_accounts_brands_joins_nothing() -> None:
    # the same tag and name servers on another operator's brand too: a panel's after all
    result = cluster(_operator_with_one_account(tag_also_on=("e2.test",)))
    homes = {_home(result, s) for s in ("a1.test", "c1.test", "d1.test", "e1.test")}
    assert len(homes) == 4


def _sent_on(source: str, *, redirected: bool) -> list[Link]:
    """``source`` tied to d0's first site by a gateway (a Referer or a redirect); with
    ``redirected`` its own capture sent the visitor on (a 3xx, a meta refresh, a script)."""
    value = f"{source}>d0-b0-s0.test"
    links: list[Link] = [(site, "gateway", value) for site in (source, "d0-b0-s0.test")]
    if redirected:
        links.append((source, "redirect", value))
    return [*links, (source, ASSESSMENT, NON_COMMERCIAL), (source, "nameserver", "ns1.pop.test")]


def test_a_doorway_the_hotlines_called_non_commercial_joins_where_it_sends_visitors() -> None:
    links, _truth = _world([[3, 2], [2]])
    result = cluster(links + _sent_on("go-d0.test", redirected=True))
    assert _home(result, "go-d0.test") == _home(result, "d0-b0-s0.test")
    assert result.brand_of["go-d0.test"] == result.brand_of["d0-b0-s0.test"]
    # ``why`` says what happened to the hotlines' word
    (said,) = [e for e in result.explain("go-d0.test", limit=30) if e.kind == "redirect"]
    assert said.discounted is not None
    assert "set aside" in said.discounted
    # the hotlines' word stands when the rule is off
    off = cluster(
        links + _sent_on("go-d0.test", redirected=True),
        params=Params(doorway_outweighs_verdict=False),
    )
    assert off.brand_of["go-d0.test"] is None


def test_a_forum_known_only_from_a_referer_keeps_the_hotlines_verdict() -> None:
    # the analyst followed a forum's link (its own capture failed): a Referer, no redirect
    links, _truth = _world([[3, 2], [2]])
    assert cluster(links + _sent_on("board.test", redirected=False)).brand_of["board.test"] is None
    # ... and so does a site that redirected but shows something of its own (its tag)
    named = [*_sent_on("board.test", redirected=True), ("board.test", "analytics", "G-BOARD")]
    assert cluster(links + named).brand_of["board.test"] is None


def test_a_page_a_visitor_merely_came_from_is_not_made_commercial_by_it() -> None:
    # whatever the hotlines said — nothing, or "commercial" by mistake — a site known only
    # from a Referer or an out-link under a path joins no brand by it; a doorway does
    links, _truth = _world([[3, 2], [2]])
    links += _redirect("go-d1.test", "d1-b0-s0.test")  # links read by a reader of redirects
    for said in (None, COMMERCIAL):
        for redirected in (False, True):
            own = [
                link
                for link in _sent_on("from.test", redirected=redirected)
                if link[1] != ASSESSMENT
            ]
            if said is not None:
                own.append(("from.test", ASSESSMENT, said))
            result = cluster(links + own)
            if redirected:
                assert _home(result, "from.test") == _home(result, "d0-b0-s0.test")
            else:
                assert result.brand_of["from.test"] is None, said
    # the rule off: the old behaviour, a gateway alone made it a candidate
    referred = [link for link in _sent_on("from.test", redirected=False) if link[1] != ASSESSMENT]
    old = cluster(links + referred, params=Params(referred_needs_more=False))
    assert old.brand_of["from.test"] is not None
    # ... as on links without a single redirect (a store read before redirects were
    # recorded), where a referred page cannot be told from a doorway
    unread = [link for link in links + referred if link[1] != "redirect"]
    assert cluster(unread).brand_of["from.test"] is not None


def test_why_from_the_store_says_a_doorways_verdict_was_set_aside() -> None:
    value = "go.test>shop.test"
    found = explain_local(
        "go.test",
        [("redirect", value, ["go.test"]), ("gateway", value, ["go.test", "shop.test"])],
        {"go.test": "shop.test", "shop.test": "shop.test"},
        {"shop.test": "shop.test"},
        notes={("redirect", value): SET_ASIDE},
        candidates=("go.test", "shop.test"),
        limit=10,
    )
    (said,) = [e for e in found if e.kind == "redirect"]
    assert said.discounted == SET_ASIDE
