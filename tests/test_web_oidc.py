"""Single sign-on through OpenID Connect, against a small provider that runs for real on
loopback (discovery, JWKS, authorize, token) and signs its ID tokens with a key made here.

A full sign-in opens a working session; every refusal (unknown or disabled user, wrong
state, nonce, audience, issuer, an expired or badly signed token, the provider saying no or
not answering) is audited, opens no session and shows a plain refusal. The configuration
file is checked at start-up, and without one the routes do not exist (404). Storage runs on
SQLite and PostgreSQL."""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import json
import secrets
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient
from joserfc import jwt
from joserfc.jwk import RSAKey
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from hotline.accounts import credentials
from hotline.accounts.roles import Role, local_admin
from hotline.accounts.services import add_organisation, add_user, disable_user
from hotline.accounts.sso import OidcConfig, SsoConfigError, load_config
from hotline.cli import serve
from hotline.cli.app import app as cli
from hotline.store.engine import make_engine
from hotline.store.migrate import upgrade
from hotline.store.uow import unit_of_work
from hotline.web.app import Settings, create_app, from_environment
from hotline.web.security import SESSION_COOKIE
from tests.conftest import BACKENDS, PG_ADMIN_URL
from tests.test_report_render import _need_chromium

HOTLINE = "http://localhost"  # the application's public address in these tests
CLIENT_ID = "hotline-tests"
CLIENT_SECRET = "a client secret for the tests"  # noqa: S105 -- a test provider's
SECRET_ENV = "HOTLINE_TEST_OIDC_SECRET"  # noqa: S105 -- the name of a variable
PASSWORD = "a long enough password"  # noqa: S105 -- a test account's
BOOT = local_admin("boot")


# --- a small OpenID Connect provider on loopback ----------------------------------------


@dataclass
class Behaviour:
    """How the provider answers the next sign-in (reset for every test)."""

    username: str = "sso-alice"
    email: str = "sso-alice@example.com"
    email_verified: bool = True
    deny: bool = False  # answer error=access_denied instead of a code
    nonce: str | None = "echo"  # "echo" the request's, None to leave it out, or this value
    audience: str = CLIENT_ID
    issuer: str | None = None  # None: the provider's own
    lifetime: int = 300  # seconds from now to exp
    signer: str = "good"  # good | other (same key id, another key) | none | hs256
    token_status: int = 200  # anything else: an HTML error page from /token
    client_secret: str = CLIENT_SECRET  # the secret /token expects
    foreign_code: bool = False  # the code belongs to another attempt (another PKCE challenge)
    consent_page: bool = False  # a page whose button sends the browser back, as real ones do


@dataclass
class Grant:
    redirect_uri: str
    nonce: str
    challenge: str


