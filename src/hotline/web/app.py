"""``create_app(database_url)``: the FastAPI application, its settings, headers and errors.

The application refuses to start on a database that is not at this version's schema or
that has no users: a web server without accounts would be open to whoever reaches it.
"""

from __future__ import annotations

import asyncio
import logging
import os
import stat
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine
from sqlalchemy.exc import DataError
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from hotline import __version__
from hotline.accounts.credentials import dummy_hash, users_with_password
from hotline.accounts.services import NotAllowed, has_users
from hotline.accounts.sso import OidcConfig, load_config
from hotline.store.engine import make_engine
from hotline.store.migrate import current_revision, head_revision
from hotline.web import (
    admin_pages,
    api,
    assessment_pages,
    casework_api,
    casework_pages,
    oidc,
    pages,
    people,
    views,
)
from hotline.web.errors import API_PREFIX, SignInRequired, WebError, error_body
from hotline.web.security import SECURITY_HEADERS, identify
from hotline.web.templating import STATIC, render

FIRST_ADMIN = (
    "hotline orgs add ORG; hotline users add NAME --org ORG --role admin; "
    "hotline --as NAME users password NAME"
)


class WebSetupError(RuntimeError):
    """The database is not ready for the web application; the message says what to run."""


@dataclass(frozen=True)
class Settings:
    secure_cookies: bool = False  # Secure cookies even on plain HTTP (behind a TLS proxy)
    upload_dir: Path = field(default_factory=lambda: default_upload_dir())
    upload_limit: int = 512 * 1024 * 1024  # bytes per uploaded feed
    oidc: OidcConfig | None = None  # single sign-on through this provider (off when None)
    warm: bool = False  # build the site pages' caches at start (a server, not a test's app)


def check_database(engine: Engine) -> None:
    """Refuse to serve a database without this version's schema or without users."""
    current, head = current_revision(engine), head_revision()
    if current != head:
        raise WebSetupError(
            f"the database schema is at revision {current or 'none'}, this hotline needs "
            f"{head}: run `hotline init` first"
        )
    with engine.connect() as connection:
        if not has_users(connection):
            raise WebSetupError(
                "this database has no users, and the web application serves only signed-in "
                f"users; create the first admin with: {FIRST_ADMIN}"
            )
        if not users_with_password(connection):
            raise WebSetupError(
                "no user of this database has a password, so nobody could sign in; set one "
                "with: hotline users password NAME"
            )


UPLOAD_PATHS = frozenset({"/imports", f"{API_PREFIX}/imports"})
UPLOAD_FORM_OVERHEAD = 64 * 1024  # multipart boundaries and the form's other fields


def default_upload_dir() -> Path:
    """Uploads wait here for their import: a folder of the serving user's own (the user id
    in its name), never one that another local user could have made first."""
    return Path(tempfile.gettempdir()) / f"hotline-uploads-{os.getuid()}"


def private_folder(folder: Path) -> Path:
    """``folder``, created private (0700) if missing; refused when it is a link or belongs
    to, or is open to, anyone else: uploaded feeds hold reported URLs, and a file swapped in
    before its import runs would be imported under the uploader's name."""
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    status = folder.lstat()
    if stat.S_ISLNK(status.st_mode) or not stat.S_ISDIR(status.st_mode):
        raise WebSetupError(f"upload folder {folder} is not a plain folder")
    if status.st_uid != os.getuid() or status.st_mode & 0o077:
        raise WebSetupError(
            f"upload folder {folder} must belong to this user and be closed to others "
            f"(chmod 700 {folder}), or give another with --uploads"
        )
    return folder


