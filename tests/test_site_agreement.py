"""One reading of "the site the analyst typed": ``why``, ``hosting``, ``selectors`` and
``link`` find the same stored site for an IDN, a defanged URL, a pasted URL, a bare IP and
an onion service, whichever way each is typed — checked through the commands on a store
that intake filled (SQLite and PostgreSQL)."""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path

import pytest

from hotline.urls import defang_host
from tests.test_cli import hotline


def _onion(seed: bytes) -> str:
    """A valid v3 onion address (public key, checksum, version) made from ``seed``."""
    key = hashlib.sha256(seed).digest()
    checksum = hashlib.sha3_256(b".onion checksum" + key + b"\x03").digest()[:2]
    return base64.b32encode(key + checksum + b"\x03").decode().lower() + ".onion"


ONION = _onion(b"agreement")
IDN_KEY = "xn--ebelquopelquo-shop4-4xb.test"

# (the key intake stores, a reported URL of it, the ways an analyst may type it)
SITES = [
    (IDN_KEY, "https://www.çebelquopelquo-shop4.test/item?id=1", [
        "çebelquopelquo-shop4.test",
        "hxxps://www.çebelquopelquo-shop4[.]test/item?id=1",
        "XN--EBELQUOPELQUO-SHOP4-4XB.TEST.",
        "  https://www.xn--ebelquopelquo-shop4-4xb.test/a?b=c  ",
    ]),
    ("shop-agree.test", "http://shop-agree.test/cart", [
        "shop-agree.test", "hxxp://shop-agree[.]test/cart", "https://WWW.shop-agree.test:8443/x",
        "shop-agree[.]test",
    ]),
    ("198.51.100.7", "http://198.51.100.7/x", [
        "198.51.100.7", "hxxp://198[.]51[.]100[.]7/x", "http://198.51.100.7:8080/a",
        "198[.]51[.]100[.]7",
    ]),
    (ONION, f"http://{ONION}/index", [
        ONION, f"hxxp://{ONION.replace('.onion', '[.]onion')}/path", f"http://www.{ONION}/x",
        ONION.upper(),
    ]),
]  # fmt: skip

_QUOTED = re.compile(r"'([^']+)'")


@pytest.fixture
def store(db_url: str, tmp_path: Path) -> str:
    feed = tmp_path / "feed.csv"
    lines = ["source,source_report_id,reported_at,url"]
    lines += [f"HL-A,r{n},2026-11-0{n + 1}T10:00:00Z,{url}" for n, (_, url, _) in enumerate(SITES)]
    lines.append("HL-A,r9,2026-11-09T10:00:00Z,http://partner-agree.test/")
    feed.write_text("\n".join(lines) + "\n", encoding="utf-8")
    run = hotline(db_url, "-q", "ingest", "reports", str(feed))
    assert run.code == 0, run.err
    return db_url


def _site_shown(command: str, db_url: str, typed: str) -> str:
    """The defanged site a command names for ``typed``."""
    if command == "link":
        run = hotline(db_url, "link", typed, "partner-agree.test", "--reason", "test")
        assert run.code == 0, run.err
        return run.out.split("recorded #", 1)[1].split(": ", 1)[1].split(" and ", 1)[0]
    run = hotline(db_url, command, typed)
    text = run.out + run.err
    if command == "selectors":  # "no selectors recorded for <site> (ingest its captures first)"
        return text.split("recorded for ", 1)[1].split()[0]
    found = _QUOTED.search(text)  # "no hosting known for '<site>'", "no attribution for ..."
    assert found is not None, text
    return found.group(1)


@pytest.mark.parametrize(("key", "typings"), [(key, typings) for key, _, typings in SITES],
                         ids=["idn", "domain", "bare-ip", "onion"])  # fmt: skip
def test_every_command_finds_the_same_site_however_it_is_typed(
    store: str, key: str, typings: list[str]
) -> None:
    expected = defang_host(key)
    for typed in typings:
        for command in ("why", "hosting", "selectors", "link"):
            assert _site_shown(command, store, typed) == expected, (command, typed)
