"""Other coins through the store, on SQLite and PostgreSQL: a Monero address two shops show
is stored once with its coin, found by what an analyst pastes (bare or as stored), shown
by ``hotline selectors``, and ties the two shops' brands into one distributor."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

from hotline.captures.altcoins import monero_address
from hotline.captures.extractors import default_extractors
from hotline.captures.queries import selector_values, sites_with_value
from hotline.captures.services import CaptureImporter
from hotline.store.engine import make_engine
from hotline.synth.warc import WarcWriter
from tests.test_cli import hotline

WHEN = datetime(2026, 3, 1, tzinfo=UTC)
HTML = [("Content-Type", "text/html; charset=utf-8")]
RNG = random.Random(21)
WALLET = monero_address(18, bytes(RNG.randrange(256) for _ in range(64)))


def _page(name: str, merchant: int) -> bytes:
    return (
        f"<!DOCTYPE html><html><head><title>{name} | Weekly offers</title></head><body>"
        f'<img class="logo" src="/logo.png" alt="{name}"><p>Fresh picks every week.</p>'
        '<form action="https://pay.bigpay.example/checkout">'
        f'<input name="merchant" value="M{merchant}"></form>'
        f'<p>Or pay with Monero: <a href="monero:{WALLET}?tx_amount=0.2">{WALLET}</a></p>'
        "</body></html>"
    ).encode()


def test_a_monero_address_through_the_store(db_url: str, tmp_path: Path) -> None:
    warc = tmp_path / "coins.warc.gz"
    with WarcWriter(warc, namespace="coins") as writer:
        for number, (url, name) in enumerate(
            [("https://zorbel.test/", "Zorbel"), ("https://quandor.test/", "Quandor")]
        ):
            writer.response(
                url, WHEN + timedelta(minutes=number), 200, "OK", HTML, _page(name, number),
                "198.51.100.7",
            )  # fmt: skip
    engine = make_engine(db_url)
    CaptureImporter(engine, default_extractors()).ingest(warc)
    stored = f"XMR:{WALLET}"
    with engine.connect() as connection:
        assert selector_values(connection, "crypto_address") == {stored}
        expected = [("crypto_address", "quandor.test"), ("crypto_address", "zorbel.test")]
        assert sites_with_value(connection, WALLET) == expected  # pasted as a page shows it
        assert sites_with_value(connection, stored) == expected
        mistyped = WALLET[:-1] + ("2" if WALLET[-1] != "2" else "3")
        assert sites_with_value(connection, mistyped) == []  # the checksum fails
    engine.dispose()
    shown = hotline(db_url, "selectors", "zorbel.test")
    assert shown.code == 0, shown.err
    assert "crypto_address" in shown.out
    assert WALLET[:20] in shown.out
    done = hotline(db_url, "attribute")
    assert done.code == 0, done.err
    why = hotline(db_url, "why", "zorbel.test")
    assert why.code == 0, why.err
    assert "crypto_address" in why.out
    assert "quandor" in why.out  # the other shop, tied by the address
