"""Passive DNS in the Common Output Format: one line at a time, then whole files into the store.

The example lines are the ones in ``tests/vectors/passive-dns/README.md`` (a summary of
draft-dulaunoy-dnsop-passive-dns-cof), written inline so each expectation sits next to its
line. Every name is reserved and every address is from a documentation range.
"""

from __future__ import annotations

import gzip
import hashlib
import ipaddress
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from hotline.cli import console
from hotline.hosting.models import HostingObservation
from hotline.hosting.pdns import KEPT_TYPES, PdnsLineError, PdnsRecord, parse_line
from hotline.hosting.pdns_import import MAX_LINE, PdnsImporter
from hotline.quarantine import MAX_RAW_KEPT, QuarantineEntry, entries
from tests.helpers import ask
from tests.test_cli import hotline, summary_value

VECTORS = Path(__file__).parent / "vectors" / "passive-dns"

# The five example lines of the README, byte for byte.
README_LINES: list[bytes] = [
    rb'{"rrname": "www.example.com", "rrtype": "A", "rdata": ["192.0.2.10", "192.0.2.11"], "time_first": 1672531200, "time_last": 1675209600, "count": 42, "bailiwick": "example.com"}',  # noqa: E501
    rb'{"rrname": "mail.example.com.", "rrtype": "AAAA", "rdata": "2001:db8::25", "time_first": 1680307200, "time_last": 1680393600, "count": 3, "sensor_id": "sensor-01"}',  # noqa: E501
    rb'{"rrname": "alias.shop.test", "rrtype": "CNAME", "rdata": ["www.shop.test."], "time_first": 1690000000, "time_last": 1690000000}',  # noqa: E501
    rb'{"rrname": "odd.example.com", "rrtype": 65280, "rdata": ["\\# 4 c6336401"], "time_first": 1700000000, "time_last": 1700003600}',  # noqa: E501
    rb'{"rrname": "example.com", "rrtype": "NS", "rdata": ["ns1.example.com.", "ns2.example.com."], "zone_time_first": 1640995200, "zone_time_last": 1704067200, "count": 1000}',  # noqa: E501
]

REASON_CODES = frozenset(
    {"bad_json", "not_an_object", "missing_field", "bad_rdata", "bad_time", "bad_rrname",
     "bad_rrtype", "not_a_record", "saf_frame", "bad_saf"}
)  # fmt: skip


def at(epoch: int) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


def line_of(**fields: Any) -> bytes:
    return orjson.dumps(fields)


def good(**changes: Any) -> dict[str, Any]:
    """A valid A record; ``changes`` replace fields (``None`` removes one)."""
    document: dict[str, Any] = {
        "rrname": "www.shop.test",
        "rrtype": "A",
        "rdata": ["192.0.2.10"],
        "time_first": 1700000000,
        "time_last": 1700086400,
    }
    for key, value in changes.items():
        if value is None:
            document.pop(key, None)
        else:
            document[key] = value
    return document


@pytest.fixture(autouse=True)
def wide_console(monkeypatch: pytest.MonkeyPatch) -> None:
    """Summary tables are not folded, whatever terminal runs the tests."""
    monkeypatch.setattr(console.out, "_width", 250)
    monkeypatch.setattr(console.err, "_width", 250)
    monkeypatch.setenv("COLUMNS", "250")


# --- the README's example lines ---------------------------------------------------------------


def test_the_inline_lines_are_the_readme_examples() -> None:
    readme = (VECTORS / "README.md").read_bytes()
    block = readme.split(b"## Example lines", 1)[1].split(b"```")[1]
    assert block.strip().splitlines() == README_LINES


def test_readme_line_1_two_a_records_with_count() -> None:
    assert parse_line(README_LINES[0]) == PdnsRecord(
        "www.example.com",
        "A",
        ("192.0.2.10", "192.0.2.11"),
        datetime(2023, 1, 1, tzinfo=UTC),
        datetime(2023, 2, 1, tzinfo=UTC),
        42,
    )


