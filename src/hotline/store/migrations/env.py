"""Alembic environment: runs on the connection that ``hotline.store.migrate`` hands over."""

from __future__ import annotations

from alembic import context

import hotline.accounts.models  # registers the accounts and audit tables on Base
import hotline.attribution.models  # registers the attribution tables on Base
import hotline.captures.models  # registers the captures tables on Base
import hotline.casework.models  # registers the casework tables on Base
import hotline.hashes.models  # registers the hash list tables on Base
import hotline.hosting.models  # registers the hosting tables on Base
import hotline.hosting.rdap_store  # registers the RDAP look-up table on Base
import hotline.intake.models  # registers the intake tables on Base
import hotline.quarantine  # noqa: F401 (registers the quarantine table on Base)
from hotline.store.base import Base

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters tables by copy
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
