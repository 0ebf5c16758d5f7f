"""Reviewing a pre-labelled record with the keyboard only (issue 20, item 7): Tab / Shift+Tab walk
the model's pre-labels, Enter accepts, Backspace rejects, a digit changes the type; every step is
committed to SQLite and undone by Ctrl+Z."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMenu

from madpg_core.domain import LabelSchema, Record, RecordStatus, Span, SpanSource
from madpg_core.storage import repo
from madpg_core.storage.project import Project
from madpg_gui import settings
from madpg_gui.main_window import MainWindow

TEXT = "患者反复胸闷、气促3年，既往高血压病史，予硝苯地平治疗。"
# (word, type the model gave, its confidence), in text order
PRELABELS = [("胸闷", "Symptom", 0.91), ("气促", "Symptom", 0.55), ("高血压", "Symptom", 0.40),
             ("病史", "Organ", 0.35), ("硝苯地平", "Treatment", 0.80)]
M = SpanSource.MODEL
A = SpanSource.ANNOTATOR
NO_MODS = Qt.KeyboardModifier.NoModifier


def model_span(text: str, word: str, label: str, conf: float) -> Span:
    i = text.index(word)
    return Span(i, i + len(word), label, M, "v0", conf)


def make_project(folder: Path, records: list[tuple[str, list[Span]]]) -> Path:
    """Records as pre-labelling leaves them: model spans with a version and a confidence."""
    p = Project.create(folder, LabelSchema.default())
    with p.transaction() as s:
        for n, (text, spans) in enumerate(records):
            rid = repo.add_record(s, Record(text, (), name=f"r{n + 1}"))
            if spans:
                repo.replace_model_spans(s, rid, spans, confidence=min(sp.confidence for sp in spans))
    p.close()
    return folder


def stored(folder: Path) -> list[tuple[str, RecordStatus, list[tuple]]]:
    """Every record's spans on disk, origin included, through a fresh connection."""
    with Project.open(folder) as p, p.reading() as s:
        return [(r.name, r.status, [(r.text[sp.start:sp.end], sp.label, sp.source, sp.model_version, sp.confidence)
                                    for sp in r.spans]) for r in repo.iter_records(s)]


def open_window(qtbot, folder: Path) -> MainWindow:  # noqa: ANN001
    w = MainWindow(settings.Preferences(language="en"))
    qtbot.addWidget(w)
    w.show()
    assert w.open_project(folder)
    w.activateWindow()
    w.text.setFocus()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is w.text, timeout=2000)
    return w


@pytest.fixture
def review(qtbot, tmp_path: Path) -> tuple[MainWindow, Path]:  # noqa: ANN001
    folder = make_project(tmp_path / "p", [
        (TEXT, [model_span(TEXT, *p) for p in PRELABELS]),
        ("咳嗽、咳痰2周，伴低热。", [model_span("咳嗽、咳痰2周，伴低热。", "咳嗽", "Symptom", 0.7)]),
    ])
    w = open_window(qtbot, folder)
    yield w, folder
    if w.project is not None:
        w.close()


def current_word(w: MainWindow) -> str | None:
    sp = w.text.current_span
    return None if sp is None else w.ann.record.text[sp.start:sp.end]


def table_row(w: MainWindow) -> int:
    rows = w.entities.selectionModel().selectedRows()
    return rows[0].row() if len(rows) == 1 else -1


