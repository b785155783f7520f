"""Fuzzing the report-feed readers: mutated CSV and JSON Lines feeds, each read end to end.

    python -m benchmarks.fuzz_reports --count 1000000 --seed 1      # the documented run
    python -m benchmarks.fuzz_reports --count 20000                 # a quick one

Seeds are small valid feeds in both formats (with quoted multi-line notes, extra columns,
big integers, IDN and IP URLs). Each input is a seed with 1–8 random mutations: bytes
flipped, inserted, deleted, truncated, duplicated, and hostile snippets spliced in (stray
quotes, bare CRs, deep JSON nesting, duplicate keys, huge numbers, NUL bytes, terminal
escapes, BOMs, very long fields). Each input is written to a file and read by the real
reader (``FeedReader``), and every record it yields is validated (``parse_report``).

Budgets checked per input: no exception escapes, at most ``--max-seconds`` (1 s) of wall
time; for the run, peak RSS at most 1 GB. The exit code is 0 when there were none, else 1;
the first crash and the first slow input are saved under ``benchmarks/out/fuzz/``.
"""

from __future__ import annotations

import random
import tempfile
from pathlib import Path

from benchmarks import fuzzing
from hotline.intake.readers import FeedReader, Record
from hotline.intake.records import parse_report

_CSV = (
    b"source,source_report_id,reported_at,url,note\r\n"
    b'HL-A,1,2026-01-01T10:00:00Z,https://shop.quobble.test/a?x=1,"two\nlines"\r\n'
    b"HL-A,2,2026-01-02,http://192.0.2.7/b,\r\n"
    b"HL-B,99999999999999999999999,2026-01-03,https://xn--bcher-kva.example/c,plain\n"
)
_JSONL = (
    b'{"source":"HL-A","source_report_id":"1","reported_at":"2026-01-01T10:00:00Z",'
    b'"url":"https://shop.quobble.test/a","extra":{"k":[1,2,3]}}\n'
    b'{"source":"HL-B","source_report_id":123456789012345678901234567890,'
    b'"reported_at":"2026-01-02","url":"http://[2001:db8::1]/x"}\r\n'
    b'{"source":"HL-C","source_report_id":"3","reported_at":"2026-01-03","url":"hxxps://q[.]test"}'
)
_SNIPPETS = [
    b'"',
    b"\r",
    b"[" * 64,
    b'{"a":' * 40,
    b'"url":"x","url":"y",',
    b"1" * 400,
    b"\x00",
    b"\x1b]52;c;AAAA\x07",
    b"\xef\xbb\xbf",
    b"x" * 5000,
    b",,,,,,,,,,",
    b"\n",
    b'"\n"\n"\n',
    b"NaN",
    b"\\ud800",
]


def mutate(rng: random.Random, data: bytes) -> bytes:
    return fuzzing.mutate(
        rng, data, _SNIPPETS, longest_cut=32, longest_piece=200, most_copies=30, most_snippets=20
    )


def read_feed(path: Path, fmt: str) -> int:
    """Every record of the file read and validated; returns how many items came out."""
    items = 0
    for item in FeedReader(path, fmt):
        items += 1
        if isinstance(item, Record):
            parse_report(item.fields)
    return items


def _make(rng: random.Random) -> tuple[str, bytes]:
    fmt = rng.choice(("csv", "jsonl"))
    return fmt, mutate(rng, _CSV if fmt == "csv" else _JSONL)


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="hotline-fuzz-") as tmp:
        path = Path(tmp) / "feed"

        def read(fmt: str, data: bytes) -> int:
            path.write_bytes(data)
            return read_feed(path, fmt)

        fuzzing.run(__doc__.splitlines()[0], lambda _seed: _make, read)


if __name__ == "__main__":
    main()
