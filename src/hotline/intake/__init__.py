"""Intake: read report feeds, validate and canonicalise each row, upsert in batches."""
