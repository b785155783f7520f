"""The web application on a small synthetic world, on SQLite and PostgreSQL: who may do
what (a matrix generated from the route table), CSRF, cookies, lock-out, tokens, what one
organisation sees of another's reports, and that no page can load or link a reported URL."""

from __future__ import annotations

import importlib.util
import io
import re
import time
import uuid
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url
from starlette.routing import Mount

from hotline.attribution.carrier_index import INDEXES
from hotline.attribution.queries import carrier_index
from hotline.captures.models import SelectorValue, SiteSelector
from hotline.captures.neardup import hamming
from hotline.captures.queries import SAME_TEMPLATE_BITS, similar_templates, template_table
from hotline.intake.models import Site
from hotline.store.engine import make_engine
from hotline.store.migrate import upgrade
from hotline.strategic.pdf import find_chromium
from hotline.web.app import Settings, WebSetupError, create_app
from hotline.web.security import CONTENT_SECURITY_POLICY
from tests import web_matrix_api, web_matrix_casework, web_matrix_oidc, web_matrix_people
from tests.conftest import BACKENDS, PG_ADMIN_URL
from tests.web_world import PASSWORD, ROLES, Web, crawl, make_world, page_csrf, seed, sign_in

FEED = (
    "source,source_report_id,reported_at,url\n"
    "HL-A,web-0001,2026-11-02T09:14:00Z,https://shop.upload-site.test/item/1\n"
    "HL-A,web-0002,2026-11-02T09:15:00Z,https://shop.upload-site.test/item/2\n"
    "HL-A,web-0003,not-a-date,https://shop.upload-site.test/item/3\n"
)

MATRIX_FEED = (
    "source,source_report_id,reported_at,url\n"
    "HL-X,mx-0001,2026-11-03T09:14:00Z,https://matrix-site.test/a\n"
)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_world(tmp_path_factory.mktemp("web-world"))


@pytest.fixture(scope="module", params=BACKENDS)
def database(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('web-db') / 'hotline.db'}"
        return
    template = request.getfixturevalue("pg_template")
    name = f"hotline_web_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    yield make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="module")
def web(database: str, world: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Web]:
    engine = make_engine(database)
    upgrade(engine)
    tokens = seed(engine, world)
    settings = Settings(upload_dir=tmp_path_factory.mktemp("uploads"))
    app = create_app(database, settings, engine=engine)
    found = Web(app, engine, database, tokens)
    for role, (name, _, _) in ROLES.items():
        browser = TestClient(app, follow_redirects=False)
        assert sign_in(browser, name) == 303
        found.browsers[role] = browser
    with engine.connect() as connection:
        row = connection.execute(
            text(
                "SELECT s.key, sa.brand_id, b.distributor_id FROM sites s "
                "JOIN site_attribution sa ON sa.site_id = s.id JOIN brands b ON b.id = sa.brand_id "
                "JOIN urls u ON u.site_id = s.id JOIN reports r ON r.url_id = u.id "
                "JOIN sources so ON so.id = r.source_id WHERE b.distributor_id IS NOT NULL "
                "GROUP BY s.key, sa.brand_id, b.distributor_id "
                "HAVING count(DISTINCT so.code) FILTER (WHERE so.code IN ('HL-A', 'HL-B')) = 2 "
                "ORDER BY s.key LIMIT 1"
            )
        ).one()
    found.site, found.brand, found.distributor = row[0], f"b{row[1]}", f"d{row[2]}"
    api = TestClient(app, headers=_bearer(tokens["analyst"]))
    response = api.post("/api/v1/imports", files={"file": ("feed.csv", FEED.encode())})
    assert response.status_code == 202, response.text
    found.job = response.json()["job"]
    _wait(app)
    yield found
    for browser in found.browsers.values():
        browser.close()
    engine.dispose()


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _wait(app: Any) -> None:
    for thread in app.state.threads:
        thread.join(timeout=60)


# --- the permission matrix --------------------------------------------------------------

ANON, VIEWER, ANALYST, ADMIN, OTHER = "anonymous", "viewer", "analyst", "admin", "other"
WHO = (ANON, VIEWER, ANALYST, ADMIN, OTHER)


def _all(status: int) -> tuple[int, ...]:
    return (status,) * 5


