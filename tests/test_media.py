"""Media hashes (cryptographic + PDQ) and favicon hashes.

Images here are either the public PDQ reference vectors (benign photos of a bridge, a pen and
a coaster, LabelMe scenes; see ``vectors/pdq/SOURCE.md``) or abstract images generated on the
fly (gradients, noise, shapes). Vectors are read relative to this file.
"""

from __future__ import annotations

import base64
import builtins
import csv
import hashlib
import io
import os
import random
import struct
import tempfile
import time
import zlib
from pathlib import Path
from typing import Any

import mmh3
import numpy as np
import pytest
from PIL import Image

from hotline.captures.extractors.favicon import favicon_hashes
from hotline.captures.media import MAX_PIXELS, MediaHashes, hash_media, sniff_media_type
from hotline.captures.page import Strength
from hotline.synth.images import favicon_png, gradient_png, noise_png, shapes_png

VECTORS = Path(__file__).parent / "vectors" / "pdq"
EXPECTED = list(csv.DictReader(io.StringIO((VECTORS / "expected.csv").read_text(encoding="utf-8"))))
HIGH = [row for row in EXPECTED if row["reference_quality_note"] == "high"]
LOW = [row for row in EXPECTED if row["reference_quality_note"].startswith("low")]
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# A minimal MP4 head: an ``ftyp`` box (brand isom) and an empty ``mdat``; no picture at all.
MP4 = struct.pack(">I", 24) + b"ftypisom" + struct.pack(">I", 512) + b"isomiso2"
MP4 += struct.pack(">I", 8 + 64) + b"mdat" + bytes(64)


def pdq_distance(a: str, b: str) -> int:
    return (int(a, 16) ^ int(b, 16)).bit_count()


