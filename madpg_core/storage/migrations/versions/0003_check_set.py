"""The check set (record roles), the model versions' scores on it, and records' model confidence.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("records") as batch:
        batch.add_column(sa.Column("confidence", sa.Float))
    op.create_table(
        "record_roles",
        sa.Column("record_id", sa.Integer, sa.ForeignKey("records.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("role", sa.String(10), nullable=False),
        sa.Column("assigned_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "check_scores",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("model_version_id", sa.Integer, sa.ForeignKey("model_versions.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("check_key", sa.String(64), nullable=False),
        sa.Column("n_records", sa.Integer, nullable=False),
        sa.Column("scores", sa.JSON, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.UniqueConstraint("model_version_id", "check_key"),
    )


def downgrade() -> None:
    op.drop_table("check_scores")
    op.drop_table("record_roles")
    with op.batch_alter_table("records") as batch:
        batch.drop_column("confidence")
