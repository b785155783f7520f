"""Letters drawn like Latin ones: how look-alike domains and spoofed names are read back.

A look-alike (homograph) domain or name swaps Latin letters for Cyrillic or Greek ones drawn
the same ("zоrvexal" with a Cyrillic о) to catch a brand's visitors or to dodge a block list
that matches names. Unicode's confusables list is long; these are the lower-case letters
that look alike in the fonts browsers use for addresses, which is what such names use.
"""

from __future__ import annotations

# Cyrillic and Greek letters drawn like a Latin one.
HOMOGLYPHS: dict[str, str] = {
    "а": "a", "в": "b", "е": "e", "ё": "e", "і": "i", "ї": "i", "ј": "j", "к": "k",
    "о": "o", "р": "p", "с": "c", "у": "y", "х": "x", "ѕ": "s", "ԁ": "d", "ԛ": "q",
    "ԝ": "w", "һ": "h", "ӏ": "l", "ɡ": "g",
    "α": "a", "β": "b", "ε": "e", "ι": "i", "κ": "k", "ν": "v", "ο": "o", "ρ": "p",
    "τ": "t", "υ": "u", "χ": "x",
}  # fmt: skip
# Latin letters that Unicode does not decompose into a base letter and an accent.
LATIN_EXTRA: dict[str, str] = {
    "ı": "i", "ø": "o", "ł": "l", "đ": "d", "ħ": "h", "ß": "ss", "æ": "ae", "œ": "oe",
}  # fmt: skip

_HOMOGLYPHS = str.maketrans(HOMOGLYPHS)


def unspoofed(text: str) -> str:
    """``text`` (lower case) with each word that mixes plain Latin letters with Cyrillic or
    Greek look-alikes written in Latin only: "goswеxdovdra" with a Cyrillic е is
    "goswexdovdra". A word wholly in another script is a name in that script and stays."""
    if text.isascii():
        return text
    words = text.split(" ")
    for at, word in enumerate(words):
        if any("a" <= char <= "z" for char in word) and any(char in HOMOGLYPHS for char in word):
            words[at] = word.translate(_HOMOGLYPHS)
    return " ".join(words)
