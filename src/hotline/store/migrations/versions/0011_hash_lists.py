"""hash lists: lists of known (or known-benign) material's hashes, and matches against them

``hash_lists`` (name, kind known|negative, owner organisation, source, licence, TLP,
enabled), ``hash_entries`` (unique per list, kind and value: importing a file again adds
nothing), ``hash_matches`` (a captured medium matching an entry, with the distance and
whether the flood guard holds it for review) and ``hash_match_runs`` (what each
``hotline match`` compared, so the next one compares only what is new).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BIG = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "hash_lists",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=True),
        sa.Column("source", sa.Text(), nullable=True),
        sa.Column("licence", sa.Text(), nullable=True),
        sa.Column("tlp", sa.String(length=16), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_hash_lists_organisation_id_organisations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hash_lists")),
        sa.UniqueConstraint("name", name=op.f("uq_hash_lists_name")),
    )
    op.create_table(
        "hash_entries",
        sa.Column("id", _BIG, nullable=False),
        sa.Column("list_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("scheme", sa.String(length=32), nullable=True),
        sa.Column("code", sa.String(length=32), nullable=True),
        sa.Column("series", sa.Text(), nullable=True),
        sa.Column("external_id", sa.Text(), nullable=True),
        sa.Column("pdq_quality", sa.Integer(), nullable=True),
        sa.Column("added_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["list_id"], ["hash_lists.id"], name=op.f("fk_hash_entries_list_id_hash_lists")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hash_entries")),
        sa.UniqueConstraint("list_id", "kind", "value", name=op.f("uq_hash_entries_list_id")),
    )
    op.create_index(op.f("ix_hash_entries_list_id"), "hash_entries", ["list_id"])
    op.create_table(
        "hash_matches",
        sa.Column("id", _BIG, nullable=False),
        sa.Column("medium_id", _BIG, nullable=False),
        sa.Column("entry_id", _BIG, nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("distance", sa.Integer(), nullable=False),
        sa.Column("held", sa.Boolean(), nullable=False),
        sa.Column("matched_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["medium_id"],
            ["media_hashes.id"],
            name=op.f("fk_hash_matches_medium_id_media_hashes"),
        ),
        sa.ForeignKeyConstraint(
            ["entry_id"], ["hash_entries.id"], name=op.f("fk_hash_matches_entry_id_hash_entries")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hash_matches")),
        sa.UniqueConstraint("medium_id", "entry_id", name=op.f("uq_hash_matches_medium_id")),
    )
    op.create_index(op.f("ix_hash_matches_medium_id"), "hash_matches", ["medium_id"])
    op.create_index(op.f("ix_hash_matches_entry_id"), "hash_matches", ["entry_id"])
    op.create_table(
        "hash_match_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.Column("last_medium_id", _BIG, nullable=False),
        sa.Column("last_entry_id", _BIG, nullable=False),
        sa.Column("radius", sa.Integer(), nullable=False),
        sa.Column("media", _BIG, nullable=False),
        sa.Column("matches", _BIG, nullable=False),
        sa.Column("held", _BIG, nullable=False),
        sa.Column("suppressed", _BIG, nullable=False),
        sa.Column("lists", _JSON, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hash_match_runs")),
    )


def downgrade() -> None:
    op.drop_table("hash_match_runs")
    op.drop_index(op.f("ix_hash_matches_entry_id"), table_name="hash_matches")
    op.drop_index(op.f("ix_hash_matches_medium_id"), table_name="hash_matches")
    op.drop_table("hash_matches")
    op.drop_index(op.f("ix_hash_entries_list_id"), table_name="hash_entries")
    op.drop_table("hash_entries")
    op.drop_table("hash_lists")
