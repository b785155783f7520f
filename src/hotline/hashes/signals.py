"""Signal kinds: what a hash-list entry may hold, how each is validated and written.

A signal is a hash of a piece of material, never the material. Each kind has exactly one
canonical text form, so two lists that spell the same hash differently (upper case, stray
spaces) meet on the same value:

* ``md5``, ``sha1``, ``sha256``: cryptographic digests, lower-case hex of 32, 40 and 64
  characters;
* ``pdq``: a 256-bit perceptual hash as 64 lower-case hex characters; two are compared by
  :func:`hamming` distance;
* ``photodna``: kept as opaque printable text (the lists carry it as base64, hex or
  comma-separated numbers); it is stored and passed on, never compared here.
"""

from __future__ import annotations

import re
from enum import StrEnum


class SignalKind(StrEnum):
    MD5 = "md5"
    SHA1 = "sha1"
    SHA256 = "sha256"
    PDQ = "pdq"
    PHOTODNA = "photodna"


HEX_LENGTHS: dict[SignalKind, int] = {
    SignalKind.MD5: 32,
    SignalKind.SHA1: 40,
    SignalKind.SHA256: 64,
    SignalKind.PDQ: 64,
}
PDQ_BITS = 256
PDQ_QUALITY_MAX = 100  # PDQ quality is a score from 0 to 100
# PhotoDNA is 144 bytes: 192 characters as base64, 288 as hex, at most 575 as
# comma-separated numbers. 4 KiB leaves room for other spellings while refusing a blob.
PHOTODNA_MAX = 4096

_HEX = re.compile(r"[0-9a-fA-F]+", re.ASCII)
_NOT_HEX = re.compile(r"[^0-9a-fA-F]", re.ASCII)
_NOT_PRINTABLE = re.compile(r"[^\x20-\x7e]")

# Header and field spellings seen in lists and tools; matched after lower-casing and
# dropping "-", "_" and spaces, so "SHA-1", "sha_1" and "Sha1" are one kind.
_ALIASES: dict[str, SignalKind] = {
    "md5": SignalKind.MD5,
    "sha1": SignalKind.SHA1,
    "sha256": SignalKind.SHA256,
    "sha2256": SignalKind.SHA256,
    "pdq": SignalKind.PDQ,
    "pdqhash": SignalKind.PDQ,
    "photodna": SignalKind.PHOTODNA,
    "pdna": SignalKind.PHOTODNA,
}
_FOLD = str.maketrans("", "", "-_ ")


class InvalidSignal(ValueError):
    """A value that is not a valid signal of its kind; the message says why, for people."""


def parse_kind(name: str) -> SignalKind | None:
    """The kind a column header or field name stands for, or None when it names none."""
    return _ALIASES.get(name.strip().lower().translate(_FOLD))


def _shown(char: str) -> str:
    return repr(char) if char.isprintable() else f"U+{ord(char):04X}"


def canonical(kind: SignalKind, text: str) -> str:
    """``text`` in the canonical form of ``kind``; raises :class:`InvalidSignal`.

    Surrounding whitespace is dropped and hex is lower-cased; nothing else is changed, so
    a value with a space inside or one character too many is refused, not repaired.
    """
    value = text.strip()
    if not value:
        raise InvalidSignal(f"{kind} is empty")
    length = HEX_LENGTHS.get(kind)
    if length is not None:
        if len(value) != length:
            raise InvalidSignal(f"{kind} must be {length} hexadecimal characters, got {len(value)}")
        if _HEX.fullmatch(value) is None:
            bad = _NOT_HEX.search(value)
            where = f" {_shown(bad.group())} at position {bad.start() + 1}" if bad else ""
            raise InvalidSignal(
                f"{kind} must be {length} hexadecimal characters, got a non-hexadecimal{where}"
            )
        return value.lower()
    if len(value) > PHOTODNA_MAX:
        raise InvalidSignal(
            f"{kind} must be at most {PHOTODNA_MAX:,} characters, got {len(value):,}"
        )
    bad = _NOT_PRINTABLE.search(value)
    if bad is not None:
        raise InvalidSignal(
            f"{kind} must be printable ASCII text, got {_shown(bad.group())} "
            f"at position {bad.start() + 1}"
        )
    return value


def is_valid(kind: SignalKind, text: str) -> bool:
    try:
        canonical(kind, text)
    except InvalidSignal:
        return False
    return True


def hamming(a: str, b: str) -> int:
    """Bits that differ between two PDQ hashes (0 to 256); raises :class:`InvalidSignal`."""
    left = int(canonical(SignalKind.PDQ, a), 16)
    right = int(canonical(SignalKind.PDQ, b), 16)
    return (left ^ right).bit_count()


def pdq_quality(text: str) -> int:
    """A PDQ quality score (an integer from 0 to 100); raises :class:`InvalidSignal`."""
    value = text.strip()
    if not value.isascii() or not value.isdigit() or int(value) > PDQ_QUALITY_MAX:
        raise InvalidSignal(
            f"pdq_quality must be an integer from 0 to {PDQ_QUALITY_MAX}, got {value[:20]!r}"
        )
    return int(value)
