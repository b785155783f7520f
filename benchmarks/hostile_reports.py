"""Hostile report feeds: time, peak memory and quarantine entries of the real import command.

    python -m benchmarks.hostile_reports                      # every case, 50 MB each
    python -m benchmarks.hostile_reports --case wide_csv --mb 100
    python -m benchmarks.hostile_reports --list

Each case writes one generated feed (synthetic and benign: reserved names only) and imports
it with ``hotline --quiet ingest reports`` into a fresh SQLite database, in a child process.
Printed per case: input size, wall seconds, peak resident memory (``ru_maxrss`` from
``wait4``, as ``/usr/bin/time -v`` reports it: the larger of the importer and its reading
process), the exit code, and what was stored: reports and quarantine entries.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

REQUIRED = "source,source_report_id,reported_at,url"


def _fill(path: Path, header: bytes, row: Callable[[int], bytes], megabytes: int) -> Path:
    budget = megabytes << 20
    with path.open("wb") as out:
        out.write(header)
        written, n = len(header), 0
        while written < budget:
            data = row(n)
            out.write(data)
            written += len(data)
            n += 1
    return path


def wide_csv(folder: Path, megabytes: int) -> Path:
    """CSV with 100,000 extra columns, every row filled (about 200 KB a row)."""
    columns = 100_000
    header = (REQUIRED + "," + ",".join(f"x{i}" for i in range(columns)) + "\n").encode()
    cells = b",v" * columns

    def row(n: int) -> bytes:
        return b"HL-W,w-%d,2026-02-01T00:00:00Z,http://wide.example/%d" % (n, n) + cells + b"\n"

    return _fill(folder / "wide.csv", header, row, megabytes)


def wide_kept(folder: Path, megabytes: int) -> Path:
    """CSV with 995 extra columns (within the column budget), every row filled: all kept."""
    columns = 995
    header = (REQUIRED + "," + ",".join(f"x{i}" for i in range(columns)) + "\n").encode()
    cells = b",value" * columns

    def row(n: int) -> bytes:
        return b"HL-K,k-%d,2026-02-01T00:00:00Z,http://kept.example/%d" % (n, n) + cells + b"\n"

    return _fill(folder / "kept.csv", header, row, megabytes)


def wide_jsonl(folder: Path, megabytes: int) -> Path:
    """JSON Lines with 50,000 extra keys an object (about 600 KB a line)."""
    keys = b"".join(b',"k%d":%d' % (i, i) for i in range(50_000))

    def row(n: int) -> bytes:
        head = (
            b'{"source":"HL-W","source_report_id":"w-%d","reported_at":"2026-02-01T00:00:00Z",'
            b'"url":"http://wide.example/%d"' % (n, n)
        )
        return head + keys + b"}\n"

    return _fill(folder / "wide.jsonl", b"", row, megabytes)


def long_rows(folder: Path, megabytes: int) -> Path:
    """CSV rows of 60 KB each (one extra column of 60,000 characters): valid, but long."""
    value = b"a" * 60_000

    def row(n: int) -> bytes:
        return b"HL-L,l-%d,2026-02-01T00:00:00Z,http://long.example/%d,%s\n" % (n, n, value)

    return _fill(folder / "long.csv", (REQUIRED + ",remark\n").encode(), row, megabytes)


def runaway_quote(folder: Path, megabytes: int) -> Path:
    """A quoted note opened on line 3 that runs over most of the file, then ordinary rows."""
    path = folder / "runaway.csv"
    with path.open("wb") as out:
        out.write((REQUIRED + ",note\n").encode())
        out.write(b"HL-Q,q-0,2026-02-01T00:00:00Z,http://quote.example/0,plain\n")
        out.write(b'HL-Q,q-1,2026-02-01T00:00:00Z,http://quote.example/1,"note starts\n')
        line = b"more of the same note text\n"
        out.write(line * max(1, ((megabytes << 20) - 200) // len(line)))
        out.write(b'note ends"\n')
        for n in range(2, 12):
            out.write(b"HL-Q,q-%d,2026-02-01T00:00:00Z,http://quote.example/%d,\n" % (n, n))
    return path


CASES: dict[str, Callable[[Path, int], Path]] = {
    "wide_csv": wide_csv,
    "wide_kept": wide_kept,
    "wide_jsonl": wide_jsonl,
    "long_rows": long_rows,
    "runaway_quote": runaway_quote,
}


def _hotline() -> list[str]:
    return [sys.executable, "-m", "hotline.cli.app"]


def run_case(name: str, folder: Path, megabytes: int) -> dict[str, object]:
    made = CASES[name](folder, megabytes)
    database = folder / f"{name}.sqlite"
    db = f"sqlite:///{database}"
    subprocess.run([*_hotline(), "--db", db, "init"], check=True, capture_output=True)
    command = [*_hotline(), "--quiet", "--db", db, "ingest", "reports", str(made)]
    started = time.perf_counter()
    child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - started
    code = os.waitstatus_to_exitcode(status)
    with sqlite3.connect(database) as connection:
        reports = connection.execute("SELECT count(*) FROM reports").fetchone()[0]
        quarantined = connection.execute("SELECT count(*) FROM quarantine").fetchone()[0]
    made.unlink()
    database.unlink()
    return {
        "case": name,
        "input_mb": (megabytes << 20) / 1e6,
        "seconds": seconds,
        "peak_mb": usage.ru_maxrss / 1024,
        "exit": code,
        "reports": reports,
        "quarantined": quarantined,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--case", action="append", choices=sorted(CASES))
    parser.add_argument("--mb", type=int, default=50, help="input size of each case (MiB)")
    parser.add_argument("--list", action="store_true")
    args = parser.parse_args()
    if args.list:
        for name, make in CASES.items():
            print(f"{name:14} {(make.__doc__ or '').strip()}")
        return
    print(
        f"{'case':14} {'input':>8} {'seconds':>8} {'peak RSS':>10} {'exit':>4} {'reports':>8} "
        f"{'quarantined':>11}"
    )
    with tempfile.TemporaryDirectory(prefix="hotline-hostile-reports-") as tmp:
        for name in args.case or list(CASES):
            row = run_case(name, Path(tmp), args.mb)
            print(
                f"{row['case']:14} {row['input_mb']:>6.0f}MB {row['seconds']:>8.2f} "
                f"{row['peak_mb']:>7.0f} MB {row['exit']:>4} {row['reports']:>8,} "
                f"{row['quarantined']:>11,}"
            )


if __name__ == "__main__":
    main()
