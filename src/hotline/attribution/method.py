"""Attribution: cluster sites into brands and brands into distributors, with evidence.

The method in brief (docs/attribution-method.md has the reasoning and the measurements):

1. Group the (site, kind, value) links by (kind, value) once; sites become integer ids in
   sorted key order, so the smallest id of a cluster is its smallest site key.
2. A site with no commercial signal (no payment, merchant, affiliate, brand text or gateway
   link) is never attributed, unless an analyst's must-link says otherwise.
3. Every shared value gets an effective weight per level: its kind's weight, zero when the
   value also sits on sites without commercial signals (a template kit's default, a public
   service) and zero when a weak value spans more clusters than its rarity cap.
4. Agglomerate with a threshold: a value whose weight reaches the threshold on its own joins
   its carriers directly (no pairs are built); weaker values only add up between two
   clusters, at most once per kind, and a merge needs their sum to reach the threshold, so
   no single weak or common value can chain clusters together.
5. Brands first (site nodes, brand-level kinds), then distributors (brand nodes,
   distributor-level kinds); analysts' must-links merge first and cannot-links veto any
   merge that would violate them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np
from numpy.typing import NDArray

from hotline.attribution.table import Ints, Link, LinkTable, pointers

BRAND = "brand"
DISTRIBUTOR = "distributor"
NONE = "none"


def _frozen(mapping: dict[str, float]) -> Mapping[str, float]:
    return MappingProxyType(mapping)


@dataclass(frozen=True, slots=True)
class Constraints:
    """An analyst's decisions; hard: must-links merge, cannot-links are never violated."""

    same_brand: tuple[tuple[str, str], ...] = ()
    not_same_brand: tuple[tuple[str, str], ...] = ()
    same_distributor: tuple[tuple[str, str], ...] = ()  # sites standing for their brands
    not_same_distributor: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class Params:
    """Every tunable of the method; the defaults are the values tuned on seeds 900-909
    (small) and 950 (medium) and documented in docs/attribution-method.md.

    Weights are in units of the merge ``threshold``: a value of weight ≥ threshold links its
    carriers on its own, lighter ones must be corroborated by other kinds.
    """

    brand_weights: Mapping[str, float] = field(
        default_factory=lambda: _frozen(
            {
                "brand_text": 1.0,
                "gateway": 1.0,
                "favicon_md5": 1.0,
                "favicon_mmh3": 1.0,
                "template": 0.5,
                "ip": 0.2,
                "nameserver": 0.1,
            }
        )
    )
    distributor_weights: Mapping[str, float] = field(
        default_factory=lambda: _frozen(
            {
                "merchant_id": 1.0,
                "affiliate": 1.0,
                "btc_address": 1.0,
                "email": 0.8,
                "analytics": 0.8,
                "payment_host": 0.3,
                "template": 0.3,
                "favicon_md5": 0.3,
                "nameserver": 0.2,
                "ip": 0.1,
            }
        )
    )
    # several distinct values of one weak kind add up to at most this many times its weight
    # (1: the kind counts once; templates' fingerprints of one page are near-duplicates)
    kind_caps: Mapping[str, float] = field(
        default_factory=lambda: _frozen({"analytics": 1.5, "email": 1.5})
    )
    commercial_kinds: frozenset[str] = frozenset(
        {"merchant_id", "affiliate", "btc_address", "payment_host", "brand_text", "gateway"}
    )
    threshold: float = 1.0
    # a value on this many sites without commercial signal is a kit default / public value
    noise_sites: int = 2
    # ... or when that share of its carriers has no commercial signal
    noise_share: float = 0.1
    # a weak value (weight < threshold) touching more clusters than this is common
    weak_max_clusters: int = 20
    # a strong value on more sites than this is common too (0: no cap for strong kinds)
    strong_max_sites: int = 0
    # rounds of corroborated (weak) merging per level
    rounds: int = 3


@dataclass(frozen=True, slots=True)
class Evidence:
    kind: str
    value: str
    weight: float
    shared_with: int
    examples: tuple[str, ...]
    level: str
    discounted: str | None


@dataclass
class _ValueGroups:
    brand_count: dict[str | None, int] = field(default_factory=dict)
    dist_count: dict[str | None, int] = field(default_factory=dict)
    brand_first: dict[str | None, list[int]] = field(default_factory=dict)
    dist_first: dict[str | None, list[int]] = field(default_factory=dict)
    first: list[int] = field(default_factory=list)


