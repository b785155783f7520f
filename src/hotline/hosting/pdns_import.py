"""``hotline ingest pdns``: passive-DNS files into hosting observations, bad lines into the
quarantine with line, byte offset and reason. Batches commit on their own, so a crash keeps
what was committed and a rerun adds nothing that is already there."""

from __future__ import annotations

import gzip
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from sqlalchemy import Engine

from hotline.hosting.observations import Observation, site_key_for, upsert
from hotline.hosting.pdns import PdnsLineError, PdnsRecord, parse_line
from hotline.quarantine import Refusal, record
from hotline.store.engine import WRITER

MAX_LINE = 1 << 20  # a COF line is a few hundred bytes; a megabyte is not a record


@dataclass
class PdnsSummary:
    file: str
    lines: int = 0
    records: int = 0
    observations: int = 0
    ignored_types: int = 0
    rejected: int = 0
    rejected_by_code: Counter[str] = field(default_factory=Counter)

    def add(self, other: PdnsSummary) -> None:
        self.lines += other.lines
        self.records += other.records
        self.observations += other.observations
        self.ignored_types += other.ignored_types
        self.rejected += other.rejected
        self.rejected_by_code.update(other.rejected_by_code)


def _open(path: Path) -> IO[bytes]:
    with path.open("rb") as probe:
        magic = probe.read(2)
    if magic == b"\x1f\x8b":
        return gzip.open(path, "rb")  # type: ignore[return-value]
    return path.open("rb")


def _lines(handle: IO[bytes]) -> Iterator[tuple[int, int, bytes, bool]]:
    """(line number, byte offset, bytes, whole?) — an overlong line is cut, then skipped."""
    offset, number = 0, 0
    while True:
        line = handle.readline(MAX_LINE)
        if not line:
            return
        number += 1
        start = offset
        offset += len(line)
        whole = line.endswith(b"\n") or len(line) < MAX_LINE
        if not whole:
            while True:  # skip the rest of the overlong line
                rest = handle.readline(MAX_LINE)
                offset += len(rest)
                if not rest or rest.endswith(b"\n"):
                    break
        yield number, start, line, whole


def observations_of(record: PdnsRecord) -> list[Observation]:
    site_key = site_key_for(record.rrname)
    return [
        Observation(
            site_key,
            record.rrname,
            "pdns",
            record.rrtype,
            value,
            record.first_seen,
            record.last_seen,
            count=record.count,
        )
        for value in record.values
    ]


class PdnsImporter:
    def __init__(self, engine: Engine, batch_size: int = 20_000) -> None:
        self.engine = engine
        self.batch_size = batch_size

    def ingest(self, path: Path, progress: Callable[[int], None] | None = None) -> PdnsSummary:
        summary = PdnsSummary(file=str(path))
        pending: list[Observation] = []
        refused: list[Refusal] = []
        name = str(path)
        try:
            handle = _open(path)
        except OSError as error:
            raise PdnsFileError(f"{path}: cannot read ({error.strerror or error})") from error
        with handle:
            try:
                for number, offset, line, whole in _lines(handle):
                    summary.lines += 1
                    stripped = line.strip()
                    if not stripped:
                        continue
                    try:
                        if not whole:
                            raise PdnsLineError(
                                "line_too_long", f"line longer than {MAX_LINE:,} bytes"
                            )
                        parsed = parse_line(stripped)
                    except PdnsLineError as error:
                        summary.rejected += 1
                        summary.rejected_by_code[error.code] += 1
                        refused.append(
                            Refusal.keeping(
                                "pdns", name, number, offset, error.code, error.reason, stripped
                            )
                        )
                    else:
                        if parsed is None:
                            summary.ignored_types += 1
                        else:
                            summary.records += 1
                            pending.extend(observations_of(parsed))
                    if len(pending) >= self.batch_size or len(refused) >= 1000:
                        summary.observations += self._flush(pending, refused)
                        pending, refused = [], []
                        if progress is not None:
                            progress(offset)
            except (OSError, EOFError, gzip.BadGzipFile) as error:
                # A truncated .gz: keep what was read, say where it stopped.
                summary.rejected += 1
                summary.rejected_by_code["truncated_file"] += 1
                refused.append(
                    Refusal.keeping(
                        "pdns", name, summary.lines + 1, 0, "truncated_file",
                        f"file ends in the middle of a compressed stream ({error})", b"",
                    )
                )  # fmt: skip
        summary.observations += self._flush(pending, refused)
        return summary

    def _flush(self, pending: list[Observation], refused: list[Refusal]) -> int:
        with self.engine.connect().execution_options(**WRITER) as connection, connection.begin():
            written = upsert(connection, pending)
            record(connection, refused)
        return written


class PdnsFileError(Exception):
    """A file that cannot be read at all."""
