"""SQLAlchemy 2.0 typed ORM of a project file. Only storage/ imports this module's classes."""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import JSON, Float, ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


def utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


class Base(DeclarativeBase):
    pass


class ProjectRow(Base):
    """One row: the project's own settings."""

    __tablename__ = "project"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    active_model_id: Mapped[int | None] = mapped_column(ForeignKey("model_versions.id", ondelete="SET NULL"))
    # ["present", "absent", …]: the assertion statuses the project offers, in order; NULL (before
    # revision 0006, and until the user changes it) offers all of domain.ASSERTION_STATUSES.
    assertion_statuses: Mapped[list | None] = mapped_column(JSON)
    # "strip" or "keep": what an import does with DICOM headers (deid_dicom); NULL (before revision
    # 0007, and until the user changes it) is "strip", so patient identity stays out by default.
    dicom_identity: Mapped[str | None] = mapped_column(String(8))


class EntityTypeRow(Base):
    __tablename__ = "entity_types"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    color: Mapped[str] = mapped_column(String(9))
    key: Mapped[str | None] = mapped_column(String(4))
    position: Mapped[int] = mapped_column(Integer, default=0)
    # {"zh_CN": "疾病"}: what the UI shows per language; NULL in projects made before (revision 0004),
    # which then show the built-in names (domain.display_name). JSON: a language more is no migration.
    display_names: Mapped[dict | None] = mapped_column(JSON)
    style: Mapped[str | None] = mapped_column(String(16))  # domain.TEXT_STYLES; NULL before 0005: "fill"


class RecordRow(Base):
    __tablename__ = "records"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(500), default="")
    text: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="new", index=True)
    note: Mapped[str | None] = mapped_column(Text)
    # the pre-labelling model's confidence in its least confident character (record-level, for
    # "least confident first"); None until a model has pre-labelled the record
    confidence: Mapped[float | None] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    # who set the status last and when (revision 0008; NULL before)
    # an annotators.id; no foreign key, see migration 0008
    status_by: Mapped[int | None] = mapped_column(Integer)
    status_at: Mapped[datetime | None] = mapped_column()
    revision: Mapped[int] = mapped_column(Integer, default=1, server_default="1")  # bumped per write
    images: Mapped[list[ImageRow]] = relationship(
        back_populates="record", cascade="all, delete-orphan", order_by="ImageRow.position"
    )
    spans: Mapped[list[SpanRow]] = relationship(
        back_populates="record", cascade="all, delete-orphan", order_by="SpanRow.start"
    )


