"""Entry point: ``madpg-gui [--demo] [--reset-config] [PROJECT]``. Wiring only."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from PySide6.QtGui import QFont, QFontDatabase
from PySide6.QtWidgets import QApplication

from madpg_core import threads
from madpg_core.paths import RESOURCES
from madpg_gui import i18n, settings
from madpg_gui.main_window import MainWindow

# Preferred CJK families, most common first; any family Qt reports for Simplified Chinese follows.
CJK_FAMILIES = ("Noto Sans CJK SC", "Source Han Sans SC", "WenQuanYi Micro Hei", "WenQuanYi Zen Hei",
                "Microsoft YaHei", "PingFang SC", "Hiragino Sans GB", "SimHei", "Noto Sans SC")


def choose_cjk_font() -> str | None:
    """Load bundled fonts (resources/fonts), then pick a family that draws Chinese; None if none does."""
    fonts = RESOURCES / "fonts"
    if fonts.is_dir():
        for f in sorted(fonts.glob("*.[ot]t[fc]")):
            QFontDatabase.addApplicationFont(str(f))
    families = QFontDatabase.families(QFontDatabase.WritingSystem.SimplifiedChinese)
    for name in CJK_FAMILIES:
        if name in families:
            return name
    return families[0] if families else None


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="madpg-gui", description="MADPG Annotator desktop")
    p.add_argument("project", nargs="?", help="project folder to open")
    p.add_argument("--demo", action="store_true", help="open the demo project (created on first use)")
    p.add_argument("--reset-config", action="store_true", help="forget preferences, window layout and recent projects")
    return p.parse_args(argv)


class Application:
    """Owns the QApplication and the window; recreates the window to switch language."""

    def __init__(self, argv: list[str]) -> None:
        self.qapp = QApplication.instance() or QApplication(argv[:1])
        self.qapp.setApplicationName("MADPG Annotator")
        self.prefs = settings.load_prefs()
        # Before anything loads torch (the pre-label worker does, later): OpenMP reads its thread
        # count once. 1 thread for this process's pre-labelling; children get theirs from child_env.
        settings.export_threads(self.prefs)
        threads.apply("gui")
        i18n.install(self.prefs.language or i18n.system_language())
        family = choose_cjk_font()
        if family:
            f = QFont(self.qapp.font())
            f.setFamilies([family, *QFont(self.qapp.font()).families()])
            self.qapp.setFont(f)
        self.cjk_font = family
        self.window = self._new_window()

    def _new_window(self) -> MainWindow:
        w = MainWindow(self.prefs)
        w.languageRequested.connect(self.switch_language)
        if not self.cjk_font:
            w.statusBar().showMessage(i18n.tr("No Chinese font found: install fonts-noto-cjk or fonts-wqy-microhei"))
        return w

    def switch_language(self, language: str) -> None:
        self.prefs.language = language
        settings.save_prefs(self.prefs)
        i18n.install(language)
        old = self.window
        folder = old.project.folder if old.project else None
        if not old.close():  # the user chose to keep a running training
            return
        self.window = self._new_window()
        if folder is not None:  # closing saved where the user was (place.py); opening restores it
            self.window.open_project(folder)
        self.window.show()
        old.deleteLater()


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if args.reset_config:
        settings.reset_config()
    app = Application(sys.argv[:1])
    w = app.window
    if args.demo:
        from madpg_gui.demo import ensure_demo_project

        w.open_project(ensure_demo_project())
    elif args.project:
        w.open_project(Path(args.project))
    elif app.prefs.last_project and Path(app.prefs.last_project).exists():
        w.open_project(app.prefs.last_project)
    w.show()
    return app.qapp.exec()


if __name__ == "__main__":
    sys.exit(main())
