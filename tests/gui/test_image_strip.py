"""The thumbnail strip of the image pane (issue 20): whole, separate cells with the original file
names, the current one selected, keyboard steps, "Image i / n", names instead of content hashes
while loading, stale loads skipped, and the pane's view state."""

from __future__ import annotations

import json
import re
from itertools import combinations
from pathlib import Path

import pytest
from PIL import Image
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QColor

from madpg_core.domain import LabelSchema, Record
from madpg_core.storage import repo
from madpg_core.storage.project import Project
from madpg_gui import imaging
from madpg_gui.imaging import THUMB
from madpg_gui.widgets.image_pane import ImagePane

DEMO_IMAGES = Path(__file__).resolve().parents[2] / "resources" / "demo" / "images"
SHA = re.compile(r"[0-9a-f]{64}")
COLORS = [(220, 40, 40), (40, 200, 60), (40, 80, 230), (230, 200, 30), (200, 40, 200), (30, 200, 200),
          (240, 140, 20), (120, 60, 20), (90, 90, 90), (250, 250, 250), (20, 20, 120), (120, 200, 120)]


def stored_record(tmp_path: Path, sources: list[Path]) -> Record:
    """A record of a real project with these images, as the window gets it (paths under their
    content hash, original names beside them)."""
    with Project.create(tmp_path / "p", LabelSchema.default()) as p:
        with p.transaction() as s:
            rid = repo.add_record(s, Record("胸片。", name="r"), [p.store_image(i) for i in sources])
        with p.reading() as s:
            return repo.get_record(s, rid, p.image_root)


def pngs(tmp_path: Path, n: int) -> list[Path]:
    """n solid-colour images of different shapes, each a name a person would give it."""
    out = []
    for i in range(n):
        size = [(300, 100), (80, 240), (120, 120)][i % 3]  # wide, tall, square
        path = tmp_path / "src" / f"chest-{i + 1}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        Image.new("RGB", size, COLORS[i]).save(path)
        out.append(path)
    return out


@pytest.fixture
def pane(qtbot) -> ImagePane:  # noqa: ANN001
    w = ImagePane()
    qtbot.addWidget(w)
    w.resize(700, 520)
    w.show()
    qtbot.waitExposed(w)
    yield w
    w.set_images([])
    w.loader.wait()


def all_loaded(pane: ImagePane) -> bool:
    return all(pane.thumbs.item(i).data(Qt.ItemDataRole.DecorationRole) is not None
               for i in range(pane.thumbs.count()))


def cell_rects(pane: ImagePane) -> list:
    return [pane.thumbs.visualItemRect(pane.thumbs.item(i)) for i in range(pane.thumbs.count())]


def assert_whole_and_apart(pane: ImagePane) -> None:
    viewport = pane.thumbs.viewport().rect()
    rects = cell_rects(pane)
    for r in rects:
        assert viewport.contains(r), (r, viewport)
        assert r.width() >= THUMB and r.height() >= THUMB
    for a, b in combinations(rects, 2):
        assert not a.intersects(b), (a, b)


