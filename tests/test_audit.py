"""Accounts and the audit trail, on SQLite and PostgreSQL: every write command leaves exactly
one well-formed event with the right actor; a viewer is refused (exit 2) and the refusal is
audited; the hash chain names the first edited, removed or moved event; PostgreSQL refuses
UPDATE and DELETE on the trail."""

from __future__ import annotations

import csv
import itertools
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer.main
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Engine, func, select, text
from sqlalchemy.exc import DBAPIError

from hotline.accounts.audit import (
    GENESIS,
    Entry,
    canonical_json,
    event_hash,
    record_event,
    record_events,
    verify,
)
from hotline.accounts.models import AuditEvent
from hotline.accounts.roles import Actor, Role, local_admin
from hotline.cli.app import app
from hotline.store.uow import unit_of_work
from hotline.synth.generate import generate
from tests.test_cli import Run, hotline, runner

# Every command of the CLI, by its full name: the audit action a write leaves, or None for
# a command that writes nothing to the store. A new command must be added here, so nobody
# can add a write that escapes the trail.
COMMANDS: dict[str, str | None] = {
    "init": None,  # schema migration: a deployment step, not an analyst's write
    "demo": None,  # its own fresh database
    "synth": None,
    "score": None,
    "selectors": None,
    "hosting": None,
    "why": None,
    "quarantine list": None,
    "quarantine show": None,
    "export urls": None,
    "export selectors": None,
    "export sites": None,
    "providers list": None,
    "orgs list": None,
    "users list": None,
    "audit list": None,
    "audit verify": None,
    "audit head": None,
    "ingest reports": "intake.reports",
    "ingest captures": "captures.import",
    "ingest pdns": "hosting.pdns",
    "enrich": "hosting.enrich",
    "attribute": "attribution.run",
    "link": "attribution.link",
    "unlink": "attribution.unlink",
    "label": "attribution.label_",
    "providers set": "providers.set",
    "providers import": "providers.set",
    "providers remove": "providers.remove",
    "report": "strategic.assessment",
    "orgs add": "orgs.add",
    "users add": "users.add",
    "users grant": "users.grant",
    "users disable": "users.disable",
    "users password": "users.password",
    "tokens add": "tokens.add",
    "tokens list": None,
    "tokens revoke": "tokens.revoke",
    "serve": None,  # the web application audits its own writes and sign-ins (test_web.py)
    "lists import": "lists.import",
    "lists list": None,
    "lists disable": "lists.disable",
    "lists enable": "lists.enable",
    "lists export": None,
    "match": "match",
    "export matches": None,
    "lists held": None,
    "lists show": None,
    "lists release": "match.release",
    "casework schemes": "casework.scheme",  # lists them; with --import it writes
    "casework classify": "casework.classify",
    "casework import": "casework.import",
    "casework clear": "casework.clear",
    "casework check": "casework.check",
    "casework run": "casework.run",  # also one event per notice and state change (test_casework)
    "casework queue": None,
    "casework show": None,
    "casework notices": None,
    "casework stats": None,
    "export cases": None,
}


def _command_names(group: Any, prefix: str = "") -> Iterator[str]:
    for name, command in group.commands.items():
        if hasattr(command, "commands"):  # a group of commands
            yield from _command_names(command, f"{prefix}{name} ")
        else:
            yield f"{prefix}{name}"


def test_every_command_is_classified_as_a_write_or_not() -> None:
    group = typer.main.get_command(app)
    assert sorted(_command_names(group)) == sorted(COMMANDS)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("audit-world")
    generate(43, "small", out)
    return out


def _events(engine: Engine) -> list[Any]:
    with engine.connect() as connection:
        return list(connection.execute(select(AuditEvent).order_by(AuditEvent.id)).all())


