"""Terminal output: fitted to a terminal, never cut when it goes to a pipe, a file or a log."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from rich.table import Table

from hotline.cli.console import PIPED_WIDTH, HotlineConsole
from hotline.synth.warc import WarcWriter
from tests.test_cli import hotline

# A long site name (the longest DNS label is 63 characters) and long values in a capture.
LONG_SITE = "zorbel-quax-fresh-picks-and-more-for-everyone-" + "x" * 17 + ".test"
LONG_EMAIL = "orders-and-customer-support-desk-around-the-clock@" + LONG_SITE
BTC = "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2"
WHEN = datetime(2026, 5, 6, 7, 8, 9, tzinfo=UTC)


def _defanged(text: str) -> str:
    return text.replace(".", "[.]")


def _capture(path: Path) -> Path:
    page = (
        "<!DOCTYPE html><html><head><title>Zorbel | fresh picks</title></head><body><main>"
        f"<h1>Zorbel</h1><p>Send BTC to <code>{BTC}</code>.</p>"
        f'<p>Questions: <a href="mailto:{LONG_EMAIL}">{LONG_EMAIL}</a></p></main></body></html>'
    ).encode()
    with WarcWriter(path, namespace="console") as writer:
        writer.response(
            f"https://shop.{LONG_SITE}/",
            WHEN,
            200,
            "OK",
            [("Content-Type", "text/html; charset=utf-8")],
            page,
            "198.51.100.9",
        )
    return path


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def _table(*cells: str) -> Table:
    table = Table(title="Evidence", title_justify="left")
    table.add_column("kind", no_wrap=True)
    table.add_column("value")  # rich's default: too long a word is cut with "…"
    table.add_row(*cells)
    return table


def _cell_text(output: str, column: int) -> str:
    """The text of one column of a boxed table, its wrapped lines joined again."""
    pieces = []
    for line in output.splitlines():
        parts = line.split("│")
        if len(parts) > column + 1:
            pieces.append(parts[column + 1].strip())
    return "".join(pieces)


def test_piped_output_is_wide() -> None:
    buffer = io.StringIO()
    console = HotlineConsole(file=buffer, _environ={})
    assert console.width == PIPED_WIDTH
    value = "v" * 150
    console.print(_table("brand_text", value))
    assert value in buffer.getvalue()
    assert "…" not in buffer.getvalue()


@pytest.mark.parametrize("columns", ["30", "60"])
def test_piped_output_honours_columns_and_wraps_instead_of_cutting(columns: str) -> None:
    buffer = io.StringIO()
    console = HotlineConsole(file=buffer, _environ={"COLUMNS": columns})
    assert console.width == int(columns)
    value = "".join(f"{n:03d}" for n in range(40))  # one 120-character word
    console.print(_table("a-long-kind-name", value))
    output = buffer.getvalue()
    assert "…" not in output
    assert max(len(line) for line in output.splitlines()) <= int(columns)
    assert _cell_text(output, 0) == "a-long-kind-name"
    assert _cell_text(output, 1) == value


def test_a_terminal_still_gets_a_table_that_fits() -> None:
    screen = _Tty()
    console = HotlineConsole(file=screen, _environ={"COLUMNS": "40"}, force_terminal=True)
    console.print(_table("brand_text", "w" * 120))
    lines = screen.getvalue().splitlines()
    assert max(len(line) for line in lines if "\x1b" not in line) <= 40
    assert "…" in screen.getvalue()


def test_piped_selectors_show_every_value_complete(db_url: str, tmp_path: Path) -> None:
    warc = _capture(tmp_path / "long.warc.gz")
    assert hotline(db_url, "-q", "ingest", "captures", str(warc)).code == 0
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
    # Nothing is a terminal: stdin, stdout and stderr are all pipes or /dev/null.
    run = subprocess.run(
        [sys.executable, "-m", "hotline.cli.app", "--db", db_url, "selectors", LONG_SITE],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    out = run.stdout
    assert f"Selectors of {_defanged(LONG_SITE)}" in out
    assert "…" not in out
    email = _defanged(LONG_EMAIL)
    assert email in out, out
    btc_row = next(line for line in out.splitlines() if BTC in line)
    # One line per row: kind, value, method and dates side by side.
    assert "btc_address" in btc_row
    assert "crypto:BTC" in btc_row
    assert "2026-05-06" in btc_row
    assert "://" not in out
