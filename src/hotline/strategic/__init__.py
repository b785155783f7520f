"""The strategic assessment: tables, charts, HTML/PDF/CSV, reproducible as of a moment."""
