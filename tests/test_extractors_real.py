"""The extractors on real recorded pages (the public WARC files in ``tests/vectors/warc``).

Hand-made pages test each rule; these are pages nobody made for hotline: a standards body's
site crawled in 2014 (sixteen pages under one template, titled "IANA — <section>"), Common
Crawl's home page, and the reserved example domain as several recorders saw it. They are
non-commercial sites, so what must hold is what a hotline would rely on: every page is a
normal page, the brand text is the site's own name and never a page's section, the analytics
id on the page is found, and nothing commercial (payments, partner ids) is read into them.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import pytest

from hotline.captures.extractors import default_extractors
from hotline.captures.page_class import NORMAL
from hotline.captures.pages import Page, read_capture_file

VECTORS = Path(__file__).parent / "vectors" / "warc"
COMMERCIAL_KINDS = {
    "merchant_id",
    "payment_host",
    "btc_address",
    "eth_address",
    "crypto_address",
    "affiliate",
    "gateway",
}


def _pages(name: str) -> list[Page]:
    return read_capture_file(VECTORS / name, default_extractors()).pages


def _values(page: Page, kind: str, where: str | None = None) -> set[str]:
    return {
        s.value for s in page.selectors if s.kind == kind and (where is None or s.where == where)
    }


@pytest.mark.parametrize(
    "name",
    sorted(p.name for p in VECTORS.glob("*.warc*") if "wrong-chunks" not in p.name),
)
def test_real_pages_are_normal_and_show_nothing_commercial(name: str) -> None:
    for page in _pages(name):
        assert page.page_class == NORMAL, (name, str(page.url), page.page_class)
        commercial = {(s.kind, s.value) for s in page.selectors if s.kind in COMMERCIAL_KINDS}
        assert commercial == set(), (name, str(page.url))


def test_every_page_of_the_iana_crawl_is_named_by_its_title_not_its_section() -> None:
    pages = [p for p in _pages("pywb-iana.warc.gz") if p.status == 200]
    assert len(pages) == 16
    names = {urlsplit(p.url.url).path: _values(p, "brand_text", "title") for p in pages}
    # the home page spells the name out; every inner page puts the short name first
    assert names.pop("/") == {"internet assigned numbers authority"}
    assert set(map(frozenset, names.values())) == {frozenset({"iana"})}, names
    # the section ("Number Resources", "Root Zone Database") is never a value: not from the
    # title, and not from the heading, which beside a title that names the site is the page's
    titles = {p.title for p in pages}
    assert "IANA — Root Zone Database" in titles
    assert all("root zone database" not in _values(p, "brand_text") for p in pages)
    assert set().union(*(_values(p, "brand_text", "h1") for p in pages)) == set()
    # the one contact address on the crawl is the site's own
    mail = set().union(*(_values(p, "email") for p in pages))
    assert len(mail) == 1
    assert {address.split("@")[1] for address in mail} == {p.url.site for p in pages}


def test_the_common_crawl_page_gives_its_name_and_its_analytics_id() -> None:
    (page,) = _pages("jwarc-cc.warc.gz")
    assert _values(page, "brand_text") == {"common crawl"}
    assert _values(page, "analytics") == {"UA-26864822-1"}


def test_the_example_domain_is_one_name_whichever_recorder_saw_it() -> None:
    names: set[str] = set()
    for name in (
        "pywb-example-wget-1-14.warc.gz",
        "pywb-example-wpull.warc.gz",
        "warcio-example.warc.gz",
        "warcio-example-resource.warc.gz",
        "warcio-example-wget-bad-target-uri.warc.gz",
    ):
        for page in _pages(name):
            names |= _values(page, "brand_text")
    assert names == {"example domain"}
