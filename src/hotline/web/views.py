"""What a page or an API answer shows, gathered from the query functions on one connection.

Each function returns plain JSON-ready values: the API sends them as they are, the pages
render them. Every text that came from a report, a capture or DNS passes through
``hotline.urls`` here, once: URLs defanged (``hxxps://shop[.]example/...``), hosts
defanged, free text with control characters escaped and any URL inside it defanged. Site
keys are also kept as they are (``key``) because they name this server's own pages.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import Connection, Engine

from hotline.accounts import visibility
from hotline.attribution.carrier_index import INDEXES
from hotline.attribution.method import band
from hotline.attribution.queries import (
    carrier_index,
    headline,
    keep_carrier_index,
    last_run,
    site_answer,
    site_cluster,
)
from hotline.captures.queries import (
    similar_templates,
    site_pages,
    sites_with_value,
    template_table,
)
from hotline.hashes.queries import capture_counts, media_counts
from hotline.hosting.current import HOSTING_LABELS
from hotline.hosting.observations import site_key_for
from hotline.hosting.queries import current, hosting_by_country, timeline
from hotline.intake import queries as intake
from hotline.intake.stats import totals
from hotline.sharing import clusters
from hotline.sharing.selectors import selector_rows, selector_sites
from hotline.strategic.html import chart_figure, format_cell
from hotline.urls import CanonicalURL, canonicalize, defang, defang_host, for_people, refang
from hotline.urls.display import display_value
from hotline.web.graph import evidence_svg


def shown(text: str | None) -> str | None:
    """Free text for people: controls escaped, any URL in it defanged."""
    return None if text is None else for_people(text)


def when(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def site_key(text: str) -> str:
    """The site key for what someone typed: a key, a host or a URL, defanged or not (as the
    CLI's site argument reads it); an odd string is kept, cleaned, to be looked up and not
    found."""
    value = refang(text).strip()
    found = canonicalize(value if "://" in value else f"http://{value}/")
    if isinstance(found, CanonicalURL):
        return found.site
    if "://" in value:
        try:  # a malformed URL ("a://[") names no host: looked up as nothing, not an error
            value = (urlsplit(value).hostname or "") if value.isprintable() else ""
        except ValueError:
            value = ""
    value = value.split("/", 1)[0].strip().lower().rstrip(".").strip("[]")
    if ":" in value:
        return f"[{value}]"
    if not value or value.replace(".", "").isdigit():
        return value
    try:
        return site_key_for(value)
    except ValueError:
        return value


def site_ref(key: str) -> dict[str, str]:
    return {"key": key, "shown": defang_host(key)}


def _hosting(connection: Connection, key: str) -> dict[str, Any] | None:
    row = current(connection, key)
    if row is None:
        return None
    return {
        "status": row.status,
        "country": HOSTING_LABELS.get(row.country, row.country),
        "asn": row.asn,
        "provider": shown(row.provider),
        "cdn": shown(row.cdn),
        "since": when(row.since),
        "last_seen": when(row.last_seen),
        "countries": row.countries,
        "history": [
            {k: (shown(v) if isinstance(v, str) else v) for k, v in hop.items()}
            for hop in (row.history or [])
        ],
    }


def _attribution(connection: Connection, key: str, evidence: bool) -> dict[str, Any] | None:
    """The site's brand and distributor; with ``evidence``, also why (as ``hotline why``:
    weighed from the store, several times the cost of the stored answer alone)."""
    if not evidence:
        stored = site_cluster(connection, key)
        if stored is None:
            return None
        return {
            "brand": stored.brand,
            "brand_label": shown(stored.brand_label),
            "brand_sites": stored.brand_sites,
            "distributor": stored.distributor,
            "distributor_label": shown(stored.distributor_label),
            "distributor_brands": stored.distributor_brands,
            "confidence": stored.confidence,
            "band": band(stored.confidence) if stored.confidence is not None else None,
            "commercial_score": stored.commercial_score,
        }
    answer = site_answer(connection, key)
    if answer is None:
        return None
    result: dict[str, Any] = {
        "brand": answer.brand,
        "brand_label": shown(answer.brand_label),
        "brand_sites": answer.brand_sites,
        "distributor": answer.distributor,
        "distributor_label": shown(answer.distributor_label),
        "distributor_brands": answer.distributor_brands,
        "confidence": answer.confidence,
        "band": band(answer.confidence) if answer.confidence is not None else None,
        "commercial_score": answer.commercial_score,
        "commercial_flags": {"yes": answer.flags[0], "no": answer.flags[1]},
    }
    result["evidence"] = [
        {
            "level": item.get("level"),
            "kind": item["kind"],
            "value": display_value(item["kind"], str(item["value"])),
            "weight": item["weight"],
            "shared_with": item["shared_with"],
            "examples": [site_ref(s) for s in item.get("examples", [])[:5]],
            "note": shown(item.get("discounted") or None),
        }
        for item in answer.evidence
    ]
    return result


def site_summary(connection: Connection, key: str, evidence: bool = False) -> dict[str, Any] | None:
    """Known?, since when, hosting, brand and distributor of one site (with ``evidence``,
    also why); None if unknown."""
    facts = intake.site_facts(connection, key)
    if facts is None:
        return None
    return {
        "site": site_ref(key),
        "kind": facts.kind,
        "urls": facts.urls,
        "reports": facts.reports,
        "first_reported": when(facts.first_reported),
        "last_reported": when(facts.last_reported),
        "known_since": when(facts.first_stored),
        "hosting": _hosting(connection, key),
        "attribution": _attribution(connection, key, evidence),
        "media": _media(connection, key),
    }


def _media(connection: Connection, key: str) -> dict[str, Any]:
    """Media its captures held: how many, known to a hash list, new, and per capture (the
    latest 20). Counts only."""
    found = media_counts(connection, [key]).get(key)
    if found is None:
        return {"media": 0, "known": 0, "new": 0, "captures": []}
    captures = [
        {"captured_at": when(c.captured_at), "media": c.media, "known": c.known,
         "new": c.media - c.known}
        for c in capture_counts(connection, key, limit=20)
    ]  # fmt: skip
    return {"media": found.media, "known": found.known, "new": found.new, "captures": captures}


def site_detail(
    connection: Connection,
    key: str,
    organisation: str | None,
    limit: int,
    offset: int,
    evidence: bool = False,
) -> dict[str, Any] | None:
    """The site page: the summary, its URLs (defanged), the organisation's own reports on it
    and the count of everyone else's."""
    summary = site_summary(connection, key, evidence)
    if summary is None:
        return None
    urls = intake.site_urls(connection, key, limit, offset)
    seen = visibility.reports(connection, organisation, site=key, limit=limit, offset=offset)
    return {
        **summary,
        "url_list": {
            "items": [_url(u) for u in urls],
            "total": summary["urls"],
            "limit": limit,
            "offset": offset,
        },
        "report_rows": _reports(seen),
    }


