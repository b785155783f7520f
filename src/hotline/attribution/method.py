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
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from hotline.attribution.links import Link

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
    _sites: list[str] = field(default_factory=list, repr=False)
    _index: dict[str, int] = field(default_factory=dict, repr=False)
    _values: list[tuple[str, str]] = field(default_factory=list, repr=False)
    _carriers: list[list[int]] = field(default_factory=list, repr=False)
    _site_values: list[list[int]] = field(default_factory=list, repr=False)
    _brand_weight: list[float] = field(default_factory=list, repr=False)
    _distributor_weight: list[float] = field(default_factory=list, repr=False)
    _reason: list[str | None] = field(default_factory=list, repr=False)
    _members: dict[str, list[str]] = field(default_factory=dict, repr=False)
    _group_cache: dict[int, _ValueGroups] = field(default_factory=dict, repr=False)

    def members(self, brand: str) -> list[str]:
        """The sites of a brand cluster, sorted (empty for an unknown key)."""
        return list(self._members.get(brand, ()))

    def explain(self, site: str, limit: int = 8) -> list[Evidence]:
        """Why ``site`` sits where it does: the values that counted, strongest first, then
        values that were discounted (with the reason)."""
        at = self._index.get(site)
        if at is None:
            return []
        brand = self.brand_of.get(site)
        distributor = self.distributor_of.get(brand) if brand is not None else None
        counted: list[Evidence] = []
        discounted: list[Evidence] = []
        for value_id in self._site_values[at]:
            kind, value = self._values[value_id]
            groups = self._groups(value_id)
            shared = len(self._carriers[value_id]) - 1
            in_brand = groups.brand_count.get(brand, 0) - 1 if brand is not None else 0
            in_dist = (
                groups.dist_count.get(distributor, 0) - 1 - in_brand
                if distributor is not None
                else 0
            )
            examples = self._examples(groups, at, brand, distributor)
            reason = self._reason[value_id]
            level, weight = NONE, 0.0
            if brand is not None and reason is None:
                if in_brand > 0 and self._brand_weight[value_id] > 0:
                    level, weight = BRAND, self._brand_weight[value_id]
                elif (in_brand > 0 or in_dist > 0) and self._distributor_weight[value_id] > 0:
                    level, weight = DISTRIBUTOR, self._distributor_weight[value_id]
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
        for carrier in sorted(self._carriers[value_id]):
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

    def _distributor_of_site(self, site: str) -> str | None:
        brand = self.brand_of.get(site)
        return self.distributor_of.get(brand) if brand is not None else None


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
    listed = [(kind, value, sorted({site, *members})) for kind, value, members in values]
    # the same order as ``cluster`` (sorted keys), so examples are the same sites
    sites = sorted({member for _kind, _value, members in listed for member in members} | {site})
    index = {key: i for i, key in enumerate(sites)}
    value_keys = [(kind, value) for kind, value, _members in listed]
    carriers = [[index[m] for m in members] for _kind, _value, members in listed]
    site_values: list[list[int]] = [[] for _ in sites]
    site_values[index[site]] = list(range(len(value_keys)))
    brand_weight: list[float] = []
    dist_weight: list[float] = []
    reason: list[str | None] = []
    for (kind, _value), ids in zip(value_keys, carriers, strict=True):
        owners = [brand_of.get(sites[m]) for m in ids]
        commercial = [b for b in owners if b is not None]
        bw, dw, why = _weigh(kind, len(ids), len(commercial), params)
        if why is None:
            why = _common(
                len(ids),
                (bw, len(set(commercial))),
                (dw, len({distributor_of.get(b, b) for b in commercial})),
                params=params,
            )
        brand_weight.append(bw)
        dist_weight.append(dw)
        reason.append(why)
    local = Clustering(
        brand_of={s: brand_of.get(s) for s in sites},
        distributor_of=dict(distributor_of),
        _sites=sites,
        _index=index,
        _values=value_keys,
        _carriers=carriers,
        _site_values=site_values,
        _brand_weight=brand_weight,
        _distributor_weight=dist_weight,
        _reason=reason,
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
        for kind, carriers, weight in weak:
            roots = sorted({forest.find(c) for c in carriers})
            if len(roots) < 2 or len(roots) > params.weak_max_clusters:
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


def cluster(
    links: Iterable[Link], constraints: Constraints = Constraints(), params: Params = Params()
) -> Clustering:
    """Sites → brands → distributors from selector links; see the module docstring."""
    grouped: dict[tuple[str, str], set[str]] = defaultdict(set)
    seen: set[str] = set()
    for site, kind, value in links:
        seen.add(site)
        grouped[(kind, value)].add(site)
    for pair in (
        *constraints.same_brand,
        *constraints.not_same_brand,
        *constraints.same_distributor,
        *constraints.not_same_distributor,
    ):
        seen.update(pair)
    sites = sorted(seen)
    index = {site: i for i, site in enumerate(sites)}
    value_keys = sorted(grouped)
    carriers = [sorted(index[s] for s in grouped[key]) for key in value_keys]
    del grouped
    site_values: list[list[int]] = [[] for _ in sites]
    for value_id, members in enumerate(carriers):
        for s in members:
            site_values[s].append(value_id)

    commercial = [False] * len(sites)
    for value_id, (kind, _value) in enumerate(value_keys):
        if kind in params.commercial_kinds:
            for s in carriers[value_id]:
                commercial[s] = True
    for a, b in (*constraints.same_brand, *constraints.same_distributor):
        commercial[index[a]] = commercial[index[b]] = True

    def tainted(members: list[int]) -> int:
        return _noise(len(members), sum(1 for s in members if commercial[s]), params)

    # a site sharing a strong, untainted brand value with a commercial site is commercial
    joined = [
        v
        for v, (kind, _value) in enumerate(value_keys)
        if params.brand_weights.get(kind, 0.0) >= params.threshold
        and len(carriers[v]) > 1
        and not tainted(carriers[v])
        and any(commercial[s] for s in carriers[v])
    ]
    for v in joined:
        for s in carriers[v]:
            commercial[s] = True

    # effective weights, per level, and the reason a value was discounted
    brand_weight = [0.0] * len(value_keys)
    dist_weight = [0.0] * len(value_keys)
    reason: list[str | None] = [None] * len(value_keys)
    kept: list[list[int]] = []
    for value_id, (kind, _value) in enumerate(value_keys):
        members = [s for s in carriers[value_id] if commercial[s]]
        kept.append(members)
        brand_weight[value_id], dist_weight[value_id], reason[value_id] = _weigh(
            kind, len(carriers[value_id]), len(members), params
        )

    # brands
    forest = _Forest(len(sites))
    for a, b in (*constraints.not_same_brand, *constraints.not_same_distributor):
        forest.forbid(index[a], index[b])
    for a, b in constraints.same_brand:
        forest.union(index[a], index[b])
    _agglomerate(
        forest,
        [
            (value_keys[v][0], kept[v], brand_weight[v])
            for v in range(len(value_keys))
            if brand_weight[v] > 0 and len(kept[v]) > 1
        ],
        params,
    )
    brand_root = [forest.find(s) if commercial[s] else -1 for s in range(len(sites))]

    # distributors: nodes are brand roots (site ids), cannot-links at brand level
    dforest = _Forest(len(sites))
    for a, b in constraints.not_same_distributor:
        ra, rb = brand_root[index[a]], brand_root[index[b]]
        if ra >= 0 and rb >= 0 and ra != rb:
            dforest.forbid(ra, rb)
    for a, b in constraints.same_distributor:
        dforest.union(brand_root[index[a]], brand_root[index[b]])
    dvalues: list[tuple[str, list[int], float]] = []
    for v in range(len(value_keys)):
        if dist_weight[v] <= 0:
            continue
        roots = sorted({brand_root[s] for s in kept[v]})
        if len(roots) > 1:
            dvalues.append((value_keys[v][0], roots, dist_weight[v]))
    _agglomerate(dforest, dvalues, params)
    # weak-merge rounds report the weight that could have counted; mark rarity discounts
    for v in range(len(value_keys)):
        if reason[v] is not None:
            continue
        reason[v] = _common(
            len(carriers[v]),
            (brand_weight[v], len({forest.find(s) for s in kept[v]})),
            (dist_weight[v], len({dforest.find(brand_root[s]) for s in kept[v]})),
            params=params,
        )

    brand_of: dict[str, str | None] = {}
    distributor_of: dict[str, str] = {}
    brand_members: dict[str, list[str]] = defaultdict(list)
    for s, site in enumerate(sites):
        root = brand_root[s]
        if root < 0:
            brand_of[site] = None
            continue
        key = sites[root]
        brand_of[site] = key
        brand_members[key].append(site)
        distributor_of.setdefault(key, sites[dforest.find(root)])
    return Clustering(
        brand_of=brand_of,
        distributor_of=distributor_of,
        _sites=sites,
        _index=index,
        _values=value_keys,
        _carriers=carriers,
        _site_values=site_values,
        _brand_weight=brand_weight,
        _distributor_weight=dist_weight,
        _reason=reason,
        _members=dict(brand_members),
    )
