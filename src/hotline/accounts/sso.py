"""Single sign-on through an OpenID Connect provider: its configuration file, the protocol,
and the mapping of a verified identity onto an existing local user.

The protocol is the authorization code flow with PKCE (S256), ``state`` and ``nonce``. The
provider's endpoints come from its discovery document (kept for an hour), the code is
exchanged at its token endpoint, and the ID token must be signed (RS256 or ES256) by a key
of the provider's JWKS and name the configured issuer, this client as its audience, the
attempt's nonce, and an unexpired time. Authlib builds the requests and checks the claims;
joserfc (Authlib's JOSE library) checks the signature.

A verified identity is only a claim to a name: it signs in the local user of that name if
there is one, enabled, a person, with a role somewhere. Nobody is created here; who may do
what stays with the organisation's administrators. Every attempt, refused ones included, is
one ``sign-in`` audit event (``via: oidc``) with the reason of a refusal.
"""

from __future__ import annotations

import hmac
import ipaddress
import json
import os
import re
import secrets
import threading
import time
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
from authlib.oauth2.auth import ClientAuth
from authlib.oauth2.rfc6749.parameters import prepare_grant_uri, prepare_token_request
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from authlib.oidc.core import CodeIDToken
from joserfc import jwt
from joserfc.errors import InvalidKeyIdError, JoseError
from joserfc.jwk import KeySet
from sqlalchemy import Engine, select

from hotline.accounts.audit import FAILED, record_event, storable
from hotline.accounts.models import User
from hotline.accounts.roles import Actor
from hotline.accounts.services import MAX_NAME, AccountError, resolve_actor
from hotline.store.uow import unit_of_work

CALLBACK_PATH = "/sign-in/oidc/callback"
USER_CLAIMS = ("preferred_username", "email")
DEFAULT_SCOPES = ("openid", "profile", "email")
# Asymmetric only: with HS256 the provider's *public* key would be the shared secret, so
# anyone could sign; "none" is no signature at all.
ALGORITHMS = ("RS256", "ES256")
LEEWAY = 60  # seconds of clock difference tolerated on exp, iat and nbf
ATTEMPT_LIFETIME = 600  # seconds a browser has to come back from the provider
DISCOVERY_LIFETIME = 3600.0  # seconds the endpoints are kept before being asked again
KEYS_REFRESH_GAP = 60.0  # an unknown key id refetches the JWKS, at most once a minute
MAX_RESPONSE = 1024 * 1024  # bytes read from any answer of the provider
SECRET_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
SCOPE_TOKEN = re.compile(r"[\x21\x23-\x5b\x5d-\x7e]+")  # RFC 6749, section 3.3
RANDOM_VALUE = re.compile(r"[A-Za-z0-9_-]{32,128}")
CONFIG_KEYS = (
    "issuer",
    "client_id",
    "client_secret",
    "client_secret_env",
    "base_url",
    "scopes",
    "user_claim",
    "label",
    "timeout",
)


# --- the configuration file -------------------------------------------------------------


class SsoConfigError(ValueError):
    """A configuration file that cannot be used; the message names the file, the key and
    the reason."""


@dataclass(frozen=True)
class OidcConfig:
    """Where the provider is and who hotline is to it."""

    issuer: str
    client_id: str
    client_secret: str = field(repr=False)
    base_url: str  # hotline's public address, without a trailing slash
    scopes: tuple[str, ...] = DEFAULT_SCOPES
    user_claim: str = "preferred_username"
    label: str = ""
    timeout: float = 10.0  # seconds per request to the provider
    source: Path | None = None  # the file it was read from

    @property
    def redirect_uri(self) -> str:
        return self.base_url + CALLBACK_PATH

    @property
    def discovery_url(self) -> str:
        return self.issuer.rstrip("/") + "/.well-known/openid-configuration"


def load_config(path: Path, environ: Mapping[str, str] | None = None) -> OidcConfig:
    """Read and check a configuration file (TOML); raises :class:`SsoConfigError`."""
    environ = os.environ if environ is None else environ
    data = _read_toml(path)
    unknown = sorted(set(data) - set(CONFIG_KEYS))
    if unknown:
        raise _located(path, unknown[0], f"unknown key (known: {', '.join(CONFIG_KEYS)})")
    issuer = _url_in(data, "issuer", path)
    return OidcConfig(
        issuer=issuer,
        client_id=_text_in(data, "client_id", path, 255),
        client_secret=_secret_in(data, path, environ),
        base_url=_url_in(data, "base_url", path).rstrip("/"),
        scopes=_scopes_in(data, path),
        user_claim=_choice_in(data, "user_claim", path, USER_CLAIMS),
        label=_text_in(data, "label", path, 60, default=urlsplit(issuer).hostname or issuer),
        timeout=_timeout_in(data, path),
        source=path,
    )