def _people(db_url: str) -> None:
    """alice admin, ana analyst, vic viewer, all in hotline-north."""
    assert hotline(db_url, "orgs", "add", "hotline-north").code == 0
    for name, role in (("alice", "admin"), ("ana", "analyst"), ("vic", "viewer")):
        run = hotline(db_url, "--as", "alice" if name != "alice" else "boot", "users", "add",
                      name, "--org", "hotline-north", "--role", role)  # fmt: skip
        assert run.code == 0, run.err


def _writes(world: Path, tmp_path: Path) -> list[tuple[str, str, list[str]]]:
    """(actor, expected action, arguments) for one run of every write command."""
    providers = tmp_path / "providers.csv"
    providers.write_text("asn,name,kind\n64501,Edgeco,cdn\n64502,Hostco,shared\n")
    geo = world / "geoip"
    warc = sorted((world / "captures").glob("*.warc.gz"))[0]
    hashes = tmp_path / "partner.csv"
    hashes.write_text("kind,value\nmd5,0123456789abcdef0123456789abcdef\n", encoding="utf-8")
    with (world / "reports.csv").open(encoding="utf-8") as handle:
        url = next(csv.DictReader(handle))["url"]
    decisions = tmp_path / "decisions.jsonl"
    decisions.write_text(json.dumps({"url": url, "scheme": "uk", "code": "B", "analyst": "ana",
                                     "decided_at": "2026-03-01T10:00:00Z"}) + "\n")  # fmt: skip
    scheme = tmp_path / "national.csv"
    scheme.write_text("scheme,code,label,illegal\nnational-xx,1,category 1,true\n")
    return [
        ("ana", "intake.reports", ["ingest", "reports", str(world / "reports.csv")]),
        ("ana", "captures.import", ["ingest", "captures", "--processors",
                                    str(world / "processors.json"), str(warc)]),
        ("ana", "hosting.pdns", ["ingest", "pdns", str(world / "pdns.jsonl")]),
        ("ana", "hosting.enrich", ["enrich", "--geoip-db", str(geo / "country.mmdb"),
                                   "--asn-db", str(geo / "asn.mmdb")]),
        ("ana", "attribution.run", ["attribute"]),
        ("ana", "attribution.link", ["link", "b1", "b2", "--reason", "same wallet"]),
        ("ana", "attribution.unlink", ["unlink", "b1", "b2", "--reason", "reseller default"]),
        ("ana", "attribution.label_brand", ["label", "brand", "b1", "Zorbel"]),
        ("ana", "attribution.label_distributor", ["label", "distributor", "d1", "North"]),
        ("ana", "providers.set", ["providers", "set", "AS64500", "Somehost", "bulletproof"]),
        ("ana", "providers.set", ["providers", "import", str(providers)]),
        ("ana", "providers.remove", ["providers", "remove", "AS64500"]),
        ("ana", "strategic.assessment", ["report", "--print"]),
        ("ana", "lists.import", ["lists", "import", str(hashes), "--list", "partner",
                                 "--create", "known"]),
        ("ana", "lists.disable", ["lists", "disable", "partner"]),
        ("ana", "lists.enable", ["lists", "enable", "partner"]),
        ("ana", "match", ["match"]),
        ("ana", "match.release", ["lists", "release", "1"]),
        # run first, while nothing is classified: then it is one event, the run's own
        ("ana", "casework.run", ["casework", "run", "--out", str(tmp_path / "notices"),
                                 "--now", "2026-01-01T00:00:00Z"]),
        ("ana", "casework.classify", ["casework", "classify", url, "interpol:baseline",
                                      "--at", "2026-03-01T09:00:00Z"]),
        ("ana", "casework.import.decisions", ["casework", "import", "decisions",
                                              str(decisions)]),
        ("ana", "casework.clear", ["casework", "clear", url, "--at", "2026-03-02T10:00:00Z"]),
        ("ana", "casework.check", ["casework", "check", url, "--down",
                                   "--at", "2026-03-03T10:00:00Z"]),
        ("ana", "casework.scheme", ["casework", "schemes", "--import", str(scheme)]),
        ("alice", "orgs.add", ["orgs", "add", "hotline-south"]),
        ("alice", "users.add", ["users", "add", "bob", "--org", "hotline-north", "--role",
                                "viewer"]),
        ("alice", "users.grant", ["users", "grant", "bob", "--org", "hotline-north",
                                  "--role", "analyst"]),
        ("alice", "users.disable", ["users", "disable", "bob"]),
        ("alice", "users.password", ["users", "password", "ana", "--password-stdin"]),
        ("alice", "tokens.add", ["tokens", "add", "ci", "--user", "ana", "--scope", "read"]),
        ("alice", "tokens.revoke", ["tokens", "revoke", "ci", "--user", "ana"]),
    ]  # fmt: skip


