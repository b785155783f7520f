"""The synthetic world's casework: decisions, clearances, removals, checks and their truth.

Written in the same single pass as the rest of the world, one site at a time, so memory stays
bounded at every scale: per removed URL only the delays needed for the medians are kept (four
bytes each, in each group it counts in). Determinism: the world-level choices (own country,
member hotlines, provider behaviours) come from ``Random(f"{seed}:casework:world")`` and each
site's from ``Random(f"{seed}:casework:{index}")`` — streams no other writer uses, so no other
file of the world changes when casework is written. The statistics in ``casework-truth.json``
are computed here, independently of ``hotline.casework``, so they can serve as its oracle.
"""

from __future__ import annotations

import csv
import random
import statistics
from array import array
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar

import orjson

from hotline.synth.hosting import CDN_DOMAIN, COUNTRY_SHARES, Provider
from hotline.synth.world import WORLD_END, Page, Site, World

BUCKETS = (
    "same-day",
    "under-3-days",
    "under-7-days",
    "under-42-days",
    "over-42-days",
    "not-removed",
)
# Upper edges in hours of the removal buckets (each excludes its edge).
_EDGES = (
    (24.0, "same-day"),
    (72.0, "under-3-days"),
    (168.0, "under-7-days"),
    (1008.0, "under-42-days"),
)
BEHAVIOURS = ("fast", "slow", "unresponsive", "reappearing")
_BEHAVIOUR_WEIGHTS = (0.4, 0.3, 0.15, 0.15)
STATES = (
    "not-illegal",
    "gone-before-notice",
    "removed",
    "notified",
    "reappeared",
    "awaiting-clearance",
)
SCHEME = "interpol"
ANALYSTS = tuple(f"analyst-{n}" for n in range(1, 5))
NOISE_DECIDED_SHARE = 0.3  # of non-commercial URLs, decided not illegal
NATIONAL_SHARE = 0.2  # of illegal decisions: illegal under national law only
GONE_BEFORE_NOTICE_SHARE = 0.06
UNRESPONSIVE_LATE_SHARE = 0.4  # unresponsive providers that remove after more than 42 days
CONFIRM_SHARE = 0.3  # removals an analyst confirms afterwards (a check with up: false)
DECISION_HOUR = time(10, 0, tzinfo=UTC)
HOUR = 3600
DAY = 24 * HOUR
# Own country: a country with a mid-sized share of hosting, so that every scale has brand
# sites there (tens even in the small world) without it holding most of them (not the US).
_OWN_CANDIDATES = tuple(code for code, share in COUNTRY_SHARES if 0.04 <= share < 0.2)
_MEMBER_CANDIDATES = tuple(code for code, share in COUNTRY_SHARES if share >= 0.03)
LAW_ENFORCEMENT = ("National police unit", "unit@police.example")


def stamp(moment: datetime) -> str:
    """``YYYY-MM-DDTHH:MM:SSZ``; casework times are always whole seconds in UTC."""
    # isoformat is C and much cheaper than strftime; every time here is UTC-aware
    return moment.isoformat(timespec="seconds")[:19] + "Z"


# Decisions, clearances and notices fall on few distinct days at 10:00: most calls repeat.
# Report, removal and check times are all different and use stamp() directly.
iso = lru_cache(maxsize=4096)(stamp)


def bucket(seconds: int | None) -> str:
    """The removal bucket of a delay in seconds (None: not removed)."""
    if seconds is None:
        return "not-removed"
    hours = seconds / HOUR
    for edge, name in _EDGES:
        if hours < edge:
            return name
    return "over-42-days"


def median_hours(seconds: Sequence[int]) -> float | None:
    if not seconds:
        return None
    return round(statistics.median([value / HOUR for value in seconds]), 2)


# Delays in seconds: under 2**31 (the world spans two years), so four bytes each are enough;
# a large world keeps about three million of them for its medians.
_SECONDS = "i" if array("i").itemsize >= 4 else "l"


