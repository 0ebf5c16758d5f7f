"""Screenshot of the Chinese interface with the entity types' Chinese names: docs/chinese-ui.png.

The demo project pre-labelled by the bundled model (as docs/shots/review_loop.py does), shown in the
real main window offscreen with the zh_CN catalogue: palette buttons, the entity table, the record
list and the status bar speak Chinese; BIO tags keep the identifiers. Re-run after a change:

    QT_QPA_PLATFORM=offscreen .venv/bin/python docs/shots/chinese_ui.py [OUT.png]
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from shot import ROOT, close, open_window, run, save, wait  # noqa: E402
OUT = ROOT / "docs" / "chinese-ui.png"


def main(out: Path) -> None:
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    from madpg_gui.app import choose_cjk_font
    from review_loop import prelabelled_demo

    app = QApplication.instance() or QApplication([])
    family = choose_cjk_font()
    if family:
        f = app.font()
        f.setFamilies([family, *f.families()])
        app.setFont(f)
    app, w = open_window(prelabelled_demo(Path(os.environ["MADPG_HOME"]) / "demo"), "zh_CN", device="cpu")
    w.records.order.setCurrentIndex(w.records.order.findData("uncertainty"))
    w.show_record(w.records.ids()[1])
    wait(app, lambda: w.images.showing_image)
    w.activateWindow()
    w.text.setFocus()
    QTest.keyClick(w.text, Qt.Key.Key_Tab)  # a pre-label highlighted: its Chinese type in the status bar
    wait(app, lambda: False, 0.5)
    save(w, out)
    close(w)


if __name__ == "__main__":
    run(main, OUT)
