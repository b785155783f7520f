"""Sharing: exports for other tools (CSV, JSON Lines; STIX and MISP later)."""
