"""A case's states, and the replay that turns a URL's facts into its timeline.

States are never set by hand: a case's history is *derived* from facts that each carry the
time they hold from (the first report, the decision that counted, a clearance, every notice
written, every sighting of the URL down or up again). Replaying the facts in time order gives
the same events whatever order they were imported in, so a late partner feed or a re-import
cannot leave a case in a state its facts contradict, and the timestamps the statistics read
(first notice, first removal after it) come out of one function.

Transitions (each one a timestamped event):

    reported ──> classified ──> awaiting-clearance ──> notified ──> removed ──> reappeared
        │            │                │                   │  ^                     │
        │            │                └──> gone-before-notice │                    │
        │            └──> not-illegal                     └─ moved ─┘ <────────────┘ (re-notice)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from itertools import pairwise


class State(StrEnum):
    REPORTED = "reported"
    CLASSIFIED = "classified"
    AWAITING_CLEARANCE = "awaiting-clearance"
    NOTIFIED = "notified"
    REMOVED = "removed"
    GONE_BEFORE_NOTICE = "gone-before-notice"
    MOVED = "moved"
    NOT_ILLEGAL = "not-illegal"
    REAPPEARED = "reappeared"


# Which state may follow which: the replay only ever emits these (a test holds it to them).
TRANSITIONS: dict[State, frozenset[State]] = {
    State.REPORTED: frozenset({State.CLASSIFIED, State.NOT_ILLEGAL}),
    State.CLASSIFIED: frozenset(
        {State.AWAITING_CLEARANCE, State.NOTIFIED, State.GONE_BEFORE_NOTICE}
    ),
    State.AWAITING_CLEARANCE: frozenset({State.NOTIFIED, State.GONE_BEFORE_NOTICE}),
    State.NOTIFIED: frozenset({State.REMOVED, State.MOVED}),
    State.MOVED: frozenset({State.NOTIFIED}),
    State.REMOVED: frozenset({State.REAPPEARED}),
    State.GONE_BEFORE_NOTICE: frozenset({State.REAPPEARED}),
    State.REAPPEARED: frozenset({State.NOTIFIED, State.REMOVED, State.GONE_BEFORE_NOTICE}),
    State.NOT_ILLEGAL: frozenset(),
}

# Why a notice was written for a URL: the first one, a repeat while it stays up, one to a new
# recipient after the URL moved, or one after it came back.
NOTICE_REASONS = ("first", "renotice", "moved", "reappeared")


@dataclass(frozen=True, slots=True)
class Decided:
    at: datetime  # when the decision counted (under consensus: when enough agreed)
    scheme: str
    code: str
    illegal: bool
    analyst: str


@dataclass(frozen=True, slots=True)
class Seen:
    at: datetime
    up: bool
    source: str


@dataclass(frozen=True, slots=True)
class Noticed:
    at: datetime
    reason: str  # one of NOTICE_REASONS
    recipients: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class CaseFacts:
    reported_at: datetime
    decision: Decided | None
    needs_clearance: bool
    cleared_at: datetime | None = None
    seen: tuple[Seen, ...] = ()
    notices: tuple[Noticed, ...] = ()


@dataclass(frozen=True, slots=True)
class Event:
    state: State
    at: datetime
    reason: str


@dataclass(slots=True)
class Timeline:
    events: list[Event] = field(default_factory=list)
    up: bool = True
    first_notice_at: datetime | None = None
    last_notice_at: datetime | None = None
    last_recipients: tuple[str, ...] = ()
    removed_at: datetime | None = None  # the first removal after the first notice
    gone_at: datetime | None = None  # seen down before any notice
    reappearances: int = 0
    due: str | None = None  # the notice the case needs now: a NOTICE_REASONS entry, or None

    @property
    def state(self) -> State:
        return self.events[-1].state


def replay(facts: CaseFacts, now: datetime, renotice: timedelta) -> Timeline:
    """The case's events up to ``now`` and the notice it needs at ``now``, if any."""
    line = Timeline(events=[Event(State.REPORTED, facts.reported_at, "first reported")])
    decision = facts.decision
    if decision is None or decision.at > now:
        return line
    # at the same second, "up" before "down": whatever order the rows came in, one history
    seen = sorted((s for s in facts.seen if s.at <= now), key=lambda s: (s.at, not s.up))
    before = [s for s in seen if s.at <= decision.at]
    line.up = before[-1].up if before else True
    if not decision.illegal:
        line.events.append(
            Event(State.NOT_ILLEGAL, decision.at, f"{decision.scheme}:{decision.code}")
        )
        return line
    line.events.append(Event(State.CLASSIFIED, decision.at, f"{decision.scheme}:{decision.code}"))
    if not line.up:
        line.gone_at = before[-1].at
        line.events.append(
            Event(State.GONE_BEFORE_NOTICE, decision.at, "already seen down when classified")
        )
    elif facts.needs_clearance:
        line.events.append(
            Event(State.AWAITING_CLEARANCE, decision.at, "hosted in the own country")
        )
    # Notices sort before sightings at the same second: a removal confirmed the moment a
    # notice went out counts as a removal after notice (0 h), never as gone before it.
    items: list[tuple[datetime, int, Noticed | Seen]] = [
        (n.at, 0, n) for n in facts.notices if decision.at <= n.at <= now
    ]
    items += [(s.at, 1, s) for s in seen if s.at > decision.at]
    items.sort(key=lambda item: (item[0], item[1]))  # stable: sightings keep the order above
    last_up_again: datetime | None = None
    for at, _, item in items:
        if isinstance(item, Noticed):
            if line.up:
                _notice(line, item, at)
            # else: written before the sighting that shows the URL was already gone reached
            # us; it told nobody of anything still there, so it starts no clock
        elif not item.up and line.up:
            line.up = False
            if line.first_notice_at is None:
                line.gone_at = line.gone_at or at
                line.events.append(
                    Event(State.GONE_BEFORE_NOTICE, at, f"seen down ({item.source})")
                )
            else:
                if line.removed_at is None:
                    line.removed_at = at
                line.events.append(Event(State.REMOVED, at, f"seen down ({item.source})"))
        elif item.up and not line.up:
            line.up = True
            last_up_again = at
            line.reappearances += 1
            line.events.append(Event(State.REAPPEARED, at, f"seen up again ({item.source})"))
    line.due = _due(line, facts, now, renotice, last_up_again)
    return line


