"""The integer link table the clustering works on, against brute force over tuples."""

from __future__ import annotations

import random

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from hotline.attribution.method import cluster
from hotline.attribution.table import Link, LinkTable

_sites = st.sampled_from([f"s{i}.test" for i in range(12)] + ["a.example", "Z.example"])
_kinds = st.sampled_from(["brand_text", "ip", "merchant_id", "template", "nameserver"])
_values = st.text(alphabet="abcé0 ", max_size=4)
_links = st.lists(st.tuples(_sites, _kinds, _values), max_size=60)


@given(_links, st.lists(_sites, max_size=3))
def test_table_holds_each_link_once_in_sorted_numbering(
    links: list[Link], extra: list[str]
) -> None:
    table = LinkTable.from_links(links, extra)
    assert set(table.links()) == set(links)
    assert len(table) == len(set(links))
    assert table.sites == sorted({s for s, _k, _v in links} | set(extra))
    assert table.values == sorted({(k, v) for _s, k, v in links})
    for number, (kind, value) in enumerate(table.values):
        carriers = [table.sites[s] for s in table.carriers(number).tolist()]
        assert carriers == sorted({s for s, k, v in links if (k, v) == (kind, value)})
    for number, site in enumerate(table.sites):
        own = [table.values[v] for v in table.site_values(number).tolist()]
        assert own == sorted({(k, v) for s, k, v in links if s == site})


@given(_links, st.lists(_sites, max_size=4))
def test_including_adds_sites_without_changing_links(links: list[Link], more: list[str]) -> None:
    table = LinkTable.from_links(links)
    wider = table.including(more)
    assert wider.sites == sorted(set(table.sites) | set(more))
    assert set(wider.links()) == set(table.links())


def test_codes_may_repeat_and_name_unused_sites_and_values() -> None:
    table = LinkTable.from_codes(
        ["b.test", "a.test", "unused.test"],
        [("ip", "192.0.2.1"), ("ip", "unused"), ("email", "x")],
        np.asarray([0, 1, 0, 0], dtype=np.int64),
        np.asarray([0, 0, 2, 0], dtype=np.int64),
    )
    assert table.sites == ["a.test", "b.test"]
    assert table.values == [("email", "x"), ("ip", "192.0.2.1")]
    assert sorted(table.links()) == [
        ("a.test", "ip", "192.0.2.1"),
        ("b.test", "email", "x"),
        ("b.test", "ip", "192.0.2.1"),
    ]


def test_an_empty_table_clusters_to_nothing() -> None:
    table = LinkTable.from_links([])
    assert len(table) == 0
    assert table.sites == []
    result = cluster(table)
    assert result.brand_of == {}
    assert result.explain("a.test") == []


@given(_links, st.randoms(use_true_random=False))
def test_a_table_and_the_same_links_as_tuples_cluster_alike(
    links: list[Link], rng: random.Random
) -> None:
    """Duplicates and order do not matter; the table and the tuples are one input."""
    shuffled = [*links, *links[: len(links) // 2]]
    rng.shuffle(shuffled)
    a = cluster(LinkTable.from_links(links))
    b = cluster(shuffled)
    assert a.brand_of == b.brand_of
    assert a.distributor_of == b.distributor_of
    for brand in set(a.brand_of.values()) - {None}:
        assert brand is not None
        members = a.members(brand)
        assert members[0] == brand  # a brand is named by its smallest site
        assert all(a.brand_of[m] == brand for m in members)
    for site in a.brand_of:
        assert [repr(e) for e in a.explain(site)] == [repr(e) for e in b.explain(site)]
