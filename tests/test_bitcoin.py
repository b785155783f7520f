"""Bitcoin address codec: the BIP-173/BIP-350 and Bitcoin Core vectors, then properties.

The vectors decide validity (including the three BIP-173 "valid" addresses that BIP-350
made invalid); the properties check that encoding and decoding are inverse and that the
checksums catch a single mistyped character, which is why addresses are safe selectors.
"""

from __future__ import annotations

import dataclasses
import json
import random
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hotline.captures.bitcoin import (
    RANDOM_KINDS,
    AddressInfo,
    base58check_decode,
    base58check_encode,
    bech32_decode,
    bech32_encode,
    classify_bitcoin_address,
    random_address,
    segwit_decode,
    segwit_encode,
)

VECTORS = Path(__file__).parent / "vectors" / "bitcoin"
BECH32_CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
BASE58_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def _load(name: str) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = json.loads((VECTORS / name).read_text(encoding="utf-8"))
    return entries


ADDRESSES = _load("addresses.json")
BECH32_STRINGS = _load("bech32-strings.json")
VALID = [entry for entry in ADDRESSES if entry["valid"]]
VALID_SEGWIT = [entry for entry in VALID if entry["type"] not in ("p2pkh", "p2sh")]
VALID_BASE58 = [entry for entry in VALID if entry["type"] in ("p2pkh", "p2sh")]


def _params(entries: list[dict[str, Any]], key: str) -> list[Any]:
    return [
        pytest.param(entry, id=f"{number:03d}-{entry['source']}-{ascii(entry[key])[:40]}")
        for number, entry in enumerate(entries)
    ]


# --- vectors -------------------------------------------------------------------------------


def test_all_vectors_are_loaded() -> None:
    assert len(ADDRESSES) == 111
    assert len(BECH32_STRINGS) == 40
    assert len(VALID) == 8 + 3 + 14


@pytest.mark.parametrize("entry", _params(ADDRESSES, "address"))
def test_address_vectors(entry: dict[str, Any]) -> None:
    info = classify_bitcoin_address(entry["address"])
    if not entry["valid"]:
        assert info is None, entry["reason"]
        return
    assert info is not None
    assert info.network == entry["network"]
    assert info.type == entry["type"]
    assert info.script_pubkey == entry["script_pubkey"]


@pytest.mark.parametrize("entry", _params(BECH32_STRINGS, "string"))
def test_bech32_string_vectors(entry: dict[str, Any]) -> None:
    decoded = bech32_decode(entry["string"])
    if entry["valid"]:
        assert decoded is not None
        hrp, data, encoding = decoded
        # Valid in its own encoding only: a string cannot satisfy both checksum constants.
        assert encoding == entry["encoding"]
        assert bech32_encode(hrp, data, encoding) == entry["string"].lower()
    else:
        assert decoded is None, entry["reason"]


@pytest.mark.parametrize("entry", _params(VALID_SEGWIT, "address"))
def test_segwit_vectors_round_trip(entry: dict[str, Any]) -> None:
    address: str = entry["address"]
    hrp = "bc" if entry["network"] == "main" else "tb"
    decoded = segwit_decode(hrp, address)
    assert decoded is not None
    version, program = decoded
    assert segwit_encode(hrp, version, program) == address.lower()
    # Core marks these tryCaseFlip: bech32 is case-insensitive as long as it is not mixed.
    flipped = classify_bitcoin_address(address.swapcase())
    assert flipped == classify_bitcoin_address(address)
    assert flipped is not None
    assert flipped.normalised == address.lower()
    assert segwit_decode("tb" if hrp == "bc" else "bc", address) is None


@pytest.mark.parametrize("entry", _params(VALID_BASE58, "address"))
def test_base58_vectors_round_trip(entry: dict[str, Any]) -> None:
    address: str = entry["address"]
    decoded = base58check_decode(address)
    assert decoded is not None
    assert base58check_encode(*decoded) == address
    info = classify_bitcoin_address(address)
    assert info is not None
    assert info.normalised == address  # base58 is case-sensitive: kept as seen
    assert classify_bitcoin_address(address.swapcase()) is None


# --- documented behaviour ------------------------------------------------------------------


