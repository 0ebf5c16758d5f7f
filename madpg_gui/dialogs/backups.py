"""The project file's safety in the window: File ▸ Restore backup…, the offer to restore the last
good backup when a damaged project is opened, and the status-bar note while a write waits for
another program (a command-line import) that holds the project's write lock.

Restoring works on a closed project (storage.backups.restore moves the current file and its WAL
aside to backups/replaced-….sqlite, then copies the backup in place): the window closes the
project first, and opens it again afterwards, through its own close_project / open_project.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QEventLoop, QObject, Qt, QThread, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QMainWindow,
    QMessageBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from madpg_core.errors import MadpgError
from madpg_core.storage import backups, db
from madpg_core.storage.project import DB_NAME
from madpg_gui.i18n import tr

if TYPE_CHECKING:
    from madpg_gui.main_window import MainWindow as Window

# No new report this long after the last one: the write got the lock (reports come every BUSY_SLICE_MS).
WAIT_GONE_MS = db.BUSY_SLICE_MS + 1500


# ---------------------------------------------------------------- waiting for another writer


class WriteWaitNotifier(QObject):
    """``report`` is a Project's ``on_wait``: it may run on a worker thread (imports, pre-labelling)
    or on the GUI thread (an edit). The signal carries it to the GUI thread either way; the note
    stays in the status bar until the write went through or another message replaces it."""

    waiting = Signal(float)  # seconds waited so far

    def __init__(self, window: QMainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.shown = ""
        self._gone = QTimer(self, singleShot=True)
        self._gone.timeout.connect(self._clear)
        self.waiting.connect(self._show)  # queued from a worker thread, direct on the GUI thread
        window.projectOpened.connect(self._attach)  # the window opens projects with it; created ones too

    def _attach(self) -> None:
        self.window.project.on_wait = self.report

    def report(self, seconds: float) -> None:
        self.waiting.emit(seconds)
        if QThread.currentThread() == self.thread():
            # The GUI thread itself waits: paint the note now. User input stays queued, so no
            # second edit can start while this one waits.
            QApplication.processEvents(QEventLoop.ProcessEventsFlag.ExcludeUserInputEvents)
            self._gone.start(0)  # fires once the event loop runs again, i.e. after the write

    def _show(self, seconds: float) -> None:
        self.shown = tr("Waiting for another program writing this project… {n} s").format(n=round(seconds))
        self.window.statusBar().showMessage(self.shown)
        self._gone.start(WAIT_GONE_MS)

    def _clear(self) -> None:
        if self.shown and self.window.statusBar().currentMessage() == self.shown:
            self.window.statusBar().clearMessage()
        self.shown = ""


# ---------------------------------------------------------------- restoring


def taken_text(backup: Path) -> str:
    taken = backups.backup_taken_on(backup)
    if taken is None:
        taken = dt.datetime.fromtimestamp(backup.stat().st_mtime)
    return f"{taken:%Y-%m-%d %H:%M:%S}"


def size_text(n: int) -> str:
    for unit in ("B", "KB", "MB"):
        if n < 1024:
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GB"


def project_folder(folder: str | Path) -> Path:
    folder = Path(folder)
    return folder.parent if folder.name == DB_NAME and folder.is_file() else folder


def restore_and_reopen(window: Window, folder: str | Path, backup: Path, *, reopen_on_failure: bool = True) -> bool:
    """Close the project (if the window has it open), restore ``backup``, open the project again.
    False, after telling the user why, when the backup could not be restored or opened."""
    folder = project_folder(folder)
    record = None  # shown again afterwards, when the backup holds it
    if window.project is not None and window.project.folder == folder.resolve():
        record = window.ann.record_id if window.ann is not None else None
        window.close_project()
    try:
        aside = backups.restore(folder, backup)
    except (MadpgError, OSError) as e:
        QMessageBox.warning(window, tr("Restore backup"), tr("The backup was not restored: {error}").format(error=e))
        if reopen_on_failure:
            window.open_project(folder)
        return False
    if not window.open_project(folder):
        return False
    if record is not None and record in window.records.ids():
        window.show_record(record)
    window.message(tr("Restored the backup of {date}; the replaced file is kept as {path}")
                   .format(date=taken_text(backup), path=aside))
    return True


def open_failed(window: Window, folder: str | Path, error: MadpgError, *, half_open: bool) -> bool:
    """The window's open_project failed with ``error`` (``half_open``: after Project.open, while the
    project was being shown). Offers the last good backup of a damaged file, else shows the error.
    True when a restored backup was opened."""
    if half_open:
        window.close_project()
    restored = offer_restore(window, folder, error)
    if restored is None:
        QMessageBox.warning(window, tr("Open project"), str(error))
    return bool(restored)


def offer_restore(window: Window, folder: str | Path, error: MadpgError) -> bool | None:
    """Opening ``folder`` failed with ``error``. When the file is damaged and a backup exists, offer
    to restore it. None: nothing was offered or the user declined (the caller shows the error);
    else whether the backup was restored and the project opened."""
    folder = project_folder(folder)
    good = backups.last_good(folder) if "is damaged" in str(error) else None
    if good is None:
        return None
    answer = QMessageBox.question(
        window, tr("Open project"),
        f"{error}\n\n" + tr("Restore the backup of {date}? The damaged file is kept as backups/replaced-….sqlite.")
        .format(date=taken_text(good)))
    if answer != QMessageBox.StandardButton.Yes:
        return None
    return restore_and_reopen(window, folder, good, reopen_on_failure=False)


class BackupsDialog(QDialog):
    """The project's backups, newest first, with when each was taken, its size and SQLite's verdict."""

    def __init__(self, window: Window, folder: str | Path, parent: QWidget | None = None) -> None:
        super().__init__(parent or window)
        self.window_ = window
        self.folder = Path(folder)
        self.setWindowTitle(tr("Restore backup"))
        note = QLabel(tr("Restoring replaces the project file with the backup; the current file is kept "
                         "as backups/replaced-….sqlite."), wordWrap=True)
        self.table = QTableWidget(0, 3)
        self.table.setHorizontalHeaderLabels([tr("Taken"), tr("Size"), tr("Check")])
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.empty = QLabel(tr("No backups yet: one is taken each day the project is opened."), wordWrap=True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.restore_button = buttons.addButton(tr("Restore…"), QDialogButtonBox.ButtonRole.ActionRole)
        self.restore_button.clicked.connect(self.restore_selected)
        buttons.rejected.connect(self.reject)
        self.table.itemSelectionChanged.connect(self._selection)
        lay = QVBoxLayout(self)
        for w in (note, self.table, self.empty, buttons):
            lay.addWidget(w)
        self.resize(560, 320)
        self.backups: list[Path] = []
        self.verdicts: list[str] = []
        self.reload()

    def reload(self) -> None:
        self.backups = backups.list_backups(self.folder)
        self.verdicts = [backups.quick_check(p) for p in self.backups]
        self.table.setRowCount(len(self.backups))
        for row, (path, verdict) in enumerate(zip(self.backups, self.verdicts)):
            cells = (taken_text(path), size_text(path.stat().st_size),
                     tr("ok") if verdict == "ok" else tr("damaged: {problem}").format(problem=verdict))
            for col, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(str(path) if col == 0 else text)
                if col == 1:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(row, col, item)
        self.table.resizeColumnsToContents()
        self.empty.setVisible(not self.backups)
        self.table.setVisible(bool(self.backups))
        if self.backups:
            self.table.selectRow(0)
        self._selection()

    def selected(self) -> Path | None:
        rows = self.table.selectionModel().selectedRows()
        return self.backups[rows[0].row()] if rows else None

    def _selection(self) -> None:
        rows = self.table.selectionModel().selectedRows()
        self.restore_button.setEnabled(bool(rows) and self.verdicts[rows[0].row()] == "ok")

    def restore_selected(self) -> bool:
        backup = self.selected()
        if backup is None:
            return False
        if self.window_.model_loop.training.is_running():
            QMessageBox.information(self, tr("Restore backup"),
                                    tr("A training run is using this project; stop it before restoring a backup."))
            return False
        answer = QMessageBox.question(
            self, tr("Restore backup"),
            tr("Replace the project with the backup of {date}? Changes made since then stay only in the replaced "
               "file, kept as backups/replaced-….sqlite. Close other programs using this project first.")
            .format(date=taken_text(backup)))
        if answer != QMessageBox.StandardButton.Yes:
            return False
        if restore_and_reopen(self.window_, self.folder, backup):
            self.accept()
            return True
        self.reload()
        return False
