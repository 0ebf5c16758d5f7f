"""Boundary editing (issue 16 item 3): with a span current, Shift+←/→ move its start and
Ctrl+Shift+←/→ its end; dragging an edge in the text does the same. Each move is one undo step,
saved at once; an empty span or an overlap in its layer is refused with a message. Without a
current span, Shift+arrows select text as before."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt

from madpg_core.domain import LabelSchema, Record, Span, SpanSource
from madpg_core.storage import repo
from madpg_core.storage.project import Project
from madpg_gui import settings
from madpg_gui.main_window import MainWindow

TEXT = "反复胸闷气促3年，右下肺感染。"
S, C = Qt.KeyboardModifier.ShiftModifier, Qt.KeyboardModifier.ControlModifier
LEFT, RIGHT = Qt.Key.Key_Left, Qt.Key.Key_Right


def at(word: str) -> tuple[int, int]:
    return TEXT.index(word), TEXT.index(word) + len(word)


def stored(folder: Path) -> dict[tuple[int, int, int], str]:
    with Project.open(folder, read_only=True) as p, p.reading() as s:
        rec = repo.get_record(s, repo.record_ids(s)[0])
        return {(sp.start, sp.end, sp.layer): f"{sp.label}/{sp.source.value}" for sp in rec.spans}


@pytest.fixture
def desk(qtbot, tmp_path: Path) -> tuple[MainWindow, Path]:  # noqa: ANN001
    """胸闷 (Symptom, a model span) next to 气促 (Symptom); 右下肺感染 holding 右下肺 in layer 1."""
    folder = tmp_path / "desk"
    p = Project.create(folder, LabelSchema.default())
    spans = (Span(*at("胸闷"), "Symptom", SpanSource.MODEL, "v1", 0.8), Span(*at("气促"), "Symptom"),
             Span(*at("右下肺感染"), "Disease"), Span(*at("右下肺"), "Organ", layer=1))
    with p.transaction() as s:
        repo.add_record(s, Record(TEXT, spans, name="r1"))
    p.close()
    w = MainWindow(settings.Preferences(language="en"))
    qtbot.addWidget(w)
    w.show()
    assert w.open_project(folder)
    w.text.setFocus()
    yield w, folder
    if w.project is not None:
        w.close()


def test_keys_move_the_start_and_the_end_one_undo_step_each(qtbot, desk: tuple[MainWindow, Path]) -> None:  # noqa: ANN001
    w, folder = desk
    a, b = at("胸闷")
    w.editor.span_clicked(w.ann.span_exactly(a, b))
    qtbot.keyClick(w.text, LEFT, S)  # start one left: 复胸闷
    assert stored(folder)[(a - 1, b, 0)] == "Symptom/annotator"  # saved at once; a person's boundary now
    assert (a, b, 0) not in stored(folder)
    assert (w.text.current_span.start, w.text.current_span.end) == (a - 1, b)  # still current: keys go on
    qtbot.keyClick(w.text, LEFT, S)
    qtbot.keyClick(w.text, RIGHT, S)  # start back one
    assert (a - 1, b, 0) in stored(folder)
    w.text.select_span(w.ann.span_exactly(a - 1, b))
    qtbot.keyClick(w.text, LEFT, S | C)  # end one left: 复胸
    assert (a - 1, b - 1, 0) in stored(folder)
    assert w.undo.count() == 4 and w.text.selection_range() is None  # no text was selected on the way
    for _ in range(4):
        w.undo.undo()
    assert stored(folder)[(a, b, 0)] == "Symptom/model"  # the model's span, as it was
    assert w.ann.span_exactly(a, b).confidence == 0.8
    w.undo.redo()
    assert (a - 1, b, 0) in stored(folder)


def test_refused_moves_leave_everything_as_it_was(qtbot, desk: tuple[MainWindow, Path]) -> None:  # noqa: ANN001
    w, folder = desk
    before = stored(folder)
    a, b = at("胸闷")
    w.editor.span_clicked(w.ann.span_exactly(a, b))
    qtbot.keyClick(w.text, RIGHT, S | C)  # end onto 气促 (same layer)
    assert "overlap" in w.statusBar().currentMessage() and "气促" in w.statusBar().currentMessage()
    w.text.select_span(w.ann.span_exactly(a, b))
    qtbot.keyClick(w.text, RIGHT, S)  # start one right: 闷
    qtbot.keyClick(w.text, RIGHT, S)  # would leave nothing
    assert "cannot be empty" in w.statusBar().currentMessage()
    assert w.undo.count() == 1 and (a + 1, b, 0) in stored(folder)
    w.undo.undo()
    assert stored(folder) == before
    # a nested span may reach past its outer span's edge: other layers do not count
    o, e = at("右下肺")
    w.editor.span_clicked(w.ann.span_exactly(o, e, layer=1))
    w.text.select_span(w.ann.span_exactly(o, e, layer=1))
    for _ in range(3):
        qtbot.keyClick(w.text, RIGHT, S | C)
    assert (o, e + 3, 1) in stored(folder)  # 右下肺感染。 crosses the Disease's end
    qtbot.keyClick(w.text, RIGHT, S | C)
    assert "past the text" in w.statusBar().currentMessage()


def test_without_a_current_span_shift_arrows_select_text(qtbot, desk: tuple[MainWindow, Path]) -> None:  # noqa: ANN001
    w, folder = desk
    before = stored(folder)
    w.text.select_range(0, 0)
    for _ in range(3):
        qtbot.keyClick(w.text, RIGHT, S)
    assert w.text.selection_range() == (0, 3) and stored(folder) == before
    # with a span current but the cursor moved off its edges, they select too
    a, b = at("气促")
    w.editor.span_clicked(w.ann.span_exactly(a, b))
    qtbot.keyClick(w.text, RIGHT)
    qtbot.keyClick(w.text, RIGHT, S)
    assert w.text.selection_range() == (b + 1, b + 2) and stored(folder) == before
    # Esc lets the current span go: then the keys select from where the cursor is
    w.editor.span_clicked(w.ann.span_exactly(a, b))
    qtbot.keyClick(w.text, Qt.Key.Key_Escape)
    assert w.text.current_span is None
    qtbot.keyClick(w.text, LEFT, S)
    assert w.text.selection_range() == (b - 1, b) and stored(folder) == before


def edge_point(w: MainWindow, pos: int, side: str) -> QPoint:
    """The pixel on the left (side "start") or right ("end") edge of character ``pos``."""
    box = w.text.char_box(w.text.to_qt(pos))
    return QPoint(box.left() + 1 if side == "start" else box.right(), box.center().y())


def test_dragging_an_edge_moves_it(qtbot, desk: tuple[MainWindow, Path]) -> None:  # noqa: ANN001
    w, folder = desk
    a, b = at("气促")
    view = w.text.viewport()
    qtbot.mouseMove(view, edge_point(w, b - 1, "end"))
    assert view.cursor().shape() == Qt.CursorShape.IBeamCursor  # not the current span: no handle
    w.editor.span_clicked(w.ann.span_exactly(a, b))
    qtbot.mouseMove(view, edge_point(w, b - 1, "end") + QPoint(0, 1))
    assert view.cursor().shape() == Qt.CursorShape.SizeHorCursor  # the resize arrow over its edge
    qtbot.mouseMove(view, w.text.char_box(w.text.to_qt(a)).center() + QPoint(1, 0))
    assert view.cursor().shape() == Qt.CursorShape.IBeamCursor
    # drag the end two characters right: 气促3年
    qtbot.mousePress(view, Qt.MouseButton.LeftButton, pos=edge_point(w, b - 1, "end"))
    target = w.text.char_box(w.text.to_qt(b + 2))
    qtbot.mouseMove(view, QPoint(target.left(), target.center().y()))
    assert w.text.dragger.drag is not None and (w.text.dragger.drag.start, w.text.dragger.drag.end) == (a, b + 2)
    qtbot.mouseRelease(view, Qt.MouseButton.LeftButton, pos=QPoint(target.left(), target.center().y()))
    assert (a, b + 2, 0) in stored(folder) and (a, b, 0) not in stored(folder)
    assert w.text.selection_range() is None and w.undo.count() == 1  # a drag, not a text selection
    w.undo.undo()
    assert (a, b, 0) in stored(folder)
    # the start edge dragged onto 胸闷: refused with a message
    c = at("胸闷")[0]
    w.editor.span_clicked(w.ann.span_exactly(a, b))
    qtbot.mousePress(view, Qt.MouseButton.LeftButton, pos=edge_point(w, a, "start"))
    drop = w.text.char_box(w.text.to_qt(c + 1))
    qtbot.mouseMove(view, QPoint(drop.left(), drop.center().y()))
    qtbot.mouseRelease(view, Qt.MouseButton.LeftButton, pos=QPoint(drop.left(), drop.center().y()))
    assert "overlap" in w.statusBar().currentMessage()
    assert (a, b, 0) in stored(folder) and w.undo.count() == 1


def test_a_press_on_another_spans_edge_selects_text(qtbot, desk: tuple[MainWindow, Path]) -> None:  # noqa: ANN001
    """To label 胸闷气促 across two spans, the press at 胸闷's start begins a selection, not a drag."""
    w, _ = desk
    a, b = at("胸闷气促")
    w.editor.span_clicked(w.ann.span_exactly(*at("右下肺感染")))  # another span is current
    view = w.text.viewport()
    qtbot.mousePress(view, Qt.MouseButton.LeftButton, pos=edge_point(w, a, "start"))
    assert w.text.dragger.drag is None
    end = edge_point(w, b - 1, "end")
    qtbot.mouseMove(view, end)
    qtbot.mouseRelease(view, Qt.MouseButton.LeftButton, pos=end)
    assert w.text.selection_range() == (a, b)
