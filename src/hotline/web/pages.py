"""The pages: server-rendered HTML over the same views and actions as the API.

Every page but sign-in needs a session; every form carries the session's CSRF secret (the
sign-in form a secret of its own, kept in a short-lived cookie, as there is no session yet).
"""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from hotline.accounts import credentials, visibility
from hotline.accounts.credentials import same_secret
from hotline.accounts.roles import Permission
from hotline.sharing.clusters import parse_ref
from hotline.store.uow import unit_of_work
from hotline.web import actions, jobs, listing, views
from hotline.web.deps import Csrf, JobId, Offset, PagePrincipal, check_csrf, engine
from hotline.web.errors import WebError
from hotline.web.jobs import UploadKind
from hotline.web.security import (
    SESSION_COOKIE,
    SIGN_IN_COOKIE,
    identify,
    set_cookie,
    set_session_cookie,
)
from hotline.web.templating import render

router = APIRouter(include_in_schema=False)
SIGN_IN_FAILED = (
    "Sign-in failed: wrong name or password, or the account is locked for a while after "
    "repeated failures."
)


@router.get("/sign-in")
def sign_in_page(request: Request) -> Response:
    return _sign_in_form(request, "")


def _sign_in_form(request: Request, message: str, status: int = 200) -> Response:
    secret = secrets.token_urlsafe(32)
    response = render(request, "sign_in.html", {"form_secret": secret, "message": message},
                      status=status)  # fmt: skip
    set_cookie(request, response, SIGN_IN_COOKIE, secret, max_age=3600)
    return response


@router.post("/sign-in")
def sign_in(
    request: Request,
    name: Annotated[str, Form(max_length=200)],
    password: Annotated[str, Form(max_length=credentials.MAX_PASSWORD)],
    organisation: Annotated[str, Form(max_length=200)] = "",
    csrf: Csrf = "",
) -> Response:
    expected = request.cookies.get(SIGN_IN_COOKIE, "")
    if not expected or not same_secret(csrf, expected):
        raise WebError(403, "the sign-in form has expired; reload the page and try again", "csrf")
    outcome = credentials.authenticate(engine(request), name, password,
                                       organisation.strip() or None)  # fmt: skip
    if outcome.actor is None:
        # one message for every failure: it never tells whether the name exists
        return _sign_in_form(request, SIGN_IN_FAILED, 401)
    with unit_of_work(engine(request)) as connection:
        session_id, _ = credentials.open_session(connection, outcome.actor)
    response = RedirectResponse("/", status_code=303)
    set_session_cookie(request, response, session_id)
    response.delete_cookie(SIGN_IN_COOKIE, path="/")
    return response


