"""The writes the web offers, each as the CLI makes it: check the input, check the
permission (a refusal is audited), call the service in one unit of work (it records the
audit event). The API and the pages both call these."""

from __future__ import annotations

import io
import tempfile
import zipfile
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from hotline import pipeline
from hotline.accounts.roles import Actor, Permission
from hotline.accounts.services import require
from hotline.attribution.services import (
    BRAND_ID,
    DISTRIBUTOR_ID,
    checked_label,
    checked_reason,
    label_cluster,
    record_override,
    site_keys,
)
from hotline.store.uow import unit_of_work
from hotline.strategic.build import Scope
from hotline.strategic.csvout import table_files
from hotline.strategic.html import render_html
from hotline.strategic.model import Assessment
from hotline.strategic.pdf import write_pdf
from hotline.urls import defang_host
from hotline.web.errors import WebError
from hotline.web.views import site_key


def override(engine: Engine, actor: Actor, action: str, left: str, right: str,
             reason: str) -> dict[str, Any]:  # fmt: skip
    """Link (or unlink) two sites, or two brands (``b12``): applied by the next run."""
    sides = [x.strip().lower() if BRAND_ID.match(x.strip()) else site_key(x) for x in (left, right)]
    if not all(sides) or sides[0] == sides[1]:
        raise WebError(422, "give two different sites or brands")
    try:
        reason = checked_reason(reason)
    except ValueError as error:
        raise WebError(422, f"reason: {error}") from None
    require(engine, actor, Permission.DECIDE, f"attribution.{action}", " ".join(sides))
    with unit_of_work(engine) as connection:
        sites = [s for s in sides if not BRAND_ID.match(s)]
        known = site_keys(connection, sites)
        unknown = [s for s in sites if s not in known]
        if unknown:
            raise WebError(404, f"not a known site: {', '.join(defang_host(s) for s in unknown)}")
        row = record_override(connection, actor, action, sides[0], sides[1], reason)
    return {"override": row.id, "action": action, "level": row.level, "author": row.author,
            "left": defang_host(sides[0]), "right": defang_host(sides[1]),
            "applies": "at the next attribution run"}  # fmt: skip


def label(engine: Engine, actor: Actor, kind: str, ident: str, name: str) -> dict[str, Any]:
    """Name a brand (``b12``) or a distributor (``d3``); the name stays with the id."""
    if kind not in ("brand", "distributor"):
        raise WebError(422, "kind is 'brand' or 'distributor'")
    found = (BRAND_ID if kind == "brand" else DISTRIBUTOR_ID).match(ident.strip())
    if found is None:
        raise WebError(
            422, f"'{ident}' is not a {kind} id (like {'b12' if kind == 'brand' else 'd3'})"
        )
    try:
        name = checked_label(name)
    except ValueError as error:
        raise WebError(422, f"label: {error}") from None
    ref = ident.strip().lower()
    require(engine, actor, Permission.DECIDE, f"attribution.label_{kind}", ref)
    with unit_of_work(engine) as connection:
        if not label_cluster(connection, actor, kind, int(found.group(1)), name):
            raise WebError(404, f"no {kind} {ref}")
    return {kind: ref, "label": name}


def assessment(
    engine: Engine, actor: Actor, as_of: str, date_from: str, date_to: str
) -> Assessment:
    """The strategic assessment, as ``hotline report`` builds it (one audit event); the
    dates are ISO (``as_of`` a moment, the period days), empty for none. A moment still to
    come is refused: the same moment must give the same report, and data may yet arrive."""
    try:
        start = _day(date_from) if date_from else None
        end = _day(date_to) if date_to else None
        moment = _moment(as_of) if as_of else None
    except (ValueError, OverflowError) as error:
        why = f"dates are ISO 8601 (2026-11-30, 2026-11-30T12:00:00Z), years 1900-2200: {error}"
        raise WebError(422, why) from None
    if start and end and start > end:
        raise WebError(422, "the period ends before it begins")
    if moment is not None and moment > datetime.now(UTC):
        raise WebError(422, "the moment is still to come: a report as of it could change")
    return pipeline.assess(engine, actor, Scope(start, end, moment, ()), out="web")


def _day(text: str) -> date:
    day = date.fromisoformat(text.strip())
    if not 1900 <= day.year <= 2200:
        raise ValueError(f"{day.year} is out of range")
    return day


def _moment(text: str) -> datetime:
    moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    if not 1900 <= moment.year <= 2200:
        raise ValueError(f"{moment.year} is out of range")
    return moment.astimezone(UTC)


def assessment_html(found: Assessment) -> bytes:
    """The self-contained HTML file ``hotline report`` writes (charts inline, defanged)."""
    return render_html(found).encode("utf-8")


def assessment_tables(found: Assessment) -> bytes:
    """The data behind every table and chart, as ``hotline report --out`` writes it to
    ``tables/``: one CSV file each (CSV-injection safe), in one ZIP archive."""
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as files:
        for name, data in table_files(found):
            files.writestr(f"tables/{name}", data)
    return archive.getvalue()


def assessment_pdf(found: Assessment) -> bytes:
    """The report printed to PDF by the engine ``hotline report`` uses (WeasyPrint, else
    headless Chromium, neither of which may fetch anything); 503 when this server has
    neither."""
    with tempfile.TemporaryDirectory(prefix="hotline-pdf-") as scratch:
        html = Path(scratch) / "assessment.html"
        html.write_bytes(assessment_html(found))
        pdf = Path(scratch) / "assessment.pdf"
        if write_pdf(html, pdf) is None:
            raise WebError(
                503,
                "this server has no PDF engine (WeasyPrint or Chromium): download the HTML "
                "and print it, or run hotline report --out DIR where one is installed",
                "no_pdf_engine",
            )
        return pdf.read_bytes()


# the assessment's files: format -> (what makes it, its media type, its name)
ASSESSMENT_FILES: dict[str, tuple[Callable[[Assessment], bytes], str, str]] = {
    "html": (assessment_html, "text/html; charset=utf-8", "assessment.html"),
    "pdf": (assessment_pdf, "application/pdf", "assessment.pdf"),
    "csv": (assessment_tables, "application/zip", "assessment-tables.zip"),
}
