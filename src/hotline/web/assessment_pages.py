"""The strategic assessment on the web: choose the moment and period, read it on the page,
download the file ``hotline report`` writes."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from starlette.responses import Response

from hotline.accounts.roles import Permission
from hotline.web import actions, views
from hotline.web.deps import Csrf, PagePrincipal, allowed, check_csrf, engine
from hotline.web.templating import render

router = APIRouter(include_in_schema=False)


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
