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
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from shot import ROOT, close, open_window, run, save, wait  # noqa: E402
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


def main(out: Path) -> None:
    from PySide6.QtCore import Qt

    app, w = open_window(project_with_three_images(Path(os.environ["MADPG_HOME"]) / "strip"), device="cpu")
    w.show_record(w.records.ids()[0])
    pane = w.images
    loaded = [lambda i=i: pane.thumbs.item(i).data(Qt.ItemDataRole.DecorationRole) is not None
              for i in range(pane.thumbs.count())]
    wait(app, lambda: pane.showing_image and all(f() for f in loaded))
    pane.show_index(1)  # the DICOM: its window/level bar shows too
    wait(app, lambda: pane.showing_image and not pane.wl_bar.isHidden())
    wait(app, lambda: False, 0.5)  # let the last paints land
    save(w, out)
    print(f"{pane.name_label.full_text()}, {pane.counter.text()}, "
          f"thumbnails {[pane.thumbs.item(i).text() for i in range(pane.thumbs.count())]}")
    close(w)


if __name__ == "__main__":
    run(main, OUT)
