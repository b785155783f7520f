"""Turn a feed file into batches of validated rows and refusals (no database involved).

Reading, validating and canonicalising is about half the cost of an import and needs no
database, so on large files it runs in a child process while the parent writes the previous
batch: the two cores of a small analyst machine both work. The bounded queue keeps memory
constant; the child exits if the parent dies (even by SIGKILL).
"""

from __future__ import annotations

import multiprocessing
import os
import queue
import traceback
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hotline.intake.gc_tuning import bulk_allocation
from hotline.intake.readers import BadRecord, FeedReader, Record
from hotline.intake.records import ReportRow, RowError, parse_report
from hotline.intake.staging import StagedReports, stage_reports
from hotline.quarantine import Refusal
from hotline.urls import TrackingPolicy

_QUEUE_DEPTH = 3  # batches in flight between the processes: bounds memory, hides latency
_POLL_SECONDS = 1.0


@dataclass
class Batch:
    """One transaction's worth of input, with the reading statistics that go with it.

    Rows are collected in ``rows``; :meth:`seal` turns them into the plain, sorted tuples the
    store stages (no database ids: the store joins those in), so the work of shaping rows
    happens in the reading process, not in the writing one.
    """

    rows: dict[tuple[str, str], ReportRow] = field(default_factory=dict)
    refusals: list[Refusal] = field(default_factory=list)
    records: int = 0  # rows read (valid, duplicate or refused); file-level problems excluded
    in_batch_duplicates: int = 0
    offset: int = 0  # bytes of the file read so far, for the progress bar
    staged: StagedReports | None = None

    def seal(self, offset: int) -> Batch:
        self.offset = offset
        self.staged = stage_reports(self.rows.values())
        self.rows = {}
        return self


class IntakeWorkerError(RuntimeError):
    """The reading process failed; carries its traceback text."""


def read_batches(path: Path, fmt: str, policy: TrackingPolicy, size: int) -> Iterator[Batch]:
    with bulk_allocation():
        yield from _read_batches(path, fmt, policy, size)


def _read_batches(path: Path, fmt: str, policy: TrackingPolicy, size: int) -> Iterator[Batch]:
    reader = FeedReader(path, fmt)
    name = str(path.resolve())
    batch = Batch()
    for item in reader:
        if isinstance(item, Record):
            parsed = parse_report(item.fields, policy)
            if isinstance(parsed, RowError):
                item = BadRecord(item.line, item.offset, parsed.code, parsed.reason, item.raw)
            else:
                batch.records += 1
                key = (parsed.source, parsed.source_report_id)
                if key in batch.rows:
                    batch.in_batch_duplicates += 1
                else:
                    batch.rows[key] = parsed
        if isinstance(item, BadRecord):
            if not _file_level(item):
                batch.records += 1
            batch.refusals.append(
                Refusal(
                    "reports",
                    name,
                    item.line,
                    item.offset,
                    item.code,
                    item.reason,
                    item.raw,
                    item.raw_truncated,
                )
            )
        if batch.records >= size:
            yield batch.seal(reader.cursor.offset)
            batch = Batch()
    yield batch.seal(reader.cursor.offset)


def _file_level(item: BadRecord) -> bool:
    return item.code in {"empty_file", "bad_header"}


def read_batches_in_child(
    path: Path, fmt: str, policy: TrackingPolicy, size: int
) -> Iterator[Batch]:
    """Like :func:`read_batches`, but the reading happens in a child process."""
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    context: Any = multiprocessing.get_context(method)
    channel: Any = context.Queue(maxsize=_QUEUE_DEPTH)
    child = context.Process(
        target=_produce, args=(channel, path, fmt, policy, size, os.getpid()), daemon=True
    )
    child.start()
    try:
        while True:
            try:
                item = channel.get(timeout=_POLL_SECONDS)
            except queue.Empty:
                if not child.is_alive():
                    raise IntakeWorkerError(
                        f"the reading process stopped unexpectedly (exit code {child.exitcode})"
                    ) from None
                continue
            if item is None:
                return
            if isinstance(item, str):
                raise IntakeWorkerError(item)
            yield item
    finally:
        if child.is_alive():
            child.terminate()
        child.join(timeout=5)
        channel.close()


def _produce(
    channel: Any, path: Path, fmt: str, policy: TrackingPolicy, size: int, parent: int
) -> None:
    def send(item: Batch | str | None) -> None:
        while True:
            try:
                channel.put(item, timeout=_POLL_SECONDS)
                return
            except queue.Full:
                if os.getppid() != parent:  # orphaned: the importer is gone, stop quietly
                    os._exit(0)

    try:
        for batch in read_batches(path, fmt, policy, size):
            send(batch)
    except Exception:  # any failure: the parent re-raises it with this traceback
        send(f"reading {path} failed:\n{traceback.format_exc()}")
        return
    send(None)
