"""Report intake speed: canonicalisation, SQLite and PostgreSQL end to end, against a raw floor.

    python -m benchmarks.ingest                 # 1,000,000 rows, SQLite and PostgreSQL
    python -m benchmarks.ingest --rows 200000 --skip-postgres

The feed comes from the synthetic generator (5 hotlines, ~30 % surface-variant duplicates).
The baseline, measured in the same run on the same machine, is plain ``sqlite3.executemany``
of the same rows, already canonicalised, into bare tables with the same unique keys (reports
by source and id, URLs by digest, sites by key): what storage alone costs with no parsing,
validation, canonicalisation or staging. End-to-end runs are the real ``hotline ingest
reports`` command in a subprocess; peak memory is the summed RSS of it and its reader child.
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import json
import os
import sqlite3
import sys
import time
from pathlib import Path

from sqlalchemy import create_engine, text

from benchmarks.memory import run_measured
from hotline.intake.readers import FeedReader, Record
from hotline.synth.feed import FeedGenerator, write_feed
from hotline.urls import CanonicalURL, canonicalize

OUT = Path(__file__).with_name("out")


def generate(rows: int, path: Path) -> float:
    started = time.perf_counter()
    write_feed(path, FeedGenerator(seed=1, sources=5, duplicate_share=0.3).rows(rows))
    return time.perf_counter() - started


def canonicalisation_rate(path: Path) -> tuple[float, list[tuple[object, ...]]]:
    """URLs/s of canonicalize alone; also returns the pre-canonicalised rows for the baseline."""
    fields = [item.fields for item in FeedReader(path, "csv") if isinstance(item, Record)]
    urls = [str(f["url"]) for f in fields]
    canonicalize("http://warm.example/")
    # The importer never holds a million rows; without freezing them here the cyclic GC
    # would walk them over and over and the number would measure the collector instead.
    gc.collect()
    gc.freeze()
    started = time.perf_counter()
    for url in urls:
        canonicalize(url)
    rate = len(urls) / (time.perf_counter() - started)
    rows: list[tuple[object, ...]] = []
    for f, url in zip(fields, urls, strict=True):
        c = canonicalize(url)
        assert isinstance(c, CanonicalURL)
        digest = hashlib.sha256(c.url.encode()).digest()
        rows.append((f["source"], f["source_report_id"], f["reported_at"], c.url, digest, c.site))
    return rate, rows


def raw_baseline(rows: list[tuple[object, ...]], path: Path, batch: int = 5000) -> float:
    path.unlink(missing_ok=True)
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.execute("CREATE TABLE sites (id INTEGER PRIMARY KEY, key TEXT UNIQUE)")
    db.execute("CREATE TABLE urls (id INTEGER PRIMARY KEY, digest BLOB UNIQUE, canonical TEXT)")
    db.execute(
        "CREATE TABLE reports (id INTEGER PRIMARY KEY, source TEXT, source_report_id TEXT, "
        "url TEXT, reported_at TEXT, UNIQUE (source, source_report_id))"
    )
    gc.collect()
    gc.freeze()
    started = time.perf_counter()
    for start in range(0, len(rows), batch):
        chunk = rows[start : start + batch]
        db.execute("BEGIN")
        db.executemany("INSERT OR IGNORE INTO sites (key) VALUES (?)", [(r[5],) for r in chunk])
        db.executemany(
            "INSERT OR IGNORE INTO urls (digest, canonical) VALUES (?, ?)",
            [(r[4], r[3]) for r in chunk],
        )
        db.executemany(
            "INSERT OR IGNORE INTO reports (source, source_report_id, url, reported_at) "
            "VALUES (?, ?, ?, ?)",
            [(r[0], r[1], r[3], r[2]) for r in chunk],
        )
        db.execute("COMMIT")
    elapsed = time.perf_counter() - started
    db.close()
    return len(rows) / elapsed


def hotline_ingest(db_url: str, feed: Path) -> tuple[float, int]:
    base = [sys.executable, "-m", "hotline.cli.app", "--db", db_url, "--quiet"]
    run_measured([*base, "init"])
    seconds, peak, _ = run_measured([*base, "ingest", "reports", str(feed)])
    return seconds, peak


def audit_cost(db_url: str, repeats: int = 21) -> float:
    """Seconds the audit trail adds to one import: who the actor is (one query when the
    command starts) and the run's one event (its own write transaction, chained to the
    last), timed on the database the import just filled; the median of ``repeats``."""
    from hotline.accounts.audit import record_event
    from hotline.accounts.services import resolve_actor
    from hotline.store.engine import make_engine
    from hotline.store.uow import unit_of_work

    engine = make_engine(db_url)
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        with engine.connect() as connection:
            actor = resolve_actor(connection, "bench")
        with unit_of_work(engine) as connection:
            record_event(connection, actor, "intake.reports", "bench", after={"rows_read": 1})
        times.append(time.perf_counter() - started)
    engine.dispose()
    return sorted(times)[len(times) // 2]


def fresh_postgres(admin_url: str, name: str) -> str:
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return admin_url.rsplit("/", 1)[0] + f"/{name}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument(
        "--postgres",
        default=os.environ.get("HOTLINE_TEST_PG", "postgresql+psycopg://127.0.0.1:5432/postgres"),
        help="admin URL of a PostgreSQL server; a database hotline_bench is (re)created",
    )
    args = parser.parse_args()
    OUT.mkdir(exist_ok=True)
    feed = OUT / f"feed-{args.rows}.csv"
    results: dict[str, float] = {"rows": args.rows, "cpus": os.cpu_count() or 0}

    if not feed.exists():
        print(f"generating {args.rows:,} rows …", flush=True)
        results["generate_s"] = generate(args.rows, feed)
    print(f"feed: {feed} ({feed.stat().st_size / 1e6:,.0f} MB)", flush=True)

    rate, rows = canonicalisation_rate(feed)
    results["canonicalise_urls_per_s"] = rate
    print(f"canonicalisation alone     {rate:>12,.0f} URLs/s", flush=True)

    baseline = raw_baseline(rows, OUT / "baseline.db")
    del rows
    results["baseline_rows_per_s"] = baseline
    print(f"raw sqlite3 baseline       {baseline:>12,.0f} rows/s", flush=True)

    sqlite_db = OUT / "bench.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{sqlite_db}{suffix}").unlink(missing_ok=True)
    seconds, peak = hotline_ingest(f"sqlite:///{sqlite_db}", feed)
    results["sqlite_rows_per_s"] = args.rows / seconds
    results["sqlite_peak_mb"] = peak / 1e6
    results["sqlite_vs_baseline"] = baseline / results["sqlite_rows_per_s"]
    print(
        f"hotline → SQLite           {args.rows / seconds:>12,.0f} rows/s   "
        f"{baseline / (args.rows / seconds):.2f}× the baseline's time   peak {peak / 1e6:,.0f} MB",
        flush=True,
    )
    audit = audit_cost(f"sqlite:///{sqlite_db}")
    results["sqlite_audit_s"] = audit
    results["sqlite_audit_share"] = audit / seconds
    print(f"  audit trail: {audit * 1000:.1f} ms per import = {audit / seconds:.3%} of it",
          flush=True)  # fmt: skip

    if not args.skip_postgres:
        url = fresh_postgres(args.postgres, "hotline_bench")
        seconds, peak = hotline_ingest(url, feed)
        results["postgres_rows_per_s"] = args.rows / seconds
        results["postgres_peak_mb"] = peak / 1e6
        print(
            f"hotline → PostgreSQL       {args.rows / seconds:>12,.0f} rows/s   "
            f"peak {peak / 1e6:,.0f} MB",
            flush=True,
        )
        audit = audit_cost(url)
        results["postgres_audit_s"] = audit
        results["postgres_audit_share"] = audit / seconds
        print(f"  audit trail: {audit * 1000:.1f} ms per import = {audit / seconds:.3%} of it",
              flush=True)  # fmt: skip
    (OUT / "ingest.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
