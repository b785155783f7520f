"""``hotline casework run`` as a hotline runs it: once a day, over a world's history.

    python -m benchmarks.casework                  # small world, seed 7, SQLite
    python -m benchmarks.casework --scale medium --seed 5 --db postgresql://127.0.0.1/bench

Imports a synthetic world (reports, captures, passive DNS, enrichment) and its casework files
(decisions, clearances, partners' removal confirmations, analysts' checks), then replays
``casework run`` at every moment a decision or clearance took effect, twice on copies of the
same store:

* **baseline** — every classified URL replayed on every run (what a run does with no
  previous run to start from);
* **incremental** — each run replays only the cases something happened to since the last
  one (``hotline.casework.advance._active``), which is what ``casework run`` does.

Both must give the same statistics (checked, and against the world's truth); the script
prints one JSON line per variant and the ratio. Re-notices are left out (a year of daily
repeats to providers that never act), as in the acceptance test.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import shutil
import sqlite3
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import orjson
from typer.testing import CliRunner

from hotline.accounts.roles import local_admin
from hotline.casework import advance
from hotline.casework.queries import decision_moments, stats
from hotline.casework.rules import load_rules
from hotline.cli.app import app
from hotline.store.engine import make_engine
from hotline.synth.generate import generate
from hotline.synth.world import WORLD_END

OUT = Path(__file__).with_name("out")
_GROUPS = {"country": "by_country", "provider": "by_provider"}


def _cli(db: str, *args: str) -> None:
    result = CliRunner().invoke(app, ["--db", db, "-q", *args])
    if result.exit_code not in (0, 1):  # 1: rows quarantined (the feed's planted bad rows)
        raise SystemExit(f"hotline {' '.join(args)} failed: {result.output}")


def _load(world: Path, db: str) -> None:
    _cli(db, "ingest", "reports", str(world / "reports.csv"))
    _cli(db, "ingest", "captures", *sorted(str(p) for p in (world / "captures").glob("*.gz")))
    _cli(db, "ingest", "pdns", str(world / "pdns.jsonl"))
    geo = world / "geoip"
    _cli(db, "enrich", "--geoip-db", str(geo / "country.mmdb"), "--asn-db",
         str(geo / "asn.mmdb"), "--cdn-list", str(world / "cdn.json"))  # fmt: skip
    for kind, name in (("decisions", "decisions.jsonl"), ("clearances", "clearances.jsonl"),
                       ("removals", "removals.csv"), ("checks", "checks.jsonl")):  # fmt: skip
        _cli(db, "casework", "import", kind, str(world / "casework" / name))


def _replay(db: str, world: Path, out: Path, everything: bool) -> dict[str, Any]:
    engine = make_engine(db)
    rules = load_rules(world / "casework" / "rules.toml")
    rules = dataclasses.replace(rules, renotice_hours=24 * 3650)
    original = advance._active
    if everything:  # the baseline: no run starts from the one before
        advance._active = lambda connection, ids, *rest: set(ids)
    try:
        with engine.connect() as connection:
            moments = decision_moments(connection)
        started = time.perf_counter()
        replayed = 0
        # a private copy imported before the first run: nothing can commit while a run reads
        actor = local_admin("bench")
        for moment in [*moments, WORLD_END]:
            done = advance.run(engine, actor, rules, out, now=moment, lookback=timedelta(0))
            replayed += done.cases
        seconds = time.perf_counter() - started
    finally:
        advance._active = original
    with engine.connect() as connection:
        found = {g: {s.key: s.as_dict() for s in stats(connection, g)} for g in _GROUPS}
    engine.dispose()
    runs = len(moments) + 1
    return {"runs": runs, "cases_replayed": replayed, "seconds": round(seconds, 2),
            "ms_per_run": round(1000 * seconds / runs, 1), "stats": found}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", default="small")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    base = OUT / f"casework-{args.scale}-{args.seed}"
    world = base / "world"
    if not (world / "casework-truth.json").is_file():
        shutil.rmtree(base, ignore_errors=True)
        world.mkdir(parents=True)
        generate(args.seed, args.scale, world)
    loaded = base / "loaded.db"
    if not loaded.is_file():
        _load(world, f"sqlite:///{loaded}")
    with sqlite3.connect(loaded) as connection:  # the WAL into the file, so a copy is whole
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    results = {}
    for name, everything in (("baseline", True), ("incremental", False)):
        copy = base / f"{name}.db"
        shutil.copy(loaded, copy)
        results[name] = _replay(f"sqlite:///{copy}", world, base / f"notices-{name}", everything)
        shown = {k: v for k, v in results[name].items() if k != "stats"}
        print(json.dumps({"variant": name, "scale": args.scale, "seed": args.seed, **shown}))
    truth = orjson.loads((world / "casework-truth.json").read_bytes())["stats"]
    same = results["baseline"]["stats"] == results["incremental"]["stats"]
    exact = all(results["incremental"]["stats"][g] == truth[key] for g, key in _GROUPS.items())
    ratio = results["baseline"]["seconds"] / max(results["incremental"]["seconds"], 1e-9)
    print(json.dumps({"same_statistics": same, "noticed_in_truth": truth["overall"]["noticed"],
                      "speedup": round(ratio, 2), "equal_to_truth": exact}))  # fmt: skip


if __name__ == "__main__":
    main()
