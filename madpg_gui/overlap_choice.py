"""Labelling a selection that overlaps existing spans: a small menu at the selection offers to
**replace** them (the new span takes their place) or to **add it nested** (into the lowest layer
where it fits; a span added around others becomes the outer one), or to cancel (Esc). Each choice
is one undo command, saved at once.

The menu is a popup, not a modal loop: the text pane stays as it is behind it, and nothing is
changed until a choice is made (keys: ↑/↓ and Enter, or the underlined letters R and N).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QPoint
from PySide6.QtWidgets import QMenu, QWidget

from madpg_core.domain import Record, Span
from madpg_gui import commands
from madpg_gui.i18n import tr, type_name
from madpg_gui.nesting import nested_layout, overlapping, replaced_layout

if TYPE_CHECKING:
    from madpg_gui.editing import EditingHost, SpanEditor

SHOWN_SPANS = 3  # spans named in the menu's first entry; the rest counted


class OverlapChooser(QObject):
    def __init__(self, editor: SpanEditor) -> None:
        super().__init__(editor)
        self.editor = editor
        self.w: EditingHost = editor.w
        self.menu: QMenu | None = None
        self._pending: tuple[Record, Span] | None = None

    def offer(self, span: Span, at: QPoint | None = None) -> None:
        """Ask what to do with ``span``, which overlaps spans of the shown record."""
        rec = self.w.ann.record
        crossed = overlapping(rec.spans, span.start, span.end)
        self.close()
        self._pending = (rec, span)
        names = [f"{type_name(sp.label, self.w.ann.schema)} «{sp.text_in(rec.text)}»" for sp in crossed]
        listed = ", ".join(names[:SHOWN_SPANS]) + (f" (+{len(names) - SHOWN_SPANS})" if len(names) > SHOWN_SPANS else "")
        placed, _ = nested_layout(rec.spans, span)
        menu = QMenu(self.w if isinstance(self.w, QWidget) else None)
        menu.addAction(tr("&Replace {spans}").format(spans=listed), self.replace)
        menu.addAction(tr("Add as &nested entity (layer {n})").format(n=placed.layer), self.nest)
        menu.addSeparator()
        menu.addAction(tr("Cancel"), self.close)
        self.menu = menu
        self.w.message(tr("«{text}» overlaps {spans}: replace, add as nested, or Esc").format(
            text=span.text_in(rec.text), spans=listed))
        view = self.w.text
        if at is None:
            box = view.cursorRect()
            at = view.viewport().mapToGlobal(box.bottomRight())
        menu.popup(at)
        menu.setActiveAction(menu.actions()[0])

    def _take(self) -> tuple[Record, Span] | None:
        """The pending choice, if the record is still the one it was made on."""
        pending, self._pending = self._pending, None
        ann = self.w.ann
        if pending is None or ann is None or ann.record is not pending[0]:
            if pending is not None:
                self.w.message(tr("The record changed meanwhile; select the characters and label them again."))
            return None
        return pending

    def replace(self) -> None:
        """The new span replaces every span it overlaps (one command; undo brings them back)."""
        pending = self._take()
        if pending is None:
            return
        rec, span = pending
        new = replaced_layout(rec.spans, commands.by_annotator(span))
        cmd = commands.ReplaceSpans(self.w.ann, rec.id, rec.spans, new, self.w.message, tr("Replace entities"))
        self._push(cmd, span)

    def nest(self) -> None:
        """Add the new span in the lowest layer where it fits (others may move a layer up so that
        layer 0 stays the outermost)."""
        pending = self._take()
        if pending is None:
            return
        rec, span = pending
        placed, relayered = nested_layout(rec.spans, commands.by_annotator(span))
        if relayered is None:
            cmd = commands.AddSpan(self.w.ann, rec.id, placed, self.w.message, tr("Add nested entity"))
        else:
            cmd = commands.ReplaceSpans(self.w.ann, rec.id, rec.spans, relayered, self.w.message,
                                        tr("Add nested entity"))
        self._push(cmd, span)

    def _push(self, cmd: commands.RecordCommand, span: Span) -> None:
        self.w.undo.push(cmd)
        if cmd.done:
            ann = self.w.ann
            self.editor.select(next((sp for sp in ann.record.spans if (sp.start, sp.end, sp.label)
                                     == (span.start, span.end, span.label)), None))

    def close(self) -> None:
        """Drop the question (Cancel, Esc, another record shown)."""
        self._pending = None
        if self.menu is not None:
            self.menu.close()
            self.menu.deleteLater()
            self.menu = None
