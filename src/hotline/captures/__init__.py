"""Captures stage: WARC records → selectors and media hashes (content-free)."""
