"""Span editing at the desk: labelling a selection, changing a type, deleting, the context menu and
BIO-tag edits. Every change is an undo command (commands.py); this class only turns intents from
the text view, the palette and the tables into commands.

Composed into the main window and knowing it only as ``EditingHost`` (no import of main_window.py).
"""

from __future__ import annotations

from typing import Protocol

from PySide6.QtCore import QObject, QPoint
from PySide6.QtGui import QUndoStack
from PySide6.QtWidgets import QMenu

from madpg_core.domain import Span, bio_to_spans, spans_to_bio
from madpg_core.errors import MadpgError
from madpg_gui import commands
from madpg_gui.annotation import Annotation
from madpg_gui.i18n import tr
from madpg_gui.widgets.tables import EntityTable
from madpg_gui.widgets.text_view import SpanTextView


class EditingHost(Protocol):
    ann: Annotation | None
    text: SpanTextView
    entities: EntityTable
    undo: QUndoStack

    def message(self, text: str) -> None: ...


class SpanEditor(QObject):
    def __init__(self, window: EditingHost) -> None:
        super().__init__(window if isinstance(window, QObject) else None)
        self.w = window

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
        self.select(self.w.ann.span_exactly(span.start, span.end))

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

    def span_clicked(self, span: Span) -> None:
        self.select(span)

    def span_from_table(self, span: Span) -> None:
        self.w.text.select_span(span)

    def context_menu(self, span: Span | None, pos: QPoint) -> None:
        if self.w.ann is None or self.w.ann.record is None:
            return
        menu = QMenu(self.w)
        if span is not None:
            self.select(span)
            sub = menu.addMenu(tr("Change type"))
            for t in self.w.ann.schema.types:
                a = sub.addAction(t.name, lambda n=t.name: self.apply_label(n))
                a.setCheckable(True)
                a.setChecked(t.name == span.label)
            menu.addAction(tr("Delete entity"), self.delete_span)
        elif self.w.text.selection_range():
            sub = menu.addMenu(tr("Label as"))
            for t in self.w.ann.schema.types:
                sub.addAction(t.name, lambda n=t.name: self.apply_label(n))
        else:
            menu.addAction(tr("Select characters to create an entity")).setEnabled(False)
        menu.exec(pos)

    def tag_edited(self, row: int, tag: str) -> None:
        rec = self.w.ann.record if self.w.ann else None
        if rec is None:
            return
        tags = spans_to_bio(rec.text, rec.spans)
        tags[row] = tag
        warnings: list[str] = []
        new = bio_to_spans(tags, on_warning=warnings.append)
        old_by_key = {(s.start, s.end, s.label): s for s in rec.spans}
        new = [old_by_key.get((s.start, s.end, s.label), s) for s in new]  # unchanged spans keep their origin
        self.w.undo.push(commands.ReplaceSpans(self.w.ann, rec.id, rec.spans, new, self.w.message))
        if warnings:
            self.w.message("; ".join(warnings))
