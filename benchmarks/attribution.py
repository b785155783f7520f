"""Attribution: the method against the connected-components baseline on synthetic worlds.

    python -m benchmarks.attribution                          # small 1-5, medium 6-7
    python -m benchmarks.attribution --small-seeds 1 --medium-seeds
    python -m benchmarks.attribution --db-path                # also the store's links (small)
    python -m benchmarks.attribution --small-seeds --medium-seeds --large-seeds 8 --alone
    python -m benchmarks.attribution --db-path --phenomena all     # held-out, every phenomenon
    python -m benchmarks.attribution --leave-one-out --small-seeds 1 2 3

For every world one JSON line: seed, scale, link source, sites, links, and for the
**baseline measured in the same run** (``baseline_attribution``, connected components over
every selector) and for the method (``cluster``): brand and distributor B-cubed F1, false
attribution of non-commercial sites and seconds. The link source ``dump`` is the world's own
selector dump; ``db`` (``--db-path``, small worlds: it needs the captures) imports the world
into a fresh SQLite database the way ``hotline demo`` does and reads ``links_from_store``.
With ``--alone`` the method runs again in a process of its own, the dump streamed into the
integer ``LinkTable`` the product uses, and its wall time and peak RSS are added (the first
numbers share a process with the world's generation and the tuples of the baseline).
Worlds are generated into benchmarks/out/attribution (kept between runs), by default with
every phenomenon of ``hotline synth --phenomena`` on (``--phenomena none``: the classic
worlds). Seeds 900-919 (small) and 950 (medium) are for tuning; the defaults are held out.

``--leave-one-out`` asks whether the method generalises rather than remembers: for each
phenomenon, the knobs in ``GRID`` are chosen on tuning worlds that lack it, then scored
through the store on held-out worlds that have every phenomenon.
"""

from __future__ import annotations

import argparse
import csv
import functools
import hashlib
import json
import shutil
import sys
import time
from collections.abc import Iterable
from pathlib import Path

import orjson

from benchmarks.memory import run_measured
from hotline.accounts.roles import local_admin
from hotline.attribution.links import links_from_store, majority_verdicts
from hotline.attribution.method import (
    ASSESSMENT,
    NOT_SHOWN,
    Clustering,
    Params,
    cluster,
)
from hotline.attribution.table import Link, LinkTable
from hotline.synth.baseline import baseline_attribution, read_selector_dump
from hotline.synth.generate import generate
from hotline.synth.phenomena import PHENOMENA, parse_phenomena
from hotline.synth.score import Attribution, ScoreReport, read_truth, score
from hotline.urls.canonical import canonicalize
from hotline.urls.model import Rejection

OUT = Path(__file__).with_name("out") / "attribution"
SOURCE = Path(__file__).resolve().parents[1] / "src" / "hotline"


