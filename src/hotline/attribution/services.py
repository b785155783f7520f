"""``hotline attribute``: cluster the store's evidence, keep ids stable, apply the analyst.

The clustering itself is the pure ``hotline.attribution.method.cluster``; this module is the
I/O around it: links and overrides in, ids matched to the previous run by overlap, one
transaction out (a crash midway leaves the previous attribution in place).
"""

from __future__ import annotations

import re
import time
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field, fields
from types import MappingProxyType
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, delete, insert, select, update

from hotline.accounts.audit import record_event
from hotline.accounts.roles import Actor
from hotline.attribution.links import link_table
from hotline.attribution.method import Clustering, Constraints, Params, cluster
from hotline.attribution.models import (
    AttributionOverride,
    AttributionRun,
    Brand,
    Distributor,
    SiteAttribution,
)
from hotline.intake.models import Site
from hotline.store.types import storage_time, utcnow
from hotline.store.uow import unit_of_work

BRAND_ID = re.compile(r"^b(\d+)$", re.IGNORECASE)
DISTRIBUTOR_ID = re.compile(r"^d(\d+)$", re.IGNORECASE)
Progress = Callable[[str], None]


def brand_ref(brand_id: int) -> str:
    return f"b{brand_id}"


def distributor_ref(distributor_id: int) -> str:
    return f"d{distributor_id}"


MAX_LABEL = 255  # the width of the stored label
# Control characters, invisible formatting (bidirectional overrides, zero-width characters),
# line and paragraph separators, and lone surrogates (undecodable bytes on the command line).
_UNFIT_IN_LABEL = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})


MAX_REASON = 2000  # an override's reason: a sentence or two, never a pasted document
MAX_ACTOR = 64  # the width of the stored author / labelled_by


def checked_label(text: str) -> str:
    """An analyst's label for a brand or a distributor, trimmed of surrounding spaces.

    Raises ValueError saying why when it is empty, longer than :data:`MAX_LABEL` characters
    (never cut to fit), or holds a character that is not visible text.
    """
    return _checked_text(text, "label", MAX_LABEL)


def checked_reason(text: str) -> str:
    """The reason an analyst gives for a link or unlink, by the rules of a label (it is shown
    to every other analyst) but up to :data:`MAX_REASON` characters."""
    return _checked_text(text, "reason", MAX_REASON)


def actor_name(name: str) -> str:
    """The operating-system user recorded as author: visible characters only, at most
    :data:`MAX_ACTOR` of them (a longer name is cut and marked, never refused: it is not the
    analyst's input)."""
    shown = "".join(c if unicodedata.category(c) not in _UNFIT_IN_LABEL else "?" for c in name)
    shown = shown.strip() or "unknown"
    return shown if len(shown) <= MAX_ACTOR else shown[: MAX_ACTOR - 1] + "…"


def _checked_text(text: str, what: str, limit: int) -> str:
    value = text.strip()
    if not value:
        raise ValueError(f"the {what} is empty")
    if len(value) > limit:
        raise ValueError(f"the {what} has {len(value):,} characters; at most {limit} fit")
    for position, char in enumerate(value, start=1):
        if unicodedata.category(char) in _UNFIT_IN_LABEL:
            raise ValueError(
                f"the {what} holds U+{ord(char):04X} at character {position}: "
                "control and invisible formatting characters are not allowed"
            )
    return value


@dataclass
class AttributeSummary:
    links: int = 0
    sites: int = 0
    attributed: int = 0
    brands: int = 0
    distributors: int = 0
    kept_brand_ids: int = 0
    new_brand_ids: int = 0
    retired_brand_ids: int = 0
    kept_distributor_ids: int = 0
    new_distributor_ids: int = 0
    overrides: int = 0
    overrides_skipped: list[str] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)


def _match(
    clusters: dict[str, list[int]],
    previous: dict[int, int | None],
    retired: Collection[int] = frozenset(),
) -> tuple[dict[str, int], set[int]]:
    """Cluster key → previous id with the largest overlap, each previous id used once
    (greedy by overlap, ties to live ids, then by key: deterministic); returns the matches
    and the ids used."""
    candidates: list[tuple[int, bool, str, int]] = []
    for key, members in clusters.items():
        overlap = Counter(previous[m] for m in members if previous.get(m) is not None)
        candidates.extend(
            (count, old in retired, key, old) for old, count in overlap.items() if old is not None
        )
    candidates.sort(key=lambda c: (-c[0], c[1], c[2], c[3]))
    matched: dict[str, int] = {}
    used: set[int] = set()
    for _count, _retired, key, old in candidates:
        if key in matched or old in used:
            continue
        matched[key] = old
        used.add(old)
    return matched, used


