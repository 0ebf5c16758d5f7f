"""Drive the real window: create a span with keys, change it, undo, redo, accept-and-next, reopen."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt

from madpg_core.domain import RecordStatus
from madpg_core.storage import repo
from madpg_gui import settings
from madpg_gui.main_window import MainWindow


def select_with_keys(qtbot, w: MainWindow, start: int, length: int) -> None:  # noqa: ANN001
    view = w.text
    view.setFocus()
    qtbot.keyClick(view, Qt.Key.Key_Home, Qt.KeyboardModifier.ControlModifier)
    for _ in range(start):
        qtbot.keyClick(view, Qt.Key.Key_Right)
    for _ in range(length):
        qtbot.keyClick(view, Qt.Key.Key_Right, Qt.KeyboardModifier.ShiftModifier)
    assert view.selection_range() == (start, start + length)


def test_keys_create_change_undo_redo_accept_and_reopen(qtbot, window: MainWindow, project_dir: Path,  # noqa: ANN001
                                                         read_db) -> None:  # noqa: ANN001
    w = window
    text = w.ann.record.text
    start = text.index("高血压")
    select_with_keys(qtbot, w, start, 3)
    qtbot.keyClick(w.text, Qt.Key.Key_1)  # key 1 = Disease
    assert read_db(project_dir)[0][2] == [(text.index("胸闷"), text.index("胸闷") + 2, "Symptom"), (start, start + 3, "Disease")]
    # the new span shows its type's colour at once: it is current, not covered by a selection
    assert w.text.selection_range() is None and w.text.current_span.label == "Disease"
    assert w.entities.model_.rowCount() == 2
    assert w.bio.model_.tags[start:start + 3] == ["B-Disease", "I-Disease", "I-Disease"]

    # click the new span, then key 2 changes its type
    w.editor.span_clicked(w.ann.span_at(start))
    qtbot.keyClick(w.text, Qt.Key.Key_2)
    assert read_db(project_dir)[0][2][1] == (start, start + 3, "Symptom")
    # a bare letter does nothing (input methods)
    qtbot.keyClick(w.text, Qt.Key.Key_A)
    assert read_db(project_dir)[0][2][1] == (start, start + 3, "Symptom")

    w.undo.undo()
    assert read_db(project_dir)[0][2][1] == (start, start + 3, "Disease")
    w.undo.undo()
    assert len(read_db(project_dir)[0][2]) == 1 and len(w.ann.record.spans) == 1
    w.undo.redo()
    w.undo.redo()
    assert read_db(project_dir)[0][2][1] == (start, start + 3, "Symptom")

    # Delete removes the span under the cursor; undo brings it back
    w.text.select_range(start + 1, start + 1)
    qtbot.keyClick(w.text, Qt.Key.Key_Delete)
    assert len(read_db(project_dir)[0][2]) == 1
    w.undo.undo()
    assert len(read_db(project_dir)[0][2]) == 2

    # Ctrl+Enter: accept as reviewed and go to the next record
    qtbot.keyClick(w.text, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert read_db(project_dir)[0][1] == RecordStatus.REVIEWED
    assert w.ann.record.name == "r2"
    qtbot.waitUntil(lambda: "1 / 3" in w.records.progress.text(), timeout=2000)
    state = read_db(project_dir)
    w.close()

    # reopen: exactly the saved state
    w2 = MainWindow(settings.Preferences(language="en"))
    qtbot.addWidget(w2)
    assert w2.open_project(project_dir)
    assert w2.ann.record.name == "r2"  # where the user left off (place.py)
    w2.show_record(w2.records.ids()[0])
    rec = w2.ann.record
    assert rec.name == "r1" and rec.status == RecordStatus.REVIEWED
    assert [(s.start, s.end, s.label) for s in rec.spans] == state[0][2]
    assert read_db(project_dir) == state
    w2.close()


def test_overlap_is_a_message_and_undo_of_accept_returns(qtbot, window: MainWindow, project_dir: Path,  # noqa: ANN001
                                                         read_db) -> None:  # noqa: ANN001
    w = window
    a = w.ann.record.text.index("胸闷")
    w.text.select_range(a + 1, a + 4)
    w.editor.apply_label("Disease")
    assert "overlaps" in w.statusBar().currentMessage()
    assert w.undo.count() == 0 and len(read_db(project_dir)[0][2]) == 1
    w.accept_and_next()
    assert w.ann.record.name == "r2"
    w.undo.undo()  # undo of the accept shows r1 again, not reviewed
    assert w.ann.record.name == "r1" and w.ann.record.status == RecordStatus.NEW
    assert w.records.current_id() == w.ann.record_id
    w.next_unreviewed()
    assert w.ann.record.name == "r2"


def test_bio_view_edits_stay_in_sync(qtbot, window: MainWindow, project_dir: Path, read_db) -> None:  # noqa: ANN001
    w = window
    model = w.bio.model_
    a = w.ann.record.text.index("气促")
    assert model.setData(model.index(a, 2), "B-Symptom")
    assert model.setData(model.index(a + 1, 2), "I-Symptom")
    spans = read_db(project_dir)[0][2]
    assert (a, a + 2, "Symptom") in spans
    assert any(s.start == a and s.end == a + 2 for s in w.text.record.spans)
    assert w.entities.model_.rowCount() == 2
    # a type change in the BIO view keeps the other spans
    model.setData(model.index(a, 2), "B-Disease")  # repaired: B-Disease, I-Symptom -> two spans
    assert (a, a + 1, "Disease") in read_db(project_dir)[0][2]
    w.undo.undo()
    assert (a, a + 2, "Symptom") in read_db(project_dir)[0][2]
    # the span view's edits reach the BIO view
    w.text.select_range(a, a + 2)
    qtbot.keyClick(w.text, Qt.Key.Key_Delete)
    assert model.tags[a:a + 2] == ["O", "O"]


def test_context_menu_and_table_selection(qtbot, window: MainWindow) -> None:  # noqa: ANN001
    w = window
    span = w.ann.record.spans[0]
    w.entities.selectRow(0)
    # the span becomes current in its own colour; no text selection paints over it (issue 20)
    assert w.text.current_span == span and w.text.selection_range() is None
    assert w.text.cursor_offset() == span.end
    w.text.select_span(span)
    w.editor.apply_label("Organ")  # what the context menu's "Change type" calls
    assert w.ann.record.spans[0].label == "Organ"
    assert w.entities.model_.data(w.entities.model_.index(0, 0)) == "Organ"


def test_a_message_stays_until_the_next_action(qtbot, window: MainWindow) -> None:  # noqa: ANN001
    """Issue 20 item 1: the line saying why a key did nothing stayed 8 s, then vanished unseen."""
    w = window
    w.text.select_range(0, 0)
    w.editor.label_key("9")  # no type has the key 9
    said = w.statusBar().currentMessage()
    assert said.startswith("No entity type has the key 9")
    qtbot.wait(300)
    assert w.statusBar().currentMessage() == said
    a = w.ann.record.text.index("反复")
    w.text.select_range(a, a + 2)
    w.editor.apply_label("Attribute")  # the next action: an edit
    assert w.statusBar().currentMessage() != said
    w.editor.label_key("9")
    assert w.statusBar().currentMessage() == said
    w.step(1)  # another record
    assert w.statusBar().currentMessage() == ""


def test_the_header_counts_in_words(window: MainWindow) -> None:
    """Issue 20: "1 entities"."""
    assert window.header.text().endswith("  ·  1 entity")
    window.step(1)
    assert window.header.text().endswith("  ·  0 entities")


def test_moving_by_keys_highlights_one_record(qtbot, window: MainWindow) -> None:  # noqa: ANN001
    """Issue 20: after Ctrl+J two record rows were highlighted."""
    from PySide6.QtCore import Qt

    w = window
    for _ in range(2):
        qtbot.keyClick(w.text, Qt.Key.Key_J, Qt.KeyboardModifier.ControlModifier)
        rows = {i.row() for i in w.records.view.selectionModel().selectedIndexes()}
        assert rows == {w.records.view.currentIndex().row()}
        assert w.records.current_id() == w.ann.record_id
    w.step(-1)
    assert {i.row() for i in w.records.view.selectionModel().selectedIndexes()} == {w.records.view.currentIndex().row()}


def test_a_bio_edit_keeps_nested_spans(qtbot, window: MainWindow, project_dir: Path, read_db) -> None:  # noqa: ANN001
    """Issue 16: a tag edit rebuilt every span from the layer-0 tags, deleting the nested ones."""
    from madpg_core.domain import Span

    w = window
    text = w.ann.record.text
    a = text.index("胸闷")
    with w.project.transaction() as s:  # an inner span inside 胸闷 in layer 1
        repo.add_span(s, w.ann.record_id, Span(a, a + 1, "Attribute", layer=1))
    w.show_record(w.ann.record_id)
    w.editor.tag_edited(text.index("气促"), "B-Symptom")
    spans = {(sp.start, sp.end, sp.label, sp.layer) for sp in w.ann.record.spans}
    assert (a, a + 1, "Attribute", 1) in spans
    assert (text.index("气促"), text.index("气促") + 1, "Symptom", 0) in spans
