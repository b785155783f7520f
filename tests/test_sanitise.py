"""Text shown to people: no value from data acts on a terminal, a page or a spreadsheet.

Hostile values here are synthetic: terminal control sequences, bidi overrides, rich markup and
URLs on reserved names (``*.test``, ``*.example``) and documentation addresses, planted in the
store where feeds, captures, passive DNS, IP databases, RDAP and analysts would put them, then
read back through every command that shows them.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from rich.table import Table
from sqlalchemy import Engine, insert, select, update
from typer.testing import CliRunner

from hotline.attribution.models import Brand, Distributor
from hotline.captures.models import Capture, SelectorValue, SiteSelector
from hotline.cli import exports as export_commands
from hotline.cli.app import app
from hotline.cli.console import HotlineConsole, markup_path, markup_value, text_value
from hotline.hosting.models import HostingObservation, IpFactsRow, SiteHosting
from hotline.hosting.rdap_store import RdapLookup
from hotline.intake.models import Report, Site, Source, Url
from hotline.quarantine import QuarantineEntry
from hotline.store.engine import make_engine
from hotline.urls import refang
from hotline.urls.display import (
    BIDI_CONTROLS,
    display_value,
    escape_controls,
    for_people,
    is_displayable,
)

runner = CliRunner()

# What must never reach a person: C0 (but the line breaks the output itself is made of), DEL,
# C1, bidi embeddings/overrides/isolates and the Arabic letter mark, line/paragraph separators.
_FORBIDDEN = re.compile(
    "[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u202a-\u202e\u2066-\u2069\u2028\u2029\ud800-\udfff]"
)
_LIVE_URL = re.compile(r"(?:https?|ftp)://", re.IGNORECASE | re.ASCII)

# Pieces hostile values are made of: terminal sequences (clear screen, window title, an OSC 8
# hyperlink, an OSC 52 clipboard write, a C1 CSI), bidi controls, rich markup and emoji codes,
# URLs and half-defanged URLs on reserved names.
PIECES = [
    "\x1b[2J\x1b[H",
    "\x1b]0;window title\x07",
    "\x1b]8;;http://link.example.test/\x1b\\click\x1b]8;;\x1b\\",
    "\x1b]52;c;aGVsbG8=\x07",
    "\x9b31m",
    "\x9d0;t\x9c",
    "\u202e",
    "\u2066",
    "\u2069",
    "\u061c",
    "\u200f",
    "\r",
    "\n",
    "\t",
    "\x08",
    "\x7f",
    "\u2028",
    "[bold]",
    "[/]",
    "[link=http://x.test]",
    ":warning:",
    "http://",
    "HTTPS://",
    "https://shop.example.test/pay?next=http://other.test/",
    "ftp://files.example/",
    "hxxps://",
    "hxxp[:]//",
    "www.",
    "shop.example.test",
    "198.51.100.7",
    ".",
    "/",
    " ",
    "ht",
    "tp",
    "s://",
]
_PIECE = st.sampled_from(PIECES)
# Anything at all, stored: no NUL (PostgreSQL text refuses it) and no unpaired surrogate
# (neither database stores one); both are covered by the pure tests below.
_STORABLE_CHAR = st.characters(codec="utf-8", exclude_characters="\x00")
HOSTILE = st.lists(st.one_of(_PIECE, st.text(_STORABLE_CHAR, max_size=4)), max_size=12).map("".join)
ANY_TEXT = st.lists(st.one_of(_PIECE, st.text(max_size=6)), max_size=14).map("".join)

EVERYTHING = "".join(PIECES)


def assert_shown_safely(text: str, where: str = "") -> None:
    bad = _FORBIDDEN.search(text)
    assert bad is None, f"{where}: control {bad.group(0)!r} in {text!r}"
    live = _LIVE_URL.search(text)
    assert live is None, f"{where}: live URL at {live.start()} in {text!r}"


# --- the sanitiser ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("a\x1b[2Jb", "a\\x1b[2Jb"),
        ("\x1b]0;title\x07", "\\x1b]0;title\\x07"),
        ("\x1b]52;c;aGk=\x07", "\\x1b]52;c;aGk=\\x07"),
        ("\x9b31m", "\\x9b31m"),
        ("\x00\x7f", "\\x00\\x7f"),
        ("abc\u202edef", "abc\\u202edef"),
        ("\u2066x\u2069", "\\u2066x\\u2069"),
        ("\u061c", "\\u061c"),
        ("\u200e\u200f", "\u200e\u200f"),  # plain direction marks stay
        ("line\u2028two", "line\\u2028two"),
        ("a\tb\nc\rd", "a\\tb\\nc\\rd"),
        ("\udc80", "\\udc80"),
        ("plain [bold] text", "plain [bold] text"),
        ("Zorbel Shop ✓ 中文", "Zorbel Shop ✓ 中文"),
    ],
)
def test_escape_controls(raw: str, shown: str) -> None:
    assert escape_controls(raw) == shown


def test_escape_controls_keeps_layout_when_asked() -> None:
    assert escape_controls("a\tb\r\nc\rd\x1b", keep="\t\n") == "a\tb\nc\\rd\\x1b"
    assert escape_controls("a\tb\nc", keep="\n") == "a\\tb\nc"


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("Visit http://shop.example.test/a now", "Visit hxxp://shop[.]example[.]test/a now"),
        ("aff=https://aff.example.test/?id=7", "aff=hxxps://aff[.]example[.]test/?id=7"),
        ("HTTPS://Shop.Example.TEST", "hxxps://Shop[.]Example[.]TEST"),
        ("hxxps://shop.example.test/x", "hxxps://shop[.]example[.]test/x"),
        ("hXXp://shop.example.test", "hXXp://shop[.]example[.]test"),
        ("http[:]//shop.example.test/", "http[:]//shop[.]example[.]test/"),
        ("see www.shop.example for more", "see www[.]shop[.]example for more"),
        ("hxxps://shop[.]example[.]test/x", "hxxps://shop[.]example[.]test/x"),
        ("a\x1bhttp://x.test", "a\\x1bhxxp://x[.]test"),
        ("ht\x00tp://x.test", "ht\\x00tp://x.test"),  # no live scheme left to link
        ("shop.example.test", "shop.example.test"),  # a bare name: only with hosts=True
    ],
)
def test_for_people_defangs_every_url_in_a_value(raw: str, shown: str) -> None:
    assert for_people(raw) == shown


def test_for_people_hosts() -> None:
    assert for_people("on shop.example.test and 12.5", hosts=True) == (
        "on shop[.]example[.]test and 12.5"
    )


def test_defanged_values_refang() -> None:
    assert refang(for_people("https://shop.example.test/a")) == "https://shop.example.test/a"


@given(ANY_TEXT)
@settings(max_examples=400)
def test_for_people_leaves_nothing_that_acts(text: str) -> None:
    shown = for_people(text)
    assert_shown_safely(shown)
    assert "\n" not in shown  # one line
    assert is_displayable(shown)
    assert for_people(shown) == shown  # idempotent: safe to apply at every edge


@given(ANY_TEXT)
@settings(max_examples=200)
def test_for_people_keeping_layout(text: str) -> None:
    shown = for_people(text, keep="\t\n", hosts=True)
    assert_shown_safely(shown.replace("\t", " "))
    assert is_displayable(shown, keep="\t\n")


@given(st.text())
@settings(max_examples=300)
def test_escape_controls_hides_nothing_else(text: str) -> None:
    """Only controls change; every other character is kept, in order."""
    shown = escape_controls(text)
    assert is_displayable(shown)
    remaining = iter(shown)  # every other character is still there, in order
    assert all(c in remaining for c in text if is_displayable(c))
    assert escape_controls(shown) == shown


@pytest.mark.parametrize(
    ("kind", "value", "shown"),
    [
        ("brand_text", "Zorbel http://zorbel.example.test", "Zorbel hxxp://zorbel[.]example[.]test"),
        ("affiliate", "ref=https://aff.example.test/r?id=7", "ref=hxxps://aff[.]example[.]test/r?id=7"),
        ("merchant_id", "pay.example|m-1 http://m.test", "pay[.]example|m-1 hxxp://m[.]test"),
        ("payment_host", "pay.example.test", "pay[.]example[.]test"),
        ("email", "desk@shop.example.test", "desk@shop[.]example[.]test"),
        ("redirect", "https://a.test/?next=http://b.test/", "hxxps://a[.]test/?next=http[://]b[.]test/"),
        ("gateway", "go-zorbel.test>zorbel.test", "go-zorbel[.]test>zorbel[.]test"),
        ("redirect", "go-zorbel.test>zorbel.test", "go-zorbel[.]test>zorbel[.]test"),
        ("brand_text", "Zorbel\x1b]0;x\x07\u202e", "Zorbel\\x1b]0;x\\x07\\u202e"),
    ],
)  # fmt: skip
def test_selector_values_for_people(kind: str, value: str, shown: str) -> None:
    assert display_value(kind, value) == shown


# --- the console ------------------------------------------------------------------------------


def _console() -> tuple[HotlineConsole, io.StringIO]:
    buffer = io.StringIO()
    return HotlineConsole(file=buffer, width=100, highlight=False, emoji=False), buffer


def test_console_escapes_controls_that_slip_through() -> None:
    console, buffer = _console()
    console.print("title\x1b]0;x\x07 \u202eevil", markup=False)
    table = Table()
    table.add_column("value")
    table.add_row("q\x1b[2Jz\x9b")
    console.print(table)
    output = buffer.getvalue()
    assert_shown_safely(output)
    assert "q\\x1b[2Jz\\x9b" in output  # shown whole, not cut
    assert "\\u202eevil" in output


def test_console_helpers_show_markup_literally() -> None:
    console, buffer = _console()
    console.print(f"label {markup_value('[bold]x[/] :warning: http://a.test')}")
    console.print(f"path {markup_path('/tmp/[red]out[/].csv')}")
    console.print(text_value("[i]y[/i] \x1b[1m"))
    output = buffer.getvalue()
    assert "label [bold]x[/] :warning: hxxp://a[.]test" in output
    assert "path /tmp/[red]out[/].csv" in output
    assert "[i]y[/i] \\x1b[1m" in output


# --- every command, on a store with planted values --------------------------------------------

WHEN = datetime(2026, 5, 6, 7, 8, 9, tzinfo=UTC)
SITES = ("shop-a.test", "shop-b.test", "shop-c.test")
FEED = "source,source_report_id,reported_at,url,site_type\n" + "".join(
    f"HL-A,r-{i},2026-05-0{i + 1},http://{site}/item/{i},website\n" for i, site in enumerate(SITES)
)


@dataclass
class Planted:
    db_url: str
    engine: Engine
    quarantine_id: int
    brand: int
    distributor: int


def _run(db_url: str, *args: str) -> tuple[int, str, str]:
    """Exit code, stdout and stderr exactly as written (``Result.stdout`` would turn CR LF
    into LF and hide a CR)."""
    result = runner.invoke(app, ["--db", db_url, *args])
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    out, err = result.stdout_bytes.decode("utf-8"), result.stderr_bytes.decode("utf-8")
    return result.exit_code, out, err


def _digest(*parts: str) -> bytes:
    return hashlib.sha256("\x1f".join(parts).encode()).digest()


def _plant(db_url: str, tmp_path: Path) -> Planted:
    feed = tmp_path / "feed.csv"
    feed.write_text(FEED, encoding="utf-8")
    assert _run(db_url, "-q", "ingest", "reports", str(feed))[0] == 0
    engine = make_engine(db_url)
    with engine.begin() as connection:
        site_ids = {k: v for k, v in connection.execute(select(Site.key, Site.id))}
        url_ids = {k: v for k, v in connection.execute(select(Url.site_id, Url.id))}
        selectors = {
            "brand_text": ("BRAND", SITES[:2]),
            "affiliate": ("AFF", SITES[:2]),
            "merchant_id": ("pay.example|MERCHANT", SITES),
            "btc_address": ("1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2", SITES),
        }
        for site in SITES:
            connection.execute(
                insert(Capture).values(
                    record_id=f"<urn:uuid:{site}>", file="planted.warc.gz", record_offset=0,
                    url_id=url_ids[site_ids[site]], final_url_id=url_ids[site_ids[site]],
                    site_id=site_ids[site], captured_at=WHEN, status=200, ip="192.0.2.10",
                    title="TITLE", html_bytes=100, page_class="normal",
                )
            )  # fmt: skip
        captures = {k: v for k, v in connection.execute(select(Capture.site_id, Capture.id))}
        for kind, (value, carriers) in selectors.items():
            selector_id = connection.execute(
                insert(SelectorValue)
                .values(digest=_digest(kind, value), kind=kind, value=value, strength="strong",
                        method="planted")
                .returning(SelectorValue.id)
            ).scalar_one()  # fmt: skip
            for site in carriers:
                connection.execute(
                    insert(SiteSelector).values(
                        site_id=site_ids[site], selector_id=selector_id, first_seen=WHEN,
                        last_seen=WHEN, captures=1, first_capture_id=captures[site_ids[site]],
                    )
                )  # fmt: skip
        connection.execute(
            insert(HostingObservation),
            [
                {"digest": _digest("a", site), "site_key": site, "host": site, "source": "pdns",
                 "rrtype": "A", "value": "192.0.2.10", "status": "ok", "first_seen": WHEN,
                 "last_seen": WHEN, "count": 1}
                for site in SITES
            ]
            + [
                {"digest": _digest("cname"), "site_key": SITES[0], "host": "www.shop-a.test",
                 "source": "pdns", "rrtype": "CNAME", "value": "edge.shop-a.test",
                 "status": "ok", "first_seen": WHEN, "last_seen": WHEN, "count": 1}
            ],
        )  # fmt: skip
        connection.execute(
            insert(IpFactsRow).values(
                ip="192.0.2.10", country="NL", asn=64500, as_org="ORG", cdn=None,
                fingerprint="planted", abuse_emails=["abuse@isp.example"],
            )
        )  # fmt: skip
        connection.execute(
            insert(SiteHosting),
            [
                {"site_key": site, "status": "hosted", "country": "NL", "ip": "192.0.2.10",
                 "asn": 64500, "provider": "PROVIDER", "since": WHEN, "first_seen": WHEN,
                 "last_seen": WHEN, "ips": 1, "asns": 1, "countries": 1, "providers": 1}
                for site in SITES
            ],
        )  # fmt: skip
        connection.execute(
            insert(RdapLookup).values(
                ip="192.0.2.10", status="error", error="ERROR", url=None, attempts=1,
                fetched_at=WHEN,
            )
        )  # fmt: skip
        quarantine_id = connection.execute(
            insert(QuarantineEntry)
            .values(kind="reports", file="/feeds/FILE.csv", line=2, byte_offset=40,
                    reason_code="bad_value", reason="REASON", raw=b"RAW",
                    raw_truncated=False, raw_digest=_digest("raw"))
            .returning(QuarantineEntry.id)
        ).scalar_one()  # fmt: skip
    code, _, err = _run(db_url, "-q", "attribute")
    assert code == 0, err
    with engine.connect() as connection:
        brand, distributor = connection.execute(
            select(Brand.id, Brand.distributor_id).where(Brand.retired_at.is_(None))
        ).first() or (None, None)
    assert brand is not None, "the planted sites form no brand"
    assert distributor is not None
    return Planted(db_url, engine, quarantine_id, brand, distributor)


@pytest.fixture
def planted(db_url: str, tmp_path: Path) -> Iterator[Planted]:
    world = _plant(db_url, tmp_path)
    yield world
    world.engine.dispose()


@pytest.fixture(autouse=True)
def plain_output(monkeypatch: pytest.MonkeyPatch) -> None:
    """No colour codes of rich's own, whatever the environment says: any ESC is the data's."""
    for name in ("FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("COLUMNS", "200")


def _set_everywhere(world: Planted, value: str) -> None:
    """Put ``value`` in every place data reaches the commands from (cut to column sizes)."""
    with world.engine.begin() as connection:
        for kind in ("brand_text", "affiliate"):
            connection.execute(
                update(SelectorValue).where(SelectorValue.kind == kind).values(value=value)
            )
        connection.execute(
            update(SelectorValue)
            .where(SelectorValue.kind == "merchant_id")
            .values(value=f"pay.example|{value}")
        )
        connection.execute(update(SelectorValue).values(method=value[:32]))
        connection.execute(update(Capture).values(title=value))
        connection.execute(
            update(HostingObservation)
            .where(HostingObservation.rrtype == "CNAME")
            .values(host=value[:255] or "x", value=value[:255])
        )
        connection.execute(
            update(IpFactsRow).values(
                country=value[:8], as_org=value, cdn=value[:64] or None, abuse_emails=[value]
            )
        )
        connection.execute(
            update(SiteHosting).values(
                # the report copies it into a 255-character column
                provider=value[:255],
                country=value[:16],
                cdn=value[:64],
                origin_country=value[:8],
            )
        )
        connection.execute(update(RdapLookup).values(error=value))
        connection.execute(
            update(QuarantineEntry).values(
                file=value[:1024], reason=value, raw=value.encode("utf-8", "surrogatepass")
            )
        )
        connection.execute(update(Brand).where(Brand.id == world.brand).values(label=value[:255]))
        connection.execute(
            update(Distributor).where(Distributor.id == world.distributor).values(label=value[:255])
        )
        connection.execute(update(Report).values(site_type=value[:16] or None, note=value))
        connection.execute(update(Source).values(code=value[:64] or "HL-A"))


def _commands(world: Planted, value: str, out_dir: Path) -> list[tuple[str, ...]]:
    return [
        ("quarantine", "list"),
        ("quarantine", "show", str(world.quarantine_id)),
        ("selectors", SITES[0]),
        ("why", SITES[0]),
        ("hosting", SITES[0]),
        ("export", "selectors", "--defang"),
        ("export", "selectors", "--defang", "--format", "jsonl"),
        ("export", "sites", "--defang"),
        ("export", "urls", "--defang", "--format", "jsonl"),
        ("report", "--print"),
        ("report", "--out", str(out_dir)),
        ("label", "brand", f"b{world.brand}", value or "x"),
    ]


def _check_every_command(world: Planted, value: str, out_dir: Path) -> None:
    _set_everywhere(world, value)
    for args in _commands(world, value, out_dir):
        code, out, err = _run(world.db_url, *args)
        assert code in (0, 2), (args, code, err)
        assert_shown_safely(out, " ".join(args))
        assert_shown_safely(err, " ".join(args) + " (stderr)")
    html = (out_dir / "assessment.html").read_text(encoding="utf-8")
    assert_shown_safely(html.replace("\t", " "), "assessment.html")
    assert "://" not in html
    for table in sorted((out_dir / "tables").glob("*.csv")):
        text = table.read_text(encoding="utf-8")
        assert_shown_safely(text.replace("\t", " "), table.name)


def test_every_command_shows_planted_values_safely(planted: Planted, tmp_path: Path) -> None:
    _check_every_command(planted, EVERYTHING, tmp_path / "report")
    # The values are shown, escaped and defanged, not dropped.
    code, out, _ = _run(planted.db_url, "selectors", SITES[0])
    assert code == 0
    assert "\\x1b]0;window title\\x07" in out
    assert "[bold]" in out  # markup and emoji codes print literally
    assert ":warning:" in out
    assert "hxxps://shop[.]example[.]test/pay" in out
    _, why, _ = _run(planted.db_url, "why", SITES[0])
    assert "\\u202e" in why
    _, hosting, _ = _run(planted.db_url, "hosting", SITES[0])
    assert "\\x1b[2J" in hosting


@given(value=HOSTILE)
@example(value=EVERYTHING)
@example(value="\x1b]8;;https://evil.example.test/\x07www.bank.example\x1b]8;;\x07")
@settings(
    max_examples=6,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_any_planted_value_is_shown_safely_by_every_command(
    planted: Planted, tmp_path: Path, value: str
) -> None:
    _check_every_command(planted, value, tmp_path / "report")


@pytest.mark.parametrize("command", ["urls", "sites", "selectors"])
def test_export_to_a_terminal_never_carries_controls(
    planted: Planted, monkeypatch: pytest.MonkeyPatch, command: str
) -> None:
    _set_everywhere(planted, EVERYTHING)
    monkeypatch.setattr(export_commands, "_stdout_is_terminal", lambda: True)
    # The default on a terminal: defanged, for people.
    code, out, err = _run(planted.db_url, "export", command)
    assert code == 0, err
    assert_shown_safely(out, command)
    # Values as stored, asked for explicitly on a terminal: URLs live, controls still escaped.
    code, out, err = _run(planted.db_url, "export", command, "--no-defang")
    assert code == 0, err
    assert _FORBIDDEN.search(out) is None


def test_machine_exports_keep_values_exactly(planted: Planted, tmp_path: Path) -> None:
    """To a file or a pipe (tools) the values round-trip, control characters and all."""
    _set_everywhere(planted, EVERYTHING)
    target = tmp_path / "selectors.jsonl"
    code, _, err = _run(
        planted.db_url, "export", "selectors", "--format", "jsonl", "-o", str(target)
    )
    assert code == 0, err
    records = [orjson.loads(line) for line in target.read_bytes().splitlines()]
    assert EVERYTHING in {record["value"] for record in records}
    code, out, _ = _run(planted.db_url, "export", "selectors", "--format", "csv")
    assert code == 0
    values = {row["value"] for row in csv.DictReader(io.StringIO(out))}
    assert EVERYTHING in values


def test_report_csv_values_are_escaped_not_lost(planted: Planted, tmp_path: Path) -> None:
    _set_everywhere(planted, "Prov\x1b[31m http://p.example.test")
    code, _, err = _run(planted.db_url, "report", "--out", str(tmp_path / "r"))
    assert code == 0, err
    text = "".join(p.read_text(encoding="utf-8") for p in (tmp_path / "r" / "tables").glob("*"))
    assert "Prov\\x1b[31m hxxp://p[.]example[.]test" in text


def test_unicode_categories_are_what_the_sanitiser_escapes() -> None:
    """The hand-written class matches Unicode: every Cc, Zl, Zp and bidi control, no more."""
    for code in range(0x3000):
        char = chr(code)
        unsafe = unicodedata.category(char) in ("Cc", "Zl", "Zp") or char in BIDI_CONTROLS
        assert (not is_displayable(char)) == unsafe, hex(code)
