"""Nonsense names for brands, providers and domains, unique by construction.

Uniqueness comes from a bijection (index → mixed-radix syllables), not from retrying against
a set of names already used: the large world generates a million names in a stream and must
not hold them all in memory.
"""

from __future__ import annotations

import random

SYLLABLES = (
    "zor", "bel", "kin", "vax", "lum", "tre", "quo", "mip", "dra", "fen", "sol", "yar",
    "pel", "rin", "tav", "gos", "nub", "wex", "cal", "dov", "hil", "jun", "mar", "sep",
)  # fmt: skip
IDN_PREFIXES = ("bü", "mö", "fä", "ñu", "çe", "ør")
SHOP_WORDS = ("shop", "club", "store", "online", "plus", "market", "zone", "hub")
_RADIX = len(SYLLABLES)
_SPACE = _RADIX**4
_STRIDE = 104_729  # a prime, coprime with 24**4: spreads consecutive indexes over the space


def syllable_name(index: int, salt: int = 90_001) -> str:
    """A pronounceable nonsense word, distinct for distinct ``index`` below 24**4 (331,776)."""
    if not 0 <= index < _SPACE:
        raise ValueError(f"name index {index} outside 0..{_SPACE - 1}")
    number = (index * _STRIDE + salt) % _SPACE
    parts = []
    for _ in range(4):
        number, digit = divmod(number, _RADIX)
        parts.append(SYLLABLES[digit])
    return "".join(parts)


def base36(number: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    text = ""
    while True:
        number, digit = divmod(number, 36)
        text = digits[digit] + text
        if not number:
            return text


def random_word(rng: random.Random, syllables: int = 2) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(syllables))


def token(
    rng: random.Random, length: int, alphabet: str = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
) -> str:
    return "".join(rng.choice(alphabet) for _ in range(length))
