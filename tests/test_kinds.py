"""One vocabulary of selector kinds (``hotline.urls.kinds``): every kind an extractor emits on
a synthetic world with every phenomenon, every kind hosting adds for attribution, and every
kind the attribution method weighs is a member — so a misspelt kind cannot silently weigh
nothing."""

from __future__ import annotations

import random
from dataclasses import fields
from pathlib import Path

import pytest

from hotline.attribution import links
from hotline.attribution.method import Params
from hotline.captures.extractors import default_extractors
from hotline.captures.extractors.favicon import favicon_hashes
from hotline.captures.extractors.payments import ProcessorTable
from hotline.captures.pages import read_capture_file
from hotline.synth.generate import generate
from hotline.synth.images import gradient_png
from hotline.synth.phenomena import PHENOMENA
from hotline.urls.kinds import BRAND_LEVEL_KINDS, HOST_KINDS, SelectorKind

KINDS = {kind.value for kind in SelectorKind}


@pytest.fixture(scope="module")
def emitted(tmp_path_factory: pytest.TempPathFactory) -> set[str]:
    out = tmp_path_factory.mktemp("kinds-world")
    generate(47, "small", out, phenomena=PHENOMENA)
    extractors = default_extractors(ProcessorTable.load(out / "processors.json"))
    found: set[str] = set()
    for path in sorted((out / "captures").glob("*.warc.gz")):
        for page in read_capture_file(Path(path), extractors).pages:
            found |= {selector.kind for selector in page.selectors}
    return found


def test_every_kind_an_extractor_emits_is_in_the_vocabulary(emitted: set[str]) -> None:
    icons = {selector.kind for selector in favicon_hashes(gradient_png(random.Random(1), 16))}
    hosting = {kind for kind, _ in links._HOSTING_KINDS}
    for found in (emitted, icons, hosting):
        assert found <= KINDS, sorted(found - KINDS)
    # no page yields a hosting kind: the link table (and the web's index of carriers) keys
    # values by (kind, value), so a captured "ip" would share carriers with observed ones
    assert not (emitted | icons) & hosting, sorted((emitted | icons) & hosting)
    # and the world exercises nearly all of them: a kind nobody emits is a stale entry
    assert len(KINDS - emitted - icons - hosting) <= 1, sorted(KINDS - emitted - icons - hosting)


def test_every_kind_the_method_weighs_is_in_the_vocabulary() -> None:
    params = Params()
    for field in fields(params):
        value = getattr(params, field.name)
        if field.name.endswith(("_weights", "_caps")):
            assert set(value) <= KINDS, (field.name, sorted(set(value) - KINDS))


def test_the_derived_sets_are_members() -> None:
    assert set(SelectorKind) >= HOST_KINDS
    assert set(SelectorKind) >= BRAND_LEVEL_KINDS
    assert all(kind == kind.value for kind in SelectorKind)  # compares equal to stored text
