"""Writing spans: gold spans and annotators' sheets, each write attributed, logged in the history
and, where the caller names the revision it read, refused when someone changed it since.

repo.py re-exports every public function here, so callers keep writing ``repo.add_span``. Like
repo.py, the functions take the session first and never commit.

Gold spans are the rows with ``sheet_of IS NULL``; a sheet's rows carry its annotator's id there.
The functions below read and write rows by query, never through ``RecordRow.spans``: that
relationship holds every row of a record (gold and sheets alike), and a reader may have loaded it
with only the gold ones (``iter_records``). After a write the collection is expired, so a later
read in the same session sees the change.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timezone

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from madpg_core.domain import AssertionStatus, RecordStatus, Span, SpanSource, check_spans
from madpg_core.errors import MadpgError, StaleWriteError
from madpg_core.storage import history
from madpg_core.storage.annotators import annotator_id, current_annotator, current_annotator_id, ensure_annotator
from madpg_core.storage.assertion_repo import check_statuses
from madpg_core.storage.orm import AnnotatorRow, EntityTypeRow, RecordRow, SpanRow

NO_SHEET = -1  # a sheet_of no row has: the sheet of an annotator the project does not know is empty

# ---------------------------------------------------------------- rows ↔ spans


def type_ids(s: Session) -> dict[str, int]:
    return dict(s.execute(select(EntityTypeRow.name, EntityTypeRow.id)).all())


def span_row(sp: Span, ids: dict[str, int], *, annotator: int | None = None, sheet_of: int | None = None) -> SpanRow:
    if sp.label not in ids:
        raise MadpgError(f"entity type {sp.label!r} is not in the project's schema ({', '.join(ids)})")
    return SpanRow(start=sp.start, end=sp.end, type_id=ids[sp.label], source=SpanSource(sp.source).value,
                   model_version=sp.model_version, confidence=sp.confidence, assertion=sp.assertion,
                   layer=sp.layer, annotator_id=annotator, sheet_of=sheet_of, revision=1)


def to_span(r: SpanRow) -> Span:
    # NULL assertion/layer: a row from before revision 0006, when every span was present and flat
    return Span(r.start, r.end, r.type.name, SpanSource(r.source), r.model_version, r.confidence, id=r.id,
                assertion=r.assertion or AssertionStatus.PRESENT.value, layer=r.layer or 0,
                revision=r.revision)


def record_row(s: Session, record_id: int) -> RecordRow:
    row = s.get(RecordRow, record_id)
    if row is None:
        raise MadpgError(f"record {record_id} does not exist")
    return row


def sheet_id(s: Session, sheet: str | None, *, create: bool) -> int | None:
    """``sheet_of`` for a sheet name: None for gold; NO_SHEET for an unknown name when reading."""
    if sheet is None:
        return None
    if create:
        return ensure_annotator(s, sheet)
    found = annotator_id(s, sheet)
    return NO_SHEET if found is None else found


def _where_sheet(sheet_of: int | None):  # noqa: ANN202 - a SQL expression
    return SpanRow.sheet_of.is_(None) if sheet_of is None else SpanRow.sheet_of == sheet_of


def span_rows(s: Session, record_id: int, sheet_of: int | None) -> list[SpanRow]:
    """The rows of one record's gold spans (``sheet_of`` None) or of one sheet, by start."""
    return list(s.scalars(select(SpanRow).where(SpanRow.record_id == record_id, _where_sheet(sheet_of))
                          .order_by(SpanRow.start, SpanRow.id)))


def spans_of(s: Session, record_id: int, sheet: str | None = None) -> list[Span]:
    """A record's gold spans, or the spans of ``sheet`` (an annotator's name; [] if they have none)."""
    record_row(s, record_id)
    return [to_span(r) for r in span_rows(s, record_id, sheet_id(s, sheet, create=False))]


def _name_of(s: Session, annotator: int | None) -> str | None:
    return None if annotator is None else s.scalar(select(AnnotatorRow.name).where(AnnotatorRow.id == annotator))


def _changed(s: Session, record: RecordRow | None) -> None:
    """After a write by query: the record's loaded span collection is out of date."""
    if record is not None:
        s.expire(record, ["spans"])


# ---------------------------------------------------------------- stale writes


def stale_message(s: Session, record_id: int | None, what: str) -> str:
    """"another annotator (Li) changed this span at 14:05; the record was reloaded": who and when
    from the record's newest history entry (the change that made the read stale)."""
    last = history.last_entry(s, record_id) if record_id is not None else None
    if last is None:
        return f"{what} was changed by someone else since it was read; the record was reloaded"
    at = last.at.replace(tzinfo=timezone.utc).astimezone().strftime("%H:%M")
    if last.annotator == current_annotator(s):
        return f"{what} was changed at {at} by {last.annotator} in another window; the record was reloaded"
    return f"another annotator ({last.annotator}) changed {what} at {at}; the record was reloaded"


