"""What a feature composed into the main window may use of it (the model loop, for one).

A Protocol, not the MainWindow class: model_loop.py depends on this small surface only, so it never
imports main_window.py (which imports model_loop.py to compose it) — no import circle, and the
loop can be driven by any window that offers these few members.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from PySide6.QtCore import Qt, SignalInstance
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QDockWidget, QMenu, QMenuBar, QStatusBar, QWidget

from madpg_core.storage.project import Project
from madpg_gui.annotation import Annotation
from madpg_gui.settings import Preferences
from madpg_gui.widgets.record_list import RecordList


class WindowHost(Protocol):
    prefs: Preferences
    project: Project | None
    ann: Annotation | None
    records: RecordList
    docks: dict[str, QDockWidget]
    menus: dict[str, QMenu]
    projectOpened: SignalInstance  # after a project is shown
    projectClosing: SignalInstance  # before it closes: background work on it must stop

    def add_dock(self, widget: QWidget, title: str, name: str, area: Qt.DockWidgetArea) -> QDockWidget: ...

    def add_action(self, menu: QMenu, text: str, slot: Callable[..., object], keys: object = None,
                   enabled_with_project: bool = True) -> QAction: ...

    def tabifyDockWidget(self, first: QDockWidget, second: QDockWidget) -> None: ...  # noqa: N802

    def menuBar(self) -> QMenuBar: ...  # noqa: N802

    def statusBar(self) -> QStatusBar: ...  # noqa: N802

    def message(self, text: str) -> None: ...
