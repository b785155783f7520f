"""Attribution: cluster sites into brands and brands into distributors, with evidence.

The method in brief (docs/attribution-method.md has the reasoning and the measurements):

1. Group the (site, kind, value) links by (kind, value) once; sites become integer ids in
   sorted key order, so the smallest id of a cluster is its smallest site key.
2. A site is a candidate when the commercial kinds it carries add up to a floor (no single
   weak kind is enough; the reporting hotlines' verdict weighs in, never decides), when it
   shares a brand's name or redirect with candidates, or when an analyst's must-link names it.
3. Every shared value gets an effective weight per level: its kind's weight, zero when the
   value also sits on sites without commercial evidence (a kit default, a public service)
   or on sites that call themselves by two other names (a kit's title or logo).
4. Every strong value is asked which pieces its carriers would fall into without it
   (``pieces``): one that would join pieces standing on their own evidence is a bridge
   (needs corroboration) or a hub (counts nothing). Weak values add up only between two
   clusters, once per kind, from independent witnesses, and never join two clusters that
   each stand on their own.
5. Brands first (site nodes, naming kinds), then distributors (brand nodes, payment and
   infrastructure kinds); analysts' must-links merge first and cannot-links veto any merge.
6. Each attributed site gets a confidence; below the floor it stays unattributed, and so
   does a site the reporting hotlines called non-commercial that no strong value ties to
   its brand or distributor, or one that is commercial only by their word.
7. A site that shows nothing but hosting joins the brand its domain spells, or else the
   distributor whose own name servers or server address it uses, with low confidence; so
   do sites that name nothing (a brand of one, or a doorway and its dead target).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import combinations
from types import MappingProxyType

import numpy as np
from numpy.typing import NDArray

from hotline.attribution.domain_words import MIN_NAME_IN_DOMAIN, name_tokens, plain_text
from hotline.attribution.pieces import pieces
from hotline.attribution.table import Ints, Link, LinkTable, pointers

BRAND = "brand"
# the evidence row (and the run's note) that says how a site showing only hosting was placed
PLACED = "placement"
# the kind and values of the reporting hotlines' verdict on a site (``links``)
ASSESSMENT = "assessment"
COMMERCIAL, NON_COMMERCIAL = "commercial", "non-commercial"
CREDIT = "credit"  # a designer's "Site by …": links nothing, casts doubt on what it signs
HUB = "spans"  # how a note about a kit default or shared service begins
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
    """Every tunable of the method; the defaults are the values tuned on seeds 900-919
    (small) and 950 (medium) and documented in docs/attribution-method.md.

    Weights are in units of the merge ``threshold``: a value of weight ≥ threshold links its
    carriers on its own, lighter ones must be corroborated by other kinds.
    """

    # Brand level: only what names a brand (its name, its logo, its redirects). Templates,
    # addresses and nameservers are what kits, hosting panels and shared hosts put on
    # unrelated shops; they corroborated nothing the names did not already say.
    brand_weights: Mapping[str, float] = field(
        default_factory=lambda: _frozen(
            {
                "brand_text": 1.0,
                "gateway": 1.0,
                "favicon_md5": 1.0,
                "favicon_mmh3": 1.0,
            }
        )
    )
    distributor_weights: Mapping[str, float] = field(
        default_factory=lambda: _frozen(
            {
                "merchant_id": 1.0,
                "affiliate": 1.0,
                "btc_address": 1.0,
                "eth_address": 1.0,
                "crypto_address": 1.0,
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
    # How much each kind says "this site sells": a site is commercial when the kinds it
    # carries add up to ``commercial_floor``. Payment identities count fully; the kinds that
    # forums and link lists also show (a name, a tagged link, a redirect) count only
    # together, so no single extractor's false positive makes a site commercial.
    commercial_weights: Mapping[str, float] = field(
        default_factory=lambda: _frozen(
            {
                "merchant_id": 1.0,
                "btc_address": 1.0,
                "eth_address": 1.0,
                "crypto_address": 1.0,
                "payment_host": 0.6,
                "affiliate": 0.4,
                "brand_text": 0.4,
                "gateway": 0.4,
            }
        )
    )
    commercial_floor: float = 0.8
    # a carrier taints a value (below) only when its commercial score is under this: one
    # weak commercial kind at most
    noise_below: float = 0.5
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
    # A value that would join two or more clusters which each stand on evidence of their own
    # (two or more nodes, or another strong value) merges nothing on its own: it counts
    # ``bridge_weight`` and needs corroboration. Spread over three or more such clusters with
    # none holding ``hub_major`` of its carriers, it is a kit default, a shared service or a
    # decoy and counts nothing.
    bridge_weight: float = 0.5
    hub_major: float = 0.5
    # below this confidence a site stays unattributed instead of being forced into a cluster
    confidence_floor: float = 0.3
    # the reporting hotlines' majority verdict "commercial" adds this to the commercial score
    assessed_commercial: float = 0.4
    # ... "non-commercial" takes this off (hotlines misjudge: a shop that pays out shows it)
    assessed_non_commercial: float = 0.6
    # a site showing only hosting joins a distributor through a name server (or an address,
    # one of ``placing_kinds``) that at least this many of its sites use, and that share of
    # all the sites on it that show anything
    private_ns_sites: int = 5
    private_ns_share: float = 0.6
    placing_kinds: frozenset[str] = frozenset({"nameserver", "ip"})
    attach_confidence: float = 0.4
    # a commercial site tied to no other site joins the distributor whose sites, at least
    # this many and no others, carry the same analytics id or mailbox (``_attach_lone``)
    lone_value_sites: int = 3
    lone_kinds: frozenset[str] = frozenset({"analytics", "email"})
    # a site that shows something but names nothing is placed by its domain name too
    spell_nameless: bool = True
    # a site that names nothing and pays only into this many accounts of its own (none of
    # them shared) stands apart at the brand level: a logo it shares ties nothing alone
    nameless_own_payments: int = 1
    # a site the reporting hotlines called non-commercial stays attributed only with a firm
    # tie (a strong value shared with its brand or its distributor): weak values that merely
    # corroborate each other (an agency's mailbox and a shared host's name servers on a forum
    # with a donation button) are not enough against their word
    verdict_needs_firm_tie: bool = True
    # a weak value spread over three or more standing clusters still corroborates when a
    # payment account held back as a bridge spans every one of them (``_agglomerate``)
    account_spans_vouch: bool = True
    # a site whose pages only send visitors on (a redirect of its own, nothing else shown)
    # is judged by where it sends them, not by the hotlines' "non-commercial": a doorway
    # shows no shop, so it is easily misjudged (``_senders``; a Referer alone never counts)
    doorway_outweighs_verdict: bool = True
    # ... while a site that shows nothing but gateways with no redirect of its own (a page a
    # visitor came from, a link list's out-link) is not made commercial by them
    referred_needs_more: bool = True
    # a page that names nothing but that the hotlines called commercial may stand alone
    # too (``_attach_lone``): its operator's tags say whose it is
    lone_by_verdict: bool = True
    # ... and a site that is commercial only by the hotlines' word (its pages alone under the
    # floor: a name of its own, nothing it sells) stays attributed only with a firm tie too:
    # two weak values of one web designer are no proof against a misjudged client page
    word_needs_firm_tie: bool = True
    # stand-alone sites that share a tag count against one another in ``_attach_lone``, like
    # sites nobody runs: three or more of them are an agency's clients, not one operator's
    lone_crowd_counts: bool = True
    # ... but bare pages fewer than this share of a tag's carriers (a handful among an
    # operator's thousands of sites) say nothing either way: more likely its own pages
    lone_bare_share: float = 0.01
    # ... and a tag that this share or more of its other carriers carry beside a designer's
    # credit the stand-alone site carries too ("Site by …") places nobody: the designer who
    # put it there explains it as well as an operator would (0: credits are not read)
    lone_credit_share: float = 0.8
    # ... unless the credit is on sites of this many distributors or more: a theme's default
    # "Designed by" or a platform's credit, which unrelated operators all show, doubts nothing
    lone_credit_spread: int = 3
    # a weak value carried mostly by the same shops as a disputed name or logo (a kit's
    # default title or logo) is that kit's default too: its analytics id, its layout
    kit_values_travel: bool = True


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


@dataclass(frozen=True, slots=True)
class ValueSummary:
    """A value of the explained site carried by so many sites that the store counts its
    carriers instead of listing them (public script hosts, kit defaults): what weighing it
    needs. Counts are over carriers with a stored answer, the explained site included."""

    kind: str
    value: str
    carriers: int
    clean: int  # commercial, or with some commercial evidence (``Params.noise_below``)
    brands: int  # distinct brands among the carriers
    clusters: int  # distinct distributors among them (a brand without one counts alone)
    in_brand: int  # other carriers in the explained site's brand
    in_dist: int  # other carriers in its distributor, outside its brand
    examples: tuple[str, ...]


def judged(
    kind: str,
    value: str,
    shared: int,
    in_brand: int,
    in_dist: int,
    weighed: tuple[float, float, str | None],
    examples: tuple[str, ...],
    *,
    commercial: bool,
) -> Evidence:
    """One value of a site as evidence: it counts at the brand level when another carrier
    sits in the site's brand, at the distributor level when one sits in its distributor,
    with the weight the run gave it; otherwise it is listed with the reason it did not.
    ``weighed`` is (brand weight, distributor weight, reason the run discounted it)."""
    bw, dw, reason = weighed
    level, weight = NONE, 0.0
    if commercial and reason is None:
        if in_brand > 0 and bw > 0:
            level, weight = BRAND, bw
        elif (in_brand > 0 or in_dist > 0) and dw > 0:
            level, weight = DISTRIBUTOR, dw
        elif shared <= 0:
            reason = "carried by no other site"
        else:
            reason = "no other carrier in the same brand or distributor"
    elif not commercial and reason is None:
        reason = "site has no commercial signal" if shared > 0 else "carried by no other site"
    return Evidence(kind, value, weight, shared, examples, level, reason)


@dataclass
class Clustering:
    brand_of: dict[str, str | None]
    distributor_of: dict[str, str]
    # site → confidence of its attribution (0..1; see ``band``), attributed sites only
    confidence: dict[str, float] = field(default_factory=dict)
    # (kind, value) → why a value that could have merged was held back (bridges, hubs)
    notes: dict[tuple[str, str], str] = field(default_factory=dict)
    # site → its commercial score (every site with a link)
    scores: dict[str, float] = field(default_factory=dict)
    # the sites the run treated as commercial (score, shared strong value, analyst)
    candidates: frozenset[str] = frozenset()
    # site → (level, how) for a site that shows only hosting, placed by its domain name
    # (brand) or its distributor's name servers or server address (distributor)
    placed: dict[str, tuple[str, str]] = field(default_factory=dict)
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
        return self._arrange(site, self._evidence(site), limit)

    def _evidence(self, site: str) -> list[Evidence]:
        """Every value of ``site`` weighed, unordered."""
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
        found: list[Evidence] = []
        for value_id in table.site_values(at).tolist():
            kind, value = table.values[value_id]
            if kind == ASSESSMENT:  # a verdict on this site, shared with nobody: the score
                continue
            groups = self._groups(value_id)
            in_brand = groups.brand_count.get(brand, 0) - 1 if brand is not None else 0
            in_dist = (
                groups.dist_count.get(distributor, 0) - 1 - in_brand
                if distributor is not None
                else 0
            )
            found.append(
                judged(
                    kind,
                    value,
                    len(table.carriers(value_id)) - 1,
                    in_brand,
                    in_dist,
                    (
                        float(self._brand_weight[value_id]),
                        float(self._distributor_weight[value_id]),
                        self._reason_of(value_id),
                    ),
                    self._examples(groups, at, brand, distributor),
                    commercial=brand is not None,
                )
            )
        return found

    def _arrange(self, site: str, found: list[Evidence], limit: int) -> list[Evidence]:
        """The strongest counted values first, then at least a quarter of ``limit`` for the
        discounted ones (most shared first), after how the run placed the site, if it did."""
        if self._table is None or site not in self._index:
            return []
        counted = [e for e in found if e.weight > 0]
        discounted = [e for e in found if e.weight <= 0]
        counted.sort(key=lambda e: (-e.weight, -e.shared_with, e.kind, e.value))
        discounted.sort(key=lambda e: (-e.shared_with, e.kind, e.value))
        first: list[Evidence] = []
        brand = self.brand_of.get(site)
        placement = self.placed.get(site)
        if placement is not None and brand is not None and limit > 0:
            first = [Evidence(PLACED, placement[1], 0.0, 0, (), placement[0], None)]
            limit -= 1
        reserve = min(len(discounted), max(1, limit // 4)) if limit > 0 else 0
        head = counted[: max(0, limit - reserve)]
        return first + (head + discounted)[:limit]

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


def _noise(carriers: int, clean: int, params: Params) -> int:
    """How many carriers without commercial signal taint a value (0: not tainted); ``clean``
    carriers are commercial or show some commercial evidence (``Params.noise_below``)."""
    noise = carriers - clean
    share = noise >= params.noise_share * carriers
    return noise if noise >= params.noise_sites and share else 0


def _weigh(kind: str, carriers: int, clean: int, params: Params) -> tuple[float, float, str | None]:
    """A value's effective (brand weight, distributor weight, reason it was discounted)."""
    bw = params.brand_weights.get(kind, 0.0)
    dw = params.distributor_weights.get(kind, 0.0)
    noise = _noise(carriers, clean, params)
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
    if params.strong_max_sites and clean > params.strong_max_sites:
        return 0.0, 0.0, f"shared by {clean} sites, above the cap of {params.strong_max_sites}"
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
    scores: Mapping[str, float] | None = None,
    notes: Mapping[tuple[str, str], str] | None = None,
    candidates: Collection[str] = (),
    placed: tuple[str, str] | None = None,
    summaries: Iterable[ValueSummary] = (),
) -> list[Evidence]:
    """``Clustering.explain`` from a stored attribution instead of a run in memory: ``values``
    are the site's (kind, value, carriers) and ``brand_of``/``distributor_of`` the stored
    answers of those carriers (a site is commercial exactly when it has a brand), ``scores``
    their stored commercial scores, ``candidates`` those the run treated as commercial and
    ``notes`` the values the run held back (bridges and
    hubs, which only the whole picture shows), ``placed`` how the run placed a site that
    shows only hosting (level, how). Weights and discounts follow the same rules as
    ``cluster``, so ``hotline why`` reads the store, and a run does not have to write every
    site's evidence. ``summaries`` are values carried by too many sites to list: the store
    counted their carriers, and they are weighed from the counts by the same rules."""
    listed = [(kind, value, {site, *members}) for kind, value, members in values]
    table = LinkTable.from_links(
        ((member, kind, value) for kind, value, members in listed for member in members),
        extra_sites=(site,),
    )
    brand_weight: list[float] = []
    dist_weight: list[float] = []
    reason: list[str | None] = []
    for value_id, (kind, _value) in enumerate(table.values):
        members = [table.sites[m] for m in table.carriers(value_id).tolist()]
        owners = [brand_of.get(m) for m in members]
        commercial = [b for b in owners if b is not None]
        # as the run counted: candidates and sites with some commercial evidence (a site
        # placed by its name servers has a brand but was no candidate)
        clean = sum(
            1
            for m in members
            if m in candidates or (scores or {}).get(m, 0.0) >= params.noise_below - 1e-9
        )
        bw, dw, why = _weigh(kind, len(owners), clean, params)
        noted = notes.get(table.values[value_id]) if notes else None
        if noted is not None and (why is None or noted == SET_ASIDE):
            why = noted  # (a doorway's redirect has no weight: what the run did says more)
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
        placed={site: placed} if placed is not None else {},
    )
    found = local._evidence(site)
    has_brand = brand_of.get(site) is not None
    for summary in summaries:
        bw, dw, why = _weigh(summary.kind, summary.carriers, summary.clean, params)
        if why is None and notes:
            why = notes.get((summary.kind, summary.value))
        if why is None:
            why = _common(
                summary.carriers,
                (bw, summary.brands),
                (dw, summary.clusters),
                params=params,
            )
        found.append(
            judged(
                summary.kind,
                summary.value,
                summary.carriers - 1,
                summary.in_brand,
                summary.in_dist,
                (bw, dw, why),
                summary.examples,
                commercial=has_brand,
            )
        )
    return local._arrange(site, found, limit)


