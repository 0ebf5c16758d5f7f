"""Regions on the images at the desk (issue 18 items 1 and 3): a box drawn with the mouse, linked to
a span, undone and redone, seen again after the project is reopened; a span highlights its regions
and a region its spans; "not visible in the images"; the radiology window presets; frame stepping
through a multi-frame DICOM."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication

from madpg_core.domain import LabelSchema, Record, Span
from madpg_core.storage import regions as store
from madpg_core.storage import repo
from madpg_core.storage.project import Project
from madpg_gui import settings
from madpg_gui.main_window import MainWindow
from tests.synthetic_dicom import write_ct

TEXT = "胸部正位片示心影增大，双肺纹理增粗。"
FINDING = (TEXT.index("心影增大"), TEXT.index("心影增大") + 4)
OTHER = (TEXT.index("双肺纹理"), TEXT.index("双肺纹理") + 4)


def write_dicom(path: Path, frames: int, size: int = 64) -> Path:
    """A 16-bit CT DICOM with ``frames`` frames, each a different brightness (so frames differ)."""
    ramp = np.tile(np.linspace(0, 2000, size, dtype=np.float64), (size, 1))
    arr = np.stack([ramp * (k + 1) / frames for k in range(frames)])
    return write_ct(path, arr if frames > 1 else arr[0])


def make_project(tmp_path: Path, images: list[Path]) -> Path:
    folder = tmp_path / "proj"
    with Project.create(folder, LabelSchema.default()) as p, p.transaction() as s:
        repo.add_record(s, Record(TEXT, (Span(*FINDING, "Disease"), Span(*OTHER, "Organ")), name="chest"),
                        [p.store_image(i) for i in images])
    return folder


@pytest.fixture
def chest_png(tmp_path: Path) -> Path:
    path = tmp_path / "src" / "chest.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (400, 300), (90, 90, 90)).save(path)
    return path


def open_window(qtbot, folder: Path) -> MainWindow:
    w = MainWindow(settings.Preferences(language="en"))
    qtbot.addWidget(w)
    w.resize(1200, 800)
    w.show()
    assert w.open_project(folder)
    w.show_record(w.records.ids()[0])
    qtbot.waitUntil(lambda: w.images.showing_image and w.regions._shown[0] == 0, timeout=10000)
    return w


def drag(view, points: list[tuple[float, float]], button: Qt.MouseButton = Qt.MouseButton.LeftButton) -> None:
    """Press at the first image point, move through the others, release at the last."""
    vp = view.viewport()

    def at(p: tuple[float, float]) -> QPointF:
        return QPointF(view.mapFromScene(view.item.mapToScene(QPointF(*p))))

    def send(kind: QEvent.Type, pos: QPointF, b: Qt.MouseButton, buttons: Qt.MouseButton) -> None:
        QApplication.sendEvent(vp, QMouseEvent(kind, pos, QPointF(vp.mapToGlobal(QPoint(int(pos.x()), int(pos.y())))),
                                               b, buttons, Qt.KeyboardModifier.NoModifier))

    none = Qt.MouseButton.NoButton
    send(QEvent.Type.MouseButtonPress, at(points[0]), button, button)
    for p in points[1:]:
        send(QEvent.Type.MouseMove, at(p), none, button)
    send(QEvent.Type.MouseButtonRelease, at(points[-1]), button, none)


def stored(folder: Path) -> tuple[list, list]:
    with Project.open(folder) as p, p.reading() as s:
        rid = repo.list_records(s)[0].id
        return store.list_regions(s, rid), store.links(s, rid)


def select_span(w: MainWindow, start: int, end: int) -> None:
    w.editor.select(w.ann.span_exactly(start, end))
    QApplication.processEvents()


def test_draw_link_undo_redo_and_reopen(qtbot, tmp_path: Path, chest_png: Path) -> None:
    folder = make_project(tmp_path, [chest_png])
    w = open_window(qtbot, folder)
    regions = w.regions
    assert regions.draw_box.isEnabled() and not regions.link_action.isEnabled()  # no region selected
    regions.draw_box.trigger()
    assert regions.layer.mode == "box"
    drag(w.images.view, [(100, 80), (150, 120), (220, 190)])
    assert regions.layer.mode == ""  # one box, then the left button pans again
    [region], links = stored(folder)
    assert region.kind == "box" and links == []
    (x0, y0), (x1, y1) = region.points
    assert abs(x0 - 100) <= 2 and abs(y0 - 80) <= 2 and abs(x1 - 220) <= 2 and abs(y1 - 190) <= 2
    assert regions.layer.selected_id == region.id  # the new region is selected, ready to link

    select_span(w, *FINDING)
    assert regions.link_action.isEnabled()
    qtbot.keyClick(w.text, Qt.Key.Key_L)  # the window's key, with the focus in the text
    [_], links = stored(folder)
    assert [ln.span for ln in links] == [(*FINDING, 0)]
    assert regions.layer.items[region.id].shape_.label == "心影增大"

    w.undo.undo()  # the link
    assert stored(folder)[1] == []
    w.undo.undo()  # the box
    assert stored(folder) == ([], [])
    assert regions.layer.items == {}
    w.undo.redo()
    w.undo.redo()
    [again], links = stored(folder)
    assert again.id == region.id and again.points == region.points and [ln.span for ln in links] == [(*FINDING, 0)]
    w.close()

    w = open_window(qtbot, folder)  # reopened: the box is there, linked
    assert list(w.regions.layer.items) == [region.id]
    assert w.regions.layer.items[region.id].shape_.label == "心影增大"
    w.close()


def test_span_highlights_its_regions_and_region_its_spans(qtbot, tmp_path: Path, chest_png: Path) -> None:
    folder = make_project(tmp_path, [chest_png])
    with Project.open(folder) as p, p.transaction() as s:
        rid = repo.list_records(s)[0].id
        from madpg_core.regions import Region

        a = store.add_region(s, Region(None, rid, 0, 0, "box", ((10, 10), (60, 60))))
        b = store.add_region(s, Region(None, rid, 0, 0, "polygon", ((100, 100), (150, 110), (120, 160))))
        store.link(s, a, *FINDING)
        store.link(s, b, *OTHER)
    w = open_window(qtbot, folder)
    layer = w.regions.layer
    select_span(w, *FINDING)
    assert layer.highlighted_ids() == [a]
    select_span(w, *OTHER)
    assert layer.highlighted_ids() == [b]
    w.regions.select_region(a)
    assert w.regions.marks.linked == [(*FINDING, 0)]
    assert "心影增大" in w.statusBar().currentMessage()
    w.close()


def test_move_and_delete_a_region_are_undoable(qtbot, tmp_path: Path, chest_png: Path) -> None:
    folder = make_project(tmp_path, [chest_png])
    w = open_window(qtbot, folder)
    w.regions.draw_box.trigger()
    drag(w.images.view, [(50, 50), (100, 100)])
    [region], _ = stored(folder)
    drag(w.images.view, [(75, 75), (95, 85), (105, 95)])  # on the box: moves it by (30, 20)
    [moved], _ = stored(folder)
    assert moved.points[0][0] == pytest.approx(region.points[0][0] + 30, abs=2)
    assert moved.points[0][1] == pytest.approx(region.points[0][1] + 20, abs=2)
    w.images.view.setFocus()
    w.regions.select_region(region.id)
    qtbot.keyClick(w.images.view, Qt.Key.Key_Delete)
    assert stored(folder)[0] == []
    w.undo.undo()
    w.undo.undo()
    assert stored(folder)[0][0].points == region.points
    w.close()


def test_outline_by_clicks_and_not_visible_toggle(qtbot, tmp_path: Path, chest_png: Path) -> None:
    folder = make_project(tmp_path, [chest_png])
    w = open_window(qtbot, folder)
    w.regions.draw_outline.trigger()
    for p in [(20, 20), (80, 30), (60, 90)]:
        drag(w.images.view, [p])
    qtbot.keyClick(w.images.view, Qt.Key.Key_Return)
    [outline], _ = stored(folder)
    assert outline.kind == "polygon" and len(outline.points) == 3
    select_span(w, *OTHER)
    w.regions.hidden_action.trigger()
    with Project.open(folder) as p, p.reading() as s:
        assert store.not_visible(s, outline.record_id) == {(*OTHER, 0)}
    assert w.regions.hidden_action.isChecked() and (*OTHER, 0) in w.regions.marks.hidden
    w.undo.undo()
    with Project.open(folder) as p, p.reading() as s:
        assert store.not_visible(s, outline.record_id) == set()
    w.close()


def test_radiology_presets_and_frame_stepping(qtbot, tmp_path: Path) -> None:
    dcm = write_dicom(tmp_path / "series.dcm", frames=5)
    folder = make_project(tmp_path, [dcm])
    w = open_window(qtbot, folder)
    pane = w.images
    names = [pane.presets.itemText(i) for i in range(pane.presets.count())]
    for name in ("Lung (W1500/L-600)", "Mediastinum (W350/L50)", "Bone (W2000/L300)", "Brain (W80/L40)",
                 "Abdomen (W400/L50)"):
        assert name in names
    assert pane.frames == 5 and pane.frame == 2 and pane.frame_label.text() == "Frame 3 / 5"
    before = pane.view.item.pixmap().toImage()
    pane.view.setFocus()
    qtbot.keyClick(pane.view, Qt.Key.Key_BracketRight)
    qtbot.waitUntil(lambda: w.regions._shown == (0, 3), timeout=10000)
    assert pane.frame_label.text() == "Frame 4 / 5" and pane.view.item.pixmap().toImage() != before
    w.regions.draw_box.trigger()
    drag(pane.view, [(5, 5), (30, 30)])
    [region], _ = stored(folder)
    assert region.frame == 3  # a region carries the frame it was drawn on
    qtbot.keyClick(pane.view, Qt.Key.Key_BracketLeft)
    qtbot.waitUntil(lambda: w.regions._shown == (0, 2), timeout=10000)
    assert w.regions.layer.items == {}  # not on this frame
    w.close()


def test_escape_cancels_freehand_outline_and_right_drag_stays_window(qtbot, tmp_path: Path) -> None:
    folder = make_project(tmp_path, [write_dicom(tmp_path / "one.dcm", frames=1, size=200)])
    w = open_window(qtbot, folder)
    pane, regions = w.images, w.regions
    regions.draw_box.trigger()
    pane.view.setFocus()
    qtbot.keyClick(pane.view, Qt.Key.Key_Escape)
    assert regions.layer.mode == "" and not regions.draw_box.isChecked()
    regions.draw_outline.trigger()
    width = pane.width_.value()
    drag(pane.view, [(100, 100), (140, 100)], Qt.MouseButton.RightButton)  # draw mode: right-drag still windows
    assert pane.width_.value() > width and regions.layer.mode == "polygon"
    drag(pane.view, [(20, 20), (60, 22), (90, 40), (80, 90), (40, 80), (25, 50)])  # freehand
    [outline], _ = stored(folder)
    assert outline.kind == "polygon" and len(outline.points) >= 5
    # zoom and a new window keep the outline on the same image pixels: it is the image item's child
    pane.zoom(2.0)
    item = regions.layer.items[outline.id]
    first = item.path().elementAt(0)
    assert item.parentItem() is pane.view.item and (first.x, first.y) == outline.points[0]
    w.close()


def test_span_context_menu_entries(qtbot, tmp_path: Path, chest_png: Path) -> None:
    from PySide6.QtWidgets import QMenu

    folder = make_project(tmp_path, [chest_png])
    w = open_window(qtbot, folder)
    w.regions.draw_box.trigger()
    drag(w.images.view, [(50, 50), (100, 100)])
    menu = QMenu()
    select_span(w, *FINDING)
    w.regions.fill_span_menu(menu, w.ann.span_exactly(*FINDING))
    texts = [a.text() for a in menu.actions()]
    assert "Link region to entity" in texts and "Not visible in the images" in texts
    w.close()


def test_a_span_shows_the_image_its_region_is_on(qtbot, tmp_path: Path, chest_png: Path) -> None:
    from madpg_core.regions import Region

    second = tmp_path / "src" / "lateral.png"
    Image.new("RGB", (200, 300), (60, 60, 60)).save(second)
    folder = make_project(tmp_path, [chest_png, second])
    with Project.open(folder) as p, p.transaction() as s:
        rid = repo.list_records(s)[0].id
        region = store.add_region(s, Region(None, rid, 1, 0, "box", ((10, 10), (90, 90))))
        store.link(s, region, *FINDING)
    w = open_window(qtbot, folder)
    assert w.images.index == 0 and w.regions.layer.items == {}
    select_span(w, *FINDING)
    qtbot.waitUntil(lambda: w.regions._shown == (1, 0), timeout=10000)
    assert list(w.regions.layer.items) == [region] and w.regions.layer.highlighted_ids() == [region]
    w.close()


def test_a_linked_span_cannot_be_marked_not_visible(qtbot, tmp_path: Path, chest_png: Path) -> None:
    folder = make_project(tmp_path, [chest_png])
    w = open_window(qtbot, folder)
    w.regions.draw_box.trigger()
    drag(w.images.view, [(50, 50), (100, 100)])
    select_span(w, *FINDING)
    w.regions.link_action.trigger()
    depth = w.undo.count()
    w.regions.hidden_action.trigger()  # refused by the core: linked spans are visible
    assert w.undo.count() == depth and not w.regions.hidden_action.isChecked()
    assert "unlink" in w.statusBar().currentMessage()
    with Project.open(folder) as p, p.reading() as s:
        assert store.not_visible(s, repo.list_records(s)[0].id) == set()
    w.close()


def test_the_grounding_file_is_exported_from_the_window(qtbot, monkeypatch: pytest.MonkeyPatch, tmp_path: Path,  # noqa: ANN001
                                                        chest_png: Path) -> None:
    import json

    from madpg_core.domain import RecordStatus
    from madpg_core.regions import Region
    from madpg_gui.dialogs.transfer import GROUNDING, ExportDialog

    folder = make_project(tmp_path, [chest_png])
    with Project.open(folder) as p, p.transaction() as s:
        rid = repo.list_records(s)[0].id
        region = store.add_region(s, Region(None, rid, 0, 0, "box", ((100.0, 80.0), (220.0, 190.0))))
        store.link(s, region, *FINDING)
        repo.set_status(s, rid, RecordStatus.REVIEWED)
    w = open_window(qtbot, folder)
    opened: list[ExportDialog] = []
    monkeypatch.setattr(ExportDialog, "exec", lambda dlg: opened.append(dlg) or 0)
    menu = next(a.menu() for a in w.menuBar().actions() if a.menu() is not None and "gions" in a.text())
    next(a for a in menu.actions() if a.text().startswith("Export grounding")).trigger()  # Regions ▸ Export…
    [dlg] = opened
    assert dlg.format == GROUNDING and dlg.path.text().endswith(".jsonl")
    assert not dlg.layer.isEnabled() and not dlg.assertion_column.isEnabled()
    out = tmp_path / "grounding.jsonl"
    dlg.path.setText(str(out))
    with qtbot.waitSignal(dlg.done, timeout=20000):
        dlg._start()
    [line] = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert line["text"] == "心影增大" and line["box"] == [100.0, 80.0, 220.0, 190.0] and line["visible"] is True
    assert "1 region link" in dlg.info.text()
    w.close()


def test_an_export_to_another_format_says_it_leaves_the_regions_behind(qtbot, tmp_path: Path,  # noqa: ANN001
                                                                      chest_png: Path) -> None:
    from madpg_core.domain import RecordStatus
    from madpg_core.regions import Region
    from madpg_gui.dialogs.transfer import ExportDialog

    folder = make_project(tmp_path, [chest_png])
    with Project.open(folder) as p, p.transaction() as s:
        rid = repo.list_records(s)[0].id
        store.link(s, store.add_region(s, Region(None, rid, 0, 0, "box", ((1.0, 1.0), (9.0, 9.0)))), *FINDING)
        repo.set_status(s, rid, RecordStatus.REVIEWED)
    with Project.open(folder) as p:
        dlg = ExportDialog(p)
        qtbot.addWidget(dlg)
        dlg.fmt.setCurrentText("bio")
        dlg.path.setText(str(tmp_path / "out.txt"))
        with qtbot.waitSignal(dlg.done, timeout=20000):
            dlg._start()
        assert "cannot hold" in dlg.info.text() and "region links (export the grounding file for them) (1)" \
            in dlg.info.text()
