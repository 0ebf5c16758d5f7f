"""Repository functions over a project session. They take the session first and never commit:
the caller owns one transaction per user action (``with project.transaction() as s: ...``)."""

from __future__ import annotations

from collections import Counter
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import delete, func, insert, or_, select
from sqlalchemy.orm import Session, selectinload

from madpg_core.domain import (
    TEXT_STYLES,
    EntityType,
    LabelSchema,
    Record,
    RecordStatus,
    SpanSource,
    check_spans,
)
from madpg_core.errors import MadpgError

# The project's assertion statuses live in their own module (repo.py stays readable); callers reach
# them as repo.get_assertion_statuses / repo.set_assertion_statuses.
from madpg_core.storage.assertion_repo import (  # noqa: F401 - re-exported
    check_statuses,
    get_assertion_statuses,
    set_assertion_statuses,
)
from madpg_core.storage import history
from madpg_core.storage.annotators import current_annotator_id
from madpg_core.storage.orm import (
    EntityTypeRow,
    ImageRow,
    ModelVersionRow,
    ProjectRow,
    RecordRow,
    SpanRow,
    TrainingRunRow,
    utcnow,
)

# Writing spans (gold and sheets, attributed, logged, stale writes refused) lives in span_repo.py;
# callers reach it as repo.add_span etc.
from madpg_core.storage.span_repo import (  # noqa: F401 - re-exported
    add_span,
    bump_record,
    change_span_label,
    delete_span,
    find_span,
    lock_record,
    replace_model_spans,
    replace_spans,
    set_span_assertion,
    sheet_id,
    span_row,
    span_rows,
    spans_of,
    to_span,
    type_ids,
)
from madpg_core.storage.span_repo import record_row as _record_row
from madpg_core.storage.span_repo import span_row as _span_row  # noqa: F401 - older name
from madpg_core.storage.span_repo import to_span as _to_span  # noqa: F401 - older name
from madpg_core.storage.span_repo import type_ids as _type_ids

# ---------------------------------------------------------------- schema


def get_schema(s: Session) -> LabelSchema:
    rows = s.scalars(select(EntityTypeRow).order_by(EntityTypeRow.position, EntityTypeRow.id)).all()
    return LabelSchema(tuple(EntityType(r.name, r.color, r.key, tuple((r.display_names or {}).items()),
                                        r.style if r.style in TEXT_STYLES else "fill")  # unknown: as before
                             for r in rows))


def type_usage(s: Session, *, gold_only: bool = False) -> dict[str, int]:
    """Number of spans of each entity type (0 for unused types): all of them, sheets included (what
    removing a type would delete), or with ``gold_only`` the gold spans (what statistics count)."""
    joined = SpanRow.type_id == EntityTypeRow.id
    if gold_only:
        joined = joined & SpanRow.sheet_of.is_(None)
    rows = s.execute(
        select(EntityTypeRow.name, func.count(SpanRow.id)).outerjoin(SpanRow, joined).group_by(EntityTypeRow.id)
    ).all()
    return {name: n for name, n in rows}


def set_schema(s: Session, schema: LabelSchema, *, renames: dict[str, str] | None = None,
               delete_spans_of_removed: bool = False) -> None:
    """Replace the label schema. ``renames`` maps old → new names (spans follow the rename).

    A type that disappears while spans still use it is refused unless ``delete_spans_of_removed``
    (the GUI asks the user first).
    """
    renames = renames or {}
    rows = {r.name: r for r in s.scalars(select(EntityTypeRow))}
    for old, new in renames.items():
        if old in rows:
            rows[old].name = new
            rows[new] = rows.pop(old)
    s.flush()
    wanted = set(schema.names)
    usage = type_usage(s)
    for name, row in list(rows.items()):
        if name in wanted:
            continue
        if usage.get(name, 0) and not delete_spans_of_removed:
            raise MadpgError(f"entity type {name!r} is used by {usage[name]} spans; confirm to delete them")
        s.execute(delete(SpanRow).where(SpanRow.type_id == row.id))
        history.log(s, "schema", None, {"type": name, "spans": usage.get(name, 0)}, None)
        s.delete(row)
        del rows[name]
    for i, t in enumerate(schema.types):
        row = rows.get(t.name)
        if row is None:
            row = EntityTypeRow(name=t.name)
            s.add(row)
        row.color, row.key, row.position = t.color, t.key, i
        row.display_names = dict(t.display_names) or None  # a new dict: JSON columns track assignment only
        row.style = t.style
    s.flush()



