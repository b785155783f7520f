"""captures tables: captures, selectors, site and capture links, media hashes

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02

Media bytes are never stored: media_hashes keeps hashes and sizes only.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "selectors",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("digest", sa.LargeBinary(length=32), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("strength", sa.String(length=8), nullable=False),
        sa.Column("method", sa.String(length=32), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_selectors")),
        sa.UniqueConstraint("digest", name=op.f("uq_selectors_digest")),
    )
    with op.batch_alter_table("selectors", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_selectors_kind"), ["kind"], unique=False)

    op.create_table(
        "captures",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("record_id", sa.String(length=255), nullable=False),
        sa.Column("file", sa.String(length=1024), nullable=False),
        sa.Column(
            "record_offset", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("url_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "final_url_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("site_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("captured_at", sa.DateTime(), nullable=False),
        sa.Column("status", sa.Integer(), nullable=False),
        sa.Column("ip", sa.String(length=45), nullable=True),
        sa.Column("referer", sa.Text(), nullable=True),
        sa.Column(
            "redirect_chain",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("html_bytes", sa.Integer(), nullable=False),
        sa.Column(
            "flags",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["final_url_id"], ["urls.id"], name=op.f("fk_captures_final_url_id_urls")
        ),
        sa.ForeignKeyConstraint(["site_id"], ["sites.id"], name=op.f("fk_captures_site_id_sites")),
        sa.ForeignKeyConstraint(["url_id"], ["urls.id"], name=op.f("fk_captures_url_id_urls")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_captures")),
        sa.UniqueConstraint("record_id", name=op.f("uq_captures_record_id")),
    )
    with op.batch_alter_table("captures", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_captures_final_url_id"), ["final_url_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_captures_site_id"), ["site_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_captures_url_id"), ["url_id"], unique=False)

    op.create_table(
        "capture_selectors",
        sa.Column(
            "capture_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "selector_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("found_in", sa.String(length=80), nullable=False),
        sa.ForeignKeyConstraint(
            ["capture_id"], ["captures.id"], name=op.f("fk_capture_selectors_capture_id_captures")
        ),
        sa.ForeignKeyConstraint(
            ["selector_id"],
            ["selectors.id"],
            name=op.f("fk_capture_selectors_selector_id_selectors"),
        ),
        sa.PrimaryKeyConstraint("capture_id", "selector_id", name=op.f("pk_capture_selectors")),
    )
    with op.batch_alter_table("capture_selectors", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_capture_selectors_selector_id"), ["selector_id"], unique=False
        )

    op.create_table(
        "media_hashes",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("record_id", sa.String(length=255), nullable=False),
        sa.Column(
            "capture_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("url_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("site_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("uri", sa.Text(), nullable=False),
        sa.Column("captured_at", sa.DateTime(), nullable=False),
        sa.Column("media_type", sa.String(length=100), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("md5", sa.String(length=32), nullable=False),
        sa.Column("sha1", sa.String(length=40), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("pdq", sa.String(length=64), nullable=True),
        sa.Column("pdq_quality", sa.Integer(), nullable=True),
        sa.Column("pdq_skipped", sa.Text(), nullable=True),
        sa.Column("is_favicon", sa.Boolean(), nullable=False),
        sa.Column(
            "extra",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.ForeignKeyConstraint(
            ["capture_id"], ["captures.id"], name=op.f("fk_media_hashes_capture_id_captures")
        ),
        sa.ForeignKeyConstraint(
            ["site_id"], ["sites.id"], name=op.f("fk_media_hashes_site_id_sites")
        ),
        sa.ForeignKeyConstraint(["url_id"], ["urls.id"], name=op.f("fk_media_hashes_url_id_urls")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_media_hashes")),
        sa.UniqueConstraint("record_id", name=op.f("uq_media_hashes_record_id")),
    )
    with op.batch_alter_table("media_hashes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_media_hashes_capture_id"), ["capture_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_media_hashes_sha256"), ["sha256"], unique=False)
        batch_op.create_index(batch_op.f("ix_media_hashes_site_id"), ["site_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_media_hashes_url_id"), ["url_id"], unique=False)

    op.create_table(
        "site_selectors",
        sa.Column("site_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "selector_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("first_seen", sa.DateTime(), nullable=False),
        sa.Column("last_seen", sa.DateTime(), nullable=False),
        sa.Column("captures", sa.Integer(), nullable=False),
        sa.Column(
            "first_capture_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["first_capture_id"],
            ["captures.id"],
            name=op.f("fk_site_selectors_first_capture_id_captures"),
        ),
        sa.ForeignKeyConstraint(
            ["selector_id"], ["selectors.id"], name=op.f("fk_site_selectors_selector_id_selectors")
        ),
        sa.ForeignKeyConstraint(
            ["site_id"], ["sites.id"], name=op.f("fk_site_selectors_site_id_sites")
        ),
        sa.PrimaryKeyConstraint("site_id", "selector_id", name=op.f("pk_site_selectors")),
    )
    with op.batch_alter_table("site_selectors", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_site_selectors_selector_id"), ["selector_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("site_selectors", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_site_selectors_selector_id"))

    op.drop_table("site_selectors")
    with op.batch_alter_table("media_hashes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_media_hashes_url_id"))
        batch_op.drop_index(batch_op.f("ix_media_hashes_site_id"))
        batch_op.drop_index(batch_op.f("ix_media_hashes_sha256"))
        batch_op.drop_index(batch_op.f("ix_media_hashes_capture_id"))

    op.drop_table("media_hashes")
    with op.batch_alter_table("capture_selectors", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_capture_selectors_selector_id"))

    op.drop_table("capture_selectors")
    with op.batch_alter_table("captures", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_captures_url_id"))
        batch_op.drop_index(batch_op.f("ix_captures_site_id"))
        batch_op.drop_index(batch_op.f("ix_captures_final_url_id"))

    op.drop_table("captures")
    with op.batch_alter_table("selectors", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_selectors_kind"))

    op.drop_table("selectors")