@dataclass(slots=True)
class _Timing:
    buckets: dict[str, int] = field(default_factory=lambda: dict.fromkeys(BUCKETS, 0))
    delays: array[int] = field(default_factory=lambda: array(_SECONDS))  # removed URLs only

    def add(self, seconds: int | None, name: str) -> None:
        self.buckets[name] += 1
        if seconds is not None:
            self.delays.append(seconds)

    def summary(self) -> dict[str, Any]:
        return {"buckets": dict(self.buckets), "median_hours": median_hours(self.delays)}


_Delays = tuple[int | None, int | None]  # seconds from report and from notice to removal


@dataclass(slots=True)
class _Stats:
    """The statistics of one group of noticed URLs (overall, a country, a provider)."""

    noticed: int = 0
    removed: int = 0
    within_3_days: int = 0
    reappeared: int = 0
    from_report: _Timing = field(default_factory=_Timing)
    from_notice: _Timing = field(default_factory=_Timing)

    def add(self, delays: _Delays, names: tuple[str, str], reappeared: bool) -> None:
        after_report, after_notice = delays
        self.noticed += 1
        if after_notice is not None:
            self.removed += 1
            self.within_3_days += after_notice < 72 * HOUR
        self.reappeared += reappeared
        self.from_report.add(after_report, names[0])
        self.from_notice.add(after_notice, names[1])

    def summary(self) -> dict[str, Any]:
        def share(count: int) -> float:
            return round(count / self.noticed, 4) if self.noticed else 0.0

        return {
            "noticed": self.noticed,
            "removed": self.removed,
            "from_report": self.from_report.summary(),
            "from_notice": self.from_notice.summary(),
            "within_3_days": share(self.within_3_days),
            "never_removed": share(self.noticed - self.removed),
            "reappeared": self.reappeared,
        }


_K = TypeVar("_K", str, int)


def _group(groups: dict[_K, _Stats], key: _K) -> _Stats:
    found = groups.get(key)
    if found is None:
        found = groups[key] = _Stats()
    return found


@dataclass(slots=True)
class Case:
    """One decided URL: what happened to it, as the files record it."""

    url: str
    reported_at: datetime
    code: str
    illegal: bool
    analyst: str
    decided_at: datetime
    country: str
    asn: int | None
    cleared_at: datetime | None = None
    noticed_at: datetime | None = None
    removed_at: datetime | None = None
    removal_source: str | None = None
    up_again_at: datetime | None = None
    confirmed_at: datetime | None = None  # an analyst's check (up: false) after the removal
    checker: str | None = None
    state: str = "notified"

    @property
    def reappeared(self) -> bool:
        return self.up_again_at is not None

    def truth(self, removed_at: str | None) -> dict[str, Any]:
        return {
            "reported_at": stamp(self.reported_at),
            "scheme": SCHEME,
            "code": self.code,
            "illegal": self.illegal,
            "noticed_at": _maybe(self.noticed_at),
            "removed_at": removed_at,
            "state": self.state,
            "country": self.country,
            "asn": self.asn,
            "reappeared": self.reappeared,
        }


def _maybe(moment: datetime | None) -> str | None:
    return None if moment is None else iso(moment)


@dataclass(frozen=True, slots=True)
class Setting:
    """The world's casework setting: who we are, our partners, how providers behave."""

    own_country: str
    members: dict[str, str]  # country → partner hotline (one of the world's hotlines)
    behaviours: dict[int, str]  # provider ASN → behaviour
    cdn: Provider