def _notice(line: Timeline, notice: Noticed, at: datetime) -> None:
    if line.first_notice_at is None:
        line.first_notice_at = at
    line.last_notice_at = at
    line.last_recipients = notice.recipients
    if notice.reason == "moved":
        line.events.append(Event(State.MOVED, at, "hosting changed: routed anew"))
    if notice.reason != "renotice":  # a repeat changes no state
        whom = ", ".join(notice.recipients)
        line.events.append(Event(State.NOTIFIED, at, f"notice to {whom} ({notice.reason})"))


def _due(
    line: Timeline,
    facts: CaseFacts,
    now: datetime,
    renotice: timedelta,
    last_up_again: datetime | None,
) -> str | None:
    if not line.up:
        return None
    if facts.needs_clearance and (facts.cleared_at is None or facts.cleared_at > now):
        return None
    if line.last_notice_at is None:
        return "reappeared" if last_up_again is not None else "first"
    if last_up_again is not None and line.last_notice_at < last_up_again:
        return "reappeared"
    if now - line.last_notice_at >= renotice:
        return "renotice"
    return None


def check_transitions(events: list[Event]) -> list[str]:
    """Every step of ``events`` that TRANSITIONS does not allow, as text (empty: all fine)."""
    wrong = []
    for before, after in pairwise(events):
        if after.state not in TRANSITIONS[before.state]:
            wrong.append(f"{before.state} -> {after.state} at {after.at.isoformat()}")
    return wrong


__all__ = ["CaseFacts", "Decided", "Event", "Noticed", "Seen", "State", "Timeline", "replay"]
