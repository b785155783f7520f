"""Other coins' payment addresses: Monero's base58 against published vectors, every coin's
checksum, and the extractor finding them where a page shows them (and nothing else)."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hotline.attribution.method import cluster
from hotline.attribution.table import Link
from hotline.captures.altcoins import (
    altcoin_address,
    classify_altcoin,
    monero_address,
    monero_b58decode,
    monero_b58encode,
)
from hotline.captures.bitcoin import (
    BASE58_ALPHABET,
    base58check_encode,
    classify_bitcoin_address,
    segwit_encode,
)
from hotline.captures.extractors.crypto import extract_crypto
from hotline.captures.page import CapturedPage

# Monero base58 blocks: from the Monero project's unit tests (tests/unit_tests/base58.cpp,
# BSD-3-Clause) and the base58-monero crate's README example (MIT).
MONERO_VECTORS = (
    ("00", "11"),
    ("39", "1z"),
    ("ff", "5Q"),
    ("ffff", "LUv"),
    ("ffffffffffffffff", "jpXCZedGfVQ"),
    ("0000000000000000", "11111111111"),
    (b"1~2-3_4.5".hex(), "9H9LDS3DZM71v"),
)


def _keys(rng: random.Random, size: int) -> bytes:
    return bytes(rng.randrange(256) for _ in range(size))


@pytest.mark.parametrize(("hex_bytes", "encoded"), MONERO_VECTORS)
def test_monero_base58_matches_the_published_vectors(hex_bytes: str, encoded: str) -> None:
    assert monero_b58encode(bytes.fromhex(hex_bytes)) == encoded
    assert monero_b58decode(encoded) == bytes.fromhex(hex_bytes)


@given(st.binary(max_size=80))
def test_monero_base58_round_trips(data: bytes) -> None:
    assert monero_b58decode(monero_b58encode(data)) == data


@pytest.mark.parametrize("bad", ["1", "1111", "0OIl", "zzzzzzzzzzz", "5R"])
def test_monero_base58_refuses_impossible_text(bad: str) -> None:
    # one or four characters are no block length; "0", "O", "I", "l" are not base58; eleven
    # "z" and "5R" overflow 8 bytes and 1 byte
    assert monero_b58decode(bad) is None


@pytest.mark.parametrize(
    ("network", "size", "first"), [(18, 64, "4"), (19, 72, "4"), (42, 64, "8")]
)
def test_monero_addresses_of_every_main_kind(network: int, size: int, first: str) -> None:
    address = monero_address(network, _keys(random.Random(network), size))
    assert address[0] == first
    assert len(address) == (106 if size == 72 else 95)
    assert classify_altcoin(address) == ("XMR", address)


def test_a_mistyped_or_foreign_monero_address_is_refused() -> None:
    rng = random.Random(7)
    address = monero_address(18, _keys(rng, 64))
    for at in (1, 40, 94):
        wrong = "2" if address[at] != "2" else "3"
        assert classify_altcoin(address[:at] + wrong + address[at + 1 :]) is None
    assert classify_altcoin(monero_address(24, _keys(rng, 64))) is None  # stagenet
    assert classify_altcoin(monero_address(18, _keys(rng, 72))) is None  # wrong length


@pytest.mark.parametrize("coin", ["LTC", "DOGE", "TRX"])
def test_base58check_coins_round_trip_and_are_not_bitcoin(coin: str) -> None:
    address = altcoin_address(coin, _keys(random.Random(coin), 20))
    assert classify_altcoin(address) == (coin, address)
    assert classify_bitcoin_address(address) is None
    flipped = address[:-1] + ("2" if address[-1] != "2" else "3")
    assert classify_altcoin(flipped) is None


def test_litecoin_segwit_and_bitcoin_stay_apart() -> None:
    program = _keys(random.Random(3), 20)
    litecoin = segwit_encode("ltc", 0, program)
    assert classify_altcoin(litecoin.upper()) == ("LTC", litecoin)
    assert classify_bitcoin_address(litecoin) is None
    bitcoin = segwit_encode("bc", 0, program)
    assert classify_altcoin(bitcoin) is None
    assert classify_altcoin(base58check_encode(0x00, program)) is None  # a Bitcoin P2PKH


@settings(max_examples=200)
@given(st.text(alphabet=BASE58_ALPHABET + "ltc01", min_size=0, max_size=120))
def test_classify_never_raises_and_finds_only_checksummed(text: str) -> None:
    found = classify_altcoin(text)
    if found is not None:  # random text passes a 4-byte checksum about never
        coin, value = found
        assert coin in {"LTC", "DOGE", "TRX", "XMR"}
        assert value.lower() == text.lower()


def page(body: str) -> CapturedPage:
    html = f"<!DOCTYPE html><html><head><title>Shop</title></head><body>{body}</body></html>"
    return CapturedPage.parse(
        "https://www.catalogue.test/", "www.catalogue.test", "catalogue.test", html
    )


def test_the_extractor_finds_each_coin_where_a_page_shows_it() -> None:
    rng = random.Random(11)
    ltc = altcoin_address("LTC", _keys(rng, 20))
    trx = altcoin_address("TRX", _keys(rng, 20))
    xmr = monero_address(42, _keys(rng, 64))
    doge = altcoin_address("DOGE", _keys(rng, 20))
    body = (
        f"<p>Litecoin: <code>{ltc}</code></p>"
        f'<div data-wallet="{trx}">USDT (TRC-20)</div>'
        f'<a href="monero:{xmr}?tx_amount=0.1">Pay with Monero</a>'
        f"<p>dogecoin:{doge}</p>"
    )
    found = {(s.kind, s.value, s.where, s.method) for s in extract_crypto(page(body))}
    assert found == {
        ("crypto_address", f"LTC:{ltc}", "text", "crypto:LTC"),
        ("crypto_address", f"TRX:{trx}", "attr:data-wallet", "crypto:TRX"),
        ("crypto_address", f"XMR:{xmr}", "uri", "crypto:XMR"),
        ("crypto_address", f"DOGE:{doge}", "uri", "crypto:DOGE"),
    }


def test_tokens_of_the_right_shape_without_a_checksum_are_not_addresses() -> None:
    rng = random.Random(5)
    tokens = [
        "4" + "".join(rng.choice(BASE58_ALPHABET) for _ in range(94)),
        "L" + "".join(rng.choice(BASE58_ALPHABET) for _ in range(33)),
        "T" + "".join(rng.choice(BASE58_ALPHABET) for _ in range(33)),
    ]
    body = "".join(f'<p data-token="{t}">{t}</p>' for t in tokens)
    assert extract_crypto(page(body)) == []


def _operator(name: str, address: str) -> list[Link]:
    """Two brands of one operator, each with its own name and its own Bitcoin address,
    both paid in one other coin."""
    links: list[Link] = []
    for b in range(2):
        for s in range(2):
            site = f"{name}-b{b}-s{s}.test"
            links += [
                (site, "brand_text", f"{name}{b}"),
                (site, "btc_address", f"bc1q{name}{b}"),
                (site, "crypto_address", address),
            ]
    return links


def test_another_coins_address_ties_brands_like_a_bitcoin_one() -> None:
    rng = random.Random(2)
    monero = "XMR:" + monero_address(18, _keys(rng, 64))
    result = cluster(
        _operator("alpha", monero)
        + _operator("beta", "LTC:" + altcoin_address("LTC", _keys(rng, 20)))
    )
    alpha = {result.distributor_of[result.brand_of[f"alpha-b{b}-s0.test"] or ""] for b in range(2)}
    beta = {result.distributor_of[result.brand_of[f"beta-b{b}-s0.test"] or ""] for b in range(2)}
    assert len(alpha) == 1  # one operator's brands, tied only by its Monero address
    assert len(beta) == 1
    assert alpha != beta


@pytest.mark.parametrize(
    "contract",
    [
        "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t",  # USDT on Tron
        "TEkxiTehnzSmSe2XqrBj4w32RUN966rdz8",  # USDC on Tron
        "0xdAC17F958D2ee523a2206206994597C13D831ec7",  # USDT on Ethereum (EIP-55)
        "0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48",  # USDC on Ethereum (EIP-55)
        "0x0000000000000000000000000000000000000000",
    ],
)
def test_a_token_contract_is_nobodys_wallet(contract: str) -> None:
    """Shops that take a stablecoin print its contract or link to it; every one of them
    would be tied to every other by it."""
    body = (
        f"<p>We take USDT. Contract: <code>{contract}</code></p>"
        f'<a href="https://tronscan.example/#/token20/{contract}">token</a>'
    )
    assert extract_crypto(page(body)) == []


def test_the_zero_hash_of_a_base58check_coin_is_no_wallet() -> None:
    for coin in ("LTC", "DOGE", "TRX"):
        assert classify_altcoin(altcoin_address(coin, bytes(20))) is None


def test_a_uri_counts_only_for_its_own_coin() -> None:
    rng = random.Random(13)
    ltc = altcoin_address("LTC", _keys(rng, 20))
    xmr = monero_address(18, _keys(rng, 64))
    found = {
        (s.value, s.where) for s in extract_crypto(page(f"<p>tron:{ltc}</p><p>xmonero:{xmr}</p>"))
    }
    assert found == {(f"LTC:{ltc}", "text"), (f"XMR:{xmr}", "text")}
    found = {(s.value, s.where) for s in extract_crypto(page(f"<p>litecoin://{ltc}</p>"))}
    assert found == {(f"LTC:{ltc}", "uri")}
