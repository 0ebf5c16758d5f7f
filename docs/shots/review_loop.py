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
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from shot import ROOT, close, open_window, run, save, wait  # noqa: E402
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


def main(out: Path) -> None:
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    app, w = open_window(prelabelled_demo(Path(os.environ["MADPG_HOME"]) / "demo"), device="cpu")
    w.records.order.setCurrentIndex(w.records.order.findData("uncertainty"))
    w.show_record(w.records.ids()[0])  # the least confident record
    wait(app, lambda: w.images.showing_image)
    w.activateWindow()
    w.text.setFocus()
    QTest.keyClick(w.text, Qt.Key.Key_Tab)  # highlight the first pre-label
    QTest.keyClick(w.text, Qt.Key.Key_Return)  # accept it: the next one is highlighted
    wait(app, lambda: False, 0.5)  # let the last paints land
    save(w, out)
    print(w.editor.left_label.text())
    close(w)


if __name__ == "__main__":
    run(main, OUT)
