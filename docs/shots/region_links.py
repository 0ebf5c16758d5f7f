"""Screenshot of image regions linked to spans (issue 18 item 1): docs/region-links.png.

The demo project plus one chest radiograph report whose finding 心影增大 (an enlarged cardiac
silhouette) is linked to a box around the heart, drawn with the mouse through the Regions tools as
a user draws it and linked with the L key; 双肺纹理增粗 is linked to an outline of the right lung,
and the negated 实变影 is marked "not visible in the images" (⊘). The span 心影增大 is current, so its
box is highlighted; the box is selected, so its span is framed in the text. Re-run after a change to
the image pane or the regions:

    QT_QPA_PLATFORM=offscreen .venv/bin/python docs/shots/region_links.py [OUT.png]
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from shot import ROOT, close, open_window, run, save, wait

OUT = ROOT / "docs" / "region-links.png"
XRAY = ROOT / "resources" / "demo" / "images" / "00000001_000.png"  # 512 × 512, an enlarged heart
TEXT = "患者男，68岁，反复胸闷、气促3年。胸部正位片示心影增大，心胸比约0.58，双肺纹理增粗，未见明显实变影。诊断：心脏扩大。"
SPANS = (("胸闷", "Symptom"), ("气促", "Symptom"), ("心影增大", "Disease"), ("双肺纹理增粗", "Symptom"),
         ("实变影", "Symptom"), ("心脏扩大", "Disease"))
HEART_BOX = ((168, 188), (408, 382))  # image pixels
RIGHT_LUNG = ((70, 95), (150, 68), (196, 92), (196, 200), (178, 330), (125, 362), (62, 372), (52, 230))


def key(word: str) -> tuple[int, int, int]:
    return (TEXT.index(word), TEXT.index(word) + len(word), 0)


def demo_with_chest_record(folder: Path) -> tuple[Path, int]:
    from madpg_core.domain import Record, Span
    from madpg_core.regions import Region
    from madpg_core.storage import regions, repo
    from madpg_gui.demo import create_demo_project

    project = create_demo_project(folder)
    spans = tuple(Span(TEXT.index(w), TEXT.index(w) + len(w), t) for w, t in SPANS)
    with project.transaction() as s:
        rid = repo.add_record(s, Record(TEXT, spans, name="胸片 · 心影增大"), [project.store_image(XRAY)])
        lung = regions.add_region(s, Region(None, rid, 0, 0, "polygon", RIGHT_LUNG))
        regions.link(s, lung, *key("双肺纹理增粗"))
        regions.set_not_visible(s, rid, *key("实变影"), value=True)
    project.close()
    return folder, rid


def main(out: Path) -> None:
    from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
    from PySide6.QtGui import QMouseEvent
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    folder, rid = demo_with_chest_record(Path(os.environ["MADPG_HOME"]) / "demo")
    app, w = open_window(folder, device="cpu")
    w.show_record(rid)
    wait(app, lambda: w.images.showing_image and w.regions._shown[0] == 0)
    view = w.images.view
    vp = view.viewport()

    def send(kind: QEvent.Type, xy: tuple[float, float], button: Qt.MouseButton, buttons: Qt.MouseButton) -> None:
        pos = QPointF(view.mapFromScene(view.item.mapToScene(QPointF(*xy))))
        QApplication.sendEvent(vp, QMouseEvent(kind, pos, QPointF(vp.mapToGlobal(QPoint(int(pos.x()), int(pos.y())))),
                                               button, buttons, Qt.KeyboardModifier.NoModifier))

    # draw the box as a user does: B, then a drag from corner to corner
    w.regions.draw_box.trigger()
    (x0, y0), (x1, y1) = HEART_BOX
    left, none = Qt.MouseButton.LeftButton, Qt.MouseButton.NoButton
    send(QEvent.Type.MouseButtonPress, (x0, y0), left, left)
    for k in range(1, 11):
        send(QEvent.Type.MouseMove, (x0 + (x1 - x0) * k / 10, y0 + (y1 - y0) * k / 10), none, left)
    send(QEvent.Type.MouseButtonRelease, (x1, y1), left, none)
    box = w.regions.layer.selected_id
    assert box is not None, "the box was not drawn"
    # the span in the text, then L: linked
    start, end, _ = key("心影增大")
    w.editor.select(w.ann.span_exactly(start, end))
    w.activateWindow()
    w.text.setFocus()
    QTest.keyClick(w.text, Qt.Key.Key_L)
    wait(app, lambda: w.regions.layer.items[box].shape_.label == "心影增大", 5)
    w.regions.select_region(box)  # the box selected: its span framed in the text
    w.editor.select(w.ann.span_exactly(start, end))  # and the span current: its box highlighted
    wait(app, lambda: False, 0.5)  # let the last paints land
    save(w, out)
    print(f"regions {[i.shape_.label for i in w.regions.layer.items.values()]}, "
          f"highlighted {w.regions.layer.highlighted_ids()}, text marks {w.regions.marks.linked}")
    close(w)


if __name__ == "__main__":
    run(main, OUT)
