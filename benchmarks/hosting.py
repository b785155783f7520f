"""Hosting: IP lookups per second through the batch path, and offline enrichment of a world.

    python -m benchmarks.hosting                    # lookups, then the medium world
    python -m benchmarks.hosting --scale small      # quicker
    python -m benchmarks.hosting --lookups-only

**Lookups.** ``MmdbFile.lookup_many`` against the **baseline measured in the same run**: the
bare ``maxminddb`` reader's ``get`` called in a loop over the same addresses (the C
extension, as a user would write it). Three address mixes: uniformly random public IPv4
(the batch path's worst case: no two addresses share a network), the addresses of a
synthetic world's passive DNS (what enrichment really asks), and the bundled AS database.

**Enrichment.** A world is generated (without captures), its reports and passive DNS are
imported, and then ``hotline enrich`` runs in a subprocess with the world's databases and
CDN list: that wall time is the number the target is about. A second run shows the
incremental cost when nothing changed.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sys
import time
from pathlib import Path

import maxminddb
import orjson

from benchmarks.memory import run_measured
from hotline.hosting.ipdb import MmdbFile, _bundled

OUT = Path(__file__).with_name("out")


def _rate(count: int, seconds: float) -> float:
    return round(count / seconds) if seconds else 0.0


def lookups(path: Path, ips: list[str], label: str) -> dict[str, object]:
    batch_file = MmdbFile(path)
    reader = maxminddb.open_database(str(path))
    best_batch = best_bare = float("inf")
    for _ in range(3):  # best of three: the machine has two cores and other work
        started = time.perf_counter()
        found = batch_file.lookup_many(ips)
        best_batch = min(best_batch, time.perf_counter() - started)
        started = time.perf_counter()
        bare = {ip: reader.get(ip) for ip in ips}
        best_bare = min(best_bare, time.perf_counter() - started)
    assert all(found[ip] == bare[ip] for ip in ips), "batch path disagrees with the reader"
    reader.close()
    batch_file.close()
    return {
        "mix": label,
        "addresses": len(ips),
        "distinct": len(set(ips)),
        "batch_per_s": _rate(len(ips), best_batch),
        "bare_reader_per_s": _rate(len(ips), best_bare),
        "ratio_batch_to_bare": round(best_bare / best_batch, 2),
    }


def _random_public(count: int) -> list[str]:
    rng = random.Random(5)
    return [
        f"{rng.choice([n for n in range(1, 224) if n not in (10, 127)])}."
        f"{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"
        for _ in range(count)
    ]


def _world_addresses(world: Path) -> list[str]:
    ips: list[str] = []
    with (world / "pdns.jsonl").open("rb") as handle:
        for line in handle:
            record = orjson.loads(line)
            if record["rrtype"] in ("A", "AAAA"):
                data = record["rdata"]
                ips.extend([data] if isinstance(data, str) else data)
    return ips


def _hotline(db: str, *args: str) -> tuple[float, int]:
    seconds, peak, code = run_measured(
        [sys.executable, "-m", "hotline.cli.app", "--quiet", "--db", db, *args]
    )
    if code not in (0, 1):
        raise SystemExit(f"hotline {' '.join(args)} failed with exit code {code}")
    return seconds, peak


def enrichment(scale: str, seed: int) -> tuple[dict[str, object], Path]:
    world = OUT / f"hosting-world-{scale}"
    shutil.rmtree(world, ignore_errors=True)
    started = time.perf_counter()
    _hotline("sqlite:///:memory:", "synth", "--scale", scale, "--seed", str(seed),
             "--out", str(world), "--no-captures")  # fmt: skip
    generated = time.perf_counter() - started
    db_file = world / "bench.db"
    db = f"sqlite:///{db_file}"
    reports, _ = _hotline(db, "ingest", "reports", str(world / "reports.csv"))
    pdns, _ = _hotline(db, "ingest", "pdns", str(world / "pdns.jsonl"))
    geoip = world / "geoip"
    dbs = ["--geoip-db", str(geoip / "country.mmdb"),
           "--asn-db", str(geoip / "asn.mmdb"), "--cdn-list", str(world / "cdn.json")]  # fmt: skip
    first, peak = _hotline(db, "enrich", *dbs)
    again, _ = _hotline(db, "enrich", *dbs)
    truth = orjson.loads((world / "truth.json").read_bytes())
    return (
        {
            "scale": scale,
            "sites": len(truth["sites"]),
            "pdns_lines": sum(1 for _ in (world / "pdns.jsonl").open("rb")),
            "generate_s": round(generated, 1),
            "ingest_reports_s": round(reports, 1),
            "ingest_pdns_s": round(pdns, 1),
            "enrich_s": round(first, 1),
            "enrich_peak_rss_mb": round(peak / 2**20),
            "enrich_again_s": round(again, 1),
        },
        world,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", default="medium", choices=["small", "medium", "large"])
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--lookups-only", action="store_true")
    parser.add_argument("--keep", action="store_true", help="keep the generated world")
    options = parser.parse_args()
    OUT.mkdir(exist_ok=True)
    results: list[dict[str, object]] = []
    results.append(
        lookups(_bundled("asn"), _random_public(300_000), "random public IPv4, bundled ASN db")
    )
    world: Path | None = None
    if not options.lookups_only:
        run, world = enrichment(options.scale, options.seed)
        addresses = _world_addresses(world)
        asn = world / "geoip" / "asn.mmdb"
        results.append(lookups(asn, addresses, f"{options.scale} world pDNS, world ASN db"))
        results.append(
            lookups(_bundled("asn"), addresses, f"{options.scale} world pDNS, bundled ASN db")
        )
        results.append(run)
    for result in results:
        print(json.dumps(result))
    if world is not None and not options.keep:
        shutil.rmtree(world)


if __name__ == "__main__":
    main()
