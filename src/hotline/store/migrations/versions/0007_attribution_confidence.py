"""attribution confidence: each site's confidence and commercial score, a run's notes

``site_attribution`` gains ``confidence`` (0..1, null when the site is unattributed) and
``commercial_score`` (how much the site's own evidence says it sells) and ``candidate``
(the run treated it as commercial: by its score, by a strong value shared with a commercial
site, or by an analyst's link), so ``hotline why`` and ``export sites`` show how sure an
attribution is, and an explanation can tell noise from shop domains the way the run did.
``attribution_runs.notes`` keeps the values the run held back because they would have
joined clusters that stand on their own (bridges and hubs): only the whole picture shows
them, so an explanation read from the store needs them.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("site_attribution") as batch:
        batch.add_column(sa.Column("confidence", sa.Float(), nullable=True))
        batch.add_column(sa.Column("commercial_score", sa.Float(), nullable=True))
        batch.add_column(sa.Column("candidate", sa.Boolean(), nullable=True))
    with op.batch_alter_table("attribution_runs") as batch:
        batch.add_column(
            sa.Column(
                "notes",
                sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
                nullable=True,
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("attribution_runs") as batch:
        batch.drop_column("notes")
    with op.batch_alter_table("site_attribution") as batch:
        batch.drop_column("candidate")
        batch.drop_column("commercial_score")
        batch.drop_column("confidence")