def _hotline(db_url: str, *args: str) -> Run:
    """``hotline`` in-process; a password read from standard input is given there."""
    if "--password-stdin" not in args:
        return hotline(db_url, *args)
    result = runner.invoke(app, ["--db", db_url, *args], input="a long enough password\n")
    return Run(result.exit_code, result.stdout, result.stderr)


def test_every_write_leaves_exactly_one_event_with_its_actor(
    db_url: str, engine: Engine, world: Path, tmp_path: Path
) -> None:
    _people(db_url)
    writes = _writes(world, tmp_path)
    covered = {action for _, action, _ in writes}
    for prefix in {a for a in COMMANDS.values() if a}:  # every write command is run here
        assert any(action.startswith(prefix) for action in covered), prefix
    for actor, action, args in writes:
        before = len(_events(engine))
        run = _hotline(db_url, "-q", "--as", actor, *args)
        assert run.code in (0, 1), (args, run.err)  # 1: rows quarantined, still a run
        after = _events(engine)
        assert len(after) == before + 1, (args, [e.action for e in after[before:]])
        event = after[-1]
        assert (event.actor, event.action, event.outcome) == (actor, action, "ok"), args
        assert event.organisation == "hotline-north"
        assert event.hash == event_hash(event._asdict())
        for field in (event.before, event.after):
            assert field is None or json.loads(field) is not None
    label = next(e for e in _events(engine) if e.action == "attribution.label_brand")
    assert json.loads(label.after or "") == {"label": "Zorbel"}
    relabel = hotline(db_url, "--as", "ana", "label", "brand", "b1", "Zorbel Two")
    assert relabel.code == 0
    last = _events(engine)[-1]
    assert json.loads(last.before or "")["label"] == "Zorbel"  # the old label is kept in the trail
    assert hotline(db_url, "--as", "alice", "audit", "verify").code == 0


def test_a_viewer_is_refused_every_write_and_the_refusal_is_audited(
    db_url: str, engine: Engine, world: Path, tmp_path: Path
) -> None:
    _people(db_url)
    for _, action, args in _writes(world, tmp_path):
        before = len(_events(engine))
        run = _hotline(db_url, "--as", "vic", *args)
        assert run.code == 2, (args, run.out, run.err)
        assert "vic may not" in run.err
        assert "ask an admin" in run.err
        after = _events(engine)
        assert len(after) == before + 1, args
        assert (after[-1].actor, after[-1].action, after[-1].outcome) == ("vic", action, "refused")
    with engine.connect() as connection:
        assert connection.scalar(text("SELECT count(*) FROM reports")) == 0  # nothing written
        assert connection.scalar(text("SELECT count(*) FROM attribution_overrides")) == 0


