"""Screenshot of the keyboard review of pre-labels: docs/review-loop.png.

The demo project (records as they arrive: the hand-made spans of its unreviewed records removed),
pre-labelled by the bundled model through the same code the Model menu runs, then shown in the real
main window offscreen, least confident first, with one pre-label accepted by Enter and the next one
highlighted. Re-run after a change to the window:

    QT_QPA_PLATFORM=offscreen .venv/bin/python docs/shots/review_loop.py [OUT.png]
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "docs" / "review-loop.png"


def prelabelled_demo(folder: Path) -> Path:
    from madpg_core import registry
    from madpg_core.domain import RecordStatus
    from madpg_core.prelabel import load_predictor, prelabel, unreviewed_ids
    from madpg_core.storage import repo
    from madpg_gui.demo import create_demo_project

    project = create_demo_project(folder)
    with project.transaction() as s:
        for rid in repo.record_ids(s, status=[RecordStatus.NEW]):
            repo.replace_spans(s, rid, [])
    version, model_dir = registry.active_model_dir(project)
    report = prelabel(project, unreviewed_ids(project), load_predictor(project, model_dir, "cpu"),
                      f"v{version.version}")
    print(f"pre-labelled {report.records} records, {report.spans} entities")
    project.close()
    return folder


def wait(app: object, until: object, seconds: float = 10.0) -> None:
    end = time.monotonic() + seconds
    while not until() and time.monotonic() < end:
        app.processEvents()
        time.sleep(0.02)


def main(out: Path) -> None:
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    from madpg_gui import i18n, settings
    from madpg_gui.main_window import MainWindow

    app = QApplication.instance() or QApplication([])
    i18n.install("en")
    folder = prelabelled_demo(Path(os.environ["MADPG_HOME"]) / "demo")
    w = MainWindow(settings.Preferences(language="en", device="cpu"))
    w.resize(1400, 860)
    w.show()
    assert w.open_project(folder)
    w.records.order.setCurrentIndex(w.records.order.findData("uncertainty"))
    w.show_record(w.records.ids()[0])  # the least confident record
    wait(app, lambda: w.images.showing_image)  # before the keys: their status message lasts 8 s
    w.activateWindow()
    w.text.setFocus()
    QTest.keyClick(w.text, Qt.Key.Key_Tab)  # highlight the first pre-label
    QTest.keyClick(w.text, Qt.Key.Key_Return)  # accept it: the next one is highlighted
    wait(app, lambda: False, 0.5)  # let the last paints land
    out.parent.mkdir(parents=True, exist_ok=True)
    if not w.grab().save(str(out)):
        raise SystemExit(f"could not write {out}")
    print(f"wrote {out}: {w.editor.left_label.text()}; {w.statusBar().currentMessage()}")
    w.model_loop.shutdown()
    w.close()


if __name__ == "__main__":
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    with tempfile.TemporaryDirectory(prefix="madpg-shot-") as home:
        os.environ["MADPG_HOME"] = home  # a sealed home: no real settings, recent projects or data
        sys.path.insert(0, str(ROOT))
        main(Path(sys.argv[1]).resolve() if len(sys.argv) > 1 else OUT)
