"""Query parameters that only track the click and never select content; dropped for dedupe."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

# Exact names, compared case-insensitively after percent-decoding.
DEFAULT_TRACKING_PARAMS: frozenset[str] = frozenset(
    {
        "fbclid",
        "gclid",
        "dclid",
        "gbraid",
        "wbraid",
        "msclkid",
        "yclid",
        "twclid",
        "ttclid",
        "li_fat_id",
        "mc_cid",
        "mc_eid",
        "igshid",
        "_ga",
        "_gl",
        "_hsenc",
        "_hsmi",
        "mkt_tok",
        "oly_anon_id",
        "oly_enc_id",
        "rb_clickid",
        "s_cid",
        "vero_id",
        "wickedid",
        "srsltid",
    }
)
# Any parameter whose name starts with one of these is tracking (utm_source, utm_medium, ...).
DEFAULT_TRACKING_PREFIXES: tuple[str, ...] = ("utm_",)


@dataclass(frozen=True)
class TrackingPolicy:
    """Which query parameters canonicalisation removes. Extend it per deployment via config."""

    names: frozenset[str] = DEFAULT_TRACKING_PARAMS
    prefixes: tuple[str, ...] = DEFAULT_TRACKING_PREFIXES
    _cache: dict[str, bool] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def extended(cls, names: Iterable[str] = (), prefixes: Iterable[str] = ()) -> TrackingPolicy:
        return cls(
            names=DEFAULT_TRACKING_PARAMS | {n.lower() for n in names},
            prefixes=DEFAULT_TRACKING_PREFIXES + tuple(p.lower() for p in prefixes),
        )

    def is_tracking(self, decoded_name: str) -> bool:
        hit = self._cache.get(decoded_name)
        if hit is None:
            low = decoded_name.lower()
            hit = low in self.names or low.startswith(self.prefixes)
            if len(self._cache) < 4096:  # names repeat heavily; bound the memo anyway
                self._cache[decoded_name] = hit
        return hit


DEFAULT_POLICY = TrackingPolicy()
