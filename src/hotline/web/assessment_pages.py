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
    if download in actions.ASSESSMENT_FILES:
        # files to keep and open offline, not pages of this site: the HTML carries its own
        # styles and charts, and this site's policy stays strict
        make, media_type, name = actions.ASSESSMENT_FILES[download]
        return Response(
            make(found),
            media_type=media_type,
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )
    form = {"as_of": as_of, "date_from": date_from, "date_to": date_to}
    return render(request, "assessment.html", {"a": views.assessment(found), "form": form})
