"""When RDAP fails for an address, the failure stays visible: ``hotline enrich`` counts the
outcomes by kind and names the failed addresses with their reason, and ``rdap_lookups``
keeps the last outcome of every address (kind, reason, URL) for ``hotline hosting`` to show,
on SQLite and PostgreSQL.

The registries are a real HTTP server on loopback serving the real answers of
tests/vectors/rdap. RDAP skips special-purpose space by design (documentation ranges have
no registrant), so the addresses are those of the vectors and neighbours of them in the same
/8, pointed at loopback by a test bootstrap file; no site is on them and nothing leaves the
machine. Names are reserved (.example).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from hotline.cli import console
from hotline.cli.hosting import print_summary
from hotline.hosting.enrich import Enricher, EnrichOptions, EnrichSummary
from hotline.hosting.models import IpFactsRow
from hotline.hosting.rdap_store import RdapLookup, RdapState, failure_note, rdap_states
from hotline.store.engine import make_engine
from tests.test_cli import hotline
from tests.test_rdap import FakeRegistries, Reply, registries  # noqa: F401

VECTORS = Path(__file__).parent / "vectors" / "rdap"

OK_MODERN = "13.64.0.1"  # ARIN's 2022 answer for 13.64.0.0/11
OK_OLDER = "62.239.237.1"  # the RIPE NCC's 2015 answer: no objectClassName, "/32" suffixes
MALFORMED = "200.57.141.162"
NOT_FOUND = "200.57.141.170"
FORBIDDEN = "200.57.141.180"
SLOW = "200.57.141.190"
ALL = (OK_MODERN, OK_OLDER, MALFORMED, NOT_FOUND, FORBIDDEN)


@pytest.fixture(autouse=True)
def wide_console(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(console.out, "_width", 250)
    monkeypatch.setattr(console.err, "_width", 250)


@pytest.fixture
def world(registries: FakeRegistries, tmp_path: Path) -> Path:  # noqa: F811
    """The registries' answers scripted; returns the bootstrap file pointing at them."""
    registries.script(f"/arin/ip/{OK_MODERN}", Reply(body=(VECTORS / "arin-ip.json").read_bytes()))
    registries.script(
        f"/ripe/ip/{OK_OLDER}", Reply(body=(VECTORS / "ripe-2015-ipv4.json").read_bytes())
    )
    registries.script(f"/lacnic/ip/{MALFORMED}", Reply(body=b"{not json"))
    registries.script(f"/lacnic/ip/{FORBIDDEN}", Reply(403, b'{"errorCode": 403}'))
    # NOT_FOUND: nothing scripted, the server answers 404
    base = registries.base
    bootstrap = tmp_path / "ipv4.json"
    bootstrap.write_text(
        json.dumps(
            {"version": "1.0", "publication": "2026-12-01T00:00:00Z",
             "services": [[["13.0.0.0/8"], [f"{base}/arin/"]],
                          [["62.0.0.0/8"], [f"{base}/ripe/"]],
                          [["200.0.0.0/8"], [f"{base}/lacnic/"]]]}
        ),
        encoding="utf-8",
    )  # fmt: skip
    return bootstrap


def _ingest(db_url: str, tmp_path: Path, ips: tuple[str, ...]) -> None:
    pdns = tmp_path / "pdns.jsonl"
    pdns.write_text(
        "".join(
            json.dumps({"rrname": "rdap-probe.example", "rrtype": "A", "rdata": [ip],
                        "time_first": 1767225600, "time_last": 1767312000}) + "\n"
            for ip in ips
        ),
        encoding="utf-8",
    )  # fmt: skip
    assert hotline(db_url, "-q", "ingest", "pdns", str(pdns)).code == 0


def test_enrich_counts_and_names_the_failures_and_stores_them(
    db_url: str, tmp_path: Path, world: Path
) -> None:
    _ingest(db_url, tmp_path, ALL)
    run = hotline(db_url, "enrich", "--rdap", "--rdap-bootstrap", str(world))
    assert run.code == 0, run.err

    # the summary: outcomes by kind, then each failed address with its reason
    assert "RDAP: error 1, malformed 1, not_found 1, ok 2" in run.out
    assert "RDAP failed for 3 address(es)" in run.out
    shown = dict(re.findall(r"^\s+(\d+\.\d+\.\d+\.\d+): (RDAP failed .*)$", run.out, re.M))
    assert set(shown) == {MALFORMED, NOT_FOUND, FORBIDDEN}
    assert shown[MALFORMED].startswith("RDAP failed (malformed): not JSON")
    assert shown[NOT_FOUND].startswith("RDAP failed (not_found): HTTP 404")
    assert shown[FORBIDDEN] == "RDAP failed (error): HTTP 403"

    engine = make_engine(db_url)
    with engine.connect() as connection:
        stored = {row.ip: row for row in connection.execute(select(RdapLookup.__table__))}
        facts = {row.ip: row for row in connection.execute(select(IpFactsRow.__table__))}
        states = rdap_states(connection, [*ALL, "198.51.100.1"])
    engine.dispose()

    assert set(stored) == set(ALL)
    assert {ip: row.status for ip, row in stored.items()} == {
        OK_MODERN: "ok", OK_OLDER: "ok", MALFORMED: "malformed", NOT_FOUND: "not_found",
        FORBIDDEN: "error",
    }  # fmt: skip
    assert stored[OK_MODERN].error is None
    assert stored[OK_MODERN].url.endswith(f"/arin/ip/{OK_MODERN}")
    assert stored[MALFORMED].error.startswith("not JSON")
    assert stored[FORBIDDEN].error == "HTTP 403"
    assert all(row.attempts == 1 and row.fetched_at.tzinfo is not None for row in stored.values())
    # ip_facts agrees, and the older RIPE answer gave its abuse contacts
    assert {ip: facts[ip].rdap_status for ip in ALL} == {ip: stored[ip].status for ip in ALL}
    assert facts[OK_OLDER].abuse_emails == [
        "zzdnsr@bt.com", "steve.a.marshall@bt.com", "lee.bailey-hague@bt.com"
    ]  # fmt: skip
    assert facts[OK_OLDER].rdap_network == "BT-CORPORATE"

    # what `hotline hosting` reads: one state per address asked about, a note when failed
    assert set(states) == set(ALL)  # 198.51.100.1 was never asked
    assert states[OK_MODERN].note is None
    assert not states[OK_OLDER].failed
    assert states[MALFORMED].failed
    assert states[MALFORMED].note == shown[MALFORMED]
    assert states[FORBIDDEN].note == "RDAP failed (error): HTTP 403"

    # and `hotline hosting` says so beside each address, instead of a blank
    shown_hosting = hotline(db_url, "hosting", "rdap-probe.example")
    assert shown_hosting.code == 0, shown_hosting.err
    lines = {ip: line for line in shown_hosting.out.splitlines() for ip in ALL if ip in line}
    assert "RDAP failed (error): HTTP 403" in lines[FORBIDDEN]
    assert "RDAP failed (not_found)" in lines[NOT_FOUND]
    assert "RDAP failed" not in lines[OK_MODERN]


