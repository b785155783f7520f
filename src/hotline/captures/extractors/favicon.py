"""Favicon hashes: a brand keeps its icon when it hops to a new domain.

Two spellings of the same fact, because analysts meet both:

- ``favicon_md5``: the hex MD5 of the icon bytes (what the synthetic truth and most sandboxes
  record);
- ``favicon_mmh3``: the Shodan ``http.favicon.hash``, i.e. MurmurHash3 (x86, 32-bit, seed 0,
  signed) of the icon's base64 text *as* ``base64.encodebytes`` writes it: lines of 76
  characters, each ending in ``\\n``. The line breaks are part of the convention; hashing
  unwrapped base64 gives a different number that Shodan will not find.

The bytes are hashed in memory and dropped; nothing is stored or decoded.
"""

from __future__ import annotations

import base64
import hashlib

import mmh3

from hotline.captures.page import Selector, Strength

__all__ = ["favicon_hashes", "favicon_md5", "favicon_mmh3"]

WHERE = "favicon"


def favicon_md5(data: bytes) -> str:
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


def favicon_mmh3(data: bytes) -> str:
    """Shodan's favicon hash as a signed 32-bit decimal string."""
    return str(mmh3.hash(base64.encodebytes(data), seed=0, signed=True))


def favicon_hashes(data: bytes) -> list[Selector]:
    """The favicon selectors of an icon's bytes; none for an empty body (not evidence)."""
    if not data:
        return []
    return [
        Selector("favicon_md5", favicon_md5(data), WHERE, Strength.MEDIUM),
        Selector("favicon_mmh3", favicon_mmh3(data), WHERE, Strength.MEDIUM),
    ]