def setting(world: World, hotlines: Sequence[str]) -> Setting:
    rng = random.Random(f"{world.seed}:casework:world")
    own = rng.choice(_OWN_CANDIDATES)
    others = [code for code in _MEMBER_CANDIDATES if code != own]
    countries = sorted(rng.sample(others, rng.randint(2, 3)))
    # Partners are the world's other hotlines; the first one (HL-A) stands for ourselves.
    members = {code: hotlines[1 + n] for n, code in enumerate(countries)}
    providers = [*world.providers, world.planner.cdn]
    order = list(range(len(providers)))
    rng.shuffle(order)
    behaviours: dict[int, str] = {}
    for rank, index in enumerate(order):
        # every behaviour occurs at least once, the rest by weight
        behaviour = (
            BEHAVIOURS[rank]
            if rank < len(BEHAVIOURS)
            else rng.choices(BEHAVIOURS, _BEHAVIOUR_WEIGHTS)[0]
        )
        behaviours[providers[index].asn] = behaviour
    return Setting(own, members, dict(sorted(behaviours.items())), world.planner.cdn)


def rules_toml(chosen: Setting) -> str:
    lines = [
        "# Casework rules of the synthetic world: our hotline's country, partner hotlines and",
        "# the CDN's abuse desk. Every address is a reserved .example name.",
        f'own_country = "{chosen.own_country}"',
        "renotice_hours = 24",
        "escalate_after = 3",
        "consensus = 1",
        "",
        "[law_enforcement]",
        f'name = "{LAW_ENFORCEMENT[0]}"',
        f'contact = "{LAW_ENFORCEMENT[1]}"',
    ]
    for country, hotline in chosen.members.items():
        lines += [
            "",
            f"[members.{country}]",
            f'name = "Hotline {hotline}"',
            f'contact = "reports@{hotline.lower()}.example"',
        ]
    lines += ["", "[cdn_desks]", f'"{chosen.cdn.name}" = "abuse@{CDN_DOMAIN}"', ""]
    return "\n".join(lines)


def _seconds(rng: random.Random, low: float, high: float) -> timedelta:
    return timedelta(seconds=rng.randint(int(low), int(high)))