@dataclass
class Clustering:
    brand_of: dict[str, str | None]
    distributor_of: dict[str, str]
    _table: LinkTable | None = field(default=None, repr=False)
    _brand_weight: Sequence[float] | NDArray[np.float64] = field(default=(), repr=False)
    _distributor_weight: Sequence[float] | NDArray[np.float64] = field(default=(), repr=False)
    # why a value was discounted, worked out when an explanation asks (most never are)
    _reason_of: Callable[[int], str | None] = field(default=lambda _v: None, repr=False)
    _members: dict[str, list[str]] = field(default_factory=dict, repr=False)
    _index: dict[str, int] = field(default_factory=dict, repr=False)
    _group_cache: dict[int, _ValueGroups] = field(default_factory=dict, repr=False)

    @property
    def _sites(self) -> list[str]:
        return self._table.sites if self._table is not None else []

    def members(self, brand: str) -> list[str]:
        """The sites of a brand cluster, sorted (empty for an unknown key)."""
        return list(self._members.get(brand, ()))

    def explain(self, site: str, limit: int = 8) -> list[Evidence]:
        """Why ``site`` sits where it does: the values that counted, strongest first, then
        values that were discounted (with the reason)."""
        table = self._table
        if table is None:
            return []
        if not self._index:
            self._index = {key: i for i, key in enumerate(table.sites)}
        at = self._index.get(site)
        if at is None:
            return []
        brand = self.brand_of.get(site)
        distributor = self.distributor_of.get(brand) if brand is not None else None
        counted: list[Evidence] = []
        discounted: list[Evidence] = []
        for value_id in table.site_values(at).tolist():
            kind, value = table.values[value_id]
            groups = self._groups(value_id)
            shared = len(table.carriers(value_id)) - 1
            in_brand = groups.brand_count.get(brand, 0) - 1 if brand is not None else 0
            in_dist = (
                groups.dist_count.get(distributor, 0) - 1 - in_brand
                if distributor is not None
                else 0
            )
            examples = self._examples(groups, at, brand, distributor)
            reason = self._reason_of(value_id)
            level, weight = NONE, 0.0
            bw = float(self._brand_weight[value_id])
            dw = float(self._distributor_weight[value_id])
            if brand is not None and reason is None:
                if in_brand > 0 and bw > 0:
                    level, weight = BRAND, bw
                elif (in_brand > 0 or in_dist > 0) and dw > 0:
                    level, weight = DISTRIBUTOR, dw
                elif shared <= 0:
                    reason = "carried by no other site"
                else:
                    reason = "no other carrier in the same brand or distributor"
            elif brand is None and reason is None:
                reason = (
                    "site has no commercial signal" if shared > 0 else "carried by no other site"
                )
            item = Evidence(kind, value, weight, shared, examples, level, reason)
            (counted if weight > 0 else discounted).append(item)
        counted.sort(key=lambda e: (-e.weight, -e.shared_with, e.kind, e.value))
        discounted.sort(key=lambda e: (-e.shared_with, e.kind, e.value))
        reserve = min(len(discounted), max(1, limit // 4)) if limit > 0 else 0
        head = counted[: max(0, limit - reserve)]
        return (head + discounted)[:limit]

    def _groups(self, value_id: int) -> _ValueGroups:
        """A value's carriers summarised once per value (counts and the first few sites per
        brand and per distributor), so explaining every site costs O(links), not O(n²)."""
        found = self._group_cache.get(value_id)
        if found is not None:
            return found
        groups = _ValueGroups()
        links = self._table
        for carrier in links.carriers(value_id).tolist() if links is not None else ():
            brand = self.brand_of.get(self._sites[carrier])
            distributor = self.distributor_of.get(brand) if brand is not None else None
            groups.brand_count[brand] = groups.brand_count.get(brand, 0) + 1
            groups.dist_count[distributor] = groups.dist_count.get(distributor, 0) + 1
            for table, key, cap in (
                (groups.brand_first, brand, 6),
                (groups.dist_first, distributor, 12),
            ):
                first = table.setdefault(key, [])
                if len(first) < cap:
                    first.append(carrier)
            if len(groups.first) < 6:
                groups.first.append(carrier)
        self._group_cache[value_id] = groups
        return groups

    def _examples(
        self, groups: _ValueGroups, at: int, brand: str | None, distributor: str | None
    ) -> tuple[str, ...]:
        chosen: list[int] = []
        pools = (
            groups.brand_first.get(brand, []) if brand is not None else [],
            groups.dist_first.get(distributor, []) if distributor is not None else [],
            groups.first,
        )
        for pool in pools:
            for carrier in pool:
                if carrier != at and carrier not in chosen and len(chosen) < 5:
                    chosen.append(carrier)
        return tuple(self._sites[c] for c in chosen)


def _noise(carriers: int, commercial: int, params: Params) -> int:
    """How many carriers without commercial signal taint a value (0: not tainted)."""
    noise = carriers - commercial
    share = noise >= params.noise_share * carriers
    return noise if noise >= params.noise_sites and share else 0


def _weigh(
    kind: str, carriers: int, commercial: int, params: Params
) -> tuple[float, float, str | None]:
    """A value's effective (brand weight, distributor weight, reason it was discounted)."""
    bw = params.brand_weights.get(kind, 0.0)
    dw = params.distributor_weights.get(kind, 0.0)
    noise = _noise(carriers, commercial, params)
    if bw <= 0 and dw <= 0:
        return 0.0, 0.0, f"weak kind: {kind} (no weight)"
    if noise:
        return (
            0.0,
            0.0,
            (
                f"also on {noise} site{'s' if noise != 1 else ''} without commercial signal "
                "(kit default or public value)"
            ),
        )
    if params.strong_max_sites and commercial > params.strong_max_sites:
        return 0.0, 0.0, f"shared by {commercial} sites, above the cap of {params.strong_max_sites}"
    return bw, dw, None


def _common(carriers: int, *levels: tuple[float, int], params: Params) -> str | None:
    """The rarity discount of a weak value: (weight, clusters its carriers sit in) per level."""
    for weight, clusters in levels:
        if 0 < weight < params.threshold and clusters > params.weak_max_clusters:
            return (
                f"shared by {carriers} sites across {clusters} clusters "
                f"(common value, cap {params.weak_max_clusters})"
            )
    return None


def explain_local(
    site: str,
    values: Iterable[tuple[str, str, Iterable[str]]],
    brand_of: Mapping[str, str | None],
    distributor_of: Mapping[str, str],
    params: Params = Params(),
    limit: int = 8,
) -> list[Evidence]:
    """``Clustering.explain`` from a stored attribution instead of a run in memory: ``values``
    are the site's (kind, value, carriers) and ``brand_of``/``distributor_of`` the stored
    answers of those carriers (a site is commercial exactly when it has a brand). Weights and
    discounts follow the same rules as ``cluster``, so ``hotline why`` reads the store, and
    a run does not have to write every site's evidence."""
    listed = [(kind, value, {site, *members}) for kind, value, members in values]
    table = LinkTable.from_links(
        ((member, kind, value) for kind, value, members in listed for member in members),
        extra_sites=(site,),
    )
    brand_weight: list[float] = []
    dist_weight: list[float] = []
    reason: list[str | None] = []
    for value_id, (kind, _value) in enumerate(table.values):
        owners = [brand_of.get(table.sites[m]) for m in table.carriers(value_id).tolist()]
        commercial = [b for b in owners if b is not None]
        bw, dw, why = _weigh(kind, len(owners), len(commercial), params)
        if why is None:
            why = _common(
                len(owners),
                (bw, len(set(commercial))),
                (dw, len({distributor_of.get(b, b) for b in commercial})),
                params=params,
            )
        brand_weight.append(bw)
        dist_weight.append(dw)
        reason.append(why)
    local = Clustering(
        brand_of={s: brand_of.get(s) for s in table.sites},
        distributor_of=dict(distributor_of),
        _table=table,
        _brand_weight=brand_weight,
        _distributor_weight=dist_weight,
        _reason_of=reason.__getitem__,
    )
    return local.explain(site, limit)


class _Forest:
    """Union-find over integer nodes with path halving and cannot-link vetoes."""

    __slots__ = ("forbidden", "parent")

    def __init__(self, size: int) -> None:
        self.parent = list(range(size))
        self.forbidden: dict[int, set[int]] = {}

    def find(self, node: int) -> int:
        parent = self.parent
        while parent[node] != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    def forbid(self, a: int, b: int) -> None:
        root_a, root_b = self.find(a), self.find(b)
        self.forbidden.setdefault(root_a, set()).add(root_b)
        self.forbidden.setdefault(root_b, set()).add(root_a)

    def allowed(self, root_a: int, root_b: int) -> bool:
        banned = self.forbidden.get(root_a)
        if not banned:
            return True
        return all(self.find(other) != root_b for other in banned)

    def union(self, a: int, b: int) -> bool:
        root_a, root_b = self.find(a), self.find(b)
        if root_a == root_b:
            return True
        if not self.allowed(root_a, root_b):
            return False
        keep, gone = min(root_a, root_b), max(root_a, root_b)
        self.parent[gone] = keep
        moved = self.forbidden.pop(gone, None)
        if moved:
            self.forbidden.setdefault(keep, set()).update(moved)
        return True


def _agglomerate(
    forest: _Forest,
    values: list[tuple[str, list[int], float]],
    params: Params,
) -> None:
    """Merge ``forest`` nodes: (kind, carrier nodes, weight) values; strong ones directly,
    weak ones only when corroborated to the threshold between two clusters."""
    threshold = params.threshold
    weak: list[tuple[str, list[int], float]] = []
    weights: dict[str, float] = {}
    for kind, carriers, weight in values:
        if weight >= threshold:
            first = carriers[0]
            for other in carriers[1:]:
                forest.union(first, other)
        elif weight > 0:
            weights[kind] = max(weights.get(kind, 0.0), weight)
            weak.append((kind, carriers, weight))
    caps = params.kind_caps
    for _ in range(params.rounds):
        pair_kinds: dict[tuple[int, int], dict[str, float]] = defaultdict(dict)
        # clusters only ever merge: a value whose carriers share one cluster now always will,
        # so later rounds skip it
        spanning: list[tuple[str, list[int], float]] = []
        for kind, carriers, weight in weak:
            roots = sorted({forest.find(c) for c in carriers})
            if len(roots) < 2:
                continue
            spanning.append((kind, carriers, weight))
            if len(roots) > params.weak_max_clusters:
                continue
            for i, a in enumerate(roots):
                for b in roots[i + 1 :]:
                    kinds = pair_kinds[(a, b)]
                    kinds[kind] = kinds.get(kind, 0.0) + weight
        scored = (
            (
                sum(min(total, caps.get(k, 1.0) * weights[k]) for k, total in kinds.items()),
                pair,
            )
            for pair, kinds in pair_kinds.items()
        )
        candidates = sorted((-score, pair) for score, pair in scored if score >= threshold - 1e-9)
        merged = False
        for _score, (a, b) in candidates:
            root_a, root_b = forest.find(a), forest.find(b)
            if root_a != root_b and forest.union(root_a, root_b):
                merged = True
        if not merged:
            break
        weak = spanning


def cluster(
    links: Iterable[Link] | LinkTable,
    constraints: Constraints = Constraints(),
    params: Params = Params(),
) -> Clustering:
    """Sites → brands → distributors from selector links; see the module docstring.

    Per-value work is done on integer arrays (``LinkTable``); only the values that can merge
    something become Python lists, so a medium world clusters in seconds."""
    named = {
        site
        for pair in (
            *constraints.same_brand,
            *constraints.not_same_brand,
            *constraints.same_distributor,
            *constraints.not_same_distributor,
        )
        for site in pair
    }
    if isinstance(links, LinkTable):
        table = links.including(sorted(named))
    else:
        table = LinkTable.from_links(links, sorted(named))
    sites = table.sites
    index = {site: i for i, site in enumerate(sites)}
    site_of, value_of = table.site_of, table.value_of
    kinds = sorted({kind for kind, _value in table.values})
    kind_number = {kind: i for i, kind in enumerate(kinds)}
    kind_of = np.fromiter(
        (kind_number[kind] for kind, _value in table.values), np.int64, len(table.values)
    )

    def per_kind(table_of: Callable[[str], float]) -> NDArray[np.float64]:
        return np.asarray([table_of(kind) for kind in kinds], dtype=np.float64)[kind_of]

    carriers = np.diff(table.value_pointers)
    commercial = np.zeros(len(sites), dtype=bool)
    commercial_value = per_kind(lambda k: float(k in params.commercial_kinds)) > 0
    commercial[site_of[commercial_value[value_of]]] = True
    for a, b in (*constraints.same_brand, *constraints.same_distributor):
        commercial[index[a]] = commercial[index[b]] = True

    def commercial_carriers() -> Ints:
        return np.bincount(value_of[commercial[site_of]], minlength=len(table.values))

    def tainted(kept: Ints) -> NDArray[np.bool_]:
        # ``_noise`` over every value at once
        noise = carriers - kept
        return (noise >= params.noise_sites) & (noise >= params.noise_share * carriers)

    kind_brand = per_kind(lambda k: params.brand_weights.get(k, 0.0))
    kind_dist = per_kind(lambda k: params.distributor_weights.get(k, 0.0))
    # a site sharing a strong, untainted brand value with a commercial site is commercial
    kept = commercial_carriers()
    joined = (kind_brand >= params.threshold) & (carriers > 1) & ~tainted(kept) & (kept > 0)
    commercial[site_of[joined[value_of]]] = True

    # effective weights per level (``_weigh`` over every value at once)
    kept = commercial_carriers()
    discounted = tainted(kept)
    if params.strong_max_sites:
        discounted |= kept > params.strong_max_sites
    brand_weight = np.where(discounted, 0.0, kind_brand)
    dist_weight = np.where(discounted, 0.0, kind_dist)
    on_commercial = commercial[site_of]
    kept_sites = site_of[on_commercial]  # commercial carriers, sorted by (value, site)
    kept_values = value_of[on_commercial]
    kept_pointers = np.zeros(len(table.values) + 1, dtype=np.int64)
    np.cumsum(kept, out=kept_pointers[1:])
    starts, ends = kept_pointers[:-1].tolist(), kept_pointers[1:].tolist()

    # brands
    forest = _Forest(len(sites))
    for a, b in (*constraints.not_same_brand, *constraints.not_same_distributor):
        forest.forbid(index[a], index[b])
    for a, b in constraints.same_brand:
        forest.union(index[a], index[b])
    chosen = np.flatnonzero((brand_weight > 0) & (kept > 1)).tolist()
    _agglomerate(
        forest,
        [
            (kinds[kind_of[v]], kept_sites[starts[v] : ends[v]].tolist(), float(brand_weight[v]))
            for v in chosen
        ],
        params,
    )
    brand_root = np.fromiter(
        (forest.find(s) if commercial[s] else -1 for s in range(len(sites))),
        np.int64,
        len(sites),
    )

    # distributors: nodes are brand roots (site ids), cannot-links at brand level
    dforest = _Forest(len(sites))
    for a, b in constraints.not_same_distributor:
        ra, rb = int(brand_root[index[a]]), int(brand_root[index[b]])
        if ra >= 0 and rb >= 0 and ra != rb:
            dforest.forbid(ra, rb)
    for a, b in constraints.same_distributor:
        dforest.union(int(brand_root[index[a]]), int(brand_root[index[b]]))
    weighed = (dist_weight > 0)[kept_values]
    width = len(sites) + 1
    pairs = np.unique(kept_values[weighed] * width + brand_root[kept_sites[weighed]])
    pair_value, pair_root = pairs // width, pairs % width
    bounds = pointers(pair_value, len(table.values))
    spans = np.diff(bounds)
    roots = pair_root.tolist()
    dvalues = [
        (kinds[kind_of[v]], roots[bounds[v] : bounds[v + 1]], float(dist_weight[v]))
        for v in np.flatnonzero(spans > 1).tolist()
    ]
    _agglomerate(dforest, dvalues, params)

    distributor_root = np.fromiter(
        (dforest.find(int(r)) if r >= 0 else -1 for r in brand_root.tolist()),
        np.int64,
        len(sites),
    )
    brand_of: dict[str, str | None] = {}
    distributor_of: dict[str, str] = {}
    brand_members: dict[str, list[str]] = defaultdict(list)
    for s, (site, root, top) in enumerate(
        zip(sites, brand_root.tolist(), distributor_root.tolist(), strict=True)
    ):
        if root < 0:
            brand_of[site] = None
            continue
        key = sites[root]
        brand_of[site] = key
        brand_members[key].append(site)
        if s == root:
            distributor_of[key] = sites[top]

    def reason_of(v: int) -> str | None:
        kind = table.values[v][0]
        members = kept_sites[starts[v] : ends[v]]
        why = _weigh(kind, int(carriers[v]), len(members), params)[2]
        if why is not None:
            return why
        # weak-merge rounds report the weight that could have counted; rarity discounts
        return _common(
            int(carriers[v]),
            (float(brand_weight[v]), len(np.unique(brand_root[members]))),
            (float(dist_weight[v]), len(np.unique(distributor_root[members]))),
            params=params,
        )

    return Clustering(
        brand_of=brand_of,
        distributor_of=distributor_of,
        _table=table,
        _brand_weight=brand_weight,
        _distributor_weight=dist_weight,
        _reason_of=reason_of,
        _members=dict(brand_members),
        _index=index,
    )