def test_readme_line_2_trailing_dot_and_bare_string_aaaa() -> None:
    assert parse_line(README_LINES[1]) == PdnsRecord(
        "mail.example.com",
        "AAAA",
        ("2001:db8::25",),
        datetime(2023, 4, 1, tzinfo=UTC),
        datetime(2023, 4, 2, tzinfo=UTC),
        3,
    )


def test_readme_line_3_cname_target_loses_its_trailing_dot() -> None:
    assert parse_line(README_LINES[2]) == PdnsRecord(
        "alias.shop.test", "CNAME", ("www.shop.test",), at(1690000000), at(1690000000), 1
    )


def test_readme_line_4_unknown_numeric_type_is_ignored_not_refused() -> None:
    assert parse_line(README_LINES[3]) is None


def test_readme_line_5_zone_times_replace_the_time_fields() -> None:
    assert parse_line(README_LINES[4]) == PdnsRecord(
        "example.com",
        "NS",
        ("ns1.example.com", "ns2.example.com"),
        datetime(2022, 1, 1, tzinfo=UTC),
        datetime(2024, 1, 1, tzinfo=UTC),
        1000,
    )


# --- tolerance where the draft asks for it ----------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "rrtype", "values"),
    [
        ({"rrtype": "a"}, "A", ("192.0.2.10",)),
        ({"rrtype": " aaaa ", "rdata": "2001:DB8:0:0::1"}, "AAAA", ("2001:db8::1",)),
        ({"rrtype": 1}, "A", ("192.0.2.10",)),
        ({"rrtype": 28, "rdata": ["2001:db8::a"]}, "AAAA", ("2001:db8::a",)),
        ({"rrtype": 5, "rdata": "WWW.Shop.TEST."}, "CNAME", ("www.shop.test",)),
        ({"rdata": ["192.0.2.11", "192.0.2.10", "192.0.2.11"]}, "A", ("192.0.2.10", "192.0.2.11")),
    ],
)
def test_rrtype_forms_and_rdata_are_normalised(
    changes: dict[str, Any], rrtype: str, values: tuple[str, ...]
) -> None:
    parsed = parse_line(line_of(**good(**changes)))
    assert parsed is not None
    assert (parsed.rrtype, parsed.values) == (rrtype, values)


@pytest.mark.parametrize("rrtype", ["MX", "TXT", "ptr", 15, 65280, -1])
def test_types_hosting_does_not_use_are_ignored(rrtype: object) -> None:
    assert parse_line(line_of(**good(rrtype=rrtype, rdata=["10 mx.shop.test."]))) is None


def test_unknown_fields_are_tolerated_and_odd_counts_default_to_one() -> None:
    parsed = parse_line(line_of(**good(sensor_id="s-1", origin="https://pdns.example/", x=[1])))
    assert parsed is not None
    assert parsed.count == 1
    for count in (-5, "7", True, 2.5):
        again = parse_line(line_of(**good(count=count)))
        assert again is not None, count
        assert again.count == 1, count
    big = parse_line(line_of(**good(count=2**63)))
    assert big is not None
    assert big.count == 2**62


def test_mixed_case_name_is_lowered_and_spaces_around_it_are_dropped() -> None:
    parsed = parse_line(line_of(**good(rrname="  WWW.Shop.Test.  ")))
    assert parsed is not None
    assert parsed.rrname == "www.shop.test"