def bump_record(s: Session, row: RecordRow, expected: int | None = None) -> None:
    """records.revision + 1, atomically; with ``expected``, only if it still is that (else a
    StaleWriteError): one UPDATE … WHERE revision = :expected, so two writers on SQLite or
    PostgreSQL cannot both pass the check."""
    stmt = update(RecordRow).where(RecordRow.id == row.id)
    if expected is not None:
        stmt = stmt.where(RecordRow.revision == expected)
    done = s.execute(stmt.values(revision=RecordRow.revision + 1).execution_options(synchronize_session=False))
    s.expire(row, ["revision", "updated_at"])
    if done.rowcount == 0:
        raise StaleWriteError(stale_message(s, row.id, "this record"))


def lock_record(s: Session, record_id: int) -> None:
    """Hold the record's row until the transaction ends (SELECT … FOR UPDATE on PostgreSQL; SQLite's
    writer already holds the whole file), before reading the spans a write is checked against: two
    desks adding overlapping spans at once then check one after the other, the second seeing the
    first's span, instead of both passing the overlap check on the same old state."""
    s.execute(select(RecordRow.id).where(RecordRow.id == record_id).with_for_update())


def _update_span(s: Session, span_id: int, expected: int | None, values: dict) -> tuple[SpanRow, Span]:
    """Change one span row by an atomic UPDATE that bumps its revision (and, with ``expected``,
    only matches that revision) → (the row, the span as it was before)."""
    row = s.get(SpanRow, span_id)
    if row is None:
        raise _gone(span_id, expected)
    before, record_id = to_span(row), row.record_id
    stmt = update(SpanRow).where(SpanRow.id == span_id)
    if expected is not None:
        stmt = stmt.where(SpanRow.revision == expected)
    done = s.execute(stmt.values(**values, annotator_id=current_annotator_id(s), revision=SpanRow.revision + 1)
                     .execution_options(synchronize_session=False))
    s.expire(row)
    if done.rowcount == 0:  # changed (or, on PostgreSQL, deleted) by another writer since it was read
        raise StaleWriteError(stale_message(s, record_id, "this span"))
    if row.sheet_of is None:
        bump_record(s, record_row(s, row.record_id))
    return row, before


def _gone(span_id: int, expected: int | None) -> MadpgError:
    if expected is not None:  # it existed when the caller read it
        return StaleWriteError(f"span {span_id} was deleted by someone else since it was read; the record was reloaded")
    return MadpgError(f"span {span_id} does not exist")


# ---------------------------------------------------------------- writes


def add_span(s: Session, record_id: int, span: Span, sheet: str | None = None) -> int:
    """Add one span to the record's gold spans, or to ``sheet`` (an annotator's name); an overlap
    with a span of its layer there is refused (OverlapError)."""
    row = record_row(s, record_id)
    sheet_of = sheet_id(s, sheet, create=True)
    if sheet_of is None:
        bump_record(s, row)  # first: its UPDATE takes the row's lock on PostgreSQL
    else:
        lock_record(s, record_id)
    existing = [to_span(r) for r in span_rows(s, record_id, sheet_of)]
    check_spans(row.text, [*existing, span])
    check_statuses(s, [span])
    sr = span_row(span, type_ids(s), annotator=current_annotator_id(s), sheet_of=sheet_of)
    sr.record_id = record_id
    s.add(sr)
    s.flush()
    _changed(s, row)
    history.log(s, "add_span", record_id, None, history.span_doc(to_span(sr), sheet))
    return sr.id


def find_span(s: Session, record_id: int, start: int, end: int, layer: int | None = None,
              sheet: str | None = None) -> int | None:
    """The id of the record's span at exactly [start, end), if any (one indexed query), among its
    gold spans or in ``sheet``; with ``layer``, only in that layer (two layers may hold a span of
    the same range), else the lowest."""
    sheet_of = sheet_id(s, sheet, create=False)
    q = select(SpanRow.id).where(SpanRow.record_id == record_id, SpanRow.start == start, SpanRow.end == end,
                                 _where_sheet(sheet_of))
    if layer is not None:
        q = q.where(func.coalesce(SpanRow.layer, 0) == layer)
    return s.scalar(q.order_by(func.coalesce(SpanRow.layer, 0), SpanRow.id).limit(1))


def delete_span(s: Session, span_id: int, expected_revision: int | None = None) -> Span:
    """Delete a span (gold or of a sheet: whatever row the id is); with ``expected_revision``,
    only if nobody changed it since it was read (else StaleWriteError)."""
    row = s.get(SpanRow, span_id)
    if row is None:
        raise _gone(span_id, expected_revision)
    span, record_id, sheet_of = to_span(row), row.record_id, row.sheet_of
    stmt = SpanRow.__table__.delete().where(SpanRow.__table__.c.id == span_id)
    if expected_revision is not None:
        stmt = stmt.where(SpanRow.__table__.c.revision == expected_revision)
    if s.execute(stmt).rowcount == 0:
        raise StaleWriteError(stale_message(s, record_id, "this span"))
    s.expunge(row)
    record = record_row(s, record_id)
    if sheet_of is None:
        bump_record(s, record)
    _changed(s, record)
    history.log(s, "delete_span", record_id, history.span_doc(span, _name_of(s, sheet_of)), None)
    return span


