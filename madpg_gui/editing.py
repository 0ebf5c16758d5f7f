"""Span editing at the desk: labelling a selection, changing a type, deleting, the context menu,
BIO-tag edits and the keyboard review of pre-labels (Tab / Shift+Tab to the next / previous one,
Enter accepts, Backspace rejects). Every change is an undo command (commands.py); this class only
turns intents from the text view, the palette and the tables into commands. Its parts: assertion
statuses (assertion_editing.py), boundary moves (boundary.py), and the question a selection over
existing spans asks — replace them or nest (overlap_choice.py).

Composed into the main window and knowing it only as ``EditingHost`` (no import of main_window.py).
"""

from __future__ import annotations

from typing import Protocol

from PySide6.QtCore import QObject, QPoint
from PySide6.QtGui import QAction, QKeySequence, QUndoStack
from PySide6.QtWidgets import QLabel, QMenu, QStatusBar

from madpg_core.domain import (
    Record,
    RecordStatus,
    Span,
    SpanSource,
    bio_to_spans,
    spans_to_bio,
)
from madpg_core.errors import MadpgError
from madpg_gui import commands
from madpg_gui.annotation import Annotation
from madpg_gui.assertion_editing import AssertionEditor
from madpg_gui.boundary import BoundaryEditor
from madpg_gui.i18n import tr, trn, type_name
from madpg_gui.overlap_choice import OverlapChooser
from madpg_gui.widgets.tables import EntityTable
from madpg_gui.widgets.text_view import SpanTextView


class EditingHost(Protocol):
    ann: Annotation | None
    text: SpanTextView
    entities: EntityTable
    undo: QUndoStack

    def message(self, text: str) -> None: ...

    def statusBar(self) -> QStatusBar: ...  # noqa: N802


def key_name(keys: str) -> str:
    """A key as the menus write it on this platform (e.g. "Ctrl+Return")."""
    return QKeySequence(keys).toString(QKeySequence.SequenceFormat.NativeText)


ACCEPT_RECORD_KEYS = "Ctrl+Return"  # the main window's "Accept as reviewed and next"


def review_keys_tip() -> str:
    return tr("Review the pre-labels with the keyboard: Tab / Shift+Tab next / previous, Enter accepts, "
              "Backspace rejects, 1–9 change the type; {key} accepts the record and opens the next"
              ).format(key=key_name(ACCEPT_RECORD_KEYS))


