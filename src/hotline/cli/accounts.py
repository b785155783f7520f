"""``hotline orgs``, ``hotline users`` and ``hotline audit``: thin over the accounts services."""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated

import orjson
import typer
from rich.table import Table
from sqlalchemy import Connection

from hotline.accounts import audit as audit_trail
from hotline.accounts import services as accounts
from hotline.accounts.roles import Actor, Permission, Role, parse_role
from hotline.cli.console import err, fail, markup_value, out, text_value
from hotline.cli.context import AppState, state
from hotline.store.uow import unit_of_work

orgs_app = typer.Typer(
    help="Organisations: the hotlines and agencies whose people use this database.\n\n"
    "[bold]Examples[/]\n\n  hotline orgs add hotline-north --source HN\n\n  hotline orgs list",
    rich_markup_mode="rich",
    no_args_is_help=True,
)
users_app = typer.Typer(
    help="Users and their roles per organisation: viewer (reads), analyst (also imports, "
    "runs the stages and decides), admin (also manages users and reads the audit trail). "
    "Service accounts are users of kind 'service', for machines.\n\n"
    "A database without users treats whoever runs a command as its local admin; add "
    "yourself first, as admin, then your colleagues.\n\n[bold]Examples[/]\n\n"
    "  hotline users add alice --org hotline-north --role admin\n\n"
    "  hotline users add importer --kind service --org hotline-north --role analyst\n\n"
    "  hotline --as alice users list",
    rich_markup_mode="rich",
    no_args_is_help=True,
)
audit_app = typer.Typer(
    help="The audit trail: every write, every refusal, hash-chained (admins).\n\n"
    "[bold]Examples[/]\n\n  hotline audit list --limit 20\n\n  hotline audit verify\n\n"
    "  hotline audit head > audit-head.json   # keep it somewhere else",
    rich_markup_mode="rich",
    no_args_is_help=True,
)


def _account_write(
    app_state: AppState, action: str, name: str, change: Callable[[Connection, Actor], None]
) -> Actor:
    """An admin's change of accounts: checked (a refusal is audited), made in one unit of
    work; a change that cannot be made ends the command in one line."""
    app_state.ready_engine()
    actor = app_state.require(Permission.MANAGE, action, name)
    try:
        with unit_of_work(app_state.engine()) as connection:
            change(connection, actor)
    except accounts.AccountError as error:
        raise fail(str(error)) from error
    return actor


@orgs_app.command("add")
def orgs_add(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Short name, no spaces (hotline-north).")],
    source: Annotated[
        list[str] | None,
        typer.Option("--source", help="A report source (feed code) it owns; repeat for more."),
    ] = None,
) -> None:
    """Add an organisation (admins), optionally with the report sources it owns.

    [bold]Examples[/]

      hotline orgs add hotline-north
      hotline orgs add hotline-south --source HS --source HS-APP
    """
    app_state = state(ctx)
    _account_write(
        app_state,
        "orgs.add",
        name,
        lambda c, actor: accounts.add_organisation(c, actor, name, source or ()),
    )
    out.print(f"organisation {markup_value(name)} added")


@orgs_app.command("list")
def orgs_list(ctx: typer.Context) -> None:
    """The organisations, their members and report sources.

    [bold]Example[/]

      hotline orgs list
    """
    engine = state(ctx).ready_engine()
    with engine.connect() as connection:
        rows = accounts.organisations(connection)
    table = Table(title=f"{len(rows)} organisation(s)", title_justify="left")
    for column in ("name", "members", "report sources"):
        table.add_column(column)
    for name, members, codes in rows:
        table.add_row(text_value(name), f"{members:,}", text_value(", ".join(codes)))
    out.print(table)


def _grants(org: list[str] | None, role: list[str] | None) -> list[tuple[str, Role]]:
    orgs, roles = list(org or []), list(role or [])
    if len(roles) == 1 and len(orgs) > 1:
        roles = roles * len(orgs)  # one role in every organisation named
    if len(orgs) != len(roles):
        raise fail("give one --role per --org (or one --role for all of them)")
    try:
        return [(o, parse_role(r)) for o, r in zip(orgs, roles, strict=True)]
    except ValueError as error:
        raise fail(str(error)) from error


_ORG = typer.Option("--org", help="Organisation; repeat for several.")
_ROLE = typer.Option("--role", help="viewer, analyst or admin; one per --org.")


@users_app.command("add")
def users_add(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Login name, no spaces.")],
    org: Annotated[list[str] | None, _ORG] = None,
    role: Annotated[list[str] | None, _ROLE] = None,
    kind: Annotated[str, typer.Option(help="person, or service for a machine.")] = "person",
) -> None:
    """Add a user with roles in organisations (admins).

    [bold]Examples[/]

      hotline users add alice --org hotline-north --role admin
      hotline users add bob --org hotline-north --org hotline-south --role analyst
    """
    app_state = state(ctx)
    grants = _grants(org, role)
    actor = _account_write(
        app_state,
        "users.add",
        name,
        lambda c, actor: accounts.add_user(c, actor, name, grants, kind),
    )
    out.print(f"user {markup_value(name)} added")
    if actor.implicit and name != actor.name:
        err.print(
            f"[yellow]note:[/] this database now has users; '{markup_value(actor.name)}' is "
            f"not one of them: act with --as {markup_value(name)} (or add yourself)"
        )


