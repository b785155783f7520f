"""Telling hash-list formats apart, refusing what is none, and one entry per signal."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from hotline.hashes import Entry, ListFormat, ListFormatError, Problem, detect_format, read_list
from hotline.hashes.entries import Found, deduplicated
from hotline.hashes.signals import SignalKind

VECTORS = Path(__file__).parent / "vectors" / "hashlists"


def md5(i: int) -> str:
    return hashlib.md5(f"sample-{i}".encode(), usedforsecurity=False).hexdigest()


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("long.csv", ListFormat.CSV),
        ("wide-semicolon.csv", ListFormat.CSV),
        ("wide-tab.tsv", ListFormat.CSV),
        ("icse.csv", ListFormat.ICSE),
        ("vics-1.3.json", ListFormat.VICS),
        ("vics-2.0-hashset.json", ListFormat.VICS),
        ("vics-2.0-case.json", ListFormat.VICS),
    ],
)
def test_every_vector_is_detected(name: str, expected: ListFormat) -> None:
    assert detect_format(VECTORS / name) is expected


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty"),
        (b"  \n", "empty"),
        (b"[1, 2]", "JSON array"),
        (bytes(range(256)), "binary"),
        ("kind,value\n".encode("utf-16"), "UTF-16"),
        (b"\xff\xfe\xfd\n", "UTF-16"),
        (b"caf\xe9,x\n", "not UTF-8"),
        (b"name,colour\n", "not a known hash list"),
    ],
)
def test_unrecognisable_files_are_refused_clearly(
    tmp_path: Path, content: bytes, message: str
) -> None:
    path = tmp_path / "list.txt"
    path.write_bytes(content)
    with pytest.raises(ListFormatError, match=message):
        read_list(path)


def test_a_json_file_that_is_not_vics_says_so(tmp_path: Path) -> None:
    path = tmp_path / "list.json"
    path.write_text("hello\n", encoding="utf-8")
    with pytest.raises(ListFormatError, match="VICS object"):
        detect_format(path)


def test_an_unknown_format_name(tmp_path: Path) -> None:
    with pytest.raises(ListFormatError, match=r"unknown hash-list format 'xml'.*csv, icse, vics"):
        read_list(VECTORS / "long.csv", "xml")


def test_format_names_are_case_insensitive() -> None:
    assert list(read_list(VECTORS / "icse.csv", "ICSE")) == list(read_list(VECTORS / "icse.csv"))
    assert list(read_list(VECTORS / "vics-1.3.json", ListFormat.VICS))


def test_a_forced_wrong_format_gives_problems_not_a_crash() -> None:
    items = list(read_list(VECTORS / "long.csv", "vics"))
    assert [(p.line, p.code) for p in items if isinstance(p, Problem)] == [(1, "bad_json")]
    items = list(read_list(VECTORS / "vics-1.3.json", "csv"))
    assert items
    assert all(isinstance(item, Problem) for item in items)


def test_a_missing_file_raises_oserror(tmp_path: Path) -> None:
    with pytest.raises(OSError, match="absent"):
        read_list(tmp_path / "absent.csv")


# --- duplicates -----------------------------------------------------------------------


def test_repeats_are_reported_once_and_conflicts_every_time() -> None:
    a, b = ("example", "a"), ("example", "b")
    found: list[Found | Problem] = [
        Found(1, Entry(SignalKind.MD5, md5(1), a)),
        Found(2, Entry(SignalKind.MD5, md5(1), a, series="other")),  # same classification
        Found(3, Entry(SignalKind.MD5, md5(1), a)),
        Found(4, Entry(SignalKind.MD5, md5(1), b)),
        Found(5, Entry(SignalKind.MD5, md5(1))),
        Found(6, Entry(SignalKind.SHA256, md5(1) * 2, a)),  # another kind: its own entry
    ]
    items = list(deduplicated(found, "f.csv"))
    entries = [item for item in items if isinstance(item, Entry)]
    problems = [item for item in items if isinstance(item, Problem)]
    assert entries == [found[0].entry, found[5].entry]  # type: ignore[union-attr]
    assert [(p.line, p.code) for p in problems] == [
        (2, "duplicate"),
        (4, "conflicting_classification"),
        (5, "conflicting_classification"),
    ]
    assert "example:b on line 4 but example:a on line 1" in problems[1].reason
    assert "no classification on line 5" in problems[2].reason
    assert str(problems[0]).startswith("f.csv:2: md5 ")


def test_photodna_values_are_deduplicated_too() -> None:
    value = "QUJD" * 48
    found: list[Found | Problem] = [
        Found(1, Entry(SignalKind.PHOTODNA, value)),
        Found(2, Entry(SignalKind.PHOTODNA, value)),
    ]
    items = list(deduplicated(found, "f"))
    assert [type(item).__name__ for item in items] == ["Entry", "Problem"]
