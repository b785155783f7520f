"""The API's lists and exports, gathered from the query functions on one connection.

Lists (sites, URLs, reports, brands, distributors) come from ``hotline.sharing.catalogue``
and ``hotline.accounts.visibility`` a page at a time and are answered as
``{"items", "total", "limit", "offset"}``. As in :mod:`hotline.web.views`, every text that
came from a report, a capture or DNS is made safe to read here: URLs and hosts defanged,
free text with controls escaped. Reports are the asking organisation's own, row by row; the
others' only as a count.

Exports are the tables ``hotline export`` writes, streamed a batch of rows at a time so a
large one is never held in memory. The command line is a local admin's tool and writes
every row it holds; here the ``urls`` export's ``sources`` column keeps only the asking
organisation's own sources (which hotline reported a URL is a fact of the report, not of
the shared intelligence), and no export carries a report row.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, date, datetime, time, timedelta
from itertools import islice
from typing import Any

from sqlalchemy import Connection, Engine

from hotline.accounts import upload_refusals, visibility
from hotline.accounts.services import organisations
from hotline.attribution.queries import SITE_EXPORT_COLUMNS, site_rows
from hotline.hosting.current import HOSTING_LABELS
from hotline.sharing import catalogue
from hotline.sharing.formats import write_rows
from hotline.sharing.matches import MATCH_EXPORT_COLUMNS, matches_export_rows
from hotline.sharing.selectors import SELECTOR_EXPORT_COLUMNS, selector_rows
from hotline.sharing.urls import URL_EXPORT_COLUMNS, url_rows
from hotline.urls import defang, defang_host, for_people
from hotline.urls.display import rows_for_people
from hotline.web import jobs
from hotline.web.views import page, report_row, shown, site_ref, upload, when

# --- filters --------------------------------------------------------------------------------


def day_start(day: date) -> datetime:
    """The first moment of ``day``, in UTC."""
    return datetime.combine(day, time(), UTC)


def day_after(day: date) -> datetime | None:
    """The first moment after ``day`` (None after the last day a date can name)."""
    try:
        return datetime.combine(day + timedelta(days=1), time(), UTC)
    except OverflowError:
        return None


def country_code(text: str) -> str:
    """A country as the store keeps it: an ISO code upper-case (``nl`` → ``NL``), a status
    word lower-case (``behind-cdn``, ``onion``, ``unknown``)."""
    value = text.strip()
    return value.upper() if len(value) == 2 and value.isalpha() else value.lower()


# --- lists ----------------------------------------------------------------------------------


def sites(
    connection: Connection, where: catalogue.SiteFilter, limit: int, offset: int
) -> dict[str, Any]:
    found = catalogue.sites(connection, where, limit, offset)
    return page((_site(row) for row in found.items), found.total, limit, offset)


def _site(row: catalogue.SiteRow) -> dict[str, Any]:
    return {
        **site_ref(row.key),
        "kind": row.kind,
        "brand": row.brand,
        "brand_label": shown(row.brand_label),
        "distributor": row.distributor,
        "distributor_label": shown(row.distributor_label),
        "country": row.country,
        "country_label": HOSTING_LABELS.get(row.country, row.country),
        "first_seen": when(row.first_seen),
        "last_seen": when(row.last_seen),
        "known_since": when(row.known_since),
        "urls": row.urls,
        "reports": row.reports,
        "captures": row.captures,
    }


def urls(
    connection: Connection, site: str | None, host: str | None, limit: int, offset: int
) -> dict[str, Any]:
    found = catalogue.urls(connection, site, host, limit, offset)
    items = (
        {
            "url": defang(row.canonical),
            "site": site_ref(row.site),
            "host": defang_host(row.host),
            "origin": row.origin,
            "first_reported": when(row.first_reported),
            "last_reported": when(row.last_reported),
            "reports": row.reports,
            "known_since": when(row.known_since),
        }
        for row in found.items
    )
    return page(items, found.total, limit, offset)


def reports(
    connection: Connection,
    organisation: str | None,
    site: str | None,
    url: str | None,
    limit: int,
    offset: int,
) -> dict[str, Any]:
    """The organisation's own reports, newest first, and how many reports of the others
    there are (under the same filters)."""
    view = visibility.reports(connection, organisation, site=site, url=url, limit=limit,
                              offset=offset)  # fmt: skip
    items = (report_row(r) for r in view.own)
    return page(items, view.own_total, limit, offset) | {"other_organisations": view.others}


def brands(
    connection: Connection,
    distributor: int | None,
    text: str | None,
    retired: bool,
    limit: int,
    offset: int,
) -> dict[str, Any]:
    found = catalogue.brands(connection, distributor, text, retired, limit, offset)
    items = (
        {
            "brand": row.ref,
            "label": shown(row.label),
            "distributor": row.distributor,
            "distributor_label": shown(row.distributor_label),
            "sites": row.sites,
            "retired_at": when(row.retired_at),
        }
        for row in found.items
    )
    return page(items, found.total, limit, offset)


def distributors(
    connection: Connection, text: str | None, retired: bool, limit: int, offset: int
) -> dict[str, Any]:
    found = catalogue.distributors(connection, text, retired, limit, offset)
    items = (
        {
            "distributor": row.ref,
            "label": shown(row.label),
            "brands": row.brands,
            "sites": row.sites,
            "retired_at": when(row.retired_at),
        }
        for row in found.items
    )
    return page(items, found.total, limit, offset)


# --- import jobs ----------------------------------------------------------------------------


def job(
    connection: Connection, row: visibility.UploadRow, limit: int = 20, offset: int = 0
) -> dict[str, Any]:
    """An upload's progress, its kind and the records its import refused (where in the
    file, and why); the caller has checked that the upload is the asker's organisation's."""
    kind = jobs.kind_of(row.file)
    refused = upload_refusals.refusals(connection, row.id, limit, offset)
    items = [_refusal(row.name, kind, entry) for entry in refused.entries]
    found = upload(row)
    if found["summary"] and "warnings" in found["summary"]:  # texts of the file: made safe
        found["summary"]["warnings"] = [shown(w) for w in found["summary"]["warnings"]]
    return {
        **found,
        "kind": kind.value,
        "refused": page(items, refused.total, limit, offset)
        | {"by_reason": dict(refused.by_reason)},
    }


def _refusal(name: str, kind: jobs.UploadKind, entry: Any) -> dict[str, Any]:
    # a WARC is read record by record, a feed or a passive-DNS file line by line
    unit = "record" if kind is jobs.UploadKind.CAPTURES else "line"
    return {
        "where": shown(f"{name} {unit} {entry.line} (byte {entry.byte_offset})"),
        unit: entry.line,
        "byte_offset": entry.byte_offset,
        "reason_code": entry.reason_code,
        "reason": shown(entry.reason),
        # the record as text, controls escaped and URLs defanged, cut for a page
        "raw": shown(bytes(entry.raw[:600]).decode("utf-8", "replace")),
    }


# --- exports --------------------------------------------------------------------------------

EXPORT_BATCH = 2000  # rows per chunk sent


def _sites_export(connection: Connection, defanged: bool, own: set[str]) -> Iterator[Any]:
    rows = site_rows(connection)
    return ((defang_host(row[0]), *row[1:]) for row in rows) if defanged else rows


def _urls_export(connection: Connection, defanged: bool, own: set[str]) -> Iterator[Any]:
    mine = {for_people(code) for code in own} if defanged else own
    sources = URL_EXPORT_COLUMNS.index("sources")
    for row in url_rows(connection, defanged=defanged):
        yield (*row[:sources], [code for code in row[sources] if code in mine], *row[sources + 1 :])


def _selectors_export(connection: Connection, defanged: bool, own: set[str]) -> Iterator[Any]:
    return selector_rows(connection, defanged=defanged)


def _matches_export(connection: Connection, defanged: bool, own: set[str]) -> Iterator[Any]:
    return matches_export_rows(connection, defanged=defanged)


Rows = Callable[[Connection, bool, set[str]], Iterator[Any]]
EXPORTS: dict[str, tuple[Sequence[str], Rows]] = {
    "sites": (SITE_EXPORT_COLUMNS, _sites_export),
    "urls": (URL_EXPORT_COLUMNS, _urls_export),
    "selectors": (SELECTOR_EXPORT_COLUMNS, _selectors_export),
    "matches": (MATCH_EXPORT_COLUMNS, _matches_export),
}
MEDIA_TYPES = {"csv": "text/csv; charset=utf-8", "jsonl": "application/x-ndjson"}


def own_sources(connection: Connection, organisation: str | None) -> set[str]:
    """The report source codes of ``organisation``."""
    return next((set(codes) for name, _, codes in organisations(connection)
                 if name == organisation), set())  # fmt: skip


def export(
    engine: Engine, kind: str, fmt: str, organisation: str | None, defanged: bool
) -> Iterator[str]:
    """The export ``kind`` as text chunks of ``fmt`` (csv or jsonl), read from the store as
    it is sent; the connection is held until the last chunk (or the client leaves)."""
    columns, rows_of = EXPORTS[kind]
    with engine.connect() as connection:
        rows = rows_of(connection, defanged, own_sources(connection, organisation))
        yield from _chunks(rows_for_people(rows) if defanged else rows, fmt, columns)


def _chunks(rows: Iterator[Any], fmt: str, columns: Sequence[str]) -> Iterator[str]:
    # write_rows writes a CSV header with every call: the first call's is kept, the later
    # calls' cut off (it is the same text each time)
    header = _written(fmt, columns, [])
    yield header
    while batch := list(islice(rows, EXPORT_BATCH)):
        yield _written(fmt, columns, batch)[len(header) :]


def _written(fmt: str, columns: Sequence[str], rows: list[Any]) -> str:
    out = io.StringIO()
    write_rows(out, fmt, columns, rows)
    return out.getvalue()