class CaseworkWriter:
    """Writes ``casework/`` and ``casework-truth.json`` while the world's sites stream by."""

    def __init__(self, out: Path, world: World, hotlines: Sequence[str]) -> None:
        self.seed = world.seed
        self.hotlines = list(hotlines)
        self.setting = setting(world, hotlines)
        folder = out / "casework"
        folder.mkdir(exist_ok=True)
        (folder / "rules.toml").write_text(rules_toml(self.setting), encoding="utf-8")
        self.decisions = (folder / "decisions.jsonl").open("wb")
        self.clearances = (folder / "clearances.jsonl").open("wb")
        self.checks = (folder / "checks.jsonl").open("wb")
        self.removals_file = (folder / "removals.csv").open("w", encoding="utf-8", newline="")
        self.removals = csv.writer(self.removals_file, lineterminator="\n")
        self.removals.writerow(("url", "removed_at", "source"))
        self.truth = (out / "casework-truth.json").open("wb")
        self.truth.write(b'{"own_country":' + orjson.dumps(self.setting.own_country))
        self.truth.write(b',"urls":{')
        self._first = True
        self.overall = _Stats()
        self.by_country: dict[str, _Stats] = {}
        self.by_provider: dict[str, _Stats] = {}  # AS<n>, or unknown (onion services)
        self.counts = dict.fromkeys(("decisions", "clearances", "removals", "checks", "noticed"), 0)
        # A brand's gateways come right after its own sites and capture a target's landing
        # page again (a second after their own page): a brand's sites wait here until its
        # gateways have passed, so every decision comes after every capture of its page.
        self._waiting: list[tuple[Site, Sequence[datetime], list[datetime | None]]] = []
        self._later: dict[str, datetime] = {}

    def site(
        self,
        site: Site,
        first_reports: Sequence[datetime],
        captured: Sequence[datetime | None] = (),
    ) -> None:
        """``first_reports``: per page, the time of its earliest valid report; ``captured``:
        per page, when it was captured (None: never)."""
        shot = list(captured) or [None] * len(site.pages)
        if site.redirect_to is not None:
            # a gateway: not a case of its own (it only forwards); its captures of the
            # target's landing page count as captures of that page
            target = site.redirect_to.key
            for taken in shot:
                if taken is not None:
                    again = taken + timedelta(seconds=1)
                    self._later[target] = max(self._later.get(target, again), again)
            return
        if self._waiting and (site.brand is None or site.brand is not self._waiting[0][0].brand):
            self._flush()
        if site.brand is None:
            self._decide(site, first_reports, shot)
        else:
            self._waiting.append((site, first_reports, shot))

    def _flush(self) -> None:
        for site, first_reports, shot in self._waiting:
            later = self._later.pop(site.key, None)
            if later is not None and site.pages:
                shot[0] = max(shot[0], later) if shot[0] is not None else later
            self._decide(site, first_reports, shot)
        self._waiting.clear()

    def _decide(
        self, site: Site, first_reports: Sequence[datetime], shot: list[datetime | None]
    ) -> None:
        """A decision comes after every capture of the page it assesses, and a removal after
        the captures that showed the page: a capture after the removal would be evidence
        that it came back."""
        rng = random.Random(f"{self.seed}:casework:{site.index}")
        country = site.hosting_country()
        asn = site.periods[-1].provider.asn if site.periods else None
        for page, first, taken in zip(site.pages, first_reports, shot, strict=True):
            case = self._case(rng, site, page, first, taken, country, asn)
            if case is not None:
                self._write(case)

    def _case(
        self,
        rng: random.Random,
        site: Site,
        page: Page,
        first: datetime,
        taken: datetime | None,
        country: str,
        asn: int | None,
    ) -> Case | None:
        illegal = site.commercial
        if not illegal and rng.random() >= NOISE_DECIDED_SHARE:
            return None
        # what intake stores: reports.csv holds the time to the second
        reported = first.replace(microsecond=0)
        # a decision at 10:00 on one of the 1-10 days after the report, never after the end
        seen = max(reported, taken.replace(microsecond=0)) if taken else reported
        latest = (WORLD_END.date() - seen.date()).days - 1
        if min(10, latest) < 1:
            return None  # reported too close to the end of the world to be decided in it
        day = seen.date() + timedelta(days=rng.randint(1, min(10, latest)))
        decided = datetime.combine(day, DECISION_HOUR)
        code = "not-illegal"
        if illegal:
            code = "national" if rng.random() < NATIONAL_SHARE else "baseline"
        case = Case(page.url, reported, code, illegal, rng.choice(ANALYSTS), decided, country, asn)
        if not illegal:
            case.state = "not-illegal"
            return case
        notice_at: datetime | None = decided
        if country == self.setting.own_country:
            cleared = decided + timedelta(days=rng.randint(1, 5))
            case.cleared_at = cleared if cleared <= WORLD_END else None
            notice_at = case.cleared_at
        if rng.random() < GONE_BEFORE_NOTICE_SHARE:
            # removed between the report and the notice: nothing is ever sent
            until = notice_at or WORLD_END
            span = int((until - seen).total_seconds())
            case.removed_at = seen + timedelta(seconds=rng.randint(1, span - 1))
            case.removal_source = f"partner-{rng.choice(self.hotlines[1:])}"
            case.state = "gone-before-notice"
            return case
        if notice_at is None:
            case.state = "awaiting-clearance"
            return case
        case.noticed_at = notice_at
        self._removal(rng, case, notice_at)
        return case

    def _removal(self, rng: random.Random, case: Case, noticed: datetime) -> None:
        behaviour = "unresponsive" if case.asn is None else self.setting.behaviours[case.asn]
        removed: datetime | None = None
        if behaviour == "fast":
            removed = noticed + _seconds(rng, HOUR, 20 * HOUR)
        elif behaviour == "slow":
            removed = noticed + _seconds(rng, 2 * DAY, 12 * DAY)
        elif behaviour == "reappearing":
            removed = noticed + _seconds(rng, DAY, 3 * DAY)
        elif rng.random() < UNRESPONSIVE_LATE_SHARE:  # unresponsive: late, if ever
            removed = noticed + _seconds(rng, 42 * DAY + HOUR, 120 * DAY)
        if removed is None or removed > WORLD_END:
            case.state = "notified"
            return
        case.removed_at = removed
        # who confirms it: the partner hotline of the hosting country, else the provider;
        # an onion service has no provider, so a partner that reported it saw it gone
        member = self.setting.members.get(case.country)
        if member is None and case.asn is None:
            member = rng.choice(self.hotlines[1:])
        case.removal_source = f"partner-{member}" if member else f"provider-AS{case.asn}"
        case.state = "removed"
        if behaviour == "reappearing":
            up_again = removed + _seconds(rng, 5 * DAY, 20 * DAY)
            if up_again <= WORLD_END:
                case.up_again_at = up_again
                case.checker = rng.choice(ANALYSTS)
                case.state = "reappeared"
            return
        if rng.random() < CONFIRM_SHARE:  # an analyst sees it gone too: changes nothing
            confirmed = removed + _seconds(rng, HOUR, 72 * HOUR)
            if confirmed <= WORLD_END:
                case.confirmed_at = confirmed
                case.checker = rng.choice(ANALYSTS)

    def _write(self, case: Case) -> None:
        self.counts["decisions"] += 1
        self.decisions.write(
            orjson.dumps(
                {
                    "url": case.url,
                    "scheme": SCHEME,
                    "code": case.code,
                    "analyst": case.analyst,
                    "decided_at": iso(case.decided_at),
                }
            )
            + b"\n"
        )
        if case.cleared_at is not None:
            self.counts["clearances"] += 1
            self.clearances.write(
                orjson.dumps({"url": case.url, "cleared_at": iso(case.cleared_at)}) + b"\n"
            )
        removed_at = None
        if case.removed_at is not None:
            removed_at = stamp(case.removed_at)
            self.counts["removals"] += 1
            self.removals.writerow((case.url, removed_at, case.removal_source))
        for at, up in ((case.up_again_at, True), (case.confirmed_at, False)):
            if at is not None:
                self.counts["checks"] += 1
                check = {"url": case.url, "at": stamp(at), "up": up, "analyst": case.checker}
                self.checks.write(orjson.dumps(check) + b"\n")
        prefix = b"" if self._first else b","
        self._first = False
        self.truth.write(
            prefix + orjson.dumps(case.url) + b":" + orjson.dumps(case.truth(removed_at))
        )
        if case.noticed_at is not None:
            self.counts["noticed"] += 1
            delays: _Delays = (None, None)
            if case.removed_at is not None:
                delays = (
                    int((case.removed_at - case.reported_at).total_seconds()),
                    int((case.removed_at - case.noticed_at).total_seconds()),
                )
            names = (bucket(delays[0]), bucket(delays[1]))
            groups = [self.overall, _group(self.by_country, case.country)]
            provider = f"AS{case.asn}" if case.asn is not None else "unknown"
            groups.append(_group(self.by_provider, provider))
            for group in groups:
                group.add(delays, names, case.reappeared)

    def close(self) -> None:
        self._flush()
        for handle in (self.decisions, self.clearances, self.checks, self.removals_file):
            handle.close()
        stats = {
            "overall": self.overall.summary(),
            "by_country": {
                country: self.by_country[country].summary() for country in sorted(self.by_country)
            },
            "by_provider": {
                key: self.by_provider[key].summary() for key in sorted(self.by_provider)
            },
        }
        behaviours = {f"AS{asn}": b for asn, b in self.setting.behaviours.items()}
        self.truth.write(b'},"stats":' + orjson.dumps(stats))
        self.truth.write(b',"behaviours":' + orjson.dumps(behaviours) + b"}")
        self.truth.close()
