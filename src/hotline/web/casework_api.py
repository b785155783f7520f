"""``/api/v1/casework``: the decision queue, one URL's case, notices and time-to-removal
statistics as JSON; decisions, checks and clearances recorded through the casework services.

Reads are everyone's signed in (the hotline network's shared work; a decision's note only
its own organisation's); writes need the analyst role, as ``hotline casework`` does.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field

from hotline.web import casework_actions, casework_views
from hotline.web.deps import ApiPrincipal, Limit, Offset, engine
from hotline.web.errors import API_PREFIX

router = APIRouter(prefix=f"{API_PREFIX}/casework", tags=["casework"])

QueueOffset = Annotated[int, Query(ge=0, le=casework_views.QUEUE_DEPTH, description=(
    "Items to skip (the queue pages up to 10,000 deep)."))]  # fmt: skip
UrlText = Annotated[str, Query(max_length=8192, description=(
    "A reported URL, defanged or not (hxxps://shop[.]example/item/7)."))]  # fmt: skip
Group = Literal["overall", "country", "provider", "brand", "distributor"]


@router.get(
    "/queue",
    summary="Reported URLs waiting for a decision, oldest first",
    description=(
        "URLs no decision counts for yet (directly, or through a medium their page held), "
        "oldest first report first, defanged, with how many reports name them. `decided` "
        "lists what analysts decided so far when they disagree (never averaged). Paged: "
        "`limit` (1-500) items from `offset` (at most 10,000); `total` is the whole queue."
    ),
)
def queue(
    request: Request, principal: ApiPrincipal, limit: Limit = 50, offset: QueueOffset = 0
) -> dict[str, Any]:
    with engine(request).connect() as connection:
        return casework_views.queue(connection, limit, offset)


@router.get(
    "/cases",
    summary="One URL's case: decisions, the one that counts, state changes, notices",
    description=(
        "Every decision on the URL (analyst, organisation, when, scheme and code, directly "
        "or through a medium), the decision that counts, the case's state and timestamps, "
        "each state change with its time, actor and reason, and the notices that named it. "
        "A decision's `note` is shown only to members of the organisation that decided it "
        "(null otherwise). 404 for a URL never reported or captured."
    ),
)
def case(request: Request, principal: ApiPrincipal, url: UrlText) -> dict[str, Any]:
    with engine(request).connect() as connection:
        return casework_views.case(connection, url, principal.actor.organisation)


class Decision(BaseModel):
    target: str = Field(max_length=8192, description=(
        "A reported URL (defanged or not), or a medium as sha256:<64 hex digits>."))  # fmt: skip
    scheme: str = Field(max_length=64, description="A scheme: interpol, uk, projectvic, yours.")
    code: str = Field(max_length=32, description="One of the scheme's codes.")
    note: str | None = Field(default=None, max_length=casework_actions.MAX_NOTE, description=(
        "Why, in a few words: kept, and shown to your organisation only."))  # fmt: skip


@router.post(
    "/decisions",
    summary="Record your decision (scheme and code) on a URL or a medium (analysts)",
    description=(
        "As `hotline casework classify`: the decision is the pair scheme and code, made now "
        "under your name and organisation, and audited. It shows on every report of the same "
        "canonical URL; on a medium, on every URL whose page held it. `new` is false when "
        "the same decision was already recorded."
    ),
)
def decide(request: Request, principal: ApiPrincipal, body: Decision) -> dict[str, Any]:
    return casework_actions.decide(engine(request), principal.actor, body.target, body.scheme,
                                   body.code, body.note)  # fmt: skip


class Check(BaseModel):
    url: str = Field(max_length=8192, description="The URL you checked (defanged or not).")
    up: bool = Field(description="true: it answers (again); false: it is gone.")
    at: str = Field(default="", max_length=40, description=(
        "When you checked, ISO 8601 with a zone; empty: now. Not one still to come."))  # fmt: skip


@router.post(
    "/checks",
    summary="Record what you saw when you checked a URL yourself (analysts)",
    description=(
        "As `hotline casework check`: hotline never fetches a reported URL. Gone after a "
        "notice counts as removed at the next casework run; up again after removal as a "
        "re-appearance. Audited."
    ),
)
def check(request: Request, principal: ApiPrincipal, body: Check) -> dict[str, Any]:
    return casework_actions.check(engine(request), principal.actor, body.url, body.up, body.at)


class Clearance(BaseModel):
    url: str = Field(max_length=8192, description="A URL awaiting clearance (defanged or not).")
    at: str = Field(default="", max_length=40, description=(
        "When it was cleared, ISO 8601 with a zone; empty: now."))  # fmt: skip


@router.post(
    "/clearances",
    summary="Law enforcement cleared a URL for notice to its host (analysts)",
    description=(
        "As `hotline casework clear`: a URL hosted in your own country waits for law "
        "enforcement's clearance; the next casework run notices its host. Audited."
    ),
)
def clear(request: Request, principal: ApiPrincipal, body: Clearance) -> dict[str, Any]:
    return casework_actions.clear(engine(request), principal.actor, body.url, body.at)


@router.get(
    "/notices",
    summary="The notices written, newest first",
    description=(
        "Notice number, when written, recipient (hotline:DE, provider:AS64500, cdn:…, "
        "police, unroutable), its name and contact, how many URLs, escalated, when sent or "
        "why not. Paged with `limit` and `offset`; `more` says whether a further page "
        "exists. The notices' files stay on the machine that ran casework."
    ),
)
def notices(
    request: Request, principal: ApiPrincipal, limit: Limit = 50, offset: Offset = 0
) -> dict[str, Any]:
    with engine(request).connect() as connection:
        return casework_views.notices(connection, limit, offset)


@router.get(
    "/stats",
    summary="Time to removal of the noticed URLs, by country, provider, brand, distributor",
    description=(
        "As `hotline casework stats --json`: per group (largest first), the URLs noticed and "
        "removed, counts per bucket (same-day, under 3, 7 and 42 days, over 42 days, not "
        "removed) from the first report and from the first notice, the median hours of "
        "each, the share removed within 3 days of the notice, the share never removed, and "
        "re-appearances. Per country and provider: the hosting the first notice went to. "
        "Paged with `limit` and `offset`."
    ),
)
def stats(
    request: Request,
    principal: ApiPrincipal,
    by: Annotated[Group, Query(description="overall, country, provider, brand or distributor.")] = (
        "overall"
    ),
    limit: Limit = 100,
    offset: Offset = 0,
) -> dict[str, Any]:
    with engine(request).connect() as connection:
        return casework_views.stats(connection, by, limit, offset)
