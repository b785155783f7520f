"""Media hashes: cryptographic digests of every payload, and a PDQ perceptual hash of images.

hotline is content-free: media bytes arrive in memory, are hashed here and dropped. Nothing in
this module writes them anywhere (no temporary file, no log line with content; the only memo
keeps PDQ results by SHA-256, never bytes); error reasons name the failure, never the bytes.

- ``md5``, ``sha1``, ``sha256``: always, for every payload (the exact-match lists hotlines
  exchange use them).
- ``pdq``: Meta's 256-bit perceptual hash (PyPI ``pdqhash``, the reference C++ hasher behind
  a binding) of images, for matching re-encoded and resized copies. Written as 64 lower-case
  hex characters, most significant bit first: bit 0 of the binding's 256-bit array is the
  most significant bit of the first hex digit. That is the reference's own spelling; it
  matches the ThreatExchange vectors in ``tests/vectors/pdq`` (distance 0–8 on their
  high-quality images; reversing the bit order gives ~128, i.e. unrelated).
  ``pdq_quality`` is the reference's 0–100 quality; below 50 the hash is usually discarded
  (flat or low-detail images), but it is kept here and the caller decides.
- ``pdq_skipped``: why there is no PDQ hash (``video``, ``not an image``, ``too large: ...``,
  ``cannot decode image: ...``), else None.

Which payloads are images: the ones whose bytes start like PNG, JPEG, GIF or WebP (sniffed,
whatever the declared type says), and the others declared ``image/*``. Declared ``video/*``
or sniffed video containers (MP4/QuickTime ``ftyp``, Matroska/WebM, AVI) get the
cryptographic hashes only.

Safety of the decode:

- Pillow only tries the raster formats in :data:`DECODE_FORMATS`: no EPS (it would run
  Ghostscript), no PSD, no exotic plugins.
- Pixel limit :data:`MAX_PIXELS` (50 megapixels) per decode, checked on the header before any
  pixel is decoded. The module does not touch Pillow's global ``Image.MAX_IMAGE_PIXELS``
  (other code shares it, and setting it is not thread-safe); Pillow's own bomb check still
  fires at open above twice its global limit, and its ``DecompressionBombError`` and
  ``DecompressionBombWarning`` (when warnings are errors) are both reported as ``too large``.
- Any other failure of the decoder (truncated, corrupt, unknown format, out of memory) keeps
  the cryptographic hashes and sets ``pdq_skipped`` to ``cannot decode image: <reason>``.

Speed: no reduced decode. JPEG ``draft`` mode (DCT-domain downscaling) was measured against
the vectors: reducing to at least 256 px gave distances up to 12 (bridge photos decoded at
1/2 scale), to at least 128 px up to 40, against 8 for a full decode; a resize to 512x512
before hashing (what newer reference tools do) gave up to 16. Over the bound of 10, so the
full image is hashed, as the reference hashes that produced the vectors did. EXIF orientation
is not applied (the reference hasher does not either). Only the first frame of an animated
image is hashed.

Bounded: an image over :data:`PDQ_FULL_PIXELS` (4 megapixels) is box-reduced by a whole
factor to at most :data:`PDQ_LONG_SIDE` (2,048) pixels on its long side before hashing — a
7000x7000 image would otherwise cost ~2 GB in the hasher. Every reference vector is under
1 megapixel, so they hash exactly as before; on 12-megapixel test images the reduced hash is
within distance 0-6 of the full-size one (tested at <= 10).
"""

from __future__ import annotations

import hashlib
import io
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import numpy as np
import pdqhash
from PIL import Image, UnidentifiedImageError

__all__ = ["DECODE_FORMATS", "MAX_PIXELS", "MediaHashes", "hash_media", "sniff_media_type"]

MAX_PIXELS = 50_000_000  # width x height above which an image is not decoded
PDQ_FULL_PIXELS = 4_000_000  # images larger than this are reduced before PDQ ...
PDQ_LONG_SIDE = 2048  # ... to at most this many pixels on their long side
_WANTED_FORMATS = ("JPEG", "PNG", "GIF", "WEBP", "BMP", "TIFF", "ICO", "AVIF")
Image.init()  # register the plugins so the list below can be checked against them
DECODE_FORMATS: tuple[str, ...] = tuple(f for f in _WANTED_FORMATS if f in Image.OPEN)
_REASON_LENGTH = 80
_MAX_MEDIA_TYPE = 100  # a hostile Content-Type can be any length

_IMAGE_BRANDS = (b"avif", b"avis", b"heic", b"heix", b"heim", b"heis", b"mif1", b"msf1")


@dataclass(frozen=True, slots=True)
class MediaHashes:
    md5: str
    sha1: str
    sha256: str
    size: int  # bytes
    media_type: str  # the declared type, lower-cased, parameters dropped (sniffed if none)
    pdq: str | None  # 64 lower-case hex characters, most significant bit first
    pdq_quality: int | None  # 0-100, from the reference hasher; < 50 is usually discarded
    pdq_skipped: str | None  # why there is no PDQ hash