def _located(path: Path, key: str, reason: str) -> SsoConfigError:
    return SsoConfigError(f"{path}: {key}: {reason}")


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        reason = getattr(error, "strerror", None) or str(error)
        raise SsoConfigError(f"{path}: cannot be read: {reason}") from error
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise SsoConfigError(f"{path}: not valid TOML: {error}") from error
    if "client_secret" in data and path.stat().st_mode & 0o077:
        # a secret in a file others can read is no longer a secret
        reason = f"the file is open to other users: chmod 600 {path}, or use client_secret_env"
        raise _located(path, "client_secret", reason)
    return data


def _text_in(
    data: Mapping[str, Any], key: str, path: Path, longest: int, default: str | None = None
) -> str:
    value = data.get(key, default)
    if value is None:
        raise _located(path, key, "missing (required)")
    if not isinstance(value, str) or not value.strip():
        raise _located(path, key, "must be a non-empty string")
    if len(value) > longest:
        raise _located(path, key, f"has {len(value)} characters; at most {longest}")
    if any(not char.isprintable() for char in value):
        raise _located(path, key, "holds a control character")
    return value.strip()


def _url_in(data: Mapping[str, Any], key: str, path: Path) -> str:
    value = _text_in(data, key, path, 2000)
    problem = url_problem(value)
    if problem:
        raise _located(path, key, problem)
    return value


def url_problem(url: str) -> str:
    """Why ``url`` cannot be a provider's or hotline's address ("" when it can): HTTPS,
    or plain HTTP to this machine only (a test provider, a local trial)."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        parts.port  # noqa: B018 -- raises ValueError for a port that is not a number
    except ValueError:
        return f"'{url}' is not a URL"
    if parts.scheme not in ("https", "http") or not host:
        return f"'{url}' is not an http(s) URL with a host"
    if parts.scheme == "http" and not _loopback(host):
        return f"'{url}' must use https (plain http only to this machine)"
    if parts.query or parts.fragment or parts.username or parts.password:
        return f"'{url}' must have no query, fragment or user name"
    return ""


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _secret_in(data: Mapping[str, Any], path: Path, environ: Mapping[str, str]) -> str:
    if ("client_secret" in data) == ("client_secret_env" in data):
        raise _located(path, "client_secret_env", "give exactly one of client_secret_env "
                       "(the name of an environment variable) or client_secret")  # fmt: skip
    if "client_secret" in data:
        return _text_in(data, "client_secret", path, 1000)
    name = _text_in(data, "client_secret_env", path, 200)
    if not SECRET_NAME.fullmatch(name):
        raise _located(path, "client_secret_env", f"'{name}' is not an environment variable name")
    secret = environ.get(name, "").strip()
    if not secret:
        raise _located(path, "client_secret_env", f"the environment variable {name} is not set")
    return secret


def _scopes_in(data: Mapping[str, Any], path: Path) -> tuple[str, ...]:
    value = data.get("scopes", " ".join(DEFAULT_SCOPES))
    if isinstance(value, str):
        value = value.split()
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise _located(path, "scopes", "must be a string of space-separated scopes, or a list")
    for scope in value:
        if not SCOPE_TOKEN.fullmatch(scope):
            raise _located(path, "scopes", f"'{scope}' is not a valid scope")
    if "openid" not in value:
        raise _located(path, "scopes", "must include 'openid'")
    return tuple(dict.fromkeys(value))


def _choice_in(data: Mapping[str, Any], key: str, path: Path, choices: tuple[str, ...]) -> str:
    value = data.get(key, choices[0])
    if value not in choices:
        raise _located(path, key, f"must be one of {', '.join(choices)}")
    return str(value)


def _timeout_in(data: Mapping[str, Any], path: Path) -> float:
    value = data.get("timeout", 10)
    if isinstance(value, bool) or not isinstance(value, int | float) or not 1 <= value <= 60:
        raise _located(path, "timeout", "must be a number of seconds from 1 to 60")
    return float(value)


# --- refusals and one attempt -----------------------------------------------------------


@dataclass(frozen=True)
class Identity:
    """Who the provider vouches for: its subject, and the claim that names a local user."""

    issuer: str
    subject: str
    name: str


class Refused(Exception):
    """A sign-in through the provider is refused; ``str()`` says why, for the audit trail
    (the person sees a generic refusal)."""

    def __init__(self, why: str, identity: Identity | None = None) -> None:
        super().__init__(why)
        self.identity = identity


class ProviderFailed(Refused):
    """Refused because the provider could not be reached or answered something unusable:
    nobody's identity was judged, so trying again later may work."""