# --- rejections -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "code"),
    [
        (b"not json at all", "bad_json"),
        (b'{"rrname": "www.shop.test", ', "bad_json"),
        (b"\xff\xfe{}", "bad_json"),
        (b"", "bad_json"),
        (b'{"rrname": "a.test"} trailing', "bad_json"),
        (b'[{"rrname": "www.shop.test"}]', "not_an_object"),
        (b'"www.shop.test"', "not_an_object"),
        (b"null", "not_an_object"),
        (b"1700000000", "not_an_object"),
    ],
)
def test_lines_that_are_not_one_json_object(line: bytes, code: str) -> None:
    with pytest.raises(PdnsLineError) as caught:
        parse_line(line)
    assert caught.value.code == code
    assert str(caught.value) == caught.value.reason


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"rrname": None}, "missing_field"),
        ({"rrtype": None}, "missing_field"),
        ({"rdata": None}, "missing_field"),
        ({"time_first": None}, "missing_field"),
        ({"time_last": None}, "missing_field"),
        ({"time_first": None, "time_last": None, "zone_time_first": 1700000000}, "missing_field"),
        ({"rdata": ["not-an-ip"]}, "bad_rdata"),
        ({"rdata": ["192.0.2.10", "192.0.2.300"]}, "bad_rdata"),
        ({"rdata": ["2001:db8::1"]}, "bad_rdata"),
        ({"rrtype": "AAAA", "rdata": "192.0.2.10"}, "bad_rdata"),
        ({"rdata": []}, "bad_rdata"),
        ({"rdata": [1]}, "bad_rdata"),
        ({"rdata": {"ip": "192.0.2.10"}}, "bad_rdata"),
        ({"rdata": ["192.0.2.10", None]}, "bad_rdata"),
        ({"time_first": 1700086401}, "bad_time"),
        ({"time_first": "1700000000"}, "bad_time"),
        ({"time_last": True}, "bad_time"),
        ({"time_first": 5}, "bad_time"),
        ({"time_last": 1700086400000}, "bad_time"),  # milliseconds, not seconds
        ({"time_first": -1700000000}, "bad_time"),
        ({"time_first": [1700000000]}, "bad_time"),
        ({"rrname": ""}, "bad_rrname"),
        ({"rrname": "."}, "bad_rrname"),
        ({"rrname": "a" * 64 + ".shop.test"}, "bad_rrname"),
        ({"rrname": "bad name.shop.test"}, "bad_rrname"),
        ({"rrname": "tab\there.shop.test"}, "bad_rrname"),
        ({"rrname": "double..dot.test"}, "bad_rrname"),
        ({"rrname": ".".join(["abcdefghi"] * 26)}, "bad_rrname"),  # 259 characters
        ({"rrname": 42}, "bad_rrname"),
        ({"rrname": "www.shop.test/path"}, "bad_rrname"),
        ({"rrtype": "CNAME", "rdata": ["bad target.test."]}, "bad_rrname"),
        ({"rrtype": True}, "bad_rrtype"),
        ({"rrtype": ""}, "bad_rrtype"),
        ({"rrtype": 1.0}, "bad_rrtype"),
        ({"rrtype": ["A"]}, "bad_rrtype"),
    ],
)
def test_unusable_records_are_refused_with_their_reason_code(
    changes: dict[str, Any], code: str
) -> None:
    with pytest.raises(PdnsLineError) as caught:
        parse_line(line_of(**good(**changes)))
    assert caught.value.code == code, caught.value.reason


def test_a_label_of_63_and_a_name_of_253_characters_are_still_names() -> None:
    longest = ".".join(["a" * 63, "b" * 63, "c" * 63, "d" * 56, "test"])
    assert len(longest) == 253
    parsed = parse_line(line_of(**good(rrname=longest)))
    assert parsed is not None
    assert parsed.rrname == longest


@pytest.mark.parametrize("rdata", ["2001:db8::1%eth0", "fe80::1%1", "2001:db8::1%\x00"])
def test_a_scoped_ipv6_address_is_not_aaaa_rdata(rdata: str) -> None:
    with pytest.raises(PdnsLineError) as caught:
        parse_line(line_of(**good(rrtype="AAAA", rdata=[rdata])))
    assert caught.value.code == "bad_rdata"


# --- properties -------------------------------------------------------------------------------

