"""``hotline serve``: the web application, with uvicorn.

It listens on the loopback address unless told otherwise: the application speaks plain
HTTP, so anything beyond this machine belongs behind a TLS reverse proxy (docs/web.md), and
``--allow-remote`` says that one is in place.
"""

from __future__ import annotations

import ipaddress
import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from sqlalchemy import Engine

from hotline.cli.console import err, fail, out
from hotline.cli.context import AppState, state

if TYPE_CHECKING:
    from hotline.accounts.sso import OidcConfig


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def serve(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.", min=1, max=65535)] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes.", min=1, max=64)] = 1,
    allow_remote: Annotated[
        bool,
        typer.Option(help="Listen on a non-loopback address (behind a TLS reverse proxy)."),
    ] = False,
    secure_cookies: Annotated[
        bool,
        typer.Option(
            help="Mark cookies Secure even when a request arrives as plain HTTP "
            "(a TLS proxy that does not send X-Forwarded-Proto)."
        ),
    ] = False,
    uploads: Annotated[
        Path | None,
        typer.Option(
            help="Directory for uploaded report feeds (default: a folder in the "
            "system's temporary directory)."
        ),
    ] = None,
    oidc: Annotated[
        Path | None,
        typer.Option(
            help="Single sign-on through an OpenID Connect provider, configured by this "
            "TOML file (docs/web-sso.md).",
            metavar="FILE",
        ),
    ] = None,
) -> None:
    """Serve the web application: pages for people and a JSON API (/api/v1).

    Needs a database with users who have passwords (hotline users add, hotline users
    password). Listens on 127.0.0.1 unless --allow-remote.

    [bold]Examples[/]

      hotline serve
      hotline --db postgresql://hotline@db.example/hotline serve --workers 4
      hotline serve --host 0.0.0.0 --allow-remote --secure-cookies
      hotline serve --oidc /etc/hotline/sso.toml
    """
    if not _loopback(host) and not allow_remote:
        raise fail(
            f"refusing to listen on {host}: hotline serves plain HTTP; put it behind a TLS "
            "reverse proxy and pass --allow-remote (or keep the default 127.0.0.1)"
        )
    config = _sso_config(oidc) if oidc is not None else None
    app_state = state(ctx)
    # not ready_engine(): serving is nobody's act (people sign in for themselves), and a
    # database without the schema is refused by create_app with what to run
    run(app_state, app_state.engine(), host, port, workers, secure_cookies, uploads, config)


def _sso_config(path: Path) -> OidcConfig:
    """The single sign-on file, checked before anything starts: a bad one stops the
    server with the file, the key and the reason. (Imported here, as the web application
    is: the other commands never load the OpenID Connect libraries.)"""
    from hotline.accounts.sso import SsoConfigError, load_config

    try:
        return load_config(path)
    except SsoConfigError as error:
        raise fail(f"single sign-on: {error}") from error


def run(
    app_state: AppState,
    engine: Engine,
    host: str,
    port: int,
    workers: int = 1,
    secure_cookies: bool = False,
    uploads: Path | None = None,
    oidc: OidcConfig | None = None,
) -> None:
    """Check the database, then serve until Ctrl-C (``hotline serve``, ``demo --serve``)."""
    from hotline.web.app import Settings, WebSetupError, create_app, default_upload_dir

    folder = uploads or default_upload_dir()
    # with several workers, each builds its own caches (this process only checks and waits)
    settings = Settings(secure_cookies=secure_cookies, upload_dir=folder, oidc=oidc,
                        warm=workers == 1)  # fmt: skip
    try:
        app = create_app(app_state.db, settings, engine=engine)
    except WebSetupError as error:
        raise fail(str(error)) from error
    out.print(f"hotline web on http://{host}:{port}/ ({app_state.shown_db}); Ctrl-C stops it")
    err.print("[dim]it answers once the site pages' caches are built (seconds on a store of "
              "100,000 sites)[/]")  # fmt: skip
    if oidc is not None:
        err.print(f"single sign-on through {oidc.issuer} (redirect URI {oidc.redirect_uri})",
                  markup=False, style="dim")  # fmt: skip
    if workers == 1:
        uvicorn_run(app, host=host, port=port, proxy_headers=True, server_header=False)
        return
    engine.dispose()  # each worker process opens its own
    os.environ["HOTLINE_WEB_DB"] = app_state.db
    os.environ["HOTLINE_WEB_UPLOADS"] = str(folder)
    os.environ["HOTLINE_WEB_SECURE_COOKIES"] = "1" if secure_cookies else "0"
    # each worker reads the file again (its secret's environment variable is inherited)
    os.environ["HOTLINE_WEB_OIDC"] = str(oidc.source) if oidc and oidc.source else ""
    err.print(f"[dim]{workers} worker processes[/]")
    uvicorn_run("hotline.web.app:from_environment", factory=True, host=host, port=port,
                workers=workers, proxy_headers=True, server_header=False)  # fmt: skip


def uvicorn_run(app: Any, **options: Any) -> None:
    """uvicorn, imported when a server starts (the other commands never load it)."""
    import uvicorn

    uvicorn.run(app, **options)
