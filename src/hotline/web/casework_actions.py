"""The casework writes the web offers, each as ``hotline casework`` makes it: check the input,
check the permission (a refusal is audited), call the casework service (it records the audit
event). The API and the pages both call these. Running casework (``hotline casework run``)
is not among them: it writes notice files on the machine that runs it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine

from hotline.accounts.roles import Actor, Permission
from hotline.accounts.services import require
from hotline.casework.decisions import DecisionError, classify, find_target, resolve_code, schemes
from hotline.casework.facts import FactError, parse_time, record_check, record_clearance
from hotline.urls import defang, refang
from hotline.web.casework_views import url_text
from hotline.web.errors import WebError

MAX_NOTE = 4000
CLOCK_SKEW = timedelta(minutes=5)  # a moment this far ahead of the server's clock is "now"


def _known_url(engine: Engine, text: str) -> str:
    """The canonical URL, if it was ever reported or captured; 422 or 404 otherwise."""
    url = url_text(text)
    with engine.connect() as connection:
        try:
            find_target(connection, url)
        except DecisionError:
            raise WebError(404, "this URL was never reported or captured") from None
    return url


def _moment(text: str | None) -> datetime | None:
    """An ISO 8601 time with a zone, not one still to come; None for now."""
    if not text or not text.strip():
        return None
    try:
        moment = parse_time(text, "at")
    except (FactError, OverflowError) as error:
        raise WebError(422, str(error)) from None
    if moment > datetime.now(UTC) + CLOCK_SKEW:
        raise WebError(422, "at: the moment is still to come; record what was seen when it was")
    return moment


def decide(
    engine: Engine, actor: Actor, target: str, scheme: str, code: str, note: str | None
) -> dict[str, Any]:
    """Record the actor's decision ``scheme:code`` on a reported URL, or on a medium
    (``sha256:<64 hex>``: it reaches every URL whose page held it)."""
    value = refang(target).strip()
    require(engine, actor, Permission.DECIDE, "casework.classify", value[:200])
    scheme, code = scheme.strip(), code.strip()
    text = (note or "").strip()
    if len(text) > MAX_NOTE:
        raise WebError(422, f"note: at most {MAX_NOTE:,} characters")
    with engine.connect() as connection:
        try:
            resolve_code(schemes(connection), scheme, code)
            if value.lower().startswith("sha256:"):
                find_target(connection, value)
        except DecisionError as error:
            raise WebError(422, str(error)) from None
    if not value.lower().startswith("sha256:"):
        value = _known_url(engine, value)
    try:
        found, chosen, added = classify(engine, actor, value, scheme, code, note=text or None)
    except DecisionError as error:
        raise WebError(422, str(error)) from None
    shown = defang(found.url or "") if found.kind == "url" else f"sha256:{found.sha256}"
    return {"target": shown, "kind": found.kind, "scheme": scheme, "code": chosen.code,
            "label": chosen.label, "illegal": chosen.illegal, "new": added,
            "analyst": actor.name, "organisation": actor.organisation}  # fmt: skip


def check(engine: Engine, actor: Actor, url: str, up: bool, at: str | None) -> dict[str, Any]:
    """What the actor saw when they checked a URL themselves (hotline never fetches it)."""
    require(engine, actor, Permission.DECIDE, "casework.check", refang(url).strip()[:200])
    moment = _moment(at)
    canonical = _known_url(engine, url)
    try:
        added = record_check(engine, actor, canonical, up, moment)
    except (DecisionError, FactError) as error:
        raise WebError(422, str(error)) from None
    return {"url": defang(canonical), "up": up, "at": moment.isoformat() if moment else None,
            "new": added}  # fmt: skip


def clear(engine: Engine, actor: Actor, url: str, at: str | None) -> dict[str, Any]:
    """Law enforcement cleared a URL hosted in the hotline's own country for notice."""
    require(engine, actor, Permission.DECIDE, "casework.clear", refang(url).strip()[:200])
    moment = _moment(at)
    canonical = _known_url(engine, url)
    try:
        added = record_clearance(engine, actor, canonical, moment)
    except (DecisionError, FactError) as error:
        raise WebError(422, str(error)) from None
    return {"url": defang(canonical), "at": moment.isoformat() if moment else None,
            "new": added}  # fmt: skip
