"""Capture import: ``hotline ingest captures`` and its reading path against warcio, same WARCs.

    python -m benchmarks.captures                    # medium world (seed 6), first 4 files ≈ 50 MB
    python -m benchmarks.captures --files 8 --repeat 3
    python -m benchmarks.captures --skip-ingest      # warcio and the reading path only
    python -m benchmarks.captures --postgres postgresql+psycopg://127.0.0.1:5432/postgres
    python -m benchmarks.captures --profile          # also cProfile (b) and (c), top functions
    python -m benchmarks.captures --workers 1 2      # (c) with --workers 1, then 2

The world is made once by the real ``hotline synth`` (default: ``--scale medium --phenomena
all``: every site captured once, one HTML page per site, its favicon as media, error, parking,
challenge and redirect pages among them) into ``benchmarks/out/captures-<size>-<seed>-<phen>``
and kept; the benchmark takes its first ``--files`` capture files (5,000 sites each at the
medium scale). Three steps, each in a child process of its own, on the same files in the same
run (with ``--repeat N`` the three run in turn N times and the best time counts):

(a) **baseline**: warcio's ``ArchiveIterator`` over every record, reading every record's
    content (``record.content_stream().read()``: de-chunked, decoded HTTP bodies);
(b) hotline's reading path alone: ``hotline.captures.pages.read_capture_file`` with the
    default extractors and the world's processor table (WARC parsing, HTTP decoding, HTML
    parsing, page classes, selector extraction, media hashes incl. PDQ) — no database;
(c) the real command, ``hotline --quiet --db URL ingest captures FILES --processors P``,
    the console script beside this interpreter, into a fresh SQLite database whose schema
    ``hotline init`` created beforehand (not timed); with ``--postgres`` also into a fresh
    PostgreSQL database. When the command has ``--workers`` (a pool of processes parses
    files of 8 MB and more), (c) runs with its default (one per core) and with
    ``--workers 1`` (all in one process), unless ``--workers`` says which.

Per step: wall seconds of the child (interpreter start-up included), pages/s, media/s and
WARC records/s (the counts are those of (b); (c) is checked against the rows it stored),
and peak memory twice: the high-water mark of the child (``ru_maxrss`` from ``wait4``) and
the summed RSS of its process tree sampled every 50 ms (they differ once a step uses
workers). Ratios: the time of (b) and (c) over the time of (a). Targets printed: (c) at
≥ 1,500 pages/s with its media, and (c) ≤ 6× the time of (a). The exit code is 0 whether or
not the targets are met (the numbers are the report); non-zero only when a step fails.
Results also go to ``benchmarks/out/captures.json``.

``--profile`` runs (b) and (c) once more under cProfile (``benchmarks/out/captures-*.prof``;
(c) with ``--workers 1``, as cProfile sees one process only) and prints the top functions by
cumulative and by own time. cProfile inflates pure-Python code more than C (zlib, lexbor,
SQLite), so read shares from it alongside the wall times above.
"""

from __future__ import annotations

import argparse
import json
import os
import pstats
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.memory import measure

OUT = Path(__file__).with_name("out")
TARGET_PAGES_PER_S = 1_500
TARGET_RATIO = 6.0


# -- children: (a) and (b) --------------------------------------------------------------------


def child_warcio(paths: list[Path]) -> dict[str, int | float]:
    """(a): every record of every file through warcio, every content stream read to the end."""
    from warcio.archiveiterator import ArchiveIterator

    records = responses = payload = 0
    started = time.perf_counter()
    for path in paths:
        with path.open("rb") as stream:
            for record in ArchiveIterator(stream):
                records += 1
                if record.rec_type in ("response", "resource"):
                    responses += 1
                payload += len(record.content_stream().read())
    return {
        "records": records,
        "responses": responses,
        "payload_bytes": payload,
        "inner_seconds": time.perf_counter() - started,
    }


