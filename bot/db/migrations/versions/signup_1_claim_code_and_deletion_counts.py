"""sign-up: personal link codes for people registered by staff, anonymous erasure counts

Revision ID: signup_1
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "signup_1"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.add_column(sa.Column("claim_code", sa.String(length=32), nullable=True))
        batch_op.create_unique_constraint(batch_op.f("uq_people_claim_code"), ["claim_code"])
    op.create_table(
        "deletion_counts",
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("month", "role", name=op.f("pk_deletion_counts")),
    )


def downgrade() -> None:
    op.drop_table("deletion_counts")
    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_people_claim_code"), type_="unique")
        batch_op.drop_column("claim_code")