@dataclass
class Provider:
    url: str = ""
    key: RSAKey = field(default_factory=lambda: RSAKey.generate_key(2048, {"kid": "key-1"}))
    other: RSAKey = field(default_factory=lambda: RSAKey.generate_key(2048, {"kid": "key-1"}))
    behaviour: Behaviour = field(default_factory=Behaviour)
    grants: dict[str, Grant] = field(default_factory=dict)
    authorize_requests: list[dict[str, str]] = field(default_factory=list)

    def discovery(self) -> dict[str, Any]:
        return {
            "issuer": self.url,
            "authorization_endpoint": f"{self.url}/authorize",
            "token_endpoint": f"{self.url}/token",
            "jwks_uri": f"{self.url}/jwks",
            "response_types_supported": ["code"],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic"],
            "id_token_signing_alg_values_supported": ["RS256"],
        }

    def authorize(self, query: dict[str, str]) -> str:
        """Auto-approves: the browser goes back with a code (or the refusal) and the state."""
        self.authorize_requests.append(query)
        back = query["redirect_uri"]
        if self.behaviour.deny:
            return f"{back}?{urlencode({'error': 'access_denied', 'state': query['state']})}"
        code = secrets.token_urlsafe(16)
        challenge = query["code_challenge"]
        if self.behaviour.foreign_code:
            challenge = _b64(hashlib.sha256(secrets.token_bytes(32)).digest())
        self.grants[code] = Grant(back, query.get("nonce", ""), challenge)
        return f"{back}?{urlencode({'code': code, 'state': query['state']})}"

    def token(self, form: dict[str, str], authorization: str) -> tuple[int, dict[str, Any]]:
        """Checks the client, the code (once), the redirect URI and the PKCE verifier."""
        client = f"{CLIENT_ID}:{self.behaviour.client_secret}"
        expected = base64.b64encode(client.encode()).decode()
        if authorization != f"Basic {expected}":
            return 401, {"error": "invalid_client"}
        grant = self.grants.pop(form.get("code", ""), None)
        verifier = form.get("code_verifier", "")
        challenge = _b64(hashlib.sha256(verifier.encode()).digest())
        if (
            form.get("grant_type") != "authorization_code"
            or grant is None
            or grant.redirect_uri != form.get("redirect_uri")
            or not hmac.compare_digest(challenge, grant.challenge)
        ):
            return 400, {"error": "invalid_grant"}
        access = secrets.token_urlsafe(16)
        return 200, {"access_token": access, "token_type": "Bearer", "expires_in": 300,
                     "id_token": self.id_token(grant.nonce)}  # fmt: skip

    def id_token(self, nonce: str) -> str:
        b = self.behaviour
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": b.issuer or self.url, "sub": f"subject-{b.username}", "aud": b.audience,
            "iat": now, "exp": now + b.lifetime, "preferred_username": b.username,
            "email": b.email, "email_verified": b.email_verified,
        }  # fmt: skip
        if b.nonce is not None:
            claims["nonce"] = nonce if b.nonce == "echo" else b.nonce
        if b.signer in ("good", "other"):
            key = self.key if b.signer == "good" else self.other
            return jwt.encode({"alg": "RS256", "kid": "key-1"}, claims, key)
        header = {"alg": "none"} if b.signer == "none" else {"alg": "HS256", "kid": "key-1"}
        signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"
        if b.signer == "none":
            return signing_input + "."
        # the forgery HS256 allows: the provider's public key used as the shared secret
        public = json.dumps(self.key.as_dict(private=False), sort_keys=True).encode()
        return (
            f"{signing_input}.{_b64(hmac.new(public, signing_input.encode(), 'sha256').digest())}"
        )


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class Handler(BaseHTTPRequestHandler):
    server: ProviderServer

    def do_GET(self) -> None:
        provider = self.server.provider
        parts = urlsplit(self.path)
        query = {key: values[0] for key, values in parse_qs(parts.query).items()}
        if parts.path == "/.well-known/openid-configuration":
            self._json(200, provider.discovery())
        elif parts.path == "/jwks":
            self._json(200, {"keys": [provider.key.as_dict(private=False)]})
        elif parts.path == "/authorize" and provider.behaviour.consent_page:
            back = html.escape(provider.authorize(query))
            page = (f'<form method="post" action="/approve"><input type="hidden" name="to" '
                    f'value="{back}"><button id="approve">Approve</button></form>')  # fmt: skip
            self._send(200, page.encode(), "text/html")
        elif parts.path == "/authorize":
            self._redirect(provider.authorize(query))
        else:
            self._json(404, {"error": "not_found"})

    def do_POST(self) -> None:
        provider = self.server.provider
        body = self.rfile.read(int(self.headers.get("Content-Length", "0"))).decode()
        form = {key: values[0] for key, values in parse_qs(body).items()}
        if self.path == "/approve":
            self._redirect(form["to"])
        elif self.path != "/token":
            self._json(404, {"error": "not_found"})
        elif provider.behaviour.token_status != 200:
            self._send(provider.behaviour.token_status, b"<html>unavailable</html>", "text/html")
        else:
            self._json(*provider.token(form, self.headers.get("Authorization", "")))

    def _redirect(self, location: str) -> None:
        self.send_response(302)
        self.send_header("Location", location)
        self.end_headers()

    def _json(self, status: int, body: dict[str, Any]) -> None:
        self._send(status, json.dumps(body).encode(), "application/json")

    def _send(self, status: int, body: bytes, kind: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # quiet tests


class ProviderServer(ThreadingHTTPServer):
    provider: Provider


@pytest.fixture(scope="module")
def provider_server() -> Iterator[Provider]:
    server = ProviderServer(("127.0.0.1", 0), Handler)
    server.provider = Provider(url=f"http://127.0.0.1:{server.server_address[1]}")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.provider
    server.shutdown()
    server.server_close()


@pytest.fixture
def provider(provider_server: Provider) -> Provider:
    provider_server.behaviour = Behaviour()
    provider_server.authorize_requests.clear()
    return provider_server


# --- a small world: one organisation, a few users ---------------------------------------


@pytest.fixture(scope="module", params=BACKENDS)
def database(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('oidc-db') / 'hotline.db'}"
    else:
        template = request.getfixturevalue("pg_template")
        name = f"hotline_oidc_{uuid.uuid4().hex[:10]}"
        admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
        url = make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    engine = make_engine(url)
    upgrade(engine)
    with unit_of_work(engine) as connection:
        add_organisation(connection, BOOT, "north")
        add_user(connection, BOOT, "admin-n", [("north", Role.ADMIN)])
        credentials.set_password(connection, BOOT, "admin-n", PASSWORD)
        add_user(connection, BOOT, "sso-alice", [("north", Role.ANALYST)])
        add_user(connection, BOOT, "sso-bob", [("north", Role.VIEWER)])
        add_user(connection, BOOT, "carol@example.com", [("north", Role.VIEWER)])
        add_user(connection, BOOT, "robot", [("north", Role.ANALYST)], kind="service")
        disable_user(connection, BOOT, "sso-bob")
    engine.dispose()
    yield url
    if request.param == "postgresql":
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def engine(database: str) -> Iterator[Engine]:
    engine = make_engine(database)
    yield engine
    engine.dispose()


def _config_file(folder: Path, issuer: str, **extra: str) -> Path:
    lines = {"issuer": issuer, "client_id": CLIENT_ID, "client_secret_env": SECRET_ENV,
             "base_url": HOTLINE, "label": "Example ID", **extra}  # fmt: skip
    path = folder / "sso.toml"
    path.write_text("".join(f"{key} = {json.dumps(value)}\n" for key, value in lines.items()))
    return path


@pytest.fixture
def secret_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(SECRET_ENV, CLIENT_SECRET)


def _app(engine: Engine, database: str, tmp_path: Path, config: OidcConfig | None) -> FastAPI:
    settings = Settings(upload_dir=tmp_path / "uploads", oidc=config)
    return create_app(database, settings, engine=engine)


@pytest.fixture
def client(
    engine: Engine, database: str, tmp_path: Path, provider: Provider, secret_env: None
) -> Iterator[TestClient]:
    config = load_config(_config_file(tmp_path, provider.url))
    with TestClient(_app(engine, database, tmp_path, config), base_url=HOTLINE,
                    follow_redirects=False) as browser:  # fmt: skip
        yield browser


def _through_provider(client: TestClient, **change: str) -> httpx.Response:
    """Start at hotline, let the provider answer for real, come back with its answer (the
    callback's parameters changed as given)."""
    start = client.get("/sign-in/oidc")
    assert start.status_code == 303, start.text
    answer = httpx.get(start.headers["location"], follow_redirects=False, timeout=10)
    assert answer.status_code == 302
    back = urlsplit(answer.headers["location"])
    assert f"{back.scheme}://{back.netloc}{back.path}" == f"{HOTLINE}/sign-in/oidc/callback"
    query = {key: values[0] for key, values in parse_qs(back.query).items()}
    back_at_hotline: httpx.Response = client.get(back.path, params={**query, **change})
    return back_at_hotline


def _sign_ins(engine: Engine) -> list[tuple[str, str, dict[str, Any]]]:
    with engine.connect() as connection:
        rows = connection.execute(text(
            "SELECT actor, outcome, after FROM audit_events WHERE action = 'sign-in' ORDER BY id"
        ))  # fmt: skip
        return [(row[0], row[1], json.loads(row[2])) for row in rows]


def _signed_in(client: TestClient) -> bool:
    return int(client.get("/").status_code) == 200


# --- the sign-in ------------------------------------------------------------------------


def test_a_sign_in_through_the_provider_opens_a_session(
    client: TestClient, engine: Engine, provider: Provider
) -> None:
    before = len(_sign_ins(engine))
    back = _through_provider(client)
    assert back.status_code == 200
    # the browser moves on from a page of this site, so the Strict session cookie goes along
    assert 'http-equiv="refresh" content="0; url=/"' in back.text
    assert back.cookies.get(SESSION_COOKIE)
    assert _signed_in(client)
    assert "sso-alice" in client.get("/").text
    events = _sign_ins(engine)[before:]
    assert len(events) == 1
    actor, outcome, after = events[0]
    assert (actor, outcome) == ("sso-alice", "ok")
    assert after == {"via": "oidc", "issuer": provider.url, "subject": "subject-sso-alice"}
    request = provider.authorize_requests[-1]
    assert request["code_challenge_method"] == "S256"
    assert request["scope"] == "openid profile email"
    assert request["client_id"] == CLIENT_ID
    assert request["nonce"]
    assert request["state"]


REFUSALS: dict[str, tuple[dict[str, Any], int, str]] = {
    "unknown user": ({"username": "nobody-here"}, 401, "unknown user"),
    "disabled user": ({"username": "sso-bob"}, 401, "disabled"),
    "service account": ({"username": "robot"}, 401, "service account"),
    "missing nonce": ({"nonce": None}, 401, "nonce"),
    "wrong nonce": ({"nonce": "not-the-nonce-of-this-attempt"}, 401, "nonce"),
    "wrong audience": ({"audience": "another-client"}, 401, "aud"),
    "wrong issuer": ({"issuer": "https://id.elsewhere.example.com"}, 401, "iss"),
    "expired token": ({"lifetime": -300}, 401, "expired"),
    "another key": ({"signer": "other"}, 401, "signature"),
    "alg none": ({"signer": "none"}, 401, "signature"),
    "HS256 with the public key": ({"signer": "hs256"}, 401, "signature"),
    "access denied": ({"deny": True}, 401, "error=access_denied"),
    "token endpoint broken": ({"token_status": 500}, 502, "token endpoint: HTTP 500"),
    "another attempt's code": ({"foreign_code": True}, 401, "refused the code: invalid_grant"),
    "hotline's secret refused": ({"client_secret": "another"}, 502, "(invalid_client)"),
}


@pytest.mark.parametrize("case", list(REFUSALS))
def test_refusals_are_audited_and_open_no_session(
    case: str, client: TestClient, engine: Engine, provider: Provider
) -> None:
    change, status, why = REFUSALS[case]
    for name, value in change.items():
        setattr(provider.behaviour, name, value)
    before = len(_sign_ins(engine))
    back = _through_provider(client)
    _assert_refused(client, engine, before, back, status, why)


def _assert_refused(
    client: TestClient, engine: Engine, before: int, back: httpx.Response, status: int, why: str
) -> None:
    assert back.status_code == status
    assert "Traceback" not in back.text
    assert ("was refused" if status == 401 else "could not be reached") in back.text
    assert why not in back.text  # the reason is for the audit trail only
    assert 'action="/sign-in"' in back.text  # the password form stays usable
    assert not back.cookies.get(SESSION_COOKIE)
    assert not _signed_in(client)
    events = _sign_ins(engine)[before:]
    assert len(events) == 1, events
    _, outcome, after = events[0]
    assert outcome == "failed"
    assert after["via"] == "oidc"
    assert why in after["why"], after


def test_a_wrong_state_or_a_replayed_answer_is_refused(
    client: TestClient, engine: Engine, provider: Provider
) -> None:
    before = len(_sign_ins(engine))
    back = _through_provider(client, state=secrets.token_urlsafe(32))
    _assert_refused(client, engine, before, back, 401, "state does not match")
    # the answer is good once: the attempt's cookie is gone after the first callback
    start = client.get("/sign-in/oidc")
    answer = httpx.get(start.headers["location"], follow_redirects=False)
    path = answer.headers["location"].removeprefix(HOTLINE)
    assert client.get(path).status_code == 200
    client.cookies.delete(SESSION_COOKIE)
    before = len(_sign_ins(engine))
    _assert_refused(client, engine, before, client.get(path), 401, "no sign-in under way")


def test_the_provider_checks_the_pkce_verifier(client: TestClient, provider: Provider) -> None:
    form = {"grant_type": "authorization_code", "redirect_uri": f"{HOTLINE}/sign-in/oidc/callback"}
    auth = (CLIENT_ID, CLIENT_SECRET)
    code, verifier = _code_and_verifier(client)
    wrong = httpx.post(f"{provider.url}/token", auth=auth,
                       data={**form, "code": code, "code_verifier": verifier[::-1]})  # fmt: skip
    assert (wrong.status_code, wrong.json()) == (400, {"error": "invalid_grant"})
    code, verifier = _code_and_verifier(client)
    right = httpx.post(f"{provider.url}/token", auth=auth,
                       data={**form, "code": code, "code_verifier": verifier})  # fmt: skip
    assert right.status_code == 200
    assert right.json()["id_token"]


def _code_and_verifier(client: TestClient) -> tuple[str, str]:
    """A code from the provider for an attempt hotline started, and that attempt's PKCE
    verifier (from its cookie: state.nonce.verifier)."""
    start = client.get("/sign-in/oidc")
    verifier = (client.cookies.get("hotline_oidc") or "").split(".")[-1]
    answer = httpx.get(start.headers["location"], follow_redirects=False)
    return parse_qs(urlsplit(answer.headers["location"]).query)["code"][0], verifier


def test_an_unreachable_provider_is_a_clear_refusal(
    engine: Engine, database: str, tmp_path: Path, secret_env: None
) -> None:
    with socket.socket() as spare:  # a port nothing listens on
        spare.bind(("127.0.0.1", 0))
        port = spare.getsockname()[1]
    config = load_config(_config_file(tmp_path, f"http://127.0.0.1:{port}"))
    before = len(_sign_ins(engine))
    with TestClient(_app(engine, database, tmp_path, config), base_url=HOTLINE,
                    follow_redirects=False) as browser:  # fmt: skip
        refused = browser.get("/sign-in/oidc")
        assert refused.status_code == 502
        assert "could not be reached" in refused.text
        assert not _signed_in(browser)
    [(actor, outcome, after)] = _sign_ins(engine)[before:]
    assert (actor, outcome) == ("?", "failed")
    assert "unreachable" in after["why"]


def test_the_email_claim_names_users_when_verified(
    engine: Engine, database: str, tmp_path: Path, provider: Provider, secret_env: None
) -> None:
    config = load_config(_config_file(tmp_path, provider.url, user_claim="email"))
    provider.behaviour.email = "carol@example.com"
    with TestClient(_app(engine, database, tmp_path, config), base_url=HOTLINE,
                    follow_redirects=False) as browser:  # fmt: skip
        provider.behaviour.email_verified = False
        before = len(_sign_ins(engine))
        _assert_refused(browser, engine, before, _through_provider(browser), 401, "not verified")
        provider.behaviour.email_verified = True
        assert _through_provider(browser).status_code == 200
        assert _signed_in(browser)
    assert _sign_ins(engine)[-1][:2] == ("carol@example.com", "ok")


class _Server(uvicorn.Server):
    def install_signal_handlers(self) -> None:  # a thread cannot; the test stops it
        pass


@pytest.mark.slow
def test_a_real_browser_arrives_signed_in(
    engine: Engine, database: str, tmp_path: Path, provider: Provider, secret_env: None
) -> None:
    """The provider's own page sends the browser back (a cross-site navigation): the Lax
    attempt cookie comes along, and the Strict session cookie reaches the dashboard."""
    from playwright.sync_api import sync_playwright

    if not database.startswith("sqlite"):
        pytest.skip("the browser's side does not depend on the database")
    chromium = _need_chromium()
    provider.behaviour.consent_page = True
    with socket.socket() as spare:
        spare.bind(("127.0.0.1", 0))
        port = spare.getsockname()[1]
    # hotline on "localhost", the provider on "127.0.0.1": two different sites
    config = load_config(_config_file(tmp_path, provider.url, base_url=f"http://localhost:{port}"))
    app = _app(engine, database, tmp_path, config)
    server = _Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        for _ in range(200):
            if server.started:
                break
            time.sleep(0.05)
        with sync_playwright() as driver:
            browser = driver.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
            page = browser.new_page()
            page.goto(f"http://localhost:{port}/sign-in")
            page.click("text=Sign in with Example ID")
            page.click("#approve")
            page.wait_for_function("document.title.startsWith('Dashboard')", timeout=10_000)
            assert "sso-alice" in page.content()
            browser.close()
    finally:
        server.should_exit = True
        thread.join(timeout=10)


# --- configuration ----------------------------------------------------------------------


def test_without_configuration_there_is_no_single_sign_on(
    engine: Engine, database: str, tmp_path: Path, provider: Provider, secret_env: None
) -> None:
    with TestClient(_app(engine, database, tmp_path, None), base_url=HOTLINE) as plain:
        assert plain.get("/sign-in/oidc").status_code == 404
        assert plain.get("/sign-in/oidc/callback?code=x&state=y").status_code == 404
        assert "Sign in with" not in plain.get("/sign-in").text
    config = load_config(_config_file(tmp_path, provider.url))
    with TestClient(_app(engine, database, tmp_path, config), base_url=HOTLINE) as sso:
        page = sso.get("/sign-in").text
        assert '<a href="/sign-in/oidc">Sign in with Example ID</a>' in page


GOOD_FILE = {
    "issuer": "https://id.example.com/realms/hotline",
    "client_id": CLIENT_ID,
    "client_secret_env": SECRET_ENV,
    "base_url": "https://hotline.example.com",
}
# the good file with these keys changed (None: left out), or this text; the key and reason
BAD_FILES: dict[str, tuple[dict[str, Any] | str, str, str]] = {
    "not TOML": ("issuer = [", "", "not valid TOML"),
    "no issuer": ({"issuer": None}, "issuer", "missing (required)"),
    "plain http": ({"issuer": "http://id.example.com"}, "issuer", "must use https"),
    "a query": ({"base_url": "https://hotline.example.com/?a=1"}, "base_url", "no query"),
    "empty client id": ({"client_id": ""}, "client_id", "non-empty"),
    "unknown claim": ({"user_claim": "name"}, "user_claim", "one of preferred_username, email"),
    "no openid scope": ({"scopes": "profile email"}, "scopes", "must include 'openid'"),
    "long timeout": ({"timeout": 600}, "timeout", "from 1 to 60"),
    "unknown key": ({"colour": "blue"}, "colour", "unknown key"),
    "two secrets": ({"client_secret": "inline"}, "client_secret_env", "exactly one"),
    "no secret": ({"client_secret_env": None}, "client_secret_env", "exactly one"),
    "unset variable": ({"client_secret_env": "NOT_SET_ANYWHERE"}, "client_secret_env",
                       "the environment variable NOT_SET_ANYWHERE is not set"),
}  # fmt: skip


@pytest.mark.parametrize("case", list(BAD_FILES))
def test_a_bad_configuration_is_refused_with_where_and_why(
    case: str, tmp_path: Path, secret_env: None
) -> None:
    change, key, reason = BAD_FILES[case]
    path = tmp_path / "sso.toml"
    if isinstance(change, str):
        path.write_text(change + "\n")
    else:
        values = {
            name: value for name, value in {**GOOD_FILE, **change}.items() if value is not None
        }
        path.write_text(
            "".join(f"{name} = {json.dumps(value)}\n" for name, value in values.items())
        )
        path.chmod(0o600)
    with pytest.raises(SsoConfigError) as raised:
        load_config(path)
    assert str(raised.value).startswith(f"{path}: {key}")
    assert reason in str(raised.value)


def test_a_secret_in_a_file_others_can_read_is_refused(tmp_path: Path) -> None:
    path = _config_file(tmp_path, "https://id.example.com")
    text_ = path.read_text().replace(f'client_secret_env = "{SECRET_ENV}"', 'client_secret = "s"')
    path.write_text(text_)
    path.chmod(0o644)
    with pytest.raises(SsoConfigError, match="client_secret: the file is open to other users"):
        load_config(path)
    path.chmod(0o600)
    config = load_config(path)
    assert config.client_secret == "s"  # noqa: S105 -- the test file's
    assert "'s'" not in repr(config)
    assert config.redirect_uri == f"{HOTLINE}/sign-in/oidc/callback"
    assert config.label == "Example ID"
    assert config.scopes == ("openid", "profile", "email")


def test_serve_refuses_a_bad_file_and_passes_a_good_one_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, secret_env: None
) -> None:
    url = f"sqlite:///{tmp_path / 'serve.db'}"
    engine = make_engine(url)
    upgrade(engine)
    with unit_of_work(engine) as connection:
        add_organisation(connection, BOOT, "north")
        add_user(connection, BOOT, "admin-n", [("north", Role.ADMIN)])
        credentials.set_password(connection, BOOT, "admin-n", PASSWORD)
    engine.dispose()
    runner = CliRunner()
    bad = tmp_path / "bad.toml"
    bad.write_text(
        f'issuer = "https://id.example.com"\nclient_id = "x"\nclient_secret_env = "{SECRET_ENV}"\n'
    )
    refused = runner.invoke(cli, ["--db", url, "serve", "--oidc", str(bad), "--port", "1"])
    assert refused.exit_code == 2
    assert f"{bad}: base_url: missing" in " ".join(refused.stderr.split())
    served: list[Any] = []
    monkeypatch.setattr(serve, "uvicorn_run", lambda app, **_: served.append(app))
    good = _config_file(tmp_path, "https://id.example.com/realms/hotline")
    ran = runner.invoke(cli, ["--db", url, "serve", "--oidc", str(good),
                              "--uploads", str(tmp_path / "up")])  # fmt: skip
    assert ran.exit_code == 0, ran.stderr
    assert served[0].state.settings.oidc.issuer == "https://id.example.com/realms/hotline"
    # several workers: each builds its application from the environment
    monkeypatch.setenv("HOTLINE_WEB_DB", url)
    monkeypatch.setenv("HOTLINE_WEB_UPLOADS", str(tmp_path / "up"))
    monkeypatch.setenv("HOTLINE_WEB_OIDC", str(good))
    assert from_environment().state.settings.oidc.client_id == CLIENT_ID