# ---------------------------------------------------------------- records


@dataclass(frozen=True)
class RecordSummary:
    """What the record list shows, without loading texts or spans."""

    id: int
    name: str
    status: RecordStatus
    preview: str
    n_spans: int
    min_confidence: float | None  # least confident model span; None when no model span
    confidence: float | None = None  # the model's least confident character; None: not pre-labelled

    @property
    def order_confidence(self) -> float | None:
        """What "least confident first" sorts by (``list_records``' ``conf``): the record's confidence,
        else, for records pre-labelled before that was stored, its least confident model span's."""
        return self.confidence if self.confidence is not None else self.min_confidence


def add_record(s: Session, record: Record, images: Sequence[tuple[str, str, str]] = ()) -> int:
    """Insert a record with its spans; ``images`` are stored (sha256, rel_path, original_name)."""
    check_spans(record.text, record.spans)
    check_statuses(s, record.spans)
    row = RecordRow(name=record.name, text=record.text, status=RecordStatus(record.status).value)
    for i, (sha, rel, orig) in enumerate(images):
        row.images.append(ImageRow(position=i, sha256=sha, rel_path=rel, original_name=orig))
    ids, who = _type_ids(s), current_annotator_id(s)
    for sp in record.spans:
        row.spans.append(span_row(sp, ids, annotator=who))
    s.add(row)
    s.flush()
    history.log(s, "import", row.id, None, {"name": row.name, "spans": len(record.spans)})
    return row.id


def add_records(s: Session, records: Sequence[Record], images: Sequence[Sequence[tuple[str, str, str]]], *,
                batch: int = 2000, stop: threading.Event | None = None,
                on_progress: Callable[[int, int], None] | None = None) -> list[int]:
    """Insert many records (spans checked by the caller) with batched Core INSERTs: an import holds
    the write lock for seconds, where one ORM object per row took minutes (see transfer.py)."""
    ids = _type_ids(s)
    unknown = sorted({sp.label for r in records for sp in r.spans} - set(ids))
    if unknown:
        raise MadpgError(f"entity types not in the project's schema: {', '.join(unknown)}")
    check_statuses(s, [sp for r in records for sp in r.spans])
    now, who = utcnow(), current_annotator_id(s)
    out: list[int] = []
    for lo in range(0, len(records), batch):
        if stop is not None and stop.is_set():
            from madpg_core.errors import Cancelled

            raise Cancelled("import cancelled; nothing was imported")
        chunk = records[lo : lo + batch]
        rows = [{"name": r.name, "text": r.text, "status": RecordStatus(r.status).value, "created_at": now,
                 "updated_at": now} for r in chunk]
        new_ids = list(s.scalars(insert(RecordRow).returning(RecordRow.id, sort_by_parameter_order=True), rows))
        spans = [{"record_id": rid, "start": sp.start, "end": sp.end, "type_id": ids[sp.label],
                  "source": SpanSource(sp.source).value, "model_version": sp.model_version,
                  "confidence": sp.confidence, "assertion": sp.assertion, "layer": sp.layer, "created_at": now,
                  "annotator_id": who}
                 for rid, r in zip(new_ids, chunk) for sp in r.spans]
        pictures = [{"record_id": rid, "position": i, "sha256": sha, "rel_path": rel, "original_name": orig}
                    for rid, imgs in zip(new_ids, images[lo : lo + batch]) for i, (sha, rel, orig) in enumerate(imgs)]
        if spans:
            s.execute(insert(SpanRow), spans)
        if pictures:
            s.execute(insert(ImageRow), pictures)
        out.extend(new_ids)
        if on_progress:
            on_progress(lo + len(chunk), len(records))
    # One entry for the whole import, not one per record: an import of 100,000 records is one act.
    history.log(s, "import", None, None, {"records": len(out), "spans": sum(len(r.spans) for r in records)})
    return out