class _Forest:
    """Union-find over integer nodes with path halving, cluster sizes, a count of each
    cluster's own strong evidence, and cannot-link vetoes."""

    __slots__ = ("forbidden", "mass", "own", "parent", "size")

    def __init__(
        self, size: int, own: Sequence[int] | None = None, mass: Sequence[int] | None = None
    ) -> None:
        self.parent = list(range(size))
        self.size = [1] * size
        self.own = list(own) if own is not None else [0] * size
        self.mass = list(mass) if mass is not None else [1] * size
        self.forbidden: dict[int, set[int]] = {}

    def find(self, node: int) -> int:
        parent = self.parent
        while parent[node] != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    def stands(self, root: int) -> bool:
        """A cluster stands on its own evidence: two or more nodes, or an identity of its own."""
        return self.mass[root] >= 2 or self.own[root] > 0

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
        self.size[keep] += self.size[gone]
        self.own[keep] += self.own[gone]
        self.mass[keep] += self.mass[gone]
        moved = self.forbidden.pop(gone, None)
        if moved:
            self.forbidden.setdefault(keep, set()).update(moved)
        return True


@dataclass(slots=True)
class _Unit:
    """One piece of evidence for the agglomeration: a value, or all gateway values of one
    source site (a redirecting site is one witness, however many targets it has)."""

    kind: str
    carriers: list[int]  # nodes, one entry per (value, node) incidence
    weight: float
    values: tuple[int, ...]
    # demoted: it would have joined clusters that stand on their own, so it only adds to
    # evidence that is not itself held back (two kit defaults never corroborate each other)
    held: bool = False


def _agglomerate(
    forest: _Forest,
    units: list[_Unit],
    params: Params,
    notes: dict[int, str],
    allowed: int = 1,
) -> None:
    """Merge ``forest`` nodes. A strong unit joins its carriers directly unless, without it,
    they would sit in two or more pieces that each stand on their own evidence (then it
    needs corroboration, or counts nothing when spread like a kit default); weak units only
    add up between two clusters, once per kind, to the threshold."""
    threshold = params.threshold
    weak: list[_Unit] = []
    # values on exactly the same carriers travel together (a kit's default logo and name):
    # one witness, so they are weighed as one
    together: dict[tuple[int, ...], _Unit] = {}
    for unit in units:
        if unit.weight < threshold:
            continue
        key = tuple(sorted(set(unit.carriers)))
        seen = together.get(key)
        if seen is None:
            together[key] = unit
        else:
            together[key] = _Unit(seen.kind, seen.carriers, seen.weight, seen.values + unit.values)
    strong = list(together.values())

    # Every strong value against the pieces its carriers fall into without it (order-free).
    # Values that would join more pieces standing on their own than ``allowed`` — two among
    # distributors, the usual shape of one operator (brands grouped by their payment
    # addresses, joined by its merchant account); one among brands, whose domains share a
    # name or a logo — are taken out and the rest asked again: a kit's default logo and its
    # default title tie the same brands together, and each hides the other until one is gone.
    held_out: list[_Unit] = []
    active = strong
    answers = pieces([u.carriers for u in active], forest.own, forest.mass)
    for _ in range(4):
        out = {i for i, answer in enumerate(answers) if sum(answer.standing) > allowed}
        if not out:
            break
        held_out.extend(active[i] for i in sorted(out))
        # only the values of the parts of the graph a value was taken from are asked again:
        # the search over every other part would give the same answers
        touched = {answers[i].component for i in out}
        kept = [i for i in range(len(active)) if i not in out]
        again = [i for i in kept if answers[i].component in touched]
        fresh = pieces([active[i].carriers for i in again], forest.own, forest.mass)
        renewed = dict(zip(again, fresh, strict=True))
        answers = [renewed.get(i, answers[i]) for i in kept]
        active = [active[i] for i in kept]
    for unit, answer in zip(active, answers, strict=True):
        if sum(answer.standing) > allowed:
            held_out.append(unit)
            continue
        first = unit.carriers[0]
        for other in unit.carriers[1:]:
            forest.union(first, other)
    # what was taken out is judged against the clusters everything else made, narrowest
    # first: a value that only a decoy made look like a bridge merges after all
    held_out.sort(key=lambda unit: (len(unit.carriers), unit.values))
    for unit in held_out:
        groups: dict[int, list[int]] = defaultdict(list)
        for node in unit.carriers:
            groups[forest.find(node)].append(node)
        standing = [r for r in groups if forest.stands(r)]
        if len(standing) <= allowed:
            first = unit.carriers[0]
            for other in unit.carriers[1:]:
                forest.union(first, other)
            continue
        # distinct sites: a redirecting site is one carrier of its gateway unit, however
        # many targets it has (a link shortener is not the majority of its own links)
        sizes = [len(set(groups[r])) for r in standing]
        if len(standing) >= 3 and max(sizes) < params.hub_major * sum(sizes):
            notes.update(dict.fromkeys(unit.values, _hub_note(len(standing))))
            continue
        # the dominant cluster takes what has no evidence of its own; the others need more
        major = standing[sizes.index(max(sizes))]
        for root, group in groups.items():
            if root == major or root not in standing:
                for node in group:
                    forest.union(major, node)
        for value in unit.values:
            notes[value] = (
                f"would join {len(standing)} clusters that each have evidence of their own: "
                "counts only with corroboration"
            )
        weak.append(
            _Unit(unit.kind, unit.carriers, params.bridge_weight * threshold, unit.values, True)
        )
    # a weak value spread over three or more clusters that stand on their own is a kit
    # default or a shared service too (no majority exception: weak values only corroborate)
    # — unless a payment account held back above spans every one of those clusters: a kit
    # or a hosting panel plants tags and name servers, never a shop's merchant account, so
    # the operator's own tag beside its own account on the same brands is a second witness
    # (an account spanning more clusters than one operator's usual shape, ``allowed`` + 1,
    # may be a payment facilitator's: it vouches for nothing)
    paid_spans = [
        span
        for unit in weak
        if params.account_spans_vouch and unit.kind in PAYMENT_IDENTITIES
        for span in (
            frozenset(r for r in {forest.find(n) for n in unit.carriers} if forest.stands(r)),
        )
        if len(span) <= allowed + 1
    ]
    for unit in units:
        if not 0 < unit.weight < threshold:
            continue
        spanned = frozenset(
            root for root in {forest.find(n) for n in unit.carriers} if forest.stands(root)
        )
        spread = len(spanned)
        if spread >= 3 and not any(spanned <= span for span in paid_spans):
            notes.update(dict.fromkeys(unit.values, _hub_note(spread)))
            continue
        weak.append(unit)
    weights: dict[str, float] = {}
    for unit in weak:
        weights[unit.kind] = max(weights.get(unit.kind, 0.0), unit.weight)
    caps = params.kind_caps
    for _ in range(params.rounds):
        pair_units: dict[tuple[int, int], list[int]] = defaultdict(list)
        # clusters only ever merge: a value whose carriers share one cluster now always will,
        # so later rounds skip it
        spanning: list[_Unit] = []
        for unit in weak:
            roots_now = sorted({forest.find(c) for c in unit.carriers})
            if len(roots_now) < 2:
                continue
            spanning.append(unit)
            if len(roots_now) > params.weak_max_clusters:
                continue
            at = len(spanning) - 1
            for i, a in enumerate(roots_now):
                for b in roots_now[i + 1 :]:
                    pair_units[(a, b)].append(at)

        # two clusters that each stand on their own evidence need a strong value (held back
        # as a bridge) among what they share: weak values alone — analytics tags, e-mails,
        # templates, hosting — are what kits, agencies and widgets put on unrelated sites
        scored = (
            (_corroboration([spanning[i] for i in units], weights, caps), pair, held)
            for pair, units in pair_units.items()
            if len(units) > 1
            for held in (any(spanning[i].held for i in units),)
            if held or not forest.stands(pair[0]) or not forest.stands(pair[1])
        )
        candidates = sorted(
            (-score, pair, held) for score, pair, held in scored if score >= threshold - 1e-9
        )
        merged = False
        for _score, (a, b), held in candidates:
            root_a, root_b = forest.find(a), forest.find(b)
            if root_a == root_b:
                continue
            # asked again at the union: earlier merges of this round may have made both
            # sides stand on their own, and then weak values alone may not join them
            if not held and forest.stands(root_a) and forest.stands(root_b):
                continue
            if forest.union(root_a, root_b):
                merged = True
        if not merged:
            break
        weak = spanning


