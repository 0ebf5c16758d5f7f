"""Assertion status at the desk (issue 16 item 1): Alt+digit and the context menu set it, one undo
step each, saved at once; the text marks it; the project's offered statuses are edited with the
core's refusals surfaced; the tooltip of a model span says why the detector proposed its status."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QColor, QKeySequence
from PySide6.QtWidgets import QMessageBox

from madpg_core.domain import ASSERTION_STATUSES, LabelSchema, Record, Span, SpanSource
from madpg_core.storage import repo
from madpg_core.storage.project import Project
from madpg_gui import settings
from madpg_gui.dialogs.statuses import StatusesDialog
from madpg_gui.main_window import MainWindow
from madpg_gui.span_marks import status_label, status_mark

TEXT = "患者否认高血压、糖尿病史，考虑肺炎可能。咳嗽3天。"


def stored(folder: Path) -> dict[tuple[int, int], tuple[str, str, int]]:
    """(start, end) → (assertion, source, layer) of the first record, read through a fresh connection."""
    with Project.open(folder, read_only=True) as p, p.reading() as s:
        rec = repo.get_record(s, repo.record_ids(s)[0])
        return {(sp.start, sp.end): (sp.assertion, sp.source.value, sp.layer) for sp in rec.spans}


def at(word: str) -> tuple[int, int]:
    return TEXT.index(word), TEXT.index(word) + len(word)


@pytest.fixture
def clinic(qtbot, tmp_path: Path) -> tuple[MainWindow, Path]:  # noqa: ANN001
    """高血压 a model span proposed absent (with a confidence), 肺炎 and 咳嗽 the annotator's."""
    folder = tmp_path / "clinic"
    p = Project.create(folder, LabelSchema.default())
    spans = (Span(*at("高血压"), "Disease", SpanSource.MODEL, "v1", 0.9, assertion="absent"),
             Span(*at("肺炎"), "Disease"), Span(*at("咳嗽"), "Symptom"))
    with p.transaction() as s:
        repo.add_record(s, Record(TEXT, spans, name="r1"))
    p.close()
    w = MainWindow(settings.Preferences(language="en"))
    qtbot.addWidget(w)
    w.show()
    assert w.open_project(folder)
    yield w, folder
    if w.project is not None:
        w.close()


def test_every_status_by_its_alt_key_then_undo_and_redo(qtbot, clinic: tuple[MainWindow, Path]) -> None:  # noqa: ANN001
    w, folder = clinic
    span = w.ann.span_at(TEXT.index("肺炎"))
    w.editor.span_clicked(span)
    w.text.setFocus()
    assert w.ann.statuses == ASSERTION_STATUSES  # every status offered in a new project, present first
    for n, status in reversed(list(enumerate(ASSERTION_STATUSES, 1))):  # ends on Alt+1, present
        qtbot.keyClick(w.text, getattr(Qt.Key, f"Key_{n}"), Qt.KeyboardModifier.AltModifier)
        assert stored(folder)[at("肺炎")][0] == status
        assert w.text.current_span.assertion == status  # the span stays current after each change
    assert w.undo.count() == 6  # one undo step per change
    qtbot.keyClick(w.text, Qt.Key.Key_1, Qt.KeyboardModifier.AltModifier)
    assert w.undo.count() == 6  # present again on an annotator's present span: no change, no step
    w.undo.undo()
    assert stored(folder)[at("肺炎")][0] == "absent"
    for _ in range(4):
        w.undo.undo()
    assert stored(folder)[at("肺炎")][0] == "family"  # the first key given, Alt+6
    w.undo.undo()
    assert stored(folder)[at("肺炎")][0] == "present"
    w.undo.redo()
    assert stored(folder)[at("肺炎")][0] == "family"


def test_no_window_shortcut_takes_alt_digits(clinic: tuple[MainWindow, Path]) -> None:
    w, _ = clinic
    taken = {k.toString() for a in w.findChildren(QAction) for k in a.shortcuts()}
    assert not taken & {QKeySequence(f"Alt+{n}").toString() for n in range(1, 10)}


