"""The synthetic world's casework dimension: deterministic, separate, and true to its truth.

``casework-truth.json`` is the oracle for hotline's casework statistics, so these tests
recompute every number in it from the files a hotline would import (reports.csv and the
``casework/`` files) with code of their own, and check that writing casework moves no byte of
any other file of the world.
"""

from __future__ import annotations

import csv
import hashlib
import re
import statistics
import tomllib
from collections import Counter, defaultdict
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest

from hotline.synth.generate import generate
from hotline.synth.hosting import CDN_NAME
from hotline.synth.world import WORLD_END
from hotline.urls import canonicalize

CASEWORK_FILES = (
    "casework/rules.toml",
    "casework/decisions.jsonl",
    "casework/clearances.jsonl",
    "casework/removals.csv",
    "casework/checks.jsonl",
    "casework-truth.json",
)
BUCKETS = (
    "same-day",
    "under-3-days",
    "under-7-days",
    "under-42-days",
    "over-42-days",
    "not-removed",
)
STAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
HOUR = timedelta(hours=1)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("casework-world")
    generate(2013, "small", out)
    return out


@pytest.fixture(scope="module")
def truth(world: Path) -> dict[str, Any]:
    document: dict[str, Any] = orjson.loads((world / "truth.json").read_bytes())
    return document


@pytest.fixture(scope="module")
def cases(world: Path) -> dict[str, Any]:
    document: dict[str, Any] = orjson.loads((world / "casework-truth.json").read_bytes())
    return document


