"""Undo commands. Each redo()/undo() is one committed transaction, so undo is saved like any edit.

Spans are identified by their offsets and layer, not their database id: undoing a delete re-creates
the row under a new id, and a later redo must still find it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

from PySide6.QtGui import QUndoCommand

from madpg_core.domain import RecordStatus, Span, SpanSource
from madpg_core.errors import MadpgError
from madpg_core.storage import repo, team
from madpg_gui.annotation import Annotation
from madpg_gui.i18n import tr

ErrorSink = Callable[[str], None]


class RecordCommand(QUndoCommand):
    """Base: runs ``_do``/``_undo`` inside ``Annotation.edit``; a refused first redo makes it obsolete."""

    def __init__(self, ann: Annotation, record_id: int, text: str, on_error: ErrorSink) -> None:
        super().__init__(text)
        self.ann, self.record_id, self.on_error = ann, record_id, on_error
        self.sheet = ann.sheet  # the annotator's own sheet the edit was made on (None: the gold spans)
        self._done_once = False

    def _run(self, fn: Callable) -> bool:
        try:
            with self.ann.edit(self.record_id) as s:
                fn(s)
        except Exception as e:  # a refused edit (overlap, vanished span) or a storage error: a message
            self.on_error(str(e) if isinstance(e, MadpgError) else f"{type(e).__name__}: {e}")
            if not self._done_once:
                self.setObsolete(True)  # QUndoStack.push drops it: nothing was changed
            return False
        self._done_once = True
        return True

    def redo(self) -> None:
        self._run(self._do)

    def undo(self) -> None:
        self._run(self._undo)

    @property
    def done(self) -> bool:
        """Whether the first redo (the one ``QUndoStack.push`` runs) was applied."""
        return self._done_once

    def _span_id(self, s, span: Span) -> int:  # noqa: ANN001 - Session
        sid = self.ann.span_id(s, self.record_id, span.start, span.end, span.layer, sheet=self.sheet)
        if sid is None:
            raise MadpgError(tr("The entity was changed elsewhere; the edit cannot be applied."))
        return sid

    def _read_revision(self, span: Span) -> int | None:
        """The revision ``span`` had when the desk read it, for the first run only: a change made
        since by someone else then refuses the edit (a stale write). Undo and redo re-create rows,
        so they name none."""
        return None if self._done_once else span.revision


def by_annotator(span: Span) -> Span:
    """``span`` as a person's: a human edit confirms or corrects it, so no model version or confidence."""
    return replace(span, source=SpanSource.ANNOTATOR, model_version=None, confidence=None, id=None)


class AddSpan(RecordCommand):
    def __init__(self, ann: Annotation, record_id: int, span: Span, on_error: ErrorSink,
                 text: str | None = None) -> None:
        super().__init__(ann, record_id, text or tr("Add entity"), on_error)
        self.span = by_annotator(span)  # its layer and assertion status kept

    def _do(self, s) -> None:  # noqa: ANN001
        repo.add_span(s, self.record_id, self.span, sheet=self.sheet)

    def _undo(self, s) -> None:  # noqa: ANN001
        repo.delete_span(s, self._span_id(s, self.span))


class DeleteSpan(RecordCommand):
    def __init__(self, ann: Annotation, record_id: int, span: Span, on_error: ErrorSink) -> None:
        super().__init__(ann, record_id, tr("Delete entity"), on_error)
        self.span = span  # kept whole: undo restores origin and confidence too

    def _do(self, s) -> None:  # noqa: ANN001
        repo.delete_span(s, self._span_id(s, self.span), expected_revision=self._read_revision(self.span))

    def _undo(self, s) -> None:  # noqa: ANN001
        repo.add_span(s, self.record_id, self.span, sheet=self.sheet)


class ChangeLabel(RecordCommand):
    def __init__(self, ann: Annotation, record_id: int, span: Span, label: str, on_error: ErrorSink) -> None:
        super().__init__(ann, record_id, tr("Change entity type"), on_error)
        self.span, self.label = span, label

    def _do(self, s) -> None:  # noqa: ANN001
        repo.change_span_label(s, self._span_id(s, self.span), self.label,
                               expected_revision=self._read_revision(self.span))

    def _undo(self, s) -> None:  # noqa: ANN001
        # restore the span exactly as it was (a model span gets its version and confidence back)
        repo.delete_span(s, self._span_id(s, self.span))
        repo.add_span(s, self.record_id, self.span, sheet=self.sheet)


class AcceptPrelabel(ChangeLabel):
    """The review loop's Enter: the model's span becomes the annotator's, same type. Undo shows the
    pre-label highlighted again through ``show``, so the annotator can decide anew where they were."""

    def __init__(self, ann: Annotation, record_id: int, span: Span, on_error: ErrorSink,
                 show: Callable[[Span], None]) -> None:
        super().__init__(ann, record_id, span, span.label, on_error)
        self.setText(tr("Accept pre-label"))
        self.reveal = show

    def undo(self) -> None:
        if self._run(self._undo):
            self.reveal(self.span)