def _url(facts: intake.UrlFacts) -> dict[str, Any]:
    return {
        "url": defang(facts.canonical),
        "reports": facts.reports,
        "sources": facts.sources,
        "first_reported": when(facts.first_reported),
        "last_reported": when(facts.last_reported),
    }


def report_row(r: visibility.ReportRow) -> dict[str, Any]:
    """One of the organisation's own reports, as a page or the API shows it."""
    return {
        "source": shown(r.source),
        "source_report_id": shown(r.source_report_id),
        "reported_at": when(r.reported_at),
        "url": defang(r.url),
        "site_type": shown(r.site_type),
        "commercial": r.commercial,
        "note": shown(r.note),
    }


def _reports(view: visibility.ReportView) -> dict[str, Any]:
    return {
        "own": [report_row(r) for r in view.own],
        "own_total": view.own_total,
        "other_organisations": view.others,
    }


def site_why(connection: Connection, key: str) -> dict[str, Any] | None:
    if intake.site_facts(connection, key) is None:
        return None
    return {"site": site_ref(key), "attribution": _attribution(connection, key, evidence=True)}


def site_selectors(connection: Connection, key: str) -> dict[str, Any] | None:
    if intake.site_facts(connection, key) is None:
        return None
    pages = site_pages(connection, key)
    rows = selector_rows(connection, site=key, defanged=True, carried=_carried(connection))
    similar = similar_templates(connection, key)
    return {
        "site": site_ref(key),
        "pages": {c.page_class: c.captures for c in pages.classes},
        "selectors": [
            {
                "kind": kind,
                "value": value,
                "method": method,
                "first_seen": when(first),
                "last_seen": when(last),
                "captures": captures,
                "sites": sites,
            }
            for _, kind, value, method, _, first, last, captures, sites, *_ in rows
        ],
        # nearest first; a kit's default template can be on thousands of sites: the
        # nearest 100 and how many in all
        "similar_templates": [{**site_ref(other), "bits": bits} for other, bits in similar[:100]],
        "similar_total": len(similar),
    }