def _digests(folder: Path) -> dict[str, str]:
    return {
        path.relative_to(folder).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def _time(value: str) -> datetime:
    assert STAMP.match(value), value
    return datetime.fromisoformat(value)


def _jsonl(path: Path) -> list[dict[str, Any]]:
    return [orjson.loads(line) for line in path.read_bytes().splitlines()]


# -- determinism and separation ---------------------------------------------------------------


def test_same_seed_gives_the_same_casework_bytes_and_another_seed_does_not(
    world: Path, tmp_path: Path
) -> None:
    again, other = tmp_path / "again", tmp_path / "other"
    generate(2013, "small", again, captures=False)
    generate(2014, "small", other, captures=False)
    first, second, third = _digests(world), _digests(again), _digests(other)
    for name in CASEWORK_FILES:
        assert first[name] == second[name], name
    for name in CASEWORK_FILES[1:]:
        assert first[name] != third[name], name


def test_casework_moves_no_byte_of_any_other_file(world: Path, tmp_path: Path) -> None:
    """Its random streams are its own: the world without casework is byte for byte the same."""
    without = tmp_path / "without"
    summary = generate(2013, "small", without, casework=False)
    with_casework, plain = _digests(world), _digests(without)
    assert summary.casework == {}
    assert not (without / "casework").exists()
    assert set(with_casework) - set(plain) == set(CASEWORK_FILES)
    assert len(plain) >= 9
    assert {name: with_casework[name] for name in plain} == plain


# -- the files and their truth ----------------------------------------------------------------


def _first_reports(world: Path, truth: dict[str, Any]) -> dict[str, datetime]:
    """Per canonical URL, the earliest report intake accepts (bad rows left out)."""
    bad = {row["line"] for row in truth["bad_rows"]}
    first: dict[str, datetime] = {}
    with (world / "reports.csv").open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        for row in reader:
            if reader.line_num in bad:
                continue
            canonical = canonicalize(row["url"])
            url: str = canonical.url  # type: ignore[union-attr]
            when = _time(row["reported_at"])
            if url not in first or when < first[url]:
                first[url] = when
    assert set(first) == set(truth["urls"])
    return first


def _recompute(world: Path, truth: dict[str, Any]) -> dict[str, Any]:
    """casework-truth.json as the spec defines it, from reports.csv and casework/ only."""
    rules = tomllib.loads((world / "casework" / "rules.toml").read_text(encoding="utf-8"))
    reported = _first_reports(world, truth)
    cleared = {
        row["url"]: _time(row["cleared_at"])
        for row in _jsonl(world / "casework" / "clearances.jsonl")
    }
    removed: dict[str, datetime] = {}
    with (world / "casework" / "removals.csv").open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            when = _time(row["removed_at"])
            removed[row["url"]] = min(when, removed.get(row["url"], when))
    up_again: dict[str, list[datetime]] = defaultdict(list)
    for check in _jsonl(world / "casework" / "checks.jsonl"):
        if check["up"]:
            up_again[check["url"]].append(_time(check["at"]))
    urls: dict[str, Any] = {}
    for decision in _jsonl(world / "casework" / "decisions.jsonl"):
        url = decision["url"]
        site = truth["sites"][truth["urls"][url]["site"]]
        country, asn = site["hosting_country"], site["asn"]
        illegal = decision["code"] != "not-illegal"
        notice = cleared.get(url) if country == rules["own_country"] else None
        if country != rules["own_country"]:
            notice = _time(decision["decided_at"])
        gone = removed.get(url)
        noticed = None
        reappeared = False
        if not illegal:
            state = "not-illegal"
        elif gone is not None and (notice is None or gone < notice):
            state = "gone-before-notice"
        elif notice is None:
            state = "awaiting-clearance"
        else:
            noticed = notice
            reappeared = gone is not None and any(at > gone for at in up_again[url])
            state = "reappeared" if reappeared else "removed" if gone else "notified"
        urls[url] = {
            "reported_at": reported[url],
            "scheme": decision["scheme"],
            "code": decision["code"],
            "illegal": illegal,
            "noticed_at": noticed,
            "removed_at": gone,
            "state": state,
            "country": country,
            "asn": asn,
            "reappeared": reappeared,
        }
    return {"own_country": rules["own_country"], "urls": urls}


def _stats(entries: list[dict[str, Any]]) -> dict[str, Any]:
    noticed = [e for e in entries if e["noticed_at"] is not None]

    def timing(start: str) -> dict[str, Any]:
        buckets = dict.fromkeys(BUCKETS, 0)
        hours = []
        for entry in noticed:
            if entry["removed_at"] is None:
                buckets["not-removed"] += 1
                continue
            delay = entry["removed_at"] - entry[start]
            hours.append(delay.total_seconds() / 3600)
            limits = ((24, "same-day"), (72, "under-3-days"), (168, "under-7-days"))
            name = next((n for h, n in (*limits, (1008, "under-42-days")) if delay < h * HOUR), "")
            buckets[name or "over-42-days"] += 1
        median = round(statistics.median(hours), 2) if hours else None
        return {"buckets": buckets, "median_hours": median}

    removed = [e for e in noticed if e["removed_at"] is not None]
    quick = [e for e in removed if e["removed_at"] - e["noticed_at"] < 72 * HOUR]
    return {
        "noticed": len(noticed),
        "removed": len(removed),
        "from_report": timing("reported_at"),
        "from_notice": timing("noticed_at"),
        "within_3_days": round(len(quick) / len(noticed), 4),
        "never_removed": round((len(noticed) - len(removed)) / len(noticed), 4),
        "reappeared": sum(e["reappeared"] for e in noticed),
    }


def _check_against_recomputation(world: Path) -> dict[str, Any]:
    truth = orjson.loads((world / "truth.json").read_bytes())
    written: dict[str, Any] = orjson.loads((world / "casework-truth.json").read_bytes())
    expected = _recompute(world, truth)
    assert written["own_country"] == expected["own_country"]
    assert list(written["urls"]) == list(expected["urls"])
    for url, entry in expected["urls"].items():
        shown = {
            key: value.strftime("%Y-%m-%dT%H:%M:%SZ") if isinstance(value, datetime) else value
            for key, value in entry.items()
        }
        assert written["urls"][url] == shown, url
    entries = list(expected["urls"].values())
    by_country: defaultdict[str, list[dict[str, Any]]] = defaultdict(list)
    by_provider: defaultdict[str, list[dict[str, Any]]] = defaultdict(list)
    for entry in entries:
        if entry["noticed_at"] is not None:
            by_country[entry["country"]].append(entry)
            asn = entry["asn"]
            by_provider[f"AS{asn}" if asn is not None else "unknown"].append(entry)
    stats = written["stats"]
    assert stats["overall"] == _stats(entries)
    assert stats["by_country"] == {c: _stats(by_country[c]) for c in sorted(by_country)}
    assert stats["by_provider"] == {p: _stats(by_provider[p]) for p in sorted(by_provider)}
    return written


def test_truth_and_stats_agree_with_a_recomputation_from_the_files(world: Path) -> None:
    written = _check_against_recomputation(world)
    assert written["stats"]["overall"]["noticed"] > 500
    assert len(written["stats"]["by_country"]) >= 10


def test_recomputation_also_agrees_with_phenomena_and_another_seed(tmp_path: Path) -> None:
    generate(7, "small", tmp_path, captures=False, phenomena="all")
    written = _check_against_recomputation(tmp_path)
    assert written["stats"]["overall"]["removed"] > 0


def test_every_behaviour_and_state_occurs_and_providers_keep_to_theirs(
    world: Path, cases: dict[str, Any]
) -> None:
    behaviours = cases["behaviours"]
    assert set(behaviours.values()) == {"fast", "slow", "unresponsive", "reappearing"}
    # per behaviour: (noticed_at, removal delay or None)
    delays: defaultdict[str, list[tuple[datetime, timedelta | None]]] = defaultdict(list)
    for entry in cases["urls"].values():
        if entry["noticed_at"] is not None and entry["asn"] is not None:
            noticed, removed = _time(entry["noticed_at"]), entry["removed_at"]
            delay = _time(removed) - noticed if removed else None
            delays[behaviours[f"AS{entry['asn']}"]].append((noticed, delay))
    assert set(delays) == {"fast", "slow", "unresponsive", "reappearing"}
    for behaviour, low, high in (
        ("fast", HOUR, 20 * HOUR),
        ("slow", 48 * HOUR, 288 * HOUR),
        ("reappearing", 24 * HOUR, 72 * HOUR),
    ):
        for noticed, delay in delays[behaviour]:
            if delay is None:  # only when the removal would have come after the world's end
                assert noticed + high > WORLD_END, behaviour
            else:
                assert low <= delay <= high, behaviour
        assert any(delay is not None for _, delay in delays[behaviour]), behaviour
    late = [delay for _, delay in delays["unresponsive"]]
    assert all(delay is None or delay > 42 * 24 * HOUR for delay in late)
    assert None in late
    states = Counter(entry["state"] for entry in cases["urls"].values())
    assert set(states) >= {"not-illegal", "gone-before-notice", "removed", "notified", "reappeared"}
    assert set(states) <= {
        "not-illegal",
        "gone-before-notice",
        "removed",
        "notified",
        "reappeared",
        "awaiting-clearance",
    }
    stats = cases["stats"]["overall"]
    assert stats["reappeared"] == states["reappeared"] > 0
    assert all(stats["from_notice"]["buckets"][name] > 0 for name in BUCKETS)
    # checks: re-appearance 5-20 days after removal; confirmations (up: false) after it
    removals = {
        row["url"]: _time(row["removed_at"])
        for row in csv.DictReader((world / "casework" / "removals.csv").open(encoding="utf-8"))
    }
    ups = downs = 0
    for check in _jsonl(world / "casework" / "checks.jsonl"):
        after = _time(check["at"]) - removals[check["url"]]
        if check["up"]:
            ups += 1
            assert 5 * 24 * HOUR <= after <= 20 * 24 * HOUR
            assert cases["urls"][check["url"]]["state"] == "reappeared"
        else:
            downs += 1
            assert after > timedelta(0)
            assert cases["urls"][check["url"]]["state"] == "removed"
    assert ups == states["reappeared"]
    assert downs > 0


def test_decisions_cover_brand_urls_and_some_noise_and_name_only_truth_urls(
    world: Path, truth: dict[str, Any], cases: dict[str, Any]
) -> None:
    decisions = _jsonl(world / "casework" / "decisions.jsonl")
    decided = [d["url"] for d in decisions]
    assert len(decided) == len(set(decided)) == len(cases["urls"])
    assert set(decided) <= set(truth["urls"])
    assert set(decided) == set(cases["urls"])
    reported = _first_reports(world, truth)
    roles: Counter[str] = Counter()
    for url, entry in truth["urls"].items():
        site = truth["sites"][entry["site"]]
        if site["commercial"] and site["role"] != "gateway":
            # every brand and mirror URL, unless reported too close to the end, or a landing
            # page a gateway captured again too close to the end
            late = (WORLD_END.date() - reported[url].date()).days < 2
            landing = url.endswith("/") and url.count("/") == 3
            assert (url in cases["urls"]) or late or landing, url
        roles[site["role"]] += url in cases["urls"]
    assert roles["brand"] > 500
    assert roles["mirror"] > 0
    assert roles["gateway"] == 0  # a gateway only forwards: its target is the case
    noise_urls = sum(truth["sites"][e["site"]]["role"] == "noise" for e in truth["urls"].values())
    assert 0 < roles["noise"] < noise_urls
    for decision in decisions:
        site = truth["sites"][truth["urls"][decision["url"]]["site"]]
        assert decision["scheme"] == "interpol"
        assert (decision["code"] == "not-illegal") == (not site["commercial"])
        assert decision["code"] in ("baseline", "national", "not-illegal")
        assert re.fullmatch(r"analyst-\d", decision["analyst"])
    others = [
        *(row["url"] for row in _jsonl(world / "casework" / "clearances.jsonl")),
        *(row["url"] for row in _jsonl(world / "casework" / "checks.jsonl")),
        *(row["url"] for row in csv.DictReader((world / "casework" / "removals.csv").open())),
    ]
    assert set(others) <= set(decided)


def test_times_are_whole_seconds_in_order_and_never_after_the_world_ends(
    world: Path, truth: dict[str, Any], cases: dict[str, Any]
) -> None:
    reported = _first_reports(world, truth)
    decided: dict[str, datetime] = {}
    for decision in _jsonl(world / "casework" / "decisions.jsonl"):
        when = _time(decision["decided_at"])
        first = reported[decision["url"]]
        assert when.time().isoformat() == "10:00:00"
        # 1-10 days after the report, or after the page's last capture when that came later
        # (a gateway captures its target's landing page again)
        assert (when.date() - first.date()).days >= 1
        assert first < when <= WORLD_END
        decided[decision["url"]] = when
    clearances = _jsonl(world / "casework" / "clearances.jsonl")
    assert clearances
    for clearance in clearances:
        when = _time(clearance["cleared_at"])
        assert when.time().isoformat() == "10:00:00"
        assert 1 <= (when - decided[clearance["url"]]).days <= 5
        assert when <= WORLD_END
        assert cases["urls"][clearance["url"]]["country"] == cases["own_country"]
    with (world / "casework" / "removals.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == ["url", "removed_at", "source"]
    for url, removed_at, source in rows[1:]:
        assert reported[url] < _time(removed_at) <= WORLD_END
        assert re.fullmatch(r"partner-HL-[A-Z]|provider-AS\d+", source), source
    for check in _jsonl(world / "casework" / "checks.jsonl"):
        assert _time(check["at"]) <= WORLD_END
        assert set(check) == {"url", "at", "up", "analyst"}
    for entry in cases["urls"].values():
        for key in ("reported_at", "noticed_at", "removed_at"):
            if entry[key] is not None:
                assert _time(entry[key]) <= WORLD_END
        if entry["noticed_at"] and entry["removed_at"]:
            assert _time(entry["noticed_at"]) < _time(entry["removed_at"])


def test_rules_name_a_brand_country_members_and_the_cdn_desk(
    world: Path, truth: dict[str, Any], cases: dict[str, Any]
) -> None:
    rules = tomllib.loads((world / "casework" / "rules.toml").read_text(encoding="utf-8"))
    brand_countries = {s["hosting_country"] for s in truth["sites"].values() if s["commercial"]}
    assert rules["own_country"] == cases["own_country"]
    assert rules["own_country"] in brand_countries
    assert 2 <= len(rules["members"]) <= 3
    assert rules["own_country"] not in rules["members"]
    assert set(rules["members"]) <= brand_countries
    for member in rules["members"].values():
        assert member["contact"].endswith(".example")
    assert rules["law_enforcement"]["contact"].endswith(".example")
    assert list(rules["cdn_desks"]) == [CDN_NAME]
    assert rules["renotice_hours"] == 24
    assert rules["escalate_after"] == 3
    # partners confirm the removals of URLs hosted in their country
    with (world / "casework" / "removals.csv").open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            entry = cases["urls"][row["url"]]
            if entry["state"] != "gone-before-notice" and entry["country"] in rules["members"]:
                assert row["source"].startswith("partner-")
