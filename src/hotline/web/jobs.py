"""Report feeds uploaded through the web: stored to a directory, imported in a thread.

The import is :func:`hotline.pipeline.import_reports`, exactly as ``hotline ingest reports``
runs it (permission, the importer, one audit event). Its progress goes to the upload's row
(``uploads``), at most a few times a second, so a poll answered by any worker process sees
it. A worker that dies mid-import leaves the row ``running``: the file stays in the upload
directory and importing it again adds only what is missing (imports are idempotent).
"""

from __future__ import annotations

import re
import secrets
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from sqlalchemy import Engine

from hotline import pipeline
from hotline.accounts import visibility
from hotline.accounts.roles import Actor
from hotline.accounts.services import counts
from hotline.store.uow import unit_of_work
from hotline.web.errors import WebError

CHUNK = 1 << 20
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
FEED_SUFFIXES = (".csv", ".jsonl", ".ndjson", ".json")  # as `hotline ingest reports` reads


def safe_name(name: str) -> str:
    """A file name that is safe on any file system and says what it was."""
    base = _UNSAFE.sub("_", Path(name.replace("\\", "/")).name).strip("._") or "feed"
    return base[-120:]


def store(stream: BinaryIO, upload_dir: Path, name: str, limit: int) -> Path:
    """Copy the upload to ``upload_dir/<random>/<name>``, refusing it past ``limit`` bytes."""
    folder = upload_dir / secrets.token_hex(8)
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


def start(engine: Engine, actor: Actor, path: Path, upload_id: int) -> threading.Thread:
    """Import the stored file in a background thread; returns the thread (tests join it)."""
    thread = threading.Thread(
        target=_run, args=(engine, actor, path, upload_id), name=f"import-{upload_id}", daemon=True
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


def _run(engine: Engine, actor: Actor, path: Path, upload_id: int) -> None:
    summary, error = None, None
    try:
        result = pipeline.import_reports(engine, actor, [path],
                                         progress=_throttled(engine, upload_id))  # fmt: skip
        summary = counts(result) | {"rejected_by_code": dict(result.rejected_by_code)}
    except Exception as failure:  # the thread's last word: whatever happened, the row says it
        error = f"{type(failure).__name__}: {str(failure).splitlines()[0] if str(failure) else ''}"
    with unit_of_work(engine) as connection:
        visibility.finish_upload(connection, upload_id, summary, error)