_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**64 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30)
)
_json_like = st.recursive(
    _scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=12,
)
_cof_keys = st.sampled_from(
    ["rrname", "rrtype", "rdata", "time_first", "time_last", "zone_time_first",
     "zone_time_last", "count"]
)  # fmt: skip
# Objects that use the COF keys with arbitrary values reach the deeper checks.
_cof_like = st.dictionaries(_cof_keys | st.text(max_size=6), _json_like, max_size=8)
_plausible = st.fixed_dictionaries(
    {
        "rrname": st.sampled_from(["www.shop.test", "", "a b.test", "x.example."]) | _json_like,
        "rrtype": st.sampled_from(["A", "AAAA", "CNAME", "NS", "MX", 1, 28, 65280]) | _json_like,
        "rdata": st.lists(
            st.sampled_from(["192.0.2.1", "2001:db8::1", "ns.shop.test.", ""]) | st.text(),
            max_size=3,
        )
        | _json_like,
        "time_first": st.integers(min_value=900_000_000, max_value=4_200_000_000) | _json_like,
        "time_last": st.integers(min_value=900_000_000, max_value=4_200_000_000) | _json_like,
    }
)


def _outcome(line: bytes) -> PdnsRecord | None:
    refusal: PdnsLineError | None = None
    try:
        parsed = parse_line(line)
    except PdnsLineError as error:
        refusal, parsed = error, None
    if refusal is not None:
        assert refusal.code in REASON_CODES, refusal.code
        assert refusal.reason
        return None
    if parsed is not None:
        assert parsed.rrtype in KEPT_TYPES
        assert parsed.values
        assert list(parsed.values) == sorted(set(parsed.values))
        assert parsed.first_seen <= parsed.last_seen
        assert parsed.rrname == parsed.rrname.lower()
        assert not parsed.rrname.endswith(".")
        assert 1 <= len(parsed.rrname) <= 253
    return parsed


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200))
def test_arbitrary_bytes_give_a_record_none_or_a_line_error(line: bytes) -> None:
    _outcome(line)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_json_like | _cof_like | _plausible)
def test_arbitrary_json_gives_a_record_none_or_a_line_error(document: Any) -> None:
    _outcome(orjson.dumps(document))


_label = st.from_regex(r"[a-z0-9](?:[a-z0-9-]{0,20}[a-z0-9])?", fullmatch=True)


@settings(max_examples=200, deadline=None)
@given(
    address=st.integers(min_value=0, max_value=2**32 - 1).map(ipaddress.IPv4Address),
    label=_label,
    dotted=st.booleans(),
    upper=st.booleans(),
    first=st.integers(min_value=946_684_800, max_value=4_102_444_800),
    span=st.integers(min_value=0, max_value=10 * 365 * 86400),
    count=st.integers(min_value=0, max_value=2**40),
    bare=st.booleans(),
)
def test_a_valid_a_record_round_trips(
    address: ipaddress.IPv4Address,
    label: str,
    dotted: bool,
    upper: bool,
    first: int,
    span: int,
    count: int,
    bare: bool,
) -> None:
    last = min(first + span, 4_102_444_800)
    name = f"{label}.shop.test"
    written = (name.upper() if upper else name) + ("." if dotted else "")
    rdata: str | list[str] = str(address) if bare else [str(address)]
    line = line_of(
        rrname=written, rrtype="A", rdata=rdata, time_first=first, time_last=last, count=count
    )
    assert parse_line(line) == PdnsRecord(name, "A", (str(address),), at(first), at(last), count)


# --- the importer, on both backends -----------------------------------------------------------


def cof(name: str, rrtype: str, rdata: list[str], first: int, last: int) -> bytes:
    return line_of(rrname=name, rrtype=rrtype, rdata=rdata, time_first=first, time_last=last)


