"""Page classes through capture import, on SQLite and PostgreSQL: each class from a hand-made
WARC is stored with its capture; a page that is not the site's own gives no brand-level
selectors (and, but for a login wall, none from its body); a favicon loaded by such a page
gives none either; redirects are still gateways; the CLI and the export show the classes;
and migration 0006 fills the column for captures stored before it.

All data is synthetic: reserved names (``*.test``, ``*.example``), documentation IPs.
"""

from __future__ import annotations

import csv
import io
import re
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, inspect, select, text
from typer.testing import CliRunner

from hotline.captures.extractors import default_extractors
from hotline.captures.models import Capture, CaptureSelector, MediaHash, SelectorValue, SiteSelector
from hotline.captures.pages import read_capture_file
from hotline.captures.services import CaptureImporter
from hotline.cli.app import app
from hotline.intake.models import Site, Url
from hotline.store.engine import WRITER, make_engine
from hotline.store.migrate import MIGRATIONS, head_revision, upgrade
from hotline.synth.images import gradient_png
from hotline.synth.warc import WarcWriter

WHEN = datetime(2026, 5, 6, 7, 8, 9, tzinfo=UTC)
HTML = [("Content-Type", "text/html; charset=utf-8"), ("Server", "nginx")]
PARKER_ANALYTICS = "G-PARKZO1234"
ICON = gradient_png(__import__("random").Random(5), 16)
PARK_ICON = gradient_png(__import__("random").Random(6), 16)


def _shop(name: str, extra: str = "") -> bytes:
    return (
        f"<!DOCTYPE html><html><head><title>{name} | fresh picks</title>"
        '<link rel="icon" href="/favicon.ico">'
        "<script async src='https://www.googletagmanager.example/gtag/js?id=G-VAXLUM0001'>"
        "</script></head><body>"
        f'<div class="wrap"><header class="top"><img class="logo" src="/logo.png" alt="{name}">'
        '<nav><a href="/">Home</a> <a href="/catalog/">Catalogue</a></nav></header>'
        f'<main><h1>{name}</h1><section class="grid"><div class="card"><p>Deluxe pack no. 12</p>'
        '<span class="price">$19</span></div><div class="card"><p>Starter bundle no. 7</p>'
        '<span class="price">$9</span></div><div class="card"><p>Compact kit</p></div></section>'
        f"<p>Send BTC to <code>1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2</code></p>{extra}</main>"
        '<footer><p>Page not found? <a href="mailto:help@vaxlum.test">Contact us</a></p></footer>'
        "</div></body></html>"
    ).encode()


def _parked(domain: str) -> bytes:
    return (
        f"<!DOCTYPE html><html><head><title>{domain} is for sale</title>"
        '<link rel="icon" href="/favicon.ico">'
        f"<script>gtag('config','{PARKER_ANALYTICS}');</script>"
        f"<script async src='https://www.googletagmanager.example/gtag/js?id={PARKER_ANALYTICS}'>"
        '</script></head><body><div class="park"><header class="top"><img class="logo" '
        'src="https://parkzo.example/logo.png" alt="Parkzo"></header><main class="m">'
        f"<h1>{domain}</h1><p>This domain may be for sale!</p>"
        '<p><a href="https://parkzo.example/buy?d=x&amp;aff=PZ7731">Buy this domain</a></p>'
        '<h2>Related searches</h2><ul><li><a href="/s?q=a">Gift ideas</a></li></ul></main>'
        '<footer><a href="mailto:domains@parkzo.example">domains@parkzo.example</a></footer>'
        "</div></body></html>"
    ).encode()


SUSPENDED = (
    b"<!DOCTYPE html><html><head><title>Account Suspended</title></head><body><main>"
    b"<h1>Account Suspended</h1><p>This account has been suspended.</p><p>Contact "
    b'<a href="mailto:billing@hosty.example">billing@hosty.example</a></p></main></body></html>'
)
CHALLENGE = (
    b"<!DOCTYPE html><html><head><title>Just a moment...</title></head><body>"
    b'<h1>zibzab.test</h1><h2 id="challenge-running">Checking if the site connection is secure'
    b"</h2><noscript><div>Enable JavaScript and cookies to continue</div></noscript>"
    b"<div>Ray ID: <code>8a1b2c3d4e5f</code></div></body></html>"
)
NGINX_404 = (
    b"<html>\r\n<head><title>404 Not Found</title></head>\r\n<body>\r\n<center><h1>404 Not Found"
    b"</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
)
SOFT_404 = (
    b"<!DOCTYPE html><html><head><title>410 not found</title></head><body>"
    b'<div class="error"><h1>410 not found</h1><p>Sorry.</p></div></body></html>'
)
LOGIN = (
    b"<!DOCTYPE html><html><head><title>Members area | Quoxly</title>"
    b"<script async src='https://www.googletagmanager.example/gtag/js?id=G-QUOXLY0001'>"
    b'</script></head><body><div class="login"><h1>Quoxly</h1><form method="post" '
    b'action="/login"><input name="user"><input type="password" name="pass"><button>Enter'
    b"</button></form></div></body></html>"
)
DIRECTORY = (
    b"<!DOCTYPE html><html><head><title>Index of /files</title></head><body>"
    b'<h1>Index of /files</h1><a href="?C=N;O=D">Name</a> <a href="/">Parent Directory</a> '
    b'<a href="a.zip">a.zip</a><address>Apache/2.4.58 (Unix) Server at plimt.test</address>'
    b"</body></html>"
)
EMPTY = b"<html><head></head><body><div></div></body></html>"

