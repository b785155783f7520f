"""The pages: server-rendered HTML over the same views and actions as the API.

Every page but sign-in needs a session; every form carries the session's CSRF secret (the
sign-in form a secret of its own, kept in a short-lived cookie, as there is no session yet).
"""

from __future__ import annotations

import secrets
from itertools import islice
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from hotline.accounts import audit as audit_trail
from hotline.accounts import credentials, visibility
from hotline.accounts.credentials import same_secret
from hotline.accounts.roles import Permission
from hotline.accounts.services import AccountError, users
from hotline.sharing.clusters import parse_ref
from hotline.store.uow import unit_of_work
from hotline.web import actions, views
from hotline.web.deps import JobId, Offset, PagePrincipal, allowed, check_csrf, engine
from hotline.web.errors import WebError
from hotline.web.security import (
    SESSION_COOKIE,
    SIGN_IN_COOKIE,
    identify,
    set_cookie,
    set_session_cookie,
)
from hotline.web.templating import render

router = APIRouter(include_in_schema=False)
Csrf = Annotated[str, Form(max_length=128)]
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


@router.get("/imports")
def imports_page(request: Request, principal: PagePrincipal) -> Response:
    with engine(request).connect() as connection:
        rows = visibility.uploads(connection, principal.actor.organisation, limit=50)
    may = principal.actor.may(Permission.IMPORT)
    return render(request, "imports.html", {"jobs": [views.upload(r) for r in rows], "may": may})


@router.post("/imports")
def imports(
    request: Request,
    principal: PagePrincipal,
    file: Annotated[UploadFile, File()],
    csrf: Csrf = "",
) -> Response:
    check_csrf(principal, csrf)
    settings = request.app.state.settings
    actions.upload(
        engine(request), principal.actor, file.file, file.filename or "feed.csv",
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
    return render(request, "_job.html", {"job": views.upload(row)})


@router.get("/assessment")
def assessment_form(request: Request, principal: PagePrincipal) -> Response:
    """The strategic assessment: choose the moment and period, see it here or download the
    file ``hotline report`` writes."""
    allowed(request, principal, Permission.PROCESS, "strategic.assessment", "form")
    return render(request, "assessment.html", {"a": None, "form": {}})


@router.post("/assessment")
def assessment(
    request: Request,
    principal: PagePrincipal,
    csrf: Csrf = "",
    as_of: Annotated[str, Form(max_length=40)] = "",
    date_from: Annotated[str, Form(max_length=10)] = "",
    date_to: Annotated[str, Form(max_length=10)] = "",
    download: Annotated[str, Form(max_length=8)] = "",
) -> Response:
    check_csrf(principal, csrf)
    actor = allowed(request, principal, Permission.PROCESS, "strategic.assessment", "build")
    found = actions.assessment(engine(request), actor, as_of, date_from, date_to)
    if download == "html":
        # a file to keep and open offline, not a page of this site: its own styles and
        # charts live in it, and this site's policy stays strict
        return Response(
            actions.assessment_html(found),
            media_type="text/html; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="assessment.html"'},
        )
    form = {"as_of": as_of, "date_from": date_from, "date_to": date_to}
    return render(request, "assessment.html", {"a": views.assessment(found), "form": form})


@router.get("/quarantine")
def quarantine(request: Request, principal: PagePrincipal, offset: Offset = 0) -> Response:
    with engine(request).connect() as connection:
        data = views.quarantine(connection, principal.actor.organisation, 100, offset)
    return render(request, "quarantine.html", {"q": data})


@router.get("/admin")
def admin(request: Request, principal: PagePrincipal) -> Response:
    return _admin(request, principal, {})


def _admin(request: Request, principal: Any, extra: dict[str, Any], status: int = 200) -> Response:
    actor = allowed(request, principal, Permission.MANAGE, "audit.list", "admin page")
    with engine(request).connect() as connection:
        people = [u for u in users(connection)
                  if any(org == actor.organisation for org, _ in u.roles)]  # fmt: skip
        names = {u.name for u in people}
        tokens = [t for t in credentials.tokens(connection) if t.user in names]
        rows = audit_trail.events(connection, organisation=actor.organisation or "", limit=50)
        events = list(islice(rows, 50))
        verdict = audit_trail.verify(connection)
    return render(request, "admin.html", {"people": people, "tokens": tokens, "events": events,
                                          "verdict": verdict, **extra}, status=status)  # fmt: skip


@router.post("/admin/tokens")
def add_token(
    request: Request,
    principal: PagePrincipal,
    user: Annotated[str, Form(max_length=64)],
    name: Annotated[str, Form(max_length=64)],
    scope: Annotated[str, Form(max_length=8)],
    csrf: Csrf = "",
) -> Response:
    check_csrf(principal, csrf)
    actor = allowed(request, principal, Permission.MANAGE, "tokens.add", f"{user}/{name}")
    try:
        with unit_of_work(engine(request)) as connection:
            _member(connection, actor.organisation, user)
            token = credentials.issue_token(connection, actor, user, name, scope)
    except AccountError as error:
        return _admin(request, principal, {"message": str(error)}, status=422)
    # shown once, on this response only (no-store): the store keeps only its hash
    return _admin(request, principal, {"new_token": token, "token_for": f"{user}/{name}"})


@router.post("/admin/tokens/revoke")
def revoke_token(
    request: Request,
    principal: PagePrincipal,
    user: Annotated[str, Form(max_length=64)],
    name: Annotated[str, Form(max_length=64)],
    csrf: Csrf = "",
) -> Response:
    check_csrf(principal, csrf)
    actor = allowed(request, principal, Permission.MANAGE, "tokens.revoke", f"{user}/{name}")
    try:
        with unit_of_work(engine(request)) as connection:
            _member(connection, actor.organisation, user)
            credentials.revoke_token(connection, actor, user, name)
    except AccountError as error:
        return _admin(request, principal, {"message": str(error)}, status=422)
    return RedirectResponse("/admin", status_code=303)


def _member(connection: Any, organisation: str | None, user: str) -> None:
    """An admin manages the tokens of their own organisation's people only."""
    if not any(u.name == user and any(o == organisation for o, _ in u.roles)
               for u in users(connection)):  # fmt: skip
        raise AccountError(f"'{user}' is not a member of {organisation}")


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