def _corroboration(
    units: list[_Unit], weights: Mapping[str, float], caps: Mapping[str, float]
) -> float:
    """How much independent evidence two clusters share: per kind the sum of its values'
    weights, capped; a value counts only when its carriers are not mostly the same sites as
    those of a value of the same origin already counted (a kit's default analytics id and
    logo, or an agency's e-mail and tag, are one witness, not two), and held-back values
    only add to evidence that is not held back.

    Origins: what the pages carry (put there by whoever built the site: the operator, a
    kit, an agency) and where the site is hosted (put there by whoever runs its DNS and
    servers). An operator's analytics id and its own name servers sit on the same sites and
    are still two witnesses: a kit or an agency plants the one, never the other."""
    if all(u.held for u in units):
        return 0.0
    chosen: list[tuple[bool, frozenset[int]]] = []
    totals: dict[str, float] = {}
    for unit in sorted(units, key=lambda u: (u.held, -u.weight, u.values)):
        carriers = frozenset(unit.carriers)
        hosting = unit.kind in WHERE_HOSTED
        if any(
            origin == hosting and len(carriers & seen) * 2 > len(carriers | seen)
            for origin, seen in chosen
        ):
            continue
        chosen.append((hosting, carriers))
        totals[unit.kind] = totals.get(unit.kind, 0.0) + unit.weight
    if len(chosen) < 2 and all(t < 1.0 for t in totals.values()):
        return 0.0
    return sum(min(total, caps.get(k, 1.0) * weights[k]) for k, total in totals.items())


def _hub_note(clusters: int) -> str:
    return (
        f"{HUB} {clusters} clusters that are otherwise unconnected "
        "(kit default, shared service or decoy)"
    )


def _units(
    table: LinkTable,
    kinds: list[str],
    kind_of: Ints,
    chosen: list[int],
    carriers_of: Callable[[int], list[int]],
    weight: NDArray[np.float64],
) -> list[_Unit]:
    """Evidence units of one level: one per value, except that the gateway values of one
    source site ("a>b", "a>c") form one unit."""
    units: list[_Unit] = []
    gateways: dict[str, list[int]] = defaultdict(list)
    for v in chosen:
        kind = kinds[kind_of[v]]
        if kind == "gateway":
            gateways[table.values[v][1].split(">", 1)[0]].append(v)
            continue
        units.append(_Unit(kind, carriers_of(v), float(weight[v]), (v,)))
    for group in gateways.values():
        carriers = [c for v in group for c in carriers_of(v)]
        units.append(_Unit("gateway", carriers, max(float(weight[v]) for v in group), tuple(group)))
    return units


def band(confidence: float | None) -> str:
    """The band people read: high, medium or low (``none`` when there is no attribution)."""
    if confidence is None:
        return "none"
    if confidence >= 0.75:
        return "high"
    if confidence >= 0.5:
        return "medium"
    return "low"


