"""Web sign-in services on both engines (passwords, lock-out, tokens, sessions) and their
commands: ``hotline users password``, ``hotline tokens``, ``hotline serve``'s refusals."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from typer.testing import CliRunner, Result

from hotline.accounts import credentials
from hotline.accounts.roles import Actor, Role, local_admin
from hotline.accounts.services import AccountError, add_organisation, add_user, disable_user
from hotline.cli.app import app
from hotline.store.types import utcnow
from hotline.store.uow import unit_of_work

SECRET = "a long enough password"  # noqa: S105 -- a test account's
BOOT = local_admin("boot")


def _accounts(engine: Engine) -> None:
    with unit_of_work(engine) as connection:
        add_organisation(connection, BOOT, "north")
        add_organisation(connection, BOOT, "south")
        add_user(connection, BOOT, "alice", [("north", Role.ADMIN)])
        add_user(connection, BOOT, "bob", [("north", Role.ANALYST)])
        add_user(connection, BOOT, "carol", [("south", Role.ADMIN)])
        for name in ("alice", "bob", "carol"):
            credentials.set_password(connection, BOOT, name, SECRET)


def _events(engine: Engine, action: str) -> list[tuple[str, str, str]]:
    with engine.connect() as connection:
        rows = connection.execute(
            text("SELECT actor, object, outcome FROM audit_events WHERE action = :a ORDER BY id"),
            {"a": action},
        )
        return [(row[0], row[1], row[2]) for row in rows]


def test_passwords_and_who_may_set_them(engine: Engine) -> None:
    _accounts(engine)
    assert credentials.authenticate(engine, "alice", SECRET).actor == Actor(
        "alice", "north", frozenset({Role.ADMIN})
    )
    alice = credentials.authenticate(engine, "alice", SECRET).actor
    bob = credentials.authenticate(engine, "bob", SECRET).actor
    carol = credentials.authenticate(engine, "carol", SECRET).actor
    assert alice
    assert bob
    assert carol
    with unit_of_work(engine) as connection:
        credentials.set_password(connection, bob, "bob", "bob's own new password")
        credentials.set_password(connection, alice, "bob", "reset by his admin!")
    for actor, name in ((bob, "alice"), (carol, "bob")):  # not theirs, not their organisation
        with pytest.raises(AccountError), unit_of_work(engine) as connection:
            credentials.set_password(connection, actor, name, "not allowed at all")
    with pytest.raises(AccountError, match="at least"), unit_of_work(engine) as connection:
        credentials.set_password(connection, bob, "bob", "short")
    assert credentials.authenticate(engine, "bob", "reset by his admin!").ok
    assert len(_events(engine, "users.password")) == 3 + 2
    with engine.connect() as connection:
        stored = connection.execute(text("SELECT password_hash FROM users WHERE name = 'bob'"))
        assert stored.scalar_one().startswith("$argon2id$")


def test_sign_in_refusals_and_the_back_off(engine: Engine) -> None:
    _accounts(engine)
    assert not credentials.authenticate(engine, "bob", SECRET, organisation="south").ok
    alice = credentials.authenticate(engine, "alice", SECRET).actor
    assert alice is not None
    with unit_of_work(engine) as connection:
        disable_user(connection, alice, "bob")
    assert not credentials.authenticate(engine, "bob", SECRET).ok
    outcomes = [o for _, _, o in _events(engine, "sign-in")]
    assert outcomes == ["failed", "ok", "failed"]
    assert [credentials._lock_for(n) for n in (4, 5, 6, 7)] == [
        None, timedelta(minutes=1), timedelta(minutes=2), timedelta(minutes=4),
    ]  # fmt: skip
    assert credentials._lock_for(40) == timedelta(days=1)


def test_tokens_are_kept_as_hashes_and_act_with_their_scope(engine: Engine) -> None:
    _accounts(engine)
    alice = credentials.authenticate(engine, "alice", SECRET).actor
    assert alice is not None
    with unit_of_work(engine) as connection:
        write = credentials.issue_token(connection, alice, "bob", "importer", "write")
        read = credentials.issue_token(connection, alice, "bob", "reader", "read")
        with pytest.raises(AccountError, match="already"):
            credentials.issue_token(connection, alice, "bob", "reader", "read")
    with engine.connect() as connection:
        dump = " ".join(str(row) for row in connection.execute(text("SELECT * FROM api_tokens")))
    assert write not in dump
    assert read not in dump
    assert credentials.token_actor(engine, write) == (
        Actor("bob", "north", frozenset({Role.ANALYST})),
        "write",
    )
    assert credentials.token_actor(engine, read) == (
        Actor("bob", "north", frozenset({Role.VIEWER})),
        "read",
    )
    with unit_of_work(engine) as connection:
        credentials.revoke_token(connection, alice, "bob", "reader")
    assert credentials.token_actor(engine, read) is None
    assert credentials.token_actor(engine, "not-a-token") is None
    assert [o for _, o, _ in _events(engine, "tokens.add")] == ["bob/importer", "bob/reader"]
    assert [o for _, o, _ in _events(engine, "tokens.revoke")] == ["bob/reader"]


def test_sessions_open_expire_and_close(engine: Engine) -> None:
    _accounts(engine)
    bob = credentials.authenticate(engine, "bob", SECRET).actor
    assert bob is not None
    with unit_of_work(engine) as connection:
        session_id, csrf = credentials.open_session(connection, bob)
    with engine.connect() as connection:
        found = credentials.session_actor(connection, session_id)
    assert found is not None
    assert found.actor == bob
    assert found.csrf == csrf
    with unit_of_work(engine) as connection:
        past = (utcnow() - timedelta(seconds=1)).replace(tzinfo=None)
        connection.execute(text("UPDATE web_sessions SET expires_at = :t"), {"t": past})
        assert credentials.session_actor(connection, session_id) is None
        session_id, _ = credentials.open_session(connection, bob)
        credentials.close_session(connection, bob, session_id)
        assert credentials.session_actor(connection, session_id) is None
        assert connection.execute(text("SELECT count(*) FROM web_sessions")).scalar_one() == 0


runner = CliRunner()


def _run(db_url: str, *args: str, stdin: str = "") -> Result:
    """``hotline --db DB ARGS`` in-process (the services run on both engines above; the
    commands only parse and print, so SQLite is enough for them)."""
    result = runner.invoke(app, ["--db", db_url, "--quiet", *args], input=stdin)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'cli.db'}"


def test_password_and_token_commands(sqlite_url: str) -> None:
    db_url = sqlite_url
    assert _run(db_url, "orgs", "add", "north").exit_code == 0
    assert _run(db_url, "users", "add", "alice", "--org", "north", "--role", "admin").exit_code == 0
    done = _run(db_url, "--as", "alice", "users", "password", "alice", "--password-stdin",
                stdin=SECRET + "\n")  # fmt: skip
    assert done.exit_code == 0, done.stderr
    short = _run(db_url, "--as", "alice", "users", "password", "alice", "--password-stdin",
                 stdin="short\n")  # fmt: skip
    assert short.exit_code == 2
    assert "at least 12" in short.stderr
    added = _run(db_url, "--as", "alice", "tokens", "add", "case-system", "--user", "alice",
                 "--scope", "read")  # fmt: skip
    assert added.exit_code == 0, added.stderr
    token = added.stdout.strip()
    assert token.startswith("hlt_")
    assert "shown once" in added.stderr
    listed = _run(db_url, "--as", "alice", "tokens", "list")
    assert listed.exit_code == 0
    assert "case-system" in listed.stdout
    assert token not in listed.stdout
    revoked = _run(db_url, "--as", "alice", "tokens", "revoke", "case-system", "--user", "alice")
    assert revoked.exit_code == 0, revoked.stderr
    bad_scope = _run(db_url, "--as", "alice", "tokens", "add", "x", "--user", "alice",
                     "--scope", "admin")  # fmt: skip
    assert bad_scope.exit_code == 2


def test_serve_refuses_what_it_should(sqlite_url: str) -> None:
    db_url = sqlite_url
    remote = _run(db_url, "serve", "--host", "0.0.0.0")  # noqa: S104 -- the refusal under test
    assert remote.exit_code == 2
    assert "--allow-remote" in remote.stderr
    bare = _run(db_url, "serve", "--port", "1")
    assert bare.exit_code == 2
    assert "hotline init" in bare.stderr
    assert _run(db_url, "init").exit_code == 0
    empty = _run(db_url, "serve", "--port", "1")
    assert empty.exit_code == 2
    assert "hotline users add" in empty.stderr


def test_demo_serve_adds_a_demo_admin_and_serves_the_demo_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from fastapi.testclient import TestClient

    from hotline import pipeline
    from hotline.cli import serve
    from hotline.cli.context import AppState
    from hotline.cli.demo import serve_demo
    from hotline.store.engine import make_engine
    from hotline.store.migrate import upgrade
    from tests.web_world import sign_in

    feed = tmp_path / "feed.csv"
    feed.write_text("source,source_report_id,reported_at,url\n"
                    "HL-D,d-1,2026-11-02T09:14:00Z,https://shop.demo-site.test/a\n")  # fmt: skip
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    engine = make_engine(url)
    upgrade(engine)
    pipeline.import_reports(engine, BOOT, [feed])
    served: list[object] = []
    monkeypatch.setattr(serve, "uvicorn_run", lambda app, **_: served.append(app))
    serve_demo(AppState(db=url), engine, tmp_path, 8123)
    printed = capsys.readouterr().out
    assert "http://127.0.0.1:8123/" in printed
    password = printed.split("password ", 1)[1].split()[0]
    client = TestClient(served[0], follow_redirects=False)  # type: ignore[arg-type]
    assert sign_in(client, "demo", password) == 303
    assert "<b>1</b> reports" in client.get("/").text
    engine.dispose()


def test_an_admin_cannot_reach_a_person_who_also_belongs_to_another_organisation(
    engine: Engine,
) -> None:
    """dave is a viewer in north and an admin in south: north's admin setting his password or
    minting his token would open south to north's admin."""
    _accounts(engine)
    with unit_of_work(engine) as connection:
        add_user(connection, BOOT, "dave", [("north", Role.VIEWER), ("south", Role.ADMIN)])
    alice = credentials.authenticate(engine, "alice", SECRET).actor
    assert alice is not None
    with pytest.raises(AccountError), unit_of_work(engine) as connection:
        credentials.set_password(connection, alice, "dave", "taken over by north")
    with pytest.raises(AccountError), unit_of_work(engine) as connection:
        credentials.issue_token(connection, alice, "dave", "ci", "write")
    with unit_of_work(engine) as connection:  # his own, or the local admin's: fine
        credentials.set_password(connection, BOOT, "dave", SECRET)


def test_a_new_password_ends_every_open_session(engine: Engine) -> None:
    _accounts(engine)
    bob = credentials.authenticate(engine, "bob", SECRET).actor
    assert bob is not None
    with unit_of_work(engine) as connection:
        session_id, _ = credentials.open_session(connection, bob)
    with unit_of_work(engine) as connection:
        credentials.set_password(connection, BOOT, "bob", "a brand new password")
    with engine.connect() as connection:
        assert credentials.session_actor(connection, session_id) is None
