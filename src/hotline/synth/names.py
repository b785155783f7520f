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
GLUED_PREFIXES = ("get", "my", "buy")


def glued(rng: random.Random, slug: str, word: str, k: int) -> str:
    """A brand's k-th domain label with its shop word glued to the name (the
    ``glued_names`` phenomenon): "zorvexalshop7", or a word put in front, "getzorvexal7".
    Unique like the hyphenated label: no syllable name holds a shop word or these words."""
    if rng.random() < 0.7:
        return f"{slug}{word}{k}"
    return f"{rng.choice(GLUED_PREFIXES)}{slug}{k}"


# Latin letters → the Cyrillic ones drawn the same, which a look-alike domain swaps in (the
# generator's own table: the reader's, hotline.urls.look_alike, maps the other way)
CYRILLIC_FOR = {
    "a": "\u0430",
    "c": "\u0441",
    "e": "\u0435",
    "o": "\u043e",
    "p": "\u0440",
    "x": "\u0445",
    "y": "\u0443",
}


def look_alike(rng: random.Random, label: str) -> str:
    """``label`` as a look-alike domain spells it (the ``look_alikes`` phenomenon): two
    letters put in front ("bü"), or, on half of them, one or two letters swapped for
    Cyrillic ones that look the same."""
    swappable = [at for at, char in enumerate(label) if char in CYRILLIC_FOR]
    if rng.random() < 0.5 or not swappable:
        return rng.choice(IDN_PREFIXES) + label
    chars = list(label)
    for at in rng.sample(swappable, min(len(swappable), rng.choice((1, 2)))):
        chars[at] = CYRILLIC_FOR[chars[at]]
    return "".join(chars)


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
