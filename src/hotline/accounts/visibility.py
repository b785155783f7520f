"""What one organisation may see of another's: reports, raw rows and uploads.

Shared intelligence (sites, URLs, hosting, selectors, brands, distributors) is everyone's.
A report is its source's, and a source belongs to an organisation (``organisation_sources``):
an organisation reads its own reports row by row and only counts of the others'. A refused
record in the quarantine belongs to the organisation that uploaded its file through the web
(``uploads``); records of files imported on the command line belong to no organisation and,
like other organisations' records, are shown only as counts by reason.

Uploads are kept here too: an upload is one organisation's file and its import's progress.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, Select, func, insert, select, true, update

from hotline.accounts.audit import canonical_json, record_event, storable
from hotline.accounts.models import Organisation, OrganisationSource, Upload, User
from hotline.accounts.roles import Actor
from hotline.intake.models import Report, Site, Source, Url
from hotline.quarantine import QuarantineEntry
from hotline.store.types import utcnow
from hotline.urls import url_digest


def _org_id(connection: Connection, organisation: str | None) -> int | None:
    if organisation is None:
        return None
    found = connection.execute(
        select(Organisation.id).where(Organisation.name == organisation)
    ).scalar()
    return int(found) if found is not None else None


@dataclass(frozen=True, slots=True)
class ReportRow:
    source: str
    source_report_id: str
    reported_at: datetime
    url: str  # canonical, as stored: the caller defangs it for people
    site_type: str | None
    commercial: bool | None
    note: str | None


# beyond this many URLs (a large site), the ids stay in the database: bound parameters have
# a limit (SQLite's is 32,766), and a long list costs more than the join it saves
_MAX_URLS = 500
# up to this many visible reports, they are sorted in Python rather than by the database
_SORT_HERE = 2_000


@dataclass(frozen=True, slots=True)
class ReportView:
    """Reports on one site or URL: the organisation's own, a page of them, and the count of
    everyone else's (their rows are not the organisation's to read)."""

    own: list[ReportRow]
    own_total: int
    others: int


def reports(
    connection: Connection,
    organisation: str | None,
    *,
    site: str | None = None,
    url: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> ReportView:
    """Reports on a site (``site`` key) or on one URL (``url``, canonical), as
    ``organisation`` may see them."""
    mine = select(OrganisationSource.source_id).where(
        OrganisationSource.organisation_id == _org_id(connection, organisation)
    )
    # the URL ids first, then their reports by the report table's url index: joined in one
    # statement, SQLite walks every report of the store (350 ms on the medium world)
    urls = select(Url.id)
    if site is not None:
        urls = urls.join(Site, Site.id == Url.site_id).where(Site.key == site)
    if url is not None:
        urls = urls.where(Url.digest == url_digest(url))  # the unique index; text has none
    on_these: ColumnElement[bool] = true()
    if site is not None or url is not None:
        url_ids = [row[0] for row in connection.execute(urls.limit(_MAX_URLS + 1))]
        if not url_ids:
            return ReportView([], 0, 0)
        listed = url_ids if len(url_ids) <= _MAX_URLS else urls.scalar_subquery()
        on_these = Report.url_id.in_(listed)
    own_total, total = connection.execute(
        select(func.count().filter(Report.source_id.in_(mine)), func.count()).where(on_these)
    ).one()
    query = (
        select(Source.code, Report.source_report_id, Report.reported_at, Url.canonical,
               Report.site_type, Report.commercial, Report.note, Report.id)
        .join(Source, Source.id == Report.source_id)
        .join(Url, Url.id == Report.url_id)
        .where(on_these, Report.source_id.in_(mine))
    )  # fmt: skip
    if own_total <= _SORT_HERE:
        # few rows: sorted here. Asked to sort them, SQLite walks the whole report table
        # down its reported_at index instead of taking these few by their URL
        found = sorted(connection.execute(query), key=lambda r: (-r[2].timestamp(), r[7]))
        rows = [row[:7] for row in found[offset : offset + limit]]
    else:
        ordered = query.order_by(Report.reported_at.desc(), Report.id).limit(limit).offset(offset)
        rows = [row[:7] for row in connection.execute(ordered)]
    return ReportView([ReportRow(*row) for row in rows], int(own_total), int(total - own_total))


@dataclass(frozen=True, slots=True)
class QuarantineView:
    own: list[Any]  # rows of the quarantine table (columns as attributes)
    own_total: int
    others_by_reason: list[tuple[str, int]]


def quarantine(
    connection: Connection, organisation: str | None, limit: int = 50, offset: int = 0
) -> QuarantineView:
    """The refused records of the organisation's uploads, a page at a time, and how many
    other records (anyone else's, and the command line's) were refused, by reason."""
    files = select(Upload.file).where(Upload.organisation_id == _org_id(connection, organisation))
    own = QuarantineEntry.file.in_(files)
    own_total = connection.execute(select(func.count()).where(own)).scalar_one()
    entries = list(
        connection.execute(
            select(QuarantineEntry).where(own).order_by(QuarantineEntry.id).limit(limit)
            .offset(offset)
        ).all()
    ) if own_total else []  # fmt: skip
    others = connection.execute(
        select(QuarantineEntry.reason_code, func.count())
        .where(~own)
        .group_by(QuarantineEntry.reason_code)
        .order_by(func.count().desc(), QuarantineEntry.reason_code)
    )
    return QuarantineView(entries, int(own_total), [(code, int(n)) for code, n in others])


# --- uploads ----------------------------------------------------------------------------

QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"


@dataclass(frozen=True, slots=True)
class UploadRow:
    id: int
    user: str
    organisation: str | None
    file: str
    name: str
    status: str
    done: int
    total: int
    items: int
    summary: dict[str, Any] | None
    error: str | None
    created_at: datetime
    finished_at: datetime | None


def add_upload(connection: Connection, actor: Actor, file: str, name: str, size: int) -> int:
    """Record a stored feed file before its import starts (audited ``uploads.add``; the
    import itself is the pipeline's ``intake.reports`` event)."""
    user_id = connection.execute(select(User.id).where(User.name == actor.name)).scalar_one()
    upload_id = connection.execute(
        insert(Upload)
        .values(user_id=user_id, organisation_id=_org_id(connection, actor.organisation),
                file=storable(file, 1024), name=storable(name, 255), status=QUEUED, done=0,
                total=size, items=0, created_at=utcnow())
        .returning(Upload.id)
    ).scalar_one()  # fmt: skip
    record_event(connection, actor, "uploads.add", storable(name, 255),
                 after={"upload": upload_id, "bytes": size})  # fmt: skip
    return int(upload_id)


def upload_progress(
    connection: Connection, upload_id: int, done: int, total: int, items: int
) -> None:
    """The import's progress (not audited: the run's own event says how it ended)."""
    connection.execute(
        update(Upload)
        .where(Upload.id == upload_id)
        .values(status=RUNNING, done=done, total=total, items=items)
    )


def finish_upload(
    connection: Connection, upload_id: int, summary: dict[str, Any] | None, error: str | None
) -> None:
    connection.execute(
        update(Upload)
        .where(Upload.id == upload_id)
        .values(status=FAILED if error else DONE, error=error, finished_at=utcnow(),
                summary=canonical_json(summary) if summary is not None else None)
    )  # fmt: skip


def _upload_query() -> Select[Upload, str, str]:
    return (
        select(Upload, User.name.label("user"), Organisation.name.label("org"))
        .join(User, User.id == Upload.user_id)
        .outerjoin(Organisation, Organisation.id == Upload.organisation_id)
    )


def _upload_row(row: Any) -> UploadRow:
    return UploadRow(
        row.id, row.user, row.org, row.file, row.name, row.status, row.done, row.total,
        row.items, json.loads(row.summary) if row.summary else None, row.error, row.created_at,
        row.finished_at,
    )  # fmt: skip


def upload(connection: Connection, upload_id: int) -> UploadRow | None:
    row = connection.execute(_upload_query().where(Upload.id == upload_id)).first()
    return _upload_row(row) if row is not None else None


def uploads(connection: Connection, organisation: str | None, limit: int = 20) -> list[UploadRow]:
    """The organisation's uploads, newest first."""
    query = (
        _upload_query()
        .where(Upload.organisation_id == _org_id(connection, organisation))
        .order_by(Upload.id.desc())
        .limit(limit)
    )
    return [_upload_row(row) for row in connection.execute(query)]
