"""``hotline casework run``: bring every case up to a moment, and write the notices due.

One run, as of ``now`` (the clock by default; tests and replays pass their own):

1. collect removal evidence the store already holds: a capture of the URL whose page class
   says the site is gone (an error, placeholder or suspended page) or back (a normal page),
   and passive DNS that says its name stopped resolving — never by fetching the URL;
2. replay each classified URL's facts (``hotline.casework.states``) and record the events
   that are new, each timestamped, with its actor, and audited;
3. route the URLs that need a notice (``hotline.casework.routing``, from their current
   hosting), group them per recipient and write one notice per recipient as files
   (``.eml``, JSON, CSV); referrals to law enforcement for URLs awaiting clearance likewise;
4. optionally send the written notices by SMTP, after the transaction committed.

A second run at the same moment writes nothing: every fact and event is already there.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import shutil
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import Connection, Engine, bindparam, delete, func, insert, select, update

from hotline.accounts.audit import Entry, record_event, record_events
from hotline.accounts.roles import Actor, Permission
from hotline.accounts.services import require
from hotline.captures.models import Capture
from hotline.captures.page_class import ERROR, NORMAL, PLACEHOLDER, SUSPENDED
from hotline.casework.decisions import Counted, counted_decisions
from hotline.casework.facts import _seen_row
from hotline.casework.models import (
    Case,
    CaseEvent,
    CaseworkRun,
    Classification,
    Clearance,
    NoticeRow,
    NoticeUrlRow,
    RemovalEvidence,
)
from hotline.casework.notices import Notice, NoticeUrl, write_notice
from hotline.casework.routing import HostingFacts, Route, route
from hotline.casework.rules import Rules
from hotline.casework.smtp import SmtpError, SmtpSettings, send
from hotline.casework.states import (
    NOTICE_REASONS,
    CaseFacts,
    Decided,
    Noticed,
    Seen,
    State,
    Timeline,
    replay,
)
from hotline.hosting.models import HostingObservation, IpFactsRow, Provider, SiteHosting
from hotline.intake.models import Report, Site, Url
from hotline.store.types import utcnow
from hotline.store.uow import unit_of_work
from hotline.store.upsert import insert_ignore

DOWN_CLASSES = frozenset({ERROR, PLACEHOLDER, SUSPENDED})
_NOTICE_KINDS_FOR_CLOCK = frozenset({"hotline", "provider", "cdn", "unroutable"})
_EPISODES = tuple(r for r in NOTICE_REASONS if r != "renotice")  # the notices not repeats
# Facts are stamped before their transaction commits: a run looks back this far before the
# previous run started, so an import that committed while that run was reading is not missed.
COMMIT_MARGIN = timedelta(minutes=10)


@dataclass(slots=True)
class Sender:
    name: str = "hotline"
    contact: str = "hotline@hotline.example"


@dataclass(slots=True)
class RunSummary:
    now: datetime
    cases: int = 0
    events: int = 0
    evidence: int = 0
    notices: int = 0
    urls_noticed: int = 0
    renotices: int = 0
    escalated: int = 0
    referrals: int = 0
    sent: int = 0
    send_errors: int = 0
    files: list[Path] = field(default_factory=list)
    states: dict[str, int] = field(default_factory=dict)


Progress = Callable[[str, int, int, int], None]


def _quiet(what: str, done: int, total: int, items: int = 0) -> None:
    return None


def run(
    engine: Engine,
    actor: Actor,
    rules: Rules,
    out: Path,
    *,
    now: datetime | None = None,
    sender: Sender | None = None,
    smtp: SmtpSettings | None = None,
    progress: Progress = _quiet,
    lookback: timedelta = COMMIT_MARGIN,
) -> RunSummary:
    """Bring every case up to ``now`` and write the notices due (see the module's text).

    ``lookback``: how far before the previous run's start a fact recorded then may still have
    been invisible to it. Only a caller that owns the store alone and imported everything
    before its first run (the demo's replay of a world's history, its tests) may pass zero;
    with the default, runs made within ten minutes of an import replay every case it
    touched, which is right when someone else may be writing.
    """
    require(engine, actor, Permission.DECIDE, "casework.run", str(out))
    moment = now or utcnow()
    summary = RunSummary(moment)
    who = sender or Sender()
    started = utcnow()
    fingerprint = _fingerprint(rules)
    final = out
    # notices are written into a folder of this run's own and moved into place once the
    # transaction has committed: a run that fails leaves no file naming a notice it never
    # recorded (and a number it may hand out again)
    out = final / f".pending-{uuid.uuid4().hex}"
    try:
        summary = _run_in(engine, actor, rules, out, moment, started, fingerprint, who, summary,
                          progress, lookback)  # fmt: skip
    except BaseException:
        shutil.rmtree(out, ignore_errors=True)
        raise
    summary.files = _publish(out, final, summary.files)
    if smtp is not None:
        _send(engine, summary, smtp)
    return summary


def _publish(pending: Path, final: Path, files: list[Path]) -> list[Path]:
    moved = []
    for path in files:
        target = final / path.name
        os.replace(path, target)
        moved.append(target)
    shutil.rmtree(pending, ignore_errors=True)
    return moved


def _run_in(
    engine: Engine,
    actor: Actor,
    rules: Rules,
    out: Path,
    moment: datetime,
    started: datetime,
    fingerprint: str,
    who: Sender,
    summary: RunSummary,
    progress: Progress,
    lookback: timedelta,
) -> RunSummary:
    with unit_of_work(engine) as connection:
        every = {
            url_id: decided
            for url_id, decided in counted_decisions(
                connection, rules.consensus, until=moment
            ).items()
            if isinstance(decided, Counted)
        }
        summary.evidence = _collect_evidence(connection, actor, list(every))
        active = _active(connection, set(every), moment, rules, fingerprint, lookback)
        counted = {url_id: every[url_id] for url_id in sorted(active)}
        progress("cases", 0, len(counted), 0)
        hosting = _hosting(connection, list(counted))
        lines, facts = _replay_all(connection, counted, rules, moment, hosting)
        due = {url_id: line.due for url_id, line in lines.items() if line.due}
        due, held = _moved(connection, lines, facts, hosting, rules, due, moment)
        issued, sequences = _notices(
            connection, actor, rules, who, out, moment, due, hosting, summary, counted
        )
        waiting = held | {
            url_id
            for url_id, line in lines.items()
            if facts[url_id].needs_clearance and line.up and not _cleared(facts[url_id], moment)
        }
        _referrals(
            connection,
            actor,
            rules,
            who,
            out,
            moment,
            waiting - set(issued),
            hosting,
            summary,
            counted,
        )
        if issued:  # the notices are facts now: replay the URLs they named
            named = {k: counted[k] for k in issued}
            again, _ = _replay_all(connection, named, rules, moment, hosting, issued)
            lines.update(again)
        summary.events = _store(connection, actor, counted, lines, hosting, moment, sequences)
        summary.cases = len(lines)
        for line in lines.values():
            summary.states[line.state.value] = summary.states.get(line.state.value, 0) + 1
        connection.execute(
            insert(CaseworkRun).values(now=moment, started_at=started, rules=fingerprint,
                                       cases=len(lines), actor=actor.name[:64])
        )  # fmt: skip
        progress("cases", len(counted), len(counted), summary.events)
        record_event(
            connection,
            actor,
            "casework.run",
            moment.isoformat(),
            after={k: v for k, v in _counts(summary).items() if v},
        )
    return summary


def _batches(ids: list[int], size: int = 500) -> Iterator[list[int]]:
    """``ids`` in slices an ``IN (...)`` list stays small enough for on both engines."""
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def _cleared(case: CaseFacts, now: datetime) -> bool:
    return case.cleared_at is not None and case.cleared_at <= now


def _fingerprint(rules: Rules) -> str:
    options = orjson.OPT_NON_STR_KEYS | orjson.OPT_SORT_KEYS  # providers are keyed by AS number
    encoded = orjson.dumps(dataclasses.asdict(rules), default=str, option=options)
    return hashlib.sha256(encoded).hexdigest()[:32]


def _active(
    connection: Connection,
    ids: set[int],
    now: datetime,
    rules: Rules,
    fingerprint: str,
    lookback: timedelta,
) -> set[int]:
    """The classified URLs whose history may have moved since the last run: new cases, and
    those with a decision, clearance or sighting that took effect since its moment or was
    recorded since it started, a repeat notice due, or a hosting recomputed since. Every
    other case would replay to exactly what it already is. The first run, a run under
    other rules and a run as of an earlier moment replay everything."""
    last = connection.execute(
        select(CaseworkRun.now, CaseworkRun.started_at, CaseworkRun.rules)
        .order_by(CaseworkRun.id.desc())
        .limit(1)
    ).first()
    if last is None or last.rules != fingerprint or last.now > now:
        return set(ids)
    then, since = last.now, last.started_at - lookback
    known = set(connection.scalars(select(Case.url_id)))
    found = ids - known
    for table, at in (
        (Classification, Classification.decided_at),
        (Clearance, Clearance.cleared_at),
        (RemovalEvidence, RemovalEvidence.observed_at),
    ):
        rows = connection.execute(
            select(table.url_id).where(((at > then) & (at <= now)) | (table.recorded_at > since))
        )
        found.update(url_id for (url_id,) in rows if url_id is not None)
    media = connection.scalar(
        select(func.count())
        .select_from(Classification)
        .where(
            Classification.target == "medium",
            ((Classification.decided_at > then) & (Classification.decided_at <= now))
            | (Classification.recorded_at > since),
        )
    )
    captured = connection.scalar(
        select(func.count()).select_from(Capture).where(Capture.created_at > since)
    )
    decided_media = connection.scalar(
        select(func.count()).select_from(Classification).where(Classification.target == "medium")
    )
    if media or (captured and decided_media):  # a medium's decision may reach any URL
        return set(ids)
    found.update(  # an earlier report imported late moves the report clock
        connection.scalars(select(Report.url_id).where(Report.ingested_at > since).distinct())
    )
    found.update(  # an abuse contact learned from RDAP may route a URL that was unroutable
        connection.scalars(
            select(Url.id)
            .join(Site, Site.id == Url.site_id)
            .join(SiteHosting, SiteHosting.site_key == Site.key)
            .join(IpFactsRow, IpFactsRow.ip == SiteHosting.ip)
            .join(Case, Case.url_id == Url.id)
            .where(IpFactsRow.rdap_fetched_at > since)
        )
    )
    repeat = now - timedelta(hours=rules.renotice_hours)
    found.update(
        connection.scalars(
            select(Case.url_id).where(
                Case.state.in_(
                    [State.NOTIFIED.value, State.REAPPEARED.value, State.CLASSIFIED.value]
                )
                & ((Case.last_notice_at.is_(None)) | (Case.last_notice_at <= repeat))
                | (Case.state == State.MOVED.value)
            )
        )
    )
    found.update(
        connection.scalars(
            select(Url.id)
            .join(Site, Site.id == Url.site_id)
            .join(SiteHosting, SiteHosting.site_key == Site.key)
            .join(Case, Case.url_id == Url.id)
            .where(SiteHosting.computed_at > since)
        )
    )
    return found & ids


def _counts(summary: RunSummary) -> dict[str, int]:
    names = (
        "cases",
        "events",
        "evidence",
        "notices",
        "urls_noticed",
        "renotices",
        "escalated",
        "referrals",
        "sent",
        "send_errors",
    )
    return {name: int(getattr(summary, name)) for name in names}


# -- evidence already in the store ----------------------------------------------------------


def _collect_evidence(connection: Connection, actor: Actor, url_ids: list[int]) -> int:
    rows: list[dict[str, Any]] = []
    for chunk in _batches(url_ids):
        captures = connection.execute(
            select(Capture.id, Capture.url_id, Capture.captured_at, Capture.page_class)
            .outerjoin(RemovalEvidence, RemovalEvidence.capture_id == Capture.id)
            .where(
                Capture.url_id.in_(chunk),
                Capture.page_class.in_([*DOWN_CLASSES, NORMAL]),
                RemovalEvidence.id.is_(None),  # each capture is read once
            )
        )
        for capture_id, url_id, at, page_class in captures:
            up = page_class == NORMAL
            detail = f"capture {capture_id}: {page_class} page"
            row = _seen_row(url_id, at, up, "capture", detail, actor.name)
            rows.append(row | {"capture_id": capture_id})
        gone = connection.execute(
            select(Url.id, HostingObservation.first_seen)
            .join(HostingObservation, HostingObservation.host == Url.host)
            .where(Url.id.in_(chunk), HostingObservation.status == "nxdomain")
        )
        for url_id, at in gone:
            rows.append(
                _seen_row(url_id, at, False, "pdns", "the name stopped resolving", actor.name)
            )
    if not rows:
        return 0
    unique = {row["digest"]: row for row in rows}
    stmt = insert_ignore(connection, RemovalEvidence.__table__, ["digest"])
    return len(connection.execute(stmt.returning(RemovalEvidence.id), list(unique.values())).all())


# -- replay ---------------------------------------------------------------------------------


def _replay_all(
    connection: Connection,
    counted: dict[int, Counted],
    rules: Rules,
    now: datetime,
    hosting: dict[int, Place],
    issued: dict[int, Noticed] | None = None,
) -> tuple[dict[int, Timeline], dict[int, CaseFacts]]:
    ids = list(counted)
    reported = _first_reports(connection, ids)
    cleared: dict[int, datetime] = {}
    seen: dict[int, list[Seen]] = defaultdict(list)
    noticed: dict[int, list[Noticed]] = defaultdict(list)
    for chunk in _batches(ids):
        for url_id, at in connection.execute(
            select(Clearance.url_id, func.min(Clearance.cleared_at))
            .where(Clearance.url_id.in_(chunk))
            .group_by(Clearance.url_id)
        ):
            cleared[url_id] = at
        for url_id, at, up, source in connection.execute(
            select(
                RemovalEvidence.url_id,
                RemovalEvidence.observed_at,
                RemovalEvidence.up,
                RemovalEvidence.source,
            ).where(RemovalEvidence.url_id.in_(chunk))
        ):
            seen[url_id].append(Seen(at, bool(up), source))
        for url_id, notices in _notice_facts(connection, chunk, issued or {}).items():
            noticed[url_id].extend(notices)
    lines: dict[int, Timeline] = {}
    facts: dict[int, CaseFacts] = {}
    renotice = timedelta(hours=rules.renotice_hours)
    for url_id, decided in counted.items():
        routes = route(_facts(hosting, url_id), rules, cleared=False)
        # clearance comes before the first notice; a URL already noticed elsewhere that moves
        # into the own country is handled by _moved (held, and referred)
        needs = any(r.kind == "law-enforcement" for r in routes) and not noticed.get(url_id)
        case = CaseFacts(
            reported_at=min(reported.get(url_id) or decided.at, decided.at),
            decision=Decided(
                decided.at, decided.scheme, decided.code, decided.illegal, decided.analysts[-1]
            ),
            needs_clearance=needs,
            cleared_at=cleared.get(url_id),
            seen=tuple(seen.get(url_id, ())),
            notices=tuple(sorted(noticed.get(url_id, ()), key=lambda n: n.at)),
        )
        facts[url_id] = case
        lines[url_id] = replay(case, now, renotice)
    return lines, facts


def _notice_facts(
    connection: Connection, chunk: list[int], issued: dict[int, Noticed]
) -> dict[int, list[Noticed]]:
    """The notices that matter to a replay, per URL: every one that was not a repeat (first,
    moved, re-appeared), and the latest (kept on the case), which the re-notice clock runs
    from; ``issued``: those this run has just written. A URL noticed daily for months has
    hundreds of repeats, and none of the others changes its history."""
    clock = list(_NOTICE_KINDS_FOR_CLOCK)
    found: dict[tuple[int, datetime], tuple[str, list[str]]] = {}
    rows = connection.execute(
        select(NoticeUrlRow.url_id, NoticeRow.created_at, NoticeUrlRow.reason, NoticeRow.recipient)
        .join(NoticeRow, NoticeRow.id == NoticeUrlRow.notice_id)
        .where(
            NoticeUrlRow.url_id.in_(chunk),
            NoticeUrlRow.reason.in_(_EPISODES),
            NoticeRow.kind.in_(clock),
        )
    )
    for url_id, at, reason, recipient in rows:
        found.setdefault((url_id, at), (reason, []))[1].append(recipient)
    result: dict[int, list[Noticed]] = defaultdict(list)
    for (url_id, at), (reason, recipients) in found.items():
        result[url_id].append(Noticed(at, reason, tuple(sorted(recipients))))
    latest = connection.execute(
        select(Case.url_id, Case.last_notice_at, Case.recipients).where(
            Case.url_id.in_(chunk), Case.last_notice_at.is_not(None)
        )
    )
    for url_id, last_at, last_to in latest:
        if last_at is not None and (url_id, last_at) not in found:
            names = tuple(sorted(r for r in str(last_to or "").split(" ") if r))
            result[url_id].append(Noticed(last_at, "renotice", names))
    wanted = set(chunk)
    for url_id, notice in issued.items():
        # a repeat written by this run: its row is not an episode and the case not yet saved
        if url_id in wanted and (url_id, notice.at) not in found:
            result[url_id] = [n for n in result[url_id] if n.at != notice.at] + [notice]
    return result


def _first_reports(connection: Connection, ids: list[int]) -> dict[int, datetime]:
    found: dict[int, datetime] = {}
    for chunk in _batches(ids):
        for url_id, at in connection.execute(
            select(Report.url_id, func.min(Report.reported_at))
            .where(Report.url_id.in_(chunk))
            .group_by(Report.url_id)
        ):
            found[url_id] = at
        for url_id, at in connection.execute(
            select(Url.id, Url.created_at).where(Url.id.in_(chunk))
        ):
            found.setdefault(url_id, at)  # captured, never reported: known since then
    return found


# -- hosting and routing --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Place:
    facts: HostingFacts
    country: str | None  # as the hosting table has it: ISO code or behind-cdn/onion/unknown
    asn: int | None
    provider: str | None
    ip: str | None


def _hosting(connection: Connection, ids: list[int]) -> dict[int, Place]:
    found: dict[int, Place] = {}
    names = dict(connection.execute(select(Provider.asn, Provider.name)).all())
    for chunk in _batches(ids):
        rows = connection.execute(
            select(
                Url.id.label("url_id"),
                SiteHosting.status,
                SiteHosting.country,
                SiteHosting.ip,
                SiteHosting.asn,
                SiteHosting.provider,
                SiteHosting.cdn,
                SiteHosting.origin_country,
                IpFactsRow.abuse_emails,
                IpFactsRow.as_org,
            )
            .join(Site, Site.id == Url.site_id)
            .join(SiteHosting, SiteHosting.site_key == Site.key)
            .outerjoin(IpFactsRow, IpFactsRow.ip == SiteHosting.ip)
            .where(Url.id.in_(chunk))
        )
        for hosting in rows:
            url_id = hosting.url_id
            named = names.get(hosting.asn) if hosting.asn is not None else None
            provider = named or hosting.provider or hosting.as_org
            behind = hosting.status == "behind-cdn"
            facts = HostingFacts(
                country=None if behind or hosting.status != "hosted" else hosting.country,
                asn=None if behind else hosting.asn,
                provider=None if behind else provider,
                abuse=() if behind else tuple(hosting.abuse_emails or ()),
                cdn=(hosting.cdn or provider or "CDN") if behind else None,
                origin_country=hosting.origin_country if behind else None,
            )
            found[url_id] = Place(facts, hosting.country, hosting.asn, provider, hosting.ip)
    return found


def _facts(hosting: dict[int, Place], url_id: int) -> HostingFacts:
    place = hosting.get(url_id)
    return place.facts if place else HostingFacts()


def _moved(
    connection: Connection,
    lines: dict[int, Timeline],
    facts: dict[int, CaseFacts],
    hosting: dict[int, Place],
    rules: Rules,
    due: dict[int, str],
    now: datetime,
) -> tuple[dict[int, str], set[int]]:
    """A noticed URL still up whose routing now names other recipients: notice them anew;
    or, moved into the own country and not cleared, no notice at all but a referral."""
    held: set[int] = set()
    for url_id, line in lines.items():
        case = facts[url_id]
        if not line.up or not case.notices:
            continue
        routes = route(_facts(hosting, url_id), rules, cleared=_cleared(case, now))
        if any(r.kind == "law-enforcement" for r in routes):
            due.pop(url_id, None)  # the provider hears of it only once it is cleared
            held.add(url_id)
            continue
        if line.state is not State.NOTIFIED or due.get(url_id) == "reappeared":
            continue
        now_to = tuple(sorted(r.recipient for r in routes))
        if now_to != tuple(sorted(case.notices[-1].recipients)):
            due[url_id] = "moved"
    return due, held


# -- notices --------------------------------------------------------------------------------


def _new_notice(
    connection: Connection,
    actor: Actor,
    first: Route,
    moment: datetime,
    escalated: bool,
    out: Path,
) -> tuple[int, str]:
    notice_id = connection.execute(
        insert(NoticeRow).returning(NoticeRow.id),
        {
            "number": uuid.uuid4().hex[:16],
            "recipient": first.recipient,
            "kind": first.kind,
            "name": first.name,
            "contact": first.contact,
            "created_at": moment,
            "escalated": escalated,
            "directory": str(out.parent),  # where the run moves its files once committed
            "created_by": actor.name,
        },
    ).scalar_one()
    number = f"N-{notice_id:06d}"
    connection.execute(update(NoticeRow).where(NoticeRow.id == notice_id).values(number=number))
    return int(notice_id), number


def _episode_counts(connection: Connection, ids: list[int]) -> dict[int, int]:
    """URL id → notices since it was first noticed (or moved, or came back): kept on the
    case, so a URL noticed every day for months is not counted row by row."""
    found: dict[int, int] = {}
    for chunk in _batches(ids):
        found.update(
            connection.execute(
                select(Case.url_id, Case.notices).where(Case.url_id.in_(chunk))
            ).all()
        )
    return found


def _referred(connection: Connection, ids: list[int]) -> set[int]:
    """The URLs already referred to law enforcement for clearance."""
    found: set[int] = set()
    for chunk in _batches(ids):
        found.update(
            connection.scalars(
                select(NoticeUrlRow.url_id).where(
                    NoticeUrlRow.url_id.in_(chunk), NoticeUrlRow.reason == "clearance"
                )
            )
        )
    return found


def _issue(
    connection: Connection,
    actor: Actor,
    rules: Rules,
    sender: Sender,
    out: Path,
    moment: datetime,
    to: Route,
    members: list[tuple[int, int, str]],
    hosting: dict[int, Place],
    escalated: bool,
    counted: dict[int, Counted],
) -> tuple[str, list[Path]]:
    """One notice to ``to`` naming ``members`` (URL id, sequence, reason): its rows and files."""
    notice_id, number = _new_notice(connection, actor, to, moment, escalated, out)
    connection.execute(
        insert(NoticeUrlRow),
        [{"notice_id": notice_id, "url_id": u, "sequence": s, "reason": r} for u, s, r in members],
    )
    ids = [u for u, _, _ in members]
    urls = _url_texts(connection, ids)
    reported = _first_reports(connection, ids)
    notice = Notice(
        id=number,
        created_at=moment,
        recipient=to.recipient,
        kind=to.kind,
        name=to.name,
        contact=to.contact,
        sender_name=sender.name,
        sender_contact=sender.contact,
        escalated=escalated,
        urls=tuple(
            _notice_url(urls[u], s, counted.get(u), hosting.get(u), reported[u])
            for u, s, _ in members
        ),
    )
    return number, write_notice(out, notice)


def _notices(
    connection: Connection,
    actor: Actor,
    rules: Rules,
    sender: Sender,
    out: Path,
    moment: datetime,
    due: dict[int, str],
    hosting: dict[int, Place],
    summary: RunSummary,
    counted: dict[int, Counted],
) -> tuple[dict[int, Noticed], dict[int, int]]:
    """Write the notices due, one per recipient; returns what was issued per URL and each
    URL's sequence (its notices since it was first noticed, moved or came back)."""
    if not due:
        return {}, {}
    ids = sorted(due)
    previous = _episode_counts(connection, ids)
    groups: dict[str, tuple[Route, list[tuple[int, int, str]]]] = {}
    issued: dict[int, Noticed] = {}
    sequences: dict[int, int] = {}
    for url_id in ids:
        sequence = previous.get(url_id, 0) + 1 if due[url_id] == "renotice" else 1
        sequences[url_id] = sequence
        routes = route(_facts(hosting, url_id), rules, cleared=True)
        issued[url_id] = Noticed(moment, due[url_id], tuple(sorted(r.recipient for r in routes)))
        for found in routes:
            groups.setdefault(found.recipient, (found, []))[1].append(
                (url_id, sequence, due[url_id])
            )
    for recipient in sorted(groups):
        first, members = groups[recipient]
        escalated = any(sequence >= rules.escalate_after for _, sequence, _ in members)
        number, files = _issue(
            connection,
            actor,
            rules,
            sender,
            out,
            moment,
            first,
            members,
            hosting,
            escalated,
            counted,
        )
        summary.files.extend(files)
        summary.notices += 1
        summary.escalated += int(escalated)
        summary.renotices += sum(1 for u, _, _ in members if due[u] == "renotice")
        record_event(
            connection,
            actor,
            "casework.notice",
            number,
            after={
                "recipient": recipient,
                "kind": first.kind,
                "urls": len(members),
                "escalated": escalated,
            },
        )
    summary.urls_noticed = len(ids)
    return issued, sequences


def _notice_url(
    url: str, sequence: int, decided: Any, place: Place | None, reported: datetime
) -> NoticeUrl:
    scheme = decided.scheme if isinstance(decided, Counted) else ""
    code = decided.code if isinstance(decided, Counted) else ""
    return NoticeUrl(
        url=url,
        reported_at=reported,
        scheme=scheme,
        code=code,
        ip=place.ip if place else None,
        country=place.country if place else None,
        asn=place.asn if place else None,
        sequence=sequence,
    )


def _url_texts(connection: Connection, ids: list[int]) -> dict[int, str]:
    found: dict[int, str] = {}
    for chunk in _batches(ids):
        found.update(
            connection.execute(select(Url.id, Url.canonical).where(Url.id.in_(chunk))).all()
        )
    return found


def _referrals(
    connection: Connection,
    actor: Actor,
    rules: Rules,
    sender: Sender,
    out: Path,
    moment: datetime,
    candidates: set[int],
    hosting: dict[int, Place],
    summary: RunSummary,
    counted: dict[int, Counted],
) -> None:
    """One referral to law enforcement per URL that needs clearance and is not cleared,
    never repeated."""
    waiting = sorted(candidates)
    if not waiting:
        return
    referred = _referred(connection, waiting)
    fresh = [u for u in waiting if u not in referred]
    if not fresh:
        return
    routes = {u: route(_facts(hosting, u), rules, cleared=False) for u in fresh}
    police = next(r for rs in routes.values() for r in rs if r.kind == "law-enforcement")
    members = [(u, 1, "clearance") for u in fresh]
    number, files = _issue(
        connection, actor, rules, sender, out, moment, police, members, hosting, False, counted
    )
    summary.files.extend(files)
    summary.referrals += len(fresh)
    record_event(connection, actor, "casework.referral", number, after={"urls": len(fresh)})


# -- cases and events -----------------------------------------------------------------------


def _store(
    connection: Connection,
    actor: Actor,
    counted: dict[int, Counted],
    lines: dict[int, Timeline],
    hosting: dict[int, Place],
    moment: datetime,
    sequences: dict[int, int],
) -> int:
    ids = list(lines)
    stored: dict[int, set[tuple[str, datetime]]] = defaultdict(set)
    cases: dict[int, Any] = {}
    for chunk in _batches(ids):
        for url_id, state, at in connection.execute(
            select(CaseEvent.url_id, CaseEvent.state, CaseEvent.at).where(
                CaseEvent.url_id.in_(chunk)
            )
        ):
            stored[url_id].add((state, at))
        for case in connection.execute(select(Case).where(Case.url_id.in_(chunk))):
            cases[case.url_id] = case
    new_events: list[dict[str, Any]] = []
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    urls = _url_texts(connection, ids)
    stale: list[dict[str, Any]] = []
    audited: list[Entry] = []
    for url_id, line in lines.items():
        decided = counted[url_id]
        replayed = {(event.state.value, event.at) for event in line.events}
        # a fact that arrived late can rewrite a history (a sighting from before a notice):
        # events the facts no longer give are taken out (the audit trail keeps them)
        stale.extend(
            {"b_url_id": url_id, "b_state": state, "b_at": at}
            for state, at in stored[url_id] - replayed
        )
        for event in line.events:
            if (event.state.value, event.at) in stored[url_id]:
                continue
            by_analyst = event.state in (State.CLASSIFIED, State.NOT_ILLEGAL)
            name = ",".join(decided.analysts) if by_analyst else actor.name
            detail = {"via": decided.via} if by_analyst else None
            new_events.append(
                {
                    "url_id": url_id,
                    "state": event.state.value,
                    "at": event.at,
                    "actor": name[:64],
                    "reason": event.reason,
                    "detail": detail,
                    "recorded_at": moment,
                }
            )
            changes = {
                "state": event.state.value,
                "at": event.at.isoformat(),
                "by": name,
                "reason": event.reason,
            }
            audited.append(
                Entry("casework.state", urls.get(url_id, str(url_id))[:500], after=changes)
            )
        row = _case_values(cases.get(url_id), decided, line, hosting.get(url_id), moment)
        if url_id in sequences:
            row["notices"] = sequences[url_id]
        if url_id not in cases:
            inserts.append({"url_id": url_id, "notices": 0, **row})
        elif any(getattr(cases[url_id], k) != v for k, v in row.items() if k != "updated_at"):
            updates.append({"b_url_id": url_id, **row})  # most cases on most runs: unchanged
    if stale:
        connection.execute(
            delete(CaseEvent).where(
                CaseEvent.url_id == bindparam("b_url_id"),
                CaseEvent.state == bindparam("b_state"),
                CaseEvent.at == bindparam("b_at"),
            ),
            stale,
        )
    if new_events:
        connection.execute(insert(CaseEvent), new_events)
    record_events(connection, actor, audited)
    if inserts:
        connection.execute(insert(Case), inserts)
    for keys, group in _by_keys(updates).items():
        stmt = (
            update(Case)
            .where(Case.url_id == bindparam("b_url_id"))
            .values({k: bindparam(k) for k in keys if k != "b_url_id"})
        )
        connection.execute(stmt, group)
    return len(new_events)


def _by_keys(rows: list[dict[str, Any]]) -> dict[tuple[str, ...], list[dict[str, Any]]]:
    """Rows grouped by the columns they set: one executemany per shape."""
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        groups[tuple(sorted(row))].append(row)
    return groups


def _case_values(
    case: Any, decided: Counted, line: Timeline, place: Place | None, moment: datetime
) -> dict[str, Any]:
    """The case row as the replay leaves it."""
    current = line.events[-1]
    values: dict[str, Any] = {
        "state": current.state.value,
        "state_at": current.at,
        "reported_at": line.events[0].at,
        "classified_at": decided.at,
        "scheme": decided.scheme,
        "code": decided.code,
        "illegal": decided.illegal,
        "first_notice_at": line.first_notice_at,
        "last_notice_at": line.last_notice_at,
        "recipients": " ".join(line.last_recipients) or None,
        "removed_at": line.removed_at,
        "gone_at": line.gone_at,
        "reappearances": line.reappearances,
        "updated_at": moment,
    }
    # the hosting a case is counted under is the one its first notice went to: set when the
    # case is opened, and once more at its first notice, never after
    if case is None or (line.first_notice_at is not None and case.first_notice_at is None):
        values |= {
            "country": place.country if place else None,
            "asn": place.asn if place else None,
            "provider": place.provider if place else None,
        }
    return values


def _send(engine: Engine, summary: RunSummary, smtp: SmtpSettings) -> None:
    for path in summary.files:
        if path.suffix != ".eml":
            continue
        number = path.stem
        error: str | None = None
        try:
            send(path.read_bytes(), smtp)
        except SmtpError as failure:
            error = str(failure)
        with unit_of_work(engine) as connection:
            connection.execute(
                update(NoticeRow)
                .where(NoticeRow.number == number)
                .values(sent_at=None if error else utcnow(), send_error=error)
            )
        summary.sent += int(error is None)
        summary.send_errors += int(error is not None)