class ImageRow(Base):
    __tablename__ = "images"
    id: Mapped[int] = mapped_column(primary_key=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("records.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    sha256: Mapped[str] = mapped_column(String(64))
    rel_path: Mapped[str] = mapped_column(String(300))  # under the project folder: images/ab/abcdef….png
    original_name: Mapped[str] = mapped_column(String(500), default="")
    record: Mapped[RecordRow] = relationship(back_populates="images")


class SpanRow(Base):
    __tablename__ = "spans"
    __table_args__ = (Index("ix_spans_record_start", "record_id", "start"),
                      Index("ix_spans_record_sheet", "record_id", "sheet_of"))
    id: Mapped[int] = mapped_column(primary_key=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("records.id", ondelete="CASCADE"))
    start: Mapped[int] = mapped_column(Integer)
    end: Mapped[int] = mapped_column(Integer)
    # RESTRICT: a type still in use cannot disappear under its spans by accident.
    type_id: Mapped[int] = mapped_column(ForeignKey("entity_types.id", ondelete="RESTRICT"))
    source: Mapped[str] = mapped_column(String(20), default="annotator")
    model_version: Mapped[str | None] = mapped_column(String(100))
    confidence: Mapped[float | None] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Both NULL in rows written before revision 0006: read as "present" and layer 0, what every
    # span was then.
    assertion: Mapped[str | None] = mapped_column(String(16))  # domain.ASSERTION_STATUSES
    layer: Mapped[int | None] = mapped_column(Integer)  # spans of one layer of a record never overlap
    # who made or last changed the span ("unknown" for rows before 0008)
    annotator_id: Mapped[int | None] = mapped_column(ForeignKey("annotators.id", ondelete="SET NULL"))
    # NULL: a gold span; an annotator's id: a span of that annotator's sheet (double annotation)
    sheet_of: Mapped[int | None] = mapped_column(ForeignKey("annotators.id", ondelete="CASCADE"))
    revision: Mapped[int] = mapped_column(Integer, default=1, server_default="1")  # bumped per change
    record: Mapped[RecordRow] = relationship(back_populates="spans")
    type: Mapped[EntityTypeRow] = relationship(lazy="joined")


class ModelVersionRow(Base):
    __tablename__ = "model_versions"
    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(Integer, unique=True)  # 0 = the bundled default model
    path: Mapped[str] = mapped_column(String(1000))  # relative to the project folder, or absolute
    preset: Mapped[str] = mapped_column(String(100), default="")
    train_size: Mapped[int] = mapped_column(Integer, default=0)
    metrics: Mapped[dict | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class TrainingRunRow(Base):
    __tablename__ = "training_runs"
    id: Mapped[int] = mapped_column(primary_key=True)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column()
    status: Mapped[str] = mapped_column(String(20), default="running")  # running/finished/cancelled/failed
    preset: Mapped[str] = mapped_column(String(100), default="")
    params: Mapped[dict | None] = mapped_column(JSON)
    message: Mapped[str | None] = mapped_column(Text)
    model_version_id: Mapped[int | None] = mapped_column(ForeignKey("model_versions.id", ondelete="SET NULL"))


class ParseRow(Base):
    """Dependency parses cached per (text hash, parser version): epochs and re-opening never re-parse."""

    __tablename__ = "parses"
    __table_args__ = (UniqueConstraint("text_hash", "parser_version"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    text_hash: Mapped[str] = mapped_column(String(64))
    parser_version: Mapped[str] = mapped_column(String(200))
    words: Mapped[list] = mapped_column(JSON)
    heads: Mapped[list] = mapped_column(JSON)


class RecordRoleRow(Base):
    """The part a reviewed record plays in re-training, given once when it is first trained with and
    never changed: "check" (held out; every model version is scored on it) or "train"."""

    __tablename__ = "record_roles"
    record_id: Mapped[int] = mapped_column(ForeignKey("records.id", ondelete="CASCADE"), primary_key=True)
    role: Mapped[str] = mapped_column(String(10))
    assigned_at: Mapped[datetime] = mapped_column(default=utcnow)


class CheckScoreRow(Base):
    """A model version's score on one state of the check set (``check_key`` hashes its records and
    their gold spans): scores on different keys are different exams and are never compared."""

    __tablename__ = "check_scores"
    __table_args__ = (UniqueConstraint("model_version_id", "check_key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    model_version_id: Mapped[int] = mapped_column(ForeignKey("model_versions.id", ondelete="CASCADE"))
    check_key: Mapped[str] = mapped_column(String(64))
    n_records: Mapped[int] = mapped_column(Integer)
    scores: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


# ---------------------------------------------------------------- revision 0008: team and regions


class AnnotatorRow(Base):
    __tablename__ = "annotators"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AssignmentRow(Base):
    """A record given to an annotator. Two or more rows for one record: it is double-annotated, and
    each of them edits their own sheet."""

    __tablename__ = "assignments"
    __table_args__ = (Index("ix_assignments_annotator", "annotator_id"),)
    record_id: Mapped[int] = mapped_column(ForeignKey("records.id", ondelete="CASCADE"), primary_key=True)
    annotator_id: Mapped[int] = mapped_column(ForeignKey("annotators.id", ondelete="CASCADE"), primary_key=True)
    assigned_at: Mapped[datetime] = mapped_column(default=utcnow)


class HistoryRow(Base):
    """One entry of the append-only history. No foreign keys: deleting a record or an annotator
    never rewrites what was recorded about them."""

    __tablename__ = "history"
    __table_args__ = (Index("ix_history_record", "record_id", "id"), Index("ix_history_action", "action"))
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    annotator: Mapped[str] = mapped_column(String(200))
    record_id: Mapped[int | None] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(40))
    before: Mapped[dict | list | None] = mapped_column(JSON)
    after: Mapped[dict | list | None] = mapped_column(JSON)


class RegionRow(Base):
    """A box or polygon on one image (one frame), in the image's pixel coordinates."""

    __tablename__ = "regions"
    __table_args__ = (Index("ix_regions_record", "record_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("records.id", ondelete="CASCADE"))
    image_id: Mapped[int] = mapped_column(ForeignKey("images.id", ondelete="CASCADE"))
    frame: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    kind: Mapped[str] = mapped_column(String(10))  # "box" or "polygon"
    points: Mapped[list] = mapped_column(JSON)  # [[x, y], …]; a box: its two corners
    annotator_id: Mapped[int | None] = mapped_column(ForeignKey("annotators.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class RegionLinkRow(Base):
    """A region tied to a span, named by the span's offsets and layer: saving a record's spans
    rewrites their rows, and the link must survive that as long as the span does."""

    __tablename__ = "region_links"
    __table_args__ = (UniqueConstraint("region_id", "start", "end", "layer", name="uq_region_links_span"),
                      Index("ix_region_links_record", "record_id"))
    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id", ondelete="CASCADE"))
    record_id: Mapped[int] = mapped_column(ForeignKey("records.id", ondelete="CASCADE"))
    start: Mapped[int] = mapped_column(Integer)
    end: Mapped[int] = mapped_column(Integer)
    layer: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    annotator_id: Mapped[int | None] = mapped_column(ForeignKey("annotators.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class InvisibleSpanRow(Base):
    """A span marked "not visible in the images" (a negated or not imageable finding), by offsets."""

    __tablename__ = "invisible_spans"
    record_id: Mapped[int] = mapped_column(ForeignKey("records.id", ondelete="CASCADE"), primary_key=True)
    start: Mapped[int] = mapped_column(Integer, primary_key=True)
    end: Mapped[int] = mapped_column(Integer, primary_key=True)
    layer: Mapped[int] = mapped_column(Integer, primary_key=True, default=0, server_default="0")
    annotator_id: Mapped[int | None] = mapped_column(ForeignKey("annotators.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ImageBlobRow(Base):
    """Image bytes kept in the store itself: a server project's desks share no folder."""

    __tablename__ = "image_blobs"
    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    suffix: Mapped[str] = mapped_column(String(16))
    data: Mapped[bytes] = mapped_column(LargeBinary)
