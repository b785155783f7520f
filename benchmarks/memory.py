"""Peak resident memory of a command and all its descendants, sampled from /proc (Linux)."""

from __future__ import annotations

import os
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

_PAGE = os.sysconf("SC_PAGE_SIZE")


def _session_rss(session_id: int) -> int:
    total = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[3]) == session_id:
            total += int(fields[21]) * _PAGE  # rss in pages
    return total


@dataclass(frozen=True, slots=True)
class Measured:
    seconds: float  # wall time of the child
    tree: int  # peak summed RSS of the child and its descendants, bytes (sampled)
    hwm: int  # the child's own high-water mark (ru_maxrss), bytes
    code: int
    stdout: str
    stderr: str


def measure(command: list[str]) -> Measured:
    """Run ``command`` in a session of its own: wall time, peak memory, exit code, output."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        process = subprocess.Popen(command, stdout=out, stderr=err, start_new_session=True)
        peak = 0
        done = threading.Event()

        def sample() -> None:
            nonlocal peak
            while not done.is_set():
                peak = max(peak, _session_rss(process.pid))
                time.sleep(0.05)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        _pid, status, usage = os.wait4(process.pid, 0)
        elapsed = time.perf_counter() - started
        done.set()
        sampler.join()
        out.seek(0)
        err.seek(0)
        hwm = usage.ru_maxrss * 1024
        return Measured(
            elapsed,
            max(peak, hwm),
            hwm,
            os.waitstatus_to_exitcode(status),
            out.read().decode(),
            err.read().decode(),
        )


def run_measured(command: list[str]) -> tuple[float, int, int]:
    """Run ``command``; return (wall seconds, peak summed RSS in bytes, exit code)."""
    run = measure(command)
    if run.code not in (0, 1):
        raise RuntimeError(f"{command} failed ({run.code}):\n{run.stderr}")
    return run.seconds, run.tree, run.code
