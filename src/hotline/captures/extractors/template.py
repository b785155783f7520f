"""Template fingerprint: a 64-bit SimHash of a page's DOM skeleton (tags and class names only).

A brand re-uses its page template on every domain it hops to, and a distributor's brands share
a template family, so a similarity-preserving fingerprint of the skeleton links sites whose
text, links and ids all differ. Only element names and ``class`` attribute values are read:
never text, never any other attribute, so the fingerprint carries no content.

Shingles. The tree is walked iteratively (Lexbor's pre-order ``traverse`` plus an explicit
stack of open ancestors, no recursion: 100,000 levels of nesting are just a long loop) in
document order, at most :data:`MAX_ELEMENTS` elements (and four times as many visits,
skipped subtrees included); a capped walk is flagged (``where="dom:truncated"``). Each
element is written as a token ``tag.class1.class2`` (distinct classes sorted, at most
:data:`MAX_CLASSES`, names cut at :data:`MAX_NAME` characters) and contributes two shingles
to a *set* (repeated cards or rows count once, so the number of items on a page does not
move the fingerprint):

- ``P:`` its root-to-node path, depth-bounded to the last :data:`PATH_DEPTH` steps, with the
  ancestors as bare tag names and the element itself with its classes, e.g.
  ``P:html>body>div>div>header.top``: where in the skeleton a class sits;
- ``E:`` the parent's token and its own, e.g. ``E:div.wrap>header.top``: which classes nest
  in which.

Ancestors' classes are left out of the long path on purpose: with them, renaming one class
near the root (``body`` or an outer wrapper) changes the path of every element below it.
Measured on the brand sites of the synthetic world with two role classes renamed: 20.3 bits
on average (up to 40) with classes on every step, 10.9 (up to 23) with this scheme, while
unrelated families stay ~30 apart either way.

Subtrees that are not layout are skipped: ``head``, ``script``, ``style``, ``noscript``,
``template``. Inline elements *without* a class
(``a``, ``span``, ``img``, ``input``, ...) are walked but add no shingle: they follow the
content (one more link, a payment form, an e-mail address), not the template; with a class
they do count (``span.price`` is template).

SimHash. Each shingle is hashed with MurmurHash3 x64-128 (first 64 bits, seed 0: stable
across runs, machines and Python versions, unlike ``hash()``); bit ``i`` of the fingerprint
is set when more than half of the shingle hashes have bit ``i`` set. Similar shingle sets give
fingerprints at a small Hamming distance. The value is 16 lower-case hex digits.

Measured on the synthetic world (``World(2013, SCALES["small"])``, landing pages; Hamming
distance out of 64 bits): sites of one brand (same template variant, different optional
blocks such as payment forms and contact links) are 0-10 apart, mean 4.6; sites of different
template families 12-43, mean 30.4, with 1% of those pairs under 20 and one pair (of 29,745)
at 12. That tail is SimHash's own variance on small pages (~50 shingles): treat a distance
of 10 or less as "same template", and a template match as one piece of evidence among others.
``tests/test_template.py`` asserts the thresholds on the first 150 sites.

Pages with fewer than :data:`MIN_ELEMENTS` elements (redirect stubs, error pages) give no
fingerprint: too little skeleton to be evidence.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import mmh3
import numpy as np
from selectolax.lexbor import LexborHTMLParser

from hotline.captures.page import CapturedPage, Selector, Strength

__all__ = [
    "MAX_CLASSES",
    "MAX_ELEMENTS",
    "MAX_NAME",
    "MIN_ELEMENTS",
    "PATH_DEPTH",
    "TemplateFingerprint",
    "simhash64",
    "template_extractor",
    "template_fingerprint",
    "template_shingles",
]

MAX_ELEMENTS = 50_000  # elements walked at most; a larger page is fingerprinted on its start
MIN_ELEMENTS = 10  # fewer elements than this: no fingerprint
MAX_CLASSES = 4  # classes kept per element (after sorting)
MAX_NAME = 40  # characters kept of a tag or class name
PATH_DEPTH = 8  # steps kept of a root-to-node path (the last ones)

KIND = "template"
WHERE = "dom"
WHERE_TRUNCATED = "dom:truncated"

# Subtrees that hold no layout: metadata, code, fallbacks, inert templates.
_SKIPPED = frozenset({"head", "script", "style", "noscript", "template"})
# Inline and embedded elements: content when they carry no class of their own.
_INLINE = frozenset(
    {
        "a", "abbr", "audio", "b", "bdi", "bdo", "br", "button", "canvas", "cite", "code",
        "data", "del", "dfn", "em", "embed", "i", "iframe", "img", "input", "ins", "kbd",
        "label", "mark", "meter", "object", "option", "output", "picture", "progress", "q",
        "s", "samp", "select", "small", "source", "span", "strong", "sub", "sup", "textarea",
        "time", "track", "u", "var", "video", "wbr",
    }
)  # fmt: skip
_VISITS_PER_ELEMENT = 4  # bound on elements visited (skipped subtrees included) per counted one


@dataclass(frozen=True, slots=True)
class TemplateFingerprint:
    """A page's skeleton SimHash and what it was computed from."""

    simhash: int  # unsigned 64-bit
    elements: int  # elements walked (skipped subtrees not counted)
    shingles: int  # distinct shingles hashed
    truncated: bool  # the walk stopped at MAX_ELEMENTS

    @property
    def hex(self) -> str:
        return f"{self.simhash:016x}"


