"""Decisions: the schemes a hotline may classify under, one analyst's decision, and which
decision counts for a URL (consensus, and propagation from media to the URLs showing them).

A decision is always ``(scheme, code)``. It is made on a URL (its canonical form, so every
report of the same URL shares it) or on a medium (its SHA-256, and its PDQ when known): a
medium's decision reaches every URL whose captured page held the same bytes, or a PDQ within
the matching radius, so nobody has to look at the same item twice.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import Connection, Engine, delete, insert, select

from hotline.accounts.audit import record_event
from hotline.accounts.roles import Actor, Permission
from hotline.accounts.services import require
from hotline.captures.models import MediaHash
from hotline.casework.models import Classification, SchemeCodeRow
from hotline.casework.schemes import Code, Scheme, SchemeError, shipped
from hotline.hashes.pdq_index import PdqIndex
from hotline.intake.models import Url
from hotline.store.types import utcnow
from hotline.store.uow import unit_of_work
from hotline.store.upsert import insert_ignore
from hotline.urls import url_digest
from hotline.urls.canonical import canonicalize
from hotline.urls.model import Rejection

PDQ_RADIUS = 31  # the matching radius the hash lists use: the same medium, re-encoded
_HEX = frozenset("0123456789abcdef")


class DecisionError(ValueError):
    """A decision that cannot be recorded: unknown URL, scheme or code, malformed hash."""


@dataclass(frozen=True, slots=True)
class Target:
    kind: str  # url | medium
    url_id: int | None = None
    url: str | None = None
    sha256: str | None = None
    pdq: str | None = None


@dataclass(frozen=True, slots=True)
class DecisionRow:
    target: str
    url: str | None
    sha256: str | None
    scheme: str
    code: str
    illegal: bool
    analyst: str
    decided_at: datetime
    note: str | None


def schemes(connection: Connection) -> dict[str, Scheme]:
    """The shipped schemes and the ones this hotline imported, by name."""
    found = dict(shipped())
    rows = connection.execute(
        select(SchemeCodeRow).order_by(SchemeCodeRow.scheme, SchemeCodeRow.position)
    )
    codes: dict[str, list[Code]] = defaultdict(list)
    titles: dict[str, str] = {}
    for row in rows:
        codes[row.scheme].append(Code(row.code, row.label, row.illegal))
        titles[row.scheme] = row.title
    for name, listed in codes.items():
        found[name] = Scheme(name, titles[name], tuple(listed))
    return found


def save_scheme(engine: Engine, actor: Actor, scheme: Scheme) -> int:
    """Store (or replace) a hotline's own scheme; decisions already made under it stay."""
    require(engine, actor, Permission.DECIDE, "casework.scheme", scheme.name)
    if scheme.name in shipped():
        raise DecisionError(f"{scheme.name} is a shipped scheme; give yours another name")
    with unit_of_work(engine) as connection:
        connection.execute(delete(SchemeCodeRow).where(SchemeCodeRow.scheme == scheme.name))
        connection.execute(
            insert(SchemeCodeRow),
            [
                {
                    "scheme": scheme.name,
                    "code": code.code,
                    "title": scheme.title,
                    "label": code.label,
                    "illegal": code.illegal,
                    "position": position,
                    "imported_by": actor.name,
                    "imported_at": utcnow(),
                }
                for position, code in enumerate(scheme.codes)
            ],
        )
        record_event(
            connection, actor, "casework.scheme", scheme.name, after={"codes": len(scheme.codes)}
        )
    return len(scheme.codes)


def resolve_code(known: dict[str, Scheme], scheme: str, code: str) -> Code:
    if scheme not in known:
        raise DecisionError(f"unknown scheme {scheme!r}; known: {', '.join(sorted(known))}")
    try:
        return known[scheme].code(code)
    except SchemeError as error:
        raise DecisionError(str(error)) from None


def _hex(value: str, length: int, what: str) -> str:
    text = value.strip().lower()
    if len(text) != length or not set(text) <= _HEX:
        raise DecisionError(f"{what} must be {length} hexadecimal digits, got {value!r}")
    return text


def find_target(connection: Connection, text: str, pdq: str | None = None) -> Target:
    """``sha256:<hex>`` names a medium; anything else is a URL that must have been reported."""
    if text.lower().startswith("sha256:"):
        sha = _hex(text[7:], 64, "a SHA-256")
        known_pdq = _hex(pdq, 64, "a PDQ hash") if pdq else None
        if known_pdq is None:
            known_pdq = connection.scalar(
                select(MediaHash.pdq).where(MediaHash.sha256 == sha, MediaHash.pdq.is_not(None))
            )
        return Target("medium", sha256=sha, pdq=known_pdq)
    canonical = canonicalize(text)
    if isinstance(canonical, Rejection):
        raise DecisionError(f"not a URL hotline accepts: {canonical.reason.value}")
    url_id = connection.scalar(select(Url.id).where(Url.digest == url_digest(canonical.url)))
    if url_id is None:
        raise DecisionError("this URL was never reported or captured; import its report first")
    return Target("url", url_id=url_id, url=canonical.url)


def decision_digest(target: Target, scheme: str, code: str, analyst: str, at: datetime) -> bytes:
    key = [target.kind, target.url_id, target.sha256, scheme, code, analyst, at.isoformat()]
    return hashlib.sha256(orjson.dumps(key)).digest()


