"""Synthetic PNGs: valid files by hand-decoding (no Pillow), deterministic per seed, fast enough."""

from __future__ import annotations

import hashlib
import random
import struct
import zlib
from collections.abc import Callable
from fractions import Fraction

import pytest

from hotline.synth import images
from hotline.synth.images import (
    KINDS,
    abstract_image,
    favicon_png,
    gradient_png,
    noise_png,
    png_bytes,
    shapes_png,
)

SIGNATURE = b"\x89PNG\r\n\x1a\n"
GENERATORS: dict[str, Callable[[random.Random, int], bytes]] = {
    **KINDS,
    "abstract": abstract_image,
}


def decode(png: bytes) -> tuple[int, int, bytes]:
    """Check the container by hand and return width, height and the inflated scanlines."""
    assert png[:8] == SIGNATURE
    pos, chunks = 8, []
    while pos < len(png):
        (length,) = struct.unpack(">I", png[pos : pos + 4])
        kind, data = png[pos + 4 : pos + 8], png[pos + 8 : pos + 8 + length]
        (crc,) = struct.unpack(">I", png[pos + 8 + length : pos + 12 + length])
        assert len(data) == length
        assert crc == zlib.crc32(kind + data), f"bad CRC on {kind!r}"
        chunks.append((kind, data))
        pos += 12 + length
    assert pos == len(png)
    kinds = [kind for kind, _ in chunks]
    assert kinds[0] == b"IHDR"
    assert kinds[-1] == b"IEND"
    assert chunks[-1][1] == b""
    assert set(kinds[1:-1]) == {b"IDAT"}
    width, height, depth, colour, compression, filtering, interlace = struct.unpack(
        ">IIBBBBB", chunks[0][1]
    )
    assert (depth, colour, compression, filtering, interlace) == (8, 2, 0, 0, 0)
    raw = zlib.decompress(b"".join(data for kind, data in chunks if kind == b"IDAT"))
    assert len(raw) == height * (1 + 3 * width)
    stride = 1 + 3 * width
    assert all(raw[y * stride] == 0 for y in range(height)), "every filter byte must be 0"
    return width, height, raw


def pixels(png: bytes) -> set[bytes]:
    width, height, raw = decode(png)
    stride = 1 + 3 * width
    return {
        raw[y * stride + 1 + 3 * x : y * stride + 4 + 3 * x]
        for y in range(height)
        for x in range(width)
    }


@pytest.mark.parametrize("kind", sorted(GENERATORS))
@pytest.mark.parametrize("size", [1, 2, 3, 7, 16, 33, 128])
def test_every_kind_is_a_valid_rgb_png(kind: str, size: int) -> None:
    for seed in range(12):
        width, height, _ = decode(GENERATORS[kind](random.Random(seed), size))
        assert (width, height) == (size, size)


@pytest.mark.parametrize("kind", sorted(GENERATORS))
def test_same_seed_same_bytes_different_seed_different_bytes(kind: str) -> None:
    make = GENERATORS[kind]
    assert make(random.Random(42), 64) == make(random.Random(42), 64)
    outputs = {make(random.Random(seed), 64) for seed in range(30)}
    assert len(outputs) == 30


def test_images_are_not_blank() -> None:
    for make in (gradient_png, noise_png, shapes_png):
        for seed in range(10):
            assert len(pixels(make(random.Random(seed), 32))) > 1


def test_abstract_image_draws_its_kind_from_the_same_stream() -> None:
    seen = set()
    for seed in range(40):
        twin = random.Random(seed)
        kind = twin.choice(tuple(KINDS))
        seen.add(kind)
        assert abstract_image(random.Random(seed), 48) == KINDS[kind](twin, 48)
    assert seen == set(KINDS)


def test_favicon_is_16_or_32_px_and_two_colours() -> None:
    sizes, colour_counts = set(), set()
    for seed in range(60):
        png = favicon_png(random.Random(seed))
        assert favicon_png(random.Random(seed)) == png
        width, height, _ = decode(png)
        assert width == height
        sizes.add(width)
        colour_counts.add(len(pixels(png)))
    assert sizes == {16, 32}
    assert colour_counts <= {1, 2}
    assert 2 in colour_counts


def test_favicon_is_mirrored_left_to_right() -> None:
    for seed in range(20):
        width, height, raw = decode(favicon_png(random.Random(seed)))
        stride = 1 + 3 * width
        for y in range(height):
            row = raw[y * stride + 1 : (y + 1) * stride]
            px = [row[3 * x : 3 * x + 3] for x in range(width)]
            assert px == px[::-1]


def test_png_bytes_round_trips_pixels() -> None:
    rng = random.Random(5)
    width, height = 5, 3
    rgb = rng.randbytes(3 * width * height)
    w, h, raw = decode(png_bytes(width, height, rgb))
    assert (w, h) == (width, height)
    stride = 1 + 3 * width
    assert b"".join(raw[y * stride + 1 : (y + 1) * stride] for y in range(height)) == rgb
    assert png_bytes(width, height, bytearray(rgb)) == png_bytes(width, height, memoryview(rgb))


def test_png_bytes_refuses_bad_dimensions() -> None:
    with pytest.raises(ValueError, match="bytes of RGB"):
        png_bytes(2, 2, b"\x00" * 11)
    with pytest.raises(ValueError, match="at least 1x1"):
        png_bytes(0, 2, b"")
    with pytest.raises(ValueError, match="at least 1"):
        gradient_png(random.Random(1), 0)


def test_ramp_hits_its_end_colours_and_rounds_within_one() -> None:
    # the big-int ramp is the clever part: compare it with exact rational interpolation
    rng = random.Random(9)
    for _ in range(300):
        a = (rng.randrange(256), rng.randrange(256), rng.randrange(256))
        b = (rng.randrange(256), rng.randrange(256), rng.randrange(256))
        span = rng.randint(1, 700)
        ramp = images._ramp(a, b, span, span + 1)
        assert len(ramp) == 3 * (span + 1)
        assert ramp[:3] == bytes(a)
        assert ramp[-3:] == bytes(b)
        for k in range(0, span + 1, max(1, span // 17)):
            for ch in range(3):
                exact = a[ch] + Fraction((b[ch] - a[ch]) * k, span)
                assert abs(ramp[3 * k + ch] - exact) <= 1


def test_gradient_neighbours_change_smoothly() -> None:
    # a linear fade: no neighbouring pixels jump further than the steepest ramp allows
    for seed in range(20):
        size = 64
        width, _, raw = decode(gradient_png(random.Random(seed), size))
        stride = 1 + 3 * width
        for y in range(size):
            row = raw[y * stride + 1 : (y + 1) * stride]
            for i in range(3, len(row)):
                assert abs(row[i] - row[i - 3]) <= 2 * 255 // (size - 1) + 2


def test_pixels_are_pinned() -> None:
    """Worlds are byte-identical per seed: a change here changes every generated world.

    The digest covers the inflated scanlines, not the PNG bytes, so a different zlib build does
    not fail it; update it only on purpose.
    """
    digest = hashlib.sha256()
    for seed in range(8):
        for make in (gradient_png, noise_png, shapes_png):
            digest.update(decode(make(random.Random(seed), 40))[2])
        digest.update(decode(favicon_png(random.Random(seed)))[2])
    assert digest.hexdigest() == "cb440d3c8a9ce7ab5b710f156b60d90e0efbebe5dd1acad6f8b6c73ee26b1927"