@dataclass(frozen=True)
class Attempt:
    """The secrets of one sign-in: ``state`` ties the provider's answer to this browser,
    ``nonce`` the ID token to this attempt, ``verifier`` (PKCE) the code to this client."""

    state: str
    nonce: str
    verifier: str

    @classmethod
    def new(cls) -> Attempt:
        return cls(secrets.token_urlsafe(32), secrets.token_urlsafe(32),
                   secrets.token_urlsafe(48))  # fmt: skip

    def encoded(self) -> str:
        return f"{self.state}.{self.nonce}.{self.verifier}"

    @classmethod
    def decoded(cls, text: str) -> Attempt | None:
        parts = text.split(".")
        if len(parts) != 3 or not all(RANDOM_VALUE.fullmatch(part) for part in parts):
            return None
        return cls(*parts)


@dataclass(frozen=True)
class Callback:
    """What the provider sent the browser back with."""

    state: str = ""
    code: str = ""
    error: str = ""


# --- the provider -----------------------------------------------------------------------


@dataclass(frozen=True)
class Endpoints:
    authorization: str
    token: str
    jwks: str
    token_auth: str  # client_secret_basic | client_secret_post


class Provider:
    """One provider's endpoints and signing keys, fetched when first needed and kept (one
    object serves every request of the process)."""

    def __init__(self, config: OidcConfig) -> None:
        self.config = config
        # held while fetching: concurrent sign-ins wait (at most the timeout) for one fetch
        # rather than each asking the provider
        self._lock = threading.Lock()
        self._endpoints: Endpoints | None = None
        self._endpoints_at = 0.0
        self._keys: KeySet | None = None
        self._keys_at = 0.0

    def authorization_url(self, attempt: Attempt) -> str:
        """Where to send the browser to sign in."""
        config = self.config
        return str(
            prepare_grant_uri(
                self.endpoints().authorization, config.client_id, "code", config.redirect_uri,
                scope=" ".join(config.scopes), state=attempt.state, nonce=attempt.nonce,
                code_challenge=create_s256_code_challenge(attempt.verifier),
                code_challenge_method="S256",
            )
        )  # fmt: skip

    def identify(self, code: str, attempt: Attempt) -> Identity:
        """Exchange the code and verify the ID token; raises :class:`Refused`."""
        id_token, access_token = self._exchange(code, attempt.verifier)
        claims = self._verified_claims(id_token, attempt.nonce, access_token)
        return self._identity(claims)

    def endpoints(self) -> Endpoints:
        with self._lock:
            fresh = time.monotonic() - self._endpoints_at < DISCOVERY_LIFETIME
            if self._endpoints is None or not fresh:
                self._endpoints = self._discover()
                self._endpoints_at = time.monotonic()
            return self._endpoints

    def _discover(self) -> Endpoints:
        status, document = self._request("GET", self.config.discovery_url)
        if status != 200 or not isinstance(document, dict):
            raise ProviderFailed(f"discovery document: HTTP {status}, or not a JSON object")
        if document.get("issuer") != self.config.issuer:
            raise ProviderFailed(
                f"discovery document names issuer {storable(str(document.get('issuer')), 200)!r}"
                f", not {self.config.issuer!r}"
            )
        methods = document.get("code_challenge_methods_supported")
        if isinstance(methods, list) and "S256" not in methods:
            raise ProviderFailed("the provider does not support PKCE with S256")
        return Endpoints(
            _endpoint(document, "authorization_endpoint"),
            _endpoint(document, "token_endpoint"),
            _endpoint(document, "jwks_uri"),
            _token_auth(document),
        )

    def _exchange(self, code: str, verifier: str) -> tuple[str, str]:
        endpoints = self.endpoints()
        body = prepare_token_request("authorization_code", code=code, code_verifier=verifier,
                                     redirect_uri=self.config.redirect_uri)  # fmt: skip
        headers = {"Content-Type": "application/x-www-form-urlencoded",
                   "Accept": "application/json"}  # fmt: skip
        auth = ClientAuth(self.config.client_id, self.config.client_secret, endpoints.token_auth)
        url, headers, body = auth.prepare("POST", endpoints.token, headers, body)
        status, answer = self._request("POST", str(url), content=body, headers=headers)
        if not isinstance(answer, dict):
            raise ProviderFailed(f"token endpoint: HTTP {status}, not a JSON object")
        if status != 200:
            error = storable(str(answer.get("error", "?")), 100)
            if status == 400 and error != "invalid_client":
                # the code itself: used already, expired, or not this verifier's
                raise Refused(f"token endpoint refused the code: {error} (HTTP {status})")
            # hotline's own credentials, or the provider in trouble: no person's fault
            raise ProviderFailed(f"token endpoint: HTTP {status} ({error})")
        id_token, access_token = answer.get("id_token"), answer.get("access_token", "")
        if not isinstance(id_token, str) or not isinstance(access_token, str):
            raise ProviderFailed("token endpoint answered without an ID token")
        return id_token, access_token

    def _verified_claims(self, id_token: str, nonce: str, access_token: str) -> dict[str, Any]:
        token = self._signed(id_token)
        config = self.config
        claims = CodeIDToken(
            token.claims,
            token.header,
            {"iss": {"essential": True, "value": config.issuer},
             "aud": {"essential": True, "value": config.client_id},
             "sub": {"essential": True}},
            {"nonce": nonce, "client_id": config.client_id, "access_token": access_token},
        )  # fmt: skip
        try:
            claims.validate(leeway=LEEWAY)
        except (JoseError, ValueError, TypeError, KeyError) as error:
            raise Refused(f"ID token: {_said(error)}") from error
        return dict(claims)

    def _signed(self, id_token: str) -> jwt.Token:
        """The token, once its signature checks out with one of the provider's keys (a key
        id not yet known fetches the keys again: the provider may have rotated them)."""
        try:
            try:
                return jwt.decode(id_token, self._key_set(), algorithms=ALGORITHMS)
            except InvalidKeyIdError:
                keys = self._key_set(refresh=True)
                return jwt.decode(id_token, keys, algorithms=ALGORITHMS)
        except (JoseError, ValueError, TypeError) as error:
            raise Refused(f"ID token signature: {_said(error)}") from error

    def _key_set(self, refresh: bool = False) -> KeySet:
        url = self.endpoints().jwks
        with self._lock:
            stale = refresh and time.monotonic() - self._keys_at > KEYS_REFRESH_GAP
            if self._keys is None or stale:
                self._keys = self._fetch_keys(url)
                self._keys_at = time.monotonic()
            return self._keys

    def _fetch_keys(self, url: str) -> KeySet:
        status, document = self._request("GET", url)
        keys = document.get("keys") if isinstance(document, dict) else None
        if status != 200 or not isinstance(keys, list):
            raise ProviderFailed(f"JWKS: HTTP {status}, or no list of keys")
        # signing keys of the two types hotline accepts; an encryption key is not one
        usable = [key for key in keys if isinstance(key, dict) and key.get("kty") in ("RSA", "EC")
                  and key.get("use", "sig") == "sig"]  # fmt: skip
        try:
            return KeySet.import_key_set({"keys": usable})
        except (JoseError, ValueError, TypeError) as error:
            raise ProviderFailed(f"JWKS holds no usable signing key ({_said(error)})") from error

    def _identity(self, claims: Mapping[str, Any]) -> Identity:
        claim = self.config.user_claim
        value, subject = claims.get(claim), str(claims["sub"])
        if not isinstance(value, str) or not value.strip():
            raise Refused(f"the ID token has no {claim} claim")
        identity = Identity(
            self.config.issuer, storable(subject, 200), storable(value.strip(), 200)
        )
        # an address nobody proved to own is not an identity
        if claim == "email" and claims.get("email_verified") is False:
            raise Refused("the provider has not verified this email address", identity)
        return identity

    def _request(self, method: str, url: str, **options: Any) -> tuple[int, Any]:
        """Status and JSON of one request to the provider (no redirects followed, the answer
        read up to :data:`MAX_RESPONSE`); raises :class:`ProviderFailed`."""
        where = urlsplit(url).path or "/"
        client = httpx.Client(timeout=self.config.timeout)
        try:
            with client, client.stream(method, url, **options) as response:
                status, body = response.status_code, _capped(response, where)
        except httpx.HTTPError as error:
            raise ProviderFailed(f"{where}: unreachable ({type(error).__name__})") from error
        try:
            return status, json.loads(body)
        except ValueError:
            return status, None


