"""Web sign-in: passwords, lock-out, API tokens and browser sessions.

The CLI identifies (the operating system's login); the web application authenticates, with
these. Secrets are never stored: a password as an argon2id hash, a token and a session id as
their SHA-256 (both are 256 random bits, so a fast hash is enough; a slow one would only slow
every request). Every sign-in, failed ones included, and every change is one audit event.

Lock-out: after :data:`FREE_ATTEMPTS` failures in a row a user is locked for one minute, and
each further failure doubles it (capped at a day); a success resets the count. While locked
even the right password is refused, so guessing gains nothing from the lock ending early.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import Connection, Engine, delete, func, insert, select, update

from hotline.accounts.audit import FAILED, OK, record_event, storable
from hotline.accounts.models import ApiToken, Membership, Organisation, User, WebSession
from hotline.accounts.roles import Actor, Permission, Role
from hotline.accounts.services import MAX_NAME, AccountError, checked_name, resolve_actor
from hotline.store.types import utcnow
from hotline.store.uow import unit_of_work

FREE_ATTEMPTS = 5
FIRST_LOCK = timedelta(minutes=1)
LONGEST_LOCK = timedelta(days=1)
MIN_PASSWORD = 12
MAX_PASSWORD = 1024  # argon2 takes any length; this only bounds the work a request can ask
SESSION_LIFETIME = timedelta(hours=12)
SCOPES = ("read", "write")
TOKEN_PREFIX = "hlt_"  # noqa: S105 -- a marker, not a secret; recognisable in a leaked log or a secret scanner

_HASHER = PasswordHasher()  # argon2id with the library's current (RFC 9106) parameters


@cache
def dummy_hash() -> str:
    """Verified against when the user does not exist or has no password, so that an unknown
    name costs the same time as a wrong password and names cannot be probed by timing. Made
    on first use, not at import: one argon2 hash costs a quarter of a second, and every
    command of the CLI imports this module."""
    return _HASHER.hash(secrets.token_urlsafe(16))


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def checked_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"a password needs at least {MIN_PASSWORD} characters")
    if len(password) > MAX_PASSWORD:
        raise AccountError(f"a password has at most {MAX_PASSWORD} characters")
    return password


def _may_manage(connection: Connection, actor: Actor, name: str) -> bool:
    """A user manages their own credentials; an admin also those of people who belong to
    the admin's organisation **only** (the local admin of a database being set up,
    everyone's). A person who is also in another organisation may hold more there: a
    password or token set by this organisation's admin would open that one too."""
    if actor.name == name or actor.implicit:
        return True
    if not actor.may(Permission.MANAGE) or actor.organisation is None:
        return False
    theirs = {
        str(org)
        for (org,) in connection.execute(
            select(Organisation.name)
            .join(Membership, Membership.organisation_id == Organisation.id)
            .join(User, User.id == Membership.user_id)
            .where(User.name == name)
        )
    }
    return theirs == {actor.organisation}


def set_password(connection: Connection, actor: Actor, name: str, password: str) -> None:
    """Set (or replace) a user's password; clears a lock-out. Audited ``users.password``
    (the event says that it changed, never what to)."""
    user = _user(connection, name)
    if not _may_manage(connection, actor, name):
        raise AccountError(
            f"{actor.name} may set only their own password (or, as an admin, "
            "their organisation's people's)"
        )
    hashed = _HASHER.hash(checked_password(password))
    connection.execute(
        update(User)
        .where(User.id == user.id)
        .values(password_hash=hashed, failed_sign_ins=0, locked_until=None)
    )
    # a new password ends every open browser session: whoever knew the old one is out
    connection.execute(delete(WebSession).where(WebSession.user_id == user.id))
    record_event(connection, actor, "users.password", name,
                 after={"password": "set", "had_one": user.password_hash is not None})  # fmt: skip


@dataclass(frozen=True)
class SignIn:
    """The outcome of a sign-in: the actor, or why not (one message for every failure, so
    it never tells whether the name exists)."""

    actor: Actor | None
    locked_until: datetime | None = None

    @property
    def ok(self) -> bool:
        return self.actor is not None


def _lock_for(failures: int) -> timedelta | None:
    if failures < FREE_ATTEMPTS:
        return None
    lock: timedelta = FIRST_LOCK * 2 ** min(failures - FREE_ATTEMPTS, 20)
    return min(lock, LONGEST_LOCK)


