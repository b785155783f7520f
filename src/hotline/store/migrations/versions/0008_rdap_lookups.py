"""rdap lookups: the outcome of the last RDAP look-up of each address

``rdap_lookups`` keeps, per address, how its last RDAP look-up ended (``status``: ok,
not_found, rate_limited, server_error, timeout, malformed, no_registry, error), the one-line
reason when it failed, the URL that answered and the number of requests, so a failure
stays visible after ``hotline enrich --rdap`` (``ip_facts`` keeps only what RDAP said).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "rdap_lookups",
        sa.Column("ip", sa.String(length=45), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("url", sa.Text(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("fetched_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("ip", name=op.f("pk_rdap_lookups")),
    )


def downgrade() -> None:
    op.drop_table("rdap_lookups")
