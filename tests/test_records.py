"""parse_report: one feed row validated and canonicalised, or refused with a stable code."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hotline.intake.records import (
    KNOWN_FIELDS,
    MAX_NOTE,
    MAX_REPORT_ID,
    REQUIRED_FIELDS,
    SITE_TYPES,
    ReportRow,
    RowError,
    parse_report,
)
from hotline.urls import MAX_URL_BYTES, SiteKind, TrackingPolicy
from hotline.urls.onion import onion_v3_address

BASE: dict[str, object] = {
    "source": "HL-A",
    "source_report_id": "a-1",
    "reported_at": "2026-01-02T03:04:05Z",
    "url": "http://shop.brand.test/item?id=7",
}


def ok(fields: Mapping[str, object], policy: TrackingPolicy | None = None) -> ReportRow:
    parsed = parse_report(fields, policy)
    assert isinstance(parsed, ReportRow), parsed
    return parsed


def refused(fields: Mapping[str, object]) -> RowError:
    parsed = parse_report(fields)
    assert isinstance(parsed, RowError), parsed
    return parsed


def with_(**changes: object) -> dict[str, object]:
    return {**BASE, **changes}


# --- a good row -----------------------------------------------------------------------------


def test_valid_row() -> None:
    row = ok(
        with_(
            url="  HTTP://Shop.Brand.TEST:80/item?utm_source=x&id=7#top ",
            site_type="forum",
            commercial="true",
            note="  seen twice  ",
        )
    )
    assert row.source == "HL-A"
    assert row.source_report_id == "a-1"
    assert row.reported_at == datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert row.raw_url == "HTTP://Shop.Brand.TEST:80/item?utm_source=x&id=7#top"
    assert row.canonical.url == "http://shop.brand.test/item?id=7"
    assert row.canonical.site == "brand.test"
    assert row.canonical.site_kind is SiteKind.DOMAIN
    assert row.digest == hashlib.sha256(b"http://shop.brand.test/item?id=7").digest()
    assert (row.site_type, row.commercial, row.note, row.extra) == (
        "forum",
        True,
        "seen twice",
        None,
    )


def test_scheme_less_url_is_accepted_and_flagged() -> None:
    row = ok(with_(url="shop.brand.test/a"))
    assert row.canonical.url == "http://shop.brand.test/a"
    assert row.canonical.scheme_added


def test_tracking_policy_is_applied() -> None:
    policy = TrackingPolicy.extended(names=["ref"])
    row = ok(with_(url="http://shop.brand.test/a?ref=home&id=1"), policy)
    assert row.canonical.url == "http://shop.brand.test/a?id=1"
    assert ok(with_(url="http://shop.brand.test/a?ref=home&id=1")).canonical.url == (
        "http://shop.brand.test/a?ref=home&id=1"
    )


# --- required fields ------------------------------------------------------------------------


@pytest.mark.parametrize("name", REQUIRED_FIELDS)
@pytest.mark.parametrize("value", [None, "", "   ", "\t\n", "absent"])
def test_missing_or_empty_required_field(name: str, value: str | None) -> None:
    fields = with_()
    if value == "absent":
        del fields[name]
    else:
        fields[name] = value
    error = refused(fields)
    assert error.code == "missing_field"
    assert f"'{name}'" in error.reason


def test_first_problem_wins() -> None:
    error = refused(with_(source="", url="javascript:void(0)"))
    assert (error.code, "'source'" in error.reason) == ("missing_field", True)


# --- source and report id -------------------------------------------------------------------


@pytest.mark.parametrize("source", ["a", "HL-A", "hl_a.b-2", "7", "x" * 64, "  HL-B  "])
def test_good_source_codes(source: str) -> None:
    assert ok(with_(source=source)).source == source.strip()


@pytest.mark.parametrize(
    "source", ["HL A", "-HL", ".HL", "_HL", "HL/A", "HL,A", "x" * 65, "Hötline"]
)
def test_bad_source_codes(source: str) -> None:
    error = refused(with_(source=source))
    assert error.code == "bad_value"
    assert "organisation code" in error.reason


def test_report_id_length_limit() -> None:
    assert ok(with_(source_report_id="r" * MAX_REPORT_ID)).source_report_id == "r" * MAX_REPORT_ID
    error = refused(with_(source_report_id="r" * (MAX_REPORT_ID + 1)))
    assert error.code == "bad_value"
    assert "source_report_id" in error.reason


def test_numbers_from_json_are_read_as_text() -> None:
    row = ok(with_(source_report_id=12345, source=7))
    assert (row.source, row.source_report_id) == ("7", "12345")
    big = 123456789012345678901  # beyond 64 bits: exact as an int, and kept exact
    assert ok(with_(source_report_id=big)).source_report_id == str(big)


@pytest.mark.parametrize("value", [1.5, 1.2345678901234568e20])
def test_json_floats_are_refused_where_text_is_expected(value: float) -> None:
    # A float may stand for many ids (1.2345678901234568e20 for a whole range of them).
    error = refused(with_(source_report_id=value))
    assert error.code == "bad_value"
    assert "float" in error.reason


# --- timestamps -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-01-02T03:04:05Z", datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)),
        ("2026-01-02T03:04:05+00:00", datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)),
        ("2026-01-02T03:04:05+02:00", datetime(2026, 1, 2, 1, 4, 5, tzinfo=UTC)),
        ("2026-01-02T03:04:05-05:00", datetime(2026, 1, 2, 8, 4, 5, tzinfo=UTC)),
        ("2026-01-02T23:30:00-01:00", datetime(2026, 1, 3, 0, 30, tzinfo=UTC)),  # next day
        ("2026-01-01T00:15:00+05:30", datetime(2025, 12, 31, 18, 45, tzinfo=UTC)),  # prev year
        ("2026-01-02T03:04:05.123456+01:00", datetime(2026, 1, 2, 2, 4, 5, 123456, tzinfo=UTC)),
        # no offset: taken as UTC (documented)
        ("2026-01-02T03:04:05", datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)),
        ("2026-01-02 03:04", datetime(2026, 1, 2, 3, 4, tzinfo=UTC)),
        # date only: midnight UTC
        ("2026-01-02", datetime(2026, 1, 2, tzinfo=UTC)),
        ("  2026-01-02  ", datetime(2026, 1, 2, tzinfo=UTC)),
    ],
)
def test_timestamps_become_aware_utc(text: str, expected: datetime) -> None:
    reported_at = ok(with_(reported_at=text)).reported_at
    assert reported_at == expected
    assert reported_at.utcoffset() is not None
    assert reported_at.tzinfo is UTC


@pytest.mark.parametrize(
    "text",
    [
        "yesterday",
        "31/31/2026 25:61",
        "2026-13-01",
        "2026-02-30",
        "2026-01-02T25:00:00",
        "2026-01-02T03:04:05+25:00",
        "01/02/2026",
        "2026-01-02T03:04:05 UTC",
    ],
)
def test_garbage_timestamps_are_refused(text: str) -> None:
    error = refused(with_(reported_at=text))
    assert error.code == "bad_timestamp"
    assert "ISO 8601" in error.reason


@pytest.mark.parametrize("field", ["source", "source_report_id", "reported_at", "url", "note"])
def test_a_nul_character_in_any_text_field_is_refused(field: str) -> None:
    # PostgreSQL text cannot hold NUL, and no real field needs one: refuse the row, name it.
    values = {
        "source": "HL\x00A",
        "source_report_id": "r\x001",
        "reported_at": "2026-01-02\x00",
        "url": "http://shop.brand.test/\x00",
        "note": "a\x00b",
    }
    error = refused(with_(**{field: values[field]}))
    assert error.code == "bad_value"
    assert field in error.reason
    assert "NUL" in error.reason


def test_long_garbage_timestamp_is_cut_in_the_reason() -> None:
    error = refused(with_(reported_at="z" * 10_000))
    assert error.code == "bad_timestamp"
    assert len(error.reason) < 200


@pytest.mark.parametrize("text", ["0001-01-01T00:30:00+01:00", "9999-12-31T23:30:00-01:00"])
def test_timestamps_outside_the_utc_range_are_refused(text: str) -> None:
    assert refused(with_(reported_at=text)).code == "bad_timestamp"


# --- optional fields ------------------------------------------------------------------------


@pytest.mark.parametrize("site_type", sorted(SITE_TYPES))
def test_every_site_type(site_type: str) -> None:
    assert ok(with_(site_type=site_type)).site_type == site_type
    assert ok(with_(site_type=f" {site_type.upper()} ")).site_type == site_type


@pytest.mark.parametrize("value", [None, "", "  "])
def test_blank_site_type_is_none(value: str | None) -> None:
    assert ok(with_(site_type=value)).site_type is None


@pytest.mark.parametrize("value", ["newspaper", "web site", "website,forum", "other-host"])
def test_unknown_site_type_is_refused(value: str) -> None:
    error = refused(with_(site_type=value))
    assert error.code == "bad_value"
    assert "site_type" in error.reason


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("true", True),
        ("TRUE", True),
        (" True ", True),
        ("yes", True),
        ("1", True),
        ("false", False),
        ("FALSE", False),
        ("no", False),
        ("0", False),
        ("", None),
        ("   ", None),
        (None, None),
        (True, True),  # JSON booleans
        (False, False),
        (1, True),  # JSON numbers
        (0, False),
    ],
)
def test_commercial(value: object, expected: bool | None) -> None:
    assert ok(with_(commercial=value)).commercial is expected


def test_commercial_absent_is_none() -> None:
    assert ok(BASE).commercial is None


@pytest.mark.parametrize("value", ["maybe", "ja", "y", "2", 2, 1.0, ["true"], {"v": True}])
def test_commercial_garbage_is_refused(value: object) -> None:
    error = refused(with_(commercial=value))
    assert error.code == "bad_value"
    assert "commercial" in error.reason


def test_note_is_trimmed_and_blank_note_is_none() -> None:
    assert ok(with_(note="  a note ")).note == "a note"
    assert ok(with_(note="  ")).note is None
    assert ok(with_(note=None)).note is None


def test_note_length_limit() -> None:
    assert ok(with_(note="n" * MAX_NOTE)).note == "n" * MAX_NOTE
    error = refused(with_(note="n" * (MAX_NOTE + 1)))
    assert error.code == "bad_value"
    assert "note" in error.reason


# --- values of the wrong type (JSON Lines) --------------------------------------------------


@pytest.mark.parametrize("name", [*REQUIRED_FIELDS, "site_type", "note"])
@pytest.mark.parametrize(
    ("value", "kind"),
    [(["x"], "list"), ({"k": "v"}, "dict"), (True, "bool"), (False, "bool")],
)
def test_non_text_values_are_refused(name: str, value: object, kind: str) -> None:
    error = refused(with_(**{name: value}))
    assert error.code == "bad_value"
    assert error.reason == f"'{name}' must be text, got {kind}"


# --- extra columns --------------------------------------------------------------------------


def test_extra_columns_are_kept_and_empty_extras_dropped() -> None:
    row = ok(
        with_(
            channel="web",
            reference_code="  R-1 ",
            count=3,
            tags=["a", "b"],
            meta={"k": "v"},
            blank="",
            nothing=None,
        )
    )
    assert row.extra is not None
    extra = json.loads(row.extra)  # kept as the JSON text that is stored
    assert extra == {
        "channel": "web",
        "reference_code": "  R-1 ",  # kept as received
        "count": 3,
        "tags": ["a", "b"],
        "meta": {"k": "v"},
    }
    assert not KNOWN_FIELDS & set(extra)


def test_no_extras_is_none() -> None:
    assert ok(with_(note="", site_type="", commercial="")).extra is None
    assert ok(with_(unused="", other=None)).extra is None


# --- URL refusals ---------------------------------------------------------------------------

ONION = onion_v3_address(bytes(32))


@pytest.mark.parametrize(
    ("url", "code"),
    [
        ("javascript:void(0)", "url_unsupported_scheme"),
        ("JavaScript:void(0)", "url_unsupported_scheme"),
        ("data:text/plain,hello", "url_unsupported_scheme"),
        ("mailto:shop@brand.test", "url_unsupported_scheme"),
        ("file:///etc/hosts", "url_unsupported_scheme"),
        ("http://shop.brand.test:70000/", "url_invalid_port"),
        ("http://shop.brand.test:port/", "url_invalid_port"),
        ("http://shop brand.test/", "url_invalid_host"),
        ("http://shop..brand.test/", "url_invalid_host"),
        ("http:///", "url_invalid_host"),
        ("http://abcdef.onion/", "url_invalid_onion"),
        ("\x01\x02", "url_empty"),  # only control characters: empty once stripped
        ("http://shop.brand.test/" + "p" * MAX_URL_BYTES, "url_too_long"),
    ],
)
def test_url_rejections_map_to_url_codes(url: str, code: str) -> None:
    error = refused(with_(url=url))
    assert error.code == code
    assert error.reason.startswith("url refused: ")


def test_valid_onion_and_ip_urls() -> None:
    assert ok(with_(url=f"http://www.{ONION}/shop")).canonical.site == ONION
    row = ok(with_(url="http://0xC0.0.2.0x10/item"))
    assert row.canonical.url == "http://192.0.2.16/item"
    assert row.canonical.site_kind is SiteKind.IPV4


# --- property -------------------------------------------------------------------------------

_VALUES = st.one_of(st.none(), st.text(max_size=40), st.integers())
_KEYS = st.one_of(st.sampled_from(sorted(KNOWN_FIELDS)), st.text(max_size=10))
_URLISH = st.one_of(
    st.text(max_size=60),
    st.builds(
        lambda host, path: f"http://{host}/{path}",
        st.from_regex(r"[a-z0-9.\-]{1,20}\.(test|example)", fullmatch=True),
        st.text(max_size=20),
    ),
)


@settings(max_examples=200, deadline=None)
@given(
    fields=st.dictionaries(_KEYS, _VALUES, max_size=12),
    base=st.fixed_dictionaries(
        {},
        optional={
            "source": st.one_of(st.just("HL-A"), st.text(max_size=10)),
            "source_report_id": st.one_of(st.text(max_size=10), st.integers()),
            "reported_at": st.one_of(
                st.just("2026-01-02T03:04:05+02:00"), st.text(max_size=30), st.integers()
            ),
            "url": _URLISH,
        },
    ),
)
def test_parse_report_never_raises(fields: dict[str, object], base: dict[str, object]) -> None:
    parsed = parse_report({**fields, **base})
    assert isinstance(parsed, ReportRow | RowError)
    if isinstance(parsed, ReportRow):
        assert parsed.reported_at.tzinfo is UTC
        assert parsed.digest == hashlib.sha256(parsed.canonical.url.encode()).digest()
        assert parsed.site_type is None or parsed.site_type in SITE_TYPES
    else:
        assert parsed.code
        assert parsed.reason