@router.post("/sign-out")
def sign_out(request: Request, principal: PagePrincipal, csrf: Csrf = "") -> Response:
    check_csrf(principal, csrf)
    assert principal.session_id is not None
    with unit_of_work(engine(request)) as connection:
        credentials.close_session(connection, principal.actor, principal.session_id)
    response = RedirectResponse("/sign-in", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/")
def dashboard(request: Request, principal: PagePrincipal) -> Response:
    with engine(request).connect() as connection:
        data = views.dashboard(connection, principal.actor.organisation)
    return render(request, "dashboard.html", data)


@router.get("/lookup")
def lookup(
    request: Request, principal: PagePrincipal, q: Annotated[str, Query(max_length=8192)] = ""
) -> Response:
    answer = None
    if q.strip():
        with engine(request).connect() as connection:
            answer = views.lookup(connection, q, principal.actor.organisation)
    return render(request, "lookup.html", {"answer": answer, "q": q})


@router.get("/sites/{key}")
def site(request: Request, principal: PagePrincipal, key: str, offset: Offset = 0) -> Response:
    site_key = views.site_key(key)
    with engine(request).connect() as connection:
        detail = views.site_detail(connection, site_key, principal.actor.organisation, 100, offset,
                                   evidence=True)  # fmt: skip
        if detail is None:
            raise WebError(404, "no such site")
        selectors = views.site_selectors(connection, site_key)
        hosting = views.site_timeline(connection, site_key)
    return render(request, "site.html", {"s": detail, "sel": selectors, "timeline": hosting})


@router.get("/brands/{ref}")
def brand(request: Request, principal: PagePrincipal, ref: str, offset: Offset = 0) -> Response:
    number = parse_ref(ref, "b")
    with engine(request).connect() as connection:
        data = views.brand(connection, number, 200, offset) if number is not None else None
    if data is None:
        raise WebError(404, "no such brand")
    return render(request, "brand.html", {"b": data})


@router.post("/brands/{ref}/label")
def label_brand(
    request: Request,
    principal: PagePrincipal,
    ref: str,
    label: Annotated[str, Form(max_length=1000)],
    csrf: Csrf = "",
) -> Response:
    check_csrf(principal, csrf)
    actions.label(engine(request), principal.actor, "brand", ref, label)
    return RedirectResponse(f"/brands/{ref.strip().lower()}", status_code=303)


@router.get("/distributors/{ref}")
def distributor(request: Request, principal: PagePrincipal, ref: str) -> Response:
    number = parse_ref(ref, "d")
    with engine(request).connect() as connection:
        data = views.distributor(connection, number) if number is not None else None
    if data is None:
        raise WebError(404, "no such distributor")
    return render(request, "distributor.html", {"d": data})


PAGE_REFUSALS = 10  # refused records a job shows on the page; the quarantine page has all


@router.get("/imports")
def imports_page(request: Request, principal: PagePrincipal) -> Response:
    with engine(request).connect() as connection:
        rows = visibility.uploads(connection, principal.actor.organisation, limit=50)
        found = [listing.job(connection, row, PAGE_REFUSALS) for row in rows]
    may = principal.actor.may(Permission.IMPORT)
    return render(request, "imports.html", {"jobs": found, "may": may})


@router.post("/imports")
def imports(
    request: Request,
    principal: PagePrincipal,
    file: Annotated[UploadFile, File()],
    kind: Annotated[UploadKind, Form()] = UploadKind.REPORTS,
    csrf: Csrf = "",
) -> Response:
    check_csrf(principal, csrf)
    settings = request.app.state.settings
    jobs.accept(
        engine(request), principal.actor, kind, file.file, file.filename or f"upload.{kind}",
        settings.upload_dir, settings.upload_limit, request.app.state.threads,
    )  # fmt: skip
    return RedirectResponse("/imports", status_code=303)


@router.get("/imports/{job}")
def job(request: Request, principal: PagePrincipal, job: JobId) -> Response:
    """One import's progress: the fragment the imports page polls (HTMX)."""
    with engine(request).connect() as connection:
        row = visibility.upload(connection, job)
        if row is None or row.organisation != principal.actor.organisation:
            raise WebError(404, "no such import")
        found = listing.job(connection, row, PAGE_REFUSALS)
    return render(request, "_job.html", {"job": found})


@router.get("/quarantine")
def quarantine(request: Request, principal: PagePrincipal, offset: Offset = 0) -> Response:
    with engine(request).connect() as connection:
        data = views.quarantine(connection, principal.actor.organisation, 100, offset)
    return render(request, "quarantine.html", {"q": data})


@router.get("/api/v1/docs")
def api_docs(request: Request) -> Response:
    """The API's endpoints, from its OpenAPI document, as a plain page (no CDN)."""
    request.state.principal = identify(request)
    schema = request.app.openapi()
    endpoints = [
        {"method": method.upper(), "path": path, "summary": spec.get("summary", ""),
         "parameters": [p["name"] for p in spec.get("parameters", [])]}
        for path, methods in schema["paths"].items()
        for method, spec in methods.items()
    ]  # fmt: skip
    return render(request, "api_docs.html", {"endpoints": endpoints})
