"""Hash lists: typed signals (MD5, SHA-1, SHA-256, PDQ, PhotoDNA) read from the lists
hotlines exchange (CSV, INTERPOL ICSE CSV, Project VIC JSON) and written back out; lists and
their entries in the store (``services``), captured media matched against them
(``matching``, with the exact PDQ index of ``pdq_index``), known versus new (``queries``).

The readers and writers exported here are pure (no database). Content-free throughout:
hashes only, never media.
"""

from hotline.hashes.entries import Classification, Entry, Problem
from hotline.hashes.formats import ListFormat, ListFormatError, detect_format, read_list
from hotline.hashes.signals import InvalidSignal, SignalKind, canonical, hamming

__all__ = [
    "Classification",
    "Entry",
    "InvalidSignal",
    "ListFormat",
    "ListFormatError",
    "Problem",
    "SignalKind",
    "canonical",
    "detect_format",
    "hamming",
    "read_list",
]
