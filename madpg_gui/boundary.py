"""Boundary editing: a span's start or end moved by keys (Shift+←/→ its start, Ctrl+Shift+←/→ its
end, on the current span) or by dragging its edge in the text pane. Each move is one undo command
(commands.MoveSpan), saved at once; a move that would empty the span, leave the text or overlap a
span of its own layer is refused with a message, and nothing changes.

Composed into the span editor (editing.py); knows the window only as ``EditingHost``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject

from madpg_core.domain import Span
from madpg_core.errors import MadpgError
from madpg_gui import commands
from madpg_gui.i18n import tr, type_name

if TYPE_CHECKING:
    from madpg_gui.editing import EditingHost, SpanEditor


class BoundaryEditor(QObject):
    def __init__(self, editor: SpanEditor) -> None:
        super().__init__(editor)
        self.editor = editor
        self.w: EditingHost = editor.w
        self.w.text.edgeMoveRequested.connect(self.move_edge)
        self.w.text.edgeDragged.connect(self.move)

    def move_edge(self, edge: str, step: int) -> None:
        """Move the current span's ``edge`` ("start" or "end") by ``step`` characters."""
        span = self.w.text.current_span
        if span is None or self.w.ann is None:
            return
        if edge == "start":
            self.move(span, span.start + step, span.end)
        else:
            self.move(span, span.start, span.end + step)

    def move(self, span: Span, start: int, end: int) -> bool:
        """Give ``span`` the range [start, end); False (and a message) when refused."""
        ann = self.w.ann
        if ann is None or ann.record is None or span not in ann.record.spans:
            return False
        problem = self._problem(span, start, end)
        if problem:
            self.w.message(problem)
            return False
        cmd = commands.MoveSpan(ann, ann.record_id, span, start, end, self.w.message)
        self.w.undo.push(cmd)
        if cmd.done:
            self.editor.select(ann.span_exactly(start, end, span.layer))
            self.w.message(tr("{type} «{text}» now {start}–{end}").format(
                type=type_name(span.label, ann.schema), text=ann.record.text[start:end], start=start, end=end))
        return cmd.done

    def _problem(self, span: Span, start: int, end: int) -> str:
        """Why the move cannot be made, in the user's language ("" when it can)."""
        ann = self.w.ann
        text = ann.record.text
        if start >= end:
            return tr("An entity cannot be empty: its start must stay before its end.")
        if start < 0 or end > len(text):
            return tr("An entity cannot reach past the text.")
        moved = Span(start, end, span.label, layer=span.layer)
        clash = next((sp for sp in ann.record.spans if sp.layer == span.layer and sp != span
                      and sp.overlaps(moved)), None)
        if clash is not None:
            return tr("Not moved: it would overlap {type} «{text}» in the same layer.").format(
                type=type_name(clash.label, ann.schema), text=clash.text_in(text))
        try:
            ann.check_new(moved, replacing=span)
        except MadpgError as e:  # a rule the check above does not know: the core's words
            return str(e)
        return ""