READ_API = (401, 200, 200, 200, 200)
ADMIN_API = (401, 403, 403, 200, 403)
DECIDE_API = (401, 403, 200, 200, 200)
READ_PAGE = (303, 200, 200, 200, 200)
ADMIN_PAGE = (303, 403, 403, 200, 403)

# (method, route path) -> expected status for anonymous, viewer, analyst, admin, other org's
# analyst. A route of the application missing here fails the test: add it, with its rights.
MATRIX: dict[tuple[str, str], tuple[int, ...]] = {
    ("GET", "/api/v1/openapi.json"): _all(200),
    ("GET", "/api/v1/docs"): _all(200),
    ("GET", "/api/v1/lookup"): READ_API,
    ("GET", "/api/v1/sites/{key}"): READ_API,
    ("GET", "/api/v1/sites/{key}/why"): READ_API,
    ("GET", "/api/v1/sites/{key}/selectors"): READ_API,
    ("GET", "/api/v1/brands/{ref}"): READ_API,
    ("GET", "/api/v1/distributors/{ref}"): READ_API,
    ("GET", "/api/v1/quarantine"): READ_API,
    ("GET", "/api/v1/audit"): ADMIN_API,
    ("GET", "/api/v1/audit/verify"): ADMIN_API,
    ("POST", "/api/v1/sites/link"): DECIDE_API,
    ("POST", "/api/v1/sites/unlink"): DECIDE_API,
    ("POST", "/api/v1/clusters/label"): DECIDE_API,
    ("POST", "/api/v1/imports"): (401, 403, 202, 202, 202),
    ("GET", "/api/v1/jobs/{job}"): (401, 200, 200, 200, 404),
    ("GET", "/sign-in"): _all(200),
    ("POST", "/sign-in"): _all(401),  # an unknown name: refused for everyone
    ("POST", "/sign-out"): (303, 303, 303, 303, 303),
    ("GET", "/"): READ_PAGE,
    ("GET", "/lookup"): READ_PAGE,
    ("GET", "/sites/{key}"): READ_PAGE,
    ("GET", "/brands/{ref}"): READ_PAGE,
    ("POST", "/brands/{ref}/label"): (303, 403, 303, 303, 303),
    ("GET", "/distributors/{ref}"): READ_PAGE,
    ("GET", "/imports"): READ_PAGE,
    ("POST", "/imports"): (303, 403, 303, 303, 303),
    ("GET", "/imports/{job}"): (303, 200, 200, 200, 404),
    ("GET", "/quarantine"): READ_PAGE,
    # building the assessment is a run (audited), as `hotline report` is: analysts and admins
    ("GET", "/assessment"): (303, 403, 200, 200, 200),
    ("POST", "/assessment"): (303, 403, 200, 200, 200),
    ("GET", "/admin"): ADMIN_PAGE,
    ("POST", "/admin/tokens"): ADMIN_PAGE,
    ("POST", "/admin/tokens/revoke"): (303, 403, 403, 422, 403),  # admin: no such token
    ("GET", "/static"): _all(200),
}
PARTS = (web_matrix_api, web_matrix_casework, web_matrix_oidc, web_matrix_people)
for _part in PARTS:
    MATRIX.update(_part.MATRIX)


def routes(app: FastAPI) -> list[tuple[str, str]]:
    """(method, path) of every route the application answers, routers included."""
    return sorted(set(_flatten(app.routes)))


def _flatten(table: Any, prefix: str = "") -> Iterator[tuple[str, str]]:
    for route in table:
        included = getattr(route, "original_router", None)  # FastAPI's included router
        if included is not None:
            yield from _flatten(included.routes, prefix + route.include_context.prefix)
        elif isinstance(route, Mount):
            yield "GET", prefix + route.path
        else:
            for method in getattr(route, "methods", None) or ():
                if method != "HEAD":
                    yield method, prefix + route.path


