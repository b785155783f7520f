"""page classes: what each capture showed (normal, error, placeholder, suspended, ...)

``captures.page_class`` keeps what ``hotline.captures.page_class`` made of a page: an error,
parking, suspension or challenge page is stored as a capture (the site went down) without its
selectors. Captures imported before this revision were all taken as normal pages, so the
column is filled with ``normal`` (its server default); re-importing does not reclassify them
(a capture is unique by its WARC-Record-ID).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("captures") as batch:
        batch.add_column(
            sa.Column("page_class", sa.String(length=16), server_default="normal", nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("captures") as batch:
        batch.drop_column("page_class")
