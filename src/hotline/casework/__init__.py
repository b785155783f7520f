"""Casework: classification, notice and takedown, and time to removal."""
