"""The ``known_media`` phenomenon: material that recurs, and hash lists that know part of it.

Real distributors sell the same items across their sites, and hash-sharing programmes list
part of what was classified before. Here each distributor has a catalogue of generated
abstract images; about half of the images on its pages come from it (the rest stay one-off).
When the world is written, two lists are written beside it in ``hashlists/``:

- ``known.csv`` (long CSV layout): for catalogue images seen in the captures, exact entries
  (MD5, SHA-1 or SHA-256 in turn; every fourth image none: new material) and PDQ entries
  near each image's own hash at planted distances 0-40 bits — across the matching threshold
  of 31 — with the distance in the entry's id (``pdq-d<distance>-...``); flat images, whose
  PDQ quality is too low to be matched, are listed too;
- ``benign.csv``: one catalogue image of the first distributor, also on the known list, as
  known-benign (a negative list must suppress it).

``hashlists/planted.json`` says, per entry id, which image (SHA-256) it was made from and at
what distance, so a test can check every planted pair. The catalogue draws from its own
random streams: switching the phenomenon on changes no other byte of the world.
"""

from __future__ import annotations

import csv
import random
from pathlib import Path

import orjson

from hotline.captures.media import hash_media
from hotline.synth.images import gradient_png, noise_png

CATALOGUE = 12  # images per distributor: ten textured, two flat
SHARE = 0.5  # of a distributor's page images drawn from its catalogue
DISTANCES = (0, 4, 12, 24, 30, 31, 32, 33, 36, 40)
EXACT = ("md5", "sha1", "sha256", None)


def _flip(pdq: str, bits: int, rng: random.Random) -> str:
    value = int(pdq, 16)
    for bit in rng.sample(range(256), bits):
        value ^= 1 << bit
    return f"{value:064x}"


class Catalogue:
    """Each distributor's recurring images, and which of them the captures showed."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self._images: dict[str, list[bytes]] = {}
        self.seen: dict[str, set[int]] = {}  # distributor id → catalogue indices shown

    def _of(self, distributor: str) -> list[bytes]:
        images = self._images.get(distributor)
        if images is None:
            rng = random.Random(f"{self.seed}:catalogue:{distributor}")
            images = [noise_png(rng, 128) for _ in range(CATALOGUE - 2)]
            images += [gradient_png(rng, 64) for _ in range(2)]  # flat: low PDQ quality
            self._images[distributor] = images
        return images

    def image(self, distributor: str | None, url: str, fallback: bytes) -> bytes:
        """The image a page shows at ``url``: from the catalogue for about half of a
        distributor's images, else ``fallback`` (drawn by the caller either way)."""
        if distributor is None:
            return fallback
        rng = random.Random(f"{self.seed}:known:{url}")
        if rng.random() >= SHARE:
            return fallback
        index = rng.randrange(CATALOGUE)
        self.seen.setdefault(distributor, set()).add(index)
        return self._of(distributor)[index]

    def write(self, out: Path) -> int:
        """Write ``hashlists/`` (see the module); returns the number of known entries."""
        folder = out / "hashlists"
        folder.mkdir(parents=True, exist_ok=True)
        rng = random.Random(f"{self.seed}:lists")
        planted: dict[str, dict[str, object]] = {}
        rows: list[tuple[str, ...]] = []
        benign: list[tuple[str, ...]] = []
        for distributor in sorted(self.seen):
            images = self._of(distributor)
            for index in sorted(self.seen[distributor]):
                image = images[index]
                hashes = hash_media(image, "image/png")
                tag = f"{distributor}-{index}"
                exact = EXACT[index % len(EXACT)]
                if exact is not None:
                    rows.append((exact, getattr(hashes, exact), "projectvic", "1", tag, f"x-{tag}"))
                    planted[f"x-{tag}"] = {"sha256": hashes.sha256, "distance": 0, "kind": exact}
                if hashes.pdq is not None:
                    distance = DISTANCES[(index + len(planted)) % len(DISTANCES)]
                    entry = f"pdq-d{distance}-{tag}"
                    rows.append(("pdq", _flip(hashes.pdq, distance, rng), "", "", tag, entry))
                    planted[entry] = {
                        "sha256": hashes.sha256,
                        "distance": distance,
                        "kind": "pdq",
                        "quality": hashes.pdq_quality,
                    }
                if not benign and exact is not None:
                    benign.append(("sha256", hashes.sha256, "", "", "benign", f"n-{tag}"))
                    planted[f"n-{tag}"] = {"sha256": hashes.sha256, "distance": 0, "kind": "sha256"}
        header = ("kind", "value", "scheme", "code", "series", "id")
        for name, table in (("known.csv", rows), ("benign.csv", benign)):
            with (folder / name).open("w", encoding="utf-8", newline="") as handle:
                writer = csv.writer(handle, lineterminator="\n")
                writer.writerow(header)
                writer.writerows(table)
        (folder / "planted.json").write_bytes(
            orjson.dumps(planted, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n"
        )
        return len(rows)