def cluster(
    links: Iterable[Link] | LinkTable,
    constraints: Constraints = Constraints(),
    params: Params = Params(),
) -> Clustering:
    """Sites → brands → distributors from selector links; see the module docstring.

    Per-value work is done on integer arrays (``LinkTable``); only the values that can merge
    something become Python lists, so a medium world clusters in seconds."""
    if params.nameless_own_payments < 1:
        # 0 would make every nameless site stand apart, paying or not
        raise ValueError("nameless_own_payments must be at least 1")
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
    # the commercial score: each kind a site carries counts once
    kind_score = np.asarray([params.commercial_weights.get(k, 0.0) for k in kinds])
    site_kind = np.unique(site_of * len(kinds) + kind_of[value_of]) if len(kinds) else site_of
    score = np.bincount(
        site_kind // max(len(kinds), 1),
        weights=kind_score[site_kind % max(len(kinds), 1)] if len(kinds) else None,
        minlength=len(sites),
    ).astype(np.float64)
    # what the reporting hotlines said: "commercial" counts like one weak kind,
    # "non-commercial" takes more off (they misjudge: a site that shows payments stays in)
    assessed = _assessed(table, kind_of, kind_number.get(ASSESSMENT, -1))
    shows = _shows(table, kinds, kind_of)
    doorway, referred, redirect_of = _senders(table, kind_of, kind_number, index, shows)
    sender_notes: dict[int, str] = {}
    if params.doorway_outweighs_verdict:
        set_aside = doorway & (assessed < 0)
        sender_notes = {v: SET_ASIDE for v, s in redirect_of.items() if set_aside[s]}
        assessed = np.where(set_aside, 0, assessed)
    if params.referred_needs_more and "redirect" in kind_number:
        # a page that a visitor merely came from (a Referer, a link list's out-link) says
        # nothing about what the page sells: its gateway neither scores nor makes it join
        # (links read by a reader that records no redirects — a store imported before it
        # did — cannot tell such a page from a doorway: there the rule is not applied)
        score = np.where(referred, 0.0, score)
    else:
        referred = np.zeros(len(sites), dtype=bool)
    shown = score >= params.commercial_floor - 1e-9  # what the pages alone say
    score += np.where(assessed > 0, params.assessed_commercial, 0.0)
    score -= np.where(assessed < 0, params.assessed_non_commercial, 0.0)
    commercial = score >= params.commercial_floor - 1e-9
    # ... and what they called non-commercial joins no brand by a logo or a redirect (a
    # forum showing a hosting panel's logo next to a shop's), by a shared name only when
    # its pages alone look commercial or a second value of the name's shops backs it (a
    # shop domain the hotlines misjudged; see ``_second_witness``)
    ruled_out = (assessed < 0) & ~commercial
    named_in = ~ruled_out | shown
    forced = np.zeros(len(sites), dtype=bool)
    for a, b in (*constraints.same_brand, *constraints.same_distributor):
        commercial[index[a]] = commercial[index[b]] = True
        forced[index[a]] = forced[index[b]] = True

    def commercial_carriers() -> Ints:
        return np.bincount(value_of[commercial[site_of]], minlength=len(table.values))

    partly = score >= params.noise_below - 1e-9
    clean = np.bincount(value_of[partly[site_of]], minlength=len(table.values))

    def tainted(kept: Ints) -> NDArray[np.bool_]:
        # ``_noise`` over every value at once; a site with some commercial evidence (a shop
        # domain that showed a name and a partner link but no payment) is not noise
        noise: Ints = carriers - np.maximum(kept, clean)
        flags: NDArray[np.bool_] = (noise >= params.noise_sites) & (
            noise >= params.noise_share * carriers
        )
        return flags

    kind_brand = per_kind(lambda k: params.brand_weights.get(k, 0.0))
    kind_dist = per_kind(lambda k: params.distributor_weights.get(k, 0.0))
    is_name = kind_of == kind_number.get("brand_text", -1)
    if ruled_out.any():
        kept = commercial_carriers()
        named_in |= _second_witness(
            table,
            ruled_out & ~named_in,
            is_name & (carriers > 1) & (kept > 0),
            np.isin(kind_of, [kind_number.get(k, -1) for k in SECOND_WITNESS_KINDS])
            & (kept > 0)
            & ~tainted(kept),
            np.isin(kind_of, [kind_number.get(k, -1) for k in BRAND_LEVEL_WITNESSES]),
            commercial,
            kept,
        )
    # a site sharing a strong, untainted brand value with a commercial site is a candidate
    is_gateway = kind_of == kind_number.get("gateway", -1)
    # (untainted, or a name most of whose carriers are commercial: a brand's name also sits
    # on its domains that showed no payment, and those must not make the name look like a
    # public value; a few rounds: a domain joined by its name makes its logo count next)
    for _ in range(3):
        kept = commercial_carriers()
        joined = (
            (kind_brand >= params.threshold)
            & (carriers > 1)
            & (kept > 0)
            & (~tainted(kept) | ((2 * kept >= carriers) & is_name))
        )
        # a logo alone never makes a site without any commercial kind a candidate: hosting
        # panels and content systems put theirs on every site they serve
        via = joined[value_of] & ((score[site_of] > 0) | is_name[value_of] | is_gateway[value_of])
        via &= ~referred[site_of]
        newly = site_of[via & (~ruled_out[site_of] | (is_name[value_of] & named_in[site_of]))]
        if commercial[newly].all():
            break
        commercial[newly] = True

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
    brand_notes: dict[int, str] = {}
    dist_notes: dict[int, str] = {}
    # a name or logo on shops that call themselves by different names is a kit's default
    for v, note in _disputed(
        table.values,
        kind_of,
        [kind_number.get(k, -1) for k in ("brand_text", "favicon_md5", "favicon_mmh3")],
        kind_number.get("brand_text", -1),
        brand_weight >= params.threshold,
        kept_sites,
        kept_values,
        starts,
        ends,
    ).items():
        brand_weight[v] = dist_weight[v] = 0.0
        brand_notes[v] = note
    if params.kit_values_travel:
        for w, note in _travelling_with(
            [v for v, note in brand_notes.items() if note.startswith(HUB)],
            brand_notes,
            (dist_weight > 0)
            & (dist_weight < params.threshold)
            & ~np.isin(kind_of, [kind_number.get(k, -1) for k in sorted(WHERE_HOSTED)]),
            kept,
            kept_sites,
            kept_values,
            starts,
            ends,
            len(sites),
        ).items():
            dist_weight[w] = 0.0
            dist_notes.setdefault(w, note)

    # brands: a site's own strong brand values (shared or not) are its evidence of its own
    # a site's identity of its own: a name or a logo no other commercial site carries
    strong_brand = brand_weight >= params.threshold
    private = (kept == 1)[kept_values]
    named = np.isin(
        kind_of, [kind_number.get("brand_text", -1), kind_number.get("favicon_md5", -1)]
    )[kept_values]
    # (a private logo is no identity of its own for a site whose name others share: the
    # name says which brand it is, the odd logo is a panel's or a variant)
    is_name_link = (kind_of == kind_number.get("brand_text", -1))[kept_values]
    shared_name = np.bincount(
        kept_sites[strong_brand[kept_values] & ~private & is_name_link], minlength=len(sites)
    )
    own_link = strong_brand[kept_values] & private & named
    own_link &= is_name_link | (shared_name[kept_sites] == 0)
    # (nor is a name of its own that is a shared name with more words: "Zorvex Shop" on one
    # domain of the brand the others call "Zorvex")
    own_link &= ~_variants_of_shared(
        table.values, kind_of, kind_number.get("brand_text", -1), strong_brand, kept
    )[kept_values]
    own_brand = np.bincount(kept_sites[own_link], minlength=len(sites))
    # a site with no name of its own whose payment identities are all its own (a forum's
    # donation address or donate button) stands apart: a shared logo alone is no tie
    paying = np.isin(kind_of, [kind_number.get(k, -1) for k in PAYMENT_IDENTITIES])[kept_values]
    own_pay = np.bincount(kept_sites[paying & private], minlength=len(sites))
    shared_pay = np.bincount(kept_sites[paying & ~private], minlength=len(sites))
    has_name = np.bincount(
        kept_sites[is_name_link & strong_brand[kept_values]], minlength=len(sites)
    )
    own_brand = own_brand + (
        (own_pay >= params.nameless_own_payments) & (shared_pay == 0) & (has_name == 0)
    )
    # a site whose only brand evidence is a redirect (a gateway, a short link's target
    # seen only through it) adds no identity: with its target it is one piece, not two
    named_value = (strong_brand & ~is_gateway)[kept_values]
    mass = np.bincount(kept_sites[named_value], minlength=len(sites)) > 0
    forest = _Forest(len(sites), own_brand.tolist(), mass.astype(np.int64).tolist())
    for a, b in (*constraints.not_same_brand, *constraints.not_same_distributor):
        forest.forbid(index[a], index[b])
    for a, b in constraints.same_brand:
        forest.union(index[a], index[b])
    chosen = np.flatnonzero((brand_weight > 0) & (kept > 1)).tolist()
    _agglomerate(
        forest,
        _units(
            table,
            kinds,
            kind_of,
            chosen,
            lambda v: kept_sites[starts[v] : ends[v]].tolist(),
            brand_weight,
        ),
        params,
        brand_notes,
    )
    brand_root = np.fromiter(
        (forest.find(s) if commercial[s] else -1 for s in range(len(sites))),
        np.int64,
        len(sites),
    )
    # a value found to be a kit default or a shared service among brands is one among
    # distributors too
    for v, note in brand_notes.items():
        if note.startswith(HUB):
            dist_weight[v] = 0.0

    # distributors: nodes are brand roots (site ids), cannot-links at brand level
    weighed = (dist_weight > 0)[kept_values]
    width = len(sites) + 1
    pairs = np.unique(kept_values[weighed] * width + brand_root[kept_sites[weighed]])
    pair_value, pair_root = pairs // width, pairs % width
    strong_dist = dist_weight >= params.threshold
    alone = (np.diff(pointers(pair_value, len(table.values))) == 1)[pair_value]
    own_dist = np.bincount(pair_root[strong_dist[pair_value] & alone], minlength=len(sites))
    # one payment identity of its own is common for a distributor's brand (its own merchant
    # account); a brand stands apart when two or more of them are nobody else's
    own_dist = np.where(own_dist >= 2, own_dist, 0)
    dforest = _Forest(len(sites), own_dist.tolist())
    for a, b in constraints.not_same_distributor:
        ra, rb = int(brand_root[index[a]]), int(brand_root[index[b]])
        if ra >= 0 and rb >= 0 and ra != rb:
            dforest.forbid(ra, rb)
    for a, b in constraints.same_distributor:
        dforest.union(int(brand_root[index[a]]), int(brand_root[index[b]]))
    bounds = pointers(pair_value, len(table.values))
    spans = np.diff(bounds)
    roots = pair_root.tolist()
    _agglomerate(
        dforest,
        _units(
            table,
            kinds,
            kind_of,
            np.flatnonzero(spans > 1).tolist(),
            lambda v: roots[bounds[v] : bounds[v + 1]],
            dist_weight,
        ),
        params,
        dist_notes,
        allowed=2,
    )
    distributor_root = np.fromiter(
        (dforest.find(int(r)) if r >= 0 else -1 for r in brand_root.tolist()),
        np.int64,
        len(sites),
    )

    confidence, firm, firm_to_distributor = _confidence(
        table,
        params,
        score,
        brand_root,
        distributor_root,
        kept_sites,
        kept_values,
        strong_brand & ~_noted(brand_notes, len(table.values)),
        strong_dist & ~_noted(dist_notes, len(table.values)),
        forced,
    )
    # below the floor a site stays unattributed; its cluster keeps the others. A site
    # without commercial evidence of its own needs a strong value tying it to its brand.
    weak_site = (confidence < params.confidence_floor) | (
        (score < params.commercial_floor - 1e-9) & ~firm
    )
    # ... and a site the hotlines called non-commercial needs a firm tie whatever its score
    if params.verdict_needs_firm_tie:
        weak_site |= (assessed < 0) & ~firm & ~firm_to_distributor
    if params.word_needs_firm_tie:
        # (the distributor's own name servers or server are a firm tie here: a web designer
        # puts tags and mailboxes on a client's pages, never the operator's DNS under it)
        weak_site |= (
            (assessed > 0)
            & ~shown
            & ~firm
            & ~firm_to_distributor
            & ~_on_private_hosting(
                table,
                np.isin(kind_of, [kind_number.get(k, -1) for k in sorted(WHERE_HOSTED)])
                & (dist_weight > 0),
                distributor_root,
                shows > 0,
            )
        )
    dropped = (brand_root >= 0) & weak_site & ~forced
    brand_root[dropped] = -1
    distributor_root[dropped] = -1

    # sites that show nothing but hosting (taken down, parked, challenged): a domain that
    # spells a brand's name is that brand's whatever the hotlines called it (they may have
    # seen it down too); name servers are weaker, and not enough against their word
    blind: NDArray[np.bool_] = shows == 0
    attachable = blind & (assessed >= 0)
    # ... and a site that shows something but names nothing (no title; a redirect, a logo
    # or a tag at most) and that the hotlines did not call non-commercial, when it shows
    # some commercial evidence or the brand's own logo or redirect, and nothing it shows
    # at the brand level belongs to another brand (a nameless page with a brand's name in
    # its domain and nothing else, a link list or a review, is not placed)
    names_itself = _named_sites(table, is_name)
    nameless = np.zeros(len(table.sites), dtype=np.bool_)
    if params.spell_nameless:
        nameless = ~blind & ~names_itself & (assessed >= 0)
    # the analyst's cannot-links hold for these placements too: they are often exactly why
    # a site stands alone
    apart = _Apart.of(constraints, index)
    spelled = _attach_by_domain_name(
        table,
        kind_of,
        kind_number.get("brand_text", -1),
        strong_brand & ~_noted(brand_notes, len(table.values)),
        brand_root,
        distributor_root,
        blind,
        nameless=nameless,
        brand_level=strong_brand & ~is_name,
        vouched=score >= params.noise_below - 1e-9,
        apart=apart,
        redirect=is_gateway,
        paying=np.isin(kind_of, [kind_number.get(k, -1) for k in PAYMENT_IDENTITIES]),
    )
    attached = _attach_by_hosting(
        table,
        np.isin(kind_of, [kind_number.get(k, -1) for k in sorted(params.placing_kinds)]),
        brand_root,
        distributor_root,
        blind,
        attachable,
        params,
        apart,
    )
    # (a site that names itself; a forum does too, so a site whose tags are shared with
    # other operators' sites moves only when its operator's tags outnumber them)
    countable_brand = strong_brand & ~_noted(brand_notes, len(table.values))
    lone_candidate = commercial & _named_sites(table, is_name & countable_brand)
    if params.lone_by_verdict:
        # ... or a page that names nothing and pays into nothing but that the hotlines
        # called commercial (a shop page with its operator's tags and no title of its own;
        # a forum's donation account would make it a forum the operator's designer made)
        lone_candidate |= (
            (assessed > 0) & ~names_itself & ~_named_sites(table, kind_dist >= params.threshold)
        )
    lone = _attach_lone(
        table,
        np.isin(kind_of, [kind_number.get(k, -1) for k in sorted(params.lone_kinds)])
        & (dist_weight > 0)
        & ~_noted(dist_notes, len(table.values)),
        brand_root,
        distributor_root,
        lone_candidate & ~blind & ~forced,
        kind_dist >= params.threshold,
        shown & (assessed < 0) & (brand_root < 0),
        params,
        apart,
        kind_of == kind_number.get(CREDIT, -1),
    )
    if params.verdict_needs_firm_tie:
        # what the hotlines called non-commercial is not placed by one tag either: only
        # with a strong value of its own that a site of that distributor also carries
        counted = np.where(_noted(dist_notes, len(table.values)), 0.0, dist_weight)
        for number in [n for n in lone if assessed[n] < 0]:
            if not _firmly_placed(table, number, distributor_root, counted, params.threshold):
                brand_root[number] = distributor_root[number] = -1
                del lone[number]
    placed = {s: (BRAND, why) for s, why in spelled.items()}
    placed.update((s, (DISTRIBUTOR, why)) for s, why in attached.items())
    placed.update((s, (DISTRIBUTOR, why)) for s, why in lone.items())
    confidence[list(placed)] = params.attach_confidence

    brand_of: dict[str, str | None] = {}
    distributor_of: dict[str, str] = {}
    brand_members: dict[str, list[str]] = defaultdict(list)
    key_of_root: dict[int, int] = {}  # brand root → smallest remaining member
    for s, root in enumerate(brand_root.tolist()):
        if root >= 0 and root not in key_of_root:
            key_of_root[root] = s
    top_key: dict[int, int] = {}  # distributor root → smallest brand key
    for first in key_of_root.values():
        top = int(distributor_root[first])
        if top not in top_key or first < top_key[top]:
            top_key[top] = first
    confidence_of: dict[str, float] = {}
    for s, (site, root) in enumerate(zip(sites, brand_root.tolist(), strict=True)):
        if root < 0:
            brand_of[site] = None
            continue
        key = sites[key_of_root[root]]
        brand_of[site] = key
        brand_members[key].append(site)
        confidence_of[site] = round(float(confidence[s]), 3)
        if key_of_root[root] == s:
            distributor_of[key] = sites[top_key[int(distributor_root[s])]]

    def reason_of(v: int) -> str | None:
        if v in sender_notes:
            return sender_notes[v]
        kind = table.values[v][0]
        members = kept_sites[starts[v] : ends[v]]
        why = _weigh(kind, int(carriers[v]), max(len(members), int(clean[v])), params)[2]
        if why is not None:
            return why
        noted = brand_notes.get(v) or dist_notes.get(v)
        if noted is not None:
            return noted
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
        confidence=confidence_of,
        scores=dict(zip(sites, np.round(score, 3).tolist(), strict=True)),
        candidates=frozenset(sites[i] for i in np.flatnonzero(commercial).tolist()),
        notes={
            **{
                table.values[v]: note
                for level_notes in (dist_notes, brand_notes, sender_notes)
                for v, note in level_notes.items()
            },
            # how a site that shows only hosting was placed (``why`` reads it back)
            **{(f"{PLACED}:{level}", sites[s]): why for s, (level, why) in placed.items()},
        },
        placed={sites[s]: placement for s, placement in placed.items()},
        _table=table,
        _brand_weight=brand_weight,
        _distributor_weight=dist_weight,
        _reason_of=reason_of,
        _members=dict(brand_members),
        _index=index,
    )