def test_the_context_menu_sets_a_status_and_a_model_span_comes_back_on_undo(
        qtbot, clinic: tuple[MainWindow, Path]) -> None:  # noqa: ANN001
    w, folder = clinic
    span = w.ann.span_at(TEXT.index("高血压"))
    menu = w.editor.build_context_menu(span)
    sub = next(a.menu() for a in menu.actions() if a.menu() and a.text() == "Assertion status")
    entries = {a.text().split("\t")[0]: a for a in sub.actions()}
    assert [a.isChecked() for a in entries.values()] == [s == "absent" for s in ASSERTION_STATUSES]
    assert entries[status_label("absent")].text().endswith("Alt+2")  # the key named beside it
    entries[status_label("possible")].trigger()
    assert stored(folder)[at("高血压")] == ("possible", "annotator", 0)  # a person decided it
    w.undo.undo()
    assert stored(folder)[at("高血压")] == ("absent", "model", 0)
    restored = w.ann.span_at(TEXT.index("高血压"))
    assert restored.confidence == 0.9 and restored.model_version == "v1"
    # confirming the proposed status by its key makes the span the annotator's too (one undo step)
    w.editor.span_clicked(restored)
    qtbot.keyClick(w.text, Qt.Key.Key_2, Qt.KeyboardModifier.AltModifier)
    assert stored(folder)[at("高血压")] == ("absent", "annotator", 0)


def test_a_status_key_without_an_entity_says_so(qtbot, clinic: tuple[MainWindow, Path]) -> None:  # noqa: ANN001
    w, folder = clinic
    w.text.select_range(0, 0)  # 患: no span here
    w.text.setFocus()
    before = stored(folder)
    qtbot.keyClick(w.text, Qt.Key.Key_3, Qt.KeyboardModifier.AltModifier)
    assert "Click an entity first" in w.statusBar().currentMessage()
    qtbot.keyClick(w.text, Qt.Key.Key_9, Qt.KeyboardModifier.AltModifier)
    assert "offers 6 assertion statuses" in w.statusBar().currentMessage()
    assert stored(folder) == before and w.undo.count() == 0


def test_the_marks_show_in_the_text_and_the_table(qtbot, clinic: tuple[MainWindow, Path]) -> None:  # noqa: ANN001
    w, _ = clinic
    view = w.text
    lung = w.ann.span_at(TEXT.index("肺炎"))
    assert not view.char_format(lung.start).fontItalic()
    w.editor.assertions.set_status("possible", lung)
    assert view.char_format(lung.start).fontItalic() and view.char_format(lung.end - 1).fontItalic()
    assert not view.char_format(lung.end).fontItalic()  # 可能 stays upright
    w.undo.undo()
    assert not view.char_format(lung.start).fontItalic()  # undone: upright again

    # absent is struck through: a dark line across the span's middle, none across a present span
    w.editor.span_clicked(None)
    view.viewport().repaint()

    def dark_share(span: Span) -> float:
        image = view.viewport().grab().toImage()
        box = view._line_rects(span)[0]
        y = box.top() + round(view.fontMetrics().ascent() * 0.6)
        xs = range(box.left() + 1, box.right())
        return sum(QColor(image.pixel(x, y)).lightness() < 90 for x in xs) / len(xs)

    cough = w.ann.span_at(TEXT.index("咳嗽"))
    assert dark_share(w.ann.span_at(TEXT.index("高血压"))) > 0.9
    assert dark_share(cough) < 0.6
    # a tag above the span's end: the area there changes when a status is given
    before = view.viewport().grab().toImage()
    w.editor.assertions.set_status("historical", cough)
    w.editor.span_clicked(None)
    view.viewport().repaint()
    after = view.viewport().grab().toImage()
    end = view._line_rects(cough)[-1]
    above = [(x, y) for x in range(end.right() - 3, end.right() + 4) for y in range(end.top() - 4, end.top() + 3)]
    assert any(before.pixel(x, y) != after.pixel(x, y) for x, y in above)
    assert status_mark("historical") and not status_mark("present")

    model = w.entities.model_
    rows = {model.data(model.index(r, 1)): model.data(model.index(r, 5)) for r in range(model.rowCount())}
    assert rows == {"高血压": "Absent [no]", "肺炎": "Present", "咳嗽": "Historical [hx]"}


