"""A site's name settled across its pages: which names are a page's own (hand-made rows)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from hotline.attribution.page_names import page_names, site_pages

SHOP = "zorbel-shop.test"
OTHER = "qwix5x2.test"  # a host that spells no name


def _rows(site: str, shown: dict[str, int]) -> list[tuple[str, str, str, int]]:
    return [(site, "brand_text", value, captures) for value, captures in shown.items()]


def test_an_item_on_one_page_beside_the_name_on_every_page_is_the_pages() -> None:
    rows = _rows(OTHER, {"zorbel": 5, "deluxe pack 4821": 1, "starter set 17": 1})
    found = page_names(rows, {})
    assert set(found) == {(OTHER, "deluxe pack 4821"), (OTHER, "starter set 17")}
    assert "'zorbel' on 5" in found[(OTHER, "deluxe pack 4821")]


def test_one_page_alone_cannot_tell_but_a_second_page_can() -> None:
    """A site of one page keeps what it shows; of two pages that each show a different
    name, neither is the site's, unless its host spells it."""
    assert page_names(_rows(OTHER, {"deluxe pack 4821": 1}), {}) == {}
    titles = [(OTHER, "Zorbel | Best deals"), (OTHER, "Deluxe pack 4821")]
    rows = _rows(OTHER, {"zorbel": 1, "deluxe pack 4821": 1})
    assert set(page_names(rows, site_pages(titles))) == set(_keys(rows))
    titles = [(SHOP, "Zorbel | Best deals"), (SHOP, "Deluxe pack 4821")]
    rows = _rows(SHOP, {"zorbel": 1, "deluxe pack 4821": 1})
    assert set(page_names(rows, site_pages(titles))) == {(SHOP, "deluxe pack 4821")}


def test_a_title_that_repeats_the_name_counts_for_it() -> None:
    """The item pages gave their items (the host does not spell the shop's name), but their
    titles still hold it: the name is on three pages, each item on one."""
    titles = ["Zorbel | Best deals", "Deluxe pack 4821 | Zorbel", "Starter set 17 | Zorbel"]
    rows = _rows(OTHER, {"zorbel": 1, "deluxe pack 4821": 1, "starter set 17": 1})
    found = page_names(rows, site_pages((OTHER, title) for title in titles))
    assert set(found) == {(OTHER, "deluxe pack 4821"), (OTHER, "starter set 17")}


def _keys(rows: list[tuple[str, str, str, int]]) -> list[tuple[str, str]]:
    return [(site, value) for site, _kind, value, _captures in rows]


def test_a_name_once_among_three_pages_is_the_pages_unless_the_host_spells_it() -> None:
    titles = ["Catalogue", "Gallery", "Family collection 3967"]
    rows = _rows(OTHER, {"family collection 3967": 1})
    assert set(page_names(rows, site_pages((OTHER, t) for t in titles))) == {
        (OTHER, "family collection 3967")
    }
    # a forum whose name is only on its front page: the host spells it, so it is its name
    forum = "vaxpel-board14.test"
    titles = ["Forum | vaxpel-board14", "Contact us", "Gallery"]
    rows = _rows(forum, {"vaxpel-board14": 1})
    assert page_names(rows, site_pages((forum, t) for t in titles)) == {}


def test_a_value_that_is_a_pages_own_on_most_sites_is_one_everywhere() -> None:
    """A section heading no list knows ("Our story") beside the names of two shops, and
    alone on a one-page site: there too it is no name."""
    rows = [
        *_rows("a.test", {"alpha": 4, "our story": 1}),
        *_rows("b.test", {"bravo": 3, "our story": 1}),
        *_rows("c.test", {"our story": 1}),
    ]
    found = page_names(rows, {})
    assert set(found) == {("a.test", "our story"), ("b.test", "our story"), ("c.test", "our story")}
    assert "half of the sites" in found[("c.test", "our story")]
    # on one site of three it is a page's own: the other two may call themselves so
    rows = [
        *_rows("a.test", {"alpha": 4, "our story": 1}),
        *_rows("b.test", {"our story": 3}),
        *_rows("c.test", {"our story": 2}),
    ]
    assert set(page_names(rows, {})) == {("a.test", "our story")}