def create_app(
    database_url: str, settings: Settings | None = None, engine: Engine | None = None
) -> FastAPI:
    """The application over ``database_url`` (raises :class:`WebSetupError` when the
    database is not ready)."""
    engine = engine or make_engine(database_url)
    check_database(engine)
    settings = settings or Settings()
    private_folder(settings.upload_dir)
    dummy_hash()  # made now, so the first sign-in of an unknown name costs what later ones do
    app = FastAPI(
        title="hotline",
        version=__version__,
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=None,  # FastAPI's docs pages load scripts from a CDN: a plain page instead
        redoc_url=None,
        lifespan=_warming(engine) if settings.warm else None,
    )
    app.state.engine = engine
    app.state.settings = settings
    app.state.threads = []  # import jobs started by this process (tests wait for them)
    app.include_router(api.router)
    app.include_router(casework_api.router)
    app.include_router(pages.router)
    app.include_router(assessment_pages.router)
    app.include_router(casework_pages.router)
    app.include_router(admin_pages.router)
    app.include_router(people.router)
    app.include_router(oidc.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.middleware("http")
    async def uploads_gate(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        """An upload's body is parsed (and spooled to disk) before any route dependency
        runs, so who asks and how much is checked here first: an anonymous or oversized
        upload costs the server nothing."""
        if request.method == "POST" and request.url.path in UPLOAD_PATHS:
            size = request.headers.get("content-length", "")
            if not size.isdigit():
                return _error(request, 411, "an upload must say its size (Content-Length)")
            if int(size) > settings.upload_limit + UPLOAD_FORM_OVERHEAD:
                limit = settings.upload_limit // 2**20
                return _error(request, 413, f"uploads are limited to {limit:,} MiB")
            if await run_in_threadpool(identify, request) is None:
                if _is_api(request):
                    return _error(request, 401, "sign in, or send an API token")
                return RedirectResponse("/sign-in", status_code=303)
        return await call_next(request)

    @app.middleware("http")
    async def headers(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        response = await call_next(request)
        for name, value in SECURITY_HEADERS.items():
            response.headers[name] = value
        if not request.url.path.startswith("/static/"):
            response.headers["Cache-Control"] = "no-store"  # pages hold case data
        return response

    app.add_exception_handler(WebError, _web_error)
    app.add_exception_handler(NotAllowed, _not_allowed)
    app.add_exception_handler(SignInRequired, _sign_in)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _invalid)
    app.add_exception_handler(DataError, _unstorable)
    return app


def _warming(engine: Engine) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    """Build the caches the site pages count from before a worker takes its first request
    (seconds on a store of 100,000 sites): a page asked while they were being built would
    count from the database, at many times the cost, on cores the build needs."""

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        try:
            await asyncio.to_thread(views.warm, engine)
        except Exception:  # the pages still answer, from the database
            logging.getLogger(__name__).warning("warming the caches failed", exc_info=True)
        yield
        views.forget_caches()  # the index of carriers is tens of megabytes per store

    return lifespan


def from_environment() -> FastAPI:
    """The factory ``hotline serve`` hands uvicorn when it runs several worker processes
    (each reads the single sign-on file again: a configuration holds no live objects)."""
    oidc_file = os.environ.get("HOTLINE_WEB_OIDC", "")
    return create_app(
        os.environ["HOTLINE_WEB_DB"],
        Settings(
            secure_cookies=os.environ.get("HOTLINE_WEB_SECURE_COOKIES") == "1",
            upload_dir=Path(os.environ["HOTLINE_WEB_UPLOADS"]),
            oidc=load_config(Path(oidc_file)) if oidc_file else None,
            warm=True,
        ),
    )


def _is_api(request: Request) -> bool:
    return request.url.path.startswith(API_PREFIX + "/") or request.url.path == API_PREFIX


def _error(request: Request, status: int, message: str, code: str | None = None) -> Response:
    if _is_api(request):
        headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
        return JSONResponse(error_body(status, message, code), status_code=status, headers=headers)
    return render(request, "error.html", {"status": status, "message": message}, status=status)


async def _web_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, WebError)
    return _error(request, error.status, error.message, error.code)


async def _not_allowed(request: Request, error: Exception) -> Response:
    return _error(request, 403, str(error))  # the refusal is already in the audit trail


async def _sign_in(request: Request, error: Exception) -> Response:
    return RedirectResponse("/sign-in", status_code=303)


async def _unstorable(request: Request, error: Exception) -> Response:
    """A value the database refuses (a NUL character, a number beyond its columns): the
    request's fault, answered as such — never a server error."""
    return _error(request, 400, "a value in this request cannot be looked up (NUL character "
                  "or a number out of range)", "bad_value")  # fmt: skip


async def _http_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, StarletteHTTPException)
    return _error(request, error.status_code, str(error.detail))


async def _invalid(request: Request, error: Exception) -> Response:
    assert isinstance(error, RequestValidationError)
    problems = "; ".join(
        f"{'.'.join(str(p) for p in item.get('loc', ()))}: {item.get('msg', '')}"
        for item in error.errors()
    )
    return _error(request, 422, problems or "invalid request")