class RejectPrelabel(DeleteSpan):
    """The review loop's Backspace: the model's span is deleted; undo restores and highlights it."""

    def __init__(self, ann: Annotation, record_id: int, span: Span, on_error: ErrorSink,
                 show: Callable[[Span], None]) -> None:
        super().__init__(ann, record_id, span, on_error)
        self.setText(tr("Reject pre-label"))
        self.reveal = show

    def undo(self) -> None:
        if self._run(self._undo):
            self.reveal(self.span)


class ReplaceSpans(RecordCommand):
    """The record's spans become ``new``: the BIO editor's edit, a selection labelled over the
    spans it replaces, a nested span that puts others into new layers."""

    def __init__(self, ann: Annotation, record_id: int, old: Sequence[Span], new: Sequence[Span],
                 on_error: ErrorSink, text: str | None = None) -> None:
        super().__init__(ann, record_id, text or tr("Edit BIO tags"), on_error)
        self.old, self.new = list(old), list(new)
        # the record as the desk read it: a gold write over spans someone changed since is refused
        self.revision = ann.record.revision if ann.record is not None and ann.record.id == record_id else None

    def _do(self, s) -> None:  # noqa: ANN001
        repo.replace_spans(s, self.record_id, self.new, sheet=self.sheet,
                           expected_record_revision=None if self._done_once or self.sheet else self.revision)

    def _undo(self, s) -> None:  # noqa: ANN001
        repo.replace_spans(s, self.record_id, self.old, sheet=self.sheet)


class SetStatus(RecordCommand):
    """The record's status; on the annotator's own sheet, the sheet's status instead. Marking a
    double-annotated record reviewed from a sheet would send its unadjudicated gold spans (the
    pre-labels) to training and export: only adjudication makes it reviewed."""

    def __init__(self, ann: Annotation, record_id: int, old: RecordStatus, new: RecordStatus,
                 on_error: ErrorSink) -> None:
        super().__init__(ann, record_id, tr("Mark as reviewed") if new == RecordStatus.REVIEWED
                         else tr("Change record status"), on_error)
        self.old, self.new = old, new
        if self.sheet:
            with ann.project.reading() as s:
                self.old = team.sheet_statuses(s, record_id).get(self.sheet, RecordStatus.NEW)

    def _write(self, s, status: RecordStatus) -> None:  # noqa: ANN001
        if self.sheet:
            team.set_sheet_status(s, self.record_id, self.sheet, status)
        else:
            repo.set_status(s, self.record_id, status)

    def _do(self, s) -> None:  # noqa: ANN001
        self._write(s, self.new)

    def _undo(self, s) -> None:  # noqa: ANN001
        self._write(s, self.old)


class _Swap(RecordCommand):
    """Base: the span ``old`` becomes ``new`` (same record); undo gives back ``old`` exactly, with its
    origin and confidence. Delete and add in one transaction: the span's row is re-created, which
    is how undo of every edit here works (spans are found by offsets and layer)."""

    def __init__(self, ann: Annotation, record_id: int, old: Span, new: Span, text: str,
                 on_error: ErrorSink) -> None:
        super().__init__(ann, record_id, text, on_error)
        self.old, self.new = old, new

    def _do(self, s) -> None:  # noqa: ANN001
        repo.delete_span(s, self._span_id(s, self.old), expected_revision=self._read_revision(self.old))
        repo.add_span(s, self.record_id, self.new, sheet=self.sheet)

    def _undo(self, s) -> None:  # noqa: ANN001
        repo.delete_span(s, self._span_id(s, self.new))
        repo.add_span(s, self.record_id, self.old, sheet=self.sheet)


class SetAssertion(_Swap):
    """A span's assertion status (present, absent, …): the span becomes the annotator's, as the
    core's ``set_span_assertion`` makes it; undo restores the model's proposal with its confidence."""

    def __init__(self, ann: Annotation, record_id: int, span: Span, status: str, on_error: ErrorSink) -> None:
        super().__init__(ann, record_id, span, by_annotator(replace(span, assertion=status)),
                         tr("Set assertion status"), on_error)

    def _do(self, s) -> None:  # noqa: ANN001
        repo.set_span_assertion(s, self._span_id(s, self.old), self.new.assertion,
                                expected_revision=self._read_revision(self.old))


class MoveSpan(_Swap):
    """A span's start or end moved (a key or a drag): one edit, saved at once. The span becomes
    the annotator's: a person fixed the model's boundary. The core refuses an overlap in its layer."""

    def __init__(self, ann: Annotation, record_id: int, span: Span, start: int, end: int,
                 on_error: ErrorSink) -> None:
        super().__init__(ann, record_id, span, by_annotator(replace(span, start=start, end=end)),
                         tr("Move entity boundary"), on_error)
