"""Two shortcuts of reading the store's links, against the plain ways: the SQLite reader of
integer columns (one joined text per chunk, parsed by numpy) against the row-by-row reader,
on tables with gaps in their row ids and any chunk size; values numbered by joined texts
against tuple order."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hotline.attribution.links import _file_database, _integer_rows, _sqlite_integer_rows
from hotline.attribution.table import _sorted
from hotline.store.engine import make_engine

_ROWS = st.lists(
    st.tuples(
        st.integers(-(2**62), 2**62), st.integers(0, 2**40), st.integers(0, 10**6), st.booleans()
    ),
    max_size=60,
)


@settings(max_examples=60, deadline=None)
@given(rows=_ROWS, chunk=st.integers(1, 7))
def test_the_joined_text_reader_reads_what_the_row_reader_reads(
    rows: list[tuple[int, int, int, bool]], chunk: int
) -> None:
    with closing(sqlite3.connect(":memory:")) as connection:
        connection.execute(
            "CREATE TABLE t (a INTEGER NOT NULL, b INTEGER NOT NULL, c INTEGER NOT NULL)"
        )
        connection.executemany("INSERT INTO t VALUES (?, ?, ?)", [r[:3] for r in rows])
        # rows taken out leave gaps in the row ids (chunks are ranges of them)
        gone = [(i + 1,) for i, row in enumerate(rows) if row[3]]
        connection.executemany("DELETE FROM t WHERE rowid = ?", gone)
        cursor = connection.cursor()
        fast = _sqlite_integer_rows(cursor, "t", ("a", "b", "c"), chunk=chunk)
        plain = _integer_rows(cursor, "SELECT a, b, c FROM t ORDER BY rowid", 3)
    assert fast.shape == (len(rows) - len(gone), 3)
    assert fast.dtype == np.int64
    assert np.array_equal(fast, plain)


_KINDS = st.sampled_from(["favicon", "favicon_md5", "ip", "brand_text", "a", "ab"])


@given(st.lists(st.tuples(_KINDS, st.text()), unique=True, max_size=40))
def test_links_are_numbered_in_the_order_of_their_kind_and_value(
    values: list[tuple[str, str]],
) -> None:
    """Values are numbered in (kind, value) order whatever they hold (NUL included), so the
    smallest number of a cluster is its smallest key."""
    ordered, ranks = _sorted(values)
    assert ordered == sorted(values)
    assert [ordered[r] for r in ranks.tolist()] == values


def test_row_ids_written_far_apart_are_read_row_by_row() -> None:
    """A row id set by hand (SQLite then picks the next ones at random) would make a read by
    ranges of row ids run for ever; the rows are read one by one instead, all of them."""
    with closing(sqlite3.connect(":memory:")) as connection:
        connection.execute("CREATE TABLE t (a INTEGER NOT NULL, b INTEGER NOT NULL)")
        connection.executemany("INSERT INTO t VALUES (?, ?)", [(1, 2), (3, 4)])
        connection.execute("INSERT INTO t (rowid, a, b) VALUES (?, 5, 6)", (2**62,))
        connection.execute("INSERT INTO t (rowid, a, b) VALUES (?, 7, 8)", (-5,))
        found = _sqlite_integer_rows(connection.cursor(), "t", ("a", "b"), chunk=10)
        connection.execute("CREATE TABLE u (a INTEGER NOT NULL)")
        nothing = _sqlite_integer_rows(connection.cursor(), "u", ("a",))
    assert sorted(map(tuple, found.tolist())) == [(1, 2), (3, 4), (5, 6), (7, 8)]
    assert nothing.shape == (0, 1)


@pytest.mark.parametrize(
    ("url", "apart"),
    [
        ("sqlite://", False),
        ("sqlite:///:memory:", False),
        ("sqlite:///{tmp}/links.db", True),
    ],
)
def test_links_are_read_on_a_second_connection_only_where_it_sees_the_same_store(
    url: str, apart: bool, tmp_path: Path
) -> None:
    engine = make_engine(url.format(tmp=tmp_path))
    try:
        assert _file_database(engine) is apart
    finally:
        engine.dispose()