def test_a_whole_record_reviewed_with_keys_then_undone(qtbot, review: tuple[MainWindow, Path]) -> None:  # noqa: ANN001
    w, folder = review
    before = stored(folder)
    key = lambda k, mods=NO_MODS: qtbot.keyClick(w.text, k, mods)  # noqa: E731
    assert w.editor.left_label.text() == "5 pre-labels left" and w.text.current_span is None

    key(Qt.Key.Key_Tab)
    assert current_word(w) == "胸闷" and table_row(w) == 0  # the entity table follows
    assert "Symptom «胸闷»" in w.statusBar().currentMessage() and "0.91" in w.statusBar().currentMessage()
    assert QApplication.focusWidget() is w.text  # Tab stayed in the text view
    key(Qt.Key.Key_Return)  # accept 胸闷: the highlight moves on
    assert current_word(w) == "气促" and table_row(w) == 1
    assert w.editor.left_label.text() == "4 pre-labels left"
    key(Qt.Key.Key_Enter, Qt.KeyboardModifier.KeypadModifier)  # the keypad's Enter accepts too
    assert current_word(w) == "高血压"
    key(Qt.Key.Key_1)  # the model's Symptom is a Disease: the digit changes the highlighted span
    assert current_word(w) == "高血压" and w.text.current_span.label == "Disease"
    assert w.text.current_span.source == A
    key(Qt.Key.Key_Return)  # already the annotator's: Enter goes on to the next pre-label
    assert current_word(w) == "病史"
    key(Qt.Key.Key_Backspace)  # reject 病史
    assert current_word(w) == "硝苯地平" and w.editor.left_label.text() == "1 pre-label left"
    key(Qt.Key.Key_Backtab, Qt.KeyboardModifier.ShiftModifier)  # nothing before it is left to review
    assert current_word(w) == "硝苯地平" and "only pre-label left" in w.statusBar().currentMessage()
    key(Qt.Key.Key_Return)
    assert w.text.current_span is None
    assert "No pre-labels left in this record" in w.statusBar().currentMessage()
    assert "Ctrl+Return" in w.statusBar().currentMessage()
    assert w.editor.left_label.text() == "No pre-labels left"

    reviewed = [("胸闷", "Symptom", A, None, None), ("气促", "Symptom", A, None, None),
                ("高血压", "Disease", A, None, None), ("硝苯地平", "Treatment", A, None, None)]
    assert stored(folder)[0] == ("r1", RecordStatus.PRELABELLED, reviewed)
    key(Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)  # accept the record and go on
    assert stored(folder)[0] == ("r1", RecordStatus.REVIEWED, reviewed)
    assert w.ann.record.name == "r2" and w.editor.left_label.text() == "1 pre-label left"
    assert stored(folder)[1] == before[1]

    w.undo.undo()  # the record's status: r1 comes back
    assert w.ann.record.name == "r1" and stored(folder)[0][1] == RecordStatus.PRELABELLED
    w.undo.undo()  # the last accept: 硝苯地平 is the model's again, and highlighted to decide anew
    assert stored(folder)[0][2][-1] == ("硝苯地平", "Treatment", M, "v0", 0.80)
    assert current_word(w) == "硝苯地平" and w.text.current_span.source == M
    w.undo.undo()  # the reject: 病史 is back with its origin and confidence
    assert ("病史", "Organ", M, "v0", 0.35) in stored(folder)[0][2] and current_word(w) == "病史"
    for _ in range(4):  # the type change, the two accepts... and nothing more than that
        w.undo.undo()
    assert stored(folder) == before
    assert not w.undo.canUndo()
    assert w.editor.left_label.text() == "5 pre-labels left"


def test_tab_wraps_both_ways_and_enter_starts_the_review(qtbot, review: tuple[MainWindow, Path]) -> None:  # noqa: ANN001
    w, folder = review
    before = stored(folder)
    qtbot.keyClick(w.text, Qt.Key.Key_Return)  # nothing highlighted yet: Enter highlights, never accepts
    assert current_word(w) == "胸闷" and stored(folder) == before
    for word in ("气促", "高血压", "病史", "硝苯地平"):
        qtbot.keyClick(w.text, Qt.Key.Key_Tab)
        assert current_word(w) == word
    qtbot.keyClick(w.text, Qt.Key.Key_Tab)
    assert current_word(w) == "胸闷" and w.statusBar().currentMessage() == "Back to the first pre-label"
    qtbot.keyClick(w.text, Qt.Key.Key_Backtab, Qt.KeyboardModifier.ShiftModifier)
    assert current_word(w) == "硝苯地平" and w.statusBar().currentMessage() == "Back to the last pre-label"
    qtbot.keyClick(w.text, Qt.Key.Key_Tab, Qt.KeyboardModifier.ShiftModifier)  # Shift+Tab as some systems send it
    assert current_word(w) == "病史"
    assert QApplication.focusWidget() is w.text
    # from the cursor when nothing is highlighted: the next pre-label after it
    w.text.select_span(None)
    w.text.select_range(TEXT.index("既往"), TEXT.index("既往"))
    qtbot.keyClick(w.text, Qt.Key.Key_Tab)
    assert current_word(w) == "高血压"
    assert stored(folder) == before  # walking changes nothing


