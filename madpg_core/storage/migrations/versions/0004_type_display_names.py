"""Entity types' display names per UI language (the name stays the identifier).

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Left NULL for existing types: the GUI then shows the built-in names of the known types
    # (domain.BUILTIN_DISPLAY_NAMES), so an upgrade writes nothing a user did not choose.
    with op.batch_alter_table("entity_types") as batch:
        batch.add_column(sa.Column("display_names", sa.JSON))


def downgrade() -> None:
    with op.batch_alter_table("entity_types") as batch:
        batch.drop_column("display_names")
