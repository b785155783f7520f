"""``/api/v1``: JSON over the query functions and services; errors in one shape.

Lists are paged with ``limit`` and ``offset`` and answered as ``{"items", "total", "limit",
"offset"}``. Reported URLs are defanged here as on the pages: the API is for people's tools
(case systems, spreadsheets), and a defanged URL cannot be opened by accident.
"""

from __future__ import annotations

from itertools import islice
from typing import Annotated, Any

from fastapi import APIRouter, File, Query, Request, UploadFile
from pydantic import BaseModel, Field

from hotline.accounts import audit as audit_trail
from hotline.accounts import visibility
from hotline.accounts.roles import Permission
from hotline.sharing.clusters import parse_ref
from hotline.web import actions, views
from hotline.web.deps import ApiPrincipal, JobId, Limit, Offset, allowed, engine
from hotline.web.errors import API_PREFIX, WebError

router = APIRouter(prefix=API_PREFIX, tags=["api"])


def _found(value: dict[str, Any] | None, what: str) -> dict[str, Any]:
    if value is None:
        raise WebError(404, f"no such {what}")
    return value


@router.get("/lookup", summary="Is a URL, host or selector value known?")
def lookup(
    request: Request,
    principal: ApiPrincipal,
    q: Annotated[str, Query(min_length=1, max_length=8192, description="URL, host or value.")],
) -> dict[str, Any]:
    with engine(request).connect() as connection:
        return views.lookup(connection, q, principal.actor.organisation)


@router.get("/sites/{key}", summary="A site: hosting, brand, distributor, URLs, reports")
def site(
    request: Request, principal: ApiPrincipal, key: str, limit: Limit = 50, offset: Offset = 0
) -> dict[str, Any]:
    site_key = views.site_key(key)
    with engine(request).connect() as connection:
        found = views.site_detail(connection, site_key, principal.actor.organisation, limit, offset)
        return _found(found, "site") | {"timeline": views.site_timeline(connection, site_key)}


@router.get("/sites/{key}/why", summary="The evidence behind a site's brand and distributor")
def why(request: Request, principal: ApiPrincipal, key: str) -> dict[str, Any]:
    with engine(request).connect() as connection:
        return _found(views.site_why(connection, views.site_key(key)), "site")


@router.get("/sites/{key}/selectors", summary="A site's selectors and how widely each is shared")
def selectors(request: Request, principal: ApiPrincipal, key: str) -> dict[str, Any]:
    with engine(request).connect() as connection:
        return _found(views.site_selectors(connection, views.site_key(key)), "site")


@router.get("/brands/{ref}", summary="A brand and its sites")
def brand(
    request: Request, principal: ApiPrincipal, ref: str, limit: Limit = 100, offset: Offset = 0
) -> dict[str, Any]:
    number = parse_ref(ref, "b")
    if number is None:
        raise WebError(404, "no such brand (ids look like b12)")
    with engine(request).connect() as connection:
        return _found(views.brand(connection, number, limit, offset), "brand")


@router.get("/distributors/{ref}", summary="A distributor and its brands")
def distributor(request: Request, principal: ApiPrincipal, ref: str) -> dict[str, Any]:
    number = parse_ref(ref, "d")
    if number is None:
        raise WebError(404, "no such distributor (ids look like d3)")
    with engine(request).connect() as connection:
        return _found(views.distributor(connection, number), "distributor")


@router.get("/quarantine", summary="Your organisation's refused records; others' as counts")
def quarantine(
    request: Request, principal: ApiPrincipal, limit: Limit = 50, offset: Offset = 0
) -> dict[str, Any]:
    with engine(request).connect() as connection:
        return views.quarantine(connection, principal.actor.organisation, limit, offset)


@router.get("/audit", summary="Your organisation's audit events, newest first (admins)")
def audit(
    request: Request,
    principal: ApiPrincipal,
    limit: Limit = 50,
    offset: Offset = 0,
    action: Annotated[str | None, Query(max_length=64)] = None,
) -> dict[str, Any]:
    actor = allowed(request, principal, Permission.MANAGE, "audit.list", "audit trail")
    with engine(request).connect() as connection:
        rows = audit_trail.events(connection, organisation=actor.organisation or "",
                                  action=action, limit=offset + limit)  # fmt: skip
        items = [_event(row) for row in islice(rows, offset, None)]
    return {"items": items, "limit": limit, "offset": offset}


def _event(row: Any) -> dict[str, Any]:
    return {
        "id": row.id, "at": views.when(row.at), "actor": views.shown(row.actor),
        "organisation": row.organisation, "action": row.action,
        "object": views.shown(row.object), "outcome": row.outcome,
        "before": views.shown(row.before), "after": views.shown(row.after), "hash": row.hash,
    }  # fmt: skip


@router.get("/audit/verify", summary="Recompute the audit trail's hash chain (admins)")
def audit_verify(request: Request, principal: ApiPrincipal) -> dict[str, Any]:
    allowed(request, principal, Permission.MANAGE, "audit.verify", "audit trail")
    with engine(request).connect() as connection:
        verdict = audit_trail.verify(connection)
    head = {"id": verdict.head_id, "hash": verdict.head_hash}
    return {"ok": verdict.ok, "events": verdict.events, "broken_at": verdict.broken_at,
            "reason": verdict.reason, "head": head}  # fmt: skip


class Override(BaseModel):
    left: str = Field(max_length=2048, description="A site (or URL, host), or a brand id b12.")
    right: str = Field(max_length=2048)
    reason: str = Field(max_length=4000, description="Why: kept with author and time.")


@router.post("/sites/link", summary="Two sites are one brand (two brands: one distributor)")
def link(request: Request, principal: ApiPrincipal, body: Override) -> dict[str, Any]:
    return actions.override(engine(request), principal.actor, "link", body.left, body.right,
                            body.reason)  # fmt: skip


@router.post("/sites/unlink", summary="Two sites are never one brand (or two brands)")
def unlink(request: Request, principal: ApiPrincipal, body: Override) -> dict[str, Any]:
    return actions.override(engine(request), principal.actor, "unlink", body.left, body.right,
                            body.reason)  # fmt: skip


class Label(BaseModel):
    kind: str = Field(description="brand or distributor")
    id: str = Field(max_length=24, description="b12 or d3")
    label: str = Field(max_length=1000)


@router.post("/clusters/label", summary="Name a brand or a distributor")
def label(request: Request, principal: ApiPrincipal, body: Label) -> dict[str, Any]:
    return actions.label(engine(request), principal.actor, body.kind, body.id, body.label)


@router.post(
    "/imports", status_code=202, summary="Upload a report feed; imported in the background"
)
def imports(
    request: Request, principal: ApiPrincipal, file: Annotated[UploadFile, File()]
) -> dict[str, Any]:
    settings = request.app.state.settings
    job = actions.upload(
        engine(request), principal.actor, file.file, file.filename or "feed.csv",
        settings.upload_dir, settings.upload_limit, request.app.state.threads,
    )  # fmt: skip
    return {"job": job, "status": visibility.QUEUED, "poll": f"{API_PREFIX}/jobs/{job}"}


@router.get("/jobs/{job}", summary="An import's progress (your organisation's)")
def job(request: Request, principal: ApiPrincipal, job: JobId) -> dict[str, Any]:
    with engine(request).connect() as connection:
        row = visibility.upload(connection, job)
    if row is None or row.organisation != principal.actor.organisation:
        raise WebError(404, "no such job")  # another organisation's job does not exist for you
    return views.upload(row)
