"""``/api/v1``: JSON over the query functions and services; errors in one shape.

Lists are paged with ``limit`` and ``offset`` and answered as ``{"items", "total", "limit",
"offset"}``. Reported URLs are defanged here as on the pages: the API is for people's tools
(case systems, spreadsheets), and a defanged URL cannot be opened by accident; only an
export asked for with ``defanged=false`` carries values as stored, the contract of
``hotline export`` for other tools. Uploads (report feeds, captures, passive DNS) are
imported in the background by :mod:`hotline.web.jobs`.
"""

from __future__ import annotations

from datetime import date
from itertools import islice
from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field
from starlette.responses import Response

from hotline.accounts import audit as audit_trail
from hotline.accounts import visibility
from hotline.accounts.roles import Permission
from hotline.sharing import catalogue
from hotline.sharing.clusters import parse_ref
from hotline.urls import CanonicalURL, canonicalize, for_people, refang
from hotline.web import actions, jobs, listing, views
from hotline.web.deps import ApiPrincipal, JobId, Limit, Offset, allowed, engine
from hotline.web.errors import API_PREFIX, WebError
from hotline.web.jobs import UploadKind

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


IMPORT_KINDS = """What the file holds, and so which import reads it (as `hotline ingest KIND`):

- `reports` (default): a report feed, CSV with a header row or JSON Lines (`source`,
  `source_report_id`, `reported_at`, `url`; optional `site_type`, `commercial`, `note`);
- `captures`: a WARC 1.0/1.1 file, `.warc` or `.warc.gz` (pages, selectors and media
  hashes; media bytes are dropped as they are read); payment processors are recognised by
  the shipped table;
- `pdns`: passive DNS, `.jsonl` or `.json`, gzipped or not: COF lines, `dnsdbq -j`, DNSDB
  streaming lines, a JSON array or a sequence of JSON objects.
"""


@router.post(
    "/imports",
    status_code=202,
    summary="Upload a report feed, captures or passive DNS; imported in the background",
    description=(
        "Multipart form: `file` and `kind`. The file is stored and imported in the "
        "background by the same import as the command line's, under your name (its audit "
        "event included); the answer is `202` with the job to poll at `poll`. Importing "
        "the same file again adds nothing new. Records that cannot be used are refused "
        "into the quarantine with where they were and why (the job lists them).\n\n" + IMPORT_KINDS
    ),
)
def imports(
    request: Request,
    principal: ApiPrincipal,
    file: Annotated[UploadFile, File(description="The file to import.")],
    kind: Annotated[UploadKind, Form(description="reports, captures or pdns.")] = (
        UploadKind.REPORTS
    ),
) -> dict[str, Any]:
    settings = request.app.state.settings
    job = jobs.accept(
        engine(request), principal.actor, kind, file.file, file.filename or f"upload.{kind}",
        settings.upload_dir, settings.upload_limit, request.app.state.threads,
    )  # fmt: skip
    return {"job": job, "kind": kind.value, "status": visibility.QUEUED,
            "poll": f"{API_PREFIX}/jobs/{job}"}  # fmt: skip


@router.get(
    "/jobs/{job}",
    summary="An import's progress, counts and refused records (your organisation's)",
    description=(
        "`status` is queued, running, done or failed; `done` of `total` bytes read and "
        "`rows` records so far; when done, `summary` holds the import's counts. `refused` "
        "lists the records the import put in the quarantine (paged with `limit` and "
        "`offset`), each with where it was (`line`, or `record` in a WARC, and its byte "
        "offset) and why. Another organisation's job answers 404."
    ),
)
def job(
    request: Request, principal: ApiPrincipal, job: JobId, limit: Limit = 20, offset: Offset = 0
) -> dict[str, Any]:
    with engine(request).connect() as connection:
        row = visibility.upload(connection, job)
        if row is None or row.organisation != principal.actor.organisation:
            raise WebError(404, "no such job")  # another organisation's job does not exist
        return listing.job(connection, row, limit, offset)


# --- lists -------------------------------------------------------------------------------

PAGING = (
    " Paged: `limit` (1-500) items from `offset`; the answer's `total` is the whole filtered "
    "list's length, so the last page is the one where `offset + limit >= total`."
)
DAY = "A day, ISO 8601 (2026-11-30)."


def _ref(text: str | None, kind: str, what: str) -> int | None:
    """The number of a brand (``b12``) or distributor (``d3``) filter; 422 if malformed."""
    if text is None:
        return None
    number = parse_ref(text, kind)
    if number is None:
        raise WebError(422, f"{what}: ids look like {kind}12")
    return number


def _text(text: str | None) -> str | None:
    """A filter's text as the store keeps names: refanged, trimmed, lower-case."""
    value = refang(text).strip().lower().rstrip(".") if text else ""
    return value or None