def test_unknown_and_disabled_users_are_refused_once_users_exist(db_url: str) -> None:
    run = hotline(db_url, "--as", "anyone", "providers", "set", "AS64500", "A", "cloud")
    assert run.code == 0  # no users yet: whoever runs it is the local admin
    _people(db_url)
    run = hotline(db_url, "--as", "mallory", "quarantine", "list")
    assert run.code == 2
    assert "'mallory' is not a user of this database" in run.err
    assert hotline(db_url, "--as", "alice", "users", "disable", "ana").code == 0
    run = hotline(db_url, "--as", "ana", "why", "shop.test")
    assert run.code == 2
    assert "disabled" in run.err
    run = hotline(db_url, "--as", "ana", "--org", "elsewhere", "why", "shop.test")
    assert run.code == 2


def test_the_implicit_local_admin_is_recorded_by_name(db_url: str, engine: Engine) -> None:
    assert hotline(db_url, "--as", "kim", "providers", "set", "AS64500", "A", "cloud").code == 0
    event = _events(engine)[-1]
    assert (event.actor, event.organisation, event.action) == ("kim", None, "providers.set")
    assert hotline(db_url, "--as", "kim", "audit", "list").code == 0  # admin reads the trail


def _chain(engine: Engine, count: int = 5) -> None:
    actor = Actor("ana", "hotline-north", frozenset({Role.ANALYST}))
    for number in range(count):
        with unit_of_work(engine) as connection:
            record_event(connection, actor, "test.step", f"object {number}",
                         before={"n": number}, after={"n": number + 1, "ü": "ß"})  # fmt: skip


def test_the_chain_verifies_and_links_each_event_to_the_one_before(engine: Engine) -> None:
    _chain(engine)
    rows = _events(engine)
    assert [r.id for r in rows] == [1, 2, 3, 4, 5]
    assert rows[0].prev_hash == GENESIS
    assert all(b.prev_hash == a.hash for a, b in itertools.pairwise(rows))
    with engine.connect() as connection:
        verdict = verify(connection)
    assert verdict.ok
    assert verdict.events == 5
    assert verdict.head_hash == rows[-1].hash


def test_a_batch_of_events_is_chained_as_if_appended_one_by_one(engine: Engine) -> None:
    """``record_events`` (one statement for many) continues the chain where it stands."""
    _chain(engine, 2)
    actor = local_admin("batch")
    entries = [Entry("test.batch", f"object {n}", after={"n": n}) for n in range(4)]
    with unit_of_work(engine) as connection:
        assert record_events(connection, actor, []) == 0  # nothing to append: no event
        assert record_events(connection, actor, entries) == 6
        assert record_event(connection, actor, "test.after", "object last") == 7
    rows = _events(engine)
    assert [r.id for r in rows] == [1, 2, 3, 4, 5, 6, 7]
    assert [r.object for r in rows[2:6]] == [f"object {n}" for n in range(4)]
    assert all(b.prev_hash == a.hash for a, b in itertools.pairwise(rows))
    with engine.connect() as connection:
        assert verify(connection).ok


def _tamper(engine: Engine, *statements: str) -> None:
    """What someone with the SQLite file can do: drop the guards, then change rows."""
    with engine.begin() as connection:
        connection.execute(text("DROP TRIGGER audit_events_no_update"))
        connection.execute(text("DROP TRIGGER audit_events_no_delete"))
        for statement in statements:
            connection.execute(text(statement))


