"""CSV hash lists, long and wide layouts: entries, located problems, hostile files."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import pytest

from hotline.hashes import csvlists, lines
from hotline.hashes.entries import Entry, Found, Problem
from hotline.hashes.formats import read_list
from hotline.hashes.signals import SignalKind

VECTORS = Path(__file__).parent / "vectors" / "hashlists"
EXAMPLE_A = ("example", "a")


def md5(i: int) -> str:
    return hashlib.md5(f"sample-{i}".encode(), usedforsecurity=False).hexdigest()


def sha1(i: int) -> str:
    return hashlib.sha1(f"sample-{i}".encode(), usedforsecurity=False).hexdigest()


def split(items: list[Entry | Problem]) -> tuple[list[Entry], list[Problem]]:
    entries = [item for item in items if isinstance(item, Entry)]
    problems = [item for item in items if isinstance(item, Problem)]
    return entries, problems


def located(problems: list[Problem]) -> list[tuple[int, str]]:
    return [(problem.line, problem.code) for problem in problems]


def read_text(tmp_path: Path, content: bytes, name: str = "list.csv") -> list[Entry | Problem]:
    path = tmp_path / name
    path.write_bytes(content)
    return list(read_list(path, "csv"))


def test_long_layout_vector() -> None:
    entries, problems = split(list(read_list(VECTORS / "long.csv")))
    assert entries[0] == Entry(SignalKind.MD5, md5(1), EXAMPLE_A, "series-one", "item-1")
    assert entries[1] == Entry(SignalKind.MD5, md5(2), EXAMPLE_A, None, "item-2")  # upper, spaces
    assert entries[2] == Entry(SignalKind.SHA1, sha1(1))
    assert [e.kind for e in entries] == [
        SignalKind.MD5,
        SignalKind.MD5,
        SignalKind.SHA1,
        SignalKind.SHA256,
        SignalKind.PDQ,
        SignalKind.PHOTODNA,
    ]
    assert entries[4].pdq_quality == 87
    assert located(problems) == [
        (8, "bad_value"),
        (9, "bad_value"),
        (10, "duplicate"),
        (11, "conflicting_classification"),
        (12, "bad_value"),
        (13, "bad_value"),
    ]
    first = problems[0]
    assert str(first) == f"{VECTORS / 'long.csv'}:8: md5 must be 32 hexadecimal characters, got 31"
    assert first.raw.startswith("md5,")
    assert "crc32" in problems[1].reason
    assert "line 11" in problems[3].reason
    assert "line 2" in problems[3].reason
    assert "scheme and code" in problems[4].reason


def test_wide_layout_with_semicolons_and_a_bom() -> None:
    entries, problems = split(list(read_list(VECTORS / "wide-semicolon.csv")))
    row_two = [e for e in entries if e.external_id == "item-10"]
    assert [e.kind for e in row_two] == [SignalKind.MD5, SignalKind.SHA1, SignalKind.SHA256]
    assert {e.classification for e in row_two} == {EXAMPLE_A}
    assert {e.series for e in row_two} == {"series-three"}
    row_three = [e for e in entries if e.external_id == "item-11"]  # bad sha1, the rest kept
    assert [(e.kind, e.pdq_quality) for e in row_three] == [
        (SignalKind.MD5, None),
        (SignalKind.PDQ, 92),
    ]
    assert entries[-1] == Entry(
        SignalKind.MD5,
        hashlib.md5(b"sample-8", usedforsecurity=False).hexdigest(),
        None,
        None,
        "item-13",
    )
    assert located(problems) == [(3, "bad_value"), (4, "bad_value"), (5, "wrong_field_count")]
    assert "sha1 must be 40" in problems[0].reason
    assert "no hash" in problems[1].reason


def test_wide_layout_with_tabs() -> None:
    entries, problems = split(list(read_list(VECTORS / "wide-tab.tsv")))
    assert not problems
    assert entries == [
        Entry(SignalKind.MD5, md5(9), EXAMPLE_A),
        Entry(SignalKind.SHA1, sha1(9), EXAMPLE_A),
        Entry(SignalKind.MD5, md5(10)),
    ]


def test_quoted_fields_and_crlf(tmp_path: Path) -> None:
    content = f'kind,value,series\r\nmd5,"{md5(1)}","a, b"\r\n\r\nsha1,{sha1(1)},\r'.encode()
    entries, problems = split(read_text(tmp_path, content))
    assert not problems
    assert entries == [
        Entry(SignalKind.MD5, md5(1), series="a, b"),
        Entry(SignalKind.SHA1, sha1(1)),
    ]


def test_unknown_header_is_one_located_problem(tmp_path: Path) -> None:
    items = read_text(tmp_path, b"name,colour\nx,y\n")
    assert [(p.line, p.code) for p in items if isinstance(p, Problem)] == [(1, "unknown_header")]
    assert len(items) == 1


def test_repeated_header_column(tmp_path: Path) -> None:
    (only,) = read_text(tmp_path, b"md5,md5\n")
    assert isinstance(only, Problem)
    assert "more than once" in only.reason


def test_empty_file(tmp_path: Path) -> None:
    (only,) = read_text(tmp_path, b"\n\n")
    assert isinstance(only, Problem)
    assert only.code == "empty"


# --- hostile input --------------------------------------------------------------------


def test_a_huge_line_is_skipped_and_reading_goes_on(tmp_path: Path) -> None:
    huge = b"md5," + b"a" * (lines.MAX_LINE_BYTES + 10) + b"\n"
    content = b"kind,value\n" + huge + f"md5,{md5(1)}\n".encode()
    entries, problems = split(read_text(tmp_path, content))
    assert entries == [Entry(SignalKind.MD5, md5(1))]
    assert located(problems) == [(2, "line_too_long")]
    assert problems[0].raw == ""


def test_a_huge_last_line_without_line_end(tmp_path: Path) -> None:
    content = f"kind,value\nmd5,{md5(1)}\n".encode() + b"x" * (lines.MAX_LINE_BYTES + 1)
    entries, problems = split(read_text(tmp_path, content))
    assert len(entries) == 1
    assert located(problems) == [(3, "line_too_long")]


def test_wrong_encoding_in_a_row(tmp_path: Path) -> None:
    content = f"kind,value,series\nmd5,{md5(1)},caf\xe9\nmd5,{md5(2)},ok\n".encode("latin-1")
    entries, problems = split(read_text(tmp_path, content))
    assert entries == [Entry(SignalKind.MD5, md5(2), series="ok")]
    assert located(problems) == [(2, "not_utf8")]
    assert "byte 0xE9" in problems[0].reason


def test_utf16_file_is_reported(tmp_path: Path) -> None:
    content = f"kind,value\nmd5,{md5(1)}\n".encode("utf-16")
    (only,) = read_text(tmp_path, content)
    assert isinstance(only, Problem)
    assert "UTF-16" in only.reason


def test_binary_garbage_is_reported_row_by_row(tmp_path: Path) -> None:
    garbage = bytes(range(256)) * 4
    content = b"kind,value\n" + garbage + f"\nmd5,{md5(1)}\n".encode()
    entries, problems = split(read_text(tmp_path, content))
    assert entries == [Entry(SignalKind.MD5, md5(1))]
    assert problems
    assert all(p.code in {"not_utf8", "bad_csv", "wrong_field_count"} for p in problems)


def test_nul_and_unclosed_quote(tmp_path: Path) -> None:
    content = f'kind,value\nmd5,"{md5(1)}\nmd5,{md5(2)}\x00\nmd5,{md5(3)}\n'.encode()
    entries, problems = split(read_text(tmp_path, content))
    assert entries == [Entry(SignalKind.MD5, md5(3))]
    assert located(problems) == [(2, "bad_csv"), (3, "bad_value")]
    assert "got 33" in problems[1].reason


def test_control_characters_and_overlong_text(tmp_path: Path) -> None:
    content = f"kind,value,series\nmd5,{md5(1)},a\x1bb\nmd5,{md5(2)},{'s' * 1001}\n".encode()
    entries, problems = split(read_text(tmp_path, content))
    assert not entries
    assert ["control character" in problems[0].reason, "over the 1,000" in problems[1].reason] == [
        True,
        True,
    ]
    assert problems[1].raw_truncated
    assert len(problems[1].raw) == 256


@pytest.mark.parametrize("chunk", [1, 2, 3, 7, 64])
def test_chunk_boundaries_do_not_change_the_result(
    monkeypatch: pytest.MonkeyPatch, chunk: int
) -> None:
    path = VECTORS / "long.csv"
    expected = list(csvlists.read_csv(path.open("rb"), "f"))
    monkeypatch.setattr(lines, "_CHUNK", chunk)
    with path.open("rb") as handle:
        assert list(csvlists.read_csv(handle, "f")) == expected


def test_line_reader_counts_every_line_end() -> None:
    data = b"a\r\nb\rc\nd"
    got = [(line.number, line.offset, line.data) for line in lines.lines(io.BytesIO(data))]
    assert got == [(1, 0, b"a"), (2, 3, b"b"), (3, 5, b"c"), (4, 7, b"d")]


def test_found_records_keep_their_line() -> None:
    with (VECTORS / "long.csv").open("rb") as handle:
        found = [item for item in csvlists.read_csv(handle, "f") if isinstance(item, Found)]
    assert [item.line for item in found][:3] == [2, 3, 4]