def test_the_tooltip_of_a_model_span_gives_the_detectors_reason(qtbot, clinic: tuple[MainWindow, Path]) -> None:  # noqa: ANN001
    from madpg_gui.span_marks import span_tooltip

    w, _ = clinic
    rec = w.ann.record
    tip = span_tooltip(rec, w.ann.span_at(TEXT.index("高血压")), "Disease", w.text.reasons)
    assert "Absent [no]" in tip and "«否认»" in tip and "before the entity" in tip
    assert "model confidence 0.90" in tip
    human = span_tooltip(rec, w.ann.span_at(TEXT.index("咳嗽")), "Symptom", w.text.reasons)
    assert "detector" not in human  # an annotator's span: no proposal to explain
    # the tooltip event over the span shows it
    box = w.text._line_rects(w.ann.span_at(TEXT.index("高血压")))[0]
    from PySide6.QtGui import QHelpEvent
    from PySide6.QtWidgets import QApplication, QToolTip

    point = box.center()
    QApplication.sendEvent(w.text.viewport(), QHelpEvent(QHelpEvent.Type.ToolTip, point,
                                                         w.text.viewport().mapToGlobal(point)))
    assert "否认" in QToolTip.text()
    QToolTip.hideText()


def test_the_offered_statuses_are_edited_and_the_core_refusals_are_asked(
        qtbot, clinic: tuple[MainWindow, Path], monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: ANN001
    w, folder = clinic
    dlg = StatusesDialog(w.ann.statuses, w)
    qtbot.addWidget(dlg)
    assert not dlg.boxes["present"].isEnabled() and dlg.boxes["present"].isChecked()
    dlg.boxes["family"].setChecked(False)
    dlg.boxes["absent"].setChecked(False)  # 高血压 carries it
    dlg.accept()
    assert dlg.chosen == ["present", "possible", "hypothetical", "historical"]

    asked: list[str] = []

    def answer(button: QMessageBox.StandardButton):  # noqa: ANN202
        def exec_(box: QMessageBox) -> QMessageBox.StandardButton:
            asked.append(box.text())
            return button
        return exec_

    monkeypatch.setattr(QMessageBox, "exec", answer(QMessageBox.StandardButton.Cancel))
    assert not w.editor.assertions.apply_statuses(dlg.chosen)
    assert "Absent" in asked[0] and w.ann.statuses == ASSERTION_STATUSES
    assert stored(folder)[at("高血压")][0] == "absent"  # refused: nothing changed

    monkeypatch.setattr(QMessageBox, "exec", answer(QMessageBox.StandardButton.Yes))
    w.editor.span_clicked(w.ann.span_at(TEXT.index("肺炎")))
    assert w.editor.assertions.apply_statuses(dlg.chosen)
    assert w.ann.statuses == ("present", "possible", "hypothetical", "historical")
    assert stored(folder)[at("高血压")][0] == "present"  # made present, as confirmed
    with Project.open(folder, read_only=True) as p, p.reading() as s:
        assert repo.get_assertion_statuses(s) == w.ann.statuses
    # the keys follow the new list: Alt+2 is now "possible"
    w.editor.span_clicked(w.ann.span_at(TEXT.index("肺炎")))
    qtbot.keyClick(w.text, Qt.Key.Key_2, Qt.KeyboardModifier.AltModifier)
    assert stored(folder)[at("肺炎")][0] == "possible"
    # and the menu lists only the offered ones
    sub = next(a.menu() for a in w.editor.build_context_menu(w.text.current_span).actions()
               if a.menu() and a.text() == "Assertion status")
    assert len(sub.actions()) == 4


def test_the_edit_menu_entries(qtbot, clinic: tuple[MainWindow, Path]) -> None:  # noqa: ANN001
    from PySide6.QtWidgets import QMenu

    w, folder = clinic
    menu = QMenu()
    actions = w.editor.assertions.add_menu_actions(menu)
    assert [a.text() for a in actions] == ["Assertion status", "Assertion statuses…"]
    w.editor.span_clicked(w.ann.span_at(TEXT.index("咳嗽")))
    sub = actions[0].menu()
    sub.aboutToShow.emit()
    [a for a in sub.actions() if a.text().startswith(status_label("family"))][0].trigger()
    assert stored(folder)[at("咳嗽")][0] == "family"
