"""The extractors against the synthetic world: on each site's landing page they find every
selector the page shows, and for the strong or exact kinds nothing else."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from hotline.captures.extractors import Processor, ProcessorTable, default_extractors, extract_all
from hotline.captures.page import CapturedPage
from hotline.synth.html import render_page
from hotline.synth.scales import SCALES
from hotline.synth.world import World
from hotline.urls import CanonicalURL, canonicalize

KINDS = frozenset(
    {
        "btc_address",
        "merchant_id",
        "payment_host",
        "affiliate",
        "analytics",
        "email",
        "script_host",
        "brand_text",
    }
)
EXACT = frozenset({"brand_text", "analytics", "btc_address", "merchant_id", "affiliate"})


def world_table(world: World) -> ProcessorTable:
    return ProcessorTable(Processor(p.host, p.name, p.method) for p in world.processors)


def landing_pages(
    world: World, kinds: frozenset[str] = KINDS
) -> list[tuple[str, CapturedPage, set[tuple[str, str]]]]:
    """(role, page, shown) for every site's landing page: the small world has a few hundred
    sites (brands, mirrors, gateways, then the noise sites) and renders in about a second."""
    pages = []
    for site in world.sites():
        landing = site.pages[0]
        html, shown = render_page(site, landing, random.Random(0), full=True)
        canonical = canonicalize(landing.url)
        assert isinstance(canonical, CanonicalURL)
        captured = CapturedPage.parse(
            landing.url, canonical.host, canonical.site, html.decode("utf-8")
        )
        pages.append((site.role, captured, {(k, v) for k, v in shown if k in kinds}))
    return pages


@pytest.mark.parametrize("seed", [2013, 7])
def test_extractors_find_exactly_what_the_world_planted(seed: int) -> None:
    world = World(seed, SCALES["small"])
    extractors = default_extractors(world_table(world))
    roles: set[str] = set()
    planted_kinds: set[str] = set()
    for role, captured, shown in landing_pages(world):
        roles.add(role)
        planted_kinds.update(kind for kind, _ in shown)
        found = {(s.kind, s.value) for s in extract_all(captured, extractors) if s.kind in KINDS}
        missing = shown - found
        extra = {item for item in found - shown if item[0] in EXACT}
        assert not missing, (captured.url, missing)
        assert not extra, (captured.url, extra)
    assert {"brand", "noise"} <= roles
    assert planted_kinds == KINDS  # every kind was exercised


@pytest.mark.parametrize("seed", [2013, 7])
def test_other_coins_are_found_exactly_where_planted(seed: int) -> None:
    """With ``other_coins`` some distributors show Litecoin, Monero or Tron addresses where
    the others show Bitcoin ones: every one is found, with its coin, and nothing else."""
    world = World(seed, SCALES["small"], frozenset({"other_coins"}))
    extractors = default_extractors(world_table(world))
    wallets = frozenset({"btc_address", "crypto_address", "eth_address"})
    coins: set[str] = set()
    for _role, captured, planted in landing_pages(world, wallets):
        found = {(s.kind, s.value) for s in extract_all(captured, extractors) if s.kind in wallets}
        assert found == planted, (captured.url, found ^ planted)
        coins.update(v.split(":", 1)[0] for k, v in planted if k == "crypto_address")
    assert coins  # the world put some other coin on some shop


def test_methods_follow_the_world_table() -> None:
    world = World(7, SCALES["small"])
    methods = {p.host: p.method for p in world.processors}
    extractors = default_extractors(world_table(world))
    styles: set[str] = set()
    for _, captured, _shown in landing_pages(world):
        for selector in extract_all(captured, extractors):
            if selector.kind in ("payment_host", "merchant_id"):
                host = selector.value.partition("|")[0]
                assert selector.method == methods[host]
                styles.add(selector.where)
    assert styles == {"form", "iframe", "script"}


def test_the_world_processors_json_loads_as_a_user_table(tmp_path: Path) -> None:
    world = World(2013, SCALES["small"])
    rows = [{"host": p.host, "name": p.name, "method": p.method} for p in world.processors]
    path = tmp_path / "processors.json"
    path.write_text(json.dumps(rows, indent=2) + "\n", encoding="utf-8")
    table = ProcessorTable.load(path)
    for processor in world.processors:
        found = table.lookup(processor.host)
        assert found is not None
        assert (found.host, found.method) == (processor.host, processor.method)


def test_without_the_world_table_merchants_are_still_found() -> None:
    """The shipped table knows only the big example processor; the world's own processors
    still show up through the merchant account they are handed, with method 'other'."""
    world = World(7, SCALES["small"])
    extractors = default_extractors()
    for _, captured, shown in landing_pages(world):
        found = {(s.kind, s.value) for s in extract_all(captured, extractors)}
        merchants = {item for item in shown if item[0] in ("merchant_id", "payment_host")}
        assert merchants <= found, captured.url