def _capped(response: httpx.Response, where: str) -> bytes:
    body = bytearray()
    for chunk in response.iter_bytes():
        body += chunk
        if len(body) > MAX_RESPONSE:
            raise ProviderFailed(f"{where}: answer larger than {MAX_RESPONSE} bytes")
    return bytes(body)


def _said(error: Exception) -> str:
    """A library's error as one short line for the audit trail."""
    return storable(str(error).strip().rstrip(":"), 200)


def _endpoint(document: Mapping[str, Any], key: str) -> str:
    value = document.get(key)
    if not isinstance(value, str) or url_problem(value.split("?")[0]):
        raise ProviderFailed(f"discovery document: {key} is missing or not an https URL")
    return value


def _token_auth(document: Mapping[str, Any]) -> str:
    offered = document.get("token_endpoint_auth_methods_supported", ["client_secret_basic"])
    for method in ("client_secret_basic", "client_secret_post"):
        if isinstance(offered, list) and method in offered:
            return method
    raise ProviderFailed("the token endpoint takes neither client_secret_basic nor _post")


# --- the sign-in ------------------------------------------------------------------------


def begin(engine: Engine, provider: Provider, attempt: Attempt) -> str:
    """The provider's address to send the browser to; a provider that cannot be reached is
    an audited refusal (:class:`ProviderFailed`)."""
    try:
        return provider.authorization_url(attempt)
    except Refused as refusal:
        _record_refusal(engine, provider.config, refusal)
        raise


