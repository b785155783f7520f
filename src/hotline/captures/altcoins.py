"""Payment addresses of coins other than Bitcoin and Ethereum: Litecoin, Dogecoin, Tron
(where USDT-TRC20 is paid) and Monero.

Shops that take cryptocurrency do not all take Bitcoin: an operator that asks only for
Litecoin or Monero is tied across its brands by those addresses exactly as another is by
Bitcoin ones. Each is recognised only with its checksum, so a random token of the right
shape is not reported:

- Litecoin, Dogecoin and Tron use Bitcoin's base58check (double SHA-256) with their own
  version bytes; Litecoin's segwit addresses are bech32/bech32m under the prefix ``ltc``.
- Monero uses its own base58 (blocks of 8 bytes as 11 characters) and a Keccak-256
  checksum over a network byte and two 32-byte public keys (plus an 8-byte payment id in
  an integrated address).

Pure and offline, like ``hotline.captures.bitcoin``: only the address text is handled.
"""

from __future__ import annotations

from functools import lru_cache

from hotline.captures.bitcoin import (
    BASE58_ALPHABET,
    BASE58_INDEX,
    base58check_decode,
    base58check_encode,
    segwit_decode,
)

__all__ = [
    "NOT_WALLETS",
    "altcoin_address",
    "classify_altcoin",
    "monero_address",
    "monero_b58decode",
    "monero_b58encode",
]

# base58check version byte → coin; the payload is always a 20-byte hash. Litecoin's old
# P2SH version 0x05 is Bitcoin's, and such an address is read as Bitcoin.
_VERSIONS: dict[int, str] = {
    0x30: "LTC",  # L…
    0x32: "LTC",  # M… (P2SH)
    0x1E: "DOGE",  # D…
    0x16: "DOGE",  # 9… / A… (P2SH)
    0x41: "TRX",  # T…
}

# Tron addresses that are nobody's wallet: the contracts of the stablecoins shops name when
# they ask for USDT or USDC on Tron ("send USDT, contract TR7NH…"), and the zero address.
# Printed or linked by every shop that takes the token, they would tie unrelated operators.
NOT_WALLETS: frozenset[str] = frozenset(
    {
        "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t",  # USDT (TRC-20)
        "TEkxiTehnzSmSe2XqrBj4w32RUN966rdz8",  # USDC (TRC-20)
        "T9yD14Nj9j7xAB4dbGeiX9h8unkKHxuWwb",  # version 0x41, twenty zero bytes
    }
)

# Monero's base58: a full block of 8 bytes takes 11 characters; a last, shorter block of
# n bytes takes _BLOCK_CHARS[n].
_BLOCK_CHARS = (0, 2, 3, 5, 6, 7, 9, 10, 11)
_CHARS_BLOCK = {chars: size for size, chars in enumerate(_BLOCK_CHARS)}
# Monero network byte → kind of address: standard, integrated (with a payment id) and
# subaddress, on the main network (stagenet and testnet addresses are not payments).
_MONERO_KINDS = {18: 64, 19: 72, 42: 64}  # network byte → bytes of keys (+ payment id)


def monero_b58encode(data: bytes) -> str:
    out: list[str] = []
    for start in range(0, len(data), 8):
        block = data[start : start + 8]
        number = int.from_bytes(block, "big")
        chars = []
        for _ in range(_BLOCK_CHARS[len(block)]):
            number, digit = divmod(number, 58)
            chars.append(BASE58_ALPHABET[digit])
        out.append("".join(reversed(chars)))
    return "".join(out)


def monero_b58decode(text: str) -> bytes | None:
    """The bytes of Monero base58 ``text``, or None when it is not a valid encoding (a
    foreign character, a last block of impossible length, a block that overflows)."""
    out = bytearray()
    for start in range(0, len(text), 11):
        chunk = text[start : start + 11]
        size = _CHARS_BLOCK.get(len(chunk))
        if size is None or size == 0:
            return None
        number = 0
        for char in chunk:
            digit = BASE58_INDEX.get(char)
            if digit is None:
                return None
            number = number * 58 + digit
        if number >= 1 << (8 * size):
            return None
        out += number.to_bytes(size, "big")
    return bytes(out)


def _keccak(data: bytes) -> bytes:
    # imported here: loading pycryptodome costs start-up time that most commands never need
    from Crypto.Hash import keccak

    return keccak.new(digest_bits=256, data=data).digest()


def monero_address(network: int, keys: bytes) -> str:
    """The address of ``keys`` (spend and view keys, then a payment id when integrated) on
    ``network``: for tests and the synthetic world."""
    body = bytes([network]) + keys
    return monero_b58encode(body + _keccak(body)[:4])


def _monero(text: str) -> str | None:
    if len(text) not in (95, 106) or text[0] not in "48":
        return None
    data = monero_b58decode(text)
    if data is None or len(data) < 5:
        return None
    body, check = data[:-4], data[-4:]
    if _MONERO_KINDS.get(body[0]) != len(body) - 1 or _keccak(body)[:4] != check:
        return None
    return text


# a shop shows its few addresses on every page, and Monero's decoding is pure Python:
# each distinct text is worked out once per process
@lru_cache(maxsize=4096)
def classify_altcoin(text: str) -> tuple[str, str] | None:
    """``(coin, normalised address)`` for a valid Litecoin, Dogecoin, Tron or Monero main
    network address, else None (also for a token contract or an all-zero hash: no one's
    wallet). Base58 is case-sensitive and kept as seen; bech32 is lower-cased."""
    if text[:4].lower() == "ltc1":
        if segwit_decode("ltc", text) is not None:
            return "LTC", text.lower()
        return None
    if len(text) > 40:
        monero = _monero(text)
        return ("XMR", monero) if monero is not None else None
    decoded = base58check_decode(text)
    if decoded is None:
        return None
    version, payload = decoded
    coin = _VERSIONS.get(version)
    if coin is None or len(payload) != 20 or text in NOT_WALLETS or not any(payload):
        return None
    return coin, text


def altcoin_address(coin: str, payload: bytes) -> str:
    """A base58check address of ``coin`` for a 20-byte ``payload``: for tests and the
    synthetic world."""
    version = next(v for v, c in _VERSIONS.items() if c == coin)
    return base58check_encode(version, payload)
