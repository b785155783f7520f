"""Writing entries back out: long CSV and VICS 2.0 JSON read back to the same entries."""

from __future__ import annotations

import base64
import hashlib
import io
from pathlib import Path

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from hotline.hashes import Entry, Problem, read_list
from hotline.hashes.csvlists import read_csv
from hotline.hashes.entries import deduplicated
from hotline.hashes.export import LONG_COLUMNS, write_long_csv, write_vics
from hotline.hashes.signals import HEX_LENGTHS, SignalKind
from hotline.hashes.vics import read_vics

VECTORS = Path(__file__).parent / "vectors" / "hashlists"


def entries_of(path: Path) -> list[Entry]:
    return [item for item in read_list(path) if isinstance(item, Entry)]


def test_long_csv_round_trip_of_every_vector(tmp_path: Path) -> None:
    for vector in sorted(VECTORS.glob("*.[cjt]s*")):
        entries = entries_of(vector)
        out = tmp_path / f"{vector.stem}.csv"
        with out.open("w", encoding="utf-8", newline="") as handle:
            assert write_long_csv(entries, handle) == len(entries)
        items = list(read_list(out))
        assert items == entries, vector.name


def test_long_csv_shape() -> None:
    handle = io.StringIO()
    entry = Entry(SignalKind.PDQ, "0" * 64, ("example", "a"), "s", "id-1", 90)
    write_long_csv([entry], handle)
    assert handle.getvalue().splitlines() == [
        ",".join(LONG_COLUMNS),
        f"pdq,{'0' * 64},example,a,s,id-1,90",
    ]


def test_vics_round_trip_of_the_vics_vectors(tmp_path: Path) -> None:
    for name in ("vics-1.3.json", "vics-2.0-hashset.json", "vics-2.0-case.json"):
        entries = entries_of(VECTORS / name)
        out = tmp_path / name
        with out.open("wb") as handle:
            summary = write_vics(entries, handle)
        assert summary.entries == len(entries)
        assert not summary.lost
        assert entries_of(out) == entries, name


def test_vics_groups_a_records_hashes_and_writes_the_2_0_shape() -> None:
    entries = entries_of(VECTORS / "vics-2.0-hashset.json")
    handle = io.BytesIO()
    summary = write_vics(entries, handle)
    doc = orjson.loads(handle.getvalue())
    assert doc["@odata.context"].endswith("/2.0.xml/Default/$metadata#Media")
    first = doc["value"][0]
    assert first["MediaID"] == "10"
    assert first["Category"] == 1
    assert set(first) >= {"MD5", "SHA1", "SHA256", "PhotoDNA", "Series"}
    assert first["MD5"] == first["MD5"].upper()
    assert summary.records == len(doc["value"]) == 3


def test_vics_says_what_it_cannot_write(tmp_path: Path) -> None:
    entries = [
        Entry(SignalKind.MD5, "a" * 32, ("example", "a")),
        Entry(SignalKind.PDQ, "b" * 64, None, None, None, 80),
    ]
    out = tmp_path / "out.json"
    with out.open("wb") as handle:
        summary = write_vics(entries, handle)
    assert len(summary.lost) == 2
    assert "classification example:a" in summary.lost[0]
    assert "pdq_quality 80" in summary.lost[1]
    assert entries_of(out) == [
        Entry(SignalKind.MD5, "a" * 32),
        Entry(SignalKind.PDQ, "b" * 64),  # PDQ travels as an alternative hash
    ]


def test_empty_lists(tmp_path: Path) -> None:
    out = tmp_path / "empty.json"
    with out.open("wb") as handle:
        assert write_vics([], handle).records == 0
    assert list(read_list(out)) == []
    csv_out = tmp_path / "empty.csv"
    with csv_out.open("w", encoding="utf-8", newline="") as handle:
        write_long_csv([], handle)
    assert list(read_list(csv_out)) == []


text = (
    st.text(
        alphabet=st.characters(
            min_codepoint=0x20, max_codepoint=0x2FF, blacklist_characters="\x7f"
        ),
        min_size=1,
        max_size=20,
    )
    .map(str.strip)
    .filter(bool)
)


@st.composite
def an_entry(draw: st.DrawFn, index: int) -> Entry:
    kind = draw(st.sampled_from(list(SignalKind)))
    seed = f"sample-{index}".encode()
    if kind is SignalKind.PHOTODNA:
        value = base64.b64encode(hashlib.sha512(seed).digest() * 2 + seed[:16]).decode()
    else:
        value = hashlib.sha256(seed).hexdigest()[: HEX_LENGTHS[kind]]
    code = draw(st.integers(min_value=0, max_value=9).map(str))
    return Entry(
        kind,
        value,
        draw(st.none() | st.just(("projectvic", code))),
        draw(st.none() | text),
        draw(st.none() | st.integers(min_value=1, max_value=10**6).map(str)),
        None,
    )


@st.composite
def entry_lists(draw: st.DrawFn) -> list[Entry]:
    size = draw(st.integers(min_value=0, max_value=12))
    return [draw(an_entry(index)) for index in range(size)]


@settings(max_examples=40, deadline=None)
@given(entry_lists())
def test_round_trips_of_generated_entries(entries: list[Entry]) -> None:
    handle = io.BytesIO()
    write_vics(entries, handle)
    back = list(_read_vics_bytes(handle.getvalue()))
    assert [item for item in back if isinstance(item, Problem)] == []
    assert back == entries
    text_handle = io.StringIO(newline="")
    write_long_csv(entries, text_handle)
    raw = io.BytesIO(text_handle.getvalue().encode())
    assert list(deduplicated(read_csv(raw, "f"), "f")) == entries


def _read_vics_bytes(data: bytes) -> list[Entry | Problem]:
    return list(deduplicated(read_vics(io.BytesIO(data), "f"), "f"))