def _request(web: Web, who: str, method: str, path: str) -> int:
    concrete = (
        path.replace("{key}", web.site)
        .replace("{ref}", web.brand if "brand" in path else web.distributor)
        .replace("{job}", str(web.job))
    )
    if path == "/static":
        concrete = "/static/style.css"
    api = path.startswith("/api/v1")
    if who == ANON:
        client = TestClient(web.app, follow_redirects=False)
    elif api:
        client = TestClient(web.app, headers=_bearer(web.tokens[who]))
    elif path == "/sign-out":  # a fresh session: signing out must not end the shared one
        client = TestClient(web.app, follow_redirects=False)
        sign_in(client, ROLES[who][0])
    else:
        client = web.browsers[who]
    csrf = page_csrf(client) if who != ANON and not api else ""
    kwargs: dict[str, Any] = {}
    for part in PARTS:
        found = part.request_for(web, who, method, path, csrf)
        if found is not None:
            concrete, kwargs = found
            break
    else:
        concrete, kwargs = _core_request(web, client, who, method, path, concrete, csrf)
    response = client.request(method, concrete, **kwargs)
    assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    return int(response.status_code)


def _core_request(
    web: Web, client: TestClient, who: str, method: str, path: str, concrete: str, csrf: str
) -> tuple[str, dict[str, Any]]:
    kwargs: dict[str, Any] = {}
    if concrete == "/api/v1/lookup" or concrete == "/lookup":
        kwargs["params"] = {"q": web.site}
    elif path in ("/api/v1/sites/link", "/api/v1/sites/unlink"):
        kwargs["json"] = {"left": web.site, "right": _another_site(web), "reason": "matrix"}
    elif path == "/api/v1/clusters/label":
        kwargs["json"] = {"kind": "brand", "id": web.brand, "label": "Brand matrix"}
    elif path in ("/api/v1/imports", "/imports"):
        kwargs["files"] = {"file": ("matrix.csv", MATRIX_FEED.encode())}
        kwargs["data"] = {"csrf": csrf}
    elif path == "/sign-in":
        secret = re.search(r'name="csrf" value="([^"]+)"', client.get("/sign-in").text)
        assert secret
        kwargs["data"] = {"name": "nobody", "password": "wrong", "csrf": secret.group(1)}
    elif path == "/brands/{ref}/label":
        kwargs["data"] = {"label": "Brand from a page", "csrf": csrf}
    elif path == "/admin/tokens":
        kwargs["data"] = {"user": ROLES.get(who, ("x",))[0], "name": f"t-{uuid.uuid4().hex[:6]}",
                          "scope": "read", "csrf": csrf}  # fmt: skip
    elif path == "/admin/tokens/revoke":
        kwargs["data"] = {"user": ROLES.get(who, ("x",))[0], "name": "no-such-token", "csrf": csrf}
    elif method == "POST":
        kwargs["data"] = {"csrf": csrf}
    return concrete, kwargs


def _another_site(web: Web) -> str:
    with web.engine.connect() as connection:
        return str(
            connection.execute(
                text("SELECT key FROM sites WHERE key <> :key ORDER BY key LIMIT 1"),
                {"key": web.site},
            ).scalar_one()
        )


def test_every_route_has_an_entry_in_the_matrix(web: Web) -> None:
    missing = set(routes(web.app)) - set(MATRIX)
    assert not missing, f"routes without expected statuses in MATRIX: {sorted(missing)}"
    stale = set(MATRIX) - set(routes(web.app))
    assert not stale, f"MATRIX names routes that do not exist: {sorted(stale)}"


def test_permission_matrix(web: Web) -> None:
    wrong = []
    for method, path in routes(web.app):
        for who, expected in zip(WHO, MATRIX[(method, path)], strict=True):
            got = _request(web, who, method, path)
            if got != expected:
                wrong.append(f"{method} {path} as {who}: {got}, expected {expected}")
    _wait(web.app)
    assert not wrong, "\n".join(wrong)


# --- errors, headers, cookies, CSRF -----------------------------------------------------


def test_api_errors_have_one_shape(web: Web) -> None:
    anonymous = TestClient(web.app)
    analyst = TestClient(web.app, headers=_bearer(web.tokens["analyst"]))
    for client, path, status, code in (
        (anonymous, "/api/v1/lookup?q=x", 401, "unauthenticated"),
        (analyst, "/api/v1/audit", 403, "forbidden"),
        (analyst, "/api/v1/sites/nowhere.test", 404, "not_found"),
        (analyst, "/api/v1/nothing-here", 404, "not_found"),
        (analyst, "/api/v1/sites/nowhere.test?limit=0", 422, "invalid"),
    ):
        response = client.get(path)
        assert response.status_code == status
        body = response.json()
        assert set(body) == {"error"}
        assert body["error"]["status"] == status
        assert body["error"]["code"] == code
        assert body["error"]["message"]
        assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "no-referrer"