def _to_record(row: RecordRow, image_root: str | None, spans: Sequence[SpanRow] | None = None) -> Record:
    """``spans``: the rows to show (a sheet's); default the gold ones of ``row.spans``, which holds
    every row of the record, sheets included."""
    prefix = (image_root.rstrip("/") + "/") if image_root else ""
    if spans is None:
        spans = [sp for sp in row.spans if sp.sheet_of is None]
    return Record(
        text=row.text,
        spans=tuple(to_span(sp) for sp in spans),
        images=tuple(prefix + im.rel_path for im in row.images),
        name=row.name,
        status=RecordStatus(row.status),
        id=row.id,
        image_names=tuple(im.original_name or "" for im in row.images),
        revision=row.revision,
    )


def get_record(s: Session, record_id: int, image_root: str | None = None, sheet: str | None = None) -> Record:
    """The record as a frozen domain object; image paths are prefixed with ``image_root``, and
    ``image_names`` holds each image's original file name ("" where the import did not know it).
    Its spans are the gold spans, or with ``sheet`` (an annotator's name) that annotator's sheet
    (empty when they have none)."""
    row = _record_row(s, record_id)
    # By query, not row.spans: a collection loaded earlier in this session may hold only gold rows.
    return _to_record(row, image_root, span_rows(s, record_id, sheet_id(s, sheet, create=False)))


def iter_records(s: Session, *, status: Sequence[RecordStatus] | None = None, image_root: str | None = None,
                 batch: int = 500) -> Iterable[Record]:
    """All records in id order, loaded in batches (spans, types and images eagerly)."""
    # Gold spans only (export, training, scores read these); _to_record filters again for rows
    # already loaded in this session without that criterion.
    gold = selectinload(RecordRow.spans.and_(SpanRow.sheet_of.is_(None)))
    q = select(RecordRow).options(gold, selectinload(RecordRow.images)).order_by(RecordRow.id)
    if status:
        q = q.where(RecordRow.status.in_([RecordStatus(x).value for x in status]))
    for row in s.scalars(q.execution_options(yield_per=batch)):
        yield _to_record(row, image_root)


def record_ids(s: Session, *, status: Sequence[RecordStatus] | None = None) -> list[int]:
    q = select(RecordRow.id).order_by(RecordRow.id)
    if status:
        q = q.where(RecordRow.status.in_([RecordStatus(x).value for x in status]))
    return list(s.scalars(q))


def list_records(s: Session, *, search: str = "", status: RecordStatus | None = None,
                 order: str = "id", preview_chars: int = 60) -> list[RecordSummary]:
    """Summaries for the record list; ``order`` is "id" or "uncertainty" (least confident first)."""
    span_stats = (
        select(
            SpanRow.record_id.label("rid"),
            func.count(SpanRow.id).label("n"),
            func.min(SpanRow.confidence).label("minconf"),
        )
        .where(SpanRow.sheet_of.is_(None))  # gold spans: what the record holds for export and training
        .group_by(SpanRow.record_id)
        .subquery()
    )
    q = select(RecordRow.id, RecordRow.name, RecordRow.status, func.substr(RecordRow.text, 1, preview_chars),
               func.coalesce(span_stats.c.n, 0), span_stats.c.minconf, RecordRow.confidence).outerjoin(
        span_stats, span_stats.c.rid == RecordRow.id)
    if search:
        like = f"%{search}%"
        q = q.where(or_(RecordRow.text.like(like), RecordRow.name.like(like)))
    if status is not None:
        q = q.where(RecordRow.status == RecordStatus(status).value)
    if order == "uncertainty":
        # Reviewed records last (nothing left to check); then by the record's least confident
        # character, which also ranks records where the model marked nothing; records pre-labelled
        # before that was stored fall back to their least confident span. SQLite sorts NULL first
        # in ASC, hence the explicit is_(None) key.
        conf = func.coalesce(RecordRow.confidence, span_stats.c.minconf)  # = RecordSummary.order_confidence
        q = q.order_by(RecordRow.status == RecordStatus.REVIEWED.value, conf.is_(None), conf, RecordRow.id)
    else:
        q = q.order_by(RecordRow.id)
    return [RecordSummary(i, n, RecordStatus(st), pv, c, mc, rc) for i, n, st, pv, c, mc, rc in s.execute(q)]


def set_status(s: Session, record_id: int, status: RecordStatus, expected_record_revision: int | None = None) -> None:
    """Set a record's status, attributed to the session's annotator; with
    ``expected_record_revision``, only if the record did not change since it was read."""
    row = _record_row(s, record_id)
    before, new = row.status, RecordStatus(status).value
    bump_record(s, row, expected_record_revision)
    row.status, row.status_by, row.status_at = new, current_annotator_id(s), utcnow()
    history.log(s, "set_status", record_id, {"status": before}, {"status": new})
    s.flush()


