"""The project file's safety in the window: restoring a backup, the offer to restore when a damaged
project is opened, the note while a write waits for another program, and the import's image policy."""

from __future__ import annotations

import datetime as dt
import json
import random
import sqlite3
import threading
from pathlib import Path

import pytest
from PySide6.QtWidgets import QMessageBox

from madpg_core.domain import LabelSchema, Record, RecordStatus
from madpg_core.storage import backups, repo
from madpg_core.storage.project import DB_NAME, Project
from madpg_gui.dialogs import backups as backups_ui
from madpg_gui.dialogs.backups import BackupsDialog
from madpg_gui.dialogs.transfer import ImportDialog
from madpg_gui.main_window import MainWindow

YES, NO = QMessageBox.StandardButton.Yes, QMessageBox.StandardButton.No


def _answer(monkeypatch: pytest.MonkeyPatch, answer: QMessageBox.StandardButton) -> list[str]:
    """Answer every QMessageBox.question with ``answer``; returns the questions asked."""
    asked: list[str] = []

    def question(_parent, _title, text, *_a, **_k):  # noqa: ANN001, ANN202
        asked.append(text)
        return answer

    monkeypatch.setattr(QMessageBox, "question", staticmethod(question))
    return asked


def _warnings(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    shown: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", staticmethod(lambda _p, _t, text, *_a, **_k: shown.append(text)))
    return shown


def _names(project: Project) -> list[str]:
    with project.reading() as s:
        return [r.name for r in repo.iter_records(s)]


# ---------------------------------------------------------------- File ▸ Restore backup…


def test_restore_dialog_lists_backups_and_brings_back_a_deleted_record(qtbot, window: MainWindow,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: ANN001
    w = window
    folder = w.project.folder
    action = next(a for a in w.menus["file"].actions() if a.text() == "Restore backup…")
    assert action.isEnabled()
    # Opening took today's backup (3 records); an older one is taken as if on another day.
    assert len(backups.list_backups(folder)) == 1
    older = backups.daily_backup(w.project.db_path, now=dt.datetime(2024, 3, 1, 9, 30, 0))
    assert older is not None and older.name == "project-20240301-093000.sqlite"
    with w.project.transaction() as s:
        gone = next(r for r in repo.iter_records(s) if r.name == "r2")
        repo.delete_record(s, gone.id)
    w.records.refresh()
    assert _names(w.project) == ["r1", "r3"]

    dlg = BackupsDialog(w, folder)
    qtbot.addWidget(dlg)
    assert dlg.table.rowCount() == 2 and not dlg.empty.isVisibleTo(dlg)
    assert dlg.table.item(1, 0).text() == "2024-03-01 09:30:00"
    assert [dlg.table.item(r, 2).text() for r in range(2)] == ["ok", "ok"]
    assert dlg.table.item(0, 1).text().endswith("KB")
    assert dlg.selected() == backups.list_backups(folder)[0] and dlg.restore_button.isEnabled()

    asked = _answer(monkeypatch, NO)
    assert not dlg.restore_selected()  # declined: nothing changed
    assert "backups/replaced-" in asked[0] and _names(w.project) == ["r1", "r3"]

    asked = _answer(monkeypatch, YES)
    old_project = w.project
    dlg.restore_button.click()
    assert dlg.result() == BackupsDialog.DialogCode.Accepted
    assert w.project is not None and w.project is not old_project and w.project.folder == folder
    assert _names(w.project) == ["r1", "r2", "r3"]
    assert len(w.records.ids()) == 3
    assert "Restored the backup of" in w.statusBar().currentMessage()
    replaced = list((folder / "backups").glob("replaced-*.sqlite"))
    assert len(replaced) == 1 and replaced[0].name in w.statusBar().currentMessage()
    with sqlite3.connect(replaced[0]) as c:  # the replaced file (with its WAL) still holds the edit
        assert c.execute("SELECT count(*) FROM records").fetchone()[0] == 2


def test_restore_dialog_without_backups(qtbot, window: MainWindow) -> None:  # noqa: ANN001
    for p in backups.list_backups(window.project.folder):
        p.unlink()
    dlg = BackupsDialog(window, window.project.folder)
    qtbot.addWidget(dlg)
    assert dlg.table.rowCount() == 0 and dlg.empty.isVisibleTo(dlg) and not dlg.restore_button.isEnabled()


# ---------------------------------------------------------------- opening a damaged project


def _project_with_backup(folder: Path, n: int) -> Path:
    p = Project.create(folder, LabelSchema.default())
    with p.transaction() as s:
        for i in range(n):
            repo.add_record(s, Record("患者男，68岁，反复胸闷、气促3年。既往高血压病史。" * 4, (), name=f"d{i}"))
    p.close()
    Project.open(folder).close()  # takes the day's backup
    assert len(backups.list_backups(folder)) == 1
    with sqlite3.connect(folder / DB_NAME) as c:
        c.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return folder / DB_NAME


def test_damaged_project_offers_its_backup(qtbot, window: MainWindow, tmp_path: Path,  # noqa: ANN001
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    w = window
    db_path = _project_with_backup(tmp_path / "damaged", 300)
    page = 4096
    rnd = random.Random(7)
    with open(db_path, "r+b") as f:  # random bytes over pages 2..40
        for n in range(2, 41):
            f.seek((n - 1) * page)
            f.write(rnd.randbytes(page))
    asked = _answer(monkeypatch, YES)
    warned = _warnings(monkeypatch)
    assert w.open_project(db_path.parent)
    assert len(asked) == 1 and "is damaged" in asked[0] and "Restore the backup of" in asked[0] and not warned
    assert w.project.folder == db_path.parent.resolve() and len(w.records.ids()) == 300
    assert backups.quick_check(db_path) == "ok"
    assert len(list((db_path.parent / "backups").glob("replaced-*.sqlite"))) == 1
    assert "Restored the backup of" in w.statusBar().currentMessage()


def test_damage_found_only_when_the_records_are_read(qtbot, window: MainWindow, tmp_path: Path,  # noqa: ANN001
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """Today's backup exists, so opening runs no quick check: the damage (in the last pages, where
    the records are) shows while the window lists the records; the offer comes all the same."""
    w = window
    db_path = _project_with_backup(tmp_path / "late", 300)
    with sqlite3.connect(db_path) as c:
        pages = c.execute("PRAGMA page_count").fetchone()[0]
    rnd = random.Random(3)
    with open(db_path, "r+b") as f:
        for n in range(pages - 9, pages + 1):
            f.seek((n - 1) * 4096)
            f.write(rnd.randbytes(4096))
    asked = _answer(monkeypatch, NO)
    warned = _warnings(monkeypatch)
    assert not w.open_project(db_path.parent)
    assert len(asked) == 1 and len(warned) == 1 and "is damaged" in warned[0]
    assert w.project is None and w.ann is None  # nothing half-open is left
    _answer(monkeypatch, YES)
    assert w.open_project(db_path.parent) and len(w.records.ids()) == 300


def test_damaged_project_declined_or_without_backup(qtbot, window: MainWindow, tmp_path: Path,  # noqa: ANN001
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    w = window
    shown = w.project
    db_path = _project_with_backup(tmp_path / "garbage", 5)
    with open(db_path, "r+b") as f:  # "not an SQLite database"
        f.write(b"\xff" * 100)
    asked = _answer(monkeypatch, NO)
    warned = _warnings(monkeypatch)
    assert not w.open_project(db_path.parent)
    assert len(asked) == 1 and "not an SQLite database" in asked[0]
    assert len(warned) == 1 and "is damaged" in warned[0]
    assert w.project is shown  # the project that was open stays open
    assert not list((db_path.parent / "backups").glob("replaced-*"))

    for p in backups.list_backups(db_path.parent):  # no backup: only the warning, no question
        p.unlink()
    assert not w.open_project(db_path.parent)
    assert len(asked) == 1 and len(warned) == 2 and "no backup" in warned[1]


# ---------------------------------------------------------------- waiting for another writer


def test_write_wait_note_from_a_thread_and_from_the_gui_thread(qtbot, window: MainWindow,  # noqa: ANN001
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    w = window
    bar = w.statusBar()
    monkeypatch.setattr(backups_ui, "WAIT_GONE_MS", 300)
    t = threading.Thread(target=w.write_wait.report, args=(4.2,))
    t.start()
    t.join()
    qtbot.waitUntil(lambda: bar.currentMessage() == "Waiting for another program writing this project… 4 s")
    qtbot.waitUntil(lambda: bar.currentMessage() == "", timeout=3000)  # no further report: the write went on

    w.write_wait.report(6.0)  # on the GUI thread: shown at once, gone when the event loop runs again
    assert bar.currentMessage() == "Waiting for another program writing this project… 6 s"
    qtbot.waitUntil(lambda: bar.currentMessage() == "", timeout=1000)

    w.write_wait.report(2.0)
    w.message("something else")  # a later message replaces the note and is left alone
    qtbot.wait(50)
    assert bar.currentMessage() == "something else"


def test_an_edit_waits_for_another_writer_and_says_so(qtbot, window: MainWindow, read_db) -> None:  # noqa: ANN001
    w = window
    seen: list[str] = []
    w.statusBar().messageChanged.connect(seen.append)
    other = sqlite3.connect(w.project.db_path, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")  # another program holds the write lock…
    release = threading.Timer(2.6, lambda: other.execute("ROLLBACK"))  # …for 2.6 s
    release.start()
    try:
        w.set_status(RecordStatus.REVIEWED)  # waits on the GUI thread, then goes through
    finally:
        release.join()
        other.close()
    assert any(m.startswith("Waiting for another program writing this project…") for m in seen)
    assert read_db(w.project.folder)[0][1] == RecordStatus.REVIEWED
    qtbot.waitUntil(lambda: not w.statusBar().currentMessage().startswith("Waiting"), timeout=1000)


# ---------------------------------------------------------------- import: images outside the file's folder


def test_import_checkbox_allows_images_from_outside(qtbot, window: MainWindow, tmp_path: Path) -> None:  # noqa: ANN001
    from PIL import Image

    w = window
    shared = tmp_path / "shared"
    shared.mkdir()
    Image.new("RGB", (8, 6), (200, 30, 30)).save(shared / "xray.png")
    src_dir = tmp_path / "corpus"
    src_dir.mkdir()
    src = src_dir / "in.jsonl"
    src.write_text(json.dumps({"name": "img", "text": "右下肺野见片状模糊影。", "images": ["../shared/xray.png"]},
                              ensure_ascii=False) + "\n", encoding="utf-8")
    dlg = ImportDialog(w.project, w)
    qtbot.addWidget(dlg)
    dlg.path.setText(str(src))
    dlg.fmt.setCurrentText("jsonl")
    assert not dlg.allow_outside.isChecked()
    dlg.go.click()
    qtbot.waitUntil(lambda: "outside" in dlg.info.text(), timeout=10000)
    assert len(w.records.ids()) == 3

    dlg.allow_outside.setChecked(True)
    with qtbot.waitSignal(dlg.done, timeout=10000):
        dlg.go.click()
    w.records.refresh()
    assert len(w.records.ids()) == 4
    with w.project.reading() as s:
        rec = next(r for r in repo.iter_records(s) if r.name == "img")
    assert len(rec.images) == 1


def test_export_reports_records_the_format_cannot_hold(qtbot, window: MainWindow, tmp_path: Path) -> None:  # noqa: ANN001
    from madpg_core.formats.common import WriteCounts
    from madpg_gui.dialogs.transfer import ExportDialog

    dlg = ExportDialog(window.project, window)
    qtbot.addWidget(dlg)
    dlg.fmt.setCurrentText("bio")
    dlg.path.setText(str(tmp_path / "out.txt"))
    assert dlg.task() is not None
    assert dlg.describe(WriteCounts(3)) == f"Exported 3 records to {tmp_path / 'out.txt'}"
    text = dlg.describe(WriteCounts(3, skipped_empty=2))
    assert text.splitlines()[1] == "2 empty records were not written: the bio format cannot hold them."
