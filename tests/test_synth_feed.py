"""The synthetic feed generator: deterministic, truthful about dedupe, benign by construction."""

from __future__ import annotations

import ipaddress
from pathlib import Path

import pytest

from hotline.intake.records import ReportRow, RowError, parse_report
from hotline.synth.feed import FIELDS, FeedGenerator, FeedRow, write_feed
from hotline.urls import CanonicalURL, SiteKind, canonicalize

RESERVED_SUFFIXES = (
    ".test",
    ".example",
    ".invalid",
    ".example.com",
    ".example.net",
    ".example.org",
)
RESERVED_NAMES = ("example.com", "example.net", "example.org")
DOC_NETS = tuple(
    ipaddress.ip_network(n) for n in ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24")
)


def rows(
    seed: int = 7, count: int = 3000, duplicate_share: float = 0.3, bad_share: float = 0.0
) -> list[FeedRow]:
    generator = FeedGenerator(seed, duplicate_share=duplicate_share, bad_share=bad_share)
    return list(generator.rows(count))


def fields(row: FeedRow) -> dict[str, object]:
    return {name: getattr(row, name) for name in FIELDS}


def is_reserved(host: str) -> bool:
    if host.startswith("[") or host[-1].isdigit():
        address = ipaddress.ip_address(host.strip("[]"))
        return any(address in net for net in DOC_NETS)
    return host.endswith(RESERVED_SUFFIXES) or host in RESERVED_NAMES


# --- determinism ----------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", ["csv", "jsonl"])
def test_same_seed_and_parameters_give_identical_files(tmp_path: Path, suffix: str) -> None:
    def generator() -> FeedGenerator:
        return FeedGenerator(11, sources=4, duplicate_share=0.4, bad_share=0.05, sites=60)

    first, second = tmp_path / f"one.{suffix}", tmp_path / f"two.{suffix}"
    assert write_feed(first, generator().rows(2000)) == 2000
    assert write_feed(second, generator().rows(2000)) == 2000
    assert first.read_bytes() == second.read_bytes()


@pytest.mark.parametrize("suffix", ["csv", "jsonl"])
def test_different_seed_gives_a_different_file(tmp_path: Path, suffix: str) -> None:
    first, second = tmp_path / f"one.{suffix}", tmp_path / f"two.{suffix}"
    write_feed(first, FeedGenerator(11).rows(500))
    write_feed(second, FeedGenerator(12).rows(500))
    assert first.read_bytes() != second.read_bytes()


def test_different_parameters_give_different_rows() -> None:
    assert rows(count=500) != rows(count=500, duplicate_share=0.9)


def test_format_override_and_file_shapes(tmp_path: Path) -> None:
    generated = rows(count=50)
    csv_path, jsonl_path = tmp_path / "feed.txt", tmp_path / "feed.data"
    write_feed(csv_path, iter(generated), "csv")
    write_feed(jsonl_path, iter(generated), "jsonl")
    csv_lines = csv_path.read_bytes().splitlines()
    assert csv_lines[0] == ",".join(FIELDS).encode()
    assert len(csv_lines) == 51
    assert len(jsonl_path.read_bytes().splitlines()) == 50
    assert jsonl_path.read_bytes().startswith(b'{"source":')


# --- truth ----------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", [1, 2013, 99991])
def test_every_good_row_canonicalises_to_its_truth(seed: int) -> None:
    generated = rows(seed, count=4000, duplicate_share=0.5, bad_share=0.05)
    good = [row for row in generated if row.truth is not None]
    assert len(good) > 3000
    variants = 0
    for row in good:
        canonical = canonicalize(row.url)
        assert isinstance(canonical, CanonicalURL), (row.url, canonical)
        assert canonical.url == row.truth, row.url
        parsed = parse_report(fields(row))
        assert isinstance(parsed, ReportRow), (row, parsed)
        assert parsed.canonical.url == row.truth
        variants += row.url != row.truth
    assert variants > len(good) // 4  # surface variants are really exercised


def test_truths_are_fixed_points() -> None:
    for truth in {row.truth for row in rows(count=2000) if row.truth is not None}:
        canonical = canonicalize(truth)
        assert isinstance(canonical, CanonicalURL)
        assert canonical.url == truth


def test_duplicates_share_truths_across_sources() -> None:
    generated = [row for row in rows(count=3000, duplicate_share=0.3) if row.truth]
    truths = {row.truth for row in generated}
    assert len(truths) < len(generated)
    sources_per_truth: dict[str, set[str]] = {}
    for row in generated:
        assert row.truth is not None
        sources_per_truth.setdefault(row.truth, set()).add(row.source)
    assert any(len(s) > 1 for s in sources_per_truth.values())


def test_report_ids_are_unique_per_source() -> None:
    generated = rows(count=3000)
    keys = [(row.source, row.source_report_id) for row in generated]
    assert len(set(keys)) == len(keys)


def test_bad_rows_are_refused() -> None:
    generated = rows(count=3000, bad_share=0.2)
    bad = [row for row in generated if row.truth is None]
    assert len(bad) > 300
    codes = set()
    for row in bad:
        parsed = parse_report(fields(row))
        assert isinstance(parsed, RowError), row
        codes.add(parsed.code)
    assert {"url_unsupported_scheme", "bad_timestamp", "missing_field", "bad_value"} <= codes


def test_no_bad_rows_unless_asked() -> None:
    assert all(row.truth is not None for row in rows(count=2000))


# --- benign by construction -----------------------------------------------------------------


def test_all_hosts_are_reserved_names_or_documentation_addresses() -> None:
    generated = rows(count=5000, bad_share=0.05)
    kinds = set()
    for row in generated:
        for url in (row.url, row.truth):
            if url is None:
                continue
            canonical = canonicalize(url)
            if isinstance(canonical, CanonicalURL):
                assert is_reserved(canonical.host), url
                assert is_reserved(canonical.site), url
                kinds.add(canonical.site_kind)
            else:  # refused bad rows: the literal text still names only reserved hosts
                assert "broken.test" in url or url in ("", "javascript:void(0)"), url
    assert {SiteKind.DOMAIN, SiteKind.IPV4} <= kinds


def test_other_text_fields_are_neutral() -> None:
    for row in rows(count=2000):
        assert row.note == ""
        assert row.commercial in ("true", "false", "")
        assert row.source.startswith("HL-")
