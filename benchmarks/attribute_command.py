"""``hotline attribute`` and ``hotline report`` as a user runs them, on a database.

    python -m benchmarks.attribute_command                 # medium world, seed 6
    python -m benchmarks.attribute_command --scale small --seed 3 --increment 50

Builds (once, cached in benchmarks/out/command-<scale>-<seed>/) the world imported into
SQLite the way ``hotline demo`` does it — reports, captures, passive DNS, enrichment — but
with the captures of ``--increment`` sites held back. Then, on a copy of that database, it
times whole commands (the ``hotline`` console script in a child process, wall time and peak RSS):

1. ``attribute`` — the first run (no previous attribution);
2. ``attribute`` again with nothing new — the **baseline** an incremental run is compared to
   is this same database's first run, measured above in the same process tree;
3. ``ingest captures`` of the held-back sites, then ``attribute`` — the incremental run;
4. ``report`` over the whole world.

One JSON line per step. Ids kept across step 3 are read from the run's own summary table.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sqlite3
import sys
from pathlib import Path
from urllib.parse import urlsplit

from benchmarks.memory import measure, run_measured
from hotline.captures.warc_reader import WarcRecord, read_warc
from hotline.synth.generate import generate
from hotline.synth.phenomena import PHENOMENA, parse_phenomena
from hotline.synth.score import read_site_export, read_truth, score
from hotline.urls.sites import registrable_domain

OUT = Path(__file__).with_name("out")


def split_captures(path: Path, sites: int, held: Path, kept: Path, stride: int = 4) -> int:
    """Write the records of every ``stride``-th site of ``path`` (up to ``sites`` of them) to
    ``held`` and the rest to ``kept`` (records without a target, like warcinfo, to both);
    gzip members are copied as they are, so both files are valid WARCs. Returns the number
    of sites held back.

    Every few sites rather than a run of them: the world writes a brand's domains together,
    so a run would hold back whole brands; spread out, the increment is what a hotline sees
    day to day, new domains of brands it already knows (and a few new brands)."""
    data = path.read_bytes()
    with path.open("rb") as stream:
        records = [r for r in read_warc(stream) if isinstance(r, WarcRecord)]
    chosen: set[str] = set()
    order: dict[str, int] = {}
    with held.open("wb") as held_out, kept.open("wb") as kept_out:
        for number, record in enumerate(records):
            end = records[number + 1].offset if number + 1 < len(records) else len(data)
            member = data[record.offset : end]
            target = record.headers.get("warc-target-uri", "")
            host = urlsplit(target).hostname if target else None
            if host is None:
                held_out.write(member)
                kept_out.write(member)
                continue
            site = registrable_domain(host)
            if site not in order:
                order[site] = len(order)
                if order[site] % stride == 0 and len(chosen) < sites:
                    chosen.add(site)
            (held_out if site in chosen else kept_out).write(member)
    return len(chosen)


def hotline(db: Path, *args: str) -> list[str]:
    # the console script beside this interpreter: exactly what a user types
    script = Path(sys.executable).with_name("hotline")
    return [str(script), "--db", f"sqlite:///{db}", *args]


def build(
    scale: str, seed: int, increment: int, phenomena: frozenset[str] = frozenset()
) -> tuple[Path, Path]:
    """The world and its database without the held-back captures (cached)."""
    tag = "" if not phenomena else "-all" if phenomena == set(PHENOMENA) else "-some"
    root = OUT / f"command-{scale}-{seed}{tag}"
    world = root / "world"
    base = root / f"base-{increment}.sqlite"
    held = root / f"increment-{increment}.warc.gz"
    if base.exists() and held.exists():
        return base, held
    if not (world / "truth.json").exists():
        generate(seed, scale, world, captures=True, phenomena=sorted(phenomena))
    files = sorted((world / "captures").glob("*.warc.gz"))
    kept = root / f"rest-{increment}.warc.gz"
    # a middle file: the last ones hold the sites without commercial signal
    middle = len(files) // 2
    count = split_captures(files[middle], increment, held, kept)
    if count < increment:
        raise SystemExit(f"{files[middle].name} holds too few sites for {increment}")
    scratch = base.with_suffix(".building")
    scratch.unlink(missing_ok=True)
    steps = [
        ["init"],
        ["ingest", "reports", str(world / "reports.csv")],
        ["ingest", "captures", *map(str, files[:middle]), str(kept),
         *map(str, files[middle + 1 :]),
         "--processors", str(world / "processors.json")],
        ["providers", "import", str(world / "providers.csv")],
        ["ingest", "pdns", str(world / "pdns.jsonl")],
        ["enrich", "--geoip-db", str(world / "geoip" / "country.mmdb"),
         "--asn-db", str(world / "geoip" / "asn.mmdb"), "--cdn-list", str(world / "cdn.json")],
    ]  # fmt: skip
    for step in steps:
        seconds, _peak, code = run_measured(hotline(scratch, "--quiet", *step))
        print(json.dumps({"build": step[:2], "seconds": round(seconds, 1), "exit": code}))
        if code not in (0, 1):  # 1: some input quarantined (the world has bad rows on purpose)
            raise SystemExit(f"step {step[:2]} failed with exit code {code}")
    scratch.rename(base)
    return base, held


def step(name: str, command: list[str], db: Path) -> dict[str, object]:
    run = measure(command)
    code = run.code
    row: dict[str, object] = {
        "step": name,
        "seconds": round(run.seconds, 2),
        "peak_mb": round(run.tree / 2**20),
        "exit": code,
    }
    if name.startswith("attribute"):
        with sqlite3.connect(db) as connection:
            last = connection.execute(
                "SELECT attributed, brands, distributors, kept_brand_ids, new_brand_ids, "
                "retired_brand_ids FROM attribution_runs ORDER BY id DESC LIMIT 1"
            ).fetchone()
        keys = ("attributed", "brands", "distributors", "kept_brand_ids", "new_brand_ids",
                "retired_brand_ids")  # fmt: skip
        row.update(zip(keys, last, strict=True))
    print(json.dumps(row), flush=True)
    if code != 0:
        raise SystemExit(f"{name} failed with exit code {code}:\n{run.stderr[-4000:]}")
    return row


def quality(db: Path, world: Path) -> None:
    """Score the first run against the world's truth, as ``hotline score`` would (the
    held-back sites count as unattributed)."""
    export = db.with_name("sites.csv")
    seconds, _peak, _code = run_measured(
        hotline(db, "--quiet", "export", "sites", "--format", "csv", "--out", str(export))
    )
    result = score(read_truth(world / "truth.json"), read_site_export(export))
    print(
        json.dumps(
            {
                "step": "quality of the first run",
                "export_seconds": round(seconds, 1),
                "brand_f1": round(result.brand.f1, 4),
                "brand_precision": round(result.brand.precision, 4),
                "distributor_f1": round(result.distributor.f1, 4),
                "distributor_precision": round(result.distributor.precision, 4),
                "distributor_recall": round(result.distributor.recall, 4),
                "non_commercial_attributed": result.non_commercial_attributed,
                "non_commercial": result.non_commercial,
            }
        ),
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", default="medium", choices=("small", "medium", "large"))
    parser.add_argument("--seed", type=int, default=6)
    parser.add_argument("--increment", type=int, default=1000)
    parser.add_argument("--no-report", action="store_true")
    parser.add_argument(
        "--phenomena", default="all", help="all (default), none, or names separated by commas"
    )
    args = parser.parse_args()
    base, held = build(args.scale, args.seed, args.increment, parse_phenomena(args.phenomena))
    db = base.with_name("run.sqlite")
    shutil.copyfile(base, db)
    first = step("attribute (first run)", hotline(db, "--quiet", "attribute"), db)
    quality(db, base.parent / "world")
    again = step("attribute (nothing new)", hotline(db, "--quiet", "attribute"), db)
    step("ingest captures (increment)", hotline(db, "--quiet", "ingest", "captures", str(held),
         "--processors", str(base.parent / "world" / "processors.json")), db)  # fmt: skip
    incremental = step(
        f"attribute (+{args.increment} sites)", hotline(db, "--quiet", "attribute"), db
    )
    print(
        json.dumps(
            {
                "incremental_vs_first_run": round(
                    float(str(incremental["seconds"])) / float(str(first["seconds"])), 3
                ),
                "rerun_vs_first_run": round(
                    float(str(again["seconds"])) / float(str(first["seconds"])), 3
                ),
            }
        )
    )
    if not args.no_report:
        step("report", hotline(db, "--quiet", "report", "--out", str(base.parent / "report")), db)


if __name__ == "__main__":
    main()
