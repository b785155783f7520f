"""Synthetic, benign data with ground truth: reserved names and documentation IPs only."""