def _carried(connection: Connection) -> Callable[[int], int] | None:
    """How many sites carry a captured value, from the server's in-memory index while it
    is current (else None: the selector rows count them in the database)."""
    index = carrier_index(connection)
    if index is None:
        return None

    def carried(selector: int) -> int:
        found = index.selector_carriers(selector)
        return found if found is not None else selector_sites(connection, selector)

    return carried


def site_timeline(connection: Connection, key: str) -> list[dict[str, Any]]:
    return [
        {
            "first_seen": when(row.first_seen),
            "last_seen": when(row.last_seen),
            "host": defang_host(row.host),
            "type": row.rrtype,
            "value": display_value("ip" if row.rrtype in ("A", "AAAA") else "host", row.value),
            "role": row.role,
            "country": row.country,
            "asn": row.asn,
            "provider": shown(row.provider),
            "cdn": shown(row.cdn),
        }
        for row in timeline(connection, key)
    ]


def lookup(connection: Connection, query: str, organisation: str | None) -> dict[str, Any]:
    """A pasted URL, host or selector value: is it known, since when, on which site, hosted
    where, which brand and distributor; for a value, the sites that show it."""
    text = query.strip()
    answer: dict[str, Any] = {"query": for_people(text), "known": False}
    plain = refang(text)
    # a value first (a wallet or a merchant id is also a well-formed host name), unless it
    # has a path or a scheme: then it is a URL, scheme-less as intake reads feeds
    matches = sites_with_value(connection, text) if text and "/" not in plain else []
    if matches:
        answer |= {
            "kind": "value",
            "known": True,
            "matches": [{"kind": kind, **site_ref(key)} for kind, key in matches],
        }
        return answer
    found = canonicalize(plain) if "/" in plain else None
    if isinstance(found, CanonicalURL):
        facts = intake.url_facts(connection, found.url)
        answer["kind"] = "url"
        answer["url"] = defang(found.url)
        if facts is not None:
            answer["known"] = True
            answer["url_facts"] = _url(facts) | {"known_since": when(facts.first_stored)}
            seen = visibility.reports(connection, organisation, url=facts.canonical, limit=20)
            answer["reports"] = _reports(seen)
        answer["site"] = site_summary(connection, found.site)
        answer["known"] = answer["known"] or answer["site"] is not None
        return answer
    key = site_key(text) if text else ""
    summary = site_summary(connection, key) if key else None
    answer |= {"kind": "site", "site": summary, "known": summary is not None}
    return answer


def brand(connection: Connection, number: int, limit: int, offset: int) -> dict[str, Any] | None:
    view = clusters.brand(connection, number, limit, offset)
    if view is None:
        return None
    return {
        "brand": view.ref,
        "label": shown(view.label),
        "labelled_by": shown(view.labelled_by),
        "distributor": view.distributor,
        "distributor_label": shown(view.distributor_label),
        "retired_at": when(view.retired_at),
        "sites": {
            "items": [
                {**site_ref(s.site), "urls": s.urls, "confidence": s.confidence,
                 "country": HOSTING_LABELS.get(s.country or "", s.country)}
                for s in view.sites
            ],
            "total": view.site_total,
            "limit": limit,
            "offset": offset,
        },
        "graph": _graph(clusters.brand_evidence(connection, number), lambda m: defang(m)),
    }  # fmt: skip


