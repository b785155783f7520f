"""The writes the web offers, each as the CLI makes it: check the input, check the
permission (a refusal is audited), call the service in one unit of work (it records the
audit event). The API and the pages both call these."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, BinaryIO

from sqlalchemy import Engine

from hotline import pipeline
from hotline.accounts import visibility
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
from hotline.strategic.html import render_html
from hotline.strategic.model import Assessment
from hotline.urls import defang_host
from hotline.web import jobs
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


def upload(engine: Engine, actor: Actor, stream: BinaryIO, name: str, upload_dir: Path,
           limit: int, threads: list[Any]) -> int:  # fmt: skip
    """Store a report feed and import it in the background; returns the job (upload) id."""
    shown = jobs.safe_name(name)
    require(engine, actor, Permission.IMPORT, "intake.reports", shown)
    if not shown.lower().endswith(jobs.FEED_SUFFIXES):
        raise WebError(422, "a report feed is a .csv or .jsonl file")
    path = jobs.store(stream, upload_dir, name, limit)
    with unit_of_work(engine) as connection:
        upload_id = visibility.add_upload(connection, actor, str(path), shown, path.stat().st_size)
    threads.append(jobs.start(engine, actor, path, upload_id))
    return upload_id


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