def authenticate(
    engine: Engine, name: str, password: str, organisation: str | None = None, where: str = "web"
) -> SignIn:
    """Check a name and password; audited ``sign-in``, ``ok`` or ``failed`` (with why).

    The hash is checked outside the write transaction (argon2 takes tens of milliseconds;
    SQLite's write lock should not wait on it), and against a dummy hash when there is no
    user or no password, so every failure costs the same time."""
    claimed = storable(name.strip(), MAX_NAME) or "?"
    with engine.connect() as connection:
        user = connection.execute(select(User).where(User.name == claimed)).first()
    stored = user.password_hash if user is not None else None
    matches = _verify(stored or dummy_hash(), password[:MAX_PASSWORD]) and stored is not None
    actor: Actor | None = None
    with unit_of_work(engine) as connection:
        # read again in the write transaction: a concurrent failure may have counted
        user = connection.execute(select(User).where(User.name == claimed)).first()
        now = utcnow()
        why = _refused(user, matches, now)
        if not why and user is not None:
            try:
                actor = resolve_actor(connection, user.name, organisation)
            except AccountError:
                why = "not a member of that organisation"
        if why == "wrong password" and user is not None:
            # counted in the database, not in Python: concurrent failures each count
            failures = int(
                connection.execute(
                    update(User)
                    .where(User.id == user.id)
                    .values(failed_sign_ins=User.failed_sign_ins + 1)
                    .returning(User.failed_sign_ins)
                ).scalar_one()
            )
            lock = _lock_for(failures)
            if lock:
                connection.execute(
                    update(User).where(User.id == user.id).values(locked_until=now + lock)
                )
        elif user is not None and actor is not None and (user.failed_sign_ins or user.locked_until):
            connection.execute(
                update(User).where(User.id == user.id).values(failed_sign_ins=0, locked_until=None)
            )
        after: dict[str, Any] = {"via": where}
        if why:
            after["why"] = why
        if organisation:
            after["organisation"] = organisation
        record_event(connection, actor or Actor(name=claimed), "sign-in", claimed, after=after,
                     outcome=OK if actor else FAILED)  # fmt: skip
    if actor is None:
        return SignIn(None, user.locked_until if user is not None and why == "locked" else None)
    if stored is not None and _HASHER.check_needs_rehash(stored):
        with unit_of_work(engine) as connection:  # the parameters moved on: a fresh hash
            connection.execute(
                update(User)
                .where(User.name == actor.name)
                .values(password_hash=_HASHER.hash(password))
            )
    return SignIn(actor)


def _refused(user: Any, matches: bool, now: datetime) -> str:
    """Why a sign-in fails ("" when it does not). Kept in the audit event, never shown."""
    if user is None:
        return "unknown user"
    if user.disabled:
        return "disabled"
    if user.password_hash is None:
        return "no password set"
    if user.locked_until is not None and user.locked_until > now:
        return "locked"
    return "" if matches else "wrong password"


