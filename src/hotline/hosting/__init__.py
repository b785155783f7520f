"""Hosting: where every site lives over time (IP, ASN, country, provider, CDN, abuse contact)."""
