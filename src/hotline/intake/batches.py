"""Turn a feed file into batches of validated rows and refusals (no database involved).

Reading, validating and canonicalising is about half the cost of an import and needs no
database, so on large files it runs in a child process while the parent writes the previous
batch: the two cores of a small analyst machine both work. The bounded queue keeps memory
constant; the child exits if the parent dies (even by SIGKILL).
"""

from __future__ import annotations

import contextlib
import multiprocessing
import signal
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hotline.intake.gc_tuning import bulk_allocation
from hotline.intake.readers import BadRecord, FeedReader, Record
from hotline.intake.records import ReportRow, RowError, parse_report
from hotline.intake.staging import StagedReports, stage_reports
from hotline.quarantine import MAX_RAW_KEPT, Refusal
from hotline.urls import TrackingPolicy

# A batch is sent on at this many input bytes even before it has its rows: memory then
# follows bytes, not rows, when rows are long (a row may be up to 1 MiB; 5,000 of them would
# be 5 GiB). Typical rows of ~150 bytes fill a 5,000-row batch at under 1 MiB.
MAX_BATCH_BYTES = 8 << 20
Origin = tuple[int, int, bytes]


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
    held_bytes: int = 0  # raw and extra data of accepted rows, kept raw of refused ones
    file: str = ""
    # (line, byte offset, raw bytes) of each accepted row: a report that turns out to conflict
    # with one already stored is quarantined by the writer, which needs to say where it was.
    origins: dict[tuple[str, str], Origin] = field(default_factory=dict)

    def seal(self, offset: int) -> Batch:
        self.offset = offset
        self.staged = stage_reports(self.rows.values())
        self.rows = {}
        return self


class IntakeWorkerError(RuntimeError):
    """The reading process failed or died; the message says which file and why."""


def read_batches(path: Path, fmt: str, policy: TrackingPolicy, size: int) -> Iterator[Batch]:
    with bulk_allocation():
        yield from _read_batches(path, fmt, policy, size)


def _read_batches(path: Path, fmt: str, policy: TrackingPolicy, size: int) -> Iterator[Batch]:
    reader = FeedReader(path, fmt)
    name = str(path.resolve())
    batch = Batch(file=name)
    for item in reader:
        if isinstance(item, Record):
            parsed = parse_report(item.fields, policy)
            if isinstance(parsed, RowError):
                item = BadRecord(item.line, item.offset, parsed.code, parsed.reason, item.raw)
            else:
                batch.records += 1
                key = (parsed.source, parsed.source_report_id)
                first = batch.rows.get(key)
                if first is None:
                    batch.rows[key] = parsed
                    batch.origins[key] = (item.line, item.offset, item.raw[:MAX_RAW_KEPT])
                    batch.held_bytes += len(item.raw) + len(parsed.extra or "")
                elif first.digest == parsed.digest:
                    batch.in_batch_duplicates += 1
                else:
                    item = BadRecord(
                        item.line,
                        item.offset,
                        "conflicting_report",
                        f"report {key[0]}/{key[1][:60]} appears earlier in this file (line "
                        f"{batch.origins[key][0]}) with another URL; the first one is kept",
                        item.raw,
                    )
                    batch.records -= 1  # counted again below, as a refused row
        if isinstance(item, BadRecord):
            if not _file_level(item):
                batch.records += 1
            refusal = Refusal.keeping(
                "reports",
                name,
                item.line,
                item.offset,
                item.code,
                item.reason,
                item.raw,
                item.raw_truncated,
            )
            batch.refusals.append(refusal)
            batch.held_bytes += len(refusal.raw)
        if batch.records >= size or batch.held_bytes >= MAX_BATCH_BYTES:
            yield batch.seal(reader.cursor.offset)
            batch = Batch(file=name)
    yield batch.seal(reader.cursor.offset)


def _file_level(item: BadRecord) -> bool:
    return item.code in {"empty_file", "bad_header"}


def read_batches_in_child(
    path: Path, fmt: str, policy: TrackingPolicy, size: int
) -> Iterator[Batch]:
    """Like :func:`read_batches`, but the reading happens in a child process.

    A one-way pipe, not a Queue: once the parent has closed its copy of the writing end,
    a child that dies at any moment (even half-way through sending a batch) shows up as
    end-of-file here instead of a read that blocks forever. The pipe's small buffer also
    bounds memory: the child can be at most one batch ahead.
    """
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    context: Any = multiprocessing.get_context(method)
    receiving, sending = context.Pipe(duplex=False)
    child = context.Process(
        target=_produce, args=(receiving, sending, path, fmt, policy, size), daemon=True
    )
    child.start()
    sending.close()
    try:
        while True:
            try:
                item = receiving.recv()
            except EOFError:
                child.join(timeout=5)
                raise IntakeWorkerError(
                    f"the process reading {path} stopped unexpectedly (exit code {child.exitcode})"
                ) from None
            if item is None:
                return
            if isinstance(item, str):
                raise IntakeWorkerError(item)
            yield item
    finally:
        receiving.close()
        if child.is_alive():
            child.terminate()
        child.join(timeout=5)


def _produce(
    receiving: Any, sending: Any, path: Path, fmt: str, policy: TrackingPolicy, size: int
) -> None:
    # The child's inherited copy of the reading end must go, or the pipe keeps a reader
    # after the parent dies and a blocked send would wait forever instead of failing.
    receiving.close()
    # Ctrl-C is the parent's to handle; the child just stops when its pipe closes.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        for batch in read_batches(path, fmt, policy, size):
            sending.send(batch)
        sending.send(None)
    except BrokenPipeError:
        return  # the importer is gone (finished, failed or killed): stop quietly
    except OSError as error:  # the file itself could not be read
        _try_send(sending, f"{path}: {error.strerror or error}")
    except Exception as error:  # anything else: the parent reports it and exits 2
        _try_send(sending, f"reading {path} failed: {type(error).__name__}: {error}")


def _try_send(sending: Any, message: str) -> None:
    with contextlib.suppress(OSError):  # nobody may be listening any more
        sending.send(message)
