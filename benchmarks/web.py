"""The web application under load: lookups and site pages with many clients at once.

    python -m benchmarks.web                         # medium world, SQLite, 50 clients
    python -m benchmarks.web --think 0               # the same clients without pauses
    python -m benchmarks.web --scale small --workers 1
    python -m benchmarks.web --db postgresql://127.0.0.1/hotline_bench   # an empty database
    python -m benchmarks.web --attribute-during 10   # an analyst re-runs attribution meanwhile

A synthetic world (``--scale``, medium by default: about 100,000 sites) is loaded into a
fresh database, a user with a password and an API token is added, and ``hotline serve`` runs
in a subprocess (uvicorn, ``--workers``). Loading the medium world takes minutes; on SQLite
the loaded database is kept in benchmarks/out and copied for later runs of the same world
and schema. Then ``--clients`` threads, each with its own HTTP connection, ask in turn a
lookup of a reported URL (``GET /api/v1/lookup``) and a site page (``GET /sites/KEY``, HTML,
signed in, with the evidence), on sites drawn at random.

Each client is a person at work: after each answer it pauses ``--think`` seconds (drawn from
an exponential distribution with that mean, 3 s by default — a glance at a page, not a read
— so 50 clients ask about 16 times a second together, in bursts as independent people
do). ``--think 0`` makes every client ask again at once: that measures how much the server
can take (requests a second) rather than how fast a team is served.
Reported: requests per second and the p50 / p95 / p99 latency per kind.

``--attribute-during S`` runs ``hotline attribute`` on the same database S seconds into the
load: a new run makes every worker's index of carriers stale, so pages count in the
database until the workers have rebuilt it (at most once a minute, in the background).
Reported beside the rest: the run's seconds, and the latency of the requests that started
while the run and the rebuild after it were under way (the run's start to 30 s after its
end) apart from the others.

**Baseline measured in the same run**: the same answers built in-process, one at a time,
with no HTTP (``hotline.web.views`` on one connection, with the index of carriers a server
builds at start): what the data costs, so the rest is what serving it to many clients at
once costs.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import Engine, text

from hotline import pipeline
from hotline.accounts import credentials
from hotline.accounts.roles import Role, local_admin
from hotline.accounts.services import add_organisation, add_user
from hotline.attribution.carrier_index import INDEXES
from hotline.attribution.queries import keep_carrier_index
from hotline.captures.extractors.payments import ProcessorTable
from hotline.hosting import providers as provider_table
from hotline.hosting.enrich import EnrichOptions
from hotline.store.engine import make_engine
from hotline.store.migrate import head_revision, upgrade
from hotline.store.uow import unit_of_work
from hotline.synth.generate import generate
from hotline.web import views

OUT = Path(__file__).with_name("out")
PASSWORD = "benchmark password, synthetic"  # noqa: S105 -- a throwaway benchmark account


def load(engine: Engine, world: Path) -> str:
    """The world into the store, one organisation owning every source, one admin; returns
    the admin's API token."""
    seeder = local_admin("bench")
    pipeline.import_reports(engine, seeder, [world / "reports.csv"])
    files = sorted((world / "captures").glob("*.warc.gz"))
    for _ in pipeline.import_captures(
        engine, seeder, files, ProcessorTable.load(world / "processors.json")
    ):
        pass
    pipeline.save_providers(engine, seeder, provider_table.read_csv(world / "providers.csv"))
    pipeline.import_pdns(engine, seeder, [world / "pdns.jsonl"])
    geoip = world / "geoip"
    pipeline.enrich(engine, seeder, EnrichOptions(geoip_db=geoip / "country.mmdb",
                    asn_db=geoip / "asn.mmdb", cdn_lists=[world / "cdn.json"]))  # fmt: skip
    pipeline.attribute(engine, seeder)
    with unit_of_work(engine) as connection:
        sources = [row[0] for row in connection.execute(text("SELECT code FROM sources"))]
        add_organisation(connection, seeder, "bench-hotline", sources)
        add_user(connection, seeder, "bench", [("bench-hotline", Role.ADMIN)])
        credentials.set_password(connection, seeder, "bench", PASSWORD)
        return credentials.issue_token(connection, seeder, "bench", "bench", "read")


def targets(engine: Engine) -> tuple[list[str], list[str]]:
    """Reported URLs and site keys to ask for."""
    with engine.connect() as connection:
        urls = [r[0] for r in connection.execute(text("SELECT canonical FROM urls ORDER BY id"))]
        sites = [r[0] for r in connection.execute(text("SELECT key FROM sites ORDER BY id"))]
    return urls, sites