def child_parse(paths: list[Path], processors: Path | None) -> dict[str, int | float]:
    """(b): hotline's reading path, file by file, as ``CaptureImporter.ingest`` calls it."""
    from hotline.captures.extractors import default_extractors
    from hotline.captures.extractors.payments import ProcessorTable
    from hotline.captures.pages import read_capture_file

    extractors = default_extractors(ProcessorTable.load(processors))
    records = pages = media = refused = selectors = 0
    started = time.perf_counter()
    for path in paths:
        content = read_capture_file(path, extractors)
        records += content.records
        pages += len(content.pages)
        media += len(content.media)
        refused += len(content.refusals)
        selectors += sum(len(page.selectors) for page in content.pages)
    return {
        "records": records,
        "pages": pages,
        "media": media,
        "refused": refused,
        "page_selectors": selectors,
        "inner_seconds": time.perf_counter() - started,
    }


# -- measuring a child ------------------------------------------------------------------------


@dataclass(slots=True)
class Run:
    seconds: float
    hwm: int  # bytes: ru_maxrss of the child (the largest process of its tree that was waited)
    tree: int  # bytes: the largest summed RSS of its process tree, sampled every 50 ms
    stdout: str


def measured(command: list[str]) -> Run:
    """Run ``command`` in a session of its own; its wall time, peak memory and output."""
    run = measure(command)
    if run.code not in (0, 1):  # 1: the command refused some records
        raise SystemExit(f"{' '.join(command)} failed ({run.code}):\n{run.stderr}")
    return Run(run.seconds, run.hwm, run.tree, run.stdout)


@dataclass(slots=True)
class Step:
    name: str
    runs: list[Run] = field(default_factory=list)

    @property
    def seconds(self) -> float:
        return min(run.seconds for run in self.runs)

    @property
    def hwm_mb(self) -> int:
        return round(max(run.hwm for run in self.runs) / 2**20)

    @property
    def tree_mb(self) -> int:
        return round(max(run.tree for run in self.runs) / 2**20)

    def result(self) -> dict[str, object]:
        return json.loads(self.runs[0].stdout) if self.runs[0].stdout.strip() else {}


# -- the world, the steps ---------------------------------------------------------------------


def hotline(*args: str) -> list[str]:
    # the console script beside this interpreter: exactly what a user types
    return [str(Path(sys.executable).with_name("hotline")), "--quiet", *args]


def world(size: str, seed: int, phenomena: str, out: Path | None) -> Path:
    """The world in ``out`` (default: one per size, seed and phenomena), made when missing."""
    if out is None:
        out = OUT / f"captures-{size}-{seed}-{phenomena.replace(',', '+')}"
    if not (out / "truth.json").exists():
        print(f"generating the {size} world (seed {seed}) into {out} …", flush=True)
        command = hotline(
            "synth",
            "--scale",
            size,
            "--seed",
            str(seed),
            "--phenomena",
            phenomena,
            "--out",
            str(out),
            "--captures",
        )
        run = measured(command)
        print(f"  {run.seconds:.1f} s", flush=True)
    return out


def self_child(kind: str, paths: list[Path], processors: Path | None) -> list[str]:
    command = [sys.executable, "-m", "benchmarks.captures", "--child", kind]
    if processors is not None:
        command += ["--processors", str(processors)]
    return [*command, *map(str, paths)]


def fresh_sqlite(path: Path) -> str:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    url = f"sqlite:///{path}"
    measured(hotline("--db", url, "init"))
    return url


def fresh_postgres(admin_url: str, name: str) -> str:
    from sqlalchemy import create_engine, text

    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    url = admin_url.rsplit("/", 1)[0] + f"/{name}"
    measured(hotline("--db", url, "init"))
    return url


_COUNTED = ("captures", "media_hashes", "capture_selectors", "selectors")


def stored(url: str) -> dict[str, int]:
    """Rows the import left in the tables it writes."""
    if url.startswith("sqlite:///"):
        with sqlite3.connect(url.removeprefix("sqlite:///")) as connection:
            return {
                t: connection.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in _COUNTED
            }
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as connection:
        counts = {
            t: int(connection.execute(text(f"SELECT count(*) FROM {t}")).scalar_one())
            for t in _COUNTED
        }
    engine.dispose()
    return counts


def ingest_command(
    url: str, paths: list[Path], processors: Path, workers: int | None = None
) -> list[str]:
    command = hotline("--db", url, "ingest", "captures", *map(str, paths))
    command += ["--processors", str(processors)]
    return command if workers is None else [*command, "--workers", str(workers)]


