"""Files uploaded through the web — report feeds, captures (WARC) and passive DNS — stored to
a directory and imported in a thread.

Each kind is imported by the pipeline function its ``hotline ingest`` command runs
(:func:`hotline.pipeline.import_reports`, ``import_captures``, ``import_pdns``): the same
permission check, importer and audit event. Progress goes to the upload's row (``uploads``),
at most a few times a second, so a poll answered by any worker process sees it. A worker
that dies mid-import leaves the row ``running``: the file stays in the upload directory and
importing it again adds only what is missing (every import is idempotent).

The kind of an upload is kept in the name of the folder its file is stored in
(``<kind>-<random>/<name>``): the upload's row has no column for it, and the folder is
written once, before the import starts.
"""

from __future__ import annotations

import re
import secrets
import threading
import time
from collections.abc import Callable
from contextlib import closing
from enum import StrEnum
from pathlib import Path
from typing import Any, BinaryIO

from sqlalchemy import Engine

from hotline import pipeline
from hotline.accounts import visibility
from hotline.accounts.roles import Actor, Permission
from hotline.accounts.services import counts, require
from hotline.captures.services import CaptureSummary
from hotline.store.uow import unit_of_work
from hotline.web.errors import WebError

CHUNK = 1 << 20
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
FEED_SUFFIXES = (".csv", ".jsonl", ".ndjson", ".json")  # as `hotline ingest reports` reads


class UploadKind(StrEnum):
    """What an uploaded file holds, and so which import reads it."""

    REPORTS = "reports"
    CAPTURES = "captures"
    PDNS = "pdns"


# the file names each import reads, as its `hotline ingest` command does
SUFFIXES: dict[UploadKind, tuple[str, ...]] = {
    UploadKind.REPORTS: FEED_SUFFIXES,
    UploadKind.CAPTURES: (".warc", ".warc.gz"),
    UploadKind.PDNS: (".jsonl", ".ndjson", ".json", ".jsonl.gz", ".ndjson.gz", ".json.gz"),
}
EXPECTED: dict[UploadKind, str] = {
    UploadKind.REPORTS: "a report feed is a .csv or .jsonl file",
    UploadKind.CAPTURES: "captures are a .warc or .warc.gz file",
    UploadKind.PDNS: "passive DNS is a .jsonl or .json file (COF, dnsdbq -j), gzipped or not",
}
# the audit action of each import, as the pipeline names it
ACTIONS: dict[UploadKind, str] = {
    UploadKind.REPORTS: "intake.reports",
    UploadKind.CAPTURES: "captures.import",
    UploadKind.PDNS: "hosting.pdns",
}


def safe_name(name: str) -> str:
    """A file name that is safe on any file system and says what it was."""
    base = _UNSAFE.sub("_", Path(name.replace("\\", "/")).name).strip("._") or "feed"
    return base[-120:]


def store(
    stream: BinaryIO, upload_dir: Path, name: str, limit: int, kind: str = UploadKind.REPORTS
) -> Path:
    """Copy the upload to ``upload_dir/<kind>-<random>/<name>``, refusing it past ``limit``
    bytes."""
    folder = upload_dir / f"{kind}-{secrets.token_hex(8)}"
    folder.mkdir(parents=True, exist_ok=False)
    path = folder / safe_name(name)
    written = 0
    with path.open("xb") as out:
        while chunk := stream.read(CHUNK):
            written += len(chunk)
            if written > limit:
                out.close()
                path.unlink()
                folder.rmdir()
                raise WebError(413, f"the file is larger than {limit:,} bytes")
            out.write(chunk)
    return path


def kind_of(file: str) -> UploadKind:
    """The kind of an upload from the folder it is stored in (files stored before kinds
    existed are report feeds)."""
    folder = Path(file).parent.name
    prefix = folder.split("-", 1)[0] if "-" in folder else ""
    return UploadKind(prefix) if prefix in tuple(UploadKind) else UploadKind.REPORTS


