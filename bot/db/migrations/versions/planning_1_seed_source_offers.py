"""planning: plan seed and source, seat offers to the waiting list

Revision ID: planning_1
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.db.base

revision: str = "planning_1"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("plans", schema=None) as batch_op:
        batch_op.add_column(sa.Column("seed", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(
            sa.Column("source", sa.String(length=20), nullable=False, server_default="solver")
        )
    op.create_table(
        "seat_offers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("registration_id", sa.Integer(), nullable=False),
        sa.Column("freed_by_registration_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("expires_at", bot.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("answered_at", bot.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", bot.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["events.id"],
            name=op.f("fk_seat_offers_event_id_events"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["registration_id"],
            ["registrations.id"],
            name=op.f("fk_seat_offers_registration_id_registrations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_seat_offers")),
    )
    with op.batch_alter_table("seat_offers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_seat_offers_event_id"), ["event_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_seat_offers_registration_id"), ["registration_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_seat_offers_status"), ["status"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("seat_offers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_seat_offers_status"))
        batch_op.drop_index(batch_op.f("ix_seat_offers_registration_id"))
        batch_op.drop_index(batch_op.f("ix_seat_offers_event_id"))
    op.drop_table("seat_offers")
    with op.batch_alter_table("plans", schema=None) as batch_op:
        batch_op.drop_column("source")
        batch_op.drop_column("seed")
