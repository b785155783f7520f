"""INTERPOL ICSE CSV exports, in the column layout documented in docs/hashes.md (assumed,
to verify against a real export)."""

from __future__ import annotations

import hashlib
from pathlib import Path

from hotline.hashes.entries import Entry, Problem
from hotline.hashes.formats import ListFormat, detect_format, read_list
from hotline.hashes.signals import SignalKind

VECTORS = Path(__file__).parent / "vectors" / "hashlists"


def md5(i: int) -> str:
    return hashlib.md5(f"sample-{i}".encode(), usedforsecurity=False).hexdigest()


def sha1(i: int) -> str:
    return hashlib.sha1(f"sample-{i}".encode(), usedforsecurity=False).hexdigest()


def test_icse_vector() -> None:
    path = VECTORS / "icse.csv"
    assert detect_format(path) is ListFormat.ICSE
    items = list(read_list(path))
    entries = [item for item in items if isinstance(item, Entry)]
    problems = [item for item in items if isinstance(item, Problem)]
    first = [e for e in entries if e.external_id == "1001"]
    assert [(e.kind, e.series, e.classification) for e in first] == [
        (SignalKind.MD5, "series-four", None),
        (SignalKind.SHA1, "series-four", None),
        (SignalKind.PHOTODNA, "series-four", None),
    ]
    assert first[0].value == md5(11)  # upper case in the file
    assert Entry(SignalKind.MD5, md5(12), None, None, "1002") in entries
    # line 4: a bad MD5 is reported, the SHA1 of the same row is kept
    assert [(p.line, p.code) for p in problems] == [(4, "bad_value")]
    assert Entry(SignalKind.SHA1, sha1(12), None, "series-four", "1003") in entries


def test_icse_category_column_is_read_when_present(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_text(f"MD5;Image ID;Series name;Category\n{md5(1)};7;;2\n", encoding="utf-8")
    (entry,) = read_list(path)
    assert entry == Entry(SignalKind.MD5, md5(1), ("icse", "2"), None, "7")


def test_icse_forced_on_a_plain_wide_file(tmp_path: Path) -> None:
    path = tmp_path / "plain.csv"
    path.write_text(f"md5\n{md5(1)}\n", encoding="utf-8")
    assert list(read_list(path, "icse")) == [Entry(SignalKind.MD5, md5(1))]