@users_app.command("grant")
def users_grant(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Login name.")],
    org: Annotated[list[str] | None, _ORG] = None,
    role: Annotated[list[str] | None, _ROLE] = None,
) -> None:
    """Give a user more roles (admins).

    [bold]Example[/]

      hotline users grant bob --org hotline-south --role analyst
    """
    app_state = state(ctx)
    grants = _grants(org, role)
    if not grants:
        raise fail("give --org and --role")
    _account_write(
        app_state, "users.grant", name, lambda c, actor: accounts.grant(c, actor, name, grants)
    )
    out.print(f"user {markup_value(name)} granted {len(grants)} role(s)")


@users_app.command("disable")
def users_disable(
    ctx: typer.Context, name: Annotated[str, typer.Argument(help="Login name.")]
) -> None:
    """Disable a user: they can no longer act; their history stays (admins).

    [bold]Example[/]

      hotline users disable bob
    """
    app_state = state(ctx)
    _account_write(
        app_state, "users.disable", name, lambda c, actor: accounts.disable_user(c, actor, name)
    )
    out.print(f"user {markup_value(name)} disabled")


@users_app.command("list")
def users_list(ctx: typer.Context) -> None:
    """The users, their kind and roles.

    [bold]Example[/]

      hotline users list
    """
    engine = state(ctx).ready_engine()
    with engine.connect() as connection:
        rows = accounts.users(connection)
    table = Table(title=f"{len(rows)} user(s)", title_justify="left")
    for column in ("name", "kind", "status", "roles"):
        table.add_column(column)
    for row in rows:
        roles = ", ".join(f"{role} in {org}" for org, role in row.roles)
        table.add_row(
            text_value(row.name),
            row.kind,
            "disabled" if row.disabled else "active",
            text_value(roles),
        )
    out.print(table)


def _admin_read(ctx: typer.Context, what: str) -> AppState:
    app_state = state(ctx)
    app_state.ready_engine()
    app_state.require(Permission.MANAGE, f"audit.{what}", "audit trail")
    return app_state


@audit_app.command("list")
def audit_list(
    ctx: typer.Context,
    actor: Annotated[str | None, typer.Option(help="Only this user's events.")] = None,
    action: Annotated[
        str | None, typer.Option(help="Actions starting with this (attribution., users.add).")
    ] = None,
    org: Annotated[str | None, typer.Option("--in", help="Only this organisation's.")] = None,
    since: Annotated[str | None, typer.Option(help="From this UTC date (YYYY-MM-DD).")] = None,
    limit: Annotated[int, typer.Option(help="At most this many, newest first (0: all).")] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="JSON Lines, every field.")] = False,
) -> None:
    """The audit events, newest first.

    [bold]Examples[/]

      hotline audit list --action attribution. --limit 10
      hotline audit list --actor alice --since 2026-12-01 --json
    """
    app_state = _admin_read(ctx, "list")
    start = None
    if since:
        try:
            start = datetime.strptime(since, "%Y-%m-%d").replace(tzinfo=UTC)
        except ValueError as error:
            raise fail(f"--since: '{since}' is not a date like 2026-12-01") from error
    with app_state.engine().connect() as connection:
        found = audit_trail.events(
            connection,
            actor=actor,
            action=action,
            organisation=org,
            since=start,
            limit=limit or None,
        )
        rows = list(found)
    if as_json:
        for row in rows:
            record = row._asdict()
            record["at"] = record["at"].isoformat()
            sys.stdout.write(orjson.dumps(record).decode() + "\n")
        return
    table = Table(title=f"{len(rows)} event(s)", title_justify="left")
    for column in ("#", "time (UTC)", "actor", "organisation", "action", "object", "outcome"):
        table.add_column(column)
    for row in rows:
        table.add_row(
            str(row.id),
            f"{row.at:%Y-%m-%d %H:%M:%S}",
            text_value(row.actor),
            text_value(row.organisation or ""),
            text_value(row.action),
            text_value(row.object),
            row.outcome,
        )
    out.print(table)


@audit_app.command("verify")
def audit_verify(ctx: typer.Context) -> None:
    """Recompute the hash chain; name the first event that was edited, removed or moved.

    Exit 0 when the chain holds, 1 when it does not. Compare the head it prints with one
    kept outside the database to also catch events removed from the end.

    [bold]Example[/]

      hotline audit verify
    """
    app_state = _admin_read(ctx, "verify")
    with app_state.engine().connect() as connection:
        verdict = audit_trail.verify(connection)
    if not verdict.ok:
        err.print(
            f"[bold red]audit trail broken[/] at event #{verdict.broken_at}: {verdict.reason} "
            f"({verdict.events - 1:,} event(s) before it hold)"
        )
        raise typer.Exit(1)
    out.print(
        f"audit trail holds: {verdict.events:,} event(s); head #{verdict.head_id} "
        f"{verdict.head_hash}"
        if verdict.events
        else "audit trail holds: no events yet"
    )


@audit_app.command("head")
def audit_head(ctx: typer.Context) -> None:
    """Print the chain's head as JSON, to keep outside the database (anchoring).

    [bold]Example[/]

      hotline audit head >> /secure/elsewhere/audit-heads.jsonl
    """
    app_state = _admin_read(ctx, "head")
    with app_state.engine().connect() as connection:
        verdict = audit_trail.verify(connection)
    if not verdict.ok:
        raise fail(f"audit trail broken at event #{verdict.broken_at}: {verdict.reason}", code=1)
    sys.stdout.write(
        orjson.dumps(
            {"id": verdict.head_id, "hash": verdict.head_hash, "events": verdict.events}
        ).decode()
        + "\n"
    )