def baseline(engine: Engine, urls: list[str], sites: list[str], count: int) -> dict[str, Any]:
    """The same answers, in-process, one at a time: the cost of the data itself."""
    rng = random.Random(7)
    times: dict[str, list[float]] = {"lookup": [], "site": []}
    with engine.connect() as connection:
        for _ in range(count):
            started = time.perf_counter()
            views.lookup(connection, rng.choice(urls), "bench-hotline")
            times["lookup"].append(time.perf_counter() - started)
            key = rng.choice(sites)
            started = time.perf_counter()
            views.site_detail(connection, key, "bench-hotline", 100, 0, evidence=True)
            views.site_selectors(connection, key)
            views.site_timeline(connection, key)
            times["site"].append(time.perf_counter() - started)
    return {kind: _summary(values) for kind, values in times.items()}


def _summary(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)

    def at(share: float) -> float:
        return round(1000 * ordered[min(len(ordered) - 1, int(share * len(ordered)))], 2)

    return {"count": len(values), "p50_ms": at(0.50), "p95_ms": at(0.95), "p99_ms": at(0.99),
            "mean_ms": round(1000 * statistics.fmean(values), 2)}  # fmt: skip


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def serve(db_url: str, port: int, workers: int, uploads: Path) -> subprocess.Popen[bytes]:
    command = [
        sys.executable, "-m", "hotline.cli.app", "--db", db_url, "--quiet", "serve",
        "--port", str(port), "--workers", str(workers), "--uploads", str(uploads),
    ]  # fmt: skip
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                              start_new_session=True)  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/sign-in", timeout=1).status_code == 200:
                return server
        except httpx.HTTPError:
            time.sleep(0.2)
    server.kill()
    said = server.stderr.read() if server.stderr else b""
    raise RuntimeError("the server did not start: " + said.decode()[-500:])


def session_cookie(base: str) -> str:
    with httpx.Client(base_url=base) as client:
        form = client.get("/sign-in").text
        secret = re.search(r'name="csrf" value="([^"]+)"', form)
        assert secret
        client.post("/sign-in", data={"name": "bench", "password": PASSWORD,
                                      "csrf": secret.group(1)})  # fmt: skip
        return str(client.cookies["hotline_session"])


def load_test(base: str, token: str, cookie: str, urls: list[str], sites: list[str],
              clients: int, requests: int, think: float,
              during: Any = None) -> dict[str, Any]:  # fmt: skip
    """``during``, if given, is started in a thread as the clients start and returns the
    (start, end) of a window of ``time.perf_counter()`` whose requests are reported apart."""
    times: dict[str, list[float]] = {"lookup": [], "site": []}
    started_at: dict[str, list[float]] = {"lookup": [], "site": []}
    window: list[tuple[float, float]] = []
    errors: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(clients)

    def client(number: int) -> None:
        rng = random.Random(number)
        mine: dict[str, list[float]] = {"lookup": [], "site": []}
        began: dict[str, list[float]] = {"lookup": [], "site": []}
        with httpx.Client(base_url=base, timeout=60, cookies={"hotline_session": cookie},
                          headers={"Authorization": f"Bearer {token}"}) as http:  # fmt: skip
            start.wait()
            for index in range(requests):
                if think > 0:  # a person reads the answer before asking the next question
                    time.sleep(rng.expovariate(1 / think))
                if index % 2 == 0:
                    kind, path, params = "lookup", "/api/v1/lookup", {"q": rng.choice(urls)}
                    headers: dict[str, str] = {}
                else:  # a page: the cookie session, not the token
                    kind, path, params = "site", f"/sites/{rng.choice(sites)}", {}
                    headers = {"Authorization": ""}
                started = time.perf_counter()
                try:
                    response = http.get(path, params=params, headers=headers)
                except httpx.TransportError as error:
                    # the server closed an idle kept-alive connection as this request went
                    # out (uvicorn keeps them 5 s): counted, and asked again as a browser does
                    with lock:
                        errors.append(f"{kind} {type(error).__name__}")
                    response = http.get(path, params=params, headers=headers)
                mine[kind].append(time.perf_counter() - started)
                began[kind].append(started)
                if response.status_code != 200:
                    with lock:
                        errors.append(f"{kind} {response.status_code}")
        with lock:
            for kind, values in mine.items():
                times[kind].extend(values)
                started_at[kind].extend(began[kind])

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    if during is not None:
        threads.append(threading.Thread(target=lambda: window.append(during())))
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - started
    total = sum(len(v) for v in times.values())
    found = {"clients": clients, "think_s": think, "requests": total,
             "seconds": round(seconds, 2), "per_s": round(total / seconds, 1),
             "errors": len(errors), "error_examples": sorted(set(errors))[:5],
             **{kind: _summary(values) for kind, values in times.items()}}  # fmt: skip
    if window:
        low, high = window[0]
        for kind in times:
            inside = [t for t, at in zip(times[kind], started_at[kind], strict=True)
                      if low <= at <= high]  # fmt: skip
            outside = [t for t, at in zip(times[kind], started_at[kind], strict=True)
                       if not low <= at <= high]  # fmt: skip
            found[f"{kind}_during_run"] = _summary(inside) if inside else None
            found[f"{kind}_otherwise"] = _summary(outside) if outside else None
    return found