@pytest.fixture
def sqlite_engine(tmp_path: Path) -> Iterator[Engine]:
    from hotline.store.engine import make_engine
    from hotline.store.migrate import upgrade

    engine = make_engine(f"sqlite:///{tmp_path / 'audit.db'}")
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.mark.parametrize(
    ("statements", "broken_at", "reason"),
    [
        (["UPDATE audit_events SET object = 'object X' WHERE id = 3"], 3, "edited"),
        (["UPDATE audit_events SET after = '{\"n\": 9}' WHERE id = 2"], 2, "edited"),
        (["DELETE FROM audit_events WHERE id = 3"], 4, "missing"),
        (["DELETE FROM audit_events WHERE id = 1"], 2, "missing"),
        (  # swap two events' positions
            ["UPDATE audit_events SET id = 100 WHERE id = 2",
             "UPDATE audit_events SET id = 2 WHERE id = 3",
             "UPDATE audit_events SET id = 3 WHERE id = 100"], 2, "previous hash",
        ),
        (  # a forged event appended with a made-up hash
            ["INSERT INTO audit_events (id, at, actor, action, object, outcome, prev_hash, "
             "hash) SELECT 6, at, actor, action, object, outcome, hash, 'f' FROM audit_events "
             "WHERE id = 5"], 6, "edited",
        ),
    ],
)  # fmt: skip
def test_verify_names_the_first_altered_event(
    sqlite_engine: Engine, statements: list[str], broken_at: int, reason: str
) -> None:
    _chain(sqlite_engine)
    _tamper(sqlite_engine, *statements)
    with sqlite_engine.connect() as connection:
        verdict = verify(connection)
    assert not verdict.ok
    assert verdict.broken_at == broken_at
    assert reason in verdict.reason


def test_audit_verify_command_exits_1_naming_the_event(sqlite_engine: Engine) -> None:
    _chain(sqlite_engine)
    url = sqlite_engine.url.render_as_string(hide_password=False)
    held = hotline(url, "audit", "verify")
    assert held.code == 0
    assert "5 event(s)" in held.out
    _tamper(sqlite_engine, "UPDATE audit_events SET actor = 'someone' WHERE id = 4")
    broken = hotline(url, "audit", "verify")
    assert broken.code == 1
    assert "event #4" in broken.err


def test_the_trail_refuses_update_and_delete(engine: Engine) -> None:
    _chain(engine, 2)
    statements = ["UPDATE audit_events SET actor = 'x' WHERE id = 1",
                  "DELETE FROM audit_events WHERE id = 2"]  # fmt: skip
    if engine.dialect.name == "postgresql":
        statements.append("TRUNCATE audit_events")
    for statement in statements:
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as connection:
            connection.execute(text(statement))
    with engine.connect() as connection:
        assert connection.scalar(select(func.count()).select_from(AuditEvent)) == 2
        assert verify(connection).ok


def test_concurrent_appenders_keep_one_chain(engine: Engine) -> None:
    from concurrent.futures import ThreadPoolExecutor

    def append(worker: int) -> None:
        for number in range(10):
            with unit_of_work(engine) as connection:
                record_event(connection, local_admin(f"w{worker}"), "test.step", str(number))

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(append, range(4)))
    with engine.connect() as connection:
        verdict = verify(connection)
    assert verdict.ok
    assert verdict.events == 40


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)


@given(_JSON)
def test_canonical_json_is_a_fixed_point(value: Any) -> None:
    once = canonical_json(value)
    assert canonical_json(json.loads(once)) == once
    assert once == canonical_json(json.loads(once, object_pairs_hook=lambda p: dict(p[::-1])))


@given(st.sampled_from(["actor", "action", "object", "outcome", "before", "after", "prev_hash"]),
       st.text(min_size=1))  # fmt: skip
def test_changing_any_hashed_field_changes_the_hash(field: str, value: str) -> None:
    from datetime import UTC, datetime

    fields: dict[str, Any] = {
        "id": 7, "at": datetime(2026, 12, 5, 10, 0, 0, 123456, tzinfo=UTC), "actor": "ana",
        "organisation": "hotline-north", "action": "intake.reports", "object": "feed.csv",
        "outcome": "ok", "before": None, "after": '{"rows_read":3}', "prev_hash": "a" * 64,
    }  # fmt: skip
    changed = {**fields, field: value}
    assert (event_hash(changed) == event_hash(fields)) == (changed == fields)


