"""Generated abstract PNG images for the synthetic world: gradients, blocky noise, shapes, favicons.

Pages in a synthetic capture need images that are real, decodable files (so readers, hashers and
sniffers see the bytes they would meet in the wild) yet depict nothing at all. These are built
from ``zlib`` and ``struct`` only, so the standard library is the whole dependency.

Two properties matter more than looks:

- Deterministic. The same ``random.Random`` state gives the same bytes: only integer arithmetic
  drives pixels, the zlib level is fixed, and the window size is derived from the data length.
  (Bytes can still differ between zlib *builds*, e.g. zlib-ng; pin the runtime to be sure.)
- Fast. A world holds many thousands of images, so no per-pixel Python work where a C-level
  operation can do it: rows are slices of a precomputed colour strip, shapes are slice
  assignments into one ``bytearray``, noise is upscaled blocks of ``randbytes``.

Every image is 8-bit RGB (colour type 2), non-interlaced, filter type 0 on every scanline.
"""

from __future__ import annotations

import random
import struct
import zlib
from collections.abc import Callable
from functools import lru_cache
from math import isqrt

__all__ = [
    "KINDS",
    "ZLIB_LEVEL",
    "abstract_image",
    "favicon_png",
    "gradient_png",
    "noise_png",
    "png_bytes",
    "shapes_png",
]

ZLIB_LEVEL = 1  # fastest; these images are tiny anyway, and encode time is what a world pays for
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_IEND = struct.pack(">I", 0) + b"IEND" + struct.pack(">I", zlib.crc32(b"IEND"))

Colour = tuple[int, int, int]


def _chunk(kind: bytes, data: bytes) -> bytes:
    return b"".join(
        (
            struct.pack(">I", len(data)),
            kind,
            data,
            struct.pack(">I", zlib.crc32(data, zlib.crc32(kind))),
        )
    )


def _deflate(data: bytes) -> bytes:
    """A zlib stream whose window fits the data.

    A window larger than the input buys nothing, and allocating zlib's full 256 KiB state is
    most of the cost for small images (favicons). Derived from the length only, so still
    deterministic.
    """
    wbits = min(15, max(9, (len(data) - 1).bit_length()))
    c = zlib.compressobj(ZLIB_LEVEL, zlib.DEFLATED, wbits, max(1, wbits - 7))
    return c.compress(data) + c.flush()


def _encode(width: int, height: int, scanlines: bytes) -> bytes:
    # scanlines: height rows of (filter byte 0, 3*width RGB bytes)
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"".join(
        (PNG_SIGNATURE, _chunk(b"IHDR", ihdr), _chunk(b"IDAT", _deflate(scanlines)), _IEND)
    )


def png_bytes(width: int, height: int, rgb: bytes | bytearray | memoryview) -> bytes:
    """Encode ``height`` rows of ``width`` RGB pixels (3 bytes each, row after row) as a PNG.

    The generic entry point, for callers who build their own pixels; the generators below
    write filter bytes in place and skip this copy.
    """
    if width < 1 or height < 1:
        raise ValueError(f"image must be at least 1x1, got {width}x{height}")
    stride = 3 * width
    if len(rgb) != stride * height:
        raise ValueError(f"expected {stride * height} bytes of RGB, got {len(rgb)}")
    view = memoryview(rgb).cast("B")
    scanlines = b"\x00" + b"\x00".join(view[i : i + stride] for i in range(0, len(view), stride))
    return _encode(width, height, scanlines)


def _colour(rng: random.Random, lo: int = 0, hi: int = 255) -> Colour:
    return (rng.randint(lo, hi), rng.randint(lo, hi), rng.randint(lo, hi))


@lru_cache(maxsize=64)
def _series(count: int) -> tuple[int, int]:
    """``sum(B**(count-1-k))`` and ``sum(k * B**(count-1-k))`` for ``B = 2**96``, k < count."""
    ones = steps = 0
    for k in range(count):
        ones = (ones << 96) | 1
        steps = (steps << 96) | k
    return ones, steps


