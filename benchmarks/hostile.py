"""Hostile inputs: the worst case of each class, with time and peak memory against a budget.

    python -m benchmarks.hostile                 # every case
    python -m benchmarks.hostile --case lt_a     # one case
    python -m benchmarks.hostile --list

Each case is a small generated input (synthetic and benign: reserved names, generated
images), imported by the real command — ``hotline --quiet ingest captures --workers 1`` (or
``ingest reports``) into a fresh SQLite database — in a child process of its own. Printed per
case: wall seconds, the child's peak RSS (``ru_maxrss`` from ``wait4``), the exit code, and
whether it stayed within the budget: at most 5 s and 1 GB on a 2-vCPU machine. The exit code
is 0 whether or not budgets hold (the numbers are the report); non-zero only on errors.
"""

from __future__ import annotations

import argparse
import io
import os
import subprocess
import sys
import tempfile
import time
import zlib
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

BUDGET_SECONDS = 5.0
BUDGET_MB = 1024
WHEN = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
HTML = [("Content-Type", "text/html")]


def _gzip(data: bytes) -> bytes:
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    return packer.compress(data) + packer.flush()


def _png_with_text(text: bytes) -> bytes:
    from PIL import Image, PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", text.decode())
    out = io.BytesIO()
    Image.new("RGB", (64, 64), (40, 90, 160)).save(out, "PNG", pnginfo=info)
    return out.getvalue()


def _warc(path: Path, records: list[tuple[str, list[tuple[str, str]], bytes]]) -> Path:
    from hotline.synth.warc import WarcWriter

    with WarcWriter(path, namespace=path.stem) as writer:
        for uri, headers, body in records:
            writer.response(uri, WHEN, 200, "OK", headers, body, None)
    return path


# -- the cases: each writes its input into a folder and returns (command args, input path) --


def lying_media(folder: Path) -> Path:
    """200 PNGs with a text chunk holding a page, served as text/html."""
    image = _png_with_text(b"<html><title>Quobble</title></html>")
    records = [(f"https://quobble{n}.test/img.png", HTML, image) for n in range(200)]
    return _warc(folder / "lying.warc.gz", records)


def lt_a(folder: Path) -> Path:
    """'<a' repeated with no '>': 100 records of 10 KB (the old tag regex backtracked)."""
    body = b"<html><body>" + b"<a" * 5_000
    return _warc(folder / "lt-a.warc.gz", [(f"https://q{n}.test/", HTML, body) for n in range(100)])


def div_slash(folder: Path) -> Path:
    """1,000,000 '<div/>' in one page: HTML nests them."""
    body = b"<html><body>" + b"<div/>" * 1_000_000
    return _warc(folder / "div-slash.warc.gz", [("https://quobble.test/", HTML, body)])


def attributes(folder: Path) -> Path:
    """One element with 100,000 attributes."""
    body = b"<html><body><div " + b"a=1 " * 100_000 + b">x</div></body></html>"
    return _warc(folder / "attributes.warc.gz", [("https://quobble.test/", HTML, body)])


def mailto_flood(folder: Path) -> Path:
    """200 pages, each with the same 20,000 mailto: links."""
    links = b'<a href="mailto:desk@quobble.test">write</a>' * 20_000
    body = b"<html><head><title>Quobble</title></head><body>" + links + b"</body></html>"
    records = [(f"https://quobble{n}.test/", HTML, body) for n in range(200)]
    return _warc(folder / "mailto.warc.gz", records)


def huge_image(folder: Path) -> Path:
    """Twenty 7000x7000 lossless WebP images of a few KB each."""
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (7000, 7000), (200, 120, 40)).save(out, "WEBP", lossless=True)
    image = out.getvalue()
    headers = [("Content-Type", "image/webp")]
    records = [(f"https://quobble.test/{n}.webp", headers, image) for n in range(20)]
    return _warc(folder / "huge-image.warc.gz", records)


def tiny_chunks(folder: Path) -> Path:
    """A body in 10,000,000 one-byte chunks (about 90 KB compressed)."""
    from hotline.synth.warc import WarcWriter

    body = b"1\r\nx\r\n" * 10_000_000 + b"0\r\n\r\n"
    head = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nTransfer-Encoding: chunked\r\n\r\n"
    path = folder / "chunks.warc.gz"
    with WarcWriter(path, namespace="chunks") as writer:  # framing the body: written raw
        writer.raw_record(
            [
                ("WARC-Type", "response"),
                ("WARC-Record-ID", writer.new_record_id()),
                ("WARC-Date", "2026-03-01T12:00:00Z"),
                ("WARC-Target-URI", "https://quobble.test/"),
                ("Content-Type", "application/http; msgtype=response"),
                ("Content-Length", str(len(head) + len(body))),
            ],
            head + body,
        )
    return path


def media_bomb(folder: Path) -> Path:
    """A PNG whose Content-Encoding: gzip inflates past 64 MiB."""
    bomb = _gzip(b"\x89PNG\r\n\x1a\n" + b"\x00" * (65 * 1024 * 1024))
    headers = [("Content-Type", "image/png"), ("Content-Encoding", "gzip")]
    return _warc(folder / "media-bomb.warc.gz", [("https://quobble.test/a.png", headers, bomb)])


CASES: dict[str, Callable[[Path], Path]] = {
    "lying_media": lying_media,
    "lt_a": lt_a,
    "div_slash": div_slash,
    "attributes": attributes,
    "mailto_flood": mailto_flood,
    "huge_image": huge_image,
    "tiny_chunks": tiny_chunks,
    "media_bomb": media_bomb,
}


def _hotline() -> list[str]:
    return [sys.executable, "-m", "hotline.cli.app"]


def run_case(name: str, folder: Path) -> dict[str, object]:
    made = CASES[name](folder)
    database = folder / f"{name}.sqlite"
    db = f"sqlite:///{database}"
    subprocess.run([*_hotline(), "--db", db, "init"], check=True, capture_output=True)
    command = [*_hotline(), "--quiet", "--db", db, "ingest", "captures", "--workers", "1"]
    started = time.perf_counter()
    child = subprocess.Popen(
        [*command, str(made)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    peak_mb = usage.ru_maxrss / 1024
    return {
        "case": name,
        "input_kb": made.stat().st_size / 1024,
        "seconds": seconds,
        "peak_mb": peak_mb,
        "exit": child.returncode,
        "within": seconds <= BUDGET_SECONDS and peak_mb <= BUDGET_MB,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--case", action="append", choices=sorted(CASES))
    parser.add_argument("--list", action="store_true")
    args = parser.parse_args()
    if args.list:
        for name, make in CASES.items():
            print(f"{name:14} {(make.__doc__ or '').strip()}")
        return
    names = args.case or list(CASES)
    print(f"{'case':14} {'input':>9} {'seconds':>8} {'peak RSS':>9} {'exit':>4}  budget")
    with tempfile.TemporaryDirectory(prefix="hotline-hostile-") as tmp:
        for name in names:
            row = run_case(name, Path(tmp))
            print(
                f"{row['case']:14} {row['input_kb']:>7.0f}KB {row['seconds']:>8.2f} "
                f"{row['peak_mb']:>6.0f} MB {row['exit']:>4}  "
                + ("within" if row["within"] else "OVER")
            )
    print(f"budget per case: ≤ {BUDGET_SECONDS:.0f} s and ≤ {BUDGET_MB} MB peak RSS")


if __name__ == "__main__":
    main()
