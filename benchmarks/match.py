"""``hotline match`` at scale: every captured medium against a one-million-entry list.

    python -m benchmarks.match                         # 200,000 media, 1,000,000 entries
    python -m benchmarks.match --media 50000 --entries 100000 --db postgresql://...

Builds a fresh store (SQLite by default) holding ``--media`` media rows — random MD5, SHA-1,
SHA-256 and PDQ with quality, on a few thousand sites, as the captures importer would write
them — and a CSV list of ``--entries`` entries (a quarter of each hash kind; 1 % of them
copies or PDQ near-copies of stored media, so there is something to find), then times:
importing the list through ``hotline lists import``'s service, the first ``hotline match``
(everything against everything), and a rerun with nothing new. The baseline measured in the
same run is the floor of the work: reading every media row and every entry row back from the
store. Prints one JSON line.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import insert, select

from hotline.accounts.roles import local_admin
from hotline.captures.models import MediaHash
from hotline.hashes import matching, services
from hotline.hashes.models import HashEntry
from hotline.intake.models import Site
from hotline.store.engine import make_engine
from hotline.store.migrate import upgrade
from hotline.store.uow import unit_of_work

WHEN = datetime(2026, 6, 1, tzinfo=UTC)


def _hex(rng: random.Random, bits: int) -> str:
    return f"{rng.getrandbits(bits):0{bits // 4}x}"


def _near(pdq: str, bits: int, rng: random.Random) -> str:
    value = int(pdq, 16)
    for bit in rng.sample(range(256), bits):
        value ^= 1 << bit
    return f"{value:064x}"


def build(url: str, media: int, entries: int, folder: Path, seed: int) -> tuple[Path, int]:
    rng = random.Random(seed)
    engine = make_engine(url)
    upgrade(engine)
    sites = max(1, media // 50)
    with unit_of_work(engine) as connection:
        connection.execute(
            insert(Site), [{"key": f"s{i}.test", "kind": "domain"} for i in range(sites)]
        )
        site_ids = [int(i) for (i,) in connection.execute(select(Site.id))]
        rows = []
        for n in range(media):
            rows.append(
                {
                    "record_id": f"<urn:uuid:{n:032x}>",
                    "site_id": site_ids[n % len(site_ids)],
                    "uri": f"https://s{n % len(site_ids)}.test/img/{n}.png",
                    "captured_at": WHEN,
                    "media_type": "image/png",
                    "size": 1000,
                    "md5": _hex(rng, 128),
                    "sha1": _hex(rng, 160),
                    "sha256": _hex(rng, 256),
                    "pdq": _hex(rng, 256),
                    "pdq_quality": rng.randint(40, 100),
                    "is_favicon": False,
                }
            )
            if len(rows) == 20_000:
                connection.execute(insert(MediaHash), rows)
                rows = []
        if rows:
            connection.execute(insert(MediaHash), rows)
        stored = connection.execute(
            select(MediaHash.md5, MediaHash.sha1, MediaHash.sha256, MediaHash.pdq).limit(
                max(1, entries // 100)
            )
        ).all()
    engine.dispose()
    path = folder / "list.csv"
    kinds = ("md5", "sha1", "sha256", "pdq")
    bits = {"md5": 128, "sha1": 160, "sha256": 256, "pdq": 256}
    planted = 0
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(("kind", "value", "scheme", "code", "series", "id"))
        for n in range(entries):
            kind = kinds[n % 4]
            if n % 100 == 0 and planted < len(stored):
                kind = kinds[planted % 4]  # every kind planted in turn
                md5, sha1, sha256, pdq = stored[planted]
                planted += 1
                exact = {"md5": md5, "sha1": sha1, "sha256": sha256}.get(kind)
                value = exact or _near(str(pdq), rng.randint(0, 40), rng)
            else:
                value = _hex(rng, bits[kind])
            writer.writerow((kind, value, "", "", "", f"e{n}"))
    return path, planted


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--media", type=int, default=200_000)
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--db", help="a database URL (default: a new SQLite file)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as temporary:
        folder = Path(temporary)
        url = args.db or f"sqlite:///{folder / 'match.db'}"
        started = time.perf_counter()
        path, planted = build(url, args.media, args.entries, folder, args.seed)
        row: dict[str, object] = {
            "media": args.media,
            "entries": args.entries,
            "planted": planted,
            "build_s": round(time.perf_counter() - started, 1),
        }
        engine = make_engine(url)
        actor = local_admin("bench")
        started = time.perf_counter()
        summary = services.import_list(engine, actor, path, "bench", create_kind="known")
        row["import_list_s"] = round(time.perf_counter() - started, 1)
        row["imported"] = summary.added
        started = time.perf_counter()
        with engine.connect() as connection:
            media_rows = len(connection.execute(select(MediaHash.md5, MediaHash.pdq)).all())
            entry_rows = len(connection.execute(select(HashEntry.value)).all())
        baseline = time.perf_counter() - started
        row["baseline_read_s"] = round(baseline, 2)
        assert (media_rows, entry_rows) == (args.media, summary.added)
        started = time.perf_counter()
        first = matching.match(engine, actor)
        seconds = time.perf_counter() - started
        row["match_s"] = round(seconds, 1)
        row["matches"] = first.matches
        started = time.perf_counter()
        again = matching.match(engine, actor)
        row["rerun_s"] = round(time.perf_counter() - started, 2)
        row["rerun_matches"] = again.matches
        row["match_vs_baseline"] = round(seconds / baseline, 1)
        engine.dispose()
    print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
