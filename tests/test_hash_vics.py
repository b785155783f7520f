"""Project VIC (VICS) JSON lists: 1.3 and 2.0, hash sets and case exports, hostile
documents, and reading in the memory of one record."""

from __future__ import annotations

import hashlib
import io
import tracemalloc
from pathlib import Path

import orjson
import pytest

from hotline.hashes import jsonscan
from hotline.hashes.entries import Entry, Found, Problem
from hotline.hashes.formats import ListFormat, detect_format, read_list
from hotline.hashes.signals import SignalKind
from hotline.hashes.vics import CONTEXT_2_0, MAX_RECORD_BYTES, read_vics

VECTORS = Path(__file__).parent / "vectors" / "hashlists"


def md5(i: int) -> str:
    return hashlib.md5(f"sample-{i}".encode(), usedforsecurity=False).hexdigest()


def sha1(i: int) -> str:
    return hashlib.sha1(f"sample-{i}".encode(), usedforsecurity=False).hexdigest()


def sha256(i: int) -> str:
    return hashlib.sha256(f"sample-{i}".encode()).hexdigest()


def vic(category: int) -> tuple[str, str]:
    return ("projectvic", str(category))


def read(path: Path) -> tuple[list[Entry], list[Problem]]:
    items = list(read_list(path))
    return (
        [item for item in items if isinstance(item, Entry)],
        [item for item in items if isinstance(item, Problem)],
    )


def read_bytes(data: bytes) -> list[Found | Problem]:
    return list(read_vics(io.BytesIO(data), "doc.json"))


def problems_of(items: list[Found | Problem]) -> list[tuple[int, str]]:
    return [(item.line, item.code) for item in items if isinstance(item, Problem)]


def test_vics_1_3_hash_set() -> None:
    path = VECTORS / "vics-1.3.json"
    assert detect_format(path) is ListFormat.VICS
    entries, problems = read(path)
    assert entries[0] == Entry(SignalKind.MD5, md5(1), vic(1), "series-one", "1")
    assert [e.kind for e in entries[:3]] == [SignalKind.MD5, SignalKind.SHA1, SignalKind.PHOTODNA]
    assert Entry(SignalKind.MD5, md5(2), vic(0), None, "2") in entries  # empty SHA1 is absent
    assert Entry(SignalKind.SHA1, sha1(3), vic(2), None, "3") in entries  # bad MD5, SHA1 kept
    assert [(p.line, p.code, p.record) for p in problems] == [
        (5, "bad_value", 3),
        (6, "bad_value", 4),
        (7, "bad_value", 5),
    ]
    assert problems[0].reason == "record 3: md5 must be 32 hexadecimal characters, got 31"
    assert "no MD5, SHA1" in problems[1].reason
    assert "Category" in problems[2].reason


def test_vics_2_0_hash_set() -> None:
    entries, problems = read(VECTORS / "vics-2.0-hashset.json")
    first = [e for e in entries if e.external_id == "10"]
    assert [e.kind for e in first] == [
        SignalKind.MD5,
        SignalKind.SHA1,
        SignalKind.SHA256,  # from AlternativeHashes
        SignalKind.PHOTODNA,  # from AlternativeHashes
    ]
    assert {e.classification for e in first} == {vic(1)}
    assert Entry(SignalKind.SHA256, sha256(7), None, None, "11") in entries  # Category null
    assert Entry(SignalKind.MD5, md5(9), vic(3), None, "15") in entries  # after bad records
    assert [(p.line, p.code) for p in problems] == [
        (24, "conflicting_classification"),
        (29, "duplicate"),
        (34, "not_an_object"),
        (35, "bad_json"),
    ]
    assert "line 24" in problems[0].reason
    assert "line 4" in problems[0].reason
    assert "trailing comma" in problems[3].reason


def test_vics_2_0_case_export() -> None:
    entries, problems = read(VECTORS / "vics-2.0-case.json")
    assert entries == [
        Entry(SignalKind.MD5, md5(10), vic(1), None, "1"),
        Entry(SignalKind.SHA1, sha1(10), vic(1), None, "1"),
        Entry(SignalKind.MD5, md5(11), vic(0), None, "2"),
    ]
    assert [(p.line, p.code, p.record) for p in problems] == [(24, "bad_value", 3)]
    assert "md5 must be a string" in problems[0].reason


def test_without_a_context_media_and_cases_are_told_apart() -> None:
    doc = {
        "value": [
            {"MD5": md5(1), "Category": 1},
            {"CaseID": "c", "Media": [{"MD5": md5(2)}]},
            {"CaseID": "d"},
        ]
    }
    items = read_bytes(orjson.dumps(doc))
    found = [item.entry for item in items if isinstance(item, Found)]
    assert found == [Entry(SignalKind.MD5, md5(1), vic(1)), Entry(SignalKind.MD5, md5(2))]
    assert [item.code for item in items if isinstance(item, Problem)] == ["bad_value"]  # no hash