OVERLONG = b'{"rrname": "' + b"x" * (MAX_LINE + 100) + b'"}'
MIXED_LINES: list[bytes] = [
    cof("www.alpha.test.", "A", ["192.0.2.10", "192.0.2.11"], 1700000000, 1700100000)
    + b"\r\n",  # 1: two observations, CRLF
    b"\r\n",  # 2: blank
    b"{oops\r\n",  # 3: bad_json
    cof("alpha.test", "AAAA", ["2001:db8::10"], 1700000000, 1700100000) + b"\n",  # 4
    cof("alpha.test", "MX", ["10 mx.alpha.test."], 1700000000, 1700000000)
    + b"\n",  # 5: ignored type
    OVERLONG + b"\n",  # 6: line_too_long
    cof("beta.example", "A", ["2001:db8::1"], 1700000000, 1700000000) + b"\r\n",  # 7: bad_rdata
    b"   \t \n",  # 8: blank
    cof("www.beta.example", "CNAME", ["beta.example."], 1700000000, 1700000500),  # 9, no EOL
]
MIXED = b"".join(MIXED_LINES)
REFUSED = {3: "bad_json", 6: "line_too_long", 7: "bad_rdata"}
ROWS = {
    ("www.alpha.test", "A", "192.0.2.10"),
    ("www.alpha.test", "A", "192.0.2.11"),
    ("alpha.test", "AAAA", "2001:db8::10"),
    ("www.beta.example", "CNAME", "beta.example"),
}


def offset_of(line: int) -> int:
    return sum(len(chunk) for chunk in MIXED_LINES[: line - 1])


def observation_rows(engine: Engine) -> list[HostingObservation]:
    with Session(engine) as session:
        return list(session.scalars(select(HostingObservation).order_by(HostingObservation.id)))