def test_session_cookie_flags(web: Web) -> None:
    for base, secure in (("http://testserver", False), ("https://testserver", True)):
        client = TestClient(web.app, base_url=base, follow_redirects=False)
        secret = re.search(r'name="csrf" value="([^"]+)"', client.get("/sign-in").text)
        assert secret
        response = client.post("/sign-in", data={"name": "viewer-a", "password": PASSWORD,
                                                 "csrf": secret.group(1)})  # fmt: skip
        assert response.status_code == 303
        cookie = next(
            c for c in response.headers.get_list("set-cookie") if c.startswith("hotline_session=")
        )
        flags = {part.strip().lower() for part in cookie.split(";")[1:]}
        assert "httponly" in flags
        assert "samesite=strict" in flags
        assert "path=/" in flags
        assert ("secure" in flags) is secure


def test_forms_without_or_with_a_wrong_csrf_token_are_refused(web: Web) -> None:
    analyst = web.browsers["analyst"]
    for data in ({"label": "x"}, {"label": "x", "csrf": "wrong"}):
        response = analyst.post(f"/brands/{web.brand}/label", data=data)
        assert response.status_code == 403
    # the sign-in form has its own secret
    anonymous = TestClient(web.app, follow_redirects=False)
    anonymous.get("/sign-in")
    response = anonymous.post(
        "/sign-in", data={"name": "analyst-a", "password": PASSWORD, "csrf": "forged"}
    )
    assert response.status_code == 403
    # the API, called with a session cookie, wants the header; a bearer token needs none
    body = {"kind": "brand", "id": web.brand, "label": "via session"}
    assert analyst.post("/api/v1/clusters/label", json=body).status_code == 403
    response = analyst.post(
        "/api/v1/clusters/label", json=body, headers={"X-CSRF-Token": page_csrf(analyst)}
    )
    assert response.status_code == 200


def test_lock_out_after_repeated_failures_and_every_attempt_is_audited(web: Web) -> None:
    name = "viewer-a"
    client = TestClient(web.app, follow_redirects=False)
    before = _sign_in_events(web, name)
    for _ in range(5):
        assert sign_in(client, name, "not the password") == 401
    assert sign_in(client, name) == 401  # locked: even the right password is refused
    events = _sign_in_events(web, name)[len(before) :]
    assert [outcome for outcome, _ in events] == ["failed"] * 6
    assert [why for _, why in events] == ["wrong password"] * 5 + ["locked"]
    with web.engine.begin() as connection:  # the lock runs out (as if a minute went by)
        connection.execute(
            text("UPDATE users SET locked_until = NULL WHERE name = :n"), {"n": name}
        )
    assert sign_in(client, name) == 303
    assert _sign_in_events(web, name)[-1][0] == "ok"
    # the counter started again: one failure does not lock
    assert sign_in(client, name, "wrong again") == 401
    assert sign_in(client, name) == 303


def _sign_in_events(web: Web, name: str) -> list[tuple[str, str]]:
    with web.engine.connect() as connection:
        rows = connection.execute(
            text("SELECT outcome, after FROM audit_events WHERE action = 'sign-in' "
                 "AND object = :n ORDER BY id"), {"n": name}
        )  # fmt: skip
        return [(o, re.search(r'"why":"([^"]*)"', a).group(1) if '"why"' in a else "")  # type: ignore[union-attr]
                for o, a in rows]  # fmt: skip


def test_unknown_users_fail_like_wrong_passwords(web: Web) -> None:
    client = TestClient(web.app, follow_redirects=False)
    assert sign_in(client, "nobody-at-all") == 401
    assert sign_in(client, "admin-a", "wrong password!") == 401
    assert _sign_in_events(web, "nobody-at-all")[-1] == ("failed", "unknown user")


