"""Accounts: who the actor is, whether they may act, and the admin's writes on accounts.

Every write here takes the caller's transaction and the acting :class:`Actor`, checks the
actor's permission and records one audit event; a refusal is recorded too (in its own
transaction, so it survives the refused one being rolled back).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, delete, func, insert, select, update
from sqlalchemy.exc import SQLAlchemyError

from hotline.accounts.audit import FAILED, OK, REFUSED, record_event, storable
from hotline.accounts.models import (
    ApiToken,
    Membership,
    Organisation,
    OrganisationSource,
    User,
    WebSession,
)
from hotline.accounts.roles import USER_KINDS, Actor, Permission, Role, local_admin
from hotline.intake.models import Source
from hotline.store.types import utcnow
from hotline.store.uow import unit_of_work

MAX_NAME = 64


class AccountError(ValueError):
    """A request about accounts that cannot be met; the message says why."""


class NotAllowed(PermissionError):
    """The actor lacks the permission; the message names it and the refusal is audited."""


def checked_name(text: str, what: str) -> str:
    """A user or organisation name: 1–64 visible characters, no spaces, no controls."""
    value = text.strip()
    if not value:
        raise AccountError(f"the {what} name is empty")
    if len(value) > MAX_NAME:
        raise AccountError(f"the {what} name has {len(value)} characters; at most {MAX_NAME}")
    for char in value:
        if char.isspace() or unicodedata.category(char)[0] in "CZ":
            raise AccountError(
                f"the {what} name holds U+{ord(char):04X}: only visible characters, no spaces"
            )
    return value


def has_users(connection: Connection) -> bool:
    return connection.execute(select(User.id).limit(1)).first() is not None


def resolve_actor(
    connection: Connection, name: str, organisation: str | None = None, login: str | None = None
) -> Actor:
    """The actor for ``name``; on a database without users, the implicit local admin.

    With users, an unknown or disabled name is refused, and so is an organisation the user
    is not a member of. A member of several organisations acts in the one named, or, when
    none is named, in the one where their roles are strongest (ties: the first by name).
    ``login`` is the operating-system user running the command: when it is itself a user of
    the database, it may act as another name (``--as``) only if it is an admin — an analyst
    cannot become an admin by typing a name. (The CLI identifies, it does not authenticate:
    whoever holds the database's credentials can do anything; see docs/accounts.md.)
    """
    if not has_users(connection):
        return local_admin(storable(name, MAX_NAME))
    if login is not None and login != name and not _may_impersonate(connection, login):
        raise AccountError(
            f"'{login}' may not act as '{name}': only an admin may use --as for another user"
        )
    user = connection.execute(select(User).where(User.name == name)).first()
    if user is None:
        raise AccountError(
            f"'{name}' is not a user of this database; an admin adds one with "
            f"`hotline users add {name} --org ORG --role analyst` (or act as one with --as)"
        )
    if user.disabled:
        raise AccountError(f"user '{name}' is disabled")
    roles: dict[str, set[Role]] = {}
    for org, role in connection.execute(
        select(Organisation.name, Membership.role)
        .join(Membership, Membership.organisation_id == Organisation.id)
        .where(Membership.user_id == user.id)
        .order_by(Organisation.name)
    ):
        roles.setdefault(org, set()).add(Role(role))
    if organisation is not None:
        if organisation not in roles:
            raise AccountError(f"user '{name}' is not a member of organisation '{organisation}'")
        chosen: str | None = organisation
    elif roles:
        rank = {Role.VIEWER: 1, Role.ANALYST: 2, Role.ADMIN: 3}
        strength = {org: max(rank[r] for r in held) for org, held in roles.items()}
        best = max(strength.values())
        chosen = min(org for org, value in strength.items() if value == best)
    else:
        chosen = None
    return Actor(
        name=user.name,
        organisation=chosen,
        roles=frozenset(roles.get(chosen, set()) if chosen else set()),
        kind=user.kind,
    )


def _may_impersonate(connection: Connection, login: str) -> bool:
    """A login that is no user (a shared or service login) may name its user; a user may
    name another only as an active admin."""
    user = connection.execute(select(User).where(User.name == login)).first()
    if user is None:
        return True
    if user.disabled:
        return False
    roles = connection.scalars(select(Membership.role).where(Membership.user_id == user.id))
    return Role.ADMIN.value in set(roles)


def require(
    engine: Engine, actor: Actor, permission: Permission, action: str, object_: str
) -> None:
    """Raise :class:`NotAllowed` (after auditing the refusal) unless the actor may."""
    if actor.may(permission):
        return
    unrecorded = record_refusal(engine, actor, action, object_, {"needs": permission.value})
    held = ", ".join(sorted(r.value for r in actor.roles)) or "no role"
    where = f" in {actor.organisation}" if actor.organisation else ""
    raise NotAllowed(
        f"{actor.name} may not {permission.value} ({action}): holds {held}{where}; "
        f"ask an admin for the role that allows it{unrecorded}"
    )


def record_refusal(
    engine: Engine, actor: Actor, action: str, object_: str, why: dict[str, Any]
) -> str:
    """Audit a refusal in its own transaction; "" when recorded, else a note saying why not
    (a read-only database or replica still refuses, it just cannot remember)."""
    try:
        with unit_of_work(engine) as connection:
            record_event(connection, actor, action, object_, outcome=REFUSED, after=why)
    except SQLAlchemyError as error:
        first = str(getattr(error, "orig", None) or error).strip().splitlines()[0]
        return f" (the refusal could not be recorded: {first})"
    return ""


@contextmanager
def audited_run(
    engine: Engine, actor: Actor, action: str, object_: str
) -> Iterator[dict[str, Any]]:
    """One audit event for a run that commits in many transactions (an import, enrich,
    attribute): recorded when the run ends, ``ok`` or ``failed``, with what the caller put
    in the yielded dict (counts, not rows). The caller checks the permission first."""
    result: dict[str, Any] = {}
    outcome = FAILED
    try:
        yield result
        outcome = OK
    finally:
        with unit_of_work(engine) as connection:
            record_event(connection, actor, action, object_, after=result or None, outcome=outcome)


def counts(summary: Any) -> dict[str, Any]:
    """The numbers of a run's summary (a dataclass): what the audit event keeps of it."""
    fields = getattr(summary, "__dataclass_fields__", {})
    values = {name: getattr(summary, name) for name in fields}
    return {
        k: v for k, v in values.items() if isinstance(v, int | float) and not isinstance(v, bool)
    }


@dataclass(frozen=True)
class UserRow:
    name: str
    kind: str
    disabled: bool
    roles: tuple[tuple[str, str], ...]  # (organisation, role)


def _organisation_id(connection: Connection, name: str) -> int:
    found = connection.execute(select(Organisation.id).where(Organisation.name == name)).first()
    if found is None:
        raise AccountError(f"no organisation '{name}' (add it: hotline orgs add {name})")
    return int(found.id)


def add_organisation(
    connection: Connection, actor: Actor, name: str, sources: Iterable[str] = ()
) -> None:
    """A new organisation, optionally owning report sources (feed codes) already known."""
    name = checked_name(name, "organisation")
    if connection.execute(select(Organisation.id).where(Organisation.name == name)).first():
        raise AccountError(f"organisation '{name}' exists already")
    org_id = connection.execute(
        insert(Organisation).values(name=name).returning(Organisation.id)
    ).scalar_one()
    codes = sorted({code.strip() for code in sources if code.strip()})
    assign_sources(connection, org_id, codes)
    record_event(connection, actor, "orgs.add", name, after={"name": name, "sources": codes})


def assign_sources(connection: Connection, org_id: int, codes: list[str]) -> None:
    if not codes:
        return
    found = dict(
        connection.execute(select(Source.code, Source.id).where(Source.code.in_(codes))).all()
    )
    unknown = [c for c in codes if c not in found]
    if unknown:
        raise AccountError(f"no report source {', '.join(unknown)} (sources come from imports)")
    taken = (
        connection.execute(
            select(Source.code)
            .join(OrganisationSource, OrganisationSource.source_id == Source.id)
            .where(Source.code.in_(codes))
        )
        .scalars()
        .all()
    )
    if taken:
        raise AccountError(f"source {', '.join(taken)} belongs to an organisation already")
    connection.execute(
        insert(OrganisationSource),
        [{"source_id": found[c], "organisation_id": org_id} for c in codes],
    )


def add_user(
    connection: Connection,
    actor: Actor,
    name: str,
    grants: Iterable[tuple[str, Role]],
    kind: str = "person",
) -> None:
    """A new user (``kind`` person or service) with roles in organisations."""
    name = checked_name(name, "user")
    if kind not in USER_KINDS:
        raise AccountError(f"kind must be one of {', '.join(USER_KINDS)}")
    if connection.execute(select(User.id).where(User.name == name)).first():
        raise AccountError(f"user '{name}' exists already")
    user_id = connection.execute(
        insert(User).values(name=name, kind=kind, disabled=False).returning(User.id)
    ).scalar_one()
    given = _grant(connection, user_id, grants, actor)
    record_event(connection, actor, "users.add", name, after={"kind": kind, "roles": given})


def grant(
    connection: Connection, actor: Actor, name: str, grants: Iterable[tuple[str, Role]]
) -> None:
    user = _user(connection, name)
    before = _roles_of(connection, user.id)
    _grant(connection, user.id, grants, actor)
    if _roles_of(connection, user.id) == before:
        raise AccountError(f"user '{name}' holds these roles already")
    record_event(
        connection,
        actor,
        "users.grant",
        name,
        before={"roles": before},
        after={"roles": _roles_of(connection, user.id)},
    )


def _own_organisations(actor: Actor, orgs: Iterable[str]) -> None:
    """An admin manages their own organisation's people; the local admin of a database
    without users (bootstrapping) manages all."""
    foreign = sorted({org for org in orgs if org != actor.organisation})
    if foreign and not actor.implicit:
        raise AccountError(
            f"{actor.name} is an admin of {actor.organisation or 'no organisation'}, not of "
            f"{', '.join(foreign)}: an admin of that organisation must do it"
        )


def _grant(
    connection: Connection, user_id: int, grants: Iterable[tuple[str, Role]], actor: Actor
) -> list[list[str]]:
    given = sorted({(org, role.value) for org, role in grants})
    _own_organisations(actor, (org for org, _ in given))
    held = {tuple(pair) for pair in _roles_of(connection, user_id)}
    for org, role in given:
        if (org, role) in held:
            continue
        connection.execute(
            insert(Membership).values(
                user_id=user_id, organisation_id=_organisation_id(connection, org), role=role
            )
        )
    return [list(pair) for pair in given]


def disable_user(connection: Connection, actor: Actor, name: str) -> None:
    """Disable a user: they can no longer act, their open browser sessions end, their
    history stays. Every organisation they administer must keep another active admin."""
    user = _user(connection, name)
    if user.disabled:
        raise AccountError(f"user '{name}' is disabled already")
    roles = _roles_of(connection, user.id)
    _own_organisations(actor, (org for org, _ in roles))
    for org in sorted({org for org, role in roles if role == Role.ADMIN.value}):
        _keeps_an_admin(connection, actor, org, user)
    connection.execute(update(User).where(User.id == user.id).values(disabled=True))
    ended = _end_sessions(connection, user.id)
    record_event(
        connection,
        actor,
        "users.disable",
        name,
        before={"disabled": False},
        after={"disabled": True, "sessions_ended": ended},
    )


def _user(connection: Connection, name: str) -> Any:
    user = connection.execute(select(User).where(User.name == name)).first()
    if user is None:
        raise AccountError(f"no user '{name}'")
    return user


def _roles_of(connection: Connection, user_id: int) -> list[list[str]]:
    return [
        [org, role]
        for org, role in connection.execute(
            select(Organisation.name, Membership.role)
            .join(Membership, Membership.organisation_id == Organisation.id)
            .where(Membership.user_id == user_id)
            .order_by(Organisation.name, Membership.role)
        )
    ]


def users(connection: Connection) -> list[UserRow]:
    return [
        UserRow(
            row.name,
            row.kind,
            bool(row.disabled),
            tuple((org, role) for org, role in _roles_of(connection, row.id)),
        )
        for row in connection.execute(select(User).order_by(User.name))
    ]


def organisations(connection: Connection) -> list[tuple[str, int, list[str]]]:
    """(name, members, source codes) of every organisation."""
    members = dict(
        connection.execute(
            select(
                Membership.organisation_id, func.count(func.distinct(Membership.user_id))
            ).group_by(Membership.organisation_id)
        ).all()
    )
    codes: dict[int, list[str]] = {}
    for org_id, code in connection.execute(
        select(OrganisationSource.organisation_id, Source.code)
        .join(Source, Source.id == OrganisationSource.source_id)
        .order_by(Source.code)
    ):
        codes.setdefault(org_id, []).append(code)
    return [
        (row.name, members.get(row.id, 0), codes.get(row.id, []))
        for row in connection.execute(select(Organisation).order_by(Organisation.name))
    ]


def roles_held(connection: Connection, name: str) -> list[tuple[str, str]]:
    """(organisation, role) of every role ``name`` holds."""
    user = _user(connection, name)
    return [(org, role) for org, role in _roles_of(connection, user.id)]


def organisation_sources(connection: Connection, name: str) -> list[str]:
    """The report sources (feed codes) the organisation ``name`` owns."""
    return list(
        connection.scalars(
            select(Source.code)
            .join(OrganisationSource, OrganisationSource.source_id == Source.id)
            .join(Organisation, Organisation.id == OrganisationSource.organisation_id)
            .where(Organisation.name == name)
            .order_by(Source.code)
        )
    )


# --- an organisation's admin and its members --------------------------------------------
#
# These act in the actor's own organisation, on people who belong to it and to no other:
# a person who is also in another organisation may hold more there, and a role, password
# or lock set by this organisation's admin would reach into that one.


@dataclass(frozen=True)
class Member:
    """A person of an organisation as its admin sees them."""

    name: str
    kind: str
    disabled: bool
    roles: tuple[str, ...]  # held in this organisation
    elsewhere: tuple[tuple[str, str], ...]  # (organisation, role) held in others
    has_password: bool
    failed_sign_ins: int
    locked_until: datetime | None  # only while the lock-out lasts

    @property
    def manageable(self) -> bool:
        """Whether this organisation's admin may change them (they belong nowhere else)."""
        return not self.elsewhere


def members(connection: Connection, organisation: str) -> list[Member]:
    """The people of ``organisation``, with every role they hold anywhere and their
    sign-in state (one query, whatever the number of people)."""
    here = (
        select(Membership.user_id)
        .join(Organisation, Organisation.id == Membership.organisation_id)
        .where(Organisation.name == organisation)
    )
    rows = connection.execute(
        select(User.name, User.kind, User.disabled, User.failed_sign_ins, User.locked_until,
               User.password_hash.is_not(None).label("has_password"),
               Organisation.name.label("org"), Membership.role)
        .join(Membership, Membership.user_id == User.id)
        .join(Organisation, Organisation.id == Membership.organisation_id)
        .where(User.id.in_(here))
        .order_by(User.name, Organisation.name, Membership.role)
    ).all()  # fmt: skip
    held: dict[str, list[Any]] = {}
    for row in rows:
        held.setdefault(row.name, []).append(row)
    now = utcnow()
    return [_member(group, organisation, now) for group in held.values()]


def _member(rows: list[Any], organisation: str, now: datetime) -> Member:
    """One person from their rows (one per role they hold, anywhere)."""
    first = rows[0]
    locked = first.locked_until is not None and first.locked_until > now
    return Member(
        name=first.name,
        kind=first.kind,
        disabled=bool(first.disabled),
        roles=tuple(r.role for r in rows if r.org == organisation),
        elsewhere=tuple((r.org, r.role) for r in rows if r.org != organisation),
        has_password=bool(first.has_password),
        failed_sign_ins=int(first.failed_sign_ins or 0),
        locked_until=first.locked_until if locked else None,
    )


def require_member(engine: Engine, actor: Actor, action: str, name: str) -> None:
    """Raise :class:`NotAllowed` (after auditing the refusal) unless ``name`` belongs to
    the actor's organisation and to no other. An unknown name is refused alike, so the
    answer never tells whether another organisation has someone of that name."""
    with engine.connect() as connection:
        try:
            _member_here(connection, actor, name)
            return
        except AccountError as error:
            why = str(error)
    needs = {"needs": f"a member of {actor.organisation or 'no organisation'} alone"}
    raise NotAllowed(why + record_refusal(engine, actor, action, name, needs))


def add_member(
    connection: Connection, actor: Actor, name: str, role: Role, kind: str = "person"
) -> None:
    """Add someone to the actor's organisation with one role: a new user (of ``kind``),
    or an existing one who holds no role anywhere (someone removed earlier). The name of a
    user of another organisation is refused: that user is not taken over."""
    org = _acting_organisation(actor)
    name = checked_name(name, "user")
    user = connection.execute(select(User).where(User.name == name)).first()
    if user is None:
        add_user(connection, actor, name, [(org, role)], kind)
        return
    held = _roles_of(connection, user.id)
    if any(o == org for o, _ in held):
        raise AccountError(f"'{name}' is a member of {org} already: change their role instead")
    if held:
        raise AccountError(
            f"the name '{name}' is taken by a user of another organisation: choose another"
        )
    if user.disabled:
        raise AccountError(f"user '{name}' is disabled: choose another name")
    grant(connection, actor, name, [(org, role)])


def set_role(connection: Connection, actor: Actor, name: str, role: Role) -> None:
    """Give a member of the actor's organisation one role there, in place of the ones they
    held (it applies from their next request). Audited ``users.role``."""
    org = _acting_organisation(actor)
    user = _member_here(connection, actor, name)
    before = _roles_of(connection, user.id)
    if {r for _, r in before} == {role.value}:
        raise AccountError(f"'{name}' is {role.value} in {org} already")
    if role is not Role.ADMIN and any(r == Role.ADMIN.value for _, r in before):
        _keeps_an_admin(connection, actor, org, user)
    org_id = _organisation_id(connection, org)
    connection.execute(
        delete(Membership).where(
            Membership.user_id == user.id, Membership.organisation_id == org_id
        )
    )
    connection.execute(
        insert(Membership).values(user_id=user.id, organisation_id=org_id, role=role.value)
    )
    after = _roles_of(connection, user.id)
    record_event(connection, actor, "users.role", name, before={"roles": before},
                 after={"roles": after})  # fmt: skip


def remove_member(connection: Connection, actor: Actor, name: str) -> None:
    """Take a member out of the actor's organisation: their roles there go, their browser
    sessions end and their API tokens are revoked (a token of a user left without roles
    would act again, unnoticed, the day another organisation took them in). The user and
    their history stay. Audited ``users.remove``."""
    org = _acting_organisation(actor)
    user = _member_here(connection, actor, name)
    before = _roles_of(connection, user.id)
    if any(r == Role.ADMIN.value for _, r in before):
        _keeps_an_admin(connection, actor, org, user)
    connection.execute(
        delete(Membership).where(
            Membership.user_id == user.id,
            Membership.organisation_id == _organisation_id(connection, org),
        )
    )
    ended = _end_sessions(connection, user.id)
    revoked = connection.execute(
        update(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    ).rowcount
    after = {"roles": [], "sessions_ended": ended, "tokens_revoked": revoked}
    record_event(connection, actor, "users.remove", name, before={"roles": before}, after=after)


def unlock(connection: Connection, actor: Actor, name: str) -> None:
    """Lift a member's sign-in lock-out and forget their failed attempts (for someone who
    knows their password; a forgotten one is replaced instead, which also unlocks).
    Audited ``users.unlock``."""
    user = _member_here(connection, actor, name)
    if not user.failed_sign_ins and user.locked_until is None:
        raise AccountError(f"'{name}' is not locked out and has no failed sign-ins")
    connection.execute(
        update(User).where(User.id == user.id).values(failed_sign_ins=0, locked_until=None)
    )
    record_event(
        connection,
        actor,
        "users.unlock",
        name,
        before={"failed_sign_ins": user.failed_sign_ins, "locked_until": user.locked_until},
        after={"failed_sign_ins": 0, "locked_until": None},
    )


def change_own_password(engine: Engine, actor: Actor, current: str, new: str) -> tuple[str, str]:
    """Replace the actor's own password, given the current one; returns a fresh browser
    session (its cookie value and CSRF secret), as a new password ends every open one.

    The current password is checked as a sign-in is (audited ``sign-in``, via ``password
    change``): a failure counts towards the lock-out, so a left-open session is no way to
    guess the password; the refusal is also audited ``users.password``. A new password
    that breaks the rules is refused before the current one is checked."""
    # credentials builds on this module, so it is imported where it is used
    from hotline.accounts import credentials

    credentials.checked_password(new)
    checked = credentials.authenticate(engine, actor.name, current, actor.organisation,
                                       where="password change")  # fmt: skip
    if not checked.ok:
        why = {"why": "the current password was not given right, or the account is locked"}
        unrecorded = record_refusal(engine, actor, "users.password", actor.name, why)
        raise AccountError(
            "the current password is not right, or the account is locked for a while after "
            f"repeated failures; nothing changed{unrecorded}"
        )
    with unit_of_work(engine) as connection:
        credentials.set_password(connection, actor, actor.name, new)
        return credentials.open_session(connection, actor)


def _acting_organisation(actor: Actor) -> str:
    if actor.organisation is None:
        raise AccountError(
            f"{actor.name} acts in no organisation: name one (--org) to manage its people"
        )
    return actor.organisation


def _member_here(connection: Connection, actor: Actor, name: str) -> Any:
    """The user ``name``, if they belong to the actor's organisation and to no other."""
    org = _acting_organisation(actor)
    user = connection.execute(select(User).where(User.name == name)).first()
    theirs = {o for o, _ in _roles_of(connection, user.id)} if user is not None else set()
    if theirs != {org}:
        raise AccountError(
            f"'{name}' is not a member of {org} alone: an admin manages only the people "
            "who belong to their organisation and to no other"
        )
    return user


def _keeps_an_admin(connection: Connection, actor: Actor, organisation: str, user: Any) -> None:
    """Refuse to take an organisation's last active admin away: nobody on the web could
    then manage its people."""
    others = connection.scalars(
        select(func.count(func.distinct(User.id)))
        .join(Membership, Membership.user_id == User.id)
        .join(Organisation, Organisation.id == Membership.organisation_id)
        .where(
            Organisation.name == organisation,
            Membership.role == Role.ADMIN.value,
            ~User.disabled,
            User.id != user.id,
        )
    ).one()
    if others:
        return
    who = "you are" if user.name == actor.name else f"'{user.name}' is"
    raise AccountError(
        f"{who} the last active admin of {organisation}: make another member admin first, "
        f"or nobody could manage {organisation}'s people"
    )


def _end_sessions(connection: Connection, user_id: int) -> int:
    """End the user's open browser sessions; how many there were."""
    return int(connection.execute(delete(WebSession).where(WebSession.user_id == user_id)).rowcount)
