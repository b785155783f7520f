"""Crypto extractor: every valid Bitcoin vector is found wherever a page shows it, no invalid
one ever is, and Ethereum addresses follow EIP-55 (its own published examples)."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest

from hotline.captures.bitcoin import RANDOM_KINDS, classify_bitcoin_address, random_address
from hotline.captures.extractors.crypto import extract_crypto, normalise_eth_address
from hotline.captures.page import CapturedPage, Selector, Strength

VECTORS = Path(__file__).parent / "vectors" / "bitcoin" / "addresses.json"
ADDRESSES: list[dict[str, Any]] = json.loads(VECTORS.read_text(encoding="utf-8"))
VALID = [entry["address"] for entry in ADDRESSES if entry["valid"]]
INVALID = [entry["address"] for entry in ADDRESSES if not entry["valid"]]

# EIP-55's own examples: mixed case (checksummed), all upper and all lower (no checksum).
EIP55_MIXED = (
    "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
    "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
    "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB",
    "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb",
)
EIP55_UNIFORM = (
    "0x52908400098527886E0F7030069857D2E4169EE7",
    "0x8617E340B3D01FA5F11F306F4090FD50E238070D",
    "0xde709f2102306220921060314715629080e2fb77",
    "0x27b1fdb04752bbc536007a920d24acb045561c26",
)

# The places a page shows an address, and the ``where`` each gives.
PLACEMENTS = (
    ("<p>Send 0.0012 BTC to <code>{a}</code> today.</p>", "text"),
    ("<p>Pay with Bitcoin: {a}</p>", "text"),
    ('<div class="pay" data-address="{a}">Pay</div>', "attr:data-address"),
    ('<input type="text" readonly value="{a}">', "attr:value"),
    ('<a href="bitcoin:{a}?amount=0.0042&amp;label=Order">Pay now</a>', "uri"),
    ('<a href="BITCOIN:{a}">QR</a>', "uri"),
    ("<p>bitcoin:{a}?amount=0.01</p>", "uri"),
)


def page(body: str, url: str = "https://www.catalogue.test/") -> CapturedPage:
    html = f"<!DOCTYPE html><html><head><title>Shop</title></head><body>{body}</body></html>"
    return CapturedPage.parse(url, "www.catalogue.test", "catalogue.test", html)


def btc_values(selectors: list[Selector]) -> set[str]:
    return {s.value for s in selectors if s.kind == "btc_address"}


def test_vectors_have_both_kinds() -> None:
    assert len(VALID) >= 20
    assert len(INVALID) >= 50


@pytest.mark.parametrize("address", VALID)
def test_every_valid_vector_is_found(address: str) -> None:
    info = classify_bitcoin_address(address)
    assert info is not None
    for template, where in PLACEMENTS:
        found = extract_crypto(page(template.format(a=address)))
        expected = Selector("btc_address", info.normalised, where, Strength.STRONG, "crypto:BTC")
        assert found == [expected], template


@pytest.mark.parametrize("address", INVALID)
def test_no_invalid_vector_is_found(address: str) -> None:
    for template, _ in PLACEMENTS:
        assert extract_crypto(page(template.format(a=address))) == [], template


def test_all_vectors_in_one_page() -> None:
    body = "".join(f"<li>{address}</li>" for address in VALID + INVALID)
    expected = set()
    for address in VALID:
        info = classify_bitcoin_address(address)
        assert info is not None
        expected.add(info.normalised)
    assert btc_values(extract_crypto(page(f"<ul>{body}</ul>"))) == expected


def test_bech32_values_are_lower_case_and_base58_kept_as_written() -> None:
    body = "<p>BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4 or 1FsSia9rv4NeEwvJ2GvXrX7LyxYspbN2mo</p>"
    assert btc_values(extract_crypto(page(body))) == {
        "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4",
        "1FsSia9rv4NeEwvJ2GvXrX7LyxYspbN2mo",
    }


def test_testnet_addresses_are_kept() -> None:
    body = "<p>tb1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3q0sl5k7</p>"
    assert btc_values(extract_crypto(page(body))) == {
        "tb1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3q0sl5k7"
    }


@pytest.mark.parametrize("kind", RANDOM_KINDS)
def test_generated_addresses_are_found(kind: str) -> None:
    rng = random.Random(f"extractor-{kind}")
    addresses = [random_address(rng, kind) for _ in range(10)]
    body = "".join(f"<li>Wallet {n}: {address}</li>" for n, address in enumerate(addresses))
    assert btc_values(extract_crypto(page(f"<ul>{body}</ul>"))) == {
        address.lower() if address.startswith("bc1") else address for address in addresses
    }


def test_an_address_glued_to_other_characters_is_not_a_candidate() -> None:
    address = random_address(random.Random(1), "p2pkh")
    glued = f"<p>x{address}</p><p>{address}9</p><p>{address}_</p>"
    assert extract_crypto(page(glued)) == []


def test_a_mistyped_address_is_not_found() -> None:
    address = random_address(random.Random(2), "p2pkh")
    swapped = address[:-1] + ("2" if address[-1] != "2" else "3")
    assert extract_crypto(page(f"<p>{swapped}</p>")) == []


def test_one_address_in_several_places_is_one_selector_where_the_uri_is() -> None:
    address = random_address(random.Random(3), "p2wpkh")
    body = (
        f'<p class="pay-crypto">Pay with Bitcoin: <a href="bitcoin:{address}?amount=0.0042">'
        f'{address}</a></p><span data-copy="{address}"></span>'
    )
    assert extract_crypto(page(body)) == [
        Selector("btc_address", address, "uri", Strength.STRONG, "crypto:BTC")
    ]


def test_script_text_is_not_visible_text() -> None:
    address = random_address(random.Random(4), "p2sh")
    assert extract_crypto(page(f"<script>var a = '{address}';</script>")) == []
    assert btc_values(extract_crypto(page(f"<p>{address}</p>"))) == {address}


# --- Ethereum ------------------------------------------------------------------------------


@pytest.mark.parametrize("address", EIP55_MIXED + EIP55_UNIFORM)
def test_eip55_vectors_are_accepted(address: str) -> None:
    assert normalise_eth_address(address) == address.lower()
    found = extract_crypto(page(f"<p>Send ETH to {address}</p>"))
    assert found == [
        Selector("eth_address", address.lower(), "text", Strength.STRONG, "crypto:ETH")
    ]


@pytest.mark.parametrize("address", EIP55_MIXED)
def test_a_one_letter_case_flip_is_rejected(address: str) -> None:
    letters = [n for n in range(2, 42) if address[n].isalpha()]
    for position in letters:
        flipped = address[:position] + address[position].swapcase() + address[position + 1 :]
        body = flipped[2:]
        if body in (body.lower(), body.upper()):
            continue  # a flip that leaves one case carries no checksum any more
        assert normalise_eth_address(flipped) is None, flipped
        assert extract_crypto(page(f"<p>{flipped}</p>")) == []


def test_the_documented_flip_example_is_rejected() -> None:
    # The first EIP-55 vector with its first upper-case letter ("A") lowered.
    assert normalise_eth_address("0x5aaeb6053F3E94C9b9A09f33669435E7Ef1BeAed") is None


def test_ethereum_uris_and_attributes() -> None:
    mixed = EIP55_MIXED[1]
    body = (
        f'<a href="ethereum:{mixed}@1?value=2.014e18">Pay</a>'
        f'<a href="ethereum:pay-{EIP55_UNIFORM[2]}">Pay</a>'
        f'<button data-wallet="{EIP55_UNIFORM[0]}">copy</button>'
    )
    found = {(s.kind, s.value, s.where) for s in extract_crypto(page(body))}
    assert found == {
        ("eth_address", mixed.lower(), "uri"),
        ("eth_address", EIP55_UNIFORM[2], "uri"),
        ("eth_address", EIP55_UNIFORM[0].lower(), "attr:data-wallet"),
    }


@pytest.mark.parametrize(
    "candidate",
    [
        "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAe",  # 39 hex digits
        "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed0",  # 41
        "0X5AAEB6053F3E94C9B9A09F33669435E7EF1BEAED",  # upper-case prefix
        "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeg",  # not hex
    ],
)
def test_malformed_ethereum_candidates(candidate: str) -> None:
    assert normalise_eth_address(candidate) is None
    assert extract_crypto(page(f"<p>{candidate}</p>")) == []
