"""Entity types' text style: how their spans are drawn besides their colour.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # NULL for existing types reads as "fill", what they were drawn with before: nothing changes
    # on screen until the user picks another style.
    with op.batch_alter_table("entity_types") as batch:
        batch.add_column(sa.Column("style", sa.String(16)))


def downgrade() -> None:
    with op.batch_alter_table("entity_types") as batch:
        batch.drop_column("style")
