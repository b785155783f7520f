"""attribution, incremental: evidence weighed on demand, a brand's former distributor

``site_attribution.evidence`` goes: ``hotline why`` now weighs a site's evidence from the
store when asked, so a run writes only the rows whose answer changed. ``brands`` remembers
the distributor it had before its current one (an unlink that splits a merge gets the old
id back), and ``hosting_observations.value`` is indexed for reading one value's carriers.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("site_attribution") as batch:
        batch.drop_column("evidence")
    with op.batch_alter_table("brands") as batch:
        batch.add_column(sa.Column("former_distributor_id", _ID, nullable=True))
        batch.create_foreign_key(
            op.f("fk_brands_former_distributor_id_distributors"),
            "distributors",
            ["former_distributor_id"],
            ["id"],
        )
    op.create_index(
        op.f("ix_hosting_observations_value"), "hosting_observations", ["value"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_hosting_observations_value"), table_name="hosting_observations")
    with op.batch_alter_table("brands") as batch:
        batch.drop_constraint(
            op.f("fk_brands_former_distributor_id_distributors"), type_="foreignkey"
        )
        batch.drop_column("former_distributor_id")
    with op.batch_alter_table("site_attribution") as batch:
        batch.add_column(
            sa.Column(
                "evidence",
                sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
                nullable=True,
            )
        )