def accept(
    engine: Engine,
    actor: Actor,
    kind: UploadKind,
    stream: BinaryIO,
    name: str,
    upload_dir: Path,
    limit: int,
    threads: list[Any],
) -> int:
    """Store an uploaded file of ``kind`` and import it in the background; returns the job
    (upload) id. The permission is the import's own, checked (and a refusal audited)
    before a byte is stored."""
    shown = safe_name(name)
    require(engine, actor, Permission.IMPORT, ACTIONS[kind], shown)
    if not shown.lower().endswith(SUFFIXES[kind]):
        raise WebError(422, EXPECTED[kind])
    path = store(stream, upload_dir, name, limit, kind)
    with unit_of_work(engine) as connection:
        upload_id = visibility.add_upload(connection, actor, str(path), shown, path.stat().st_size)
    threads.append(start(engine, actor, path, upload_id, kind))
    return upload_id


def start(
    engine: Engine,
    actor: Actor,
    path: Path,
    upload_id: int,
    kind: UploadKind = UploadKind.REPORTS,
) -> threading.Thread:
    """Import the stored file in a background thread; returns the thread (tests join it)."""
    thread = threading.Thread(
        target=_run,
        args=(engine, actor, path, upload_id, kind),
        name=f"import-{upload_id}",
        daemon=True,
    )
    thread.start()
    return thread


def _throttled(engine: Engine, upload_id: int) -> Callable[..., None]:
    last = [0.0]

    def progress(what: str, done: int, total: int, items: int = 0) -> None:
        now = time.monotonic()
        if now - last[0] < 0.25 and done < total:
            return
        last[0] = now
        with unit_of_work(engine) as connection:
            visibility.upload_progress(connection, upload_id, done, total, items)

    return progress


def _summary(result: Any) -> dict[str, Any]:
    """What the job keeps of an import's summary: its counts and its refusals by reason."""
    return counts(result) | {"rejected_by_code": dict(result.rejected_by_code)}


def _import_reports(engine: Engine, actor: Actor, path: Path, progress: Any) -> dict[str, Any]:
    return _summary(pipeline.import_reports(engine, actor, [path], progress=progress))


def _import_captures(engine: Engine, actor: Actor, path: Path, progress: Any) -> dict[str, Any]:
    # one worker: the WARC is parsed in this thread, never in a process pool of the server;
    # no processor table given: the shipped one, as `hotline ingest captures` without
    # --processors reads it
    run = pipeline.import_captures(engine, actor, [path], None, workers=1, progress=progress)
    total = CaptureSummary(file=path.name)
    with closing(run):  # the run's audit event is written when the generator stops
        for _, summary in run:
            total.add(summary)
    return _summary(total)


def _import_pdns(engine: Engine, actor: Actor, path: Path, progress: Any) -> dict[str, Any]:
    result = pipeline.import_pdns(engine, actor, [path], progress)
    # a warning names the stored file by its path on this server: the uploader knows it by name
    warnings = [warning.replace(str(path), path.name) for warning in result.warnings]
    return _summary(result) | {"warnings": warnings}


IMPORTS: dict[UploadKind, Callable[[Engine, Actor, Path, Any], dict[str, Any]]] = {
    UploadKind.REPORTS: _import_reports,
    UploadKind.CAPTURES: _import_captures,
    UploadKind.PDNS: _import_pdns,
}


def _run(engine: Engine, actor: Actor, path: Path, upload_id: int, kind: UploadKind) -> None:
    summary, error = None, None
    try:
        summary = IMPORTS[kind](engine, actor, path, _throttled(engine, upload_id))
    except Exception as failure:  # the thread's last word: whatever happened, the row says it
        message = str(failure).replace(str(path), path.name)
        error = f"{type(failure).__name__}: {message.splitlines()[0] if message else ''}"
    with unit_of_work(engine) as connection:
        visibility.finish_upload(connection, upload_id, summary, error)
