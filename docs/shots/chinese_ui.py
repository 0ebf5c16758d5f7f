"""Screenshot of the Chinese interface with the entity types' Chinese names: docs/chinese-ui.png.

The demo project pre-labelled by the bundled model (as docs/shots/review_loop.py does), shown in the
real main window offscreen with the zh_CN catalogue: palette buttons, the entity table, the record
list and the status bar speak Chinese; BIO tags keep the identifiers. Re-run after a change:

    QT_QPA_PLATFORM=offscreen .venv/bin/python docs/shots/chinese_ui.py [OUT.png]
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "docs" / "chinese-ui.png"


def main(out: Path) -> None:
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    from docs.shots.review_loop import prelabelled_demo, wait
    from madpg_gui import i18n, settings
    from madpg_gui.app import choose_cjk_font
    from madpg_gui.main_window import MainWindow

    app = QApplication.instance() or QApplication([])
    family = choose_cjk_font()
    if family:
        f = app.font()
        f.setFamilies([family, *f.families()])
        app.setFont(f)
    assert i18n.install("zh_CN")
    folder = prelabelled_demo(Path(os.environ["MADPG_HOME"]) / "demo")
    w = MainWindow(settings.Preferences(language="zh_CN", device="cpu"))
    w.resize(1400, 860)
    w.show()
    assert w.open_project(folder)
    w.records.order.setCurrentIndex(w.records.order.findData("uncertainty"))
    w.show_record(w.records.ids()[1])
    wait(app, lambda: w.images.showing_image)
    w.activateWindow()
    w.text.setFocus()
    QTest.keyClick(w.text, Qt.Key.Key_Tab)  # a pre-label highlighted: its Chinese type in the status bar
    wait(app, lambda: False, 0.5)
    out.parent.mkdir(parents=True, exist_ok=True)
    if not w.grab().save(str(out)):
        raise SystemExit(f"could not write {out}")
    print(f"wrote {out}: {w.statusBar().currentMessage()}")
    w.model_loop.shutdown()
    w.close()


if __name__ == "__main__":
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    with tempfile.TemporaryDirectory(prefix="madpg-shot-") as home:
        os.environ["MADPG_HOME"] = home  # a sealed home: no real settings, recent projects or data
        sys.path.insert(0, str(ROOT))
        main(Path(sys.argv[1]).resolve() if len(sys.argv) > 1 else OUT)