def test_testnet_base58_versions() -> None:
    payload = bytes(range(20))
    p2pkh = classify_bitcoin_address(base58check_encode(0x6F, payload))
    p2sh = classify_bitcoin_address(base58check_encode(0xC4, payload))
    assert p2pkh is not None
    assert (p2pkh.network, p2pkh.type) == ("test", "p2pkh")
    assert p2pkh.script_pubkey == "76a914" + payload.hex() + "88ac"
    assert p2sh is not None
    assert (p2sh.network, p2sh.type) == ("test", "p2sh")
    assert p2sh.script_pubkey == "a914" + payload.hex() + "87"


@pytest.mark.parametrize(
    "text",
    [
        pytest.param(base58check_encode(0x01, bytes(20)), id="unknown-version"),
        pytest.param(base58check_encode(0x00, bytes(19)), id="payload-19"),
        pytest.param(base58check_encode(0x05, bytes(21)), id="payload-21"),
        pytest.param(base58check_encode(0x80, bytes(32)), id="private-key-version"),
    ],
)
def test_base58_shapes_that_are_not_addresses(text: str) -> None:
    assert base58check_decode(text) is not None
    assert classify_bitcoin_address(text) is None


BASE58_VECTOR: str = VALID_BASE58[0]["address"]


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("", id="empty"),
        pytest.param("1111", id="too-short"),
        pytest.param(
            BASE58_VECTOR[:-1] + ("2" if BASE58_VECTOR[-1] != "2" else "3"), id="bad-checksum"
        ),
        pytest.param(BASE58_VECTOR[:-1] + "0", id="zero"),
        pytest.param(BASE58_VECTOR[:-1] + "O", id="capital-o"),
        pytest.param(BASE58_VECTOR[:-1] + "I", id="capital-i"),
        pytest.param(BASE58_VECTOR[:-1] + "l", id="small-l"),
        pytest.param(" " + BASE58_VECTOR, id="leading-space"),
        pytest.param(BASE58_VECTOR + "\n", id="trailing-newline"),
    ],
)
def test_base58check_rejects(text: str) -> None:
    assert base58check_decode(text) is None


def test_base58_keeps_leading_zero_bytes() -> None:
    assert base58check_encode(0, b"") == "1Wh4bh"
    assert base58check_decode(base58check_encode(0, b"\0\0\x01")) == (0, b"\0\0\x01")


@pytest.mark.parametrize(
    ("version", "length"),
    [(-1, 20), (17, 20), (0, 19), (0, 21), (0, 40), (1, 1), (1, 41), (16, 0)],
)
def test_segwit_encode_refuses_illegal_witness(version: int, length: int) -> None:
    with pytest.raises(ValueError, match="witness"):
        segwit_encode("bc", version, bytes(length))


def test_segwit_encode_refuses_overlong_and_bad_hrp() -> None:
    with pytest.raises(ValueError, match="longer than 90"):
        segwit_encode("x" * 30, 1, bytes(40))
    with pytest.raises(ValueError, match="human-readable"):
        segwit_encode("", 0, bytes(20))
    with pytest.raises(ValueError, match="human-readable"):
        segwit_encode("b c", 0, bytes(20))


def test_base58check_encode_refuses_wide_version() -> None:
    with pytest.raises(ValueError, match="one byte"):
        base58check_encode(256, bytes(20))


def test_segwit_encode_picks_checksum_by_version() -> None:
    for version, expected in ((0, "bech32"), (1, "bech32m"), (16, "bech32m")):
        decoded = bech32_decode(segwit_encode("bc", version, bytes(32)))
        assert decoded is not None
        assert decoded[2] == expected


def test_address_info_is_frozen() -> None:
    info = classify_bitcoin_address(VALID[0]["address"])
    assert isinstance(info, AddressInfo)
    with pytest.raises(dataclasses.FrozenInstanceError):
        info.network = "test"  # type: ignore[misc]
    assert not hasattr(info, "__dict__")


def test_random_address_is_deterministic_and_checks_kind() -> None:
    assert random_address(random.Random(7), "p2tr") == random_address(random.Random(7), "p2tr")
    assert random_address(random.Random(7), "p2tr") != random_address(random.Random(8), "p2tr")
    with pytest.raises(ValueError, match="unknown address kind"):
        random_address(random.Random(7), "p2pk")