def _verify(hashed: str, password: str) -> bool:
    try:
        return _HASHER.verify(hashed, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


# --- API tokens -------------------------------------------------------------------------


@dataclass(frozen=True)
class TokenRow:
    id: int
    user: str
    name: str
    scope: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


def issue_token(connection: Connection, actor: Actor, user_name: str, name: str, scope: str) -> str:
    """A new token for ``user_name``; returns it (the only time it is seen). Audited
    ``tokens.add`` with its name and scope."""
    if scope not in SCOPES:
        raise AccountError(f"scope must be one of {', '.join(SCOPES)}")
    name = checked_name(name, "token")
    user = _user(connection, user_name)
    if not _may_manage(connection, actor, user_name):
        raise AccountError(
            f"{actor.name} may add tokens only for themselves (or, as an "
            "admin, for their organisation's people)"
        )
    taken = connection.execute(
        select(ApiToken.id).where(ApiToken.user_id == user.id, ApiToken.name == name)
    ).first()
    if taken:
        raise AccountError(f"user '{user_name}' has a token named '{name}' already")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    connection.execute(
        insert(ApiToken).values(user_id=user.id, name=name, token_hash=digest(token),
                                scope=scope, created_at=utcnow())
    )  # fmt: skip
    record_event(connection, actor, "tokens.add", f"{user_name}/{name}", after={"scope": scope})
    return token


def revoke_token(connection: Connection, actor: Actor, user_name: str, name: str) -> None:
    user = _user(connection, user_name)
    if not _may_manage(connection, actor, user_name):
        raise AccountError(
            f"{actor.name} may revoke only their own tokens (or, as an "
            "admin, their organisation's people's)"
        )
    found = connection.execute(
        select(ApiToken.id, ApiToken.revoked_at).where(
            ApiToken.user_id == user.id, ApiToken.name == name
        )
    ).first()
    if found is None:
        raise AccountError(f"user '{user_name}' has no token named '{name}'")
    if found.revoked_at is not None:
        raise AccountError(f"token '{name}' of '{user_name}' is revoked already")
    connection.execute(update(ApiToken).where(ApiToken.id == found.id).values(revoked_at=utcnow()))
    record_event(connection, actor, "tokens.revoke", f"{user_name}/{name}")


def tokens(connection: Connection, user_name: str | None = None) -> list[TokenRow]:
    query = (
        select(ApiToken, User.name.label("user"))
        .join(User, User.id == ApiToken.user_id)
        .order_by(User.name, ApiToken.name)
    )
    if user_name is not None:
        query = query.where(User.name == user_name)
    return [
        TokenRow(
            row.id, row.user, row.name, row.scope, row.created_at, row.last_used_at, row.revoked_at
        )
        for row in connection.execute(query)
    ]


READ_ONLY = frozenset({Role.VIEWER})
_TOUCH_EVERY = timedelta(minutes=1)  # last use is a hint, not a log: one write a minute


def token_actor(engine: Engine, token: str) -> tuple[Actor, str] | None:
    """The actor a bearer token acts as, and its scope; None for an unknown, revoked or
    disabled one. A read token acts with the viewer's rights whatever its user holds."""
    if not token.startswith(TOKEN_PREFIX):
        return None
    with engine.connect() as connection:
        row = connection.execute(
            select(ApiToken.id, ApiToken.scope, ApiToken.last_used_at, User.name, User.disabled)
            .join(User, User.id == ApiToken.user_id)
            .where(ApiToken.token_hash == digest(token), ApiToken.revoked_at.is_(None))
        ).first()
        if row is None or row.disabled:
            return None
        try:
            actor = resolve_actor(connection, row.name)
        except AccountError:
            return None
    now = utcnow()
    if row.last_used_at is None or now - row.last_used_at > _TOUCH_EVERY:
        with unit_of_work(engine) as connection:
            connection.execute(
                update(ApiToken).where(ApiToken.id == row.id).values(last_used_at=now)
            )
    if row.scope != "write" and actor.roles:
        actor = Actor(actor.name, actor.organisation, READ_ONLY, actor.implicit, actor.kind)
    return actor, row.scope


# --- browser sessions -------------------------------------------------------------------


@dataclass(frozen=True)
class Session:
    actor: Actor
    csrf: str


def open_session(connection: Connection, actor: Actor) -> tuple[str, str]:
    """A new session for a signed-in actor: (the cookie's value, the CSRF secret). Expired
    sessions are swept here, so the table holds only live ones and a few stale."""
    user_id = connection.execute(select(User.id).where(User.name == actor.name)).scalar_one()
    org_id = None
    if actor.organisation is not None:
        org_id = connection.execute(
            select(Organisation.id).where(Organisation.name == actor.organisation)
        ).scalar_one()
    now = utcnow()
    connection.execute(delete(WebSession).where(WebSession.expires_at < now))
    session_id, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    connection.execute(
        insert(WebSession).values(id_hash=digest(session_id), user_id=user_id,
                                  organisation_id=org_id, csrf_secret=csrf, created_at=now,
                                  expires_at=now + SESSION_LIFETIME)
    )  # fmt: skip
    return session_id, csrf


def session_actor(connection: Connection, session_id: str) -> Session | None:
    """The live session's actor (roles as they are now: a revoked role or a disabled user
    takes effect on the next request) and its CSRF secret; None when unknown or expired."""
    row = connection.execute(
        select(WebSession.csrf_secret, WebSession.expires_at, User.name,
               Organisation.name.label("org"))
        .join(User, User.id == WebSession.user_id)
        .outerjoin(Organisation, Organisation.id == WebSession.organisation_id)
        .where(WebSession.id_hash == digest(session_id))
    ).first()  # fmt: skip
    if row is None or row.expires_at <= utcnow():
        return None
    try:
        actor = resolve_actor(connection, row.name, row.org)
    except AccountError:
        return None
    return Session(actor, row.csrf_secret)


def close_session(connection: Connection, actor: Actor, session_id: str) -> None:
    """Sign out: the session is deleted (audited ``sign-out``)."""
    connection.execute(delete(WebSession).where(WebSession.id_hash == digest(session_id)))
    record_event(connection, actor, "sign-out", actor.name)


def same_secret(given: str, expected: str) -> bool:
    """Constant-time comparison of a CSRF token."""
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


def _user(connection: Connection, name: str) -> Any:
    user = connection.execute(select(User).where(User.name == name)).first()
    if user is None:
        raise AccountError(f"no user '{name}'")
    return user


def users_with_password(connection: Connection) -> int:
    """Active users who can sign in on the web."""
    return int(
        connection.execute(
            select(func.count()).where(User.password_hash.is_not(None), ~User.disabled)
        ).scalar_one()
    )