# why a doorway's redirect is listed in ``why`` (its verdict was set aside, step 2)
SET_ASIDE = (
    "a doorway: the site's front page only sends visitors on, so the hotlines' "
    '"non-commercial" was set aside'
)
HOSTING_KINDS = frozenset({"ip", "nameserver", "script_host"})
# the hosting origin of a witness: what the site's DNS and servers say (a script host is
# what its pages load: a kit's or an agency's, the pages' origin)
WHERE_HOSTED = frozenset({"ip", "nameserver"})
# what a buyer pays into: the operator's own accounts
PAYMENT_IDENTITIES = ("merchant_id", "btc_address", "eth_address", "crypto_address")
# kinds that say nothing about what a site's pages show (a designer's credit says who
# built them, not what they show: a page with nothing else is as bare as one without it)
NOT_SHOWN = HOSTING_KINDS | {ASSESSMENT, CREDIT}


def _assessed(table: LinkTable, kind_of: Ints, kind: int) -> Ints:
    """Per site: 1 when the reporting hotlines' majority said commercial, -1 when they said
    non-commercial, 0 when they said nothing."""
    verdict = np.zeros(len(table.sites), dtype=np.int64)
    for v in np.flatnonzero(kind_of == kind).tolist():
        verdict[table.carriers(v)] = 1 if table.values[v][1] == COMMERCIAL else -1
    return verdict


def _senders(
    table: LinkTable,
    kind_of: Ints,
    kind_number: Mapping[str, int],
    index: Mapping[str, int],
    shows: Ints,
) -> tuple[NDArray[np.bool_], NDArray[np.bool_], dict[int, int]]:
    """Sites that show nothing but the gateways they are the source of: (doorways, referred,
    each redirect value's source site).
    A doorway has a redirect of its own (its front page sent the visitor on by an HTTP 3xx,
    a meta refresh or a script); a referred site has none — a visitor came from one of its
    pages (a Referer: a forum's link, a search) or it forwarded one link under some path (a
    link list's out-link, a short link). ``shows``: per site, its values that are no hosting
    (``_shows``)."""
    n = len(table.sites)
    redirects = np.zeros(n, dtype=np.int64)
    sends = np.zeros(n, dtype=np.int64)  # shown values that are its own sending on
    redirect_of: dict[int, int] = {}
    for kind in ("redirect", "gateway"):
        number = kind_number.get(kind, -1)
        for v in np.flatnonzero(kind_of == number).tolist():
            source = index.get(table.values[v][1].split(">", 1)[0], -1)
            if source >= 0 and bool(np.any(table.carriers(v) == source)):
                sends[source] += 1
                if kind == "redirect":
                    redirects[source] += 1
                    redirect_of[v] = source
    only = (sends == shows) & (shows > 0)
    return only & (redirects > 0), only & (redirects == 0), redirect_of


def _shows(table: LinkTable, kinds: list[str], kind_of: Ints) -> Ints:
    """Per site, how many of its values its pages show (not hosting, not a verdict): none for
    a site that shows nothing but hosting — every capture an error, parked, suspended or
    challenge page, or no capture at all (``blind``)."""
    hosting = np.asarray([k in NOT_SHOWN for k in kinds], dtype=bool)[kind_of]
    shows: Ints = np.bincount(table.site_of[~hosting[table.value_of]], minlength=len(table.sites))
    return shows


@dataclass(frozen=True, slots=True)
class _Apart:
    """The analyst's cannot-links by site number, both ways, for the placements made after
    the clustering (by domain name, name servers or address, a lone brand's tag)."""

    brand: Mapping[int, tuple[int, ...]]
    distributor: Mapping[int, tuple[int, ...]]

    @classmethod
    def of(cls, constraints: Constraints, index: Mapping[str, int]) -> _Apart:
        pairs: dict[str, dict[int, list[int]]] = {"brand": {}, "distributor": {}}
        for level, given in (
            ("brand", constraints.not_same_brand),
            ("distributor", constraints.not_same_distributor),
        ):
            for a, b in given:
                if a in index and b in index:
                    pairs[level].setdefault(index[a], []).append(index[b])
                    pairs[level].setdefault(index[b], []).append(index[a])
        return cls(
            {s: tuple(p) for s, p in pairs["brand"].items()},
            {s: tuple(p) for s, p in pairs["distributor"].items()},
        )

    def allows(
        self,
        sites: Iterable[int],
        brand: int | None,
        distributor: int,
        brand_root: Ints,
        distributor_root: Ints,
    ) -> bool:
        """May ``sites`` join brand root ``brand`` (None: a brand of their own) in
        distributor root ``distributor``? Not when one of them was ruled apart from a site
        of that brand, or (distributor level) from a site of that distributor."""
        for s in sites:
            for p in self.brand.get(s, ()):
                if brand is not None and brand_root[p] == brand:
                    return False
            for p in self.distributor.get(s, ()):
                if distributor_root[p] == distributor:
                    return False
        return True


