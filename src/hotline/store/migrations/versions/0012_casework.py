"""casework: classification schemes, decisions, clearances, removal evidence, cases, their
events and notices

``classification_schemes`` (a hotline's own schemes), ``classifications`` (an analyst's
decision on a URL or a medium; unique by digest, so a re-import adds nothing),
``clearances`` and ``removal_evidence`` (facts with the time they hold from), ``cases``
(one per URL under casework, with the timestamps the statistics read), ``case_events``
(every state change), ``notices`` with ``notice_urls``, and ``casework_runs``.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BIG = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "casework_runs",
        sa.Column("id", _BIG, nullable=False),
        sa.Column("now", sa.DateTime(), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("rules", sa.String(length=64), nullable=False),
        sa.Column("cases", sa.Integer(), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_casework_runs")),
    )
    op.create_table(
        "classification_schemes",
        sa.Column("scheme", sa.String(length=64), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("label", sa.Text(), nullable=False),
        sa.Column("illegal", sa.Boolean(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("imported_by", sa.String(length=64), nullable=False),
        sa.Column("imported_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("scheme", "code", name=op.f("pk_classification_schemes")),
    )
    op.create_table(
        "notices",
        sa.Column("id", _BIG, nullable=False),
        sa.Column("number", sa.String(length=16), nullable=False),
        sa.Column("recipient", sa.String(length=128), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("contact", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("escalated", sa.Boolean(), nullable=False),
        sa.Column("directory", sa.Text(), nullable=True),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.Column("send_error", sa.Text(), nullable=True),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notices")),
        sa.UniqueConstraint("number", name=op.f("uq_notices_number")),
    )
    with op.batch_alter_table("notices", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_notices_recipient"), ["recipient"], unique=False)

    op.create_table(
        "case_events",
        sa.Column("id", _BIG, nullable=False),
        sa.Column("url_id", _BIG, nullable=False),
        sa.Column("state", sa.String(length=24), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("detail", _JSON, nullable=True),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["url_id"], ["urls.id"], name=op.f("fk_case_events_url_id_urls")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_events")),
    )
    with op.batch_alter_table("case_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_events_url_id"), ["url_id"], unique=False)

    op.create_table(
        "cases",
        sa.Column("url_id", _BIG, nullable=False),
        sa.Column("state", sa.String(length=24), nullable=False),
        sa.Column("state_at", sa.DateTime(), nullable=False),
        sa.Column("reported_at", sa.DateTime(), nullable=False),
        sa.Column("classified_at", sa.DateTime(), nullable=True),
        sa.Column("scheme", sa.String(length=64), nullable=True),
        sa.Column("code", sa.String(length=32), nullable=True),
        sa.Column("illegal", sa.Boolean(), nullable=True),
        sa.Column("cleared_at", sa.DateTime(), nullable=True),
        sa.Column("first_notice_at", sa.DateTime(), nullable=True),
        sa.Column("last_notice_at", sa.DateTime(), nullable=True),
        sa.Column("notices", sa.Integer(), nullable=False),
        sa.Column("recipients", sa.Text(), nullable=True),
        sa.Column("removed_at", sa.DateTime(), nullable=True),
        sa.Column("gone_at", sa.DateTime(), nullable=True),
        sa.Column("reappearances", sa.Integer(), nullable=False),
        sa.Column("country", sa.String(length=16), nullable=True),
        sa.Column("asn", sa.BigInteger(), nullable=True),
        sa.Column("provider", sa.Text(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["url_id"], ["urls.id"], name=op.f("fk_cases_url_id_urls")),
        sa.PrimaryKeyConstraint("url_id", name=op.f("pk_cases")),
    )
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_cases_state"), ["state"], unique=False)

    op.create_table(
        "classifications",
        sa.Column("id", _BIG, nullable=False),
        sa.Column("digest", sa.LargeBinary(length=32), nullable=False),
        sa.Column("target", sa.String(length=8), nullable=False),
        sa.Column("url_id", _BIG, nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("pdq", sa.String(length=64), nullable=True),
        sa.Column("scheme", sa.String(length=64), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("illegal", sa.Boolean(), nullable=False),
        sa.Column("analyst", sa.String(length=64), nullable=False),
        sa.Column("organisation", sa.String(length=64), nullable=True),
        sa.Column("decided_at", sa.DateTime(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["url_id"], ["urls.id"], name=op.f("fk_classifications_url_id_urls")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_classifications")),
        sa.UniqueConstraint("digest", name=op.f("uq_classifications_digest")),
    )
    with op.batch_alter_table("classifications", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_classifications_sha256"), ["sha256"], unique=False)
        batch_op.create_index(batch_op.f("ix_classifications_url_id"), ["url_id"], unique=False)

    op.create_table(
        "clearances",
        sa.Column("id", _BIG, nullable=False),
        sa.Column("digest", sa.LargeBinary(length=32), nullable=False),
        sa.Column("url_id", _BIG, nullable=False),
        sa.Column("cleared_at", sa.DateTime(), nullable=False),
        sa.Column("by", sa.String(length=64), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["url_id"], ["urls.id"], name=op.f("fk_clearances_url_id_urls")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_clearances")),
        sa.UniqueConstraint("digest", name=op.f("uq_clearances_digest")),
    )
    with op.batch_alter_table("clearances", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_clearances_url_id"), ["url_id"], unique=False)

    op.create_table(
        "notice_urls",
        sa.Column("notice_id", _BIG, nullable=False),
        sa.Column("url_id", _BIG, nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["notice_id"], ["notices.id"], name=op.f("fk_notice_urls_notice_id_notices")
        ),
        sa.ForeignKeyConstraint(["url_id"], ["urls.id"], name=op.f("fk_notice_urls_url_id_urls")),
        sa.PrimaryKeyConstraint("notice_id", "url_id", name=op.f("pk_notice_urls")),
    )
    with op.batch_alter_table("notice_urls", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_notice_urls_url_id"), ["url_id"], unique=False)
        batch_op.create_index("ix_notice_urls_url_id_reason", ["url_id", "reason"], unique=False)

    op.create_table(
        "removal_evidence",
        sa.Column("id", _BIG, nullable=False),
        sa.Column("digest", sa.LargeBinary(length=32), nullable=False),
        sa.Column("url_id", _BIG, nullable=False),
        sa.Column("observed_at", sa.DateTime(), nullable=False),
        sa.Column("up", sa.Boolean(), nullable=False),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("capture_id", _BIG, nullable=True),
        sa.Column("recorded_by", sa.String(length=64), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["url_id"], ["urls.id"], name=op.f("fk_removal_evidence_url_id_urls")
        ),
        sa.ForeignKeyConstraint(
            ["capture_id"],
            ["captures.id"],
            name=op.f("fk_removal_evidence_capture_id_captures"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_removal_evidence")),
        sa.UniqueConstraint("digest", name=op.f("uq_removal_evidence_digest")),
    )
    with op.batch_alter_table("removal_evidence", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_removal_evidence_url_id"), ["url_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_removal_evidence_capture_id"), ["capture_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("removal_evidence", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_removal_evidence_capture_id"))
        batch_op.drop_index(batch_op.f("ix_removal_evidence_url_id"))

    op.drop_table("removal_evidence")
    with op.batch_alter_table("notice_urls", schema=None) as batch_op:
        batch_op.drop_index("ix_notice_urls_url_id_reason")
        batch_op.drop_index(batch_op.f("ix_notice_urls_url_id"))

    op.drop_table("notice_urls")
    with op.batch_alter_table("clearances", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_clearances_url_id"))

    op.drop_table("clearances")
    with op.batch_alter_table("classifications", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_classifications_url_id"))
        batch_op.drop_index(batch_op.f("ix_classifications_sha256"))

    op.drop_table("classifications")
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cases_state"))

    op.drop_table("cases")
    with op.batch_alter_table("case_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_events_url_id"))

    op.drop_table("case_events")
    with op.batch_alter_table("notices", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notices_recipient"))

    op.drop_table("notices")
    op.drop_table("classification_schemes")
    op.drop_table("casework_runs")
