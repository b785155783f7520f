"""Attribution: the method against the connected-components baseline on synthetic worlds.

    python -m benchmarks.attribution                          # small 1-5, medium 6-7
    python -m benchmarks.attribution --small-seeds 1 --medium-seeds
    python -m benchmarks.attribution --db-path                # also the store's links (small)
    python -m benchmarks.attribution --small-seeds --medium-seeds --large-seeds 8 --alone

For every world one JSON line: seed, scale, link source, sites, links, and for the
**baseline measured in the same run** (``baseline_attribution``, connected components over
every selector) and for the method (``cluster``): brand and distributor B-cubed F1, false
attribution of non-commercial sites and seconds. The link source ``dump`` is the world's own
selector dump; ``db`` (``--db-path``, small worlds: it needs the captures) imports the world
into a fresh SQLite database the way ``hotline demo`` does and reads ``links_from_store``.
With ``--alone`` the method runs again in a process of its own, the dump streamed into the
integer ``LinkTable`` the product uses, and its wall time and peak RSS are added (the first
numbers share a process with the world's generation and the tuples of the baseline).
Worlds are generated into benchmarks/out/attribution (kept between runs).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import orjson

from benchmarks.memory import run_measured
from hotline.attribution.links import links_from_store
from hotline.attribution.method import Clustering, cluster
from hotline.attribution.table import Link, LinkTable
from hotline.synth.baseline import baseline_attribution, read_selector_dump
from hotline.synth.generate import generate
from hotline.synth.score import Attribution, read_truth, score

OUT = Path(__file__).with_name("out") / "attribution"


def as_attribution(result: Clustering) -> Attribution:
    return Attribution(
        brand=dict(result.brand_of),
        distributor={
            site: result.distributor_of[brand] if brand is not None else None
            for site, brand in result.brand_of.items()
        },
    )


def world(seed: int, scale: str, captures: bool) -> Path:
    out = OUT / f"{scale}-{seed}{'-captures' if captures else ''}"
    if not (out / "truth.json").exists():
        generate(seed, scale, out, captures=captures)
    return out


def db_links(world: Path, cache: Path | None = None) -> list[Link]:
    """The links the product would read: the world imported into a fresh SQLite database
    (reports, captures, passive DNS, enrichment) the way ``hotline demo`` does it."""
    cache = cache if cache is not None else world / "db-links.jsonl"
    if cache.exists():
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
    engine = AppState(db=f"sqlite:///{db_path}", quiet=True).ready_engine()
    ReportImporter(engine).ingest(world / "reports.csv", None)
    importer = CaptureImporter(
        engine, default_extractors(ProcessorTable.load(world / "processors.json"))
    )
    for path in sorted((world / "captures").glob("*.warc.gz")):
        importer.ingest(path)
    with engine.connect().execution_options(**WRITER) as connection, connection.begin():
        provider_table.save(connection, provider_table.read_csv(world / "providers.csv"), "bench")
    PdnsImporter(engine).ingest(world / "pdns.jsonl")
    geoip = world / "geoip"
    options = EnrichOptions(
        geoip_db=geoip / "country.mmdb", asn_db=geoip / "asn.mmdb", cdn_lists=[world / "cdn.json"]
    )
    run_enrichment(engine, options, quiet=True)
    links = list(links_from_store(engine))
    engine.dispose()
    with cache.open("wb") as handle:
        for link in links:
            handle.write(orjson.dumps(link) + b"\n")
    return links


def measure(seed: int, scale: str, source: str, path: Path, links: list[Link]) -> dict[str, object]:
    truth = read_truth(path / "truth.json")
    started = time.perf_counter()
    base = score(truth, baseline_attribution(links))
    base_seconds = time.perf_counter() - started
    started = time.perf_counter()
    result = cluster(links)
    seconds = time.perf_counter() - started
    method = score(truth, as_attribution(result))
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
    parser.add_argument("--cluster-only", type=Path, help=argparse.SUPPRESS)
    parser.add_argument(
        "--alone", action="store_true", help="also time and measure cluster in its own process"
    )
    args = parser.parse_args()
    if args.cluster_only:
        cluster(LinkTable.from_links(read_selector_dump(args.cluster_only)))
        return
    runs = [(seed, "small") for seed in args.small_seeds]
    runs += [(seed, "medium") for seed in args.medium_seeds]
    runs += [(seed, "large") for seed in args.large_seeds]
    for seed, scale in runs:
        captures = args.db_path and scale == "small"
        path = world(seed, scale, captures)
        dump = list(read_selector_dump(path / "selectors.jsonl"))
        row = measure(seed, scale, "dump", path, dump)
        if args.alone:
            row["method_alone"] = alone(path / "selectors.jsonl")
        print(json.dumps(row), flush=True)
        if captures:
            print(json.dumps(measure(seed, scale, "db", path, db_links(path))), flush=True)


if __name__ == "__main__":
    main()