def _attach_by_domain_name(
    table: LinkTable,
    kind_of: Ints,
    name_kind: int,
    counted: NDArray[np.bool_],
    brand_root: Ints,
    distributor_root: Ints,
    blind: NDArray[np.bool_],
    nameless: NDArray[np.bool_],
    brand_level: NDArray[np.bool_],
    vouched: NDArray[np.bool_],
    apart: _Apart | None = None,
    *,
    redirect: NDArray[np.bool_],
    paying: NDArray[np.bool_],
) -> dict[int, str]:
    """An unattributed site that shows only hosting (``blind``) or names nothing
    (``nameless``) joins the brand whose name its domain spells (``zorvex-shop7.test`` for
    the brand that calls itself "Zorvex"): names of at least ``MIN_NAME_IN_DOMAIN`` letters
    that one brand alone carries. A nameless site must also be vouched for
    (:func:`_vouched_for`). So does a doorway pair: two sites that name nothing, tied to
    each other by a redirect (``redirect`` values) and nothing else at the brand level, with
    no payment identity (``paying`` values) of their own, move together. Returns the
    sites."""
    # a nameless site that stands alone as a brand of one (its own payment account kept it
    # apart) is no brand of its own either: it may join the brand its domain spells, when
    # that keeps its distributor or it had none beside itself
    root_size = np.bincount(brand_root[brand_root >= 0], minlength=len(table.sites))
    alone = (brand_root >= 0) & (root_size[np.maximum(brand_root, 0)] == 1)
    # ... and neither is a doorway and its target, both seen only dead or without a title:
    # a brand of two tied by the redirect alone, paying into nothing of its own
    count = len(table.sites)
    placed = brand_root >= 0
    root_of = np.maximum(brand_root, 0)
    other_tie = (brand_level & ~redirect) | paying
    tied = np.bincount(table.site_of[other_tie[table.value_of]], minlength=count)
    # a member that names something or shows another tie spoils its whole cluster
    spoilt = np.bincount(brand_root[placed & (~(blind | nameless) | (tied > 0))], minlength=count)
    unnamed = placed & (root_size[root_of] == 2) & (spoilt[root_of] == 0)
    dist_size = np.bincount(distributor_root[distributor_root >= 0], minlength=len(table.sites))
    candidates = np.flatnonzero((blind | nameless) & ((brand_root < 0) | alone | unnamed)).tolist()
    if not candidates or name_kind < 0:
        return {}
    owner: dict[str, int] = {}
    for v in np.flatnonzero((kind_of == name_kind) & counted).tolist():
        roots = {int(r) for r in brand_root[table.carriers(v)].tolist() if r >= 0}
        word = re.sub(r"[^a-z]", "", plain_text(table.values[v][1]))
        if len(word) < MIN_NAME_IN_DOMAIN or not roots:
            continue
        owner[word] = roots.pop() if len(roots) == 1 and owner.get(word, -2) == -2 else -1
    dist_of_root = {
        int(r): int(d) for r, d in zip(brand_root, distributor_root, strict=True) if r >= 0
    }
    chosen: dict[int, str] = {}
    # vouching reads the brands as they were before this pass: a site placed here never
    # vouches for (or against) another, whatever order their keys come in
    before = brand_root.copy()
    spelled: dict[int, tuple[set[int], list[str]]] = {}
    for s in candidates:
        # the first tier that names a brand: whole words before look-alike cuts
        tiers = ([w for w in tier if w in owner] for tier in name_tokens(table.sites[s]))
        words = next((named for named in tiers if named), [])
        spelled[s] = ({owner[w] for w in words}, words)
    for s in candidates:
        found, words = spelled[s]
        found = set(found)
        if unnamed[s]:
            continue  # a doorway pair moves as one, below
        if len(found) == 1 and (root := found.pop()) >= 0:
            if root == before[s]:
                continue
            if before[s] >= 0 and (
                dist_size[distributor_root[s]] > root_size[before[s]]
                and distributor_root[s] != dist_of_root[root]
            ):
                continue  # its payments tie it to another distributor's brands
            if not blind[s] and not _vouched_for(table, s, root, brand_level, before, vouched):
                continue
            target = dist_of_root[root]
            if apart is not None and not apart.allows(
                [s], root, target, brand_root, distributor_root
            ):
                continue
            brand_root[s] = root
            distributor_root[s] = target
            shows = "shows only hosting" if blind[s] else "names nothing itself"
            chosen[s] = f"{shows}; its domain name spells the brand's name {words[0]!r}"
    # a doorway pair: where its domains spell one brand's name (and no other), both go there,
    # or neither (an analyst's cannot-link on either keeps both); spelling two says nothing
    pairs: dict[int, list[int]] = defaultdict(list)
    for s in np.flatnonzero(unnamed).tolist():
        pairs[int(before[s])].append(s)
    for members in pairs.values():
        spelt = set().union(*(spelled.get(m, (set(), []))[0] for m in members))
        if len(spelt) != 1 or (root := spelt.pop()) < 0:
            continue
        guides = [m for m in members if root in spelled.get(m, (set(), []))[0]]
        # commercial evidence on either site vouches for the pair (the doorway the hotlines
        # called commercial, the shop behind it seen only dead)
        either = any(bool(vouched[m]) for m in members)
        if not either and any(
            not blind[m] and not _vouched_for(table, m, root, brand_level, before, vouched)
            for m in guides
        ):
            continue
        d = distributor_root[members[0]]
        if dist_size[d] > len(members) and d != dist_of_root[root]:
            continue  # the pair's distributor holds other brands
        target = dist_of_root[root]
        if apart is not None and not apart.allows(
            members, root, target, brand_root, distributor_root
        ):
            continue
        guide = guides[0]
        words = spelled[guide][1]
        for m in members:
            brand_root[m] = root
            distributor_root[m] = target
            shows = "shows only hosting" if blind[m] else "names nothing itself"
            chosen[m] = (
                f"{shows}; its domain name spells the brand's name {words[0]!r}"
                if m == guide
                else f"{shows}; a redirect ties it to {table.sites[guide]}, whose domain "
                "name spells a brand's name"
            )
    return chosen


def _vouched_for(
    table: LinkTable,
    site: int,
    root: int,
    brand_level: NDArray[np.bool_],
    brand_root: Ints,
    vouched: NDArray[np.bool_],
) -> bool:
    """May a nameless ``site`` join brand ``root`` by its domain name? Not when a logo or
    redirect it shows sits on another brand's site (its own nameless brand's apart: the
    redirect that made it); yes when it shows commercial evidence or one of them sits on a
    site of ``root``."""
    own = False
    mine = brand_root[site]
    for v in table.site_values(site).tolist():
        if brand_level[v]:
            carriers = table.carriers(v)
            roots = brand_root[carriers[carriers != site]]
            if ((roots >= 0) & (roots != root) & (roots != mine)).any():
                return False
            own = own or bool((roots == root).any())
    return own or bool(vouched[site])


# what backs a shared name on a page the hotlines called non-commercial: the brand's logo,
# its template, its operator's tag or mailbox (what the shop system puts on every page)
SECOND_WITNESS_KINDS = ("favicon_md5", "template", "analytics", "email")
# ... of which the brand's own (a logo, a template) must also sit mostly on that name's
# shops: a kit's default logo or template on many brands' shops backs none of their names
BRAND_LEVEL_WITNESSES = ("favicon_md5", "template")


def _second_witness(
    table: LinkTable,
    asked: NDArray[np.bool_],
    names: NDArray[np.bool_],
    seconds: NDArray[np.bool_],
    own: NDArray[np.bool_],
    commercial: NDArray[np.bool_],
    kept: Ints,
) -> NDArray[np.bool_]:
    """Per site (only ``asked`` ones can be True): does it carry a shared name (one of
    ``names``) and a second value (one of ``seconds``) that at least half of the commercial
    sites carrying that name carry too — and, for a value in ``own`` (a logo, a template),
    that sits on the name's shops for at least half of its commercial carriers (``kept``:
    commercial carriers per value)? A shop
    domain the hotlines misjudged shows its brand's name with the brand's logo, template or
    operator's tag; a review or a fan page that names the brand shows its own. One join over
    the links of the names in question, so it stays linear in the store."""
    found = np.zeros(len(table.sites), dtype=np.bool_)
    site_of, value_of = table.site_of, table.value_of
    # only sites carrying both a name and a second value in question are asked
    count = len(table.sites)
    with_name = np.bincount(site_of[asked[site_of] & names[value_of]], minlength=count) > 0
    with_second = np.bincount(site_of[asked[site_of] & seconds[value_of]], minlength=count) > 0
    asked = asked & with_name & with_second
    asked_links = asked[site_of]
    wanted_names = np.zeros(len(table.values), dtype=np.bool_)
    wanted_names[value_of[asked_links & names[value_of]]] = True
    wanted_seconds = np.zeros(len(table.values), dtype=np.bool_)
    wanted_seconds[value_of[asked_links & seconds[value_of]]] = True
    if not wanted_names.any() or not wanted_seconds.any():
        return found
    # commercial carriers of the names in question, sorted by site
    on_name = commercial[site_of] & wanted_names[value_of]
    name_sites, name_values = site_of[on_name], value_of[on_name]
    order = np.argsort(name_sites, kind="stable")
    name_sites, name_values = name_sites[order], name_values[order]
    named_count = np.bincount(name_values, minlength=len(table.values))
    # the second values those same sites carry: one (name, second) pair per site
    on_second = commercial[site_of] & wanted_seconds[value_of] & np.isin(site_of, name_sites)
    second_sites, second_values = site_of[on_second], value_of[on_second]
    low = np.searchsorted(name_sites, second_sites, side="left")
    high = np.searchsorted(name_sites, second_sites, side="right")
    spans = high - low
    starts = np.repeat(low - np.cumsum(spans) + spans, spans) + np.arange(int(spans.sum()))
    width = len(table.values)
    pair_keys, pair_counts = np.unique(
        name_values[starts] * width + np.repeat(second_values, spans), return_counts=True
    )
    for site in np.flatnonzero(asked).tolist():
        values = table.site_values(site)
        mine = values[wanted_names[values]]  # neither is empty: ``asked`` says so
        other = values[wanted_seconds[values]]
        keys = (mine[:, None] * width + other[None, :]).ravel()
        at = np.searchsorted(pair_keys, keys)
        hit = at < len(pair_keys)
        hit[hit] = pair_keys[at[hit]] == keys[hit]
        together = np.zeros(len(keys), dtype=np.int64)
        together[hit] = pair_counts[at[hit]]
        needed = np.repeat(named_count[mine], len(other))
        second = np.tile(other, len(mine))
        backs = (2 * together >= needed) & (together > 0)
        backs &= ~own[second] | (2 * together >= kept[second])
        if bool(backs.any()):
            found[site] = True
    return found


def _attach_by_hosting(
    table: LinkTable,
    placing: NDArray[np.bool_],
    brand_root: Ints,
    distributor_root: Ints,
    blind: NDArray[np.bool_],
    attachable: NDArray[np.bool_],
    params: Params,
    apart: _Apart | None = None,
) -> dict[int, str]:
    """Sites that show nothing but hosting (every capture an error, parked or suspended
    page) join the distributor whose own name servers or server addresses they use: one
    that at least ``private_ns_sites`` sites of one distributor use, and ``private_ns_share``
    of all the sites on it that show anything (``placing`` marks the values that may place:
    name servers and addresses; CDN edges are not among the addresses). A site whose values
    point at two distributors stays where it is. Each such site is a brand of its own.
    Returns them and why."""
    shows = ~blind
    if not attachable.any():
        return {}
    # only values with enough sites that show something and a site to place are asked (a
    # store holds an address per site: most are on one site or two)
    site_of, value_of = table.site_of, table.value_of
    seen_count = np.bincount(value_of[shows[site_of]], minlength=len(table.values))
    to_place = np.bincount(value_of[attachable[site_of]], minlength=len(table.values))
    asked = placing & (seen_count >= params.private_ns_sites) & (to_place > 0)
    target: dict[int, int] = {}
    # per site, the value that says it most plainly: (share, its sites, all, value)
    server: dict[int, tuple[float, int, int, int]] = {}
    for v in np.flatnonzero(asked).tolist():
        members = table.carriers(v)
        seen = members[shows[members]]
        owners, counts = np.unique(distributor_root[seen], return_counts=True)
        if owners[0] < 0:  # sites that show something but were left unattributed
            owners, counts = owners[1:], counts[1:]
        if not len(owners):
            continue
        top = int(np.argmax(counts))
        if counts[top] < params.private_ns_sites or counts[top] < params.private_ns_share * len(
            seen
        ):
            continue
        owner = int(owners[top])
        said = (int(counts[top]) / len(seen), int(counts[top]), len(seen), v)
        for s in members[attachable[members]].tolist():
            target[s] = owner if target.get(s, owner) == owner else -1
            server[s] = max(server.get(s, said), said)
    chosen: dict[int, str] = {}
    for s, d in target.items():
        if d < 0 or brand_root[s] >= 0:
            continue
        if apart is None or apart.allows([s], None, d, brand_root, distributor_root):
            brand_root[s] = s
            distributor_root[s] = d
            _share, mine, total, v = server[s]
            kind, value = table.values[v]
            what = "name servers" if kind == "nameserver" else "a server address"
            whose = (
                "only this distributor uses"
                if mine == total
                else f"on which {mine} of the {total} sites that show anything are this "
                "distributor's"
            )
            chosen[s] = f"shows only hosting; uses {what} {whose} ({value})"
    return chosen


