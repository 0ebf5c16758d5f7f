"""Initial schema: project, entity types, records, images, spans, model versions, training runs.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "model_versions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("version", sa.Integer, nullable=False, unique=True),
        sa.Column("path", sa.String(1000), nullable=False),
        sa.Column("preset", sa.String(100), nullable=False),
        sa.Column("train_size", sa.Integer, nullable=False),
        sa.Column("metrics", sa.JSON),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "project",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("active_model_id", sa.Integer, sa.ForeignKey("model_versions.id", ondelete="SET NULL")),
    )
    op.create_table(
        "entity_types",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(100), nullable=False, unique=True),
        sa.Column("color", sa.String(9), nullable=False),
        sa.Column("key", sa.String(4)),
        sa.Column("position", sa.Integer, nullable=False),
    )
    op.create_table(
        "records",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(500), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_records_status", "records", ["status"])
    op.create_table(
        "images",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("record_id", sa.Integer, sa.ForeignKey("records.id", ondelete="CASCADE"), nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("rel_path", sa.String(300), nullable=False),
        sa.Column("original_name", sa.String(500), nullable=False),
    )
    op.create_index("ix_images_record_id", "images", ["record_id"])
    op.create_table(
        "spans",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("record_id", sa.Integer, sa.ForeignKey("records.id", ondelete="CASCADE"), nullable=False),
        sa.Column("start", sa.Integer, nullable=False),
        sa.Column("end", sa.Integer, nullable=False),
        sa.Column("type_id", sa.Integer, sa.ForeignKey("entity_types.id", ondelete="RESTRICT"), nullable=False),
        sa.Column("source", sa.String(20), nullable=False),
        sa.Column("model_version", sa.String(100)),
        sa.Column("confidence", sa.Float),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_spans_record_start", "spans", ["record_id", "start"])
    op.create_table(
        "training_runs",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("started_at", sa.DateTime, nullable=False),
        sa.Column("finished_at", sa.DateTime),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("preset", sa.String(100), nullable=False),
        sa.Column("params", sa.JSON),
        sa.Column("message", sa.Text),
        sa.Column(
            "model_version_id", sa.Integer, sa.ForeignKey("model_versions.id", ondelete="SET NULL")
        ),
    )


def downgrade() -> None:
    for t in ("training_runs", "spans", "images", "records", "entity_types", "project", "model_versions"):
        op.drop_table(t)
