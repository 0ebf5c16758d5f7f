"""Screenshot of the image pane's thumbnail strip (issue 20): docs/thumbnail-strip.png.

A project with one demo record and three images (two chest radiographs as PNG, one JPEG 2000
DICOM), shown in the real main window offscreen with the DICOM current: its original file name,
"Image 2 / 3", the window/level bar and the strip with every thumbnail whole. Re-run after a change
to the pane:

    QT_QPA_PLATFORM=offscreen .venv/bin/python docs/shots/thumbnail_strip.py [OUT.png]
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "docs" / "thumbnail-strip.png"
IMAGES = ROOT / "resources" / "demo" / "images"
SOURCES = ("00000001_000.png", "RG3_J2KI.dcm", "00027426_000.png")


def project_with_three_images(folder: Path) -> Path:
    from madpg_core.domain import LabelSchema
    from madpg_core.storage import repo
    from madpg_core.storage.project import Project
    from madpg_gui.demo import demo_records

    record = demo_records()[0][0]  # its text and spans; the images are this picture's own
    with Project.create(folder, LabelSchema.default(), name="Thumbnail strip") as project, \
            project.transaction() as s:
        repo.add_record(s, record, [project.store_image(IMAGES / name) for name in SOURCES])
    return folder


def wait(app: object, until: object, seconds: float = 20.0) -> None:
    end = time.monotonic() + seconds
    while not until() and time.monotonic() < end:
        app.processEvents()
        time.sleep(0.02)


def main(out: Path) -> None:
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QApplication

    from madpg_gui import i18n, settings
    from madpg_gui.main_window import MainWindow

    app = QApplication.instance() or QApplication([])
    i18n.install("en")
    folder = project_with_three_images(Path(os.environ["MADPG_HOME"]) / "strip")
    w = MainWindow(settings.Preferences(language="en", device="cpu"))
    w.resize(1400, 860)
    w.show()
    assert w.open_project(folder)
    w.show_record(w.records.ids()[0])
    pane, record = w.images, w.ann.record
    if pane.names != [record.image_name(i) for i in range(len(record.images))]:
        # main_window.py passes record.image_names once issue 20's wiring is in; until then, here
        pane.set_images(record.images, record.image_names)
    loaded = [lambda i=i: pane.thumbs.item(i).data(Qt.ItemDataRole.DecorationRole) is not None
              for i in range(pane.thumbs.count())]
    wait(app, lambda: pane.showing_image and all(f() for f in loaded))
    pane.show_index(1)  # the DICOM: its window/level bar shows too
    wait(app, lambda: pane.showing_image and not pane.wl_bar.isHidden())
    wait(app, lambda: False, 0.5)  # let the last paints land
    out.parent.mkdir(parents=True, exist_ok=True)
    if not w.grab().save(str(out)):
        raise SystemExit(f"could not write {out}")
    print(f"wrote {out}: {pane.name_label.full_text()}, {pane.counter.text()}, "
          f"thumbnails {[pane.thumbs.item(i).text() for i in range(pane.thumbs.count())]}")
    w.model_loop.shutdown()
    w.close()


if __name__ == "__main__":
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    with tempfile.TemporaryDirectory(prefix="madpg-shot-") as home:
        os.environ["MADPG_HOME"] = home  # a sealed home: no real settings, recent projects or data
        sys.path.insert(0, str(ROOT))
        main(Path(sys.argv[1]).resolve() if len(sys.argv) > 1 else OUT)
