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
    AssertionStatus,
    EntityType,
    LabelSchema,
    Record,
    RecordStatus,
    Span,
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

# ---------------------------------------------------------------- schema


def get_schema(s: Session) -> LabelSchema:
    rows = s.scalars(select(EntityTypeRow).order_by(EntityTypeRow.position, EntityTypeRow.id)).all()
    return LabelSchema(tuple(EntityType(r.name, r.color, r.key, tuple((r.display_names or {}).items()),
                                        r.style if r.style in TEXT_STYLES else "fill")  # unknown: as before
                             for r in rows))


def type_usage(s: Session) -> dict[str, int]:
    """Number of spans of each entity type (0 for unused types)."""
    rows = s.execute(
        select(EntityTypeRow.name, func.count(SpanRow.id)).outerjoin(SpanRow).group_by(EntityTypeRow.id)
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


def _type_ids(s: Session) -> dict[str, int]:
    return dict(s.execute(select(EntityTypeRow.name, EntityTypeRow.id)).all())



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
    ids = _type_ids(s)
    for sp in record.spans:
        row.spans.append(_span_row(sp, ids))
    s.add(row)
    s.flush()
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
    now = utcnow()
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
                  "confidence": sp.confidence, "assertion": sp.assertion, "layer": sp.layer, "created_at": now}
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
    return out


def _span_row(sp: Span, type_ids: dict[str, int]) -> SpanRow:
    if sp.label not in type_ids:
        raise MadpgError(f"entity type {sp.label!r} is not in the project's schema ({', '.join(type_ids)})")
    return SpanRow(start=sp.start, end=sp.end, type_id=type_ids[sp.label], source=SpanSource(sp.source).value,
                   model_version=sp.model_version, confidence=sp.confidence, assertion=sp.assertion,
                   layer=sp.layer)


def _to_span(r: SpanRow) -> Span:
    # NULL: a row from before revision 0006, when every span was present and flat
    return Span(r.start, r.end, r.type.name, SpanSource(r.source), r.model_version, r.confidence, id=r.id,
                assertion=r.assertion or AssertionStatus.PRESENT.value, layer=r.layer or 0)


def _to_record(row: RecordRow, image_root: str | None) -> Record:
    prefix = (image_root.rstrip("/") + "/") if image_root else ""
    return Record(
        text=row.text,
        spans=tuple(_to_span(sp) for sp in row.spans),
        images=tuple(prefix + im.rel_path for im in row.images),
        name=row.name,
        status=RecordStatus(row.status),
        id=row.id,
        image_names=tuple(im.original_name or "" for im in row.images),
    )


def _record_row(s: Session, record_id: int) -> RecordRow:
    row = s.get(RecordRow, record_id)
    if row is None:
        raise MadpgError(f"record {record_id} does not exist")
    return row


def get_record(s: Session, record_id: int, image_root: str | None = None) -> Record:
    """The record as a frozen domain object; image paths are prefixed with ``image_root``, and
    ``image_names`` holds each image's original file name ("" where the import did not know it)."""
    return _to_record(_record_row(s, record_id), image_root)


def iter_records(s: Session, *, status: Sequence[RecordStatus] | None = None, image_root: str | None = None,
                 batch: int = 500) -> Iterable[Record]:
    """All records in id order, loaded in batches (spans, types and images eagerly)."""
    q = select(RecordRow).options(selectinload(RecordRow.spans), selectinload(RecordRow.images)).order_by(RecordRow.id)
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


def set_status(s: Session, record_id: int, status: RecordStatus) -> None:
    _record_row(s, record_id).status = RecordStatus(status).value


def update_text_note(s: Session, record_id: int, note: str | None) -> None:
    _record_row(s, record_id).note = note


def delete_record(s: Session, record_id: int) -> None:
    s.delete(_record_row(s, record_id))


# ---------------------------------------------------------------- spans


