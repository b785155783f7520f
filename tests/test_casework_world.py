"""The acceptance of casework: on a synthetic world, the time-to-removal statistics hotline
computes from the imported files equal the generator's truth exactly (SQLite, PostgreSQL).

The world's decisions, clearances, partners' removal confirmations and analysts' checks are
imported as a hotline would import them, and ``casework run`` is run at every moment a
decision or clearance took effect, as a hotline running it daily would have. The generator
computed its statistics with its own code (``hotline.synth.casework``), so nothing here
compares hotline with itself.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest
from sqlalchemy import Engine, select

from hotline.accounts.roles import local_admin
from hotline.casework.advance import run
from hotline.casework.models import Case
from hotline.casework.queries import decision_moments, stats
from hotline.casework.rules import load_rules
from hotline.intake.models import Url
from hotline.synth.generate import generate
from hotline.synth.world import WORLD_END
from tests.test_cli import hotline

SEED = 7


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("casework-world")
    generate(SEED, "small", out)
    return out


def _load(db_url: str, world: Path) -> None:
    assert hotline(db_url, "-q", "ingest", "reports", str(world / "reports.csv")).code == 1
    warcs = sorted(str(p) for p in (world / "captures").glob("*.warc.gz"))
    assert hotline(db_url, "-q", "ingest", "captures", *warcs).code == 0
    assert hotline(db_url, "-q", "ingest", "pdns", str(world / "pdns.jsonl")).code == 0
    geo = world / "geoip"
    databases = ["--geoip-db", str(geo / "country.mmdb"), "--asn-db", str(geo / "asn.mmdb"),
                 "--cdn-list", str(world / "cdn.json")]  # fmt: skip
    enrich = hotline(db_url, "-q", "enrich", *databases)
    assert enrich.code == 0, enrich.err
    folder = world / "casework"
    for kind, name in (("decisions", "decisions.jsonl"), ("clearances", "clearances.jsonl"),
                       ("removals", "removals.csv"), ("checks", "checks.jsonl")):  # fmt: skip
        imported = hotline(db_url, "-q", "casework", "import", kind, str(folder / name))
        assert imported.code == 0, imported.err  # nothing refused


def _replay(engine: Engine, world: Path, out: Path) -> None:
    rules = load_rules(world / "casework" / "rules.toml")
    # Repeats to providers that never act change no first notice and no first removal; a
    # hotline would send one a day for months. The replay leaves them out to stay quick
    # (test_casework.py holds re-notices and escalation to their interval).
    rules = dataclasses.replace(rules, renotice_hours=24 * 3650)
    actor = local_admin("replay")
    with engine.connect() as connection:
        moments = decision_moments(connection)
    assert len(moments) > 100
    # the store is this test's own and every fact was imported first: no look-back is needed,
    # so each run replays only what moved since the one before, as daily runs do
    for moment in moments:
        run(engine, actor, rules, out, now=moment, lookback=timedelta(0))
    run(engine, actor, rules, out, now=WORLD_END.astimezone(UTC), lookback=timedelta(0))


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def test_time_to_removal_equals_the_generators_truth(
    db_url: str, engine: Engine, world: Path, tmp_path: Path
) -> None:
    _load(db_url, world)
    _replay(engine, world, tmp_path / "notices")
    truth: dict[str, Any] = orjson.loads((world / "casework-truth.json").read_bytes())
    with engine.connect() as connection:
        got = {
            "overall": {s.key: s.as_dict() for s in stats(connection, "overall")}.get("all"),
            "by_country": {s.key: s.as_dict() for s in stats(connection, "country")},
            "by_provider": {s.key: s.as_dict() for s in stats(connection, "provider")},
        }
        cases = {
            row.canonical: row
            for row in connection.execute(
                select(Url.canonical, Case.first_notice_at, Case.removed_at, Case.gone_at,
                       Case.reappearances, Case.state).join(Case, Case.url_id == Url.id)
            )
        }  # fmt: skip
    expected = truth["stats"]
    assert expected["overall"]["noticed"] > 500  # a world with something to measure
    assert got["overall"] == expected["overall"]
    assert got["by_country"] == expected["by_country"]
    assert got["by_provider"] == expected["by_provider"]
    # and URL by URL: the same first notice, removal and re-appearance
    assert set(cases) == set(truth["urls"])
    wrong = []
    for url, entry in truth["urls"].items():
        case = cases[url]
        removed = case.removed_at if case.first_notice_at is not None else case.gone_at
        mine = (_iso(case.first_notice_at), _iso(removed), case.reappearances > 0)
        if mine != (entry["noticed_at"], entry["removed_at"], entry["reappeared"]):
            wrong.append((url, mine, entry))
    assert wrong == []
    states = {entry["state"] for entry in truth["urls"].values()}
    assert {"removed", "notified", "gone-before-notice", "not-illegal"} <= states