def distributor(connection: Connection, number: int) -> dict[str, Any] | None:
    view = clusters.distributor(connection, number)
    if view is None:
        return None
    return {
        "distributor": view.ref,
        "label": shown(view.label),
        "labelled_by": shown(view.labelled_by),
        "retired_at": when(view.retired_at),
        "brands": [
            {"brand": b.brand, "label": shown(b.label), "sites": b.sites} for b in view.brands
        ],
        "graph": _graph(clusters.distributor_evidence(connection, number), str),
    }


def _graph(links: list[clusters.EvidenceLink], member: Any) -> str:
    """The evidence graph as inline SVG (escaped throughout; "" when nothing is shared)."""
    return evidence_svg(
        [(link.member, link.kind, link.value) for link in links],
        member,
        lambda kind, value: display_value(kind, value),
    )


def quarantine(
    connection: Connection, organisation: str | None, limit: int, offset: int
) -> dict[str, Any]:
    view = visibility.quarantine(connection, organisation, limit, offset)
    return {
        "own": {
            "items": [
                {
                    "id": e.id,
                    "kind": e.kind,
                    "file": shown(e.file.rsplit("/", 1)[-1]),
                    "line": e.line,
                    "reason_code": e.reason_code,
                    "reason": shown(e.reason),
                    # the record as text, controls escaped and URLs defanged, cut for a page
                    "raw": shown(bytes(e.raw[:600]).decode("utf-8", "replace")),
                    "at": when(e.created_at),
                }
                for e in view.own
            ],
            "total": view.own_total,
            "limit": limit,
            "offset": offset,
        },
        "others_by_reason": dict(view.others_by_reason),
    }


def upload(row: visibility.UploadRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "name": shown(row.name),
        "user": row.user,
        "organisation": row.organisation,
        "status": row.status,
        "done": row.done,
        "total": row.total,
        "percent": round(100 * row.done / row.total) if row.total else 0,
        "rows": row.items,
        "summary": row.summary,
        "error": shown(row.error),
        "created_at": when(row.created_at),
        "finished_at": when(row.finished_at),
    }


def dashboard(connection: Connection, organisation: str | None) -> dict[str, Any]:
    top = headline(connection, top=10)
    return {
        "totals": totals(connection),
        "countries": [
            {"country": HOSTING_LABELS.get(c.country, c.country), "sites": c.sites, "urls": c.urls}
            for c in hosting_by_country(connection)[:10]
        ],
        "brands": {"total": top.brands, "distributors": top.distributors},
        "top_brands": [{"brand": b, "distributor": d, "urls": n} for b, d, n in top.top_brands],
        "uploads": [upload(row) for row in visibility.uploads(connection, organisation, limit=5)],
    }


def page(items: Iterable[Any], total: int, limit: int, offset: int) -> dict[str, Any]:
    return {"items": list(items), "total": total, "limit": limit, "offset": offset}


def assessment(found: Any) -> dict[str, Any]:
    """The assessment for the page: headline, scope and each section's text and tables
    (every cell shown as the report shows it: URLs defanged), and its charts as the report
    draws them (inline SVG, every text escaped, colours as attributes: no style, no link)."""
    return {
        "headline": for_people(found.headline),
        "as_of": when(found.as_of),
        "period": f"{found.period_from or 'start'} to {found.period_to or 'end'}",
        "sections": [
            {
                "title": section.title,
                "paragraphs": [for_people(t) for t in section.paragraphs],
                "charts": [chart_figure(chart) for chart in section.charts],
                "tables": [
                    {
                        "title": table.title,
                        "columns": list(table.columns),
                        "rows": [[format_cell(c) for c in row] for row in table.rows],
                        "note": table.note,
                    }
                    for table in section.tables
                ],
            }
            for section in found.sections
        ],
    }


def forget_caches() -> None:
    """Drop what :func:`warm` built (a server that stops)."""
    INDEXES.forget()


def warm(engine: Engine) -> None:
    """Build what the first site pages would otherwise wait for: the table of page
    templates the near-duplicate lookup compares against, the last run's notes, and the
    index of every value's carriers that the evidence is weighed from (kept current from
    now on: rebuilt in the background after a run or an import)."""
    with engine.connect() as connection:
        template_table(connection)
        last_run(connection)
    keep_carrier_index(engine)
