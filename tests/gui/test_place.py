"""Where the user was is remembered per project (issue 20, item 4): record, cursor, search, filter,
order and layout come back after closing the window, and after a language switch."""

from __future__ import annotations

from pathlib import Path

from madpg_core.domain import RecordStatus
from madpg_gui import place, settings
from madpg_gui.main_window import MainWindow


def _reopen(qtbot, folder: Path) -> MainWindow:  # noqa: ANN001
    w = MainWindow(settings.Preferences(language="en"))
    qtbot.addWidget(w)
    w.show()
    assert w.open_project(folder)
    return w


def test_record_filter_order_and_cursor_come_back(qtbot, window: MainWindow, project_dir: Path) -> None:  # noqa: ANN001
    ids = window.records.ids()
    window.show_record(ids[2])
    window.text.select_range(5, 5)
    window.records.order.setCurrentIndex(window.records.order.findData("uncertainty"))
    window.records.status.setCurrentIndex(window.records.status.findData(RecordStatus.NEW))
    window.docks["bio"].raise_()
    window.close()

    w = _reopen(qtbot, project_dir)
    assert w.ann.record_id == ids[2]
    assert w.text.cursor_offset() == 5
    assert w.records.order.currentData() == "uncertainty"
    assert w.records.status.currentData() == RecordStatus.NEW
    assert w.records.current_id() == ids[2]  # shown and selected in the list
    w.close()


def test_a_record_that_is_gone_falls_back_to_the_first(qtbot, window: MainWindow, project_dir: Path) -> None:  # noqa: ANN001
    window.close()
    saved = place.load(project_dir)
    assert saved is not None
    saved.record_id, saved.status, saved.order = 9999, "no-such-status", "no-such-order"
    place.save(project_dir, saved)
    w = _reopen(qtbot, project_dir)
    assert w.ann.record_id == w.records.ids()[0]
    assert w.records.status.currentData() is None  # unknown filter: all records
    w.close()


def test_places_are_per_project(qtbot, window: MainWindow, project_dir: Path, tmp_path: Path) -> None:  # noqa: ANN001
    import shutil

    other = tmp_path / "other"
    shutil.copytree(project_dir, other)
    window.show_record(window.records.ids()[1])
    window.close()
    w = _reopen(qtbot, other)  # never opened: starts at the first record
    assert w.ann.record_id == w.records.ids()[0]
    w.close()


def test_a_damaged_entry_is_ignored(qtbot, project_dir: Path) -> None:  # noqa: ANN001
    qs = settings.qsettings()
    qs.setValue(f"{place.GROUP}/{place._key(project_dir)}", "{not json")
    qs.sync()
    assert place.load(project_dir) is None
    w = _reopen(qtbot, project_dir)
    assert w.ann.record_id == w.records.ids()[0]
    w.close()


def test_language_switch_keeps_the_place(qtbot, project_dir: Path) -> None:  # noqa: ANN001
    from madpg_gui.app import Application

    app = Application([])
    app.prefs.language = "en"
    w = app.window
    qtbot.addWidget(w)
    assert w.open_project(project_dir)
    ids = w.records.ids()
    w.show_record(ids[1])
    w.records.order.setCurrentIndex(w.records.order.findData("uncertainty"))
    app.switch_language("zh_CN")
    w2 = app.window
    qtbot.addWidget(w2)
    assert w2 is not w
    assert w2.ann.record_id == ids[1]
    assert w2.records.order.currentData() == "uncertainty"
    app.switch_language("en")
    app.window.close()