def change_span_label(s: Session, span_id: int, label: str, expected_revision: int | None = None) -> None:
    """Change a span's type. The span becomes the annotator's: a human decided it."""
    ids = type_ids(s)
    if label not in ids:
        raise MadpgError(f"unknown entity type {label!r}")
    row, before = _update_span(s, span_id, expected_revision, {
        "type_id": ids[label], "source": SpanSource.ANNOTATOR.value, "model_version": None, "confidence": None})
    sheet = _name_of(s, row.sheet_of)
    history.log(s, "change_span_label", row.record_id, history.span_doc(before, sheet),
                history.span_doc(to_span(row), sheet))


def set_span_assertion(s: Session, span_id: int, status: str, expected_revision: int | None = None) -> None:
    """Set a span's assertion status. The span becomes the annotator's, as with a type change: a
    person confirmed or corrected what the detector proposed."""
    row = s.get(SpanRow, span_id)
    if row is None:
        raise _gone(span_id, expected_revision)
    span = Span(row.start, row.end, row.type.name, assertion=status)  # refuses an unknown status
    check_statuses(s, [span])
    row, before = _update_span(s, span_id, expected_revision, {
        "assertion": span.assertion, "source": SpanSource.ANNOTATOR.value, "model_version": None,
        "confidence": None})
    sheet = _name_of(s, row.sheet_of)
    history.log(s, "set_span_assertion", row.record_id, history.span_doc(before, sheet),
                history.span_doc(to_span(row), sheet))


def replace_spans(s: Session, record_id: int, spans: Sequence[Span], sheet: str | None = None,
                  expected_record_revision: int | None = None) -> list[int]:
    """Set a record's gold spans, or ``sheet``, to exactly ``spans`` (the BIO editor, undo,
    adjudication). With ``expected_record_revision`` (gold only) the write is refused when the
    record's status or gold spans changed since it was read (StaleWriteError)."""
    row = record_row(s, record_id)
    check_spans(row.text, spans)
    check_statuses(s, spans)
    ids = type_ids(s)
    sheet_of = sheet_id(s, sheet, create=True)
    if sheet_of is None:
        bump_record(s, row, expected_record_revision)  # first: it also takes the row's lock on PostgreSQL
    else:
        lock_record(s, record_id)
    old = span_rows(s, record_id, sheet_of)
    before = [to_span(r) for r in old]
    for r in old:
        s.delete(r)
    s.flush()
    who = current_annotator_id(s)
    new = [span_row(sp, ids, annotator=who, sheet_of=sheet_of) for sp in spans]
    for r in new:
        r.record_id = record_id
    s.add_all(new)
    s.flush()
    _changed(s, row)
    history.log(s, "replace_spans", record_id, history.spans_doc(before, sheet),
                history.spans_doc([to_span(r) for r in new], sheet))
    return [r.id for r in new]


def replace_model_spans(s: Session, record_id: int, spans: Sequence[Span], *,
                        confidence: float | None = None) -> int:
    """Pre-label: drop the record's old model spans and add ``spans`` that do not touch a span an
    annotator made or changed; ``confidence`` is the model's record-level confidence (its least
    confident character). Gold spans only: sheets are seeded from these (team.seed_sheet). A
    reviewed record is never touched. Returns the spans added."""
    row = record_row(s, record_id)
    if row.status == RecordStatus.REVIEWED.value:
        return 0
    bump_record(s, row)  # first: it takes the row's lock before the human spans are read
    s.refresh(row, ["status"])
    if row.status == RecordStatus.REVIEWED.value:  # reviewed by another desk meanwhile
        return 0
    row.confidence = confidence
    check_statuses(s, spans)
    gold = span_rows(s, record_id, None)
    human = [to_span(r) for r in gold if r.source == SpanSource.ANNOTATOR.value]
    dropped = [r for r in gold if r.source != SpanSource.ANNOTATOR.value]
    removed = [to_span(r) for r in dropped]
    for r in dropped:
        s.delete(r)
    # Against human spans of every layer, not only the model span's own: the model must not wrap
    # or cut into anything a person marked, even where the layers would allow it.
    keep = [sp for sp in spans if not any(sp.overlaps(h) for h in human)]
    check_spans(row.text, keep)
    ids, who = type_ids(s), current_annotator_id(s)
    new = [span_row(sp, ids, annotator=who) for sp in keep]
    for r in new:
        r.record_id = record_id
    s.add_all(new)
    if row.status == RecordStatus.NEW.value:
        row.status = RecordStatus.PRELABELLED.value
    s.flush()
    _changed(s, row)
    history.log(s, "replace_model_spans", record_id, history.spans_doc(removed),
                {**history.spans_doc([to_span(r) for r in new]), "confidence": confidence})
    return len(keep)