def test_every_import_summary_has_the_one_shape() -> None:
    from hotline.captures.services import CaptureSummary
    from hotline.hosting.pdns_import import PdnsSummary
    from hotline.intake.services import IngestSummary
    from hotline.pipeline import ImportSummary

    kinds: tuple[type[Any], ...] = (IngestSummary, CaptureSummary, PdnsSummary)
    for kind in kinds:
        summary = kind(file="f")
        assert isinstance(summary, ImportSummary), kind
        other = kind(file="g")
        other.rejected = 2
        other.rejected_by_code["bad_row"] = 2
        summary.add(other)
        assert (summary.rejected, summary.rejected_by_code["bad_row"]) == (2, 2), kind


def test_a_user_login_may_use_as_only_when_admin(db_url: str, engine: Engine) -> None:
    from hotline.cli.context import _os_user

    _people(db_url)
    login = _os_user()
    assert hotline(db_url, "--as", "alice", "users", "add", login, "--org", "hotline-north",
                   "--role", "analyst").code == 0  # fmt: skip
    run = hotline(db_url, "--as", "alice", "providers", "set", "AS64500", "A", "cloud")
    assert run.code == 2
    assert f"'{login}' may not act as 'alice'" in run.err
    last = _events(engine)[-1]
    assert (last.actor, last.action, last.outcome) == ("alice", "access", "refused")
    assert hotline(db_url, "providers", "set", "AS64500", "A", "cloud").code == 0  # as itself


def test_an_admin_manages_only_their_own_organisation(db_url: str) -> None:
    _people(db_url)
    assert hotline(db_url, "--as", "alice", "orgs", "add", "hotline-south").code == 0
    run = hotline(db_url, "--as", "alice", "users", "add", "sam", "--org", "hotline-south",
                  "--role", "admin")  # fmt: skip
    assert run.code == 2
    assert "not of hotline-south" in run.err


def test_the_last_admin_cannot_be_disabled(db_url: str) -> None:
    _people(db_url)
    run = hotline(db_url, "--as", "alice", "users", "disable", "alice")
    assert run.code == 2
    assert "last active admin" in run.err
    assert hotline(db_url, "--as", "alice", "users", "grant", "ana", "--org", "hotline-north",
                   "--role", "admin").code == 0  # fmt: skip
    assert hotline(db_url, "--as", "alice", "users", "disable", "alice").code == 0


def test_an_undecodable_file_name_is_audited(db_url: str, engine: Engine, tmp_path: Path) -> None:
    import os

    name = os.fsdecode(b"feed-\xff.csv")
    feed = tmp_path / name
    feed.write_text("source,source_report_id,reported_at,url\nHL-A,1,2026-11-01T10:00:00Z,"
                    "http://shop-odd.test/\n")  # fmt: skip
    assert hotline(db_url, "-q", "ingest", "reports", str(feed)).code == 0
    event = _events(engine)[-1]
    assert (event.action, event.outcome) == ("intake.reports", "ok")
    assert "\\udcff" in event.object or "\\xff" in event.object
    with engine.connect() as connection:
        assert verify(connection).ok


def test_a_report_that_cannot_be_written_is_audited_as_failed(
    db_url: str, engine: Engine, tmp_path: Path
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the report folder should be")
    run = hotline(db_url, "report", "--out", str(blocker / "assessment"))
    assert run.code == 2
    event = _events(engine)[-1]
    assert (event.action, event.outcome) == ("strategic.assessment", "failed")
    written = tmp_path / "ok"
    assert hotline(db_url, "report", "--out", str(written)).code == 0
    event = _events(engine)[-1]
    assert event.outcome == "ok"
    assert str(written / "assessment.html") in json.loads(event.after or "")["files"]["html"]


def test_progress_names_files_of_one_name_apart(tmp_path: Path) -> None:
    from hotline.pipeline import _labels

    a, b, c = tmp_path / "a" / "feed.csv", tmp_path / "b" / "feed.csv", tmp_path / "x.csv"
    assert _labels([a, b, c]) == {a: str(a), b: str(b), c: "x.csv"}
