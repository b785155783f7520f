"""Read-only questions about casework: the queue, one URL's case, notices, and the
time-to-removal statistics.

The statistics count **noticed** URLs only (a first notice to a hotline, a provider or a CDN:
a referral to law enforcement does not start the clock), grouped by the hosting the first
notice went to. Time to removal runs from the first report and from the first notice to the
first removal seen after that notice; buckets and medians come from
``hotline.casework.timing``, so every front end and the report agree.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, select

from hotline.attribution.models import Brand, SiteAttribution
from hotline.casework.decisions import Counted, counted_decisions, find_target
from hotline.casework.models import (
    Case,
    CaseEvent,
    Classification,
    Clearance,
    NoticeRow,
    NoticeUrlRow,
)
from hotline.casework.timing import BUCKETS, bucket_counts, median_hours, profile
from hotline.intake.models import Report, Url

CASE_FIELDS = (
    "state", "state_at", "reported_at", "classified_at", "scheme", "code", "first_notice_at",
    "last_notice_at", "removed_at", "gone_at", "reappearances", "country", "asn", "provider",
)  # fmt: skip
GROUPS = ("overall", "country", "provider", "brand", "distributor")


@dataclass(frozen=True, slots=True)
class Stat:
    key: str
    noticed: int
    removed: int
    from_report: dict[str, int]
    from_notice: dict[str, int]
    median_from_report: float | None
    median_from_notice: float | None
    within_3_days: float
    never_removed: float
    reappeared: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "noticed": self.noticed,
            "removed": self.removed,
            "from_report": {"buckets": self.from_report, "median_hours": self.median_from_report},
            "from_notice": {"buckets": self.from_notice, "median_hours": self.median_from_notice},
            "within_3_days": self.within_3_days,
            "never_removed": self.never_removed,
            "reappeared": self.reappeared,
        }


@dataclass(slots=True)
class _Noticed:
    reported_at: datetime
    noticed_at: datetime
    removed_at: datetime | None
    reappeared: bool
    keys: dict[str, str] = field(default_factory=dict)


def _stat(key: str, cases: list[_Noticed]) -> Stat:
    shape = profile((c.noticed_at, c.removed_at, c.reappeared) for c in cases)
    removed = [c for c in cases if c.removed_at is not None]
    return Stat(
        key=key,
        noticed=len(cases),
        removed=shape.removed,
        from_report=bucket_counts((c.reported_at, c.removed_at) for c in cases),
        from_notice=bucket_counts((c.noticed_at, c.removed_at) for c in cases),
        median_from_report=median_hours(
            [(c.removed_at - c.reported_at).total_seconds() / 3600 for c in removed if c.removed_at]
        ),
        median_from_notice=shape.median_hours,
        within_3_days=shape.within_3_days,
        never_removed=shape.never_removed,
        reappeared=shape.reappeared,
    )


def _noticed(
    connection: Connection, since: datetime | None, until: datetime | None
) -> list[_Noticed]:
    stmt = (
        select(
            Case.reported_at,
            Case.first_notice_at,
            Case.removed_at,
            Case.reappearances,
            Case.country,
            Case.asn,
            Case.provider,
            SiteAttribution.brand_id,
            Brand.distributor_id,
        )
        .join(Url, Url.id == Case.url_id)
        .outerjoin(SiteAttribution, SiteAttribution.site_id == Url.site_id)
        .outerjoin(Brand, Brand.id == SiteAttribution.brand_id)
        .where(Case.first_notice_at.is_not(None))
    )
    if since is not None:
        stmt = stmt.where(Case.first_notice_at >= since)
    if until is not None:
        stmt = stmt.where(Case.first_notice_at <= until)
    found = []
    for row in connection.execute(stmt):
        removed = (
            row.removed_at
            if until is None or (row.removed_at and row.removed_at <= until)
            else None
        )
        keys = {
            "overall": "all",
            "country": row.country or "unknown",
            "provider": f"AS{row.asn}" if row.asn is not None else "unknown",
            "brand": f"B{row.brand_id}" if row.brand_id is not None else "unattributed",
            "distributor": f"D{row.distributor_id}"
            if row.distributor_id is not None
            else "unattributed",
        }
        found.append(
            _Noticed(row.reported_at, row.first_notice_at, removed, row.reappearances > 0, keys)
        )
    return found


def stats(
    connection: Connection,
    group: str = "overall",
    *,
    since: datetime | None = None,
    until: datetime | None = None,
) -> list[Stat]:
    """Time-to-removal statistics per ``group`` (one of GROUPS), largest group first."""
    if group not in GROUPS:
        raise ValueError(f"unknown group {group!r}; one of {', '.join(GROUPS)}")
    per: dict[str, list[_Noticed]] = defaultdict(list)
    for case in _noticed(connection, since, until):
        per[case.keys[group]].append(case)
    result = [_stat(key, cases) for key, cases in per.items()]
    result.sort(key=lambda s: (-s.noticed, s.key))
    return result


def provider_names(connection: Connection) -> dict[str, str]:
    """``AS<n>`` → the provider name the cases recorded (for display next to the key)."""
    rows = connection.execute(
        select(Case.asn, func.max(Case.provider)).where(Case.asn.is_not(None)).group_by(Case.asn)
    )
    return {f"AS{asn}": name for asn, name in rows if name}


def state_counts(connection: Connection) -> dict[str, int]:
    rows = connection.execute(select(Case.state, func.count()).group_by(Case.state))
    return {state: int(count) for state, count in rows}


@dataclass(frozen=True, slots=True)
class QueueItem:
    url: str
    first_reported: datetime
    reports: int
    decided: tuple[tuple[str, str, str], ...]  # (analyst, scheme, code) when analysts disagree


def queue(
    connection: Connection, consensus: int = 1, limit: int = 50
) -> tuple[int, list[QueueItem]]:
    """Reported URLs no decision counts for yet (oldest first), with how many there are."""
    counted = counted_decisions(connection, consensus)
    done = {url_id for url_id, decided in counted.items() if isinstance(decided, Counted)}
    rows = connection.execute(
        select(Report.url_id, func.min(Report.reported_at), func.count())
        .group_by(Report.url_id)
        .order_by(func.min(Report.reported_at), Report.url_id)
    )
    waiting = [(u, at, n) for u, at, n in rows if u not in done]
    shown = waiting[:limit]
    texts = dict(
        connection.execute(
            select(Url.id, Url.canonical).where(Url.id.in_([u for u, _, _ in shown]))
        ).all()
    )
    items = []
    for url_id, at, count in shown:
        decided = counted.get(url_id)
        disagree = tuple(decided) if isinstance(decided, list) else ()
        items.append(QueueItem(texts[url_id], at, int(count), disagree))
    return len(waiting), items


@dataclass(frozen=True, slots=True)
class DecisionView:
    analyst: str
    scheme: str
    code: str
    illegal: bool
    decided_at: datetime
    via: str
    note: str | None


@dataclass(frozen=True, slots=True)
class CaseView:
    url: str
    decisions: list[DecisionView]
    counted: Counted | None
    disagreement: bool
    case: dict[str, Any] | None
    events: list[tuple[datetime, str, str, str]]  # at, state, actor, reason
    notices: list[tuple[str, datetime, str, str, int]]  # number, at, recipient, reason, sequence


def case_view(connection: Connection, target: str, consensus: int = 1) -> CaseView:
    """Everything known about one URL's case: decisions (direct and through its media),
    the decision that counts, the timeline and the notices."""
    found = find_target(connection, target)
    if found.url_id is None:
        raise ValueError("a URL is required here; for a medium use the decision listing")
    url_id = found.url_id
    counted = counted_decisions(connection, consensus, [url_id]).get(url_id)
    direct = connection.execute(
        select(Classification)
        .where(Classification.url_id == url_id)
        .order_by(Classification.decided_at)
    )
    decisions = [
        DecisionView(d.analyst, d.scheme, d.code, d.illegal, d.decided_at, "url", d.note)
        for d in direct
    ]
    if isinstance(counted, Counted) and counted.via != "url":
        decisions.append(
            DecisionView(
                counted.analysts[-1],
                counted.scheme,
                counted.code,
                counted.illegal,
                counted.at,
                counted.via,
                None,
            )
        )
    case = connection.execute(select(Case).where(Case.url_id == url_id)).first()
    events = [
        (e.at, e.state, e.actor, e.reason)
        for e in connection.execute(
            select(CaseEvent).where(CaseEvent.url_id == url_id).order_by(CaseEvent.at, CaseEvent.id)
        )
    ]
    notices = [
        (n.number, n.created_at, n.recipient, n.reason, n.sequence)
        for n in connection.execute(
            select(
                NoticeRow.number,
                NoticeRow.created_at,
                NoticeRow.recipient,
                NoticeUrlRow.reason,
                NoticeUrlRow.sequence,
            )
            .join(NoticeUrlRow, NoticeUrlRow.notice_id == NoticeRow.id)
            .where(NoticeUrlRow.url_id == url_id)
            .order_by(NoticeRow.created_at, NoticeRow.id)
        )
    ]
    return CaseView(
        url=found.url or "",
        decisions=decisions,
        counted=counted if isinstance(counted, Counted) else None,
        disagreement=bool(counted.disagreement) if isinstance(counted, Counted) else bool(counted),
        case=_case_dict(case),
        events=events,
        notices=notices,
    )


def _case_dict(case: Any) -> dict[str, Any] | None:
    if case is None:
        return None
    return {name: getattr(case, name) for name in CASE_FIELDS}


@dataclass(frozen=True, slots=True)
class NoticeListed:
    number: str
    created_at: datetime
    recipient: str
    kind: str
    name: str
    contact: str | None
    urls: int
    escalated: bool
    sent_at: datetime | None
    send_error: str | None
    directory: str | None


def notices(
    connection: Connection, recipient: str | None = None, limit: int = 100
) -> list[NoticeListed]:
    stmt = (
        select(NoticeRow, func.count(NoticeUrlRow.url_id).label("url_count"))
        .join(NoticeUrlRow, NoticeUrlRow.notice_id == NoticeRow.id)
        .group_by(NoticeRow.id)
        .order_by(NoticeRow.created_at.desc(), NoticeRow.id.desc())
        .limit(limit)
    )
    if recipient:
        stmt = stmt.where(NoticeRow.recipient == recipient)
    return [
        NoticeListed(
            n.number,
            n.created_at,
            n.recipient,
            n.kind,
            n.name,
            n.contact,
            int(n.url_count),
            n.escalated,
            n.sent_at,
            n.send_error,
            n.directory,
        )
        for n in connection.execute(stmt)
    ]


CASE_EXPORT_COLUMNS = ("url", *CASE_FIELDS)


def case_rows(connection: Connection) -> Iterator[tuple[Any, ...]]:
    """One row per case, for ``hotline export cases``: the exact URL and every timestamp."""
    stmt = select(Url.canonical, Case).join(Url, Url.id == Case.url_id).order_by(Case.url_id)
    for case in connection.execute(stmt):
        yield (case.canonical, *(getattr(case, name) for name in CASE_FIELDS))


def decision_moments(connection: Connection) -> list[datetime]:
    """Every distinct moment a decision or a clearance took effect, in order: the moments a
    replay of imported history runs ``casework run`` at (``hotline demo``, the tests), so each
    notice goes out when the hotline that decided would have written it."""
    moments = set(connection.scalars(select(Classification.decided_at).distinct()))
    moments |= set(connection.scalars(select(Clearance.cleared_at).distinct()))
    return sorted(moments)


__all__ = ["BUCKETS", "GROUPS", "Stat", "case_rows", "case_view", "notices", "queue", "stats"]


def decision_organisations(
    connection: Connection, target: str
) -> dict[tuple[str, datetime, str, str], str | None]:
    """The organisation of each direct decision on one URL, keyed ``(analyst, decided_at,
    scheme, code)`` as :func:`case_view` lists them (None: imported from a file). A front end
    that shows a decision's note only to the deciding organisation matches by this key."""
    found = find_target(connection, target)
    if found.url_id is None:
        return {}
    rows = connection.execute(
        select(
            Classification.analyst,
            Classification.decided_at,
            Classification.scheme,
            Classification.code,
            Classification.organisation,
        ).where(Classification.url_id == found.url_id)
    )
    return {(a, at, scheme, code): org for a, at, scheme, code, org in rows}
