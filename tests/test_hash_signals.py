"""Signal kinds: canonical forms, the messages for bad values, PDQ distance."""

from __future__ import annotations

import hashlib
import string

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hotline.hashes.signals import (
    HEX_LENGTHS,
    PHOTODNA_MAX,
    InvalidSignal,
    SignalKind,
    canonical,
    hamming,
    is_valid,
    parse_kind,
    pdq_quality,
)

MD5_1 = hashlib.md5(b"sample-1", usedforsecurity=False).hexdigest()
HEX_KINDS = list(HEX_LENGTHS)
hex_kinds = st.sampled_from(HEX_KINDS)
spaces = st.text(alphabet=" \t\r\n", max_size=3)


def hex_of(length: int) -> st.SearchStrategy[str]:
    return st.text(alphabet="0123456789abcdefABCDEF", min_size=length, max_size=length)


@st.composite
def valid_hex(draw: st.DrawFn) -> tuple[SignalKind, str]:
    kind = draw(hex_kinds)
    return kind, draw(spaces) + draw(hex_of(HEX_LENGTHS[kind])) + draw(spaces)


@given(valid_hex())
def test_canonical_is_idempotent_and_lower_case(case: tuple[SignalKind, str]) -> None:
    kind, text = case
    value = canonical(kind, text)
    assert canonical(kind, value) == value
    assert value == text.strip().lower()
    assert len(value) == HEX_LENGTHS[kind]


@given(valid_hex())
def test_canonical_ignores_case(case: tuple[SignalKind, str]) -> None:
    kind, text = case
    assert canonical(kind, text.upper()) == canonical(kind, text.lower())


@given(hex_kinds, st.integers(min_value=0, max_value=80), st.data())
def test_wrong_lengths_are_refused(kind: SignalKind, length: int, data: st.DataObject) -> None:
    if length == HEX_LENGTHS[kind]:
        length += 1
    text = data.draw(hex_of(length))
    with pytest.raises(InvalidSignal):
        canonical(kind, text)


@given(hex_kinds, st.data())
def test_non_hex_is_refused(kind: SignalKind, data: st.DataObject) -> None:
    length = HEX_LENGTHS[kind]
    text = data.draw(hex_of(length))
    position = data.draw(st.integers(min_value=0, max_value=length - 1))
    bad = data.draw(
        st.characters(blacklist_characters=string.hexdigits, blacklist_categories=("Zs", "Cc"))
    )
    with pytest.raises(InvalidSignal, match="non-hexadecimal"):
        canonical(kind, text[:position] + bad + text[position + 1 :])


def test_messages_name_the_kind_and_the_length() -> None:
    with pytest.raises(InvalidSignal, match=r"^md5 must be 32 hexadecimal characters, got 31$"):
        canonical(SignalKind.MD5, MD5_1[:31])
    with pytest.raises(InvalidSignal, match="'g' at position 3"):
        canonical(SignalKind.MD5, "9ag" + MD5_1[3:])
    with pytest.raises(InvalidSignal, match=r"^sha1 is empty$"):
        canonical(SignalKind.SHA1, "   ")
    assert not is_valid(SignalKind.SHA256, MD5_1)
    assert is_valid(SignalKind.MD5, f"  {MD5_1.upper()}\n")


def test_a_space_inside_is_refused_not_repaired() -> None:
    with pytest.raises(InvalidSignal):
        canonical(SignalKind.MD5, MD5_1[:16] + " " + MD5_1[16:31])


def test_photodna_is_opaque_printable_text() -> None:
    for text in ("QUJD+/==" * 24, "0a" * 144, ",".join(["12"] * 144)):
        assert canonical(SignalKind.PHOTODNA, f" {text} ") == text  # kept, never lower-cased
    with pytest.raises(InvalidSignal, match="printable ASCII"):
        canonical(SignalKind.PHOTODNA, "abc\x00def")
    with pytest.raises(InvalidSignal, match="printable ASCII"):
        canonical(SignalKind.PHOTODNA, "abcé")
    with pytest.raises(InvalidSignal, match="at most"):
        canonical(SignalKind.PHOTODNA, "A" * (PHOTODNA_MAX + 1))


@given(st.text(alphabet=string.ascii_letters + string.digits + "+/=,", min_size=1, max_size=300))
def test_photodna_canonical_is_idempotent(text: str) -> None:
    value = canonical(SignalKind.PHOTODNA, text)
    assert canonical(SignalKind.PHOTODNA, value) == value


def test_kind_names_and_aliases() -> None:
    assert parse_kind("MD5") is SignalKind.MD5
    assert parse_kind(" SHA-1 ") is SignalKind.SHA1
    assert parse_kind("sha_256") is SignalKind.SHA256
    assert parse_kind("PhotoDNA") is SignalKind.PHOTODNA
    assert parse_kind("PDQ") is SignalKind.PDQ
    assert parse_kind("crc32") is None
    assert parse_kind("") is None


def test_hamming() -> None:
    zero = "0" * 64
    assert hamming(zero, zero) == 0
    assert hamming(zero, "f" * 64) == 256
    assert hamming(zero, "1" + "0" * 63) == 1
    assert hamming("F" * 64, " " + "f" * 64) == 0
    with pytest.raises(InvalidSignal, match="pdq must be 64"):
        hamming(zero, "0" * 63)


@given(hex_of(64), hex_of(64))
def test_hamming_is_symmetric_and_bounded(a: str, b: str) -> None:
    assert hamming(a, b) == hamming(b, a)
    assert 0 <= hamming(a, b) <= 256
    assert hamming(a, a) == 0


def test_pdq_quality() -> None:
    assert pdq_quality(" 87 ") == 87
    assert pdq_quality("0") == 0
    for bad in ("101", "-1", "8.5", "x", "٣"):
        with pytest.raises(InvalidSignal, match="pdq_quality"):
            pdq_quality(bad)