def jpeg(array: np.ndarray[Any, Any], quality: int = 90) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, "JPEG", quality=quality)
    return buffer.getvalue()


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def bomb_png(width: int, height: int) -> bytes:
    """A ~60-byte PNG whose header claims width x height RGB pixels; its IDAT is empty."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        PNG_SIGNATURE
        + png_chunk(b"IHDR", header)
        + png_chunk(b"IDAT", zlib.compress(b""))
        + png_chunk(b"IEND", b"")
    )


# -- cryptographic hashes ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "media_type"),
    [
        (b"", "application/octet-stream"),
        (b"<!DOCTYPE html><html></html>", "text/html; charset=utf-8"),
        (MP4, "video/mp4"),
        (noise_png(random.Random(1), 64), "image/png"),
        (bomb_png(30_000, 30_000), "image/png"),
    ],
)
def test_cryptographic_hashes_equal_hashlib(data: bytes, media_type: str) -> None:
    result = hash_media(data, media_type)
    assert result.md5 == hashlib.md5(data, usedforsecurity=False).hexdigest()
    assert result.sha1 == hashlib.sha1(data, usedforsecurity=False).hexdigest()
    assert result.sha256 == hashlib.sha256(data).hexdigest()
    assert result.size == len(data)
    assert hash_media(memoryview(data), media_type) == result
    assert hash_media(bytearray(data), media_type) == result


def test_media_type_is_normalised_or_sniffed() -> None:
    data = noise_png(random.Random(2), 32)
    assert hash_media(data, "Image/PNG; q=1").media_type == "image/png"
    assert hash_media(data, "").media_type == "image/png"
    assert hash_media(data, "application/octet-stream").media_type == "image/png"
    assert hash_media(b"plain", "").media_type == ""
    assert len(hash_media(b"plain", "text/" + "x" * 10_000).media_type) == 100
    assert sniff_media_type(MP4) == "video/mp4"
    assert sniff_media_type(b"\x1a\x45\xdf\xa3rest") == "video/webm"
    assert sniff_media_type(b"RIFF\x00\x00\x00\x00WEBPVP8 ") == "image/webp"
    assert sniff_media_type(b"GIF89a") == "image/gif"
    assert sniff_media_type(b"\xff\xd8\xff\xe0") == "image/jpeg"
    assert sniff_media_type(b"hello") is None


# -- PDQ against the reference vectors -------------------------------------------------------------


def test_vectors_are_complete() -> None:
    assert len(EXPECTED) == 16
    assert len(HIGH) == 14
    assert {row["file"] for row in LOW} == {"q0003.jpg", "q0004.jpg"}
    for row in EXPECTED:
        assert (VECTORS / "images" / row["file"]).is_file()
    for name in ("haystack.txt", "needles.txt"):
        lines = (VECTORS / name).read_text(encoding="ascii").split()
        assert lines
        assert all(len(line) == 64 and int(line, 16) >= 0 for line in lines)


@pytest.mark.parametrize("row", HIGH, ids=[row["file"] for row in HIGH])
def test_pdq_matches_reference_on_high_quality_images(row: dict[str, str]) -> None:
    data = (VECTORS / "images" / row["file"]).read_bytes()
    result = hash_media(data, "image/png" if row["file"].endswith(".png") else "image/jpeg")
    assert result.pdq is not None
    assert len(result.pdq) == 64
    assert result.pdq == result.pdq.lower()
    assert result.pdq_skipped is None
    assert result.pdq_quality is not None
    assert result.pdq_quality >= 80
    # measured 0-8 (Pillow's JPEG decoder is not the reference's); the reference says <= 10
    assert pdq_distance(result.pdq, row["pdq_hex"]) <= 10


def test_pdq_bit_order_is_most_significant_first() -> None:
    """The other bit order is ~128 bits off: the same image would look unrelated."""
    row = HIGH[0]
    result = hash_media((VECTORS / "images" / row["file"]).read_bytes(), "image/jpeg")
    assert result.pdq is not None
    reversed_bits = f"{int(f'{int(result.pdq, 16):0256b}'[::-1], 2):064x}"
    assert pdq_distance(result.pdq, row["pdq_hex"]) <= 10
    assert pdq_distance(reversed_bits, row["pdq_hex"]) > 64


@pytest.mark.parametrize("name", [row["file"] for row in LOW] + ["small.jpg"])
def test_pdq_low_quality_images_are_flagged(name: str) -> None:
    result = hash_media((VECTORS / "images" / name).read_bytes(), "image/jpeg")
    assert result.pdq is not None  # kept: the caller decides what to do with it
    assert result.pdq_quality is not None
    assert result.pdq_quality < 50  # measured 3, 4 and 0 (small.jpg: tiny, low detail)
    assert result.pdq_skipped is None


def test_pdq_is_perceptual_on_generated_images() -> None:
    """Abstract images survive a resize and a JPEG re-encode within the match threshold."""
    for make in (noise_png, shapes_png):
        png = make(random.Random(3), 256)
        original = hash_media(png, "image/png")
        smaller = Image.open(io.BytesIO(png)).convert("RGB").resize((128, 128))
        copy = hash_media(jpeg(np.asarray(smaller), quality=80), "image/jpeg")
        assert original.pdq is not None
        assert copy.pdq is not None
        assert pdq_distance(original.pdq, copy.pdq) <= 31  # measured 10 (noise), 6 (shapes)
        other = hash_media(make(random.Random(4), 256), "image/png")
        assert other.pdq is not None
        assert pdq_distance(original.pdq, other.pdq) > 31
    flat = hash_media(gradient_png(random.Random(3), 256), "image/png")
    assert flat.pdq_quality is not None
    assert flat.pdq_quality < 50  # smooth gradients have no detail for PDQ: measured 0


def test_pdq_on_other_modes_and_formats() -> None:
    rng = np.random.default_rng(5)
    pixels = rng.integers(0, 256, (64, 96, 3), dtype=np.uint8)
    for mode, fmt in (("L", "PNG"), ("RGBA", "PNG"), ("P", "GIF"), ("RGB", "WEBP"), ("RGB", "BMP")):
        buffer = io.BytesIO()
        Image.fromarray(pixels).convert(mode).save(buffer, fmt)
        result = hash_media(buffer.getvalue(), f"image/{fmt.lower()}")
        assert result.pdq is not None, (mode, fmt, result.pdq_skipped)
        assert result.pdq_skipped is None


# -- hostile and non-image payloads ----------------------------------------------------------


def test_truncated_png_keeps_hashes_and_says_why() -> None:
    data = noise_png(random.Random(6), 128)
    cut = data[: len(data) // 2]
    result = hash_media(cut, "image/png")
    assert result.sha256 == hashlib.sha256(cut).hexdigest()
    assert result.pdq is None
    assert result.pdq_quality is None
    assert result.pdq_skipped is not None
    assert result.pdq_skipped.startswith("cannot decode image: ")
    assert len(result.pdq_skipped) <= 110


@pytest.mark.parametrize(
    "data",
    [
        random.Random(7).randbytes(4096),
        PNG_SIGNATURE + random.Random(8).randbytes(256),
        b"\xff\xd8\xff" + random.Random(9).randbytes(256),
        b"GIF89a" + bytes(10),
        b"",
    ],
    ids=["random", "png-magic", "jpeg-magic", "gif-header-only", "empty"],
)
def test_undecodable_bytes_declared_image(data: bytes) -> None:
    result = hash_media(data, "image/png")
    assert result.md5 == hashlib.md5(data, usedforsecurity=False).hexdigest()
    assert result.pdq is None
    assert result.pdq_skipped is not None
    assert result.pdq_skipped.startswith("cannot decode image: ")
    assert "0x" not in result.pdq_skipped  # no object reprs, no bytes
    assert result.pdq_skipped.isprintable()


@pytest.mark.parametrize(
    ("width", "height"),
    [(30_000, 30_000), (8_000, 8_000), (1, 60_000_000)],
    ids=["pillow-bomb-check", "own-limit", "one-pixel-wide"],
)
def test_decompression_bomb_is_skipped_fast(width: int, height: int) -> None:
    data = bomb_png(width, height)
    assert len(data) < 100
    assert width * height > MAX_PIXELS
    start = time.perf_counter()
    result = hash_media(data, "image/png")
    assert time.perf_counter() - start < 1.0  # measured well under 1 ms: nothing is decoded
    assert result.pdq is None
    assert result.pdq_skipped is not None
    assert result.pdq_skipped.startswith("too large")
    assert result.sha1 == hashlib.sha1(data, usedforsecurity=False).hexdigest()


def test_video_gets_cryptographic_hashes_only() -> None:
    result = hash_media(MP4, "video/mp4")
    assert result == MediaHashes(
        md5=hashlib.md5(MP4, usedforsecurity=False).hexdigest(),
        sha1=hashlib.sha1(MP4, usedforsecurity=False).hexdigest(),
        sha256=hashlib.sha256(MP4).hexdigest(),
        size=len(MP4),
        media_type="video/mp4",
        pdq=None,
        pdq_quality=None,
        pdq_skipped="video",
    )
    assert hash_media(b"\x00" * 32, "video/webm").pdq_skipped == "video"  # declared is enough
    assert hash_media(MP4, "image/png").pdq_skipped == "video"  # the bytes say video


def test_image_bytes_win_over_a_wrong_declared_type() -> None:
    data = noise_png(random.Random(10), 64)
    for declared in ("video/mp4", "text/html", "application/octet-stream"):
        result = hash_media(data, declared)
        assert result.pdq is not None, declared


def test_non_images_are_not_decoded() -> None:
    svg = b"<svg xmlns='http://www.w3.org/2000/svg'/>"
    assert hash_media(svg, "image/svg+xml").pdq_skipped == "not a raster image"
    assert hash_media(b"%PDF-1.4", "application/pdf").pdq_skipped == "not an image"
    # EPS would run Ghostscript: not among the formats Pillow may try
    eps = b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\n"
    result = hash_media(eps, "image/x-eps")
    assert result.pdq is None
    assert result.pdq_skipped == "cannot decode image: unrecognised image format"


def test_bytes_are_never_written(monkeypatch: pytest.MonkeyPatch) -> None:
    """Hashing goes through memory only: no file is opened, no temporary file is made."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("hash_media tried to touch the file system")

    monkeypatch.setattr(builtins, "open", refuse)
    monkeypatch.setattr(os, "open", refuse)
    for name in ("mkstemp", "mkdtemp", "NamedTemporaryFile", "TemporaryFile"):
        monkeypatch.setattr(tempfile, name, refuse)
    pixels = np.random.default_rng(11).integers(0, 256, (48, 64, 3), dtype=np.uint8)
    samples = [
        (jpeg(pixels), "image/jpeg"),
        (noise_png(random.Random(12), 64), "image/png"),
        (bomb_png(30_000, 30_000), "image/png"),
        (random.Random(13).randbytes(300), "image/png"),
        (MP4, "video/mp4"),
    ]
    for data, media_type in samples:
        hash_media(data, media_type)