def test_token_scope_and_revocation(web: Web) -> None:
    from hotline.accounts import credentials
    from hotline.accounts.roles import local_admin
    from hotline.store.uow import unit_of_work

    with unit_of_work(web.engine) as connection:
        reader = credentials.issue_token(connection, local_admin("t"), "analyst-a", "r", "read")
    client = TestClient(web.app, headers=_bearer(reader))
    assert client.get("/api/v1/lookup", params={"q": web.site}).status_code == 200
    body = {"kind": "brand", "id": web.brand, "label": "by a read token"}
    assert client.post("/api/v1/clusters/label", json=body).status_code == 403
    with unit_of_work(web.engine) as connection:
        credentials.revoke_token(connection, local_admin("t"), "analyst-a", "r")
    assert client.get("/api/v1/lookup", params={"q": web.site}).status_code == 401
    bogus = TestClient(web.app, headers=_bearer("hlt_" + "x" * 43))
    assert bogus.get("/api/v1/lookup", params={"q": web.site}).status_code == 401


# --- what one organisation sees of another's --------------------------------------------


def _api_gets(web: Web) -> list[str]:
    return [
        path.replace("{key}", web.site)
        .replace("{ref}", web.brand if "brand" in path else web.distributor)
        .replace("{job}", str(web.job))
        + (f"?q={web.site}" if path.endswith("/lookup") else "")
        for method, path in routes(web.app)
        if method == "GET" and path.startswith("/api/v1")
    ]


def test_another_organisation_never_reads_report_rows(web: Web) -> None:
    own = TestClient(web.app, headers=_bearer(web.tokens["analyst"]))
    other = TestClient(web.app, headers=_bearer(web.tokens["other"]))
    for path in _api_gets(web):
        body = other.get(path).text
        assert "hl-a-" not in body, path  # org-a's report ids
        assert "web-000" not in body, path  # org-a's uploaded report ids
        assert "HL-A" not in body, path  # nor its source code
    mine = own.get(f"/api/v1/sites/{web.site}").json()["report_rows"]
    theirs = other.get(f"/api/v1/sites/{web.site}").json()["report_rows"]
    assert mine["own_total"] > 0
    assert {row["source"] for row in mine["own"]} == {"HL-A"}
    assert theirs["own_total"] > 0
    assert {row["source"] for row in theirs["own"]} == {"HL-B"}
    assert mine["own_total"] + mine["other_organisations"] == (
        theirs["own_total"] + theirs["other_organisations"]
    )


def test_imports_run_in_the_background_and_their_refusals_stay_with_the_uploader(
    web: Web,
) -> None:
    own = TestClient(web.app, headers=_bearer(web.tokens["viewer"]))
    other = TestClient(web.app, headers=_bearer(web.tokens["other"]))
    deadline = time.monotonic() + 30
    job = own.get(f"/api/v1/jobs/{web.job}").json()
    while job["status"] in ("queued", "running") and time.monotonic() < deadline:
        time.sleep(0.1)
        job = own.get(f"/api/v1/jobs/{web.job}").json()
    assert job["status"] == "done", job
    assert job["summary"]["new_reports"] == 2
    assert job["summary"]["rejected"] == 1
    mine = own.get("/api/v1/quarantine").json()
    assert mine["own"]["total"] >= 1
    assert all(item["file"].endswith(".csv") for item in mine["own"]["items"])
    theirs = other.get("/api/v1/quarantine").json()
    assert theirs["own"]["items"] == []
    assert sum(theirs["others_by_reason"].values()) >= mine["own"]["total"]
    assert other.get(f"/api/v1/jobs/{web.job}").status_code == 404
    lookup = own.get("/api/v1/lookup", params={"q": "https://shop.upload-site.test/item/1"})
    assert lookup.json()["known"] is True
    assert lookup.json()["url"] == "hxxps://shop[.]upload-site[.]test/item/1"


# --- content-free pages ------------------------------------------------------------------


def test_no_page_links_or_loads_a_reported_url(web: Web) -> None:
    """Crawl every page a signed-in admin can reach from the dashboard and the lookup: no
    absolute URL anywhere in a page (reported URLs are defanged text), and every link,
    script and form points at this server."""
    browser = web.browsers["admin"]
    start = ["/", f"/lookup?q={web.site}", f"/lookup?q=https://www.{web.site}/x",
             f"/sites/{web.site}", f"/brands/{web.brand}", f"/distributors/{web.distributor}",
             "/imports", "/quarantine", "/admin", "/api/v1/docs", "/sign-in"]  # fmt: skip
    seen = crawl(browser, start, 120, ("/sites/", "/brands/", "/distributors/"))
    assert len(seen) > 30


