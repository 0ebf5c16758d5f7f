"""Nested and overlapping spans at the desk (issue 16 item 2): a selection over existing spans asks
replace or add-as-nested (each one undo step); a click selects the innermost span, a second click or
Alt+↑ the one around it; nested spans are drawn as underlines below the line and listed in the
entity table with their layer; the export dialog writes one layer and counts what it left out."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QColor

from madpg_core.domain import LabelSchema, Record, Span
from madpg_core.storage import repo
from madpg_core.storage.project import Project
from madpg_gui import settings
from madpg_gui.main_window import MainWindow
from madpg_gui.nesting import SpanIndex, nested_layout

TEXT = "查体：双下肢水肿，右下肺感染。"


def at(word: str) -> tuple[int, int]:
    return TEXT.index(word), TEXT.index(word) + len(word)


def stored(folder: Path) -> set[tuple[int, int, str, int]]:
    with Project.open(folder, read_only=True) as p, p.reading() as s:
        rec = repo.get_record(s, repo.record_ids(s)[0])
        return {(sp.start, sp.end, sp.label, sp.layer) for sp in rec.spans}


@pytest.fixture
def ward(qtbot, tmp_path: Path) -> tuple[MainWindow, Path]:  # noqa: ANN001
    """双下肢 (Organ) and 水肿 (Symptom) side by side; 右下肺感染 (Disease) holding 右下肺 (Organ, layer 1)."""
    folder = tmp_path / "ward"
    p = Project.create(folder, LabelSchema.default())
    spans = (Span(*at("双下肢"), "Organ"), Span(*at("水肿"), "Symptom"), Span(*at("右下肺感染"), "Disease"),
             Span(*at("右下肺"), "Organ", layer=1))
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


ORIGINAL = {(*at("双下肢"), "Organ", 0), (*at("水肿"), "Symptom", 0), (*at("右下肺感染"), "Disease", 0),
            (*at("右下肺"), "Organ", 1)}


def test_a_selection_over_two_spans_replaces_them_on_request(qtbot, ward: tuple[MainWindow, Path]) -> None:  # noqa: ANN001
    w, folder = ward
    w.text.select_range(*at("双下肢水肿"))
    w.editor.apply_label("Symptom")
    menu = w.editor.overlap.menu
    assert menu is not None and menu.isVisible()
    assert "overlaps" in w.statusBar().currentMessage() and "双下肢" in menu.actions()[0].text()
    assert stored(folder) == ORIGINAL and w.undo.count() == 0  # nothing until the annotator chooses
    qtbot.keyClick(menu, Qt.Key.Key_R)  # the menu's underlined letter: replace
    assert stored(folder) == ORIGINAL - {(*at("双下肢"), "Organ", 0), (*at("水肿"), "Symptom", 0)} \
        | {(*at("双下肢水肿"), "Symptom", 0)}
    assert w.text.current_span.label == "Symptom" and w.undo.count() == 1
    w.undo.undo()
    assert stored(folder) == ORIGINAL
    w.undo.redo()
    assert (*at("双下肢水肿"), "Symptom", 0) in stored(folder)


def test_add_as_nested_around_spans_takes_layer_0_and_pushes_them_up(qtbot, ward: tuple[MainWindow, Path]) -> None:  # noqa: ANN001
    w, folder = ward
    w.text.select_range(*at("双下肢水肿"))
    w.editor.apply_label("Symptom")
    qtbot.keyClick(w.editor.overlap.menu, Qt.Key.Key_N)  # add as nested
    assert stored(folder) == ORIGINAL - {(*at("双下肢"), "Organ", 0), (*at("水肿"), "Symptom", 0)} \
        | {(*at("双下肢水肿"), "Symptom", 0), (*at("双下肢"), "Organ", 1), (*at("水肿"), "Symptom", 1)}
    assert w.undo.count() == 1
    w.undo.undo()
    assert stored(folder) == ORIGINAL


def test_add_as_nested_inside_a_span_goes_to_a_free_layer(qtbot, ward: tuple[MainWindow, Path]) -> None:  # noqa: ANN001
    w, folder = ward
    a = TEXT.index("感染")
    w.text.select_range(a, a + 2)
    w.editor.apply_label("Symptom")
    assert "layer 1" in w.editor.overlap.menu.actions()[1].text()
    w.editor.overlap.nest()
    assert stored(folder) == ORIGINAL | {(a, a + 2, "Symptom", 1)}  # no other span moved
    assert w.text.current_span == w.ann.span_exactly(a, a + 2)
    w.undo.undo()
    assert stored(folder) == ORIGINAL


def test_cancel_and_a_stale_choice_change_nothing(qtbot, ward: tuple[MainWindow, Path]) -> None:  # noqa: ANN001
    w, folder = ward
    w.text.select_range(*at("双下肢水肿"))
    w.editor.apply_label("Symptom")
    menu = w.editor.overlap.menu
    menu.actions()[-1].trigger()  # Cancel
    assert stored(folder) == ORIGINAL and w.editor.overlap.menu is None
    w.text.select_range(*at("双下肢水肿"))
    w.editor.apply_label("Symptom")
    w.step(1)  # another record... there is none; show the same one anew
    w.show_record(w.ann.record_id)
    w.editor.overlap.replace()  # the question was about spans no longer shown: refused
    assert stored(folder) == ORIGINAL


def click(qtbot, w: MainWindow, pos: int) -> None:  # noqa: ANN001
    box = w.text.char_box(w.text.to_qt(pos))
    qtbot.mouseClick(w.text.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(box.center().x(), box.center().y()))


def test_a_click_selects_the_innermost_span_and_again_the_one_around_it(qtbot, ward: tuple[MainWindow, Path]) -> None:  # noqa: ANN001
    w, _ = ward
    a = TEXT.index("右下肺")
    click(qtbot, w, a + 1)
    assert (w.text.current_span.label, w.text.current_span.layer) == ("Organ", 1)
    assert "Alt+Up" in w.statusBar().currentMessage()
    click(qtbot, w, a + 1)
    assert w.text.current_span.label == "Disease"
    click(qtbot, w, a + 1)
    assert w.text.current_span.label == "Organ"  # round again
    qtbot.keyClick(w.text, Qt.Key.Key_Up, Qt.KeyboardModifier.AltModifier)
    assert w.text.current_span.label == "Disease"
    click(qtbot, w, TEXT.index("感染"))  # only the Disease covers 感
    assert w.text.current_span.label == "Disease"
    click(qtbot, w, 0)  # plain text: the current span is let go
    assert w.text.current_span is None


def test_the_table_lists_every_span_with_its_layer_and_the_view_draws_nested_underlines(
        qtbot, ward: tuple[MainWindow, Path]) -> None:  # noqa: ANN001
    w, _ = ward
    model = w.entities.model_
    rows = [(model.data(model.index(r, 1)), model.data(model.index(r, 4))) for r in range(model.rowCount())]
    assert rows == [("双下肢", 0), ("水肿", 0), ("右下肺感染", 0), ("└ 右下肺", 1)]
    w.entities.selectRow(3)
    assert (w.text.current_span.label, w.text.current_span.layer) == ("Organ", 1)
    assert w.bio.model_.tags[TEXT.index("右下肺")] == "B-Disease"  # the BIO view shows layer 0
    # the Organ's underline below the line, in the Organ's colour; none below a flat span
    w.editor.span_clicked(None)
    w.text.viewport().repaint()
    image = w.text.viewport().grab().toImage()
    organ = QColor(w.ann.schema.get("Organ").color)

    def greenish(span: Span) -> int:
        box = w.text._line_rects(span)[0]
        y = box.bottom() + 3
        return sum(abs(QColor(image.pixel(x, y)).hue() - organ.hue()) < 25
                   and QColor(image.pixel(x, y)).saturation() > 80 for x in range(box.left() + 2, box.right() - 1))

    assert greenish(w.ann.span_exactly(*at("右下肺"), layer=1)) > 10
    assert greenish(w.ann.span_exactly(*at("双下肢"))) == 0


def test_nested_layout_and_the_index() -> None:
    outer = Span(0, 6, "Disease", id=1)
    inner = Span(1, 3, "Organ", id=2)
    placed, relayered = nested_layout([outer], Span(1, 3, "Organ"))
    assert placed.layer == 1 and relayered is None
    placed, relayered = nested_layout([inner], Span(0, 6, "Disease"))
    assert placed.layer == 0 and {(s.label, s.layer) for s in relayered} == {("Disease", 0), ("Organ", 1)}
    index = SpanIndex([outer, Span(1, 3, "Organ", layer=1), Span(8, 9, "Symptom")])
    assert [s.label for s in index.at(2)] == ["Organ", "Disease"]
    assert [s.label for s in index.at(5)] == ["Disease"] and index.at(7) == []
    assert [s.label for s in index.between(4, 9)] == ["Disease", "Symptom"]


def test_export_writes_the_chosen_layer_and_counts_what_it_left_out(qtbot, ward: tuple[MainWindow, Path],  # noqa: ANN001
                                                                  tmp_path: Path) -> None:
    from madpg_gui.dialogs.transfer import ExportDialog

    w, _ = ward
    for layer, kept in (("outer", "B-Disease"), ("inner", "B-Organ")):
        dlg = ExportDialog(w.project, w)
        qtbot.addWidget(dlg)
        out = tmp_path / f"{layer}.txt"
        dlg.fmt.setCurrentText("bio")
        dlg.path.setText(str(out))
        dlg.status.setCurrentIndex(dlg.status.findData("all"))
        dlg._confirm_unreviewed = lambda: True
        assert dlg.layer.isEnabled() and dlg.assertion_column.isEnabled()
        dlg.layer.setCurrentIndex(dlg.layer.findData(layer))
        with qtbot.waitSignal(dlg.done, timeout=10000):
            dlg.go.click()
        lines = out.read_text(encoding="utf-8").splitlines()
        assert lines[TEXT.index("右下肺")] == f"右 {kept}"
        assert "1 nested or overlapping entity was left out" in dlg.info.text()
        assert f"the {layer} ones" in dlg.info.text()
    dlg.fmt.setCurrentText("jsonl")  # JSONL holds every layer: no option to choose
    assert not dlg.layer.isEnabled() and not dlg.assertion_column.isEnabled()
