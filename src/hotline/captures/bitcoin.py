"""Bitcoin address codec: base58check, bech32 (BIP-173) and bech32m (BIP-350).

Hotlines see payment addresses next to reported content; an address is a selector that links
sites run by the same distributor. Only the address text is handled, never a wallet or a key,
and nothing here talks to the network. The code is pure and dependency-free (``hashlib`` for
SHA-256 only) so it can run inside the capture stage without pulling in a Bitcoin library.

The bech32 functions follow the BIP-173/BIP-350 reference implementation rule for rule, so the
published test vectors decide what is valid, not our reading of the prose.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass
from typing import Literal

__all__ = [
    "BASE58_ALPHABET",
    "BASE58_INDEX",
    "RANDOM_KINDS",
    "AddressInfo",
    "AddressType",
    "Encoding",
    "Network",
    "base58check_decode",
    "base58check_encode",
    "bech32_decode",
    "bech32_encode",
    "classify_bitcoin_address",
    "random_address",
    "segwit_decode",
    "segwit_encode",
]

Network = Literal["main", "test"]
AddressType = Literal["p2pkh", "p2sh", "p2wpkh", "p2wsh", "p2tr", "witness-unknown"]
Encoding = Literal["bech32", "bech32m"]

# --- base58check ---------------------------------------------------------------------------

BASE58_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
BASE58_INDEX = {char: value for value, char in enumerate(BASE58_ALPHABET)}

# Version byte → (network, type). Payload is always a 20-byte hash.
_B58_VERSIONS: dict[int, tuple[Network, AddressType]] = {
    0x00: ("main", "p2pkh"),
    0x05: ("main", "p2sh"),
    0x6F: ("test", "p2pkh"),
    0xC4: ("test", "p2sh"),
}


def _checksum(data: bytes) -> bytes:
    return hashlib.sha256(hashlib.sha256(data).digest()).digest()[:4]


def _b58encode(data: bytes) -> str:
    number = int.from_bytes(data, "big")
    digits: list[str] = []
    while number:
        number, remainder = divmod(number, 58)
        digits.append(BASE58_ALPHABET[remainder])
    # Each leading zero byte is one leading "1"; the integer alone would lose them.
    zeros = len(data) - len(data.lstrip(b"\0"))
    return "1" * zeros + "".join(reversed(digits))


def _b58decode(text: str) -> bytes | None:
    number = 0
    for char in text:
        value = BASE58_INDEX.get(char)
        if value is None:
            return None
        number = number * 58 + value
    zeros = len(text) - len(text.lstrip("1"))
    body = number.to_bytes((number.bit_length() + 7) // 8, "big")
    return b"\0" * zeros + body


def base58check_encode(version: int, payload: bytes) -> str:
    """Encode ``version`` (one byte) and ``payload`` with the 4-byte double-SHA-256 checksum."""
    if not 0 <= version <= 0xFF:
        raise ValueError(f"base58check version must be one byte, got {version}")
    data = bytes([version]) + payload
    return _b58encode(data + _checksum(data))


def base58check_decode(text: str) -> tuple[int, bytes] | None:
    """Return ``(version, payload)``, or None for a foreign character or a wrong checksum.

    The decoding is exact (no whitespace trimming), because a selector that matched a
    trimmed variant would no longer be the string that was seen.
    """
    data = _b58decode(text)
    if data is None or len(data) < 5:
        return None
    body, check = data[:-4], data[-4:]
    if _checksum(body) != check:
        return None
    return body[0], body[1:]


# --- bech32 / bech32m ----------------------------------------------------------------------

_CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
_CHARSET_INDEX = {char: value for value, char in enumerate(_CHARSET)}
_GENERATOR = (0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)
_CONSTANTS: dict[Encoding, int] = {"bech32": 1, "bech32m": 0x2BC830A3}
_MAX_LENGTH = 90
_CHECKSUM_LENGTH = 6


def _polymod(values: list[int]) -> int:
    check = 1
    for value in values:
        top = check >> 25
        check = (check & 0x1FFFFFF) << 5 ^ value
        for bit, generator in enumerate(_GENERATOR):
            if (top >> bit) & 1:
                check ^= generator
    return check


def _hrp_expand(hrp: str) -> list[int]:
    return [ord(char) >> 5 for char in hrp] + [0] + [ord(char) & 31 for char in hrp]


def _create_checksum(hrp: str, data: list[int], encoding: Encoding) -> list[int]:
    values = _hrp_expand(hrp) + data
    polymod = _polymod([*values, 0, 0, 0, 0, 0, 0]) ^ _CONSTANTS[encoding]
    return [(polymod >> 5 * (5 - i)) & 31 for i in range(_CHECKSUM_LENGTH)]


def _valid_hrp(hrp: str) -> bool:
    return bool(hrp) and all(33 <= ord(char) <= 126 for char in hrp)


def bech32_encode(hrp: str, data: list[int], encoding: Encoding) -> str:
    """Encode 5-bit ``data`` under ``hrp``; the result is lowercase, as BIP-173 recommends."""
    hrp = hrp.lower()
    if not _valid_hrp(hrp):
        raise ValueError(f"invalid human-readable part {hrp!r}")
    if any(not 0 <= value < 32 for value in data):
        raise ValueError("bech32 data values must be 5-bit")
    combined = data + _create_checksum(hrp, data, encoding)
    text = hrp + "1" + "".join(_CHARSET[value] for value in combined)
    if len(text) > _MAX_LENGTH:
        raise ValueError(f"bech32 string longer than {_MAX_LENGTH} characters")
    return text


def bech32_decode(text: str) -> tuple[str, list[int], Encoding] | None:
    """Return ``(hrp, data, encoding)`` for a valid bech32 or bech32m string, else None.

    ``hrp`` is lowercased and ``data`` excludes the checksum. This is the checksum layer
    only; :func:`segwit_decode` adds the address rules on top.
    """
    if any(not 33 <= ord(char) <= 126 for char in text):
        return None
    if text.lower() != text and text.upper() != text:
        return None  # mixed case
    text = text.lower()
    separator = text.rfind("1")
    if separator < 1 or separator + 1 + _CHECKSUM_LENGTH > len(text) or len(text) > _MAX_LENGTH:
        return None
    data: list[int] = []
    for char in text[separator + 1 :]:
        value = _CHARSET_INDEX.get(char)
        if value is None:
            return None
        data.append(value)
    hrp = text[:separator]
    polymod = _polymod(_hrp_expand(hrp) + data)
    for encoding, constant in _CONSTANTS.items():
        if polymod == constant:
            return hrp, data[:-_CHECKSUM_LENGTH], encoding
    return None


def _convert_bits(
    data: bytes | list[int], from_bits: int, to_bits: int, pad: bool
) -> list[int] | None:
    """Regroup bits; without ``pad`` the leftover must be under ``from_bits`` and all zero."""
    accumulator = 0
    bits = 0
    result: list[int] = []
    max_value = (1 << to_bits) - 1
    for value in data:
        if value < 0 or value >> from_bits:
            return None
        accumulator = (accumulator << from_bits) | value
        bits += from_bits
        while bits >= to_bits:
            bits -= to_bits
            result.append((accumulator >> bits) & max_value)
    if pad:
        if bits:
            result.append((accumulator << (to_bits - bits)) & max_value)
    elif bits >= from_bits or ((accumulator << (to_bits - bits)) & max_value):
        return None
    return result


def _check_witness(version: int, program_length: int) -> str | None:
    """The BIP-141 limits, as a reason string, or None when they hold."""
    if not 0 <= version <= 16:
        return f"witness version must be 0..16, got {version}"
    if not 2 <= program_length <= 40:
        return f"witness program must be 2..40 bytes, got {program_length}"
    if version == 0 and program_length not in (20, 32):
        return f"witness v0 program must be 20 or 32 bytes, got {program_length}"
    return None


def segwit_encode(hrp: str, witness_version: int, program: bytes) -> str:
    """Encode a segwit address: bech32 for v0, bech32m for v1..16 (BIP-350).

    Raises ValueError for a version or program length BIP-141 does not allow, so the
    encoder can never produce a string the decoder would refuse.
    """
    problem = _check_witness(witness_version, len(program))
    if problem is not None:
        raise ValueError(problem)
    encoding: Encoding = "bech32" if witness_version == 0 else "bech32m"
    five_bit = _convert_bits(program, 8, 5, pad=True)
    assert five_bit is not None  # bytes are always 8-bit
    return bech32_encode(hrp, [witness_version, *five_bit], encoding)


def segwit_decode(hrp: str, address: str) -> tuple[int, bytes] | None:
    """Return ``(witness_version, program)`` when ``address`` is valid under ``hrp``, else None.

    Enforces every BIP-173/BIP-350 rule: character range, no mixed case, at most 90
    characters, the checksum constant that matches the version, 2..40 program bytes, 20 or 32
    for v0, and at most 4 zero padding bits.
    """
    decoded = bech32_decode(address)
    if decoded is None:
        return None
    got_hrp, data, encoding = decoded
    if got_hrp != hrp.lower() or not data:
        return None
    version = data[0]
    program = _convert_bits(data[1:], 5, 8, pad=False)
    if program is None or _check_witness(version, len(program)) is not None:
        return None
    if encoding != ("bech32" if version == 0 else "bech32m"):
        return None
    return version, bytes(program)


# --- classification ------------------------------------------------------------------------

_SEGWIT_HRPS: dict[str, Network] = {"bc": "main", "tb": "test"}


@dataclass(frozen=True, slots=True)
class AddressInfo:
    """What an address says about itself; ``script_pubkey`` is the output script in hex.

    ``normalised`` is the form to store and compare: bech32 is case-insensitive so it is
    lowercased, base58 is case-sensitive so it is kept as it was.
    """

    network: Network
    type: AddressType
    normalised: str
    script_pubkey: str


def _witness_type(version: int, program_length: int) -> AddressType:
    if version == 0:
        return "p2wpkh" if program_length == 20 else "p2wsh"
    if version == 1 and program_length == 32:
        return "p2tr"
    return "witness-unknown"


def _witness_script(version: int, program: bytes) -> bytes:
    # OP_0 is 0x00; OP_1..OP_16 are 0x51..0x60.
    opcode = 0 if version == 0 else 0x50 + version
    return bytes([opcode, len(program)]) + program


def classify_bitcoin_address(text: str) -> AddressInfo | None:
    """Classify a mainnet or testnet address, or return None when it is not a valid one."""
    for hrp, network in _SEGWIT_HRPS.items():
        witness = segwit_decode(hrp, text)
        if witness is not None:
            version, program = witness
            return AddressInfo(
                network=network,
                type=_witness_type(version, len(program)),
                normalised=text.lower(),
                script_pubkey=_witness_script(version, program).hex(),
            )
    decoded = base58check_decode(text)
    if decoded is None:
        return None
    version, payload = decoded
    known = _B58_VERSIONS.get(version)
    if known is None or len(payload) != 20:
        return None
    network, kind = known
    if kind == "p2pkh":  # OP_DUP OP_HASH160 <20> OP_EQUALVERIFY OP_CHECKSIG
        script = b"\x76\xa9\x14" + payload + b"\x88\xac"
    else:  # OP_HASH160 <20> OP_EQUAL
        script = b"\xa9\x14" + payload + b"\x87"
    return AddressInfo(network=network, type=kind, normalised=text, script_pubkey=script.hex())


# --- synthetic data ------------------------------------------------------------------------

RANDOM_KINDS: tuple[AddressType, ...] = ("p2pkh", "p2sh", "p2wpkh", "p2wsh", "p2tr")


def random_address(rng: random.Random, kind: str) -> str:
    """A valid mainnet address of ``kind`` built from ``rng`` bytes, for synthetic feeds.

    The hash or key bytes are random, so the address belongs to no wallet anyone holds;
    it only has the right shape and checksum. The same seed gives the same address.
    """
    if kind == "p2pkh":
        return base58check_encode(0x00, rng.randbytes(20))
    if kind == "p2sh":
        return base58check_encode(0x05, rng.randbytes(20))
    if kind == "p2wpkh":
        return segwit_encode("bc", 0, rng.randbytes(20))
    if kind == "p2wsh":
        return segwit_encode("bc", 0, rng.randbytes(32))
    if kind == "p2tr":
        return segwit_encode("bc", 1, rng.randbytes(32))
    raise ValueError(f"unknown address kind {kind!r}; expected one of {', '.join(RANDOM_KINDS)}")