def attribute_later(db_url: str, delay: float) -> Any:
    """A task for ``load_test``: ``hotline attribute`` after ``delay`` seconds; returns the
    window of requests to report apart (the run, and 30 s for the workers to rebuild)."""

    def run() -> tuple[float, float]:
        time.sleep(delay)
        began = time.perf_counter()
        subprocess.run([sys.executable, "-m", "hotline.cli.app", "--db", db_url, "--quiet",
                        "--as", "bench", "attribute"], check=True,
                       stdout=subprocess.DEVNULL)  # fmt: skip
        ended = time.perf_counter()
        print(json.dumps({"attribute_s": round(ended - began, 1)}), file=sys.stderr)
        return began, ended + 30.0

    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", help="An empty PostgreSQL database (default: SQLite, temporary).")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--requests", type=int, default=20, help="Per client.")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--scale", default="medium", choices=("small", "medium"))
    parser.add_argument(
        "--think",
        type=float,
        default=3.0,
        help="Mean pause of a client between requests, seconds (0: none).",
    )
    parser.add_argument(
        "--attribute-during",
        type=float,
        metavar="S",
        help="Run `hotline attribute` S seconds into the load (its requests reported apart).",
    )
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="hotline-bench-web-") as scratch:
        folder = Path(scratch)
        db_url = options.db or f"sqlite:///{folder / 'web.db'}"
        kept = OUT / f"web-{options.scale}-{options.seed}-{head_revision()}.db"
        if options.db is None and kept.exists():
            shutil.copyfile(kept, folder / "web.db")
            shutil.copyfile(kept.with_suffix(".token"), folder / "token")
            engine = make_engine(db_url)
        else:
            engine = make_engine(db_url)
            upgrade(engine)
            generate(options.seed, options.scale, folder / "world")
            (folder / "token").write_text(load(engine, folder / "world"))
            if engine.dialect.name == "postgresql":
                # fresh statistics, as autovacuum would give a store in use: right after a
                # bulk load the planner has none, and one evidence query ran for minutes
                autocommit = engine.execution_options(isolation_level="AUTOCOMMIT")
                with autocommit.connect() as connection:
                    connection.execute(text("ANALYZE"))
            if options.db is None:
                OUT.mkdir(exist_ok=True)
                engine.dispose()
                shutil.copyfile(folder / "web.db", kept)
                shutil.copyfile(folder / "token", kept.with_suffix(".token"))
        token = (folder / "token").read_text()
        urls, sites = targets(engine)
        # as the server does at start: the index of carriers the evidence is counted from
        started = time.perf_counter()
        keep_carrier_index(engine)
        index_s = round(time.perf_counter() - started, 2)
        base_line = baseline(engine, urls, sites, 200)
        INDEXES.forget()
        engine.dispose()
        port = _free_port()
        server = serve(db_url, port, options.workers, folder / "uploads")
        try:
            base = f"http://127.0.0.1:{port}"
            during = (
                attribute_later(db_url, options.attribute_during)
                if options.attribute_during is not None
                else None
            )
            loaded = load_test(base, token, session_cookie(base), urls, sites,
                               options.clients, options.requests, options.think,
                               during)  # fmt: skip
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)
    result = {"database": "postgresql" if options.db else "sqlite", "workers": options.workers,
              "scale": options.scale,
              "sites": len(sites), "urls": len(urls), "carrier_index_build_s": index_s,
              "baseline_in_process": base_line,
              "served": loaded}  # fmt: skip
    OUT.mkdir(exist_ok=True)
    (OUT / "web.json").write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