# --- properties ----------------------------------------------------------------------------

LEGAL_WITNESS = st.one_of(
    st.tuples(st.just(0), st.sampled_from([20, 32])),
    st.tuples(st.integers(1, 16), st.integers(2, 40)),
)


@settings(max_examples=400, deadline=None)
@given(
    hrp=st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-", min_size=1, max_size=10),
    witness=LEGAL_WITNESS,
    data=st.data(),
)
def test_segwit_round_trip(hrp: str, witness: tuple[int, int], data: st.DataObject) -> None:
    version, length = witness
    program = data.draw(st.binary(min_size=length, max_size=length))
    address = segwit_encode(hrp, version, program)
    assert segwit_decode(hrp, address) == (version, program)
    assert segwit_decode(hrp, address.upper()) == (version, program)


@settings(max_examples=400, deadline=None)
@given(version=st.integers(0, 255), payload=st.binary(max_size=64))
def test_base58check_round_trip(version: int, payload: bytes) -> None:
    assert base58check_decode(base58check_encode(version, payload)) == (version, payload)


@settings(max_examples=200, deadline=None)
@given(seed=st.integers(0, 2**64), kind=st.sampled_from(RANDOM_KINDS))
def test_random_address_classifies_as_requested(seed: int, kind: str) -> None:
    info = classify_bitcoin_address(random_address(random.Random(seed), kind))
    assert info is not None
    assert info.network == "main"
    assert info.type == kind


def _mutate(text: str, index: int, replacement: str) -> str | None:
    if text[index] == replacement:
        return None
    return text[:index] + replacement + text[index + 1 :]


@settings(max_examples=400, deadline=None)
@given(
    seed=st.integers(0, 2**64),
    kind=st.sampled_from(["p2wpkh", "p2wsh", "p2tr"]),
    upper=st.booleans(),
    data=st.data(),
)
def test_bech32_catches_every_single_substitution(
    seed: int, kind: str, upper: bool, data: st.DataObject
) -> None:
    # Exact, not probabilistic: one substitution adds e·x^i (mod the generator) to the
    # checksum, never 0 and never the bech32 ↔ bech32m constant difference, and one
    # character cannot turn "bc" into "tb". So the mutant is always rejected.
    address = random_address(random.Random(seed), kind)
    address = address.upper() if upper else address
    index = data.draw(st.integers(0, len(address) - 1))
    replacement = data.draw(st.sampled_from(BECH32_CHARSET + BECH32_CHARSET.upper() + "1bt"))
    mutant = _mutate(address, index, replacement)
    if mutant is None or mutant.lower() == address.lower():
        return  # not a substitution, or only a case change of a whole-case string
    assert classify_bitcoin_address(mutant) is None


@pytest.mark.parametrize("entry", _params(VALID_SEGWIT, "address"))
def test_bech32_vectors_reject_every_single_substitution(entry: dict[str, Any]) -> None:
    address: str = entry["address"].lower()
    for index in range(len(address)):
        for replacement in BECH32_CHARSET + "1":
            mutant = _mutate(address, index, replacement)
            if mutant is not None:
                assert classify_bitcoin_address(mutant) is None, mutant


@settings(max_examples=400, deadline=None)
@given(seed=st.integers(0, 2**64), kind=st.sampled_from(["p2pkh", "p2sh"]), data=st.data())
def test_base58check_substitution_never_keeps_the_payload(
    seed: int, kind: str, data: st.DataObject
) -> None:
    # Base58 decoding is injective, so a mutant decodes to different bytes; if version and
    # payload were unchanged the checksum bytes would differ from the (fixed) checksum of
    # that payload. So the mutant is either rejected or, with chance about 2^-32, a
    # different valid address — never the same payload.
    address = random_address(random.Random(seed), kind)
    original = base58check_decode(address)
    original_info = classify_bitcoin_address(address)
    assert original_info is not None
    index = data.draw(st.integers(0, len(address) - 1))
    mutant = _mutate(address, index, data.draw(st.sampled_from(BASE58_ALPHABET)))
    if mutant is None:
        return
    assert base58check_decode(mutant) != original
    info = classify_bitcoin_address(mutant)
    assert info is None or info.script_pubkey != original_info.script_pubkey