@functools.cache  # read once a run: the sources do not change under a benchmark
def code_digest(*parts: str, leave_out: tuple[str, ...] = ()) -> str:
    """SHA-256 of the project's source files under ``parts`` (folders of src/hotline): a
    cached world or import is reused only while the code that made it is unchanged."""
    digest = hashlib.sha256()
    for part in parts:
        for path in sorted((SOURCE / part).rglob("*.py")):
            name = path.relative_to(SOURCE).as_posix()
            if name not in leave_out:
                digest.update(name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def _fresh(stamp: Path, digest: str) -> bool:
    return stamp.exists() and stamp.read_text() == digest


def as_attribution(result: Clustering) -> Attribution:
    return Attribution(
        brand=dict(result.brand_of),
        distributor={
            site: result.distributor_of[brand] if brand is not None else None
            for site, brand in result.brand_of.items()
        },
    )


def world(
    seed: int,
    scale: str,
    captures: bool,
    phenomena: Iterable[str] = (),
    rate_scale: float = 1.0,
) -> Path:
    chosen = sorted(phenomena)
    tag = ""
    if chosen:
        tag = "-all" if chosen == sorted(PHENOMENA) else "-" + "+".join(chosen)
        if len(tag) > 60:  # a long list of names: all but a few
            tag = "-all-but-" + "+".join(sorted(set(PHENOMENA) - set(chosen)))
    if rate_scale != 1.0:
        tag += f"-x{rate_scale:g}"
    out = OUT / f"{scale}-{seed}{'-captures' if captures else ''}{tag}"
    made_by = code_digest("synth")
    if not ((out / "truth.json").exists() and _fresh(out / "generator.sha256", made_by)):
        shutil.rmtree(out, ignore_errors=True)  # made by another generator: made again
        generate(seed, scale, out, captures=captures, phenomena=chosen, rate_scale=rate_scale)
        (out / "generator.sha256").write_text(made_by)
    return out


def verdicts(world: Path) -> list[Link]:
    """The reporting hotlines' verdicts on each site (``assessment`` links), read from the
    world's ``reports.csv`` by the store's rule (the majority of the flags given): the selector
    dump holds what the pages show, the reports what the hotlines said."""
    flags: list[tuple[str, bool]] = []
    with (world / "reports.csv").open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if row["commercial"] not in ("true", "false"):
                continue
            found = canonicalize(row["url"])
            if isinstance(found, Rejection):
                continue  # a bad row on purpose: the store quarantines it
            flags.append((found.site, row["commercial"] == "true"))
    return [
        (site, ASSESSMENT, verdict) for site, verdict in sorted(majority_verdicts(flags).items())
    ]


def db_links(world: Path, cache: Path | None = None) -> list[Link]:
    """The links the product would read: the world imported into a fresh SQLite database
    (reports, captures, passive DNS, enrichment) the way ``hotline demo`` does it."""
    cache = cache if cache is not None else world / "db-links.jsonl"
    # every stage that turns the files into links, the method itself apart
    read_by = code_digest(".", leave_out=("attribution/method.py",))
    stamp = cache.with_suffix(".sha256")
    if cache.exists() and _fresh(stamp, read_by):
        with cache.open("rb") as handle:
            return [(row[0], row[1], row[2]) for row in map(orjson.loads, handle)]
    from hotline.captures.extractors import default_extractors
    from hotline.captures.extractors.payments import ProcessorTable
    from hotline.captures.services import CaptureImporter
    from hotline.cli.context import AppState
    from hotline.cli.hosting import run_enrichment
    from hotline.hosting import providers as provider_table
    from hotline.hosting.enrich import EnrichOptions
    from hotline.hosting.pdns_import import PdnsImporter
    from hotline.intake.services import ReportImporter
    from hotline.store.engine import WRITER

    db_path = world / "attribution.sqlite"
    db_path.unlink(missing_ok=True)
    app_state = AppState(db=f"sqlite:///{db_path}", quiet=True)
    engine = app_state.ready_engine()
    ReportImporter(engine).ingest(world / "reports.csv", None)
    importer = CaptureImporter(
        engine, default_extractors(ProcessorTable.load(world / "processors.json"))
    )
    for path in sorted((world / "captures").glob("*.warc.gz")):
        importer.ingest(path)
    with engine.connect().execution_options(**WRITER) as connection, connection.begin():
        provider_table.save(
            connection, provider_table.read_csv(world / "providers.csv"), local_admin("bench")
        )
    PdnsImporter(engine).ingest(world / "pdns.jsonl")
    geoip = world / "geoip"
    options = EnrichOptions(
        geoip_db=geoip / "country.mmdb", asn_db=geoip / "asn.mmdb", cdn_lists=[world / "cdn.json"]
    )
    run_enrichment(app_state, engine, options)
    links = list(links_from_store(engine))
    engine.dispose()
    with cache.open("wb") as handle:
        for link in links:
            handle.write(orjson.dumps(link) + b"\n")
    stamp.write_text(read_by)
    return links


def measure(
    seed: int,
    scale: str,
    source: str,
    path: Path,
    links: list[Link],
    params: Params | None = None,
) -> dict[str, object]:
    truth = read_truth(path / "truth.json")
    started = time.perf_counter()
    base = score(truth, baseline_attribution(links))
    base_seconds = time.perf_counter() - started
    started = time.perf_counter()
    result = cluster(links, params=params or Params())
    seconds = time.perf_counter() - started
    method = score(truth, as_attribution(result))
    ceiling = evidence_ceiling(path, links)
    return {
        "seed": seed,
        "scale": scale,
        "source": source,
        "sites": len(result.brand_of),
        "links": len(links),
        "baseline": {
            "brand_f1": round(base.brand.f1, 4),
            "distributor_f1": round(base.distributor.f1, 4),
            "false_attribution": round(base.false_attribution_rate, 4),
            "seconds": round(base_seconds, 2),
        },
        "method": {
            "brand_f1": round(method.brand.f1, 4),
            "brand_precision": round(method.brand.precision, 4),
            "brand_recall": round(method.brand.recall, 4),
            "distributor_f1": round(method.distributor.f1, 4),
            "distributor_precision": round(method.distributor.precision, 4),
            "distributor_recall": round(method.distributor.recall, 4),
            "false_attribution": round(method.false_attribution_rate, 4),
            "seconds": round(seconds, 2),
        },
        "ceiling": {
            "brand_f1": round(ceiling.brand.f1, 4),
            "distributor_f1": round(ceiling.distributor.f1, 4),
        },
    }


def evidence_ceiling(path: Path, links: list[Link]) -> ScoreReport:
    """What a perfect method could score on these links: every site that shows any evidence
    beyond hosting (a site captured only as an error or a parked page shows none) gets its
    true brand and distributor, the others stay unattributed."""
    truth = read_truth(path / "truth.json")
    raw = orjson.loads((path / "truth.json").read_bytes())["sites"]
    seen = {site for site, kind, _value in links if kind not in NOT_SHOWN}
    return score(
        truth,
        Attribution(
            brand={s: (v.get("brand") if s in seen else None) for s, v in raw.items()},
            distributor={s: (v.get("distributor") if s in seen else None) for s, v in raw.items()},
        ),
    )


# The knobs a user tunes for their data; every other Params field keeps its default.
GRID: dict[str, tuple[float, ...]] = {
    "commercial_floor": (0.8, 1.0),
    "hub_major": (0.5, 0.67),
    "confidence_floor": (0.3, 0.35, 0.45),
}


def _grid() -> list[Params]:
    combos: list[dict[str, float]] = [{}]
    for name, values in GRID.items():
        combos = [{**c, name: v} for c in combos for v in values]
    return [Params(**c) for c in combos]  # type: ignore[arg-type]


def tune(worlds: list[tuple[Path, list[Link]]]) -> Params:
    """The grid point with the best mean brand + distributor F1 over ``worlds`` (ties: the
    first in grid order, so the defaults win a tie when they are in the grid)."""
    best: tuple[float, int] | None = None
    chosen = Params()
    for number, params in enumerate(_grid()):
        total = 0.0
        for path, links in worlds:
            result = score(
                read_truth(path / "truth.json"), as_attribution(cluster(links, params=params))
            )
            total += result.brand.f1 + result.distributor.f1 - result.false_attribution_rate
        if best is None or total > best[0] + 1e-12:
            best, chosen = (total, number), params
    return chosen


def leave_one_out(
    tuning: list[int], held_out: list[int], phenomena: list[str]
) -> Iterable[dict[str, object]]:
    """For each phenomenon: parameters tuned on tuning worlds *without* it (all the others
    on), scored through the store on held-out worlds *with* every phenomenon."""
    everything = {seed: world(seed, "small", True, phenomena) for seed in held_out}
    test = [(path, db_links(path)) for path in everything.values()]
    ceilings = [evidence_ceiling(path, links) for path, links in test]
    yield {
        "ceiling": True,
        "brand_f1_min": round(min(c.brand.f1 for c in ceilings), 4),
        "distributor_f1_min": round(min(c.distributor.f1 for c in ceilings), 4),
    }
    for left_out in phenomena:
        rest = [p for p in phenomena if p != left_out]
        train = [(path, db_links(path)) for path in (world(s, "small", True, rest) for s in tuning)]
        params = tune(train)
        rows = [
            score(read_truth(path / "truth.json"), as_attribution(cluster(links, params=params)))
            for path, links in test
        ]
        yield {
            "left_out": left_out,
            "params": {name: getattr(params, name) for name in GRID},
            "brand_f1_min": round(min(r.brand.f1 for r in rows), 4),
            "brand_f1_mean": round(sum(r.brand.f1 for r in rows) / len(rows), 4),
            "distributor_f1_min": round(min(r.distributor.f1 for r in rows), 4),
            "distributor_f1_mean": round(sum(r.distributor.f1 for r in rows) / len(rows), 4),
            "false_attribution_max": round(max(r.false_attribution_rate for r in rows), 4),
        }


def alone(dump: Path) -> dict[str, object]:
    """``cluster`` in a process of its own, the links streamed from the dump into a
    ``LinkTable`` (as the product reads the store: never a list of tuples): wall time and
    peak RSS of that whole process, reading included."""
    command = [sys.executable, "-m", "benchmarks.attribution", "--cluster-only", str(dump)]
    seconds, peak, _code = run_measured(command)
    return {"read_and_cluster_seconds": round(seconds, 1), "peak_rss_mb": round(peak / 2**20)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small-seeds", type=int, nargs="*", default=[1, 2, 3, 4, 5])
    parser.add_argument("--medium-seeds", type=int, nargs="*", default=[6, 7])
    parser.add_argument(
        "--large-seeds",
        type=int,
        nargs="*",
        default=[],
        help="also large worlds (~1 M sites; generating one takes minutes)",
    )
    parser.add_argument("--db-path", action="store_true", help="also the store's links (small)")
    parser.add_argument(
        "--phenomena",
        default="all",
        help="phenomena in the worlds: all (default), none, or names separated by commas",
    )
    parser.add_argument(
        "--leave-one-out",
        action="store_true",
        help="per phenomenon: tune on --tuning-seeds without it, score the held-out small "
        "seeds (--small-seeds) with every phenomenon, through the store",
    )
    parser.add_argument("--tuning-seeds", type=int, nargs="*", default=[900, 901])
    parser.add_argument(
        "--rate-scale",
        type=float,
        default=1.0,
        help="every phenomenon's rates times this (hotline synth --rate-scale): 2 makes "
        "worlds harsher than the ranges the method was tuned on",
    )
    parser.add_argument("--cluster-only", type=Path, help=argparse.SUPPRESS)
    parser.add_argument(
        "--alone", action="store_true", help="also time and measure cluster in its own process"
    )
    args = parser.parse_args()
    if args.cluster_only:
        cluster(LinkTable.from_links(read_selector_dump(args.cluster_only)))
        return
    phenomena = sorted(parse_phenomena(args.phenomena))
    if args.leave_one_out:
        for row in leave_one_out(args.tuning_seeds, args.small_seeds, phenomena):
            print(json.dumps(row), flush=True)
        return
    runs = [(seed, "small") for seed in args.small_seeds]
    runs += [(seed, "medium") for seed in args.medium_seeds]
    runs += [(seed, "large") for seed in args.large_seeds]
    for seed, scale in runs:
        captures = args.db_path and scale == "small"
        path = world(seed, scale, captures, phenomena, args.rate_scale)
        dump = list(read_selector_dump(path / "selectors.jsonl"))
        dump += verdicts(path)
        row = measure(seed, scale, "dump", path, dump)
        row["phenomena"] = args.phenomena
        row["rate_scale"] = args.rate_scale
        if args.alone:
            row["method_alone"] = alone(path / "selectors.jsonl")
        print(json.dumps(row), flush=True)
        if captures:
            row = measure(seed, scale, "db", path, db_links(path))
            row["phenomena"] = args.phenomena
            row["rate_scale"] = args.rate_scale
            print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