class Attributor:
    def __init__(
        self, engine: Engine, params: Params | None = None, progress: Progress | None = None
    ) -> None:
        self.engine = engine
        self.params = params or Params()
        self.progress = progress or (lambda step: None)

    def run(self) -> AttributeSummary:
        summary = AttributeSummary()
        started_at = utcnow()
        tick = time.perf_counter()
        self.progress("reading evidence")
        links = link_table(self.engine)
        summary.links = len(links)
        with self.engine.connect() as connection:
            site_ids = {key: sid for key, sid in connection.execute(select(Site.key, Site.id))}
            constraints = self._constraints(connection, summary)
        summary.seconds["read"] = time.perf_counter() - tick
        tick = time.perf_counter()
        self.progress("clustering")
        clustering = cluster(links, constraints, self.params)
        summary.seconds["cluster"] = time.perf_counter() - tick
        tick = time.perf_counter()
        self.progress("storing")
        with unit_of_work(self.engine) as connection:
            self._store(connection, clustering, site_ids, summary, started_at)
        summary.seconds["store"] = time.perf_counter() - tick
        return summary

    # -- analyst overrides ----------------------------------------------------------------------

    def _constraints(self, connection: Connection, summary: AttributeSummary) -> Constraints:
        members: dict[int, str] = {}
        rows = connection.execute(
            select(SiteAttribution.brand_id, Site.key)
            .join(Site, Site.id == SiteAttribution.site_id)
            .where(SiteAttribution.brand_id.is_not(None))
            .order_by(Site.key)
        )
        for brand_id, key in rows:
            if brand_id is not None:
                members.setdefault(brand_id, key)  # the smallest member stands for the brand
        pairs: dict[tuple[str, str], list[tuple[str, str]]] = defaultdict(list)
        # The latest decision about a pair wins: "link" then "unlink" means unlinked.
        latest: dict[tuple[str, frozenset[str]], Any] = {}
        for row in connection.execute(
            select(AttributionOverride).order_by(
                AttributionOverride.created_at, AttributionOverride.id
            )
        ):
            latest[(row.level, frozenset((row.left, row.right)))] = row
        for row in latest.values():
            sides = []
            for token in (row.left, row.right):
                found = BRAND_ID.match(token)
                if found is None:
                    sides.append(token)
                    continue
                representative = members.get(int(found.group(1)))
                if representative is None:
                    summary.overrides_skipped.append(
                        f"override {row.id} ({row.action} {row.left} {row.right}): "
                        f"{token} has no sites now"
                    )
                    break
                sides.append(representative)
            if len(sides) != 2:
                continue
            summary.overrides += 1
            pairs[(row.action, row.level)].append((sides[0], sides[1]))
        return Constraints(
            same_brand=tuple(pairs[("link", "site")]),
            not_same_brand=tuple(pairs[("unlink", "site")]),
            same_distributor=tuple(pairs[("link", "brand")]),
            not_same_distributor=tuple(pairs[("unlink", "brand")]),
        )

    # -- ids and rows ---------------------------------------------------------------------------

    def _store(
        self,
        connection: Connection,
        clustering: Clustering,
        site_ids: dict[str, int],
        summary: AttributeSummary,
        started_at: Any,
    ) -> None:
        """Write only what changed: an incremental run touches the rows of the sites and
        brands whose answer moved, not the whole table."""
        now = utcnow()
        previous_brand: dict[int, int | None] = {}
        previous_sure: dict[int, tuple[float | None, float | None, bool | None]] = {}
        for site_id, brand_id, was_sure, commerce, was_candidate in connection.execute(
            select(
                SiteAttribution.site_id,
                SiteAttribution.brand_id,
                SiteAttribution.confidence,
                SiteAttribution.commercial_score,
                SiteAttribution.candidate,
            )
        ):
            previous_brand[site_id] = brand_id
            previous_sure[site_id] = (was_sure, commerce, was_candidate)
        brand_rows = {
            row.id: row
            for row in connection.execute(
                select(Brand.id, Brand.distributor_id, Brand.former_distributor_id,
                       Brand.retired_at)
            )
        }  # fmt: skip
        brand_members: dict[str, list[int]] = defaultdict(list)
        for site, key in clustering.brand_of.items():
            if key is not None and site in site_ids:
                brand_members[key].append(site_ids[site])
        summary.sites = len(clustering.brand_of)
        summary.attributed = sum(len(m) for m in brand_members.values())
        summary.brands = len(brand_members)

        matched, used = _match(dict(brand_members), dict(previous_brand))
        live = {bid for bid in previous_brand.values() if bid is not None}
        retired = live - used
        brand_id_of: dict[str, int] = dict(matched)
        fresh = sorted(set(brand_members) - set(matched))
        brand_id_of.update(zip(fresh, _new_ids(connection, Brand, len(fresh), now), strict=True))
        summary.kept_brand_ids = len(matched)
        summary.new_brand_ids = len(fresh)
        summary.retired_brand_ids = len(retired)
        _set_retired(connection, Brand, retired, now)
        back = {b for b in used if brand_rows[b].retired_at is not None}
        _set_retired(connection, Brand, back, None)

        distributor_members: dict[str, list[int]] = defaultdict(list)
        for key, brand_id in brand_id_of.items():
            distributor_members[clustering.distributor_of.get(key, key)].append(brand_id)
        summary.distributors = len(distributor_members)
        retired_d = {
            d for (d,) in connection.execute(
                select(Distributor.id).where(Distributor.retired_at.is_not(None))
            )
        }  # fmt: skip
        current = {b: r.distributor_id for b, r in brand_rows.items() if r.retired_at is None}
        # A brand that joined a distributor by a merge counts towards the id it had before
        # (now retired): when an analyst's unlink splits the merge again, that id and its
        # label come back instead of a new one. Ties go to live ids, so a merge that persists
        # keeps the id it was given.
        history = {
            b: (
                brand_rows[b].former_distributor_id
                if brand_rows[b].former_distributor_id in retired_d
                else d
            )
            for b, d in current.items()
        }
        d_matched, d_used = _match(dict(distributor_members), history, retired_d)
        revived_ids = d_used & retired_d
        distributor_id_of: dict[str, int] = dict(d_matched)
        d_fresh = sorted(set(distributor_members) - set(d_matched))
        distributor_id_of.update(
            zip(d_fresh, _new_ids(connection, Distributor, len(d_fresh), now), strict=True)
        )
        summary.kept_distributor_ids = len(d_matched)
        summary.new_distributor_ids = len(d_fresh)
        live_d = {d for d in current.values() if d is not None}
        _set_retired(connection, Distributor, live_d - d_used, now)
        _set_retired(connection, Distributor, revived_ids, None)
        moves = []
        for key, brand_ids in distributor_members.items():
            target = distributor_id_of[key]
            for brand_id in brand_ids:
                row = brand_rows.get(brand_id)
                was = row.distributor_id if row is not None else None
                if was != target:
                    moves.append({"b_id": brand_id, "d_id": target, "former": was})
        if moves:
            connection.execute(
                update(Brand)
                .where(Brand.id == bindparam("b_id"))
                .values(
                    distributor_id=bindparam("d_id"), former_distributor_id=bindparam("former")
                ),
                moves,
            )

        answers = {
            site_ids[site]: (brand_id_of[key] if key is not None else None)
            for site, key in clustering.brand_of.items()
            if site in site_ids
        }
        sure = {
            site_ids[site]: (
                clustering.confidence.get(site),
                clustering.scores.get(site),
                site in clustering.candidates,
            )
            for site in clustering.brand_of
            if site in site_ids
        }
        gone = sorted(set(previous_brand) - set(answers))
        for start in range(0, len(gone), 500):
            connection.execute(
                delete(SiteAttribution).where(
                    SiteAttribution.site_id.in_(gone[start : start + 500])
                )
            )
        added = [
            {
                "site_id": s,
                "brand_id": b,
                "confidence": sure[s][0],
                "commercial_score": sure[s][1],
                "candidate": sure[s][2],
                "attributed_at": now,
            }
            for s, b in answers.items()
            if s not in previous_brand
        ]
        changed = [
            {
                "s_id": s,
                "b_id": b,
                "c": sure[s][0],
                "score": sure[s][1],
                "candidate": sure[s][2],
                "at": now,
            }
            for s, b in answers.items()
            if s in previous_brand and (previous_brand[s] != b or previous_sure.get(s) != sure[s])
        ]
        _insert_answers(connection, added, now)
        if changed:
            connection.execute(
                update(SiteAttribution)
                .where(SiteAttribution.site_id == bindparam("s_id"))
                .values(
                    brand_id=bindparam("b_id"),
                    confidence=bindparam("c"),
                    commercial_score=bindparam("score"),
                    candidate=bindparam("candidate"),
                    attributed_at=bindparam("at"),
                ),
                changed,
            )
        connection.execute(
            insert(AttributionRun).values(
                started_at=started_at, finished_at=utcnow(), links=summary.links,
                sites=summary.sites, attributed=summary.attributed, brands=summary.brands,
                distributors=summary.distributors, kept_brand_ids=summary.kept_brand_ids,
                new_brand_ids=summary.new_brand_ids,
                retired_brand_ids=summary.retired_brand_ids, params=_plain(self.params),
                notes=[[k, v, why] for (k, v), why in sorted(clustering.notes.items())],
            )
        )  # fmt: skip