# URL → (status, reason, headers, body, expected class)
PAGES: dict[str, tuple[int, str, list[tuple[str, str]], bytes, str]] = {
    "https://vaxlum.test/": (200, "OK", HTML, _shop("Vaxlum"), "normal"),
    "https://vaxlum.test/gone": (404, "Not Found", HTML, NGINX_404, "error"),
    "https://zorbel.test/": (200, "OK", HTML, _parked("zorbel.test"), "placeholder"),
    "https://quenty.example/": (200, "OK", HTML, _parked("quenty.example"), "placeholder"),
    "https://wimble.test/": (200, "OK", HTML, SUSPENDED, "suspended"),
    "https://zibzab.test/": (
        403,
        "Forbidden",
        [("Content-Type", "text/html"), ("Server", "cloudflare"), ("cf-mitigated", "challenge")],
        CHALLENGE,
        "challenge",
    ),
    "https://fraxo.test/item/7": (200, "OK", HTML, SOFT_404, "error"),
    "https://quoxly.test/": (200, "OK", HTML, LOGIN, "login"),
    "https://plimt.test/files/": (200, "OK", HTML, DIRECTORY, "directory"),
    "https://blanko.test/": (200, "OK", HTML, EMPTY, "empty"),
}


def _write_warc(path: Path) -> None:
    with WarcWriter(path, namespace=f"page-class-{path.name}") as warc:
        for number, (url, (status, reason, headers, body, _)) in enumerate(PAGES.items()):
            when = WHEN + timedelta(seconds=number)
            warc.response(url, when, status, reason, headers, body, "198.51.100.9")
        # A gateway: hopzo.test redirects to the parked zorbel.test (a 302, then the page).
        warc.response(
            "https://hopzo.test/go",
            WHEN,
            302,
            "Found",
            [("Location", "https://zorbel.test/"), ("Content-Type", "text/html")],
            b"",
        )
        # Favicons, each loaded by a page (Referer): the shop's, and the parked page's.
        for page_url, icon in (("https://vaxlum.test/", ICON), ("https://zorbel.test/", PARK_ICON)):
            icon_url = page_url + "favicon.ico"
            record = warc.response(icon_url, WHEN, 200, "OK", [("Content-Type", "image/png")], icon)
            warc.request(icon_url, WHEN, [("Referer", page_url)], concurrent_to=record)


def _importer(engine: Engine) -> CaptureImporter:
    return CaptureImporter(engine, default_extractors())


def _selectors_by_url(engine: Engine) -> dict[str, set[tuple[str, str]]]:
    query = (
        select(Url.canonical, SelectorValue.kind, SelectorValue.value)
        .join(Capture, Capture.final_url_id == Url.id)
        .join(CaptureSelector, CaptureSelector.capture_id == Capture.id)
        .join(SelectorValue, SelectorValue.id == CaptureSelector.selector_id)
    )
    found: dict[str, set[tuple[str, str]]] = defaultdict(set)
    with engine.connect() as connection:
        for url, kind, value in connection.execute(query):
            found[url].add((kind, value))
    return found


def _site_kinds(engine: Engine) -> dict[str, set[str]]:
    query = (
        select(Site.key, SelectorValue.kind)
        .join(SiteSelector, SiteSelector.site_id == Site.id)
        .join(SelectorValue, SelectorValue.id == SiteSelector.selector_id)
    )
    found: dict[str, set[str]] = defaultdict(set)
    with engine.connect() as connection:
        for key, kind in connection.execute(query):
            found[key].add(kind)
    return found