def sniff_media_type(data: bytes | bytearray | memoryview) -> str | None:
    """The media type the first bytes announce, for the image and video containers we know."""
    head = bytes(data[:16])
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in _IMAGE_BRANDS:
            return "image/heic" if brand.startswith(b"he") else "image/avif"
        return "video/quicktime" if brand == b"qt  " else "video/mp4"
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return "video/webm"
    if head[:4] == b"RIFF" and head[8:12] == b"AVI ":
        return "video/x-msvideo"
    return None


def _normalise_type(media_type: str) -> str:
    """``type/subtype`` in lower case, parameters dropped, at most 100 characters."""
    return media_type.split(";", 1)[0].strip().lower()[:_MAX_MEDIA_TYPE]


def _reason(error: BaseException) -> str:
    """A short, printable description of a decoder failure (no bytes, no object reprs)."""
    if isinstance(error, UnidentifiedImageError):
        return "unrecognised image format"
    message = " ".join(str(error).split())
    if "<" in message:  # Pillow puts reprs such as <_io.BytesIO object at 0x…> in messages
        message = message.split("<", 1)[0].strip()
    message = "".join(ch if ch.isprintable() and ch.isascii() else "?" for ch in message)
    text = f"{type(error).__name__}: {message}" if message else type(error).__name__
    return text[:_REASON_LENGTH]


def _bits_to_hex(bits: Any) -> str:
    """The binding's 256 bits (index 0 = most significant) as 64 hex characters."""
    return np.packbits(np.asarray(bits, dtype=np.uint8)).tobytes().hex()


_PdqResult = tuple[str | None, int | None, str | None]
_PDQ_MEMO: OrderedDict[bytes, _PdqResult] = OrderedDict()
_PDQ_MEMO_SIZE = 4096  # payloads remembered: sites of one kit serve the same icons and logos


def _pdq_of(data: memoryview, sha256: bytes) -> _PdqResult:
    """:func:`_pdq`, remembered by the payload's SHA-256 for the last few thousand payloads.

    Decoding is most of a medium's cost, and the same favicon or logo comes back on every
    page of a site and on every site of a kit. Only the digest and the hash are kept.
    """
    found = _PDQ_MEMO.get(sha256)
    if found is not None:
        _PDQ_MEMO.move_to_end(sha256)
        return found
    found = _pdq(data)
    _PDQ_MEMO[sha256] = found
    if len(_PDQ_MEMO) > _PDQ_MEMO_SIZE:
        _PDQ_MEMO.popitem(last=False)
    return found


def _pdq(data: bytes | memoryview) -> _PdqResult:
    """(hash, quality, skipped reason) of an image payload."""
    try:
        with Image.open(io.BytesIO(data), formats=DECODE_FORMATS) as image:
            width, height = image.size  # from the header: nothing decoded yet
            if width * height > MAX_PIXELS:
                return None, None, f"too large: {width}x{height} pixels (limit {MAX_PIXELS:,})"
            if width < 1 or height < 1:
                return None, None, "cannot decode image: empty image"
            rgb = image.convert("RGB")
        longest = max(width, height)
        if width * height > PDQ_FULL_PIXELS and longest > PDQ_LONG_SIDE:
            # PDQ itself works on 64x64 after a blur: hashing 50 megapixels at full size costs
            # ~40 bytes and a few nanoseconds a pixel for nothing. Box-reduced by a whole
            # factor first; images under PDQ_FULL_PIXELS (all reference vectors) are as before.
            rgb = rgb.reduce(-(-longest // PDQ_LONG_SIDE))
        bits, quality = pdqhash.compute(np.asarray(rgb))
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        return None, None, "too large: decompression bomb"
    except Exception as error:  # any decoder failure: keep the crypto hashes, say why
        return None, None, f"cannot decode image: {_reason(error)}"
    return _bits_to_hex(bits), int(quality), None


def hash_media(data: bytes | bytearray | memoryview, media_type: str) -> MediaHashes:
    """Hashes of one payload: cryptographic always, PDQ for images (see the module notes)."""
    view = memoryview(data)
    if view.ndim != 1 or view.itemsize != 1:
        view = view.cast("B")
    declared = _normalise_type(media_type)
    sniffed = sniff_media_type(view)
    md5 = hashlib.md5(view, usedforsecurity=False).hexdigest()
    sha1 = hashlib.sha1(view, usedforsecurity=False).hexdigest()
    sha256_digest = hashlib.sha256(view).digest()
    sha256 = sha256_digest.hex()
    recorded = declared or sniffed or ""
    if declared in {"", "application/octet-stream"} and sniffed:
        recorded = sniffed

    pdq: str | None = None
    quality: int | None = None
    skipped: str | None
    if sniffed is not None and sniffed.startswith("video/"):
        skipped = "video"
    elif sniffed is not None and sniffed.startswith("image/"):
        pdq, quality, skipped = _pdq_of(view, sha256_digest)
    elif declared.startswith("video/"):
        skipped = "video"
    elif declared == "image/svg+xml":
        skipped = "not a raster image"
    elif declared.startswith("image/"):
        pdq, quality, skipped = _pdq_of(view, sha256_digest)
    else:
        skipped = "not an image"
    return MediaHashes(md5, sha1, sha256, view.nbytes, recorded, pdq, quality, skipped)
