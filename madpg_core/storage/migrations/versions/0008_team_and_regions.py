"""Annotators, sheets, assignments, the history (issue 17); image regions and their links to spans
(issue 18); image bytes in the store for server projects.

Revision ID: 0008
Revises: 0007

One revision for both issues, written first so that the team and the image work build on one
agreed schema instead of two migrations racing for the same number.
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

UNKNOWN = "unknown"  # the annotator of everything made before this revision


def upgrade() -> None:
    op.create_table(
        "annotators",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(200), nullable=False, unique=True),
        sa.Column("created_at", sa.DateTime, nullable=False, server_default=sa.func.current_timestamp()),
    )
    op.execute(sa.text("INSERT INTO annotators (name) VALUES (:n)").bindparams(n=UNKNOWN))

    # spans.annotator_id: who made (or last changed) the span; existing rows are "unknown".
    # spans.sheet_of: NULL for gold spans (all that existed), an annotator's id for their sheet.
    # spans.revision: bumped by every change, so a write based on an older read is refused.
    with op.batch_alter_table("spans") as batch:
        batch.add_column(sa.Column("annotator_id", sa.Integer, sa.ForeignKey(
            "annotators.id", name="fk_spans_annotator", ondelete="SET NULL")))
        batch.add_column(sa.Column("sheet_of", sa.Integer, sa.ForeignKey(
            "annotators.id", name="fk_spans_sheet", ondelete="CASCADE")))
        batch.add_column(sa.Column("revision", sa.Integer, nullable=False, server_default="1"))
        batch.create_index("ix_spans_record_sheet", ["record_id", "sheet_of"])
    op.execute(sa.text("UPDATE spans SET annotator_id = (SELECT id FROM annotators WHERE name = :n)")
               .bindparams(n=UNKNOWN))

    # records: who set the status last, and a revision for whole-record writes (status, replace).
    # Plain ADD COLUMN, no batch and no foreign key: a batch copy drops and re-creates `records`,
    # and with foreign keys on, dropping it deletes every span through their ON DELETE CASCADE.
    op.add_column("records", sa.Column("status_by", sa.Integer))  # an annotators.id
    op.add_column("records", sa.Column("status_at", sa.DateTime))
    op.add_column("records", sa.Column("revision", sa.Integer, nullable=False, server_default="1"))

    op.create_table(
        "assignments",
        sa.Column("record_id", sa.Integer, sa.ForeignKey("records.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("annotator_id", sa.Integer, sa.ForeignKey("annotators.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("assigned_at", sa.DateTime, nullable=False, server_default=sa.func.current_timestamp()),
    )
    op.create_index("ix_assignments_annotator", "assignments", ["annotator_id"])

    # Append-only: no foreign keys, so deleting a record or an annotator never rewrites an entry.
    op.create_table(
        "history",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("at", sa.DateTime, nullable=False, server_default=sa.func.current_timestamp()),
        sa.Column("annotator", sa.String(200), nullable=False),
        sa.Column("record_id", sa.Integer),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("before", sa.JSON),
        sa.Column("after", sa.JSON),
    )
    op.create_index("ix_history_record", "history", ["record_id", "id"])
    op.create_index("ix_history_action", "history", ["action"])  # sheet statuses, read per refresh of the list

    op.create_table(
        "regions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("record_id", sa.Integer, sa.ForeignKey("records.id", ondelete="CASCADE"), nullable=False),
        sa.Column("image_id", sa.Integer, sa.ForeignKey("images.id", ondelete="CASCADE"), nullable=False),
        sa.Column("frame", sa.Integer, nullable=False, server_default="0"),
        sa.Column("kind", sa.String(10), nullable=False),  # "box" or "polygon"
        sa.Column("points", sa.JSON, nullable=False),  # [[x, y], …] in image pixels; a box: 2 corners
        sa.Column("annotator_id", sa.Integer, sa.ForeignKey("annotators.id", ondelete="SET NULL")),
        sa.Column("created_at", sa.DateTime, nullable=False, server_default=sa.func.current_timestamp()),
    )
    op.create_index("ix_regions_record", "regions", ["record_id"])
    # A link names its span by offsets (and layer), not by row id: saving a record's spans rewrites
    # their rows, and the link must survive that as long as the span itself does.
    op.create_table(
        "region_links",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("region_id", sa.Integer, sa.ForeignKey("regions.id", ondelete="CASCADE"), nullable=False),
        sa.Column("record_id", sa.Integer, sa.ForeignKey("records.id", ondelete="CASCADE"), nullable=False),
        sa.Column("start", sa.Integer, nullable=False),
        sa.Column("end", sa.Integer, nullable=False),
        sa.Column("layer", sa.Integer, nullable=False, server_default="0"),
        sa.Column("annotator_id", sa.Integer, sa.ForeignKey("annotators.id", ondelete="SET NULL")),
        sa.Column("created_at", sa.DateTime, nullable=False, server_default=sa.func.current_timestamp()),
        sa.UniqueConstraint("region_id", "start", "end", "layer", name="uq_region_links_span"),
    )
    op.create_index("ix_region_links_record", "region_links", ["record_id"])
    # Spans marked "not visible in the images", also by offsets.
    op.create_table(
        "invisible_spans",
        sa.Column("record_id", sa.Integer, sa.ForeignKey("records.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("start", sa.Integer, primary_key=True),
        sa.Column("end", sa.Integer, primary_key=True),
        sa.Column("layer", sa.Integer, primary_key=True, server_default="0"),
        sa.Column("annotator_id", sa.Integer, sa.ForeignKey("annotators.id", ondelete="SET NULL")),
        sa.Column("created_at", sa.DateTime, nullable=False, server_default=sa.func.current_timestamp()),
    )
    # A server project keeps image bytes here (every desk sees them); a project folder does not use it.
    op.create_table(
        "image_blobs",
        sa.Column("sha256", sa.String(64), primary_key=True),
        sa.Column("suffix", sa.String(16), nullable=False),
        sa.Column("data", sa.LargeBinary, nullable=False),
    )


def downgrade() -> None:
    op.execute("DELETE FROM spans WHERE sheet_of IS NOT NULL")  # older code knows only gold spans
    for table in ("image_blobs", "invisible_spans", "region_links", "regions", "history", "assignments"):
        op.drop_table(table)
    for column in ("revision", "status_at", "status_by"):  # SQLite ≥ 3.35 drops a plain column in place
        op.drop_column("records", column)
    with op.batch_alter_table("spans") as batch:
        batch.drop_index("ix_spans_record_sheet")
        batch.drop_column("revision")
        batch.drop_column("sheet_of")
        batch.drop_column("annotator_id")
    op.drop_table("annotators")