def test_the_site_page_shows_defanged_urls_and_evidence(web: Web) -> None:
    body = web.browsers["viewer"].get(f"/sites/{web.site}").text
    assert "hxxp" in body
    assert web.site.replace(".", "[.]") in body
    assert "Why this brand and distributor" in body
    assert f"/brands/{web.brand}" in body


# --- starting up -------------------------------------------------------------------------


def test_a_server_counts_from_its_warm_index_with_the_same_answers(
    web: Web, tmp_path: Path
) -> None:
    """``hotline serve`` builds the index of carriers before its first request; the
    evidence and selector counts it serves from that index are the database's answers."""
    sites = [web.site, *_attributed_sites(web.engine, 8)]
    api = TestClient(web.app, headers=_bearer(web.tokens["viewer"]))
    paths = [f"/api/v1/sites/{key}/{part}" for key in sites for part in ("why", "selectors")]
    from_database = {path: api.get(path).json() for path in paths}
    settings = Settings(upload_dir=tmp_path / "uploads", warm=True)
    warmed = create_app(web.url, settings)
    try:
        with TestClient(warmed, headers=_bearer(web.tokens["viewer"])) as client:
            with web.engine.connect() as connection:  # built before the first request
                assert carrier_index(connection) is not None
            for path in paths:
                response = client.get(path)
                assert response.status_code == 200, path
                assert response.json() == from_database[path], path
    finally:
        INDEXES.forget()


def _attributed_sites(engine: Any, count: int) -> list[str]:
    with engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT s.key FROM sites s JOIN site_attribution sa ON sa.site_id = s.id "
                "WHERE sa.brand_id IS NOT NULL ORDER BY s.key"
            )
        ).scalars()
        return list(rows)[::7][:count]  # spread over the key range


