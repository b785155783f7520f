"""The web application in a real browser: headless Chromium (Debian's, driven by Playwright;
no browser download) against `hotline serve`'s application on loopback, over the small
synthetic world.

An analyst signs in, pastes a reported URL into the lookup, opens its site, follows to the
brand and the distributor, uploads a report feed and watches its import finish, then reads
the strategic assessment and downloads it. On every
page: no link or source points at a reported URL (only this server's own paths), the
browser asks nothing of any other host, and the Content-Security-Policy is never violated.
With ``HOTLINE_SCREENSHOTS=DIR`` the pages are also saved as the screenshots of
docs/web.md.
"""

from __future__ import annotations

import csv
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from sqlalchemy import text

from hotline.store.engine import make_engine
from hotline.store.migrate import upgrade
from hotline.web.app import Settings, create_app
from tests.test_report_render import _need_chromium
from tests.web_world import PASSWORD, ROLES, make_world, seed

playwright = pytest.importorskip("playwright.sync_api", reason="playwright is a dev dependency")

FEED = (
    "source,source_report_id,reported_at,url\n"
    "HL-A,browser-0001,2026-11-04T09:14:00Z,https://shop.browser-upload.test/item/1\n"
    "HL-A,browser-0002,2026-11-04T09:15:00Z,https://shop.browser-upload.test/item/2\n"
)


class _Server(uvicorn.Server):
    def install_signal_handlers(self) -> None:  # a thread cannot; the test stops it
        pass


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path, str]]:
    """(base URL, world folder, database URL) of the application serving the seeded small
    world."""
    exe = _need_chromium()
    folder = tmp_path_factory.mktemp("browser")
    world = make_world(folder / "world")
    url = f"sqlite:///{folder / 'web.db'}"
    engine = make_engine(url)
    upgrade(engine)
    seed(engine, world)
    app = create_app(url, Settings(upload_dir=folder / "uploads"), engine=engine)
    server = _Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(200):
        if server.started:
            break
        time.sleep(0.05)
    assert server.started, "the server did not start"
    port = server.servers[0].sockets[0].getsockname()[1]
    os.environ["HOTLINE_TEST_CHROMIUM"] = exe
    yield f"http://127.0.0.1:{port}", world, url
    server.should_exit = True
    thread.join(timeout=10)
    engine.dispose()


def _reported_url(world: Path) -> str:
    """A reported URL of HL-A whose site is attributed to a brand and a distributor."""
    with (world / "reports.csv").open(encoding="utf-8", newline="") as handle:
        rows = [r for r in csv.DictReader(handle) if r["source"] == "HL-A"]
    return next(r["url"] for r in rows if r["url"].startswith("http") and ".test" in r["url"])


def _check_page(page: Any, base: str, shots: Path | None, name: str) -> None:
    """Nothing on the page links or loads anything but this server's own paths."""
    targets = page.eval_on_selector_all(
        "[href], [src], [action]",
        "els => els.flatMap(e => ['href', 'src', 'action']"
        ".map(a => e.getAttribute(a)).filter(v => v !== null))",
    )
    for target in targets:
        assert target.startswith("/") or target.startswith(base) or target.startswith("#"), (
            name,
            target,
        )
        assert not target.startswith("//"), (name, target)
    if shots is not None:
        # the first screen keeps files small; a distributor's evidence graph sits below it
        page.screenshot(path=str(shots / f"web-{name}.png"), full_page=name == "distributor")


def test_an_analyst_looks_up_follows_the_evidence_and_imports_a_feed(
    served: tuple[str, Path, str], tmp_path: Path
) -> None:
    base, world, db_url = served
    shots_env = os.environ.get("HOTLINE_SCREENSHOTS")
    shots = Path(shots_env) if shots_env else None
    if shots is not None:
        shots.mkdir(parents=True, exist_ok=True)
    asked: list[str] = []
    refused: list[str] = []
    name = ROLES["analyst"][0]
    with playwright.sync_playwright() as driver:
        browser = driver.chromium.launch(
            executable_path=os.environ["HOTLINE_TEST_CHROMIUM"],
            args=["--no-sandbox", "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"],
        )
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        page.on("request", lambda request: asked.append(request.url))
        page.on(
            "console",
            lambda message: (
                refused.append(message.text) if "Content Security Policy" in message.text else None
            ),
        )
        page.goto(f"{base}/sign-in")
        _check_page(page, base, shots, "sign-in")
        page.fill("input[name=name]", name)
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"{base}/")
        assert name in page.content()
        _check_page(page, base, shots, "dashboard")

        # paste a reported URL, as an analyst would from a report
        reported = _reported_url(world)
        page.goto(f"{base}/lookup")
        page.fill("input[name=q]", reported)
        page.click("form.inline button[type=submit]")
        page.wait_for_selector("p.verdict")
        assert "— known" in page.inner_text("p.verdict")
        _check_page(page, base, shots, "lookup")
        assert reported not in page.content()  # shown defanged only

        page.click("dl.facts a[href^='/sites/']")
        page.wait_for_selector("h2:has-text('URLs (defanged)')")
        _check_page(page, base, shots, "site")
        assert "hxxp" in page.inner_text("td.url")

        page.click("dl.facts a[href^='/brands/']")
        page.wait_for_url(f"{base}/brands/**")
        _check_page(page, base, shots, "brand")
        page.click("a[href^='/distributors/']")
        page.wait_for_url(f"{base}/distributors/**")
        _check_page(page, base, shots, "distributor")

        # upload a feed and watch its import finish (HTMX polls the job)
        feed = tmp_path / "feed.csv"
        feed.write_text(FEED, encoding="utf-8")
        page.goto(f"{base}/imports")
        page.set_input_files("input[type=file]", str(feed))
        page.click("form.stacked button[type=submit]")
        page.wait_for_selector(".job .status.done", timeout=60_000)
        assert "feed.csv" in page.inner_text(".job")
        _check_page(page, base, shots, "imports")

        # the strategic assessment: shown here, and downloaded as the report's own file
        page.goto(f"{base}/assessment")
        page.click("button[name=download][value='']")
        page.wait_for_selector("p.verdict")
        assert "distributors operated" in page.inner_text("p.verdict")
        _check_page(page, base, shots, "assessment")
        with page.expect_download() as download:
            page.click("button[name=download][value=html]")
        saved = tmp_path / "assessment.html"
        download.value.save_as(saved)
        report = saved.read_text(encoding="utf-8")
        assert "<svg" in report
        assert "href=" not in report  # the report itself links nowhere
        browser.close()
    strangers = [u for u in asked if not u.startswith(base)]
    assert strangers == [], strangers  # nothing asked of any other host
    assert refused == [], refused  # and nothing the policy had to block
    engine = make_engine(db_url)
    try:
        with engine.connect() as connection:
            imported = connection.execute(
                text("SELECT count(*) FROM reports WHERE source_report_id LIKE 'browser-%'")
            ).scalar_one()
    finally:
        engine.dispose()
    assert imported == 2  # the feed uploaded through the browser is in the store
