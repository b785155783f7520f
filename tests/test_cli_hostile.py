"""Hostile command-line input: database URLs, CDN lists, analyst labels, IP-database values.

Each is refused with one line on stderr and exit 2 (never a traceback), changes nothing, or —
for a database's odd country values — is read as "unknown" rather than stored as it is.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, insert, select, text

from hotline.attribution.models import AttributionOverride, Brand, Distributor
from hotline.attribution.services import (
    MAX_ACTOR,
    MAX_LABEL,
    MAX_REASON,
    actor_name,
    checked_label,
)
from hotline.hosting.cdn import CdnList, CdnListError
from hotline.hosting.ipdb import IpDatabases, IpFacts
from hotline.hosting.models import IpFactsRow
from hotline.intake.models import Site
from hotline.store.engine import (
    DatabaseUrlError,
    in_memory,
    make_engine,
    normalise_url,
    parse_database_url,
)
from hotline.store.migrate import current_revision, head_revision, upgrade
from tests.helpers import hotline_command
from tests.test_cli import hotline, write
from tests.test_ipdb import write_mmdb

# --- database URLs ----------------------------------------------------------------------------


def _run(tmp_path: Path, db: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        hotline_command(db, *args),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=tmp_path,
        env={**os.environ, "COLUMNS": "200"},
    )


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("postgresql://db.example:notaport/hotline", "the port is not a number"),
        ("postgresql://db.example:/hotline", "the port is not a number"),
        ("postgresql://[::1/hotline", "the port is not a number"),
        ("postgresql://db.example:70000/hotline", "port 70000 is out of range"),
        ("postgresql+asyncpg://db.example/hotline", "'asyncpg' driver is not supported"),
        ("sqlite+aiosqlite:///hotline.db", "'aiosqlite' driver is not supported"),
        ("mysql://db.example/hotline", "other databases are not supported"),
        ("nosuchdriver://x", "other databases are not supported"),
        ("not a url at all", "not a database URL"),
        ("::::", "not a database URL"),
    ],
)
@pytest.mark.parametrize("command", [["init"], ["hosting", "shop.example"]])
def test_a_bad_database_url_is_one_line_and_exit_2(
    tmp_path: Path, url: str, reason: str, command: list[str]
) -> None:
    run = _run(tmp_path, url, *command)
    assert run.returncode == 2, run.stderr
    assert "Traceback" not in run.stderr
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1, run.stderr
    assert lines[0].startswith("error: cannot use database '")
    assert reason in lines[0]
    assert run.stdout == ""
    assert list(tmp_path.iterdir()) == []  # no file created anywhere


def test_a_password_in_an_unparsable_url_is_not_shown(tmp_path: Path) -> None:
    run = _run(tmp_path, "postgresql://analyst:s3cret-pw@db.example:notaport/hotline", "init")
    assert run.returncode == 2
    assert "s3cret-pw" not in run.stderr
    assert "analyst:***@db.example" in run.stderr


@pytest.mark.parametrize(
    "url",
    [
        "sqlite://",
        "sqlite:///",
        "sqlite:///:memory:",
        "sqlite+pysqlite:///:memory:",
        "sqlite:///file::memory:?cache=shared&uri=true",
        "sqlite:///file:scratch?mode=memory&uri=true",
        "sqlite:///file:scratch.db?vfs=memdb&uri=true",
    ],
)
def test_an_in_memory_sqlite_database_is_refused(tmp_path: Path, url: str) -> None:
    """An import into memory would print its success and keep nothing."""
    feed = write(
        tmp_path / "feed.csv",
        "source,source_report_id,reported_at,url\nHL-A,1,2026-01-01,http://shop.example/a\n",
    )
    for args in (["ingest", "reports", str(feed)], ["init"], ["export", "urls"]):
        run = hotline(url, *args)
        assert run.code == 2, (args, run.out, run.err)
        assert "in-memory SQLite database keeps nothing" in run.err
        assert "imported" not in run.out.lower()
        assert "created" not in run.out


def test_an_in_memory_url_is_refused_by_the_real_command(tmp_path: Path) -> None:
    run = _run(tmp_path, "sqlite:///:memory:", "init")
    assert run.returncode == 2
    assert run.stderr.strip().splitlines() == [
        "error: cannot use database 'sqlite:///%3Amemory%3A': an in-memory SQLite database "
        "keeps nothing once the command ends; give a file (sqlite:///FILE)"
    ]


def test_the_python_api_still_opens_in_memory_databases() -> None:
    assert in_memory("sqlite://")
    assert in_memory("sqlite:///:memory:")
    assert not in_memory("sqlite:///hotline.db")
    assert not in_memory("postgresql://db.example/hotline")
    engine = make_engine("sqlite://")
    upgrade(engine)
    assert current_revision(engine) == head_revision()
    engine.dispose()


def test_url_parsing_names_the_problem() -> None:
    assert normalise_url("postgres://u@db.example/hl") == "postgresql+psycopg://u@db.example/hl"
    # only a leading "postgres://" is the libpq form; the same text elsewhere is left alone
    assert parse_database_url("sqlite:///postgres://x").database == "postgres://x"
    with pytest.raises(DatabaseUrlError, match="the port is not a number"):
        make_engine("postgresql://db.example:port/hl")
    with pytest.raises(DatabaseUrlError, match="'psycopg2' driver is not supported"):
        make_engine("postgresql+psycopg2://db.example/hl")


# --- the CDN list -----------------------------------------------------------------------------


def _enrich(db_url: str, cdn: Path, *more: str) -> Any:
    return hotline(db_url, "enrich", "--cdn-list", str(cdn), *more)


def test_a_deeply_nested_cdn_list_is_refused_in_one_line(db_url: str, tmp_path: Path) -> None:
    deep = tmp_path / "deep.json"
    deep.write_bytes(b"[" * 100_000 + b"]" * 100_000)
    run = _enrich(db_url, deep)
    assert run.code == 2, run.err
    assert run.err.strip().splitlines() == [
        f"error: {deep}: not a CDN list (JSON nested too deeply)"
    ]
    inside = tmp_path / "inside.json"
    inside.write_bytes(b'{"networks": {"Edge": ' + b"[" * 100_000 + b"]" * 100_000 + b"}}")
    run = _enrich(db_url, inside)
    assert run.code == 2
    assert "nested too deeply" in run.err


def test_a_cdn_name_too_long_to_store_is_refused_before_anything_is_written(
    db_url: str, engine: Engine, tmp_path: Path
) -> None:
    feed = write(
        tmp_path / "feed.csv",
        "source,source_report_id,reported_at,url\nHL-A,1,2026-01-01,http://192.0.2.10/a\n",
    )
    assert hotline(db_url, "-q", "ingest", "reports", str(feed)).code == 0
    cdn = write(tmp_path / "cdn.json", '{"networks": {"' + "E" * 80 + '": ["192.0.2.0/24"]}}')
    run = _enrich(db_url, cdn)
    assert run.code == 2, run.err
    assert "the CDN's name is longer than 64 characters" in run.err
    with engine.connect() as connection:
        assert connection.scalar(select(text("count(*)")).select_from(IpFactsRow)) == 0


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ('{"asn": {"13335": "Edge"}}', "unknown key 'asn'"),
        ('{"description": ["x"]}', "description: expected a string"),
        ('{"asns": {"AS13335x": "Edge"}}', "asns.'AS13335x': not an AS number"),
        ('{"asns": {"0": "Edge"}}', "asns.'0': not an AS number"),
        ('{"asns": {"4294967296": "Edge"}}', "asns.'4294967296': not an AS number"),
        ('{"asns": {"64500": ["Edge"]}}', "asns.'64500': expected the CDN's name"),
        ('{"asns": {"64500": "  "}}', "asns.'64500': expected the CDN's name"),
        ('{"asns": {"64500": "Ed\\u001b[2Jge"}}', "asns.'64500': the CDN's name holds a control"),
        ('{"asns": []}', "'asns' must be an object"),
        ('{"networks": {"Edge": "192.0.2.0/24"}}', "networks.'Edge': expected a list"),
        ('{"networks": {"Edge": ["192.0.2.0/24", 7]}}', "networks.'Edge'[1]: expected a CIDR"),
        ('{"networks": {"Edge": ["192.0.2.0/33"]}}', "networks.'Edge'[0]: bad range"),
        ('{"networks": {"": ["192.0.2.0/24"]}}', "networks.'': expected the CDN's name"),
        ('{"cname_suffixes": {"net": "Edge"}}', "cname_suffixes.'net': not a domain suffix"),
        ('{"cname_suffixes": {"a..example": "Edge"}}', "'a..example': not a domain suffix"),
        ('{"cname_suffixes": {"cdn.example": null}}', "expected the CDN's name"),
        ("[1, 2]", "expected an object"),
        ("{", "not JSON"),
    ],
)
def test_cdn_list_shape_errors_name_the_entry(document: str, message: str) -> None:
    cdn = CdnList.load()
    before = (dict(cdn.asns), list(cdn.networks), dict(cdn.cname_suffixes), cdn.fingerprint())
    with pytest.raises(CdnListError) as caught:
        cdn.merge(document.encode(), "extra.json")
    assert str(caught.value).startswith("extra.json: ")
    assert message in str(caught.value)
    assert "\x1b" not in str(caught.value)
    # a refused list changes nothing
    assert (dict(cdn.asns), list(cdn.networks), dict(cdn.cname_suffixes), cdn.fingerprint()) == (
        before
    )


def test_a_good_cdn_list_is_merged() -> None:
    cdn = CdnList.load()
    cdn.merge(
        b'{"description": "x", "asns": {"AS64500": " Edge "}, '
        b'"networks": {"Edge": ["192.0.2.0/24", "2001:db8::/32"]}, '
        b'"cname_suffixes": {".CDN.Example.": "Edge"}}',
        "extra.json",
    )
    assert cdn.asns[64500] == "Edge"
    assert cdn.by_address("192.0.2.9", None) == "Edge"
    assert cdn.by_name("x.cdn.example") == "Edge"


def test_an_oversized_cdn_list_is_refused_unread(tmp_path: Path) -> None:
    big = tmp_path / "big.json"
    with big.open("wb") as handle:
        handle.truncate((16 << 20) + 1)
    with pytest.raises(CdnListError, match="larger than 16 MiB"):
        CdnList.load([big])


# --- analyst labels ---------------------------------------------------------------------------


def _brand_and_distributor(engine: Engine) -> tuple[int, int]:
    with engine.begin() as connection:
        distributor = connection.execute(insert(Distributor).returning(Distributor.id)).scalar()
        brand = connection.execute(
            insert(Brand).values(distributor_id=distributor).returning(Brand.id)
        ).scalar()
    assert brand is not None
    assert distributor is not None
    return brand, distributor


def _labels(engine: Engine, brand: int, distributor: int) -> tuple[str | None, str | None]:
    with engine.connect() as connection:
        return (
            connection.scalar(select(Brand.label).where(Brand.id == brand)),
            connection.scalar(select(Distributor.label).where(Distributor.id == distributor)),
        )


@pytest.mark.parametrize(
    ("label", "message"),
    [
        ("", "the label is empty"),
        ("   \t ", "the label is empty"),
        ("Z" * (MAX_LABEL + 1), f"the label has 256 characters; at most {MAX_LABEL} fit"),
        ("Zorbel\x07Shop", "U+0007 at character 7"),
        ("Zorbel\nShop", "U+000A at character 7"),
        ("Zorbel\x1b[2JShop", "U+001B at character 7"),
        ("Zorbel\x85Shop", "U+0085 at character 7"),
        ("Zorbel\u202eShop", "U+202E at character 7"),
        ("Zorbel\u200bShop", "U+200B at character 7"),
        ("Zorbel\u2028Shop", "U+2028 at character 7"),
        ("Zorbel\udcffShop", "U+DCFF at character 7"),
    ],
)
def test_a_bad_label_is_refused_and_changes_nothing(
    db_url: str, engine: Engine, label: str, message: str
) -> None:
    brand, distributor = _brand_and_distributor(engine)
    for kind, ident in (("brand", f"b{brand}"), ("distributor", f"d{distributor}")):
        run = hotline(db_url, "label", kind, ident, label)
        assert run.code == 2, run.err
        assert f"cannot label {kind} {ident}: " in run.err
        assert message in run.err
        assert len(run.err.strip().splitlines()) == 1
    assert _labels(engine, brand, distributor) == (None, None)


def test_a_label_of_the_full_width_is_stored_whole(db_url: str, engine: Engine) -> None:
    brand, distributor = _brand_and_distributor(engine)
    longest = "Zorbel Shop " + "x" * (MAX_LABEL - 12)
    assert hotline(db_url, "label", "brand", f"b{brand}", f"  {longest}  ").code == 0
    assert hotline(db_url, "label", "distributor", f"d{distributor}", "Gruppe Süd 北").code == 0
    assert _labels(engine, brand, distributor) == (longest, "Gruppe Süd 北")


def test_checked_label() -> None:
    assert checked_label("  Zorbel  Shop ") == "Zorbel  Shop"
    with pytest.raises(ValueError, match="empty"):
        checked_label("\u3000")  # an ideographic space is a space


@pytest.mark.parametrize(
    ("reason", "message"),
    [
        ("x" * (MAX_REASON + 1), f"at most {MAX_REASON} fit"),
        ("same operator\x1b]8;;hxxp://x.example\x07", "U+001B at character 14"),
        ("same\u202eoperator", "U+202E at character 5"),
    ],
)
def test_a_bad_reason_is_refused_and_nothing_is_recorded(
    db_url: str, engine: Engine, reason: str, message: str
) -> None:
    with engine.begin() as connection:
        for key in ("zorbel.test", "zorbel-shop.test"):
            connection.execute(insert(Site).values(key=key, kind="domain"))
    run = hotline(db_url, "link", "zorbel.test", "zorbel-shop.test", "--reason", reason)
    assert run.code == 2, run.err
    assert "--reason: the reason" in run.err
    assert message in run.err
    with engine.connect() as connection:
        assert (
            connection.execute(select(func.count()).select_from(AttributionOverride)).scalar_one()
            == 0
        )


def test_the_recorded_author_is_visible_text_of_bounded_width() -> None:
    assert actor_name("analyst") == "analyst"
    assert actor_name("ana\x1b[2Jlyst") == "ana?[2Jlyst"
    long = actor_name("a" * 200)
    assert len(long) == MAX_ACTOR
    assert long.endswith("…")
    assert actor_name(" \x07 ") == "?"
    assert actor_name("   ") == "unknown"


# --- country values of IP databases -----------------------------------------------------------

_ODD: list[tuple[str, dict[str, Any]]] = [
    ("192.0.2.0/28", {"country_code": "ZZ"}),  # placeholder
    ("192.0.2.16/28", {"country": {"iso_code": "EU"}}),  # a region, not a country
    ("192.0.2.32/28", {"country_code": "AN"}),  # withdrawn
    ("192.0.2.48/28", {"country_code": "xk"}),  # Kosovo, as every vendor writes it
    ("192.0.2.64/28", {"country": "Germany"}),  # a name where a code belongs
    ("192.0.2.80/28", {"country_code": "\x1b["}),  # not text
    ("192.0.2.96/28", {"country": {"iso_code": "AP"}, "registered_country": {"iso_code": "jp"}}),
    ("192.0.2.112/28", {"country_code": ""}),  # an empty string: unknown, nothing odd
    ("192.0.2.128/28", {"country_code": "de"}),
]


def _odd_databases(tmp_path: Path) -> tuple[Path, Path]:
    country = write_mmdb(tmp_path / "country.mmdb", _ODD)
    asn = write_mmdb(tmp_path / "asn.mmdb", [("192.0.2.0/24", {"autonomous_system_number": 64500})])
    return country, asn


def test_country_values_that_are_no_iso_code_are_unknown(tmp_path: Path) -> None:
    country, asn = _odd_databases(tmp_path)
    databases = IpDatabases(country=country, asn=asn)
    try:
        facts = databases.lookup_many([f"192.0.2.{n}" for n in range(1, 140, 16)])
    finally:
        databases.close()
    assert facts == {
        "192.0.2.1": IpFacts(None, 64500, None, "'ZZ'"),
        "192.0.2.17": IpFacts(None, 64500, None, "'EU'"),
        "192.0.2.33": IpFacts(None, 64500, None, "'AN'"),
        "192.0.2.49": IpFacts("XK", 64500, None),
        "192.0.2.65": IpFacts(None, 64500, None, "'Germany'"),
        "192.0.2.81": IpFacts(None, 64500, None, "'\\x1b['"),
        "192.0.2.97": IpFacts("JP", 64500, None),  # the registered country stands in
        "192.0.2.113": IpFacts(None, 64500, None),
        "192.0.2.129": IpFacts("DE", 64500, None),
    }


def test_odd_country_values_are_never_stored(db_url: str, engine: Engine, tmp_path: Path) -> None:
    country, asn = _odd_databases(tmp_path)
    ips = [f"192.0.2.{n}" for n in range(1, 140, 16)]
    feed = write(
        tmp_path / "feed.csv",
        "source,source_report_id,reported_at,url\n"
        + "".join(f"HL-A,{n},2026-01-01,http://{ip}/a\n" for n, ip in enumerate(ips)),
    )
    assert hotline(db_url, "-q", "ingest", "reports", str(feed)).code == 0
    run = hotline(db_url, "enrich", "--geoip-db", str(country), "--asn-db", str(asn))
    assert run.code == 0, run.err
    with engine.connect() as connection:
        rows = connection.execute(select(IpFactsRow.ip, IpFactsRow.country))
        stored = {ip: country for ip, country in rows}
    assert stored == {
        "192.0.2.1": None,
        "192.0.2.17": None,
        "192.0.2.33": None,
        "192.0.2.49": "XK",
        "192.0.2.65": None,
        "192.0.2.81": None,
        "192.0.2.97": "JP",
        "192.0.2.113": None,
        "192.0.2.129": "DE",
    }


def test_the_enrich_summary_counts_country_values_that_are_no_code(
    db_url: str, tmp_path: Path
) -> None:
    from tests.test_cli import summary_value

    country, asn = _odd_databases(tmp_path)
    ips = [f"192.0.2.{n}" for n in range(1, 140, 16)]
    feed = write(
        tmp_path / "feed.csv",
        "source,source_report_id,reported_at,url\n"
        + "".join(f"HL-A,{n},2026-01-01,http://{ip}/a\n" for n, ip in enumerate(ips)),
    )
    assert hotline(db_url, "-q", "ingest", "reports", str(feed)).code == 0
    run = hotline(db_url, "enrich", "--geoip-db", str(country), "--asn-db", str(asn))
    assert run.code == 0, run.err
    assert summary_value(run.out, "of which no database knows the country") == 6
    assert summary_value(run.out, "of which the database gave no ISO country code") == 5
    assert "'ZZ' ×1" in run.out
    assert "\x1b" not in run.out
