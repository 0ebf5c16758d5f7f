"""Record notes, and the dependency-parse cache.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("records") as batch:
        batch.add_column(sa.Column("note", sa.Text))
    op.create_table(
        "parses",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("text_hash", sa.String(64), nullable=False),
        sa.Column("parser_version", sa.String(200), nullable=False),
        sa.Column("words", sa.JSON, nullable=False),
        sa.Column("heads", sa.JSON, nullable=False),
        sa.UniqueConstraint("text_hash", "parser_version"),
    )


def downgrade() -> None:
    op.drop_table("parses")
    with op.batch_alter_table("records") as batch:
        batch.drop_column("note")
