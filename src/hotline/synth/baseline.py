"""The naive baseline attribution: connected components over every shared selector.

"Link everything that shares any selector" is what a spreadsheet analyst does first, and it
is the baseline the attribution stage must beat. On a world with hard negatives (CDN and
shared-hosting IPs, popular nameservers, a template kit's default analytics id) it chains
unrelated distributors together; a test proves the synthetic world makes it fail.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from pathlib import Path

import orjson

from hotline.synth.score import Attribution


class _UnionFind:
    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, item: str) -> str:
        parent = self.parent.setdefault(item, item)
        root = item
        while parent != root:
            root, parent = parent, self.parent[parent]
        while item != root:  # path compression keeps a million sites near-linear
            self.parent[item], item = root, self.parent[item]
        return root

    def union(self, a: str, b: str) -> None:
        root_a, root_b = self.find(a), self.find(b)
        if root_a != root_b:
            self.parent[max(root_a, root_b)] = min(root_a, root_b)


def connected_components(
    links: Iterable[tuple[str, str, str]], kinds: frozenset[str] | None = None
) -> dict[str, str]:
    """Site → component id (its smallest member) for (site, kind, value) links; only the
    given ``kinds`` when set. Sites without any link are their own component."""
    forest = _UnionFind()
    first_site: dict[tuple[str, str], str] = {}
    for site, kind, value in links:
        forest.find(site)
        if kinds is not None and kind not in kinds:
            continue
        key = (kind, value)
        other = first_site.setdefault(key, site)
        if other != site:
            forest.union(other, site)
    return {site: forest.find(site) for site in forest.parent}


def baseline_attribution(links: Iterable[tuple[str, str, str]]) -> Attribution:
    """The baseline as an attribution: a site linked to at least one other gets its
    component as brand and distributor; a site that shares nothing stays unattributed."""
    components = connected_components(links)
    sizes = Counter(components.values())
    chosen: dict[str, str | None] = {
        site: component if sizes[component] > 1 else None for site, component in components.items()
    }
    return Attribution(brand=chosen, distributor=dict(chosen))


def read_selector_dump(path: Path) -> Iterable[tuple[str, str, str]]:
    """(site, kind, value) from a world's ``selectors.jsonl``, streamed."""
    with path.open("rb") as handle:
        for line in handle:
            row = orjson.loads(line)
            yield row["site"], row["kind"], row["value"]