def decision_row(
    target: Target,
    code: Code,
    scheme: str,
    analyst: str,
    organisation: str | None,
    at: datetime,
    note: str | None,
) -> dict[str, object]:
    return {
        "digest": decision_digest(target, scheme, code.code, analyst, at),
        "target": target.kind,
        "url_id": target.url_id,
        "sha256": target.sha256,
        "pdq": target.pdq,
        "scheme": scheme,
        "code": code.code,
        "illegal": code.illegal,
        "analyst": analyst,
        "organisation": organisation,
        "decided_at": at,
        "note": note,
        "recorded_at": utcnow(),
    }


def insert_decisions(connection: Connection, rows: Sequence[dict[str, object]]) -> int:
    if not rows:
        return 0
    stmt = insert_ignore(connection, Classification.__table__, ["digest"])
    return len(connection.execute(stmt.returning(Classification.id), list(rows)).all())


def classify(
    engine: Engine,
    actor: Actor,
    target_text: str,
    scheme: str,
    code: str,
    *,
    at: datetime | None = None,
    note: str | None = None,
    pdq: str | None = None,
) -> tuple[Target, Code, bool]:
    """Record the actor's decision; returns the target, the code and whether it was new."""
    require(engine, actor, Permission.DECIDE, "casework.classify", target_text[:200])
    moment = at or utcnow()
    with unit_of_work(engine) as connection:
        target = find_target(connection, target_text, pdq)
        found = resolve_code(schemes(connection), scheme, code)
        row = decision_row(target, found, scheme, actor.name, actor.organisation, moment, note)
        added = insert_decisions(connection, [row]) == 1
        shown = target.url if target.kind == "url" else f"sha256:{target.sha256}"
        record_event(
            connection,
            actor,
            "casework.classify",
            str(shown)[:500],
            after={"scheme": scheme, "code": found.code, "illegal": found.illegal, "new": added},
        )
    return target, found, added


@dataclass(frozen=True, slots=True)
class Counted:
    """The decision that counts for one URL, and what else was decided on it."""

    scheme: str
    code: str
    illegal: bool
    at: datetime  # when it counted: under consensus, when the last needed analyst agreed
    analysts: tuple[str, ...]
    via: str  # "url", or "medium sha256:<hex>" when it came from a medium
    disagreement: tuple[tuple[str, str, str], ...]  # (analyst, scheme, code) that differ


def _media_urls(connection: Connection, decisions: list[Any]) -> dict[int, set[int]]:
    """Decision id → URL ids whose pages held the medium (same SHA-256, or PDQ within radius)."""
    by_sha: dict[str, list[int]] = defaultdict(list)
    pdqs: list[tuple[str, int]] = []
    for decision in decisions:
        if decision.sha256:
            by_sha[decision.sha256].append(decision.id)
        if decision.pdq:
            pdqs.append((decision.pdq, decision.id))
    reached: dict[int, set[int]] = defaultdict(set)
    if by_sha:
        shas = list(by_sha)
        for start in range(0, len(shas), 500):
            rows = connection.execute(
                select(MediaHash.sha256, MediaHash.url_id).where(
                    MediaHash.sha256.in_(shas[start : start + 500]), MediaHash.url_id.is_not(None)
                )
            )
            for sha, url_id in rows:
                for decision_id in by_sha[sha]:
                    reached[decision_id].add(int(url_id or 0))
    if pdqs:
        media = connection.execute(
            select(MediaHash.pdq, MediaHash.url_id).where(
                MediaHash.pdq.is_not(None), MediaHash.url_id.is_not(None)
            )
        ).all()
        if media:
            index = PdqIndex()
            index.add([m.pdq for m in media], list(range(len(media))))
            found = index.search([p for p, _ in pdqs], PDQ_RADIUS)
            for query, position, _distance in found.pairs():
                reached[pdqs[query][1]].add(int(media[position].url_id or 0))
    return reached


def counted_decisions(
    connection: Connection,
    consensus: int = 1,
    url_ids: Iterable[int] | None = None,
    until: datetime | None = None,
) -> dict[int, Counted | list[tuple[str, str, str]]]:
    """URL id → the decision that counts; or, when analysts disagree and none has reached
    ``consensus``, the list of (analyst, scheme, code) decided so far. ``until``: only the
    decisions made by then (a run as of a past moment)."""
    stmt = select(Classification)
    if until is not None:
        stmt = stmt.where(Classification.decided_at <= until)
    rows: list[Any] = list(connection.execute(stmt))
    wanted = set(url_ids) if url_ids is not None else None
    per_url: dict[int, list[tuple[Any, str]]] = defaultdict(list)
    media = [row for row in rows if row.target == "medium"]
    reached = _media_urls(connection, media) if media else {}
    for row in rows:
        if row.target == "url" and row.url_id is not None:
            per_url[row.url_id].append((row, "url"))
    for row in media:
        for url_id in reached.get(row.id, ()):
            per_url[url_id].append((row, f"medium sha256:{row.sha256}"))
    result: dict[int, Counted | list[tuple[str, str, str]]] = {}
    for url_id, decided in per_url.items():
        if wanted is not None and url_id not in wanted:
            continue
        result[url_id] = _count(decided, consensus)
    return result


def _count(decided: list[tuple[Any, str]], consensus: int) -> Counted | list[tuple[str, str, str]]:
    decided.sort(key=lambda item: (item[0].decided_at, item[0].id))
    agreeing: dict[tuple[str, str], list[str]] = defaultdict(list)
    seen = [(row.analyst, row.scheme, row.code) for row, _ in decided]
    for row, via in decided:
        names = agreeing[(row.scheme, row.code)]
        if row.analyst not in names:
            names.append(row.analyst)
        if len(names) >= consensus:
            others = tuple(s for s in seen if (s[1], s[2]) != (row.scheme, row.code))
            return Counted(
                row.scheme, row.code, row.illegal, row.decided_at, tuple(names), via, others
            )
    return seen
