"""aftercare: questionnaires, their answers, and the event's after-event settings

Revision ID: aftercare_1
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from bot.db.base import UTCDateTime

revision: str = "aftercare_1"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _stamps() -> list[sa.Column]:
    return [
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
    ]


def _event() -> sa.Column:
    return sa.Column(
        "event_id",
        sa.Integer(),
        sa.ForeignKey("events.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    )


def _questionnaire() -> sa.Column:
    return sa.Column(
        "questionnaire_id",
        sa.Integer(),
        sa.ForeignKey("questionnaires.id", ondelete="CASCADE"),
        nullable=False,
        unique=True,
    )


def upgrade() -> None:
    with op.batch_alter_table("events") as batch:
        batch.add_column(
            sa.Column("feedback_delay_minutes", sa.Integer(), nullable=False, server_default="30")
        )
        batch.add_column(
            sa.Column("feedback_review", sa.Boolean(), nullable=False, server_default=sa.true())
        )
        batch.add_column(
            sa.Column("follow_up_days", sa.JSON(), nullable=False, server_default="[30, 90]")
        )
        batch.add_column(sa.Column("previous_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            "fk_events_previous_id_events", "events", ["previous_id"], ["id"], ondelete="SET NULL"
        )
        batch.create_index("ix_events_previous_id", ["previous_id"])
    op.create_table(
        "questionnaires",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("key", sa.String(80), nullable=False, unique=True),
        sa.Column("kind", sa.String(10), nullable=False),
        _event(),
        sa.Column(
            "person_id",
            sa.Integer(),
            sa.ForeignKey("people.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column(
            "registration_id",
            sa.Integer(),
            sa.ForeignKey("registrations.id", ondelete="CASCADE"),
            nullable=True,
        ),
        sa.Column("round", sa.Integer(), nullable=True),
        sa.Column("site_id", sa.Integer(), nullable=True),
        sa.Column("room", sa.Integer(), nullable=True),
        sa.Column(
            "about_id", sa.Integer(), sa.ForeignKey("people.id", ondelete="CASCADE"), nullable=True
        ),
        sa.Column("offset_days", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(10), nullable=False, index=True),
        sa.Column("sent_at", UTCDateTime(), nullable=False),
        sa.Column("reminders_sent", sa.Integer(), nullable=False),
        sa.Column("answered_at", UTCDateTime(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
    )
    op.create_table(
        "meeting_reports",
        sa.Column("id", sa.Integer(), primary_key=True),
        _questionnaire(),
        _event(),
        sa.Column("answer", sa.String(10), nullable=False),
        sa.Column("absent_ids", sa.JSON(), nullable=False),
        *_stamps(),
    )
    op.create_table(
        "candidate_feedback",
        sa.Column("id", sa.Integer(), primary_key=True),
        _questionnaire(),
        _event(),
        sa.Column("rating", sa.Integer(), nullable=True),
        sa.Column("helped", sa.JSON(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        *_stamps(),
    )
    op.create_table(
        "employer_feedback",
        sa.Column("id", sa.Integer(), primary_key=True),
        _questionnaire(),
        _event(),
        sa.Column(
            "employer_id",
            sa.Integer(),
            sa.ForeignKey("people.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column(
            "candidate_id",
            sa.Integer(),
            sa.ForeignKey("people.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        *(sa.Column(name, sa.Integer(), nullable=True) for name in _THEMES),
        sa.Column("strength", sa.Text(), nullable=False),
        sa.Column("tip", sa.Text(), nullable=False),
        sa.Column("next_step", sa.String(20), nullable=True),
        sa.Column("review", sa.String(10), nullable=False),
        sa.Column("reviewed_by", sa.Integer(), nullable=True),
        sa.Column("delivered_at", UTCDateTime(), nullable=True),
        *_stamps(),
    )
    op.create_table(
        "outcomes",
        sa.Column("id", sa.Integer(), primary_key=True),
        _event(),
        sa.Column(
            "person_id",
            sa.Integer(),
            sa.ForeignKey("people.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("offset_days", sa.Integer(), nullable=False),
        sa.Column("situation", sa.String(12), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=True),
        sa.Column("contract", sa.String(12), nullable=True),
        sa.Column("duration", sa.String(12), nullable=True),
        sa.Column("from_event", sa.String(8), nullable=True),
        sa.Column("matches_wishes", sa.String(8), nullable=True),
        sa.Column("by_staff", sa.Boolean(), nullable=False),
        sa.Column("recorded_by", sa.Integer(), nullable=True),
        *_stamps(),
        sa.UniqueConstraint("event_id", "person_id", "offset_days"),
    )


_THEMES = ("cv", "oral", "non_verbal", "soft_skills", "technical")


def downgrade() -> None:
    for table in ("outcomes", "employer_feedback", "candidate_feedback", "meeting_reports"):
        op.drop_table(table)
    op.drop_table("questionnaires")
    with op.batch_alter_table("events") as batch:
        batch.drop_index("ix_events_previous_id")
        batch.drop_constraint("fk_events_previous_id_events", type_="foreignkey")
        for column in (
            "previous_id",
            "follow_up_days",
            "feedback_review",
            "feedback_delay_minutes",
        ):
            batch.drop_column(column)
