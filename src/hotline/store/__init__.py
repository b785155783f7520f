"""Storage: SQLAlchemy 2 models, engines for SQLite (embedded) and PostgreSQL, migrations."""
