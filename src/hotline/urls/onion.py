"""Tor onion service addresses (rend-spec-v3 §6): only version 3 is valid since October 2021."""

from __future__ import annotations

import base64
import hashlib

_V3_LEN = 56
_V2_LEN = 16
_CHECKSUM_PREFIX = b".onion checksum"
_VERSION = b"\x03"


def onion_v3_error(label: str) -> str | None:
    """Return why ``label`` (the part before ``.onion``) is not a valid v3 address, or None."""
    if len(label) == _V2_LEN:
        return "onion v2 address; v2 services were retired in 2021"
    if len(label) != _V3_LEN:
        return f"onion address must be 56 base32 characters, got {len(label)}"
    try:
        raw = base64.b32decode(label.upper())
    except ValueError:
        return "onion address is not base32"
    pubkey, checksum, version = raw[:32], raw[32:34], raw[34:]
    if version != _VERSION:
        return f"onion address version byte is {version[0]}, expected 3"
    expected = hashlib.sha3_256(_CHECKSUM_PREFIX + pubkey + version).digest()[:2]
    if checksum != expected:
        return "onion address checksum does not match"
    return None


def onion_v3_address(pubkey: bytes) -> str:
    """Build the v3 address of a 32-byte key (used by the synthetic world and tests)."""
    if len(pubkey) != 32:
        raise ValueError("an onion v3 public key is 32 bytes")
    checksum = hashlib.sha3_256(_CHECKSUM_PREFIX + pubkey + _VERSION).digest()[:2]
    return base64.b32encode(pubkey + checksum + _VERSION).decode("ascii").lower() + ".onion"