def _ramp(a: Colour, b: Colour, span: int, count: int) -> bytes:
    """``count`` RGB pixels of the fade that is ``a`` at pixel 0 and ``b`` at pixel ``span``.

    All pixels at once, without a per-pixel loop: each pixel is three 32-bit lanes of 8.24
    fixed point, ``lane_k = a*2**24 + 2**23 + k*step``, and the sum over k of
    ``lane_k * B**(count-1-k)`` is one big-int expression built from the cached series. Every
    lane stays within ``[0, 2**32)``, so its bytes are exact and the top byte of each lane
    (every fourth byte) is the rounded channel value. Integer-only, hence deterministic.
    """
    start = step = 0
    for ch in range(3):
        start = (start << 32) | ((a[ch] << 24) + (1 << 23))
        step = (step << 32) + ((b[ch] - a[ch]) << 24) // span
    ones, steps = _series(count)
    return (start * ones + step * steps).to_bytes(12 * count, "big")[::4]


def _strip(stops: list[Colour], n: int) -> bytes:
    """``n`` RGB pixels fading through ``stops`` at even spacing."""
    if n == 1:
        return bytes(stops[0])
    segs = len(stops) - 1
    bounds = [s * (n - 1) // segs for s in range(segs + 1)]
    parts = []
    for s in range(segs):
        span = bounds[s + 1] - bounds[s]
        if span:
            # each segment ends where the next begins; only the last includes its end pixel
            parts.append(_ramp(stops[s], stops[s + 1], span, span + (s == segs - 1)))
    return b"".join(parts)


def _gradient_scanlines(rng: random.Random, size: int) -> bytearray:
    """A linear gradient in one of four directions, as filtered scanlines (a mutable buffer).

    Every row of a linear gradient is a window onto one strip of ``2*size-1`` pixels (or one
    colour repeated, for a vertical fade), so rows are slices, not pixel loops.
    """
    stops = [_colour(rng) for _ in range(rng.choice((2, 2, 3)))]
    direction = rng.choice(("horizontal", "vertical", "diagonal", "antidiagonal"))
    row_len = 3 * size
    if direction == "horizontal":
        row = b"\x00" + _strip(stops, size)
        return bytearray(row * size)
    if direction == "vertical":
        strip = _strip(stops, size)
        return bytearray(b"".join(b"\x00" + strip[3 * y : 3 * y + 3] * size for y in range(size)))
    strip = _strip(stops, 2 * size - 1)
    if direction == "diagonal":
        offsets: range = range(0, 3 * size, 3)
    else:
        offsets = range(3 * (size - 1), -1, -3)
    return bytearray(b"".join(b"\x00" + strip[o : o + row_len] for o in offsets))


def _check_size(size: int) -> None:
    if size < 1:
        raise ValueError(f"image size must be at least 1, got {size}")


def gradient_png(rng: random.Random, size: int) -> bytes:
    """A ``size``x``size`` linear gradient through two or three random colours."""
    _check_size(size)
    return _encode(size, size, bytes(_gradient_scanlines(rng, size)))


def noise_png(rng: random.Random, size: int) -> bytes:
    """Blocky colour noise around a random base colour.

    Per-pixel noise would be incompressible and cost milliseconds in zlib; random blocks of 4 to
    16 px keep the look of noise at a fraction of the encode time.
    """
    _check_size(size)
    block = rng.choice((4, 8, 8, 16))
    cells = -(-size // block)
    base = _colour(rng, 40, 215)
    spread = rng.randint(16, 40)
    r, g, b = base
    lo = (max(0, r - spread), max(0, g - spread), max(0, b - spread))
    hi = (min(255, r + spread), min(255, g + spread), min(255, b + spread))
    tables = _ramp(lo, hi, 255, 256)  # byte v of channel ch maps to tables[3*v + ch]
    raw = bytearray(rng.randbytes(3 * cells * cells))
    for ch in range(3):
        raw[ch::3] = raw[ch::3].translate(tables[ch::3])
    # widen every cell to `block` pixels with strided copies, then each cell row to `block` rows
    wide = bytearray(len(raw) * block)
    for j in range(3 * block):
        wide[j :: 3 * block] = raw[j % 3 :: 3]
    wide_row, row_len = 3 * cells * block, 3 * size
    rows = []
    for cy in range(cells):
        line = b"\x00" + wide[cy * wide_row : cy * wide_row + row_len]
        rows.append(line * min(block, size - cy * block))
    return _encode(size, size, b"".join(rows))


def _fill_rect(
    buf: bytearray, size: int, x0: int, y0: int, x1: int, y1: int, colour: bytes
) -> None:
    # half-open [x0, x1) x [y0, y1), clipped to the image
    x0, y0, x1, y1 = max(x0, 0), max(y0, 0), min(x1, size), min(y1, size)
    if x0 >= x1 or y0 >= y1:
        return
    stride = 1 + 3 * size
    fill = colour * (x1 - x0)
    for y in range(y0, y1):
        start = y * stride + 1 + 3 * x0
        buf[start : start + len(fill)] = fill


def _fill_circle(buf: bytearray, size: int, cx: int, cy: int, r: int, colour: bytes) -> None:
    stride = 1 + 3 * size
    r2 = r * r
    for y in range(max(cy - r, 0), min(cy + r + 1, size)):
        half = isqrt(r2 - (y - cy) ** 2)
        x0, x1 = max(cx - half, 0), min(cx + half + 1, size)
        if x0 < x1:
            start = y * stride + 1 + 3 * x0
            buf[start : start + 3 * (x1 - x0)] = colour * (x1 - x0)


def shapes_png(rng: random.Random, size: int) -> bytes:
    """Two to six filled rectangles and circles on a gradient: a plausible banner or thumbnail."""
    _check_size(size)
    buf = _gradient_scanlines(rng, size)
    for _ in range(rng.randint(2, 6)):
        colour = bytes(_colour(rng))
        if rng.random() < 0.5:
            x0, y0 = rng.randrange(size), rng.randrange(size)
            w, h = rng.randint(1, max(1, size // 2)), rng.randint(1, max(1, size // 2))
            _fill_rect(buf, size, x0, y0, x0 + w, y0 + h, colour)
        else:
            cx, cy = rng.randrange(size), rng.randrange(size)
            _fill_circle(buf, size, cx, cy, rng.randint(1, max(1, size // 4)), colour)
    return _encode(size, size, bytes(buf))


def favicon_png(rng: random.Random) -> bytes:
    """A 16 or 32 px two-colour, left-right mirrored block pattern, like an identicon."""
    size = rng.choice((16, 32))
    grid = rng.choice((4, 8))
    cell = size // grid
    dark, light = bytes(_colour(rng, 0, 110)), bytes(_colour(rng, 145, 255))
    fg, bg = (dark, light) if rng.random() < 0.5 else (light, dark)
    half = (grid + 1) // 2
    rows = []
    for _ in range(grid):
        bits = [rng.random() < 0.5 for _ in range(half)]
        bits += bits[: grid - half][::-1]
        line = b"\x00" + b"".join((fg if bit else bg) * cell for bit in bits)
        rows.append(line * cell)
    return _encode(size, size, b"".join(rows))


KINDS: dict[str, Callable[[random.Random, int], bytes]] = {
    "gradient": gradient_png,
    "noise": noise_png,
    "shapes": shapes_png,
}


def abstract_image(rng: random.Random, size: int) -> bytes:
    """One image of a kind picked by ``rng``: the kind is part of the deterministic stream."""
    kind = rng.choice(tuple(KINDS))
    return KINDS[kind](rng, size)