def test_ctrl_enter_is_not_enter(qtbot, review: tuple[MainWindow, Path]) -> None:  # noqa: ANN001
    """Only a bare Enter accepts a pre-label; Ctrl+Enter accepts the record as it is."""
    w, folder = review
    before = stored(folder)
    qtbot.keyClick(w.text, Qt.Key.Key_Tab)
    for mods in (Qt.KeyboardModifier.ShiftModifier, Qt.KeyboardModifier.AltModifier):
        qtbot.keyClick(w.text, Qt.Key.Key_Return, mods)
    assert current_word(w) == "胸闷" and stored(folder) == before
    qtbot.keyClick(w.text, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    _name, status, spans = stored(folder)[0]
    assert status == RecordStatus.REVIEWED and spans[0] == ("胸闷", "Symptom", M, "v0", 0.91)
    assert w.ann.record.name == "r2"


def test_backspace_off_a_pre_label_deletes_as_before(qtbot, review: tuple[MainWindow, Path]) -> None:  # noqa: ANN001
    w, folder = review
    qtbot.keyClick(w.text, Qt.Key.Key_Tab)
    qtbot.keyClick(w.text, Qt.Key.Key_Return)  # 胸闷 is the annotator's now
    w.editor.span_clicked(w.ann.span_exactly(TEXT.index("胸闷"), TEXT.index("胸闷") + 2))
    qtbot.keyClick(w.text, Qt.Key.Key_Backspace)
    assert [sp[0] for sp in stored(folder)[0][2]] == ["气促", "高血压", "病史", "硝苯地平"]
    assert w.text.current_span is None  # a plain delete does not jump to a pre-label
    w.text.select_range(0, 0)
    qtbot.keyClick(w.text, Qt.Key.Key_Backspace)  # nothing there: a message, nothing deleted
    assert w.statusBar().currentMessage() == "No entity under the cursor"
    assert len(stored(folder)[0][2]) == 4


def test_a_record_without_pre_labels_says_so(qtbot, tmp_path: Path) -> None:  # noqa: ANN001
    text = "外伤后右小腿肿痛。"
    folder = tmp_path / "p"
    p = Project.create(folder, LabelSchema.default())
    with p.transaction() as s:
        repo.add_record(s, Record(text, (Span(text.index("肿痛"), text.index("肿痛") + 2, "Symptom"),), name="r1"))
    p.close()
    w = open_window(qtbot, folder)
    assert w.editor.left_label.text() == ""  # never pre-labelled: no count at all
    for k in (Qt.Key.Key_Tab, Qt.Key.Key_Return):
        w.statusBar().clearMessage()
        qtbot.keyClick(w.text, k)
        assert w.statusBar().currentMessage().startswith("No pre-labels left in this record")
        assert w.text.current_span is None and QApplication.focusWidget() is w.text
    assert stored(folder)[0][2] == [("肿痛", "Symptom", A, None, None)]
    w.close()


def test_the_highlight_scrolls_into_view(qtbot, tmp_path: Path) -> None:  # noqa: ANN001
    text = "患者一般情况可。\n" * 400 + "查体：右下肺呼吸音低。"
    folder = make_project(tmp_path / "p", [(text, [model_span(text, "呼吸音低", "Symptom", 0.6)])])
    w = open_window(qtbot, folder)
    w.resize(900, 500)
    qtbot.keyClick(w.text, Qt.Key.Key_Tab)
    assert current_word(w) == "呼吸音低"
    assert w.text.viewport().rect().contains(w.text.cursorRect())
    w.close()


def test_menu_entries_name_the_keys_without_taking_them(qtbot, review: tuple[MainWindow, Path]) -> None:  # noqa: ANN001
    w, _folder = review
    menu = QMenu(w)
    actions = w.editor.add_menu_actions(menu)
    texts = [a.text() for a in actions]
    assert texts == ["Next pre-label\tTab", "Previous pre-label\tShift+Tab", "Accept pre-label\tReturn",
                     "Reject pre-label\tBackspace"]
    # shown, not registered: a window shortcut on Enter or Tab would take them from every dialog
    assert all(a.shortcut().isEmpty() for a in actions)
    actions[0].trigger()
    assert current_word(w) == "胸闷"
    actions[2].trigger()
    assert current_word(w) == "气促" and w.ann.record.spans[0].source == A
    assert "Tab" in w.editor.left_label.toolTip() and "Backspace" in w.editor.left_label.toolTip()


def test_the_highlighted_pre_label_is_framed_on_every_line(qtbot, tmp_path: Path) -> None:  # noqa: ANN001
    text = "诊断：" + "慢性阻塞性肺疾病急性加重期伴呼吸衰竭" + "。"
    word = text[3:-1]
    folder = make_project(tmp_path / "p", [(text, [model_span(text, word, "Disease", 0.4)])])
    w = open_window(qtbot, folder)
    view = w.text
    image_before = view.viewport().grab().toImage()
    qtbot.keyClick(view, Qt.Key.Key_Tab)
    rect = view._line_rects(view.current_span)[0]
    image = view.viewport().grab().toImage()
    ratio = image.width() / view.viewport().width()
    at = (int((rect.left() - 2) * ratio), int(rect.center().y() * ratio))  # just left of the highlight
    assert image.pixel(*at) != image_before.pixel(*at)  # the frame's left edge
    # narrow enough that the disease wraps: one box per line, one under the other
    w.docks["records"].hide()
    w.docks["images"].hide()
    w.docks["bio"].hide()
    view.setFixedWidth(view.fontMetrics().horizontalAdvance("诊断：慢性阻塞性肺疾病") + 30)
    qtbot.waitUntil(lambda: len(view._line_rects(view.current_span)) >= 2, timeout=2000)
    rects = view._line_rects(view.current_span)
    assert all(a.bottom() < b.top() + 2 for a, b in itertools.pairwise(rects))
    w.close()


def test_a_refused_accept_keeps_its_message_and_the_highlight(qtbot, review: tuple[MainWindow, Path]) -> None:  # noqa: ANN001
    w, folder = review
    qtbot.keyClick(w.text, Qt.Key.Key_Tab)
    with Project.open(folder) as p, p.transaction() as s:  # another window rejected it meanwhile
        rid = repo.record_ids(s)[0]
        repo.delete_span(s, repo.find_span(s, rid, TEXT.index("胸闷"), TEXT.index("胸闷") + 2))
    qtbot.keyClick(w.text, Qt.Key.Key_Return)
    assert "changed elsewhere" in w.statusBar().currentMessage()
    assert current_word(w) == "胸闷" and not w.undo.canUndo()