@router.get(
    "/sites",
    summary="Sites, filtered: hosting country, brand, distributor, first seen, host text",
    description=(
        "Every site (registrable domain, onion service or bare IP) in key order, with its "
        "brand and distributor, current hosting country and counts (URLs, reports of every "
        "organisation, captures). `key` names the site in `/api/v1/sites/{key}`; `shown` is "
        "the same name defanged for people. `first_seen` and `last_seen` are its first and "
        "last report (null for a site known from captures only); `known_since` is when the "
        "store first held it. `country` is an ISO code or `behind-cdn`, `onion`, `unknown`, "
        "as the `country` filter takes it." + PAGING
    ),
)
def sites(
    request: Request,
    principal: ApiPrincipal,
    limit: Limit = 50,
    offset: Offset = 0,
    country: Annotated[str | None, Query(max_length=16, description=(
        "Current hosting country: an ISO code (NL) or behind-cdn, onion, unknown."))] = None,
    brand: Annotated[str | None, Query(max_length=24, description="A brand id, b12.")] = None,
    distributor: Annotated[
        str | None, Query(max_length=24, description="A distributor id, d3.")
    ] = None,
    since: Annotated[date | None, Query(description="First reported on or after. " + DAY)] = None,
    until: Annotated[date | None, Query(description="First reported on or before. " + DAY)] = None,
    q: Annotated[str | None, Query(max_length=255, description=(
        "Text in the site's name or in the host of one of its URLs (defanged or not)."))] = None,
) -> dict[str, Any]:  # fmt: skip
    where = catalogue.SiteFilter(
        country=listing.country_code(country) if country and country.strip() else None,
        brand=_ref(brand, "b", "brand"),
        distributor=_ref(distributor, "d", "distributor"),
        first_seen_from=listing.day_start(since) if since else None,
        first_seen_before=listing.day_after(until) if until else None,
        text=_text(q),
    )
    with engine(request).connect() as connection:
        return listing.sites(connection, where, limit, offset)


# a list's ``site`` filter: any way a person names a site
SiteFilter = Annotated[str | None, Query(max_length=2048, description=(
    "A site: its key, a host or a URL of it (defanged or not)."))]  # fmt: skip


@router.get(
    "/urls",
    summary="Canonical URLs, of one site or one host",
    description=(
        "Canonical URLs in the order the store first held them, defanged "
        "(`hxxps://shop[.]example/item/7`), with their site, host, first and last report and "
        "how many reports of every organisation name them. `origin` is `report`, or "
        "`capture` for a URL seen in a capture and never reported." + PAGING
    ),
)
def urls(
    request: Request,
    principal: ApiPrincipal,
    limit: Limit = 50,
    offset: Offset = 0,
    site: SiteFilter = None,
    host: Annotated[str | None, Query(max_length=255, description=(
        "An exact host name (shop.example.test, defanged or not)."))] = None,
) -> dict[str, Any]:  # fmt: skip
    site_key = views.site_key(site) if site and site.strip() else None
    with engine(request).connect() as connection:
        return listing.urls(connection, site_key, _text(host), limit, offset)


@router.get(
    "/reports",
    summary="Your organisation's reports, newest first; others' as a count",
    description=(
        "The reports of your organisation's sources, row by row (source, its report id, "
        "when reported, the URL defanged, site type, commercial, note), newest first, of one "
        "site or one URL if given. Other organisations' reports are not yours to read: "
        "`other_organisations` is how many of theirs match the same filter. `total` counts "
        "your own." + PAGING
    ),
)
def reports(
    request: Request,
    principal: ApiPrincipal,
    limit: Limit = 50,
    offset: Offset = 0,
    site: SiteFilter = None,
    url: Annotated[str | None, Query(max_length=8192, description=(
        "One URL (defanged or not), canonicalised as intake stores it."))] = None,
) -> dict[str, Any]:  # fmt: skip
    site_key = views.site_key(site) if site and site.strip() else None
    canonical = None
    if url is not None:
        found = canonicalize(refang(url))
        if not isinstance(found, CanonicalURL):
            raise WebError(422, f"url: not a URL intake would store ({views.shown(str(found))})")
        canonical = found.url
    with engine(request).connect() as connection:
        return listing.reports(connection, principal.actor.organisation, site_key, canonical,
                               limit, offset)  # fmt: skip


RETIRED = "Also those retired by a later attribution run (merged into another)."


@router.get(
    "/brands",
    summary="Brands, most sites first, with their distributor",
    description=(
        "Brands (groups of sites run as one shop) with their label, distributor and number "
        "of sites, most sites first; `/api/v1/brands/{brand}` reads one." + PAGING
    ),
)
def brands(
    request: Request,
    principal: ApiPrincipal,
    limit: Limit = 50,
    offset: Offset = 0,
    distributor: Annotated[
        str | None, Query(max_length=24, description="A distributor id, d3.")
    ] = None,
    label: Annotated[str | None, Query(max_length=255, description="Text in the label.")] = None,
    retired: Annotated[bool, Query(description=RETIRED)] = False,
) -> dict[str, Any]:
    number = _ref(distributor, "d", "distributor")
    with engine(request).connect() as connection:
        return listing.brands(connection, number, _plain(label), retired, limit, offset)