def test_a_failure_is_kept_until_a_later_look_up_succeeds(
    db_url: str,
    tmp_path: Path,
    registries: FakeRegistries,  # noqa: F811
    world: Path,
) -> None:
    _ingest(db_url, tmp_path, (MALFORMED,))
    first = hotline(db_url, "enrich", "--rdap", "--rdap-bootstrap", str(world))
    assert "RDAP: malformed 1" in first.out
    # within the retry pause nothing is asked again and the failure stays
    again = hotline(db_url, "enrich", "--rdap", "--rdap-bootstrap", str(world))
    assert "RDAP:" not in again.out
    engine = make_engine(db_url)
    with engine.connect() as connection:
        assert rdap_states(connection, [MALFORMED])[MALFORMED].status == "malformed"

    # the registry mends its answer; a run after the pause replaces the failure
    registries.script(
        f"/lacnic/ip/{MALFORMED}", Reply(body=(VECTORS / "lacnic-ip.json").read_bytes())
    )
    options = EnrichOptions(rdap=True, rdap_bootstrap=[world], rdap_retry_after=timedelta(0))
    enricher = Enricher(engine, options)
    try:
        summary = enricher.run()
    finally:
        enricher.close()
    assert summary.rdap_by_status == Counter({"ok": 1})
    assert summary.rdap_failures == []
    with engine.connect() as connection:
        state = rdap_states(connection, [MALFORMED])[MALFORMED]
        rows = connection.execute(select(RdapLookup.ip)).all()
    engine.dispose()
    assert (state.status, state.error, state.note) == ("ok", None, None)
    assert len(rows) == 1  # replaced, not added


def test_a_timeout_is_stored_with_its_reason(
    db_url: str,
    tmp_path: Path,
    registries: FakeRegistries,  # noqa: F811
    world: Path,
) -> None:
    registries.script(f"/lacnic/ip/{SLOW}", Reply(body=b"{}", delay=1.5))
    _ingest(db_url, tmp_path, (SLOW,))
    engine = make_engine(db_url)
    options = EnrichOptions(rdap=True, rdap_bootstrap=[world], rdap_timeout=0.3, rdap_attempts=1)
    enricher = Enricher(engine, options)
    try:
        summary = enricher.run()
    finally:
        enricher.close()
    assert summary.rdap_by_status == Counter({"timeout": 1})
    with engine.connect() as connection:
        state = rdap_states(connection, [SLOW])[SLOW]
    engine.dispose()
    assert state.status == "timeout"
    assert state.note is not None
    assert state.note.startswith("RDAP failed (timeout): timed out after 0.3s")
    assert summary.rdap_failures == [(SLOW, state.note)]


def test_the_summary_shows_at_most_ten_failures(capsys: pytest.CaptureFixture[str]) -> None:
    summary = EnrichSummary(rdap_by_status=Counter({"timeout": 12, "ok": 3}))
    summary.rdap_failures = [
        (f"203.0.113.{n}", "RDAP failed (timeout): timed out after 10s") for n in range(10)
    ]
    print_summary(summary)
    out = capsys.readouterr().out
    assert "RDAP: ok 3, timeout 12" in out
    assert out.count("RDAP failed (timeout)") == 10
    assert "… and 2 more RDAP failure(s)" in out
    assert "RDAP failed for 12 address(es)" in out


@pytest.mark.parametrize(
    ("status", "error", "note"),
    [
        ("ok", None, None),
        ("timeout", "timed out after 10s (ReadTimeout)",
         "RDAP failed (timeout): timed out after 10s (ReadTimeout)"),
        ("no_registry", None, "RDAP failed (no_registry): no_registry"),
        ("malformed", "not JSON:\nline 2", "RDAP failed (malformed): not JSON: line 2"),
    ],
)  # fmt: skip
def test_failure_note(status: str, error: str | None, note: str | None) -> None:
    assert failure_note(status, error) == note
    state = RdapState("203.0.113.1", status, error, None, 0, datetime.now(UTC))
    assert state.note == note
    assert state.failed == (note is not None)