def test_speed_on_a_640x480_jpeg() -> None:
    rows = np.linspace(0, 255, 480, dtype=np.uint8)[:, None]
    cols = np.linspace(0, 255, 640, dtype=np.uint8)[None, :]
    noise = np.random.default_rng(14).integers(0, 64, (480, 640), dtype=np.uint8)
    pixels = np.stack([rows + 0 * cols, cols + 0 * rows, noise], axis=-1).astype(np.uint8)
    data = jpeg(pixels)
    hash_media(data, "image/jpeg")
    runs = 10
    start = time.perf_counter()
    for _ in range(runs):
        result = hash_media(data, "image/jpeg")
    per_image = (time.perf_counter() - start) / runs
    assert result.pdq is not None
    assert per_image < 0.5  # measured ~15 ms: ~2 ms decode, the rest in the PDQ binding


# -- favicons --------------------------------------------------------------------------------


def test_favicon_hashes_of_a_generated_icon() -> None:
    icon = favicon_png(random.Random(1))
    selectors = favicon_hashes(icon)
    by_kind = {selector.kind: selector for selector in selectors}
    assert set(by_kind) == {"favicon_md5", "favicon_mmh3"}
    assert by_kind["favicon_md5"].value == hashlib.md5(icon, usedforsecurity=False).hexdigest()
    # Shodan's http.favicon.hash: mmh3 (32-bit, signed) of the line-wrapped base64 text
    expected = mmh3.hash(base64.encodebytes(icon), seed=0, signed=True)
    assert by_kind["favicon_mmh3"].value == str(expected)
    for selector in selectors:
        assert selector.where == "favicon"
        assert selector.strength is Strength.MEDIUM


def test_favicon_mmh3_known_value() -> None:
    """base64.encodebytes(b"hello") is b"aGVsbG8=\\n"; its signed MurmurHash3 is fixed."""
    assert base64.encodebytes(b"hello") == b"aGVsbG8=\n"
    (value,) = [s.value for s in favicon_hashes(b"hello") if s.kind == "favicon_mmh3"]
    assert value == "1155597304"
    (md5,) = [s.value for s in favicon_hashes(b"hello") if s.kind == "favicon_md5"]
    assert md5 == "5d41402abc4b2a76b9719d911017c592"


def test_favicon_base64_is_line_wrapped() -> None:
    """Icons over 57 bytes wrap at 76 characters; the hash must see the line breaks."""
    icon = favicon_png(random.Random(2))
    assert len(icon) > 57
    wrapped = base64.encodebytes(icon)
    assert wrapped.count(b"\n") > 1
    (value,) = [s.value for s in favicon_hashes(icon) if s.kind == "favicon_mmh3"]
    assert value != str(mmh3.hash(base64.b64encode(icon), seed=0, signed=True))
    signed = int(value)
    assert -(2**31) <= signed < 2**31


def test_favicon_empty_body_is_not_evidence() -> None:
    assert favicon_hashes(b"") == []
