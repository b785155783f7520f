"""Cryptocurrency payment addresses: Bitcoin (base58check, bech32/bech32m), Ethereum, and
Litecoin, Dogecoin, Tron and Monero (``crypto_address``, the value ``COIN:address``).

Candidates come from bounded, word-delimited regexes; only what passes the checksum becomes
a selector (Bitcoin through :func:`classify_bitcoin_address`, Ethereum through EIP-55 when
the address is mixed case), so random tokens of the right shape are not reported. Mainnet
and testnet Bitcoin addresses are both kept; the value is the normalised address only.

``where`` is ``uri`` for payment URIs (``bitcoin:``, ``ethereum:``, ``litecoin:``,
``dogecoin:``, ``monero:``, ``tron:``), else ``text`` or
``attr:<name>``; when one address shows in several places, the most specific wins (a URI,
then text, then an attribute).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from hotline.captures.altcoins import classify_altcoin
from hotline.captures.bitcoin import classify_bitcoin_address
from hotline.captures.extractors._common import attributes, visible_texts
from hotline.captures.page import CapturedPage, Selector, Strength

__all__ = ["METHOD_BTC", "METHOD_ETH", "extract_crypto", "normalise_eth_address"]

CRYPTO_ADDRESS = "crypto_address"

METHOD_BTC = "crypto:BTC"
METHOD_ETH = "crypto:ETH"

# Word-delimited: no ASCII letter, digit or underscore on either side. Every quantifier is
# bounded and the look-behind fails at once inside a run of word characters, so a scan is
# linear in the text even on a megabyte of "1"s.
_B = r"(?<![0-9A-Za-z_])"
_E = r"(?![0-9A-Za-z_])"
# Base58 of every coin read, in one pass (the first character says which coin): Bitcoin's
# versions 0x00/0x05 (1…, 3…) and 0x6F/0xC4 (m…, n…, 2…), 25 to 35 characters; Litecoin
# (L…, M…), Dogecoin (D…, 9…, A…) and Tron (T…), a version byte and 20 bytes, always 34
# characters; Monero (4…, 8…), 95 characters, 106 with a payment id.
_BASE58 = re.compile(
    _B
    + r"(?:[123mn][1-9A-HJ-NP-Za-km-z]{24,34}|[LMD9AT][1-9A-HJ-NP-Za-km-z]{33}"
    + r"|[48][1-9A-HJ-NP-Za-km-z]{94}(?:[1-9A-HJ-NP-Za-km-z]{11})?)"
    + _E
)
# Bech32/bech32m segwit: Bitcoin's "bc1"/"tb1", Litecoin's "ltc1"; 11 to 71 data characters.
_BECH32 = re.compile(_B + r"(?:bc|tb|ltc)1[02-9ac-hj-np-z]{11,71}" + _E, re.IGNORECASE)
_ETH = re.compile(_B + r"0x[0-9A-Fa-f]{40}" + _E)
# a payment URI's scheme right before an address ("monero:4…?tx_amount=…"), and its coin
_URI_BEFORE = re.compile(r"(?<![0-9A-Za-z_])(litecoin|dogecoin|monero|tron):(?://)?\Z", re.I)
_SCHEME_COIN = {"litecoin": "LTC", "dogecoin": "DOGE", "monero": "XMR", "tron": "TRX"}
# BIP-21 "bitcoin:ADDR?amount=…" and EIP-681 "ethereum:[pay-]ADDR[@chain][/fn][?…]".
_BTC_URI = re.compile(_B + r"bitcoin:(?://)?([0-9A-Za-z]{14,90})" + _E, re.IGNORECASE)
_ETH_URI = re.compile(_B + r"ethereum:(?:pay-)?(0x[0-9A-Fa-f]{40})" + _E, re.IGNORECASE)

# Ethereum addresses that are nobody's wallet: the stablecoin contracts a shop names when it
# asks for USDT or USDC, and the zero address (lower-cased, as values are stored).
_ETH_NOT_WALLETS = frozenset(
    {
        "0xdac17f958d2ee523a2206206994597c13d831ec7",  # USDT (ERC-20)
        "0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48",  # USDC (ERC-20)
        "0x" + "0" * 40,
    }
)

# Lower rank wins when an address is found in several places.
_RANK_URI, _RANK_TEXT, _RANK_ATTR = 0, 1, 2


def normalise_eth_address(candidate: str) -> str | None:
    """``0x`` + 40 hex, lower-cased; None when it is mixed case and fails EIP-55.

    All-lower and all-upper addresses carry no checksum and are accepted as they are; a
    mixed-case address is a checksum, and a wrong one means a mistyped or altered address.
    """
    if len(candidate) != 42 or candidate[:2] != "0x":
        return None
    body = candidate[2:]
    lower = body.lower()
    if any(char not in "0123456789abcdef" for char in lower):
        return None
    if body not in (lower, body.upper()):
        # imported here: loading pycryptodome costs ~0.1 s of every command's start-up, and
        # only a mixed-case Ethereum address needs it
        from Crypto.Hash import keccak

        digest = keccak.new(digest_bits=256, data=lower.encode("ascii")).hexdigest()
        for char, nibble in zip(body, digest[:40], strict=True):
            if char.isalpha() and char.isupper() != (int(nibble, 16) >= 8):
                return None
    return "0x" + lower


def _btc(candidate: str) -> str | None:
    info = classify_bitcoin_address(candidate)
    return info.normalised if info is not None else None


# The shortest address there is: a bech32 witness program of 2 bytes ("bc1q" + 4 + 6
# checksum characters). Shorter strings (most attribute values and text nodes) hold none.
_SHORTEST = 14


def _scan(text: str, where: str, rank: int) -> Iterator[tuple[int, Selector]]:
    if len(text) < _SHORTEST:
        return
    if ":" in text:  # both URI schemes need one; most strings have none
        for match in _BTC_URI.finditer(text):
            value = _btc(match.group(1))
            if value is not None:
                yield _RANK_URI, _selector("btc_address", value, "uri", METHOD_BTC)
        for match in _ETH_URI.finditer(text):
            value = normalise_eth_address(match.group(1))
            if value is not None and value not in _ETH_NOT_WALLETS:
                yield _RANK_URI, _selector("eth_address", value, "uri", METHOD_ETH)
    for pattern in (_BASE58, _BECH32):
        for match in pattern.finditer(text):
            candidate = match.group()
            if candidate[0] in "123mn" or candidate[:3].lower() in ("bc1", "tb1"):
                value = _btc(candidate)
                if value is not None:
                    yield rank, _selector("btc_address", value, where, METHOD_BTC)
            else:
                yield from _altcoin(text, match.start(), candidate, where, rank)
    if "0x" in text:
        for match in _ETH.finditer(text):
            value = normalise_eth_address(match.group())
            if value is not None and value not in _ETH_NOT_WALLETS:
                yield rank, _selector("eth_address", value, where, METHOD_ETH)


def _altcoin(
    text: str, start: int, candidate: str, where: str, rank: int
) -> Iterator[tuple[int, Selector]]:
    found = classify_altcoin(candidate)
    if found is None:
        return
    coin, value = found
    # a payment URI ("litecoin:ADDR?amount=…") of the address's own coin
    scheme = _URI_BEFORE.search(text, max(0, start - 11), start)
    uri = scheme is not None and _SCHEME_COIN[scheme.group(1).lower()] == coin
    place = "uri" if uri else where
    best = _RANK_URI if place == "uri" else rank
    yield best, _selector(CRYPTO_ADDRESS, f"{coin}:{value}", place, f"crypto:{coin}")


def _selector(kind: str, value: str, where: str, method: str) -> Selector:
    return Selector(kind, value, where, Strength.STRONG, method)


def extract_crypto(page: CapturedPage) -> list[Selector]:
    """Cryptocurrency addresses in visible text, attribute values and payment URIs."""
    best: dict[tuple[str, str], tuple[int, Selector]] = {}
    found = [
        *(
            hit
            for text in dict.fromkeys(t for t in visible_texts(page) if len(t) >= _SHORTEST)
            for hit in _scan(text, "text", _RANK_TEXT)
        ),
        *(
            hit  # each (attribute, value) once: a page repeating one link is read once
            for name, value in dict.fromkeys(
                (n[:64], v) for n, v in attributes(page) if len(v) >= _SHORTEST
            )
            for hit in _scan(value, f"attr:{name}", _RANK_ATTR)
        ),
    ]
    for rank, selector in found:
        key = (selector.kind, selector.value)
        if key not in best or rank < best[key][0]:
            best[key] = (rank, selector)
    return [selector for _, selector in best.values()]