def add_span(s: Session, record_id: int, span: Span) -> int:
    """Add one span; an overlap with an existing span of its layer is refused (OverlapError)."""
    row = _record_row(s, record_id)
    existing = [_to_span(r) for r in row.spans]
    check_spans(row.text, [*existing, span])
    check_statuses(s, [span])
    sr = _span_row(span, _type_ids(s))
    row.spans.append(sr)
    s.flush()
    return sr.id


def find_span(s: Session, record_id: int, start: int, end: int, layer: int | None = None) -> int | None:
    """The id of the record's span at exactly [start, end), if any (one indexed query); with
    ``layer``, only in that layer (two layers may hold a span of the same range), else the lowest."""
    q = select(SpanRow.id).where(SpanRow.record_id == record_id, SpanRow.start == start, SpanRow.end == end)
    if layer is not None:
        q = q.where(func.coalesce(SpanRow.layer, 0) == layer)
    return s.scalar(q.order_by(func.coalesce(SpanRow.layer, 0), SpanRow.id).limit(1))


def delete_span(s: Session, span_id: int) -> Span:
    row = s.get(SpanRow, span_id)
    if row is None:
        raise MadpgError(f"span {span_id} does not exist")
    span = _to_span(row)
    s.delete(row)
    s.flush()
    return span


def change_span_label(s: Session, span_id: int, label: str) -> None:
    """Change a span's type. The span becomes the annotator's: a human decided it."""
    row = s.get(SpanRow, span_id)
    if row is None:
        raise MadpgError(f"span {span_id} does not exist")
    ids = _type_ids(s)
    if label not in ids:
        raise MadpgError(f"unknown entity type {label!r}")
    row.type_id = ids[label]
    row.source, row.model_version, row.confidence = SpanSource.ANNOTATOR.value, None, None


def set_span_assertion(s: Session, span_id: int, status: str) -> None:
    """Set a span's assertion status. The span becomes the annotator's, as with a type change: a
    person confirmed or corrected what the detector proposed."""
    row = s.get(SpanRow, span_id)
    if row is None:
        raise MadpgError(f"span {span_id} does not exist")
    span = Span(row.start, row.end, row.type.name, assertion=status)  # refuses an unknown status
    check_statuses(s, [span])
    row.assertion = span.assertion
    row.source, row.model_version, row.confidence = SpanSource.ANNOTATOR.value, None, None


def replace_spans(s: Session, record_id: int, spans: Sequence[Span]) -> list[int]:
    """Set a record's spans to exactly ``spans`` (used by the BIO editor and by undo)."""
    row = _record_row(s, record_id)
    check_spans(row.text, spans)
    check_statuses(s, spans)
    ids = _type_ids(s)
    row.spans.clear()
    s.flush()
    new = [_span_row(sp, ids) for sp in spans]
    row.spans.extend(new)
    s.flush()
    return [r.id for r in new]


def replace_model_spans(s: Session, record_id: int, spans: Sequence[Span], *,
                        confidence: float | None = None) -> int:
    """Pre-label: drop the record's old model spans and add ``spans`` that do not touch a span an
    annotator made or changed; ``confidence`` is the model's record-level confidence (its least
    confident character). A reviewed record is never touched. Returns the spans added."""
    row = _record_row(s, record_id)
    if row.status == RecordStatus.REVIEWED.value:
        return 0
    row.confidence = confidence
    check_statuses(s, spans)
    human = [_to_span(r) for r in row.spans if r.source == SpanSource.ANNOTATOR.value]
    for r in [r for r in row.spans if r.source != SpanSource.ANNOTATOR.value]:
        row.spans.remove(r)
    # Against human spans of every layer, not only the model span's own: the model must not wrap
    # or cut into anything a person marked, even where the layers would allow it.
    keep = [sp for sp in spans if not any(sp.overlaps(h) for h in human)]
    check_spans(row.text, keep)
    ids = _type_ids(s)
    row.spans.extend(_span_row(sp, ids) for sp in keep)
    if row.status == RecordStatus.NEW.value:
        row.status = RecordStatus.PRELABELLED.value
    s.flush()
    return len(keep)


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
    return ProjectStats(dict(by_status), type_usage(s), n_images)


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
