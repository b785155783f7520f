"""The words of a domain name, as a reader would take them when looking for a brand's name
in it: ``zorvexal-shop7.test`` says "zorvexal"; so do its look-alikes.

Look-alike domains are registered to catch the brand's visitors or to dodge a block list:
an accented letter or two put in front (``xn--bzorvexal-...``: "büzorvexal"), letters that
look Latin but are Cyrillic or Greek ("zоrvexal" with a Cyrillic о), one or two letters
added at an end. The words are folded back to plain Latin letters so that they compare
with a brand's name as it shows on its pages.
"""

from __future__ import annotations

import re
import unicodedata

from hotline.urls.look_alike import HOMOGLYPHS, LATIN_EXTRA

# a name shorter than this is too easily found inside an unrelated domain by chance
MIN_NAME_IN_DOMAIN = 6
# letters a look-alike may add at either end of the name ("bü" + name)
MAX_ADDED = 2

# Words shops glue to their name in a domain ("zorvexalshop7", "getzorvexal"); a word left
# after one comes off is read only when no tier before found a name. Reviews, fans, mirrors
# and status pages are not here: a page about a brand is not the brand's.
GLUED_AFTER = (
    "shop", "store", "club", "online", "plus", "market", "zone", "hub", "official", "vip",
    "world", "land", "city", "pro", "top", "best", "site", "web", "now", "here",
)  # fmt: skip
GLUED_BEFORE = ("get", "my", "the", "buy", "go", "best", "top", "new", "official")
# every letter a look-alike domain borrows, read as the Latin one
_LOOK_ALIKE = str.maketrans({**HOMOGLYPHS, **LATIN_EXTRA})


def plain_label(label: str) -> str | None:
    """A domain label in plain lower-case Latin letters and digits (``xn--`` decoded,
    look-alike letters folded, accents dropped); None when its ``xn--`` form is broken.
    Punycode is decoded as such, not by IDNA 2003's rules, which refuse labels that today's
    registries accept (with ß, a final sigma or a zero-width joiner)."""
    label = label.lower()
    if label.startswith("xn--"):
        try:
            label = label[4:].encode("ascii").decode("punycode")
        except (UnicodeError, ValueError):
            return None
        if label.isascii():  # an xn-- label holds something that is not ASCII, or is broken
            return None
    return plain_text(label)


def plain_text(text: str) -> str:
    """``text`` folded to plain Latin: look-alike letters read as the Latin ones, accents
    dropped, whatever else is not ASCII left out; so a brand's name as its pages show it
    ("Zörvexal") compares with the words of its domains."""
    # after NFKD, so that an accented look-alike ("ё", "ά") is its base letter first
    folded = unicodedata.normalize("NFKD", text.lower())
    return folded.translate(_LOOK_ALIKE).encode("ascii", "ignore").decode()


def name_tokens(site: str) -> list[list[str]]:
    """The words of a domain name without its last label, in plain letters, split at
    hyphens, dots and digits; then, as later tiers, each word without one letter at either
    end, and without two (at the start, at the end, or one at each: a look-alike domain
    adds them); then each word without a shop word glued to it (:data:`GLUED_AFTER`,
    :data:`GLUED_BEFORE`); last, in a look-alike label only (``xn--``), those without one or
    two letters at either end (a look-alike of a glued name). A reader takes the first tier
    that names something: ``zorvexal-shop.test`` is Zorvexal's even where a brand calls
    itself "Zorvex"."""
    words: list[str] = []
    spoofed: list[str] = []  # words of labels that are look-alikes (xn--, folded letters)
    for label in site.lower().rstrip(".").split(".")[:-1]:
        plain = plain_label(label)
        if plain is not None:
            found = [w for w in re.split(r"[^a-z]+", plain) if len(w) >= MIN_NAME_IN_DOMAIN]
            words += found
            if label.startswith("xn--") or not label.isascii():
                spoofed += found
    tiers = [words]
    for cut in range(1, MAX_ADDED + 1):
        kept = [w for w in words if len(w) - cut >= MIN_NAME_IN_DOMAIN]
        # cut letters at the start, at the end, or (two) one at each end
        tiers.append([w[a : len(w) - (cut - a)] for w in kept for a in range(cut, -1, -1)])
    glued = [w[: -len(end)] for w in words for end in GLUED_AFTER if w.endswith(end)]
    glued += [w[len(start) :] for w in words for start in GLUED_BEFORE if w.startswith(start)]
    glued = [w for w in glued if len(w) >= MIN_NAME_IN_DOMAIN]
    tiers.append(glued)
    # a look-alike of a glued name ("bü" + name + "online"): both, the shop word first; only
    # in a look-alike label, where letters were added to fool the eye: in a plain one the
    # cut would make "Master" of mastersclub and "Garden" of mygardens
    odd = [w[: -len(end)] for w in spoofed for end in GLUED_AFTER if w.endswith(end)] + [
        w[len(start) :] for w in spoofed for start in GLUED_BEFORE if w.startswith(start)
    ]
    tiers.append(
        [
            w[a : len(w) - (cut - a)]
            for cut in range(1, MAX_ADDED + 1)
            for w in odd
            if len(w) - cut >= MIN_NAME_IN_DOMAIN
            for a in range(cut, -1, -1)
        ]
    )
    return tiers