def update_text_note(s: Session, record_id: int, note: str | None) -> None:
    row = _record_row(s, record_id)
    before = row.note
    row.note = note
    history.log(s, "update_text_note", record_id, {"note": before}, {"note": note})


def delete_record(s: Session, record_id: int) -> None:
    row = _record_row(s, record_id)
    gold = span_rows(s, record_id, None)
    history.log(s, "delete_record", record_id, {"name": row.name, "status": row.status,
                                                "spans": [history.span_doc(to_span(r)) for r in gold]}, None)
    s.delete(row)


# ---------------------------------------------------------------- statistics


@dataclass(frozen=True)
class ProjectStats:
    records_by_status: dict[str, int]
    entities_by_type: dict[str, int]
    images: int

    @property
    def records(self) -> int:
        return sum(self.records_by_status.values())


def stats(s: Session) -> ProjectStats:
    by_status = Counter({st.value: 0 for st in RecordStatus})
    by_status.update(dict(s.execute(select(RecordRow.status, func.count()).group_by(RecordRow.status)).all()))
    n_images = s.scalar(select(func.count(ImageRow.id))) or 0
    return ProjectStats(dict(by_status), type_usage(s, gold_only=True), n_images)


# ---------------------------------------------------------------- project, models, runs


def get_project_row(s: Session) -> ProjectRow:
    row = s.get(ProjectRow, 1)
    if row is None:
        raise MadpgError("this file is not an initialised MADPG project")
    return row


@dataclass(frozen=True)
class ModelVersion:
    id: int
    version: int
    path: str
    preset: str
    train_size: int
    metrics: dict | None
    created_at: str
    active: bool


def list_model_versions(s: Session) -> list[ModelVersion]:
    active = get_project_row(s).active_model_id
    rows = s.scalars(select(ModelVersionRow).order_by(ModelVersionRow.version)).all()
    return [ModelVersion(r.id, r.version, r.path, r.preset, r.train_size, r.metrics,
                         r.created_at.isoformat(timespec="seconds"), r.id == active) for r in rows]


def add_model_version(s: Session, path: str, preset: str, train_size: int, metrics: dict | None,
                      version: int | None = None) -> ModelVersion:
    if version is None:
        version = (s.scalar(select(func.max(ModelVersionRow.version))) or 0) + 1
    row = ModelVersionRow(version=version, path=path, preset=preset, train_size=train_size, metrics=metrics)
    s.add(row)
    s.flush()
    return next(v for v in list_model_versions(s) if v.id == row.id)


def set_model_version_path(s: Session, model_id: int, path: str) -> None:
    row = s.get(ModelVersionRow, model_id)
    if row is None:
        raise MadpgError(f"model {model_id} does not exist")
    row.path = path


def activate_model_version(s: Session, version: int) -> None:
    row = s.scalar(select(ModelVersionRow).where(ModelVersionRow.version == version))
    if row is None:
        raise MadpgError(f"model version {version} does not exist")
    get_project_row(s).active_model_id = row.id


def active_model_version(s: Session) -> ModelVersion | None:
    return next((v for v in list_model_versions(s) if v.active), None)


def start_training_run(s: Session, preset: str, params: dict) -> int:
    row = TrainingRunRow(preset=preset, params=params, status="running")
    s.add(row)
    s.flush()
    return row.id


def finish_training_run(s: Session, run_id: int, status: str, message: str | None = None,
                        model_version_id: int | None = None) -> None:
    row = s.get(TrainingRunRow, run_id)
    if row is None:
        raise MadpgError(f"training run {run_id} does not exist")
    row.status, row.message, row.model_version_id, row.finished_at = status, message, model_version_id, utcnow()


def list_training_runs(s: Session) -> list[dict]:
    rows = s.scalars(select(TrainingRunRow).order_by(TrainingRunRow.id)).all()
    return [{"id": r.id, "status": r.status, "preset": r.preset, "message": r.message,
             "started_at": r.started_at.isoformat(timespec="seconds"),
             "finished_at": r.finished_at.isoformat(timespec="seconds") if r.finished_at else None,
             "model_version_id": r.model_version_id} for r in rows]