@router.get(
    "/distributors",
    summary="Distributors, most sites first, with their brand and site counts",
    description=(
        "Distributors (who run several brands) with their label and how many brands and "
        "sites they have, most sites first; `/api/v1/distributors/{distributor}` reads one."
        + PAGING
    ),
)
def distributors(
    request: Request,
    principal: ApiPrincipal,
    limit: Limit = 50,
    offset: Offset = 0,
    label: Annotated[str | None, Query(max_length=255, description="Text in the label.")] = None,
    retired: Annotated[bool, Query(description=RETIRED)] = False,
) -> dict[str, Any]:
    with engine(request).connect() as connection:
        return listing.distributors(connection, _plain(label), retired, limit, offset)


def _plain(text: str | None) -> str | None:
    value = text.strip() if text else ""
    return value or None


# --- exports and the assessment ----------------------------------------------------------


@router.get(
    "/exports/{kind}",
    summary="A whole table as `hotline export` writes it: CSV or JSON Lines, streamed",
    description=(
        "`kind` is `sites` (site, brand and distributor ids and labels, URLs, first and last "
        "report, country, confidence), `urls` (URL, site, first and last report, report "
        "count, sources), `selectors` (site, kind, value, method, strength, seen, captures, "
        "sites sharing it) or `matches` (captured media matching a hash list, by SHA-256). "
        "The file is sent as it is read, as an attachment (`sites.csv`, `urls.jsonl`...). "
        "Values are defanged for people by default; `defanged=false` gives them as stored, "
        "the tools' contract of `hotline export` (CSV cells a spreadsheet would run as a "
        "formula are prefixed with a quote either way). The `sources` column of `urls` "
        "names your organisation's sources only; no export carries a report row."
    ),
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {}, "application/x-ndjson": {}}}},
)
def exports(
    request: Request,
    principal: ApiPrincipal,
    kind: str,
    fmt: Annotated[Literal["csv", "jsonl"], Query(alias="format", description="csv or jsonl.")] = (
        "csv"
    ),
    defanged: Annotated[bool, Query(description="Defang URLs and hosts (for people).")] = True,
) -> StreamingResponse:
    if kind not in listing.EXPORTS:
        raise WebError(404, f"no such export; there are: {', '.join(listing.EXPORTS)}")
    chunks = listing.export(engine(request), kind, fmt, principal.actor.organisation, defanged)
    return StreamingResponse(
        chunks,
        media_type=listing.MEDIA_TYPES[fmt],
        headers={"Content-Disposition": f'attachment; filename="{kind}.{fmt}"'},
    )


class AssessmentScope(BaseModel):
    as_of: str = Field(default="", max_length=40, description=(
        "The moment it is as of, ISO 8601 (2026-11-30T12:00:00Z); empty: now. Not one still "
        "to come."))  # fmt: skip
    date_from: str = Field(
        default="", max_length=10, description="First day of the period; empty: start."
    )
    date_to: str = Field(
        default="", max_length=10, description="Last day of the period; empty: end."
    )


@router.post(
    "/assessment",
    summary="Build the strategic assessment: its HTML file, or its headline and tables as JSON",
    description=(
        "Builds the strategic assessment of the store as `hotline report` does (analysts and "
        "admins; a run, audited `strategic.assessment`), as of a moment and over a period "
        "(JSON body, every field optional). `format=json` (default) answers the headline, "
        "scope and each section's paragraphs and tables (URLs defanged); `format=html` "
        "answers the self-contained report file as an attachment (`assessment.html`, charts "
        "inline), to keep and open offline; `format=pdf` the same printed (503 when the "
        "server has no PDF engine); `format=csv` the data behind every table and chart, one "
        "CSV file each, zipped (`assessment-tables.zip`)."
    ),
    response_model=None,
    responses={200: {"content": {"text/html": {}, "application/pdf": {}, "application/zip": {}}}},
)
def assessment(
    request: Request,
    principal: ApiPrincipal,
    body: AssessmentScope | None = None,
    fmt: Annotated[
        Literal["json", "html", "pdf", "csv"],
        Query(alias="format", description="json, html, pdf or csv (the tables, zipped)."),
    ] = "json",
) -> dict[str, Any] | Response:
    actor = allowed(request, principal, Permission.PROCESS, "strategic.assessment", "build")
    scope = body or AssessmentScope()
    found = actions.assessment(engine(request), actor, scope.as_of, scope.date_from,
                               scope.date_to)  # fmt: skip
    if fmt in actions.ASSESSMENT_FILES:
        make, media_type, name = actions.ASSESSMENT_FILES[fmt]
        return Response(
            make(found),
            media_type=media_type,
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )
    shown = views.assessment(found)
    for section, built in zip(shown["sections"], found.sections, strict=True):
        # the data, not the drawing: a tool plots it its own way
        section["charts"] = [
            {"key": chart.key, "title": chart.title, "kind": chart.kind, "unit": chart.unit,
             "labels": [for_people(label) for label in chart.labels],
             "series": [{"name": for_people(name), "values": list(values)}
                        for name, values in chart.series]}
            for chart in built.charts
        ]  # fmt: skip
    return shown | {
        "title": found.title,
        "generated_at": views.when(found.generated_at),
        "sources": list(found.sources),
    }