@pytest.mark.parametrize("n", [2, 5])
def test_every_thumbnail_is_whole_apart_and_drawn(qtbot, pane: ImagePane, tmp_path: Path, n: int) -> None:  # noqa: ANN001
    rec = stored_record(tmp_path, pngs(tmp_path, n))
    pane.set_images(rec.images, rec.image_names)
    assert_whole_and_apart(pane)  # before any thumbnail exists (the sliver of issue 20 was here)
    qtbot.waitUntil(lambda: all_loaded(pane), timeout=10000)
    assert_whole_and_apart(pane)
    # each cell shows its own image: the thumbnail's centre has that image's colour
    shot = pane.thumbs.viewport().grab().toImage()
    for i, r in enumerate(cell_rects(pane)):
        got = QColor(shot.pixel(r.center().x(), r.top() + 4 + THUMB // 2))
        assert abs(got.red() - COLORS[i][0]) + abs(got.green() - COLORS[i][1]) + abs(got.blue() - COLORS[i][2]) < 30
    assert [pane.thumbs.item(i).text() for i in range(n)] == [f"chest-{i + 1}.png" for i in range(n)]
    assert pane.thumbs.currentRow() == 0 and pane.thumbs.item(0).isSelected()
    assert pane.counter.text() == f"Image 1 / {n}"


def test_many_images_scroll_and_the_current_one_is_scrolled_into_view(qtbot, pane: ImagePane,  # noqa: ANN001
                                                                      tmp_path: Path) -> None:
    rec = stored_record(tmp_path, pngs(tmp_path, 12))
    pane.set_images(rec.images, rec.image_names)
    assert pane.thumbs.horizontalScrollBar().maximum() > 0
    pane.thumbs.setFocus()
    qtbot.keyClick(pane.thumbs, Qt.Key.Key_End)
    assert pane.index == 11 and pane.counter.text() == "Image 12 / 12"
    last = pane.thumbs.visualItemRect(pane.thumbs.item(11))
    assert pane.thumbs.viewport().rect().contains(last)
    assert pane.name_label.full_text() == "chest-12.png"


def test_keys_step_through_the_images(qtbot, pane: ImagePane, tmp_path: Path) -> None:  # noqa: ANN001
    rec = stored_record(tmp_path, pngs(tmp_path, 3))
    pane.set_images(rec.images, rec.image_names)
    pane.thumbs.setFocus()
    qtbot.keyClick(pane.thumbs, Qt.Key.Key_Right)
    assert pane.index == 1 and pane.thumbs.item(1).isSelected()
    qtbot.keyClick(pane.thumbs, Qt.Key.Key_Left)
    assert pane.index == 0
    pane.view.setFocus()
    qtbot.keyClick(pane.view, Qt.Key.Key_PageDown)
    qtbot.keyClick(pane.view, Qt.Key.Key_PageDown)
    assert pane.index == 2 and pane.thumbs.currentRow() == 2
    qtbot.keyClick(pane.view, Qt.Key.Key_PageDown)  # past the last: stays
    assert pane.index == 2
    qtbot.keyClick(pane.thumbs, Qt.Key.Key_PageUp)
    assert pane.index == 1 and pane.counter.text() == "Image 2 / 3"
    qtbot.waitUntil(lambda: pane.showing_image and pane.view.item.pixmap().width() == 80, timeout=10000)


def test_one_image_has_no_strip_but_its_name(qtbot, pane: ImagePane, tmp_path: Path) -> None:  # noqa: ANN001
    rec = stored_record(tmp_path, pngs(tmp_path, 1))
    pane.set_images(rec.images, rec.image_names)
    assert pane.thumbs.isHidden() and pane.counter.isHidden()
    assert not pane.caption.isHidden() and pane.name_label.full_text() == "chest-1.png"
    pane.set_images([])
    assert pane.caption.isHidden() and pane.note.text() == "No image for this record"


def test_a_dicom_loads_under_its_original_name_never_its_hash(qtbot, pane: ImagePane, tmp_path: Path) -> None:  # noqa: ANN001
    broken = tmp_path / "src" / "broken scan.png"
    broken.parent.mkdir()
    broken.write_bytes(b"\x89PNG\r\n\x1a\n not really a png")
    rec = stored_record(tmp_path, [DEMO_IMAGES / "CT_small.dcm", broken])
    assert SHA.search(rec.images[0])
    pane.set_images(rec.images, rec.image_names)
    assert pane.note.text() == "Loading CT_small.dcm…"
    qtbot.waitUntil(lambda: pane.showing_image, timeout=10000)
    assert not pane.wl_bar.isHidden() and pane.name_label.full_text() == "CT_small.dcm"
    pane.show_index(1)
    qtbot.waitUntil(lambda: "broken scan.png" in pane.note.text(), timeout=10000)
    assert not SHA.search(pane.note.text()) and not SHA.search(pane.thumbs.item(1).toolTip())


def test_names_fall_back_to_the_stored_file_name(qtbot, pane: ImagePane, tmp_path: Path) -> None:  # noqa: ANN001
    rec = stored_record(tmp_path, pngs(tmp_path, 2))
    pane.set_images(rec.images)  # a caller that does not know the names
    assert pane.names == [Path(p).name for p in rec.images]


def test_a_record_left_quickly_is_not_decoded(qtbot, pane: ImagePane, tmp_path: Path,  # noqa: ANN001
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    decoded: list[str] = []
    real = imaging.load_image

    def counting(path: str, window: object = None) -> object:
        decoded.append(str(path))
        return real(path, window)

    monkeypatch.setattr(imaging, "load_image", counting)
    left = stored_record(tmp_path / "a", pngs(tmp_path / "a", 10))
    shown = stored_record(tmp_path / "b", [DEMO_IMAGES / "00000001_000.png"])
    pane.set_images(left.images, left.image_names)
    pane.set_images(shown.images, shown.image_names)  # the user moved on at once
    qtbot.waitUntil(lambda: pane.showing_image, timeout=10000)
    pane.loader.wait()
    assert len([p for p in decoded if p in left.images]) <= 1  # at most the one already running
    assert decoded.count(shown.images[0]) == 1


def test_thumbnails_arrive_scaled(qtbot, tmp_path: Path) -> None:  # noqa: ANN001
    loader = imaging.ImageLoader()
    loader.begin(1)
    with qtbot.waitSignal(loader.loaded, timeout=10000) as got:
        loader.request(1, 0, str(DEMO_IMAGES / "00000001_000.png"))
    result = got.args[2]
    assert result.image.width() > THUMB and max(result.thumb.width(), result.thumb.height()) == THUMB
    assert not result.dicom and result.presets == []
    loader.wait()


def test_view_state_round_trip(qtbot, pane: ImagePane, tmp_path: Path) -> None:  # noqa: ANN001
    rec = stored_record(tmp_path, pngs(tmp_path, 3))
    pane.set_images(rec.images, rec.image_names)
    assert pane.view_state() == {"index": 0, "zoom": None, "center": None}  # fitted
    pane.show_index(2)
    qtbot.waitUntil(lambda: pane.showing_image and pane.view.item.pixmap().width() == 120, timeout=10000)
    pane.view.set_zoom(12.0, QPointF(30, 90))  # 1440 pixels wide: larger than the view, so it pans
    state = json.loads(json.dumps(pane.view_state()))  # what the window stores
    assert state["index"] == 2 and state["zoom"] == 12.0
    assert state["center"] == pytest.approx([0.25, 0.75], abs=0.02)

    # a project being opened: the state comes first, the record's images after it
    again = ImagePane()
    qtbot.addWidget(again)
    again.resize(700, 520)
    again.show()
    again.restore_view_state(state)
    again.set_images(rec.images, rec.image_names)
    assert again.index == 2
    assert again.view_state() == state  # closed again before the image arrives: nothing is lost
    qtbot.waitUntil(lambda: again.showing_image and not again.view.fit_mode, timeout=10000)
    back = again.view_state()
    assert back["index"] == 2 and back["zoom"] == 12.0
    assert back["center"] == pytest.approx(state["center"], abs=0.02)
    # on images already shown it applies at once; fitted again with zoom None
    again.restore_view_state({"index": 0, "zoom": None, "center": None})
    qtbot.waitUntil(lambda: again.showing_image and again.index == 0, timeout=10000)
    assert again.view.fit_mode and again.view_state()["zoom"] is None
    # nonsense is ignored, not an error
    again.restore_view_state({"index": 99, "zoom": "big", "center": "x"})
    assert again.index == 0
    again.set_images([])
    again.loader.wait()


def _right_drag(view, dx: int, dy: int) -> None:  # noqa: ANN001
    from PySide6.QtCore import QEvent, QPoint
    from PySide6.QtGui import QMouseEvent
    from PySide6.QtWidgets import QApplication

    vp = view.viewport()
    start = QPointF(vp.rect().center())
    right, none = Qt.MouseButton.RightButton, Qt.MouseButton.NoButton

    def send(kind: QEvent.Type, at: QPointF, button: Qt.MouseButton, buttons: Qt.MouseButton) -> None:
        QApplication.sendEvent(vp, QMouseEvent(kind, at, QPointF(vp.mapToGlobal(QPoint(int(at.x()), int(at.y())))),
                                               button, buttons, Qt.KeyboardModifier.NoModifier))

    send(QEvent.Type.MouseButtonPress, start, right, right)
    for k in range(1, 5):  # in steps, as a hand moves
        send(QEvent.Type.MouseMove, start + QPointF(dx * k / 4, dy * k / 4), none, right)
    send(QEvent.Type.MouseButtonRelease, start + QPointF(dx, dy), right, none)


def test_right_drag_sets_window_and_level_on_a_dicom(qtbot, pane: ImagePane, tmp_path: Path) -> None:  # noqa: ANN001
    """Issue 18 item 3: window/level by right-drag, as in every PACS viewer."""
    rec = stored_record(tmp_path, [DEMO_IMAGES / "CT_small.dcm", *pngs(tmp_path, 1)])
    pane.set_images(rec.images, rec.image_names)
    qtbot.waitUntil(lambda: pane.showing_image, timeout=10000)
    center, width = pane.center.value(), pane.width_.value()
    before = pane.view.item.pixmap().toImage()
    _right_drag(pane.view, 40, -20)  # right: wider; up: lower level
    assert pane.width_.value() > width and pane.center.value() < center
    qtbot.waitUntil(lambda: pane.view.item.pixmap().toImage() != before, timeout=10000)  # re-decoded
    assert pane.view.transform().m11() > 0 and pane.view._drag_from is None
    pane.show_index(1)  # a PNG has no window: a right-drag does nothing
    qtbot.waitUntil(lambda: pane.wl_bar.isHidden() and pane.showing_image, timeout=10000)
    center, width = pane.center.value(), pane.width_.value()
    _right_drag(pane.view, 40, -20)
    assert (pane.center.value(), pane.width_.value()) == (center, width)
