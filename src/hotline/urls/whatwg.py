"""The WHATWG URL parser (ada, the parser inside Node.js), called as cheaply as possible.

``ada_url.normalize_url`` builds a dict and a GC-tracked object per call; calling the same C
functions directly halves the cost, and parsing is the largest part of canonicalisation.
If the private cffi module ever moves, we fall back to the public function.
"""

from __future__ import annotations

from collections.abc import Callable

import ada_url


def _direct() -> Callable[[str], str] | None:
    try:
        from ada_url._ada_wrapper import ffi, lib
    except ImportError:  # pragma: no cover - depends on the installed ada-url build
        return None
    parse, is_valid, get_href, free, unpack = (
        lib.ada_parse,
        lib.ada_is_valid,
        lib.ada_get_href,
        lib.ada_free,
        ffi.unpack,
    )

    def href(text: str) -> str:
        data = text.encode("utf-8")  # UnicodeEncodeError (a ValueError) on lone surrogates
        url = parse(data, len(data))
        try:
            if not is_valid(url):
                raise ValueError("not a valid URL")
            value = get_href(url)
            return str(unpack(value.data, value.length).decode("utf-8"))
        finally:
            free(url)

    return href


def _public(text: str) -> str:
    return str(ada_url.normalize_url(text))


normalized_href: Callable[[str], str] = _direct() or _public
"""Serialised WHATWG form of ``text``; raises ValueError when the parser refuses it."""