def test_the_web_refuses_a_database_without_users(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    engine = make_engine(url)
    upgrade(engine)
    with pytest.raises(WebSetupError, match="hotline users add"):
        create_app(url, engine=engine)
    engine.dispose()


def test_lookup_reads_urls_hosts_and_selector_values(web: Web) -> None:
    from hotline.urls import defang

    api = TestClient(web.app, headers=_bearer(web.tokens["viewer"]))
    with web.engine.connect() as connection:
        value = connection.execute(
            text("SELECT v.value FROM selectors v JOIN site_selectors ss ON ss.selector_id = v.id "
                 "WHERE v.kind = 'btc_address' ORDER BY v.value LIMIT 1")
        ).scalar_one()  # fmt: skip
        url = connection.execute(
            text("SELECT u.canonical FROM urls u JOIN sites s ON s.id = u.site_id "
                 "JOIN reports r ON r.url_id = u.id WHERE s.key = :k ORDER BY u.canonical LIMIT 1"),
            {"k": web.site},
        ).scalar_one()  # fmt: skip

    def ask(q: str) -> dict[str, Any]:
        response = api.get("/api/v1/lookup", params={"q": q})
        assert response.status_code == 200, response.text
        answer: dict[str, Any] = response.json()
        return answer

    found = ask(value)
    assert (found["kind"], found["known"]) == ("value", True)
    assert found["matches"]
    for typed in (url, defang(url), url.split("://", 1)[1]):
        found = ask(typed)
        assert (found["kind"], found["known"]) == ("url", True), typed
        assert found["url"].startswith("hxxp")
        assert found["site"]["site"]["key"] == web.site
        assert found["url_facts"]["reports"] >= 1
    found = ask(web.site)
    assert (found["kind"], found["known"]) == ("site", True)
    assert found["site"]["attribution"]["brand"] == web.brand
    assert ask("nowhere.test")["known"] is False


def test_uploads_are_refused_before_their_body_is_read(web: Web) -> None:
    """Who asks and how much are checked before the form is parsed (and spooled to disk)."""
    anonymous = TestClient(web.app, follow_redirects=False)
    body = {"file": ("feed.csv", FEED.encode())}
    assert anonymous.post("/api/v1/imports", files=body).status_code == 401
    assert anonymous.post("/imports", files=body).status_code == 303
    api = TestClient(web.app, headers=_bearer(web.tokens["analyst"]))
    limit = web.app.state.settings.upload_limit
    huge = {"Content-Length": str(limit * 2), "Content-Type": "multipart/form-data; boundary=x"}
    assert api.post("/api/v1/imports", content=b"--x--", headers=huge).status_code == 413


# --- generated requests from the OpenAPI document ----------------------------------------

HOSTILE_TEXT = st.one_of(
    st.text(max_size=40),
    st.sampled_from(
        ["", "..", "../../etc/passwd", "%00", "\x00", "b", "d", "b0", "b-1", "d99999999999",
         "hxxps://example[.]test/a", "http://[::1", "xn--", "a" * 3000, "' OR 1=1 --",
         "\u202e", "Zorbel", "G-ABCDEFGH12", "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2"]
    ),
)  # fmt: skip
NUMBERS = st.one_of(st.integers(-(2**70), 2**70), st.sampled_from(["", "x", "1e9", "-0", "00"]))


def _value(schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    kinds = [schema.get("type")] + [s.get("type") for s in schema.get("anyOf", [])]
    if "integer" in kinds:
        return NUMBERS
    return HOSTILE_TEXT


def _operations(web: Web) -> list[tuple[str, str, dict[str, Any]]]:
    document = web.app.openapi()
    return [
        (method.upper(), path, operation)
        for path, methods in document["paths"].items()
        for method, operation in methods.items()
        if "multipart/form-data" not in operation.get("requestBody", {}).get("content", {})
    ]


@st.composite
def _requests(draw: st.DrawFn, operations: list[tuple[str, str, dict[str, Any]]]) -> Any:
    method, path, operation = draw(st.sampled_from(operations))
    query: dict[str, Any] = {}
    for parameter in operation.get("parameters", []):
        value = draw(_value(parameter.get("schema", {})))
        if parameter["in"] == "path":
            path = path.replace("{" + parameter["name"] + "}", quote(str(value), safe="") or "x")
        elif draw(st.booleans()):
            query[parameter["name"]] = value
    body = None
    if "requestBody" in operation:
        fields = ("left", "right", "reason", "kind", "id", "label")
        body = draw(
            st.one_of(
                st.dictionaries(st.sampled_from(fields), st.one_of(HOSTILE_TEXT, NUMBERS)),
                st.lists(st.integers(), max_size=3),
                st.none(),
            )
        )
    who = draw(st.sampled_from(["admin", "viewer", "analyst"]))
    return method, path, query, body, who


def test_generated_requests_never_get_a_server_error(web: Web) -> None:
    """Every operation of the API's own OpenAPI document, with hostile path, query and body
    values, as three roles: never a 5xx, and every error in the one error shape."""
    operations = _operations(web)
    clients = {who: TestClient(web.app, headers=_bearer(web.tokens[who])) for who in
               ("admin", "viewer", "analyst")}  # fmt: skip

    @settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
    @given(request=_requests(operations))
    def check(request: Any) -> None:
        method, path, query, body, who = request
        response = clients[who].request(method, path, params=query, json=body)
        assert response.status_code < 500, (method, path, query, body, response.text[:300])
        if response.status_code >= 400 and response.headers.get("content-type", "").startswith(
            "application/json"
        ):
            error = response.json()["error"]
            assert error["status"] == response.status_code
            assert error["message"]

    check()


def test_site_views_count_media_known_and_new_never_show_them(web: Web) -> None:
    api = TestClient(web.app, headers=_bearer(web.tokens["viewer"]))
    body = api.get(f"/api/v1/sites/{web.site}").json()
    media = body["media"]
    assert set(media) == {"media", "known", "new", "captures"}
    assert sum(c["media"] for c in media["captures"]) <= media["media"]
    assert media["known"] == 0  # no hash list in this world
    assert media["new"] == media["media"]
    page = web.browsers["viewer"].get(f"/sites/{web.site}").text
    assert ("captured:" in page) == (media["media"] > 0)
    assert "<img" not in page


def test_the_assessment_page_shows_the_report_and_hands_out_its_file(web: Web) -> None:
    analyst = web.browsers["analyst"]
    csrf = page_csrf(analyst)
    shown = analyst.post("/assessment", data={"csrf": csrf})
    assert shown.status_code == 200
    assert "distributors operated" in shown.text
    assert "Known and new material" in shown.text
    assert re.search(r'(href|src)="(https?:)?//', shown.text) is None
    filed = analyst.post("/assessment", data={"csrf": csrf, "download": "html"})
    assert filed.status_code == 200
    assert filed.headers["content-disposition"] == 'attachment; filename="assessment.html"'
    assert "<svg" in filed.text  # the charts travel inline in the file
    # on the page too, drawn by the report's own code: no style attribute, no script, no link
    charts = re.findall(r"<svg class=\"chart.*?</svg>", shown.text, re.S)
    assert len(charts) >= 3
    assert not any(re.search(r"style=|<script|href=", chart) for chart in charts)
    tables = analyst.post("/assessment", data={"csrf": csrf, "download": "csv"})
    assert tables.status_code == 200
    assert "assessment-tables.zip" in tables.headers["content-disposition"]
    with zipfile.ZipFile(io.BytesIO(tables.content)) as archive:
        names = archive.namelist()
        assert names
        assert all(n.startswith("tables/") and n.endswith(".csv") for n in names)
        assert any(n.startswith("tables/chart-") for n in names)
        first = archive.read(names[0]).decode()
        assert first.splitlines()[0].count(",") >= 1  # a header with columns
    printed = analyst.post("/assessment", data={"csrf": csrf, "download": "pdf"})
    if find_chromium() is None and importlib.util.find_spec("weasyprint") is None:
        assert printed.status_code == 503, printed.text[:200]  # said plainly, never a 500
    else:
        assert printed.status_code == 200, printed.text[:200]
        assert printed.content.startswith(b"%PDF-")
        assert printed.headers["content-type"] == "application/pdf"
    late = analyst.post("/assessment", data={"csrf": csrf, "date_from": "2026-12-31",
                                              "date_to": "2026-01-01"})  # fmt: skip
    assert late.status_code == 422
    for hostile in (
        {"as_of": "yesterday"},
        {"date_to": "9999-12-31"},
        {"as_of": "0001-01-01T00:00:00+05:00"},
        {"as_of": "2999-01-01T00:00:00Z"},
    ):
        bad = analyst.post("/assessment", data={"csrf": csrf, **hostile})
        assert bad.status_code == 422, hostile  # never a 500, and no report of the future
    assert analyst.post("/assessment", data={"csrf": "wrong"}).status_code == 403


def test_brand_and_distributor_pages_draw_their_evidence(web: Web) -> None:
    viewer = web.browsers["viewer"]
    brand = viewer.get(f"/brands/{web.brand}").text
    assert '<svg class="evidence"' in brand
    distributor = viewer.get(f"/distributors/{web.distributor}").text
    assert "Evidence: what its brands share" in distributor
    for page in (brand, distributor):
        assert re.search(r"https?://", page) is None


def test_similar_templates_equal_a_scan_of_every_template(web: Web) -> None:
    """The site page's near-duplicate templates (one cached array, compared at once) against
    a plain scan of every (site, template) pair of the store."""
    with web.engine.connect() as connection:
        pairs = connection.execute(
            select(Site.key, SelectorValue.value)
            .join(SiteSelector, SiteSelector.site_id == Site.id)
            .join(SelectorValue, SelectorValue.id == SiteSelector.selector_id)
            .where(SelectorValue.kind == "template")
        ).all()
        assert len({key for key, _ in pairs}) > 20, "the world should have templated sites"
        checked = 0
        for site in sorted({key for key, _ in pairs})[:40]:
            own = [int(value, 16) for key, value in pairs if key == site]
            best: dict[str, int] = {}
            for key, value in pairs:
                if key == site:
                    continue
                distance = min(hamming(int(value, 16), mine) for mine in own)
                if distance <= SAME_TEMPLATE_BITS:
                    best[key] = min(distance, best.get(key, distance))
            expected = sorted(best.items(), key=lambda item: (item[1], item[0]))
            assert similar_templates(connection, site) == expected, site
            checked += bool(expected)
        assert checked, "some sites should share a template"
        assert template_table(connection) is template_table(connection)  # built once