def quarantine_count(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(
            connection.execute(select(func.count()).select_from(QuarantineEntry)).scalar_one()
        )


def check_mixed_summary(importer: PdnsImporter, path: Path) -> None:
    summary = importer.ingest(path)
    assert summary.file == str(path)
    assert summary.lines == 9
    assert summary.records == 3
    assert summary.observations == 4
    assert summary.ignored_types == 1
    assert summary.rejected == 3
    assert summary.rejected_by_code == Counter(REFUSED.values())


def test_a_mixed_file_and_its_gzip_copy(engine: Engine, tmp_path: Path) -> None:
    plain = tmp_path / "mixed.jsonl"
    plain.write_bytes(MIXED)
    packed = tmp_path / "mixed.jsonl.gz"
    packed.write_bytes(gzip.compress(MIXED))
    importer = PdnsImporter(engine)

    check_mixed_summary(importer, plain)
    rows = observation_rows(engine)
    assert {(r.host, r.rrtype, r.value) for r in rows} == ROWS
    assert len(rows) == 4
    first = {(r.host, r.value): r for r in rows}
    www = first[("www.alpha.test", "192.0.2.10")]
    assert (www.site_key, www.source, www.status) == ("alpha.test", "pdns", "ok")
    assert (www.first_seen, www.last_seen) == (at(1700000000), at(1700100000))
    assert first[("www.beta.example", "beta.example")].site_key == "beta.example"

    stored = ask(engine, entries, limit=None)
    assert [(e.file, e.line, e.reason_code) for e in stored] == [
        (str(plain), number, code) for number, code in REFUSED.items()
    ]
    by_line = {e.line: e for e in stored}
    assert all(e.kind == "pdns" for e in stored)
    assert [e.byte_offset for e in stored] == [offset_of(n) for n in REFUSED]
    assert by_line[3].raw == b"{oops"
    assert not by_line[3].raw_truncated
    assert by_line[6].raw_truncated
    assert len(by_line[6].raw) == MAX_RAW_KEPT
    assert by_line[6].raw == OVERLONG[:MAX_RAW_KEPT]
    assert by_line[7].raw == MIXED_LINES[6].strip()
    assert by_line[7].raw_digest == hashlib.sha256(MIXED_LINES[6].strip()).digest()

    # The same file again: nothing new, not even in the quarantine.
    check_mixed_summary(importer, plain)
    assert len(observation_rows(engine)) == 4
    assert quarantine_count(engine) == 3

    # The gzip copy: the same lines, the same observation rows, its own quarantine entries.
    check_mixed_summary(importer, packed)
    assert {(r.host, r.rrtype, r.value) for r in observation_rows(engine)} == ROWS
    assert len(observation_rows(engine)) == 4
    gz_entries = ask(engine, entries, file="mixed.jsonl.gz", limit=None)
    assert [(e.file, e.line, e.byte_offset, e.reason_code) for e in gz_entries] == [
        (str(packed), n, offset_of(n), code) for n, code in REFUSED.items()
    ]
    assert quarantine_count(engine) == 6
    check_mixed_summary(importer, packed)
    assert quarantine_count(engine) == 6


def test_a_wider_sighting_widens_the_row_and_a_narrower_one_changes_nothing(
    engine: Engine, tmp_path: Path
) -> None:
    importer = PdnsImporter(engine)
    first = tmp_path / "first.jsonl"
    first.write_bytes(cof("www.gamma.shop.test", "A", ["198.51.100.7"], 1700000000, 1700050000))
    wider = tmp_path / "wider.jsonl"
    wider.write_bytes(
        cof("WWW.gamma.shop.test.", "A", ["198.51.100.7"], 1690000000, 1710000000) + b"\n"
    )
    narrower = tmp_path / "narrower.jsonl"
    narrower.write_bytes(
        cof("www.gamma.shop.test", "A", ["198.51.100.7"], 1695000000, 1705000000) + b"\n"
    )
    later = tmp_path / "later.jsonl"
    later.write_bytes(
        cof("www.gamma.shop.test", "A", ["198.51.100.7"], 1720000000, 1730000000) + b"\n"
    )

    assert importer.ingest(first).records == 1
    [row] = observation_rows(engine)
    assert (row.first_seen, row.last_seen) == (at(1700000000), at(1700050000))

    assert importer.ingest(wider).records == 1
    [widened] = observation_rows(engine)
    assert widened.id == row.id
    assert (widened.first_seen, widened.last_seen) == (at(1690000000), at(1710000000))

    importer.ingest(narrower)
    [same] = observation_rows(engine)
    assert (same.first_seen, same.last_seen) == (at(1690000000), at(1710000000))

    importer.ingest(later)
    [stretched] = observation_rows(engine)
    assert stretched.id == row.id
    assert (stretched.first_seen, stretched.last_seen) == (at(1690000000), at(1730000000))
    assert quarantine_count(engine) == 0


def test_repeated_sightings_inside_one_file_fold_into_one_row(
    engine: Engine, tmp_path: Path
) -> None:
    path = tmp_path / "repeats.jsonl"
    path.write_bytes(
        cof("delta.shop.test", "A", ["203.0.113.5"], 1700000000, 1700000100)
        + b"\n"
        + cof("delta.shop.test", "A", ["203.0.113.5"], 1699000000, 1700000000)
        + b"\n"
    )
    summary = PdnsImporter(engine).ingest(path)
    assert (summary.records, summary.rejected) == (2, 0)
    [row] = observation_rows(engine)
    assert (row.first_seen, row.last_seen) == (at(1699000000), at(1700000100))


def test_a_truncated_gzip_keeps_the_lines_before_the_cut(engine: Engine, tmp_path: Path) -> None:
    total = 3000
    lines = [
        cof(
            f"n{number:05d}-{hashlib.sha256(str(number).encode()).hexdigest()[:24]}.shop.test",
            "A",
            [f"198.51.100.{number % 256}"],
            1700000000,
            1700000000 + number,
        )
        + b"\n"
        for number in range(total)
    ]
    packed = gzip.compress(b"".join(lines))
    cut = tmp_path / "cut.jsonl.gz"
    cut.write_bytes(packed[: len(packed) // 2])

    summary = PdnsImporter(engine).ingest(cut)
    assert 0 < summary.records < total
    assert summary.records == summary.lines  # no partial line is counted
    assert summary.rejected == 1
    assert summary.rejected_by_code == Counter({"truncated_file": 1})
    hosts = sorted(row.host for row in observation_rows(engine))
    assert hosts == sorted(line.split(b'"')[3].decode() for line in lines[: summary.records])
    [refusal] = ask(engine, entries, limit=None)
    assert (refusal.file, refusal.line, refusal.reason_code, refusal.raw) == (
        str(cut),
        summary.lines + 1,
        "truncated_file",
        b"",
    )
    assert "compressed stream" in refusal.reason

    again = PdnsImporter(engine).ingest(cut)
    assert (again.records, again.rejected) == (summary.records, 1)
    assert len(observation_rows(engine)) == summary.records
    assert quarantine_count(engine) == 1


@pytest.mark.parametrize("scope", ["x" * 300, "\x00"])
def test_a_scoped_aaaa_rdata_is_quarantined_not_stored(
    engine: Engine, tmp_path: Path, scope: str
) -> None:
    path = tmp_path / "scoped.jsonl"
    path.write_bytes(
        cof("epsilon.shop.test", "A", ["192.0.2.20"], 1700000000, 1700000000)
        + b"\n"
        + cof("epsilon.shop.test", "AAAA", [f"2001:db8::20%{scope}"], 1700000000, 1700000000)
        + b"\n"
    )
    summary = PdnsImporter(engine).ingest(path)
    assert (summary.records, summary.rejected) == (1, 1)
    assert [(r.rrtype, r.value) for r in observation_rows(engine)] == [("A", "192.0.2.20")]
    assert [e.reason_code for e in ask(engine, entries, limit=None)] == ["bad_rdata"]


# --- the command line -------------------------------------------------------------------------


def test_cli_imports_a_clean_file_and_prints_the_summary(db_url: str, tmp_path: Path) -> None:
    path = tmp_path / "good.jsonl"
    path.write_bytes(b"\n".join(README_LINES) + b"\n")
    run = hotline(db_url, "ingest", "pdns", str(path))
    assert run.code == 0, run
    assert "Imported 1 passive-DNS file(s)" in run.out
    assert summary_value(run.out, "lines read") == 5
    assert summary_value(run.out, "records used (A, AAAA, CNAME, NS)") == 4
    assert summary_value(run.out, "observations written") == 6
    assert summary_value(run.out, "records of other types (skipped)") == 1
    assert summary_value(run.out, "rejected (quarantined)") == 0
    assert "rejected" not in run.err


def test_cli_exits_1_and_says_how_many_lines_were_rejected(db_url: str, tmp_path: Path) -> None:
    path = tmp_path / "mixed.jsonl"
    path.write_bytes(
        README_LINES[0] + b"\nnot json\n" + line_of(**good(rdata=["2001:db8::1"])) + b"\n"
    )
    run = hotline(db_url, "ingest", "pdns", str(path))
    assert run.code == 1, run
    assert summary_value(run.out, "rejected (quarantined)") == 2
    assert summary_value(run.out, "observations written") == 2
    assert "2 line(s) rejected" in run.err
    assert "bad_json 1" in run.err
    assert "bad_rdata 1" in run.err
    assert "hotline quarantine list" in run.err


def test_cli_missing_file_is_a_usage_error(db_url: str, tmp_path: Path) -> None:
    present = tmp_path / "present.jsonl"
    present.write_bytes(README_LINES[0] + b"\n")
    missing = tmp_path / "absent.jsonl"
    run = hotline(db_url, "ingest", "pdns", str(present), str(missing))
    assert run.code == 2, run
    assert "absent.jsonl: no such file" in run.err
    assert "Imported" not in run.out


@pytest.mark.parametrize("rrname", ["shop.test:80", "a@b.test", "[::1]", "198.51.100.4"])
def test_names_that_are_not_host_names_are_refused(rrname: str) -> None:
    line = orjson.dumps({"rrname": rrname, "rrtype": "A", "rdata": "192.0.2.1",
                         "time_first": 1700000000, "time_last": 1700000001})  # fmt: skip
    with pytest.raises(PdnsLineError) as caught:
        parse_line(line)
    assert caught.value.code == "bad_rrname"


def test_unicode_names_become_punycode_as_intake_stores_them() -> None:
    line = orjson.dumps({"rrname": "Bücher.Shop.test.", "rrtype": "CNAME", "rdata": "ünï.example",
                         "time_first": 1700000000, "time_last": 1700000001})  # fmt: skip
    record = parse_line(line)
    assert record is not None
    assert record.rrname == "xn--bcher-kva.shop.test"
    assert record.values == ("xn--n-nga1b.example",)
