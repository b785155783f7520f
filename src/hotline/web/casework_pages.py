"""The casework pages: the decision queue, one URL's case (with the forms to classify, to
record a check and a clearance), the notices and the time-to-removal statistics.

Everyone signed in reads them; the forms need the analyst role (checked, and a refusal
audited, by :mod:`hotline.web.casework_actions`). A reported URL is named in these pages'
links and forms by its defanged text only.
"""

from __future__ import annotations

from typing import Annotated, Literal
from urllib.parse import quote

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from hotline.web import casework_actions, casework_views
from hotline.web.deps import Csrf, Offset, PagePrincipal, check_csrf, engine
from hotline.web.errors import WebError
from hotline.web.templating import render

router = APIRouter(include_in_schema=False)

PAGE = 100
# what a form did, said on the case page it redirects to (fixed texts: the query parameter
# only picks one, so nothing from the request is ever shown)
DONE = {
    "classified": "Decision recorded.",
    "already": "That decision was already recorded.",
    "up": "Check recorded: the URL answers.",
    "down": "Check recorded: the URL is gone.",
    "cleared": "Clearance recorded: the next casework run notices its host.",
}
QueueOffset = Annotated[int, Query(ge=0, le=casework_views.QUEUE_DEPTH)]
FormUrl = Annotated[str, Form(max_length=8192)]


@router.get("/casework")
def queue_page(request: Request, principal: PagePrincipal, offset: QueueOffset = 0) -> Response:
    with engine(request).connect() as connection:
        found = casework_views.queue(connection, PAGE, offset)
        states = casework_views.states(connection)
    return render(request, "casework_queue.html", {"q": found, "states": states})


@router.get("/casework/case")
def case_page(
    request: Request,
    principal: PagePrincipal,
    url: Annotated[str, Query(max_length=8192)] = "",
    done: Annotated[str, Query(max_length=32)] = "",
) -> Response:
    context: dict[str, object] = {"c": None, "done": DONE.get(done, ""), "choices": []}
    if url.strip():
        with engine(request).connect() as connection:
            context["c"] = casework_views.case(connection, url, principal.actor.organisation)
            context["choices"] = casework_views.scheme_choices(connection)
    return render(request, "casework_case.html", context)


def _back(defanged: str, done: str) -> Response:
    return RedirectResponse(f"/casework/case?url={quote(defanged, safe='')}&done={done}",
                            status_code=303)  # fmt: skip


@router.post("/casework/classify")
def classify(
    request: Request,
    principal: PagePrincipal,
    url: FormUrl,
    decision: Annotated[str, Form(max_length=100)],
    note: Annotated[str, Form(max_length=casework_actions.MAX_NOTE)] = "",
    csrf: Csrf = "",
) -> Response:
    check_csrf(principal, csrf)
    scheme, sep, code = decision.partition(":")
    if not sep:
        raise WebError(422, "choose a decision: scheme:code")
    found = casework_actions.decide(engine(request), principal.actor, url, scheme, code, note)
    return _back(found["target"], "classified" if found["new"] else "already")


@router.post("/casework/check")
def check(
    request: Request,
    principal: PagePrincipal,
    url: FormUrl,
    seen: Annotated[Literal["up", "down"], Form()],
    csrf: Csrf = "",
) -> Response:
    check_csrf(principal, csrf)
    found = casework_actions.check(engine(request), principal.actor, url, seen == "up", None)
    return _back(found["url"], seen)


@router.post("/casework/clear")
def clear(request: Request, principal: PagePrincipal, url: FormUrl, csrf: Csrf = "") -> Response:
    check_csrf(principal, csrf)
    found = casework_actions.clear(engine(request), principal.actor, url, None)
    return _back(found["url"], "cleared")


@router.get("/casework/notices")
def notices_page(request: Request, principal: PagePrincipal, offset: Offset = 0) -> Response:
    with engine(request).connect() as connection:
        found = casework_views.notices(connection, PAGE, offset)
    return render(request, "casework_notices.html", {"n": found})


@router.get("/casework/stats")
def stats_page(
    request: Request,
    principal: PagePrincipal,
    by: Literal["overall", "country", "provider", "brand", "distributor"] = "overall",
    offset: Offset = 0,
) -> Response:
    with engine(request).connect() as connection:
        found = casework_views.stats(connection, by, 200, offset)
    return render(request, "casework_stats.html", {"s": found})
