"""The project's DICOM identity setting: strip (de-identify headers on import) or keep.

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # NULL for an existing project reads as "strip": from this revision on, its imports
    # de-identify DICOM headers unless the user chooses to keep them.
    with op.batch_alter_table("project") as batch:
        batch.add_column(sa.Column("dicom_identity", sa.String(8)))


def downgrade() -> None:
    with op.batch_alter_table("project") as batch:
        batch.drop_column("dicom_identity")