_ANSWER_COLUMNS = ("site_id", "brand_id", "confidence", "commercial_score", "candidate")


def _insert_answers(connection: Connection, added: list[dict[str, Any]], now: Any) -> None:
    """New ``site_attribution`` rows. On SQLite the driver's ``executemany`` on plain tuples
    with the run's time formatted once: Core's per-row parameter processing cost more than
    SQLite's own inserts (a medium store's first run writes ~87,000 rows). PostgreSQL gets
    Core's batched multi-row inserts."""
    if connection.dialect.name != "sqlite":
        for start in range(0, len(added), 5000):
            connection.execute(insert(SiteAttribution), added[start : start + 5000])
        return
    if not added:
        return
    stamp = storage_time(now)
    columns = ", ".join((*_ANSWER_COLUMNS, "attributed_at"))
    connection.exec_driver_sql(
        f"INSERT INTO site_attribution ({columns}) VALUES (?, ?, ?, ?, ?, ?)",
        [(*(row[name] for name in _ANSWER_COLUMNS), stamp) for row in added],
    )


def _new_ids(
    connection: Connection, table: type[Brand | Distributor], count: int, now: Any
) -> list[int]:
    """``count`` new rows in one statement; their ids in insertion order."""
    if not count:
        return []
    statement = insert(table).returning(table.id, sort_by_parameter_order=True)
    return list(connection.execute(statement, [{"created_at": now}] * count).scalars())