class SpanEditor(QObject):
    def __init__(self, window: EditingHost) -> None:
        super().__init__(window if isinstance(window, QObject) else None)
        self.w = window
        # The review loop is wired here, not in the window: the text view's keys become editor
        # intents, and the count of pre-labels left sits in the status bar beside the offset.
        self.left_label = QLabel()
        self.left_label.setToolTip(review_keys_tip())
        window.statusBar().addPermanentWidget(self.left_label)
        text = window.text
        text.nextPrelabelRequested.connect(self.next_prelabel)
        text.acceptRequested.connect(self.accept)
        text.rejectRequested.connect(self.reject)
        text.spansShown.connect(self._count_prelabels)
        self.assertions = AssertionEditor(self)
        self.boundaries = BoundaryEditor(self)
        self.overlap = OverlapChooser(self)
        text.spansShown.connect(lambda _r: self.overlap.close())  # its question was about other spans

    def label_key(self, key: str) -> None:
        if self.w.ann is None:
            return
        t = next((t for t in self.w.ann.schema.types if t.key == key), None)
        if t is None:
            self.w.message(tr("No entity type has the key {key}").format(key=key))
        else:
            self.apply_label(t.name)

    def apply_label(self, label: str) -> None:
        """Label the selected characters, or change the type of the span under the cursor."""
        ann = self.w.ann
        if ann is None or ann.record is None:
            return
        rec, sel = ann.record, self.w.text.selection_range()
        if sel is not None:
            a, b = sel
            while a < b and rec.text[a].isspace():
                a += 1
            while b > a and rec.text[b - 1].isspace():
                b -= 1
            if a >= b:
                self.w.message(tr("The selection holds only spaces"))
                return
            same = ann.span_exactly(a, b)
            if same is not None:
                self.change_label(same, label)
                return
            span = Span(a, b, label)
            if any(sp.overlaps(span) for sp in rec.spans):
                self.overlap.offer(span)  # replace them, or add it nested: the annotator says
                return
            try:
                ann.check_new(span)
            except MadpgError as e:
                self.w.message(str(e))
                return
            self.w.undo.push(commands.AddSpan(ann, rec.id, span, self.w.message))
            self.select(ann.span_exactly(a, b))
            return
        span = self.w.text.current_span or ann.span_at(self.w.text.cursor_offset())
        if span is None:
            self.w.message(tr("Select characters first, then press a digit key or a label button"))
        else:
            self.change_label(span, label)

    def change_label(self, span: Span, label: str) -> None:
        if span.label == label and span.source.value == "annotator":
            return
        self.w.undo.push(commands.ChangeLabel(self.w.ann, self.w.ann.record_id, span, label, self.w.message))
        self.select(self.w.ann.span_exactly(span.start, span.end, span.layer))

    def delete_span(self) -> None:
        ann = self.w.ann
        if ann is None or ann.record is None:
            return
        sel = self.w.text.selection_range()
        span = (ann.span_exactly(*sel) if sel else None) or self.w.text.current_span \
            or ann.span_at(sel[0] if sel else self.w.text.cursor_offset())
        if span is None:
            self.w.message(tr("No entity under the cursor"))
            return
        self.w.undo.push(commands.DeleteSpan(ann, ann.record_id, span, self.w.message))
        self.select(None)

    def select(self, span: Span | None) -> None:
        self.w.text.select_span(span)
        self.w.entities.select_span(span)

    def span_clicked(self, span: Span | None) -> None:
        """A click on a span (the innermost, or the next one out on a second click), or on plain
        text (None: the current span is let go)."""
        self.select(span)
        ann = self.w.ann
        if span is not None and ann is not None and ann.record is not None and len(ann.spans_at(span.start)) > 1:
            self.w.message(tr("{type} «{text}», layer {n}; click it again or press {key} for the entity around it")
                           .format(type=type_name(span.label, ann.schema), text=span.text_in(ann.record.text),
                                   n=span.layer, key=key_name("Alt+Up")))

    def span_from_table(self, span: Span) -> None:
        self.w.text.select_span(span)

    def context_menu(self, span: Span | None, pos: QPoint) -> None:
        menu = self.build_context_menu(span)
        if menu is not None:
            menu.exec(pos)

    def build_context_menu(self, span: Span | None) -> QMenu | None:
        """The text pane's context menu for ``span`` (None: for the selection, if any)."""
        if self.w.ann is None or self.w.ann.record is None:
            return None
        menu = QMenu(self.w)
        if span is not None:
            self.select(span)
            sub = menu.addMenu(tr("Change type"))
            for t in self.w.ann.schema.types:
                a = sub.addAction(type_name(t), lambda n=t.name: self.apply_label(n))
                a.setCheckable(True)
                a.setChecked(t.name == span.label)
            self.assertions.fill_menu(menu.addMenu(tr("Assertion status")), span)
            enclosing = [sp for sp in self.w.ann.spans_at(span.start) if sp != span]
            if enclosing:  # nested: the others at this place, to reach them without a second click
                other = menu.addMenu(tr("Other entities here"))
                for sp in enclosing:
                    other.addAction(f"{type_name(sp.label, self.w.ann.schema)} «{sp.text_in(self.w.ann.record.text)}»",
                                    lambda s=sp: self.select(s))
            self.w.regions.fill_span_menu(menu, span)  # link to a region, "not visible in the images"
            menu.addAction(tr("Delete entity"), self.delete_span)
        elif self.w.text.selection_range():
            sub = menu.addMenu(tr("Label as"))
            for t in self.w.ann.schema.types:
                sub.addAction(type_name(t), lambda n=t.name: self.apply_label(n))
        else:
            menu.addAction(tr("Select characters to create an entity")).setEnabled(False)
        return menu

    def tag_edited(self, row: int, tag: str) -> None:
        rec = self.w.ann.record if self.w.ann else None
        if rec is None:
            return
        tags = spans_to_bio(rec.text, rec.spans)
        tags[row] = tag
        warnings: list[str] = []
        new = bio_to_spans(tags, on_warning=warnings.append)
        # The BIO column shows layer 0 only: its edit rebuilds that layer and leaves the nested ones be.
        old_by_key = {(s.start, s.end, s.label): s for s in rec.spans if s.layer == 0}
        new = [old_by_key.get((s.start, s.end, s.label), s) for s in new]  # unchanged spans keep their origin
        new += [s for s in rec.spans if s.layer != 0]
        self.w.undo.push(commands.ReplaceSpans(self.w.ann, rec.id, rec.spans, new, self.w.message))
        if warnings:
            self.w.message("; ".join(warnings))

    # ---------------------------------------------------------------- reviewing pre-labels

    def add_menu_actions(self, menu: QMenu) -> list[QAction]:
        """The review keys as menu entries. The keys show beside the text ("\\t") but are not
        registered as shortcuts: as window shortcuts, Enter, Tab and Backspace would be taken from
        every dialog, list and search field; the text view handles them itself."""
        entries = [(tr("Next pre-label"), "Tab", lambda: self.next_prelabel(1)),
                   (tr("Previous pre-label"), "Shift+Tab", lambda: self.next_prelabel(-1)),
                   (tr("Accept pre-label"), "Return", self.accept),
                   (tr("Reject pre-label"), "Backspace", self.reject)]
        actions = []
        for text, keys, slot in entries:
            a = QAction(f"{text}\t{key_name(keys)}", menu)
            a.setStatusTip(review_keys_tip())
            a.triggered.connect(slot)
            menu.addAction(a)
            actions.append(a)
        return actions

    def prelabels(self) -> list[Span]:
        """The shown record's pre-labels not yet reviewed (model spans), in text order."""
        rec = self.w.ann.record if self.w.ann else None
        return [sp for sp in rec.spans if sp.source == SpanSource.MODEL] if rec else []

    def next_prelabel(self, step: int = 1) -> None:
        """Highlight the next (step 1) or previous (-1) pre-label after the highlighted span, or after
        the cursor; past the last one it wraps to the first (and back), saying so."""
        if self.w.ann is None or self.w.ann.record is None:
            return
        todo = self.prelabels()
        if not todo:
            self._none_left()
            return
        cur = self.w.text.current_span
        pos = cur.start if cur else self.w.text.cursor_offset()
        if step > 0:  # with no highlight, a pre-label starting at the cursor is the next one
            ahead = [sp for sp in todo if sp.start > pos or (cur is None and sp.start == pos)]
            target, wrapped = (ahead[0], False) if ahead else (todo[0], True)
        else:
            behind = [sp for sp in todo if sp.start < pos]
            target, wrapped = (behind[-1], False) if behind else (todo[-1], True)
        self.select(target)
        if len(todo) == 1 and target == cur:
            self.w.message(tr("This is the only pre-label left"))
        elif wrapped:
            self.w.message(tr("Back to the first pre-label") if step > 0 else tr("Back to the last pre-label"))
        else:
            self.w.message(self._describe(target))

    def accept(self) -> None:
        """Enter: the highlighted pre-label becomes the annotator's (same type), then the next one is
        highlighted. With no pre-label highlighted (none yet, or one whose type a digit key just
        corrected), Enter goes on to the next pre-label."""
        ann = self.w.ann
        if ann is None or ann.record is None:
            return
        span = self.w.text.current_span
        if span is None or span.source != SpanSource.MODEL:
            self.next_prelabel(1)
            return
        if self._push(commands.AcceptPrelabel(ann, ann.record_id, span, self.w.message, self._show)):
            self._after_review(span.start)

    def reject(self) -> None:
        """Backspace: the highlighted pre-label is deleted and the next one highlighted; on anything
        else Backspace deletes as Delete does."""
        ann = self.w.ann
        if ann is None or ann.record is None:
            return
        span = self.w.text.current_span
        if span is None or span.source != SpanSource.MODEL:
            self.delete_span()
            return
        if self._push(commands.RejectPrelabel(ann, ann.record_id, span, self.w.message, self._show)):
            self._after_review(span.start)

    def _push(self, cmd: commands.RecordCommand) -> bool:
        """Push ``cmd``; False when it was refused, so that the refusal's message stays on screen
        instead of being replaced by the next step's. (The stack drops a refused command; its
        Python side still tells whether it ran.)"""
        self.w.undo.push(cmd)
        return cmd.done

    def _after_review(self, pos: int) -> None:
        todo = self.prelabels()
        if not todo:
            self.select(None)
            self._none_left()
            return
        target = next((sp for sp in todo if sp.start > pos), todo[0])
        self.select(target)
        self.w.message(self._describe(target))

    def _describe(self, span: Span) -> str:
        """The highlighted pre-label in the status bar (the count left sits beside it already)."""
        text = f"{type_name(span.label, self.w.ann.schema)} «{span.text_in(self.w.ann.record.text)}»"
        if span.confidence is not None:
            text += " · " + tr("model confidence {c}").format(c=f"{span.confidence:.2f}")
        return text

    def _none_left(self) -> None:
        self.w.message(tr("No pre-labels left in this record; {key} accepts it and opens the next")
                       .format(key=key_name(ACCEPT_RECORD_KEYS)))

    def _show(self, span: Span) -> None:
        """Undo of an accept or reject: highlight the pre-label it brought back."""
        ann = self.w.ann
        if ann is not None and ann.record is not None:
            self.select(ann.span_exactly(span.start, span.end, span.layer))

    def _count_prelabels(self, record: Record | None) -> None:
        n = sum(sp.source == SpanSource.MODEL for sp in record.spans) if record else 0
        if n:
            self.left_label.setText(trn("{n} pre-label left", "{n} pre-labels left", n))
        elif record is not None and record.status == RecordStatus.PRELABELLED:
            self.left_label.setText(tr("No pre-labels left"))
        else:
            self.left_label.setText("")
