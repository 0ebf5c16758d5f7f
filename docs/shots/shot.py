"""What every screenshot script here shares: a sealed MADPG_HOME, the real main window offscreen,
waiting for the window to settle, and writing the grab. Each script builds its own project and
puts the window in the state its picture shows."""

from __future__ import annotations

import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def wait(app: object, until: Callable[[], bool], seconds: float = 20.0) -> None:
    """Process events until ``until()`` holds or ``seconds`` pass (``lambda: False``: just settle)."""
    end = time.monotonic() + seconds
    while not until() and time.monotonic() < end:
        app.processEvents()
        time.sleep(0.02)


def open_window(folder: Path, language: str = "en", size: tuple[int, int] = (1400, 860), **prefs: object):  # noqa: ANN201
    """The QApplication and the real main window on ``folder``, in ``language``."""
    from PySide6.QtWidgets import QApplication

    from madpg_gui import i18n, settings
    from madpg_gui.main_window import MainWindow

    app = QApplication.instance() or QApplication([])
    assert i18n.install(language)
    w = MainWindow(settings.Preferences(language=language, **prefs))
    w.resize(*size)
    w.show()
    assert w.open_project(folder)
    return app, w


def save(w: object, out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    if not w.grab().save(str(out)):
        raise SystemExit(f"could not write {out}")
    print(f"wrote {out}: {w.statusBar().currentMessage()}")


def close(w: object) -> None:
    w.model_loop.shutdown()
    w.close()


def run(main: Callable[[Path], None], default_out: Path) -> None:
    """Run ``main(out)`` offscreen in a sealed home: no real settings, recent projects or data."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    with tempfile.TemporaryDirectory(prefix="madpg-shot-") as home:
        os.environ["MADPG_HOME"] = home
        sys.path.insert(0, str(ROOT))
        main(Path(sys.argv[1]).resolve() if len(sys.argv) > 1 else default_out)