def _set_retired(
    connection: Connection, table: type[Brand | Distributor], ids: Iterable[int], when: Any
) -> None:
    chosen = sorted(ids)
    for start in range(0, len(chosen), 500):
        connection.execute(
            update(table).where(table.id.in_(chosen[start : start + 500])).values(retired_at=when)
        )


def _plain(params: Params) -> dict[str, Any]:
    """The run's parameters as JSON (mappings become objects), so a run can be reproduced."""
    out: dict[str, Any] = {}
    for item in fields(params):
        value = getattr(params, item.name)
        if isinstance(value, Mapping):
            value = dict(value)
        elif isinstance(value, tuple | frozenset | set):
            value = sorted(value) if isinstance(value, frozenset | set) else list(value)
        out[item.name] = value
    return out


def params_from_json(stored: Mapping[str, Any] | None) -> Params:
    """A run's stored parameters back as ``Params`` (unknown names ignored, missing ones
    default), so an explanation weighs values the way that run did."""
    if not stored:
        return Params()
    values: dict[str, Any] = {}
    for item in fields(Params):
        if item.name not in stored:
            continue
        value = stored[item.name]
        default = getattr(Params(), item.name)
        if isinstance(default, Mapping):
            value = MappingProxyType({str(k): float(v) for k, v in dict(value).items()})
        elif isinstance(default, frozenset):
            value = frozenset(value)
        values[item.name] = value
    return Params(**values)


def record_override(
    connection: Connection, actor: Actor, action: str, left: str, right: str, reason: str
) -> AttributionOverride:
    """Store a link/unlink and its audit event; brand ids (``b12``) on both sides make it a
    distributor-level decision, anything else is about sites (a site and a brand: the site
    joins that brand). The caller has checked that the actor may decide."""
    level = "brand" if BRAND_ID.match(left) and BRAND_ID.match(right) else "site"
    row = AttributionOverride(
        action=action, level=level, left=left, right=right, reason=reason,
        author=actor_name(actor.name), created_at=utcnow(),
    )  # fmt: skip
    values = {c: getattr(row, c) for c in ("action", "level", "left", "right", "reason",
                                           "author", "created_at")}  # fmt: skip
    row.id = connection.execute(
        insert(AttributionOverride).values(values).returning(AttributionOverride.id)
    ).scalar_one()
    record_event(connection, actor, f"attribution.{action}", f"{left} {right}",
                 after={"override": row.id, "level": level, "reason": reason})  # fmt: skip
    return row


def label_cluster(connection: Connection, actor: Actor, kind: str, number: int, name: str) -> bool:
    """Label brand or distributor ``number`` (``kind``); False when there is none. The
    event keeps the label it replaces, so a relabel loses nothing."""
    table = Brand if kind == "brand" else Distributor
    found = connection.execute(
        select(table.label, table.labelled_by).where(table.id == number)
    ).first()
    if found is None:
        return False
    values = {"label": name, "labelled_by": actor_name(actor.name), "labelled_at": utcnow()}
    connection.execute(update(table).where(table.id == number).values(values))
    ref = brand_ref(number) if kind == "brand" else distributor_ref(number)
    record_event(connection, actor, f"attribution.label_{kind}", ref,
                 before={"label": found.label, "by": found.labelled_by},
                 after={"label": name})  # fmt: skip
    return True


def site_keys(connection: Connection, keys: Iterable[str]) -> set[str]:
    wanted = list(keys)
    return {k for (k,) in connection.execute(select(Site.key).where(Site.key.in_(wanted)))}