def test_members_after_value_and_unknown_members() -> None:
    data = b'{"value":[{"MD5":"%s"}],"extra":{"a":[1,2]},"@odata.context":"x#Media"}' % (
        md5(1).encode()
    )
    assert read_bytes(data) == [Found(1, Entry(SignalKind.MD5, md5(1)))]


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"", "bad_json"),
        (b"[]", "bad_json"),
        (b"{}", "no_value"),
        (b'{"value": 3}', "bad_json"),
        (b'{"value": [', "bad_json"),
        (b'{"value": [{"MD5": "abc', "bad_json"),
        (b'{"value": []} trailing', "trailing_data"),
        (b'{"value": [] "x": 1}', "bad_json"),
        (b'\xef\xbb\xbf{"value": [{"MD5": "\xff\xfe"}]}', "bad_json"),
    ],
)
def test_broken_documents_are_located_problems(data: bytes, code: str) -> None:
    items = read_bytes(data)
    assert code in [item.code for item in items if isinstance(item, Problem)]


# --- hostile input --------------------------------------------------------------------


def test_a_nesting_bomb_is_counted_not_recursed() -> None:
    depth = 200_000
    bomb = b"[" * depth + b"]" * depth
    data = b'{"value":[' + bomb + b',{"MD5":"' + md5(1).encode() + b'"}]}'
    items = read_bytes(data)
    assert problems_of(items) == [(1, "too_deep")]
    assert [item.entry.value for item in items if isinstance(item, Found)] == [md5(1)]


def test_an_unclosed_nesting_bomb() -> None:
    items = read_bytes(b'{"value":[' + b"{" * 100_000)
    assert problems_of(items) == [(1, "bad_json")]


def test_a_deep_member_in_a_record() -> None:
    data = b'{"@odata.context":"x#Media","value":[{"MD5":"%s","Exifs":%s}]}' % (
        md5(1).encode(),
        b"[" * 40 + b"]" * 40,
    )
    assert problems_of(read_bytes(data)) == [(1, "too_deep")]


def test_a_huge_record_is_read_past() -> None:
    padding = "x" * (MAX_RECORD_BYTES + 100)
    doc = {
        "@odata.context": CONTEXT_2_0,
        "value": [{"MD5": md5(1), "Comments": padding}, {"MD5": md5(2)}],
    }
    items = read_bytes(orjson.dumps(doc))
    assert problems_of(items) == [(1, "record_too_large")]
    assert [item.entry.value for item in items if isinstance(item, Found)] == [md5(2)]


def test_a_huge_string_without_an_end_does_not_grow_memory() -> None:
    data = b'{"@odata.context":"x#Media","value":[{"MD5":"' + b"a" * (8 * MAX_RECORD_BYTES)
    tracemalloc.start()
    items = read_bytes(data)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert problems_of(items) == [(1, "bad_json")]
    assert peak < 5 * MAX_RECORD_BYTES + len(data)  # the input itself is in memory here


def test_binary_garbage_after_the_start() -> None:
    data = b'{"value":[' + bytes(range(256)) * 8
    items = read_bytes(data)
    assert items
    assert all(isinstance(item, Problem) for item in items)


def test_many_records_stream_in_bounded_memory(tmp_path: Path) -> None:
    path = tmp_path / "big.json"
    count = 20_000
    with path.open("wb") as handle:
        handle.write(b'{"@odata.context":"' + CONTEXT_2_0.encode() + b'","value":[')
        for i in range(count):
            record = {"MediaID": i, "Category": 1, "MD5": f"{i:032X}", "SHA1": f"{i:040x}"}
            handle.write((b"," if i else b"") + orjson.dumps(record) + b"\n")
        handle.write(b"]}")
    tracemalloc.start()
    total = 0
    with path.open("rb") as handle:
        for item in read_vics(handle, str(path)):
            assert isinstance(item, Found)
            total += 1
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert total == 2 * count
    assert path.stat().st_size > 2_000_000
    assert peak < 4 * (1 << 20)  # a chunk and a record, not the document


@pytest.mark.parametrize("chunk", [1, 2, 5, 13, 100])
@pytest.mark.parametrize("name", ["vics-1.3.json", "vics-2.0-hashset.json", "vics-2.0-case.json"])
def test_chunk_boundaries_do_not_change_the_result(
    monkeypatch: pytest.MonkeyPatch, chunk: int, name: str
) -> None:
    data = (VECTORS / name).read_bytes()
    expected = read_bytes(data)
    monkeypatch.setattr(jsonscan, "_CHUNK", chunk)
    assert read_bytes(data) == expected


def test_escaped_quotes_and_backslashes_across_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    doc = {"value": [{"MD5": md5(1), "Series": 'a "b" \\ c ] } \\"'}, {"MD5": md5(2)}]}
    data = orjson.dumps(doc)
    for chunk in (1, 2, 3):
        monkeypatch.setattr(jsonscan, "_CHUNK", chunk)
        found = [item.entry for item in read_bytes(data) if isinstance(item, Found)]
        assert found == [
            Entry(SignalKind.MD5, md5(1), series='a "b" \\ c ] } \\"'),
            Entry(SignalKind.MD5, md5(2)),
        ]