def test_reader_classifies_pages_and_drops_their_selectors(tmp_path: Path) -> None:
    warc = tmp_path / "classes.warc.gz"
    _write_warc(warc)
    content = read_capture_file(warc, default_extractors())
    assert not content.refusals
    pages = {page.url.url: page for page in content.pages}
    assert {url: page.page_class for url, page in pages.items()} == {
        url: expected[-1] for url, expected in PAGES.items()
    }
    shop = {s.kind for s in pages["https://vaxlum.test/"].selectors}
    assert {"brand_text", "template", "btc_address", "analytics", "email"} <= shop
    login = {s.kind for s in pages["https://quoxly.test/"].selectors}
    assert "analytics" in login  # the wall is the site's own: its analytics id is evidence
    assert not login & {"brand_text", "template"}  # but not its name and look
    for url, page in pages.items():
        if page.page_class not in ("normal", "login"):
            assert {s.kind for s in page.selectors} <= {"gateway"}, url
    parked = pages["https://zorbel.test/"]
    assert [s.value for s in parked.selectors] == ["hopzo.test>zorbel.test"]  # still a gateway
    icons = {media.page_url: media for media in content.media}
    assert icons["https://vaxlum.test/"].favicon
    assert icons["https://vaxlum.test/"].page_class == "normal"
    assert icons["https://zorbel.test/"].favicon == []  # the parking company's icon
    assert icons["https://zorbel.test/"].page_class == "placeholder"
    assert icons["https://zorbel.test/"].is_favicon


def test_import_stores_each_class_and_no_brand_evidence_from_other_pages(
    tmp_path: Path, engine: Engine
) -> None:
    warc = tmp_path / "classes.warc.gz"
    _write_warc(warc)
    summary = _importer(engine).ingest(warc)
    assert summary.rejected == 0
    assert summary.page_classes["placeholder"] == 2
    assert sum(summary.page_classes.values()) == len(PAGES)
    with engine.connect() as connection:
        stored = dict(
            connection.execute(
                select(Url.canonical, Capture.page_class).join(
                    Capture, Capture.final_url_id == Url.id
                )
            ).all()
        )
        icons = {
            uri: is_favicon
            for uri, is_favicon in connection.execute(select(MediaHash.uri, MediaHash.is_favicon))
        }
    assert stored == {url: expected[-1] for url, expected in PAGES.items()}  # every capture kept
    assert all(icons.values())
    evidence = _selectors_by_url(engine)
    for url, (*_, page_class) in PAGES.items():
        kinds = {kind for kind, _ in evidence.get(url, set())}
        if page_class == "normal":
            assert {"brand_text", "template", "favicon_md5", "favicon_mmh3"} <= kinds
        elif page_class == "login":
            assert kinds == {"analytics", "script_host"}  # the owner's, not brand-level
        else:
            assert kinds <= {"gateway"}, (url, kinds)
    assert evidence["https://zorbel.test/"] == {("gateway", "hopzo.test>zorbel.test")}
    sites = _site_kinds(engine)
    assert sites["hopzo.test"] == {"gateway"}  # the redirect still ties the two sites
    assert sites["zorbel.test"] == {"gateway"}
    # Two parked domains of one parking company share its analytics id and its icon; taken
    # as evidence, that would make them (and every other parked domain) one brand.
    assert "quenty.example" not in sites
    with engine.connect() as connection:
        values = set(connection.scalars(select(SelectorValue.value)))
    assert PARKER_ANALYTICS not in values
    assert "410 not found" not in values
    assert "account suspended" not in values


def test_a_favicon_of_a_page_stored_from_an_earlier_file_is_judged_by_that_page(
    tmp_path: Path, engine: Engine
) -> None:
    pages, icons = tmp_path / "pages.warc.gz", tmp_path / "icons.warc.gz"
    with WarcWriter(pages, namespace="early-pages") as warc:
        warc.response("https://zorbel.test/", WHEN, 200, "OK", HTML, _parked("zorbel.test"))
        warc.response("https://vaxlum.test/", WHEN, 200, "OK", HTML, _shop("Vaxlum"))
    with WarcWriter(icons, namespace="late-icons") as warc:
        for page_url, icon in (("https://zorbel.test/", PARK_ICON), ("https://vaxlum.test/", ICON)):
            icon_url = page_url + "favicon.ico"
            record = warc.response(icon_url, WHEN, 200, "OK", [("Content-Type", "image/png")], icon)
            warc.request(icon_url, WHEN, [("Referer", page_url)], concurrent_to=record)
    importer = _importer(engine)
    importer.ingest(pages)
    importer.ingest(icons)
    sites = _site_kinds(engine)
    assert "favicon_md5" in sites["vaxlum.test"]
    assert "zorbel.test" not in sites


def _cli(db_url: str, *args: str) -> str:
    result = CliRunner().invoke(app, ["--db", db_url, *args], env={"COLUMNS": "200"})
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    assert result.exit_code == 0, result.stdout
    return re.sub(r"\x1b\[[0-9;]*m", "", result.stdout)


