"""What the casework pages and API answers show, from ``hotline.casework.queries``.

As in :mod:`hotline.web.views`, every text from a report, a decision or a notice is made safe
here, once: URLs defanged, free text with controls escaped and any URL inside it defanged.
A URL is named in this server's own links by its defanged text (``/casework/case?url=hxxps...``),
read back with ``refang``: no page carries a reported URL as it was reported.

Decisions, cases, notices and statistics are the hotline network's shared work: everyone
signed in reads them. A decision's **note** is its organisation's: it is shown only to
members of the organisation that decided (a decision imported from a file has none, and
its note is shown to nobody here).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection

from hotline.casework import queries
from hotline.casework.decisions import DecisionError, schemes
from hotline.casework.rules import default_rules
from hotline.casework.schemes import Scheme
from hotline.hosting.current import HOSTING_LABELS
from hotline.urls import CanonicalURL, canonicalize, defang, refang
from hotline.web.errors import WebError
from hotline.web.views import page, shown, when

# the web has no rules file: decisions count as under the default rules (one analyst)
CONSENSUS = default_rules().consensus
QUEUE_DEPTH = 10_000  # how far the queue pages (each page reads every item before it)


def url_text(text: str) -> str:
    """A URL someone gave (defanged or not) as ``hotline.casework`` reads it; 422 when it is
    not one hotline accepts (a medium, ``sha256:…``, has no case)."""
    value = refang(text).strip()
    if not value:
        raise WebError(422, "give a reported URL (defanged is fine)")
    if value.lower().startswith("sha256:"):
        raise WebError(422, "a case is a URL's: give a reported URL, not a medium")
    found = canonicalize(value)
    if not isinstance(found, CanonicalURL):
        raise WebError(422, f"not a URL hotline accepts: {found.reason.value}")
    return found.url


def scheme_choices(connection: Connection) -> list[dict[str, Any]]:
    """Every ``scheme:code`` a decision may name (shipped schemes and this hotline's own)."""
    return [
        {"value": f"{name}:{code.code}", "scheme": name, "code": code.code,
         "label": shown(code.label), "title": shown(scheme.title), "illegal": code.illegal}
        for name, scheme in sorted(schemes(connection).items())
        for code in scheme.codes
    ]  # fmt: skip


def _label(known: dict[str, Scheme], scheme: str, code: str) -> str | None:
    for listed in known[scheme].codes if scheme in known else ():
        if listed.code == code:
            return shown(listed.label)
    return None


def queue(connection: Connection, limit: int, offset: int) -> dict[str, Any]:
    """URLs waiting for a decision, oldest first, with what analysts decided so far when
    they disagree (never averaged)."""
    total, items = queries.queue(connection, CONSENSUS, offset + limit)
    found = (
        {
            "url": defang(item.url),
            "first_reported": when(item.first_reported),
            "reports": item.reports,
            "decided": [
                {"analyst": shown(analyst), "scheme": shown(scheme), "code": shown(code)}
                for analyst, scheme, code in item.decided
            ],
        }
        for item in items[offset:]
    )
    return page(found, total, limit, offset) | {"consensus": CONSENSUS}


def states(connection: Connection) -> dict[str, int]:
    return dict(sorted(queries.state_counts(connection).items()))


def case(connection: Connection, text: str, organisation: str | None) -> dict[str, Any]:
    """One URL's case: every decision (who, organisation, when, through what; the note only
    to the deciding organisation), the decision that counts, the state changes, the notices."""
    url = url_text(text)
    try:
        view = queries.case_view(connection, url, CONSENSUS)
        owners = queries.decision_organisations(connection, url)
    except DecisionError:
        raise WebError(404, "this URL was never reported or captured") from None
    known = schemes(connection)
    decisions = []
    for d in view.decisions:
        owner = owners.get((d.analyst, d.decided_at, d.scheme, d.code)) if d.via == "url" else None
        mine = owner is not None and owner == organisation
        decisions.append(
            {
                "analyst": shown(d.analyst),
                "organisation": shown(owner),
                "scheme": shown(d.scheme),
                "code": shown(d.code),
                "label": _label(known, d.scheme, d.code),
                "illegal": d.illegal,
                "decided_at": when(d.decided_at),
                "via": shown(d.via),
                "note": shown(d.note) if mine else None,
            }
        )
    counted = None
    if view.counted is not None:
        c = view.counted
        counted = {
            "scheme": shown(c.scheme),
            "code": shown(c.code),
            "label": _label(known, c.scheme, c.code),
            "illegal": c.illegal,
            "at": when(c.at),
            "analysts": [shown(a) for a in c.analysts],
            "via": shown(c.via),
        }
    return {
        "url": defang(view.url),
        "decisions": decisions,
        "counted": counted,
        "disagreement": view.disagreement,
        "case": _case(view.case),
        "timeline": [
            {"at": when(at), "state": state, "actor": shown(actor), "reason": shown(reason)}
            for at, state, actor, reason in view.events
        ],
        "notices": [
            {"notice": shown(number), "at": when(at), "recipient": shown(recipient),
             "reason": shown(reason), "sequence": sequence}
            for number, at, recipient, reason, sequence in view.notices
        ],
    }  # fmt: skip


def _case(found: dict[str, Any] | None) -> dict[str, Any] | None:
    if found is None:
        return None
    result: dict[str, Any] = {}
    for name, value in found.items():
        if hasattr(value, "isoformat"):
            result[name] = when(value)
        elif isinstance(value, str):
            result[name] = shown(value)
        else:
            result[name] = value
    if found.get("country"):
        result["country_label"] = HOSTING_LABELS.get(found["country"], found["country"])
    return result


def notices(connection: Connection, limit: int, offset: int) -> dict[str, Any]:
    """The notices written, newest first (the files stay on the server that ran casework)."""
    rows = queries.notices(connection, None, offset + limit + 1)
    items = [
        {
            "notice": shown(n.number),
            "created_at": when(n.created_at),
            "recipient": shown(n.recipient),
            "kind": n.kind,
            "name": shown(n.name),
            "contact": shown(n.contact),
            "urls": n.urls,
            "escalated": n.escalated,
            "sent_at": when(n.sent_at),
            "send_error": shown(n.send_error),
        }
        for n in rows[offset : offset + limit]
    ]
    return {"items": items, "limit": limit, "offset": offset, "more": len(rows) > offset + limit}


def stats(connection: Connection, by: str, limit: int, offset: int) -> dict[str, Any]:
    """Time to removal of the noticed URLs per group (largest first): buckets from report and
    from first notice, medians in hours, the share removed within 3 days."""
    rows = queries.stats(connection, by)
    names = queries.provider_names(connection) if by == "provider" else {}
    items = []
    for row in rows[offset : offset + limit]:
        item: dict[str, Any] = {"key": shown(row.key), **row.as_dict()}
        if by == "provider":
            item["provider"] = shown(names.get(row.key))
        if by == "country":
            item["country_label"] = HOSTING_LABELS.get(row.key, row.key)
        if by in ("brand", "distributor") and row.key[1:].isdigit():
            item["ref"] = row.key.lower()  # b12, d3: this server's brand and distributor pages
        items.append(item)
    return page(items, len(rows), limit, offset) | {"by": by, "buckets": list(queries.BUCKETS)}
