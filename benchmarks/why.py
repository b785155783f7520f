"""``hotline why``'s answer for the sites whose names the most other sites share.

    python -m benchmarks.why                  # medium world, seed 6, every phenomenon
    python -m benchmarks.why --sites 5 --repeat 3

Uses the database `benchmarks.attribute_command` builds (cached), on a copy attributed once
with the ``hotline`` console script. For each of the ``--sites`` sites carrying the most
widely shared brand names, it times ``site_answer`` (what ``hotline why`` and the site page
show; best of ``--repeat`` after one warm-up) twice: as shipped, and with the page-name read
(``site_page_names``, which reads every name and normal page title of the sites sharing the
site's names) replaced by an empty answer — the **baseline**, measured in the same process.
One JSON line per site, then the median ratio.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sqlite3
import statistics
import subprocess
import time

from sqlalchemy import Connection, create_engine

import hotline.attribution.queries as queries
from benchmarks.attribute_command import build, hotline
from hotline.attribution.links import PageNames
from hotline.synth.phenomena import PHENOMENA

_WIDEST = (
    "SELECT sv.id, COUNT(*) FROM site_selectors ss JOIN selectors sv ON sv.id = ss.selector_id "
    "WHERE sv.kind = 'brand_text' GROUP BY sv.id ORDER BY COUNT(*) DESC LIMIT ?"
)
_ONE_CARRIER = "SELECT s.key FROM site_selectors ss JOIN sites s ON s.id = ss.site_id " \
    "WHERE ss.selector_id = ? ORDER BY s.key LIMIT 1"  # fmt: skip


def _best(connection: Connection, site: str, repeat: int) -> float:
    queries.site_answer(connection, site)  # warm-up: the run's notes, the carrier counts
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        queries.site_answer(connection, site)
        times.append(time.perf_counter() - started)
    return min(times)


def _no_page_names(connection: Connection, site: str) -> PageNames:
    del connection, site
    return PageNames({}, {}, {}, {})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sites", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    base, _held = build("medium", 6, 1000, frozenset(PHENOMENA))
    db = base.with_name("why.sqlite")
    shutil.copyfile(base, db)
    subprocess.run(hotline(db, "--quiet", "attribute"), check=True, capture_output=True)
    with sqlite3.connect(db) as plain:
        widest = plain.execute(_WIDEST, (args.sites,)).fetchall()
        chosen = [(plain.execute(_ONE_CARRIER, (sid,)).fetchone()[0], n) for sid, n in widest]
    engine = create_engine(f"sqlite:///{db}")
    namespace = vars(queries)  # the module's own globals: what _evidence looks up
    shipped = namespace["site_page_names"]
    ratios = []
    with engine.connect() as connection:
        for site, sharing in chosen:
            seconds = _best(connection, site, args.repeat)
            namespace["site_page_names"] = _no_page_names
            baseline = _best(connection, site, args.repeat)
            namespace["site_page_names"] = shipped
            ratios.append(seconds / baseline)
            row = {
                "site": site,
                "name_shared_by": sharing,
                "seconds": round(seconds, 3),
                "baseline_seconds": round(baseline, 3),
                "ratio": round(seconds / baseline, 2),
            }
            print(json.dumps(row), flush=True)
    engine.dispose()
    print(json.dumps({"median_ratio": round(statistics.median(ratios), 2)}))


if __name__ == "__main__":
    main()
