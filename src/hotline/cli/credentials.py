"""``hotline users password`` and ``hotline tokens``: web sign-in, thin over the services.

Passwords are read from the terminal (twice, not echoed) or, for scripts, from standard
input; a token is printed once and never again (the store keeps only its hash).
"""

from __future__ import annotations

import getpass
import sys
from typing import Annotated

import typer
from rich.table import Table

from hotline.accounts import credentials
from hotline.accounts.roles import Actor, Permission
from hotline.accounts.services import AccountError
from hotline.cli.accounts import users_app
from hotline.cli.console import fail, markup_value, out, text_value
from hotline.cli.context import AppState, state
from hotline.store.uow import unit_of_work

tokens_app = typer.Typer(
    help="API tokens for the web API (hotline serve): a token acts as its user, with 'read' "
    "(the viewer's rights) or 'write' (the user's roles) scope. Shown once when added.\n\n"
    "[bold]Examples[/]\n\n  hotline tokens add case-system --user alice --scope read\n\n"
    "  hotline tokens list\n\n  hotline tokens revoke case-system --user alice",
    rich_markup_mode="rich",
    no_args_is_help=True,
)


def _acting(app_state: AppState, action: str, name: str) -> Actor:
    app_state.ready_engine()
    actor = app_state.actor()
    if actor.name != name:  # someone else's credentials: an admin's job (refusal audited)
        actor = app_state.require(Permission.MANAGE, action, name)
    return actor


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("new password: ")
    if first != getpass.getpass("again: "):
        raise fail("the two passwords differ; nothing changed")
    return first


@users_app.command("password")
def users_password(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Login name.")],
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
) -> None:
    """Set a user's password for the web application (your own, or as an admin, your
    organisation's people's). At least 12 characters; stored as an argon2id hash.

    [bold]Examples[/]

      hotline --as alice users password alice
      printf '%s\\n' "$PASSWORD" | hotline --as alice users password bob --password-stdin
    """
    app_state = state(ctx)
    actor = _acting(app_state, "users.password", name)
    password = _read_password(password_stdin)
    try:
        credentials.checked_password(password)
        with unit_of_work(app_state.engine()) as connection:
            credentials.set_password(connection, actor, name, password)
    except AccountError as error:
        raise fail(str(error)) from error
    out.print(f"password of {markup_value(name)} set")


@tokens_app.command("add")
def tokens_add(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="What the token is for (case-system).")],
    user: Annotated[str, typer.Option("--user", help="The user it acts as.")],
    scope: Annotated[str, typer.Option("--scope", help="read or write.")] = "read",
) -> None:
    """Add an API token and print it, once.

    [bold]Example[/]

      hotline tokens add case-system --user alice --scope read
    """
    app_state = state(ctx)
    actor = _acting(app_state, "tokens.add", user)
    try:
        with unit_of_work(app_state.engine()) as connection:
            token = credentials.issue_token(connection, actor, user, name, scope.lower())
    except AccountError as error:
        raise fail(str(error)) from error
    sys.stdout.write(token + "\n")  # plain, alone on its line: for a pipe or a secret store
    sys.stderr.write("this token is shown once: keep it in a secret store now\n")


@tokens_app.command("list")
def tokens_list(
    ctx: typer.Context,
    user: Annotated[str | None, typer.Option("--user", help="Only this user's.")] = None,
) -> None:
    """The tokens (never their values): user, name, scope, created, last used, revoked.

    [bold]Example[/]

      hotline tokens list --user alice
    """
    app_state = state(ctx)
    app_state.ready_engine()
    actor = app_state.actor()
    if user != actor.name:
        app_state.require(Permission.MANAGE, "tokens.list", user or "all")
    with app_state.engine().connect() as connection:
        rows = credentials.tokens(connection, user)
    table = Table(title=f"{len(rows)} token(s)", title_justify="left")
    for column in ("user", "name", "scope", "created", "last used", "revoked"):
        table.add_column(column)
    for row in rows:
        table.add_row(
            text_value(row.user), text_value(row.name), row.scope,
            f"{row.created_at:%Y-%m-%d %H:%M}",
            f"{row.last_used_at:%Y-%m-%d %H:%M}" if row.last_used_at else "",
            f"{row.revoked_at:%Y-%m-%d %H:%M}" if row.revoked_at else "",
        )  # fmt: skip
    out.print(table)


@tokens_app.command("revoke")
def tokens_revoke(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The token's name.")],
    user: Annotated[str, typer.Option("--user", help="Its user.")],
) -> None:
    """Revoke a token: the next request with it is refused.

    [bold]Example[/]

      hotline tokens revoke case-system --user alice
    """
    app_state = state(ctx)
    actor = _acting(app_state, "tokens.revoke", user)
    try:
        with unit_of_work(app_state.engine()) as connection:
            credentials.revoke_token(connection, actor, user, name)
    except AccountError as error:
        raise fail(str(error)) from error
    out.print(f"token {markup_value(name)} of {markup_value(user)} revoked")