def test_selectors_command_and_export_show_page_classes(tmp_path: Path, db_url: str) -> None:
    first, later = tmp_path / "first.warc.gz", tmp_path / "later.warc.gz"
    _write_warc(first)
    with WarcWriter(later, namespace="later") as warc:  # vaxlum.test went down since
        warc.response(
            "https://vaxlum.test/", WHEN + timedelta(days=3), 404, "Not Found", HTML, NGINX_404
        )
    engine = make_engine(db_url)
    try:
        importer = _importer(engine)
        importer.ingest(first)
        importer.ingest(later)
    finally:
        engine.dispose()
    shown = _cli(db_url, "selectors", "vaxlum[.]test")
    assert "pages: 1 normal (last 2026-05-06), 2 error (last 2026-05-09)" in shown
    assert "latest capture (2026-05-09) is error: vaxlum[.]test/" in shown
    assert "Selectors of vaxlum[.]test" in shown
    assert "://" not in shown  # nothing clickable
    parked = _cli(db_url, "selectors", "zorbel.test")
    assert "pages: 1 placeholder (last 2026-05-06)" in parked
    assert "gateway" in parked
    only_down = _cli(db_url, "selectors", "wimble.test")
    assert "no selectors recorded for wimble[.]test" in only_down
    assert "pages: 1 suspended (last 2026-05-06)" in only_down
    assert "latest capture (2026-05-06) is suspended: wimble[.]test/" in only_down
    exported = _cli(db_url, "export", "selectors", "--format", "csv", "--no-defang")
    rows = list(csv.DictReader(io.StringIO(exported)))
    header = exported.splitlines()[0].split(",")
    assert header[:9] == [
        "site",
        "kind",
        "value",
        "method",
        "strength",
        "first_seen",
        "last_seen",
        "captures",
        "sites",
    ]  # the contract: new columns only after these
    assert header[-1] == "site_page_class"
    by_site = {row["site"]: row["site_page_class"] for row in rows}
    assert by_site["vaxlum.test"] == "error"  # its latest capture
    assert by_site["zorbel.test"] == "placeholder"
    assert by_site["quoxly.test"] == "login"
    assert by_site["hopzo.test"] == ""  # a gateway's source, never captured itself


def _alembic(engine: Engine, action: str, revision: str) -> None:
    """``alembic upgrade|downgrade REVISION`` on the engine, as hotline.store.migrate runs it."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.connect().execution_options(**WRITER) as connection, connection.begin():
        config.attributes["connection"] = connection
        getattr(command, action)(config, revision)


@pytest.fixture
def empty_url(db_url: str, tmp_path: Path) -> str:
    """An empty database (no tables, no revision) on each backend."""
    if db_url.startswith("sqlite"):
        return f"sqlite:///{tmp_path / 'empty.db'}"
    engine = make_engine(db_url)
    with engine.connect() as connection, connection.begin():
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    return db_url


def test_migration_0006_marks_earlier_captures_normal_and_reverts(empty_url: str) -> None:
    engine = make_engine(empty_url)
    try:
        _alembic(engine, "upgrade", "0005")
        with engine.connect().execution_options(**WRITER) as connection, connection.begin():
            connection.execute(
                text(
                    "INSERT INTO sites (id, key, kind, created_at) "
                    "VALUES (1, 'vaxlum.test', 'domain', :now)"
                ),
                {"now": WHEN.replace(tzinfo=None)},
            )
            connection.execute(
                text(
                    "INSERT INTO urls (id, digest, canonical, site_id, scheme, host, origin, "
                    "created_at) VALUES (1, :digest, 'https://vaxlum.test/', 1, 'https', "
                    "'vaxlum.test', 'capture', :now)"
                ),
                {"digest": b"\x01" * 32, "now": WHEN.replace(tzinfo=None)},
            )
            connection.execute(
                text(
                    "INSERT INTO captures (id, record_id, file, record_offset, url_id, "
                    "final_url_id, site_id, captured_at, status, html_bytes, created_at) VALUES "
                    "(1, '<urn:uuid:1>', 'old.warc.gz', 0, 1, 1, 1, :now, 200, 10, :now)"
                ),
                {"now": WHEN.replace(tzinfo=None)},
            )
        before, after = upgrade(engine)
        assert (before, after) == ("0005", head_revision())
        with engine.connect() as connection:
            assert connection.scalars(select(Capture.page_class)).all() == ["normal"]
        _alembic(engine, "downgrade", "0005")
        with engine.connect() as connection:
            columns = {column["name"] for column in inspect(connection).get_columns("captures")}
            assert "page_class" not in columns
            assert connection.execute(text("SELECT count(*) FROM captures")).scalar_one() == 1
        upgrade(engine)
        with engine.connect() as connection:
            assert connection.scalars(select(Capture.page_class)).all() == ["normal"]
    finally:
        engine.dispose()
