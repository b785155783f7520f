"""Page names through the store, on SQLite and PostgreSQL: hand-made captures of shops whose
product pages give their item as a name, read back by both readers and by ``hotline why``."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

from hotline.attribution.carrier_index import INDEXES
from hotline.attribution.links import link_table, links_from_store, site_page_names
from hotline.attribution.method import cluster
from hotline.attribution.queries import keep_carrier_index, site_answer
from hotline.attribution.table import LinkTable
from hotline.captures.extractors import default_extractors
from hotline.captures.services import CaptureImporter
from hotline.store.engine import make_engine
from hotline.synth.warc import WarcWriter
from tests.test_attribution import assert_same_links
from tests.test_cli import hotline

WHEN = datetime(2026, 3, 1, tzinfo=UTC)
HTML = [("Content-Type", "text/html; charset=utf-8")]
PAY = '<form action="https://pay.bigpay.example/checkout"><input name="merchant" value="M{n}">'


def _page(title: str, logo: str, merchant: int) -> bytes:
    return (
        f"<!DOCTYPE html><html><head><title>{title}</title></head><body>"
        f'<img class="logo" src="/logo.png" alt="{logo}">'
        f"<p>Fresh picks every week.</p>{PAY.format(n=merchant)}</form></body></html>"
    ).encode()


# url → (title, logo alt, merchant id)
PAGES = {
    # Alpha: three pages, its name on all of them (logo), an item on one
    "https://alpha7.test/": ("Alpha | Best deals", "Alpha", 1),
    "https://alpha7.test/item/1": ("Gift card", "Alpha", 1),
    "https://alpha7.test/about": ("About us | Alpha", "Alpha", 1),
    # a second domain of Alpha, so its name is shared
    "https://alpha-shop.test/": ("Alpha | Best deals", "Alpha", 1),
    # two one-page sites whose title is "Gift card" and nothing else: one page cannot tell
    "https://qwix2.test/": ("Gift card", "", 2),
    "https://vemb5.test/": ("Gift card", "", 3),
    # Bravo: a product page and its front page, on a host that spells neither
    "https://kx9.test/": ("Bravo | Weekly offers", "Bravo", 4),
    "https://kx9.test/item/2": ("Deluxe pack 4821 | Bravo", "", 4),
}


def _store(db_url: str, tmp_path: Path) -> None:
    warc = tmp_path / "pages.warc.gz"
    with WarcWriter(warc, namespace="page-names") as writer:
        for number, (url, (title, logo, merchant)) in enumerate(PAGES.items()):
            body = _page(title, logo, merchant)
            when = WHEN + timedelta(minutes=number)
            writer.response(url, when, 200, "OK", HTML, body, "198.51.100.7")
    engine = make_engine(db_url)
    CaptureImporter(engine, default_extractors()).ingest(warc)
    engine.dispose()


def test_page_names_through_the_store_and_why(db_url: str, tmp_path: Path) -> None:
    _store(db_url, tmp_path)
    engine = make_engine(db_url)
    fast = link_table(engine)
    plain = LinkTable.from_links(links_from_store(engine))
    assert_same_links(fast, plain)
    names = {
        (fast.sites[s], fast.values[v][1])
        for s, v in zip(fast.site_of.tolist(), fast.value_of.tolist(), strict=True)
        if fast.values[v][0] == "brand_text"
    }
    # Alpha's item is left out, the one-page sites keep theirs, Bravo's title says Bravo
    assert ("alpha7.test", "gift card") not in names
    assert {("qwix2.test", "gift card"), ("vemb5.test", "gift card")} <= names
    assert ("alpha7.test", "alpha") in names
    assert ("kx9.test", "bravo") in names
    assert not {value for _site, value in names if "deluxe" in value}

    with engine.connect() as connection:
        alpha = site_page_names(connection, "alpha7.test")
        qwix = site_page_names(connection, "qwix2.test")
    assert set(alpha.own) == {"gift card"}
    assert alpha.shared == {"gift card": 2}
    assert alpha.examples == {"gift card": ("qwix2.test", "vemb5.test")}
    assert not qwix.own
    assert set(qwix.elsewhere) == {"gift card"}  # Alpha's page gave it: not one of its carriers

    assert hotline(db_url, "-q", "attribute").code == 0
    result = cluster(links_from_store(engine))
    for use_index in (False, True):
        if use_index:
            keep_carrier_index(engine)
        try:
            with engine.connect() as connection:
                for site in ("alpha7.test", "qwix2.test"):
                    answer = site_answer(connection, site)
                    assert answer is not None
                    weighed = [
                        e
                        for e in answer.evidence
                        if not (e["discounted"] or "").startswith("a page's own name")
                    ]
                    assert weighed == [asdict(e) for e in result.explain(site)], (site, use_index)
                    if site == "qwix2.test":  # the name's other carrier is vemb5 alone
                        entry = next(e for e in weighed if e["value"] == "gift card")
                        assert entry["shared_with"] == 1
                        assert entry["examples"] == ["vemb5.test"] or entry["examples"] == (
                            "vemb5.test",
                        )
                alpha_answer = site_answer(connection, "alpha7.test")
                assert alpha_answer is not None
                item = next(e for e in alpha_answer.evidence if e["value"] == "gift card")
                assert item["weight"] == 0.0
                assert item["discounted"].startswith(
                    "a page's own name: shown on 1 of the site's 3"
                )
                assert item["shared_with"] == 2
        finally:
            INDEXES.forget()
    engine.dispose()