def has_workers_option() -> bool:
    """Does this ``hotline ingest captures`` take ``--workers`` (a pool that parses)?"""
    shown = subprocess.run(
        hotline("ingest", "captures", "--help"), capture_output=True, text=True, check=False
    )
    return "--workers" in shown.stdout


# -- profiles ----------------------------------------------------------------------------------


def profile(kind: str, command: list[str], target: Path, top: int) -> None:
    """``command`` (a Python module run) again under cProfile; the top of its profile."""
    measured([sys.executable, "-m", "cProfile", "-o", str(target), *command[1:]])
    for order in ("cumulative", "tottime"):
        print(f"\n-- profile of {kind}, by {order} ({target}) --", flush=True)
        stats = pstats.Stats(str(target))
        stats.strip_dirs().sort_stats(order).print_stats(top)
        sys.stdout.flush()


# -- main ----------------------------------------------------------------------------------------


def _rate(count: int, seconds: float) -> float:
    return round(count / seconds, 1) if seconds else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--size",
        default="medium",
        choices=("small", "medium"),
        help="hotline synth --scale (medium: 5,000 sites, ≈ 12.5 MB per file)",
    )
    parser.add_argument("--seed", type=int, default=6)
    parser.add_argument("--phenomena", default="all", help="hotline synth --phenomena")
    parser.add_argument("--files", type=int, default=4, help="capture files taken (0: all)")
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        help="folder of the world (made there by hotline synth when it holds "
        "none); default benchmarks/out/captures-SIZE-SEED-PHENOMENA",
    )
    parser.add_argument("--repeat", type=int, default=1, help="runs of each step; best counts")
    parser.add_argument("--skip-ingest", action="store_true", help="only (a) and (b)")
    parser.add_argument(
        "--postgres",
        default=None,
        help="admin URL of a PostgreSQL server: (c) also into a database "
        "hotline_bench_captures, (re)created",
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="then run (b) and (c) once more under cProfile, print the top",
    )
    parser.add_argument("--top", type=int, default=30, help="profile lines shown")
    parser.add_argument(
        "--workers",
        type=int,
        nargs="*",
        default=None,
        help="(c) once per value of ingest captures --workers; default: the command's own "
        "default and 1 (when the command has the option)",
    )
    parser.add_argument("--child", choices=("warcio", "parse"), help=argparse.SUPPRESS)
    parser.add_argument("--processors", type=Path, default=None, help=argparse.SUPPRESS)
    parser.add_argument("paths", nargs="*", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child == "warcio":
        print(json.dumps(child_warcio(args.paths)))
        return
    if args.child == "parse":
        print(json.dumps(child_parse(args.paths, args.processors)))
        return

    OUT.mkdir(exist_ok=True)
    root = world(args.size, args.seed, args.phenomena, args.out)
    paths = sorted((root / "captures").glob("*.warc.gz"))
    if args.files:
        paths = paths[: args.files]
    if not paths:
        raise SystemExit(f"no capture files in {root / 'captures'}")
    processors = root / "processors.json"
    warc_mb = sum(p.stat().st_size for p in paths) / 1e6
    print(f"world {root}: {len(paths)} capture file(s), {warc_mb:,.1f} MB", flush=True)

    workers: list[int | None] = list(args.workers or [])
    if not args.skip_ingest and not workers:
        workers = [None, 1] if has_workers_option() else [None]
    warcio_step, parse_step = Step("(a) warcio baseline"), Step("(b) hotline reading path")
    ingest_steps: dict[tuple[str, int | None], Step] = {}
    engines = ["sqlite", "postgresql"] if args.postgres else ["sqlite"]
    for engine in [] if args.skip_ingest else engines:
        for count in workers:
            shown = "SQLite" if engine == "sqlite" else "PostgreSQL"
            tail = "" if count is None else f", --workers {count}"
            ingest_steps[engine, count] = Step(f"(c) ingest captures → {shown}{tail}")
    database = OUT / "captures-bench.sqlite"
    counts: dict[str, dict[str, int]] = {}
    for _ in range(args.repeat):
        warcio_step.runs.append(measured(self_child("warcio", paths, None)))
        parse_step.runs.append(measured(self_child("parse", paths, processors)))
        for (engine, count), step in ingest_steps.items():
            if engine == "sqlite":
                url = fresh_sqlite(database)
            else:
                url = fresh_postgres(args.postgres, "hotline_bench_captures")
            step.runs.append(measured(ingest_command(url, paths, processors, count)))
            counts[step.name] = stored(url)

    base = warcio_step.result()
    parsed = parse_step.result()
    pages, media = int(str(parsed["pages"])), int(str(parsed["media"]))
    records = int(str(base["records"]))
    results: dict[str, object] = {
        "world": str(root),
        "files": len(paths),
        "warc_mb": round(warc_mb, 1),
        "records": records,
        "pages": pages,
        "media": media,
        "refused": parsed["refused"],
        "page_selectors": parsed["page_selectors"],
        "repeat": args.repeat,
        "cpus": os.cpu_count() or 0,
    }
    print(
        f"{records:,} WARC records: {pages:,} HTML pages, {media:,} media "
        f"({parsed['refused']} refused), {parsed['page_selectors']:,} page selectors",
        flush=True,
    )
    steps = [warcio_step, parse_step, *ingest_steps.values()]
    print(
        f"\n{'step':<46} {'seconds':>8} {'pages/s':>9} {'media/s':>9} {'records/s':>10} "
        f"{'× (a)':>6} {'peak RSS':>9} {'tree RSS':>9}"
    )
    for step in steps:
        ratio = step.seconds / warcio_step.seconds
        print(
            f"{step.name:<46} {step.seconds:>8.2f} {_rate(pages, step.seconds):>9,.0f} "
            f"{_rate(media, step.seconds):>9,.0f} {_rate(records, step.seconds):>10,.0f} "
            f"{ratio:>6.2f} {step.hwm_mb:>6} MB {step.tree_mb:>6} MB"
        )
        results[step.name] = {
            "seconds": round(step.seconds, 2),
            "all_seconds": [round(run.seconds, 2) for run in step.runs],
            "pages_per_s": _rate(pages, step.seconds),
            "media_per_s": _rate(media, step.seconds),
            "records_per_s": _rate(records, step.seconds),
            "ratio_to_baseline": round(ratio, 2),
            "peak_rss_mb": step.hwm_mb,
            "peak_tree_rss_mb": step.tree_mb,
            "stored": counts.get(step.name),
        }
    for name, step in (("warcio", warcio_step), ("reading path", parse_step)):
        inner = step.result().get("inner_seconds")
        print(f"  {name}: {float(str(inner)):.2f} s inside the child (without start-up)")
    for name, found in counts.items():
        print(f"  {name}: stored {found}")
        if found["captures"] != pages or found["media_hashes"] != media:
            print(f"  ! {name}: stored rows differ from the pages and media read", flush=True)
    first = ingest_steps.get(("sqlite", workers[0])) if workers else None
    if first is not None:
        rate = pages / first.seconds
        ratio = first.seconds / warcio_step.seconds
        print(f"\ntargets, for {first.name}:")
        print(
            f"  ≥ {TARGET_PAGES_PER_S:,} pages/s with media: {rate:,.0f} — "
            f"{'met' if rate >= TARGET_PAGES_PER_S else 'NOT met'}"
        )
        print(
            f"  ≤ {TARGET_RATIO:g}× the warcio baseline's time: {ratio:.2f}× — "
            f"{'met' if ratio <= TARGET_RATIO else 'NOT met'}"
        )
    (OUT / "captures.json").write_text(json.dumps(results, indent=2) + "\n")

    if args.profile:
        profile(
            "(b) the reading path",
            self_child("parse", paths, processors),
            OUT / "captures-parse.prof",
            args.top,
        )
        if not args.skip_ingest:
            # cProfile sees one process: with a pool the parsing would happen out of its sight
            serial = 1 if 1 in workers else None
            command = ingest_command(fresh_sqlite(database), paths, processors, serial)
            command = [sys.executable, "-m", "hotline.cli.app", *command[1:]]
            name = f"(c) ingest captures → SQLite{'' if serial is None else ', --workers 1'}"
            profile(name, command, OUT / "captures-ingest.prof", args.top)


if __name__ == "__main__":
    main()
