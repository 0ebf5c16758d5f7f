"""Spans' assertion status and layer (nested and overlapping spans); the project's statuses.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Nullable and left NULL in existing rows: NULL reads as "present" and layer 0, what every span
    # was before, so the upgrade rewrites no span and adding the columns is instant on a large file.
    with op.batch_alter_table("spans") as batch:
        batch.add_column(sa.Column("assertion", sa.String(16)))
        batch.add_column(sa.Column("layer", sa.Integer))
    # NULL: the project offers every status (domain.ASSERTION_STATUSES).
    with op.batch_alter_table("project") as batch:
        batch.add_column(sa.Column("assertion_statuses", sa.JSON))


def downgrade() -> None:
    # A downgrade cannot keep nested spans: the older code refuses overlapping spans when it reads
    # them. Spans of higher layers are deleted, then the columns dropped.
    op.execute("DELETE FROM spans WHERE layer > 0")
    with op.batch_alter_table("project") as batch:
        batch.drop_column("assertion_statuses")
    with op.batch_alter_table("spans") as batch:
        batch.drop_column("layer")
        batch.drop_column("assertion")