def _token(tag: str, raw: str | None) -> tuple[str, bool]:
    """``tag.class1.class2`` (distinct, sorted, bounded) and whether the element has a class."""
    if not raw:
        return tag, False
    classes = sorted({name[:MAX_NAME] for name in raw.split()})[:MAX_CLASSES]
    if not classes:
        return tag, False
    return tag + "." + ".".join(classes), True


def template_shingles(
    tree: LexborHTMLParser, max_elements: int = MAX_ELEMENTS
) -> tuple[frozenset[str], int, bool]:
    """The skeleton's shingles, the number of elements walked, and whether the walk was cut."""
    root = tree.root
    if root is None:
        return frozenset(), 0, False
    shingles: set[str] = set()
    elements = 0
    visits = 0
    max_visits = _VISITS_PER_ELEMENT * max_elements  # skipped subtrees are walked too
    truncated = False
    keep = PATH_DEPTH - 1
    tokens: dict[tuple[str, str | None], tuple[str, bool]] = {}  # a page repeats its classes
    # Lexbor's traverse() is an iterative pre-order walk in C. The open ancestors of the
    # current node are this stack: (node id, its last `keep` ancestor tags and own tag, its
    # token, inside a skipped subtree); popped until the top is the node's parent.
    open_: list[tuple[int, tuple[str, ...], str, bool]] = []
    for node in root.traverse():
        if not node.is_element_node:
            continue
        visits += 1
        if elements >= max_elements or visits > max_visits:
            truncated = True
            break
        parent = node.parent
        parent_id = parent.mem_id if parent is not None else -1
        while open_ and open_[-1][0] != parent_id:
            open_.pop()
        if open_:
            _, ancestors, parent_token, skipped = open_[-1]
        else:
            ancestors, parent_token, skipped = (), "", False
        tag = (node.tag or "")[:MAX_NAME]
        if skipped or tag in _SKIPPED:
            open_.append((node.mem_id, ancestors, parent_token, True))
            continue
        elements += 1
        raw = node.attrs.get("class")
        known = tokens.get((tag, raw))
        if known is None:
            known = tokens[(tag, raw)] = _token(tag, raw)
        token, has_class = known
        if has_class or tag not in _INLINE:
            path = ">".join(ancestors)
            shingles.add(f"P:{path}>{token}" if path else f"P:{token}")
            shingles.add(f"E:{parent_token}>{token}")
        below = (*ancestors, tag)[-keep:] if keep else ()
        open_.append((node.mem_id, below, token, False))
    return frozenset(shingles), elements, truncated


def simhash64(shingles: Iterable[str]) -> int:
    """64-bit SimHash of a set of strings, each hashed with MurmurHash3 x64 (seed 0)."""
    hashes = np.fromiter(
        (
            mmh3.hash64(text.encode("utf-8", "replace"), seed=0, x64arch=True, signed=False)[0]
            for text in shingles
        ),
        dtype=np.uint64,
    )
    if hashes.size == 0:
        return 0
    # One byte per bit (n x 64 bytes, not n x 64 words): little-endian bytes, least
    # significant bit first, so column i of a row is bit i of that hash.
    bits = np.unpackbits(hashes.astype("<u8").view(np.uint8), bitorder="little")
    ones = bits.reshape(-1, 64).sum(axis=0, dtype=np.int64)
    return sum(1 << int(bit) for bit in np.flatnonzero(ones * 2 > hashes.size))


def template_fingerprint(
    tree: LexborHTMLParser, max_elements: int = MAX_ELEMENTS
) -> TemplateFingerprint | None:
    """The page's template fingerprint, or None below :data:`MIN_ELEMENTS` elements."""
    shingles, elements, truncated = template_shingles(tree, max_elements)
    if elements < MIN_ELEMENTS or not shingles:
        return None
    return TemplateFingerprint(simhash64(shingles), elements, len(shingles), truncated)


def template_extractor(page: CapturedPage) -> Iterator[Selector]:
    """One ``template`` selector (16 hex digits, MEDIUM) per page with a skeleton."""
    fingerprint = template_fingerprint(page.tree)
    if fingerprint is None:
        return
    where = WHERE_TRUNCATED if fingerprint.truncated else WHERE
    yield Selector(KIND, fingerprint.hex, where, Strength.MEDIUM)
