"""Managing people from the web, on SQLite and PostgreSQL: an organisation's admin adds
people, changes their role, removes, disables and unlocks them and sets their passwords;
everyone changes their own password. Each change is audited with its actor; the other roles,
other organisations' admins and forms without the CSRF secret are refused; the last admin
stays; a person who also belongs to another organisation is out of reach.

The world is small: two organisations on an empty migrated database, a few people.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, insert, text

from hotline.accounts import credentials
from hotline.accounts.roles import Role, local_admin
from hotline.accounts.services import add_organisation, add_user, roles_held
from hotline.intake.models import Source
from hotline.store.uow import unit_of_work
from hotline.web.app import Settings, create_app
from tests.web_world import page_csrf, sign_in

SECRET = "a long enough password"  # noqa: S105 -- a test account's
NEW_SECRET = "another long password"  # noqa: S105 -- a test account's
BOOT = local_admin("boot")
# north: alice admin, bob analyst, vera viewer; south: carol admin; dave is a viewer in
# north and an admin in south (out of north's admin's reach)
PEOPLE = {
    "alice": [("north", Role.ADMIN)],
    "bob": [("north", Role.ANALYST)],
    "vera": [("north", Role.VIEWER)],
    "carol": [("south", Role.ADMIN)],
    "dave": [("north", Role.VIEWER), ("south", Role.ADMIN)],
}


@dataclass
class People:
    app: FastAPI
    engine: Engine

    def browser(self, name: str, password: str = SECRET) -> TestClient:
        client = TestClient(self.app, follow_redirects=False)
        assert sign_in(client, name, password) == 303
        return client


@pytest.fixture
def people(engine: Engine, db_url: str, tmp_path: Path) -> People:
    with unit_of_work(engine) as connection:
        connection.execute(insert(Source).values(code="HN-TEST", name="North's feed"))
        add_organisation(connection, BOOT, "north", ["HN-TEST"])
        add_organisation(connection, BOOT, "south")
        for name, grants in PEOPLE.items():
            add_user(connection, BOOT, name, grants)
            credentials.set_password(connection, BOOT, name, SECRET)
    app = create_app(db_url, Settings(upload_dir=tmp_path / "uploads"), engine=engine)
    return People(app, engine)


def _events(engine: Engine, action: str) -> list[tuple[str, str, str]]:
    """(actor, object, outcome) of every event of ``action``, oldest first."""
    with engine.connect() as connection:
        rows = connection.execute(
            text("SELECT actor, object, outcome FROM audit_events WHERE action = :a ORDER BY id"),
            {"a": action},
        )
        return [(row[0], row[1], row[2]) for row in rows]


def _roles(engine: Engine, name: str) -> list[tuple[str, str]]:
    with engine.connect() as connection:
        return roles_held(connection, name)


def _exists(engine: Engine, name: str) -> bool:
    with engine.connect() as connection:
        found = connection.execute(text("SELECT 1 FROM users WHERE name = :n"), {"n": name})
        return found.first() is not None


def _post(client: TestClient, path: str, **data: str) -> Any:
    return client.post(path, data={"csrf": page_csrf(client), **data})


# every form of a member, with what it needs beside the member's name
MEMBER_FORMS: dict[str, dict[str, str]] = {
    "/admin/people/role": {"role": "viewer"},
    "/admin/people/remove": {},
    "/admin/people/disable": {},
    "/admin/people/password": {"password": NEW_SECRET, "again": NEW_SECRET},
    "/admin/people/unlock": {},
}
ACTIONS = {
    "/admin/people/role": "users.role",
    "/admin/people/remove": "users.remove",
    "/admin/people/disable": "users.disable",
    "/admin/people/password": "users.password",
    "/admin/people/unlock": "users.unlock",
}


def _lock_out(engine: Engine, name: str) -> None:
    for _ in range(credentials.FREE_ATTEMPTS):
        assert not credentials.authenticate(engine, name, "not the password").ok


def test_an_admin_adds_a_person_and_manages_them(people: People) -> None:
    engine, alice = people.engine, people.browser("alice")
    added = _post(alice, "/admin/people", name="erin", role="analyst")
    assert (added.status_code, added.headers["location"]) == (303, "/admin?done=added")
    assert "Added to the organisation." in alice.get(added.headers["location"]).text
    assert _roles(engine, "erin") == [("north", "analyst")]
    page = alice.get("/admin").text
    assert "erin" in page
    assert "no password yet" in page

    done = _post(alice, "/admin/people/password", name="erin", password=NEW_SECRET,
                 again=NEW_SECRET)  # fmt: skip
    assert done.status_code == 303
    assert NEW_SECRET not in alice.get("/admin?done=password").text  # shown nowhere
    assert credentials.authenticate(engine, "erin", NEW_SECRET).ok

    _lock_out(engine, "erin")
    assert "locked until" in alice.get("/admin").text
    assert not credentials.authenticate(engine, "erin", NEW_SECRET).ok  # locked
    assert _post(alice, "/admin/people/unlock", name="erin").status_code == 303
    assert credentials.authenticate(engine, "erin", NEW_SECRET).ok
    assert _post(alice, "/admin/people/unlock", name="erin").status_code == 422  # nothing to

    assert _post(alice, "/admin/people/role", name="erin", role="admin").status_code == 303
    assert _roles(engine, "erin") == [("north", "admin")]
    assert _post(alice, "/admin/people/disable", name="erin").status_code == 303
    assert not credentials.authenticate(engine, "erin", NEW_SECRET).ok
    assert _post(alice, "/admin/people/remove", name="bob").status_code == 303
    assert _roles(engine, "bob") == []
    assert '<input type="hidden" name="name" value="bob">' not in alice.get("/admin").text
    # someone removed holds no role anywhere: they may join again
    assert _post(alice, "/admin/people", name="bob", role="viewer").status_code == 303
    assert _roles(engine, "bob") == [("north", "viewer")]

    for action, name in (("users.add", "erin"), ("users.password", "erin"),
                         ("users.unlock", "erin"), ("users.role", "erin"),
                         ("users.disable", "erin"), ("users.remove", "bob"),
                         ("users.grant", "bob")):  # fmt: skip
        assert ("alice", name, "ok") in _events(engine, action), action


def test_what_cannot_be_done_is_said_on_the_page(people: People) -> None:
    alice = people.browser("alice")
    for path, data, says in (
        ("/admin/people", {"name": "two words", "role": "viewer"}, "no spaces"),
        ("/admin/people", {"name": "erin", "role": "root"}, "is not a role"),
        ("/admin/people", {"name": "bob", "role": "viewer"}, "member of north already"),
        ("/admin/people/role", {"name": "bob", "role": "analyst"}, "analyst in north already"),
        ("/admin/people/password", {"name": "bob", "password": "short", "again": "short"},
         "at least 12"),
        ("/admin/people/password", {"name": "bob", "password": NEW_SECRET, "again": SECRET},
         "differ"),
        ("/admin/people/password", {"name": "alice", "password": NEW_SECRET,
                                    "again": NEW_SECRET}, "/account"),
    ):  # fmt: skip
        response = _post(alice, path, **data)
        assert response.status_code == 422, (path, data)
        assert says in response.text, (path, data)
        assert "<h2>People</h2>" in response.text  # the page again, with the message
    assert _roles(people.engine, "bob") == [("north", "analyst")]
    assert credentials.authenticate(people.engine, "bob", SECRET).ok


@pytest.mark.parametrize("who", ["vera", "bob", "carol"])
def test_viewers_analysts_and_another_organisations_admin_are_refused(
    people: People, who: str
) -> None:
    """Each refusal is a 403 and an audit event; nothing changes. (south's admin may add
    people to south: that she cannot take north's is tested with the reach below.)"""
    engine, client = people.engine, people.browser(who)
    target = "bob" if who == "vera" else "vera"
    if who != "carol":
        assert _post(client, "/admin/people", name="mallory", role="admin").status_code == 403
        assert _events(engine, "users.add")[-1] == (who, "mallory", "refused")
    for path, data in MEMBER_FORMS.items():
        response = _post(client, path, name=target, **data)
        assert response.status_code == 403, (who, path)
        assert _events(engine, ACTIONS[path])[-1] == (who, target, "refused")
    assert _roles(engine, "vera") == [("north", "viewer")]
    assert _roles(engine, "bob") == [("north", "analyst")]
    assert not _exists(engine, "mallory")
    assert credentials.authenticate(engine, target, SECRET).ok


def test_forms_without_the_csrf_secret_are_refused(people: People) -> None:
    alice = people.browser("alice")
    forms = {"/admin/people": {"name": "erin", "role": "viewer"}, **MEMBER_FORMS,
             "/account/password": {"current": SECRET, "password": NEW_SECRET,
                                   "again": NEW_SECRET}}  # fmt: skip
    for path, data in forms.items():
        for secret in ({}, {"csrf": "forged"}):
            response = alice.post(path, data={"name": "bob", **data, **secret})
            assert response.status_code == 403, (path, secret)
    assert not _exists(people.engine, "erin")
    assert _roles(people.engine, "bob") == [("north", "analyst")]
    assert credentials.authenticate(people.engine, "bob", SECRET).ok
    assert credentials.authenticate(people.engine, "alice", SECRET).ok


def test_the_last_admin_can_be_neither_demoted_removed_nor_disabled(people: People) -> None:
    engine, alice = people.engine, people.browser("alice")
    for path, data in (("/admin/people/role", {"role": "analyst"}),
                       ("/admin/people/remove", {}), ("/admin/people/disable", {})):  # fmt: skip
        response = _post(alice, path, name="alice", **data)
        assert response.status_code == 422, path
        assert "you are the last active admin of north" in response.text
    assert _roles(engine, "alice") == [("north", "admin")]
    # with a second admin, alice may step down: from her next request she is an analyst
    assert _post(alice, "/admin/people/role", name="bob", role="admin").status_code == 303
    assert _post(alice, "/admin/people/role", name="alice", role="analyst").status_code == 303
    assert alice.get("/admin").status_code == 403
    bob = people.browser("bob")
    response = _post(bob, "/admin/people/remove", name="bob")
    assert response.status_code == 422
    assert "last active admin" in response.text


def test_an_admin_cannot_reach_people_of_another_organisation(people: People) -> None:
    """carol belongs to south only; dave to north and south: north's admin may touch
    neither (a role, password or lock set by north would reach into south)."""
    engine, alice = people.engine, people.browser("alice")
    for name in ("carol", "dave", "nobody-here"):
        for path, data in MEMBER_FORMS.items():
            response = _post(alice, path, name=name, **data)
            assert response.status_code == 403, (name, path)
            assert ("alice", name, "refused") in _events(engine, ACTIONS[path])
    taken = _post(alice, "/admin/people", name="carol", role="viewer")
    assert taken.status_code == 422
    assert "another organisation" in taken.text
    assert _post(alice, "/admin/people", name="dave", role="admin").status_code == 422
    assert _roles(engine, "carol") == [("south", "admin")]
    assert _roles(engine, "dave") == [("north", "viewer"), ("south", "admin")]
    for name in ("carol", "dave"):
        assert credentials.authenticate(engine, name, SECRET).ok
    assert "Also in another organisation: not managed from here" in alice.get("/admin").text
    # and south's admin cannot reach north's people either
    carol = people.browser("carol")
    assert _post(carol, "/admin/people/role", name="bob", role="viewer").status_code == 403
    assert _post(carol, "/admin/people", name="bob", role="viewer").status_code == 422
    assert _roles(engine, "bob") == [("north", "analyst")]


def test_everyone_changes_their_own_password_and_their_other_sessions_end(
    people: People,
) -> None:
    engine = people.engine
    here, elsewhere = people.browser("vera"), people.browser("vera")
    page = here.get("/account")
    assert page.status_code == 200
    assert "north" in page.text
    assert "viewer" in page.text
    wrong = _post(here, "/account/password", current="not my password", password=NEW_SECRET,
                  again=NEW_SECRET)  # fmt: skip
    assert wrong.status_code == 422
    assert "current password is not right" in wrong.text
    assert _events(engine, "users.password")[-1] == ("vera", "vera", "refused")
    with engine.connect() as connection:
        checked = connection.execute(
            text("SELECT outcome, after FROM audit_events WHERE action = 'sign-in' "
                 "ORDER BY id DESC LIMIT 1")
        ).one()  # fmt: skip
    assert checked[0] == "failed"
    assert '"via":"password change"' in checked[1]
    assert '"why":"wrong password"' in checked[1]
    for data, says in (({"password": "short", "again": "short"}, "at least 12"),
                       ({"password": NEW_SECRET, "again": SECRET}, "differ")):  # fmt: skip
        response = _post(here, "/account/password", current=SECRET, **data)
        assert response.status_code == 422
        assert says in response.text
    done = _post(here, "/account/password", current=SECRET, password=NEW_SECRET,
                 again=NEW_SECRET)  # fmt: skip
    assert (done.status_code, done.headers["location"]) == (303, "/account?done=password")
    assert "Your password is changed" in here.get(done.headers["location"]).text  # goes on
    assert elsewhere.get("/account").status_code == 303  # the other session ended
    assert _events(engine, "users.password")[-1] == ("vera", "vera", "ok")
    assert credentials.authenticate(engine, "vera", NEW_SECRET).ok
    assert not credentials.authenticate(engine, "vera", SECRET).ok
    assert TestClient(people.app, follow_redirects=False).get("/account").status_code == 303


def test_a_removed_or_disabled_member_loses_their_open_session(people: People) -> None:
    engine, alice = people.engine, people.browser("alice")
    bob, vera = people.browser("bob"), people.browser("vera")
    with unit_of_work(engine) as connection:
        token = credentials.issue_token(connection, BOOT, "bob", "ci", "write")
    assert bob.get("/").status_code == 200
    assert credentials.token_actor(engine, token) is not None
    assert _post(alice, "/admin/people/remove", name="bob").status_code == 303
    assert bob.get("/").status_code == 303
    assert bob.get("/").headers["location"] == "/sign-in"
    assert credentials.token_actor(engine, token) is None  # revoked with the membership
    assert vera.get("/").status_code == 200
    assert _post(alice, "/admin/people/disable", name="vera").status_code == 303
    assert vera.get("/").status_code == 303
    with engine.connect() as connection:
        sessions = connection.execute(
            text("SELECT count(*) FROM web_sessions s JOIN users u ON u.id = s.user_id "
                 "WHERE u.name IN ('bob', 'vera')")
        ).scalar_one()  # fmt: skip
    assert sessions == 0


def test_the_admin_page_shows_the_organisation_read_only(people: People) -> None:
    page = people.browser("alice").get("/admin").text
    assert "<dd>north</dd>" in page
    assert "HN-TEST" in page
    assert "hotline orgs add" in page
    assert 'action="/admin/people"' in page
    assert "vera" in page
    assert "carol" not in page  # south's people are south's