def complete(
    engine: Engine, provider: Provider, attempt: Attempt | None, callback: Callback
) -> Actor:
    """The actor the provider's answer signs in; audited either way, raises
    :class:`Refused` with the reason."""
    try:
        identity = _checked_identity(provider, attempt, callback)
        return _sign_in(engine, identity)
    except Refused as refusal:
        _record_refusal(engine, provider.config, refusal)
        raise


def _checked_identity(provider: Provider, attempt: Attempt | None, callback: Callback) -> Identity:
    if attempt is None:
        raise Refused("no sign-in under way in this browser (none started, or it expired)")
    if not hmac.compare_digest(callback.state.encode(), attempt.state.encode()):
        raise Refused("the state does not match the one given to this browser")
    if callback.error:
        raise Refused(f"the provider answered error={storable(callback.error, 100)}")
    if not callback.code:
        raise Refused("the provider sent no code")
    return provider.identify(callback.code, attempt)


def _sign_in(engine: Engine, identity: Identity) -> Actor:
    with unit_of_work(engine) as connection:
        user = connection.execute(
            select(User.name, User.disabled, User.kind).where(User.name == identity.name)
        ).first()
        why = _refusal(user)
        if why:
            raise Refused(why, identity)
        try:
            actor = resolve_actor(connection, identity.name)
        except AccountError as error:
            raise Refused(f"cannot act: {error}", identity) from error
        if not actor.roles:
            raise Refused("no role in any organisation", identity)
        record_event(connection, actor, "sign-in", identity.name, after=_details(identity))
    return actor


def _refusal(user: Any) -> str:
    """Why a verified identity does not sign in its user ("" when it does)."""
    if user is None:
        return "unknown user (hotline creates no accounts: an admin adds them)"
    if user.disabled:
        return "disabled"
    if user.kind != "person":
        return "a service account signs in with tokens only"
    return ""


def _details(identity: Identity | None, why: str = "") -> dict[str, Any]:
    details: dict[str, Any] = {"via": "oidc"}
    if identity is not None:
        details.update(issuer=identity.issuer, subject=storable(identity.subject, 200))
    if why:
        details["why"] = why
    return details


def _record_refusal(engine: Engine, config: OidcConfig, refusal: Refused) -> None:
    identity = refusal.identity
    claimed = storable(identity.name, MAX_NAME) if identity is not None else "?"
    details = _details(identity, str(refusal))
    details.setdefault("issuer", config.issuer)
    with unit_of_work(engine) as connection:
        record_event(connection, Actor(name=claimed), "sign-in", claimed, after=details,
                     outcome=FAILED)  # fmt: skip