def _named_sites(table: LinkTable, name_values: NDArray[np.bool_]) -> NDArray[np.bool_]:
    """Per site: does it carry one of ``name_values`` (a brand name that counts)?"""
    named: NDArray[np.bool_] = (
        np.bincount(table.site_of[name_values[table.value_of]], minlength=len(table.sites)) > 0
    )
    return named


def _attach_lone(
    table: LinkTable,
    eligible: NDArray[np.bool_],
    brand_root: Ints,
    distributor_root: Ints,
    candidate: NDArray[np.bool_],
    paying: NDArray[np.bool_],
    shop_like: NDArray[np.bool_],
    params: Params,
    apart: _Apart | None = None,
    credits: NDArray[np.bool_] | None = None,
) -> dict[int, str]:
    """Brands that stand alone — a commercial site tied to no other site, or a brand that
    is a distributor of its own — join the distributor whose sites, ``lone_value_sites`` or
    more and no other site at all, carry one of their analytics ids or mailboxes, when every
    such value points at the same distributor (a single-domain brand whose operator's tag
    is its only link to the rest). Only a brand that names itself, or a nameless page the
    hotlines called commercial that pays into nothing (``candidate`` sites), and
    shows no payment or partner identity (``paying``: its own merchant account would say it
    is someone else's) moves; a lone site becomes a brand of its own there. Confidence is
    that of a placement: one decoyable value says where.

    Why this is not the chaining the weak-value rules forbid: it never merges two clusters
    that each have sites or payments of their own, only places a brand that has neither; a
    value any other unattributed site or another distributor's site also carries (an
    agency's tag on another client, a kit default on a forum) places nobody — except a page
    in ``shop_like`` (called non-commercial by the hotlines, its pages alone commercial: a
    domain of the operator's they misjudged), which is left out of the count — and counts
    against the unit when it is on another distributor's sites or on ``lone_value_sites``
    sites nobody runs: the unit moves only when the values pointing at its distributor
    outnumber those (a forum with an agency's mailbox and the agency's tag is a client, not
    a brand); and a site the hotlines called non-commercial without commercial evidence of
    its own is no candidate. Returns the sites placed and why."""
    count = len(table.sites)
    unit = np.full(count, -1, dtype=np.int64)
    lone = np.flatnonzero(candidate & (brand_root < 0))
    unit[lone] = lone
    attributed = np.flatnonzero(brand_root >= 0)
    pairs = np.unique(distributor_root[attributed] * (count + 1) + brand_root[attributed])
    owners, brands = np.unique(pairs // (count + 1), return_counts=True)
    single = np.isin(distributor_root[attributed], owners[brands == 1])
    unit[attributed[single]] = brand_root[attributed[single]]
    member = unit >= 0
    named = np.bincount(unit[member & candidate], minlength=count) > 0
    # payment or partner identities per unit, each value once: two or more make a brand
    # stand apart, as among distributors (one of its own is a brand's own merchant account)
    site_of, value_of = table.site_of, table.value_of
    held = member[site_of] & paying[value_of]
    identities = np.unique(unit[site_of[held]] * len(table.values) + value_of[held])
    pays = np.bincount(identities // max(len(table.values), 1), minlength=count) >= 2
    unit[member & (~named[np.maximum(unit, 0)] | pays[np.maximum(unit, 0)])] = -1
    if not (unit >= 0).any():
        return {}
    touched = np.unique(value_of[(unit >= 0)[site_of] & eligible[value_of]])
    credited = _credited(table, credits, params, distributor_root)
    # the designers each unit's sites credit
    signed_by: dict[int, frozenset[int]] = defaultdict(frozenset)
    for site, designers in credited.items():
        if unit[site] >= 0:
            signed_by[int(unit[site])] |= designers
    target: dict[int, int] = {}
    because: dict[int, str] = {}
    support: dict[int, int] = defaultdict(int)
    # per unit, the distributors (or -1: many sites nobody runs) of the tags it shares
    # with sites outside it that do not point at one distributor on their own
    shared: dict[int, list[frozenset[int]]] = defaultdict(list)
    for v in touched.tolist():
        members = table.carriers(v)
        units = unit[members]
        outside = members[units < 0]
        owners = distributor_root[outside]
        found = np.unique(owners)
        # a page nobody runs that the hotlines called non-commercial but whose pages alone
        # look commercial (a domain of the operator's they misjudged) speaks neither for an
        # agency nor against the operator; a forum or a blog carrying the tag does (a web
        # designer's client), and so does another operator's shop left unattributed
        drop = (owners < 0) & shop_like[outside]
        dropped = int(drop.sum())
        if dropped:
            outside, owners = outside[~drop], owners[~drop]
            found = np.unique(owners)
        # other stand-alone sites carrying it are sites nobody runs too (yet): several of
        # them, each with a name of its own, are an agency's clients as much as its shops
        crowd = len(np.unique(units[units >= 0])) - 1 if params.lone_crowd_counts else 0
        bare = int((owners < 0).sum()) + crowd
        # (a handful of bare pages among thousands of one operator's sites are more likely
        # its own unplaced pages than a designer's clients: they are a small minority)
        if bare and bare < params.lone_bare_share * len(members) and (found >= 0).sum() == 1:
            outside, owners = outside[owners >= 0], owners[owners >= 0]
            found, crowd, bare = found[found >= 0], 0, 0
        if len(found) > 1 or (len(found) == 1 and found[0] < 0) or crowd >= params.lone_value_sites:
            # an agency's mailbox or tag, on other operators' sites or on sites nobody runs:
            # whoever carries it may be a client, and its other tags the agency's too
            seen = frozenset(int(d) for d in found if d >= 0)
            if bare >= params.lone_value_sites:
                seen |= {-1}
            for u in np.unique(units[units >= 0]).tolist():
                shared[u].append(seen)
            continue
        if len(outside) < params.lone_value_sites:
            continue
        owner = int(found[0])
        kind, value = table.values[v]
        misjudged = (
            f" (and on {dropped} misjudged shop page{'s' if dropped != 1 else ''} nobody runs)"
            if dropped
            else ""
        )
        for u in np.unique(units[units >= 0]).tolist():
            if u in signed_by and _designers_tag(credited, signed_by[u], outside, params):
                continue  # the designer who signed the unit put it on the others too
            support[u] += 1
            target[u] = owner if target.get(u, owner) == owner else -1
            because.setdefault(
                u,
                f"stands alone; its {kind} {value} is on {len(outside)} other sites, all of "
                f"this distributor, and on no other{misjudged}",
            )
    chosen: dict[int, str] = {}
    for u, d in target.items():
        # The operator's tags must outnumber those that say otherwise: a tag also on another
        # distributor's sites, or on several sites nobody runs. (A tag on the same
        # distributor's sites and one bare page, or on one bare page alone, says nothing.)
        against = sum(1 for owners in shared.get(u, ()) if owners - {d})
        if d < 0 or support[u] <= against:
            continue
        sites = np.flatnonzero(unit == u)
        if apart is not None and not apart.allows(
            sites.tolist(), None, d, brand_root, distributor_root
        ):
            continue
        brand_root[sites] = u
        distributor_root[sites] = d
        chosen.update(dict.fromkeys(sites.tolist(), because[u]))
    return chosen


def _credited(
    table: LinkTable,
    credits: NDArray[np.bool_] | None,
    params: Params,
    distributor_root: Ints,
) -> dict[int, frozenset[int]]:
    """Each site that credits a designer → the designers it credits (value ids), leaving
    out credits on the sites of ``lone_credit_spread`` or more distributors."""
    if credits is None or params.lone_credit_share <= 0 or not credits.any():
        return {}
    credits = credits.copy()
    for v in np.flatnonzero(credits).tolist():
        owners = distributor_root[table.carriers(v)]
        if len(np.unique(owners[owners >= 0])) >= params.lone_credit_spread:
            credits[v] = False
    held = credits[table.value_of]
    found: dict[int, set[int]] = defaultdict(set)
    for site, value in zip(
        table.site_of[held].tolist(), table.value_of[held].tolist(), strict=True
    ):
        found[site].add(value)
    return {site: frozenset(values) for site, values in found.items()}


def _designers_tag(
    credited: Mapping[int, frozenset[int]],
    designers: frozenset[int],
    others: Ints,
    params: Params,
) -> bool:
    """Do ``lone_credit_share`` or more of ``others`` (a tag's other carriers) credit one of
    ``designers`` (those a unit's sites credit)? Then the tag travels with the designer."""
    if not designers or not len(others):
        return False
    signed = sum(1 for s in others.tolist() if credited.get(s, frozenset()) & designers)
    return signed >= params.lone_credit_share * len(others)


def _firmly_placed(
    table: LinkTable,
    site: int,
    distributor_root: Ints,
    weight: NDArray[np.float64],
    threshold: float,
) -> bool:
    """Does ``site`` carry a strong, counted value that another site of its distributor
    carries too?"""
    home = distributor_root[site]
    for v in table.site_values(site).tolist():
        if weight[v] < threshold:
            continue
        carriers = table.carriers(v)
        if bool(((distributor_root[carriers] == home) & (carriers != site)).any()):
            return True
    return False


def _travelling_with(
    disputed: list[int],
    notes: Mapping[int, str],
    page_borne: NDArray[np.bool_],
    kept: Ints,
    kept_sites: Ints,
    kept_values: Ints,
    starts: list[int],
    ends: list[int],
    count: int,
) -> dict[int, str]:
    """Weak page-borne values (analytics ids, mailboxes, templates) whose commercial
    carriers are mostly those of a disputed name or logo — a kit's default title or logo —
    with the note that says so: what a kit plants travels with it, so they are one witness,
    the same test ``_corroboration`` makes between two values (shared over union > 1/2)."""
    if not disputed:
        return {}
    order = np.argsort(kept_sites, kind="stable")
    by_site_values = kept_values[order]
    site_pointers = pointers(kept_sites[order], count)
    found: dict[int, str] = {}
    for v in disputed:
        carriers = kept_sites[starts[v] : ends[v]]
        if not len(carriers):
            continue
        near = np.concatenate(
            [by_site_values[site_pointers[s] : site_pointers[s + 1]] for s in carriers.tolist()]
        )
        values, shared = np.unique(near, return_counts=True)
        union = kept[values] + len(carriers) - shared
        for w in values[page_borne[values] & (2 * shared > union)].tolist():
            found.setdefault(w, f"travels with a value that {notes[v]}")
    return found


def _disputed(
    values: Sequence[tuple[str, str]],
    kind_of: Ints,
    naming_kinds: list[int],
    name_kind: int,
    strong: NDArray[np.bool_],
    kept_sites: Ints,
    kept_values: Ints,
    starts: list[int],
    ends: list[int],
    at_least: int = 2,
) -> dict[int, str]:
    """Names and logos that sites calling themselves by other names share: a kit's default
    title or logo left in place by unrelated operators, a hosting panel's logo. A brand is
    what a site calls itself, so a value on sites with two different names of their own is
    no one brand's: it is disputed when at least ``at_least`` other names sit on as many
    different carriers of it (one portal listing several brands' names is one carrier, not a
    dispute). Returns value → the note that says why."""
    is_name = (kind_of == name_kind) & strong
    names_of: dict[int, list[int]] = defaultdict(list)
    on_name = is_name[kept_values]
    pairs = zip(kept_sites[on_name].tolist(), kept_values[on_name].tolist(), strict=True)
    for site, value in pairs:
        names_of[site].append(value)
    candidates = [
        v
        for v in np.flatnonzero(np.isin(kind_of, naming_kinds) & strong).tolist()
        if ends[v] - starts[v] >= at_least
    ]
    carriers_of = {v: kept_sites[starts[v] : ends[v]].tolist() for v in candidates}
    first = {v: _other_names(v, carriers_of[v], names_of, values) for v in candidates}
    # The most disputed first, and a name already found disputed is no "other name" of the
    # rest: a decoy heading ("Weekly picks") on the shops of twenty brands disputes every
    # one of their names once, but it is the decoy, not the names, that is no one's.
    # Values tied on their count are settled together, against what earlier (more
    # disputed) rounds found: which of two equally disputed names is the decoy is not
    # something their spelling may decide. At one count names go before logos, as a logo is
    # disputed by its carriers' names (a kit's title, once settled, disputes no logo).
    disputed: dict[int, str] = {}
    rounds: dict[tuple[int, bool], list[int]] = defaultdict(list)
    for v in candidates:
        if first[v] >= at_least:
            rounds[(first[v], bool(kind_of[v] != name_kind))].append(v)
    for count, logo in sorted(rounds, key=lambda key: (-key[0], key[1])):
        found: dict[int, str] = {}
        for v in rounds[(count, logo)]:
            matched = count
            if disputed:
                kept_names = {
                    site: [n for n in names_of[site] if n not in disputed]
                    for site in carriers_of[v]
                }
                matched = _other_names(v, carriers_of[v], kept_names, values)
            if matched >= at_least:
                found[v] = (
                    f"{HUB} {matched} shops that call themselves by other names "
                    "(kit default or decoy)"
                )
        disputed.update(found)
    return disputed


def _other_names(
    v: int,
    carriers: list[int],
    names_of: Mapping[int, list[int]],
    values: Sequence[tuple[str, str]],
) -> int:
    """How many names other than ``v`` sit on as many different carriers of ``v``: a
    greedy matching of names to carriers, rarest name first. Names whose words one another
    hold ("zorvex" and "zorvex shop") are one name, not a dispute."""
    own = frozenset(values[v][1].split()) if values[v][0] == "brand_text" else frozenset()
    holders: dict[int, list[int]] = defaultdict(list)
    for site in carriers:
        for name in names_of.get(site, ()):
            if name == v:
                continue
            words = frozenset(values[name][1].split())
            if own and (words <= own or own <= words):
                continue  # a variant of the name itself
            holders[name].append(site)
    named_otherwise = {site for sites in holders.values() for site in sites}
    if own and 2 * len(named_otherwise) < len(set(carriers)):
        # a kit's or a decoy's title sits on shops that nearly all have names of their own;
        # a brand's name sits on its own domains, where a product page's heading on a few of
        # them is no dispute (disputing it would leave the brand's domains tied by nothing
        # but a logo, which a kit's default logo could then carry off to another brand)
        return 0
    if len(holders) >= 2:
        holders = _variants_merged(holders, values)
    if len(holders) < 2:
        return len(holders)
    used: set[int] = set()
    for _count, _name, sites_with in sorted((len(h), n, h) for n, h in holders.items()):
        free = next((site for site in sites_with if site not in used), None)
        if free is not None:
            used.add(free)
    return len(used)


def _variants_of_shared(
    values: Sequence[tuple[str, str]],
    kind_of: Ints,
    name_kind: int,
    strong: NDArray[np.bool_],
    kept: Ints,
) -> NDArray[np.bool_]:
    """Per value: a name on one commercial site whose words hold a name that two or more
    carry (up to four words: their subsets are tried)."""
    flags = np.zeros(len(values), dtype=bool)
    names = (kind_of == name_kind) & strong
    shared = {frozenset(values[v][1].split()) for v in np.flatnonzero(names & (kept > 1)).tolist()}
    if not shared:
        return flags
    for v in np.flatnonzero(names & (kept == 1)).tolist():
        if any(part in shared for part in _word_subsets(values[v][1].split())):
            flags[v] = True
    return flags


def _word_subsets(words: list[str]) -> Iterator[frozenset[str]]:
    """The proper subsets of a name's words, smallest first; none for more than four words
    (a name that long is compared whole)."""
    if len(words) > 4:
        return
    for size in range(1, len(words)):
        for part in combinations(words, size):
            yield frozenset(part)


def _variants_merged(
    holders: dict[int, list[int]], values: Sequence[tuple[str, str]]
) -> dict[int, list[int]]:
    """Names grouped with the shortest name whose words they hold ("zorvex store" with
    "zorvex"); names of more than four words stand alone (their subsets are not tried)."""
    by_words: dict[frozenset[str], int] = {}
    merged: dict[int, list[int]] = {}
    for name in sorted(holders, key=lambda n: (len(values[n][1].split()), n)):
        words = values[name][1].split()
        root = next((by_words[p] for p in _word_subsets(words) if p in by_words), name)
        by_words.setdefault(frozenset(words), root)
        merged.setdefault(root, []).extend(holders[name])
    return merged


def _noted(notes: Mapping[int, str], count: int) -> NDArray[np.bool_]:
    flags = np.zeros(count, dtype=bool)
    if notes:
        flags[np.fromiter(notes, np.int64, len(notes))] = True
    return flags


def _on_private_hosting(
    table: LinkTable,
    hosting: NDArray[np.bool_],
    distributor_root: Ints,
    showing: NDArray[np.bool_],
    least: int = 3,
) -> NDArray[np.bool_]:
    """Per site: does it use a name server or address (``hosting`` values) that ``least`` or
    more sites showing something use, every one of them attributed to the same distributor?
    (Its sites that show only hosting, parked or dead domains, are not placed yet: they
    neither count nor spoil it.)"""
    links = hosting[table.value_of] & showing[table.site_of]
    sites, values = table.site_of[links], table.value_of[links]
    roots = distributor_root[sites]
    size = len(table.values)
    count = np.bincount(values, minlength=size)
    low = np.full(size, np.iinfo(np.int64).max, dtype=np.int64)
    high = np.full(size, -2, dtype=np.int64)
    np.minimum.at(low, values, roots)
    np.maximum.at(high, values, roots)
    private = (count >= least) & (low == high) & (low >= 0)
    found = np.zeros(len(table.sites), dtype=np.bool_)
    found[sites[private[values]]] = True
    return found


def _ties(
    node_of_link: Ints, value_of_link: Ints, group_of_node: Ints, size: int
) -> NDArray[np.bool_]:
    """Per node: does one of its (strong, counted) values sit on another node of its group?"""
    ok = group_of_node[node_of_link] >= 0
    nodes, values = node_of_link[ok], value_of_link[ok]
    groups = group_of_node[nodes]
    width = int(groups.max()) + 1 if len(groups) else 1
    cell = values * width + groups
    unique_cells, inverse, counts = np.unique(cell, return_inverse=True, return_counts=True)
    shared = counts[inverse] > 1
    tie = np.zeros(size, dtype=bool)
    tie[nodes[shared]] = True
    del unique_cells
    return tie


def _confidence(
    table: LinkTable,
    params: Params,
    score: NDArray[np.float64],
    brand_root: Ints,
    distributor_root: Ints,
    kept_sites: Ints,
    kept_values: Ints,
    strong_brand: NDArray[np.bool_],
    strong_dist: NDArray[np.bool_],
    forced: NDArray[np.bool_],
) -> tuple[NDArray[np.float64], NDArray[np.bool_], NDArray[np.bool_]]:
    """How sure each site's attribution is, 0..1: how commercial the site looks (0.4), how
    firmly it sits in its brand (0.35) and how firmly its brand sits in its distributor (0.25);
    0 for a site tied to no other site (a lone shop and a forum with a donation button look
    alike: nothing says which operator either belongs to).
    A tie is firm (1) when a strong value the run counted is shared inside the cluster,
    corroborated (0.6) when only lighter evidence joined it, absent (0) for a cluster of one.
    Also returned: which sites have such a firm tie to their brand, and which carry a strong
    distributor value themselves that another site of their distributor carries too."""
    count = len(table.sites)
    commerce = np.minimum(score / 2.0, 1.0)
    brand_size = np.bincount(brand_root[brand_root >= 0], minlength=count)
    in_brand = np.where(brand_root >= 0, brand_size[np.maximum(brand_root, 0)], 0)
    links = strong_brand[kept_values]
    firm_brand = _ties(kept_sites[links], kept_values[links], brand_root, count)
    brand_tie = np.where(in_brand > 1, np.where(firm_brand, 1.0, 0.6), 0.0)
    # distributor: per brand root, the values its sites carry, against the distributor
    roots_of_brands = np.unique(brand_root[brand_root >= 0])
    dist_of_brand = np.full(count, -1, dtype=np.int64)
    dist_of_brand[roots_of_brands] = distributor_root[roots_of_brands]
    brands_in = np.bincount(dist_of_brand[roots_of_brands], minlength=count)
    dlinks = strong_dist[kept_values] & (brand_root[kept_sites] >= 0)
    pair = np.unique(kept_values[dlinks] * (count + 1) + brand_root[kept_sites[dlinks]])
    firm_dist = _ties(pair % (count + 1), pair // (count + 1), dist_of_brand, count)
    site_brand = np.maximum(brand_root, 0)
    dist_tie = np.where(
        (brand_root >= 0) & (brands_in[np.maximum(dist_of_brand[site_brand], 0)] > 1),
        np.where(firm_dist[site_brand], 1.0, 0.6),
        0.0,
    )
    confidence = 0.4 * commerce + 0.35 * brand_tie + 0.25 * dist_tie
    # a site tied to no other site: a brand of one domain, the only brand of its distributor
    confidence = np.where((brand_tie == 0) & (dist_tie == 0), 0.0, confidence)
    firm: NDArray[np.bool_] = firm_brand & (in_brand > 1)
    # per site (not per brand): a strong value it carries itself sits on another site of
    # its distributor
    own_links = strong_dist[kept_values] & (distributor_root[kept_sites] >= 0)
    firm_to_distributor = _ties(
        kept_sites[own_links], kept_values[own_links], distributor_root, count
    )
    return np.where(forced, np.maximum(confidence, 0.75), confidence), firm, firm_to_distributor