def test_other_kinds_are_never_page_names() -> None:
    rows = [(OTHER, "analytics", "G-1", 1), *_rows(OTHER, {"zorbel": 5})]
    assert page_names(rows, {}) == {}


def test_site_pages_counts_each_title_once_per_name() -> None:
    pages = site_pages([(OTHER, "Zorbel | Zorbel"), (OTHER, None), (OTHER, "Contact us | Zorbel")])
    assert pages[OTHER].pages == 3
    assert pages[OTHER].titles == {"zorbel": 2}  # twice in one title counts once
    assert "contact us" not in pages[OTHER].titles  # a generic word is no name


names = st.text(alphabet="abcdefghij ", min_size=3, max_size=12).map(str.strip)


@given(
    st.dictionaries(
        st.sampled_from(["s1.test", "s2.test", "s3.test"]),
        st.dictionaries(names.filter(lambda n: len(n) >= 3), st.integers(1, 6), max_size=4),
        max_size=3,
    )
)
def test_every_site_keeps_its_most_shown_name_unless_it_is_paged_elsewhere(
    shown: dict[str, dict[str, int]],
) -> None:
    """A site's most-shown name is never dropped by the per-site rules; only a value that is
    a page's own on most sites that show it can be dropped where it leads."""
    rows = [row for site, values in shown.items() for row in _rows(site, values)]
    found = page_names(rows, {})
    for site, values in shown.items():
        if not values:
            continue
        most = max(values.values())
        for value, captures in values.items():
            if captures == most and (site, value) in found:
                assert "half of the sites" in found[(site, value)], (site, value, found)


@given(
    st.dictionaries(
        st.sampled_from(["s1.test", "s2.test", "zorbel-s3.test"]),
        st.tuples(
            st.dictionaries(
                st.sampled_from(["zorbel", "gift card", "our story", "qwixo"]),
                st.integers(1, 5),
                min_size=1,
                max_size=4,
            ),
            st.lists(
                st.sampled_from(["Zorbel | Deals", "Gift card", "Our story | Qwixo"]), max_size=6
            ),
        ),
        max_size=3,
    )
)
def test_the_per_site_rules_keep_what_a_site_shows_most_or_on_its_only_page(
    sites: dict[str, tuple[dict[str, int], list[str]]],
) -> None:
    """With any pages and titles: a site with at most one page loses a name only to the
    rule across sites; a name a site shows on two pages or more, and on at least as many as
    any other, is never dropped by the per-site rules; the rule across sites drops a value
    on every site or on none of the sites where the per-site rules kept it."""
    # a name is shown on no more captures than the site has pages (one, if none is normal)
    sites = {
        site: ({v: min(n, max(1, len(titles))) for v, n in shown.items()}, titles)
        for site, (shown, titles) in sites.items()
    }
    rows = [row for site, (shown, _t) in sites.items() for row in _rows(site, shown)]
    pages = site_pages((site, title) for site, (_s, titles) in sites.items() for title in titles)
    found = page_names(rows, pages)
    everywhere = {value for (_site, value), why in found.items() if "half of the sites" in why}
    for site, (shown, titles) in sites.items():
        counted = {
            value: max(count, pages[site].titles[value] if site in pages else 0)
            for value, count in shown.items()
        }
        most = max(counted.values())
        for value, count in counted.items():
            why = found.get((site, value), "")
            if len(titles) <= 1 or (count >= 2 and count == most):
                assert not why.startswith("a page's own name: shown on"), (site, value, why)
            if value in everywhere:
                assert why, (site, value)  # dropped on this site too, by one rule or another
