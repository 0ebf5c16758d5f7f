"""Dialogs (schema, import, export), the demo project, translations, settings, crash safety."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from PySide6.QtWidgets import QMessageBox

from madpg_core.domain import RecordStatus
from madpg_core.storage import repo
from madpg_core.storage.project import Project
from madpg_gui import i18n, settings
from madpg_gui.dialogs.schema_editor import SchemaEditor
from madpg_gui.dialogs.transfer import ExportDialog, ImportDialog
from madpg_gui.main_window import MainWindow

REPO = Path(__file__).resolve().parents[2]


def test_schema_editor_asks_before_deleting_a_used_type(qtbot, window: MainWindow, monkeypatch) -> None:  # noqa: ANN001
    w = window
    with w.project.reading() as s:
        usage = repo.type_usage(s)
    dlg = SchemaEditor(w.ann.schema, usage)
    qtbot.addWidget(dlg)
    symptom_row = w.ann.schema.names.index("Symptom")
    dlg.table.setCurrentCell(symptom_row, 0)
    dlg._remove()
    answers = [QMessageBox.StandardButton.Cancel, QMessageBox.StandardButton.Yes]
    monkeypatch.setattr(QMessageBox, "warning", lambda *a, **k: answers.pop(0))
    dlg.accept()
    assert dlg.result_schema is None  # refused: the user cancelled
    dlg.table.cellWidget(0, 0).setText("Illness")  # and rename Disease
    dlg.accept()
    assert dlg.result_schema is not None and dlg.removed == {"Symptom": 1} and dlg.renames == {"Disease": "Illness"}
    w.ann.set_schema(lambda s: repo.set_schema(s, dlg.result_schema, renames=dlg.renames, delete_spans_of_removed=True))
    assert "Symptom" not in w.ann.schema.names and "Illness" in w.ann.schema.names
    assert w.ann.record.spans == ()
    assert "Illness" in w.palette_.buttons


def test_import_and_export_dialogs(qtbot, window: MainWindow, tmp_path: Path,  # noqa: ANN001
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    w = window
    src = tmp_path / "in.jsonl"
    rows = [{"name": f"imp{i}", "text": "发热、咳嗽。", "spans": [{"start": 0, "end": 2, "label": "Symptom"}]}
            for i in range(5)]
    src.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    dlg = ImportDialog(w.project, w)
    qtbot.addWidget(dlg)
    dlg.path.setText(str(src))
    dlg.fmt.setCurrentText("jsonl")
    with qtbot.waitSignal(dlg.done, timeout=10000):
        dlg.go.click()
    assert "5 records" in dlg.info.text()
    w.records.refresh()
    assert len(w.records.ids()) == 8

    bad = tmp_path / "bad.jsonl"
    bad.write_text("{not json\n", encoding="utf-8")
    dlg.path.setText(str(bad))
    dlg.go.setEnabled(True)
    dlg._start()
    qtbot.waitUntil(lambda: "bad.jsonl:1" in dlg.info.text(), timeout=10000)

    out = tmp_path / "out.jsonl"
    exp = ExportDialog(w.project, w)
    qtbot.addWidget(exp)
    # defaults: reviewed records only, into the documents (or home) folder, not the project's
    assert exp.status.currentData() == "reviewed"
    assert not Path(exp.path.text()).is_relative_to(w.project.folder)
    exp.fmt.setCurrentText("jsonl")
    exp.path.setText(str(out))
    exp.status.setCurrentIndex(exp.status.findData("all"))
    asked: list[str] = []

    def answer(reply):  # noqa: ANN001, ANN202
        def question(_parent, _title, text, *_a):  # noqa: ANN001, ANN002, ANN202
            asked.append(text)
            return reply
        return question

    monkeypatch.setattr(QMessageBox, "question", answer(QMessageBox.StandardButton.No))
    exp._start()
    assert asked and asked[0].startswith("8 of the records are not reviewed") and not out.exists()
    assert "Not exported" in exp.info.text()
    monkeypatch.setattr(QMessageBox, "question", answer(QMessageBox.StandardButton.Yes))
    with qtbot.waitSignal(exp.done, timeout=10000):
        exp.go.click()
    assert len(out.read_text(encoding="utf-8").splitlines()) == 8


def test_demo_project_opens_with_images(qtbot) -> None:  # noqa: ANN001
    from madpg_gui.demo import ensure_demo_project

    folder = ensure_demo_project()
    assert ensure_demo_project() == folder  # created once
    w = MainWindow(settings.Preferences(language="zh_CN"))
    qtbot.addWidget(w)
    w.show()
    assert w.open_project(folder)
    assert len(w.records.ids()) == 6
    assert len(w.ann.record.spans) > 10
    qtbot.waitUntil(lambda: w.images.showing_image, timeout=10000)
    w.close()


def test_translations_cover_every_string(qapp) -> None:  # noqa: ANN001
    ts = i18n.I18N_DIR / "madpg_zh_CN.ts"
    known = i18n.read_ts(ts)
    missing = [s for s in i18n.source_strings(REPO / "madpg_gui") if s not in known]
    assert not missing, f"untranslated (run python -m madpg_gui.i18n): {missing}"
    assert (i18n.I18N_DIR / "madpg_zh_CN.qm").stat().st_mtime >= ts.stat().st_mtime - 1
    assert i18n.install("zh_CN")
    assert i18n.tr("Records") == "记录"
    assert i18n.install("en")
    assert i18n.tr("Records") == "Records"


def test_language_follows_system_and_prefs_are_readable(monkeypatch) -> None:  # noqa: ANN001
    from PySide6.QtCore import QLocale

    monkeypatch.setattr(QLocale, "system", staticmethod(lambda: QLocale("zh_CN")))
    assert i18n.system_language() == "zh_CN"
    monkeypatch.setattr(QLocale, "system", staticmethod(lambda: QLocale("en_US")))
    assert i18n.system_language() == "en"
    prefs = settings.load_prefs()
    prefs.language, prefs.text_font_size = "en", 18
    settings.save_prefs(prefs)
    assert 'language = "en"' in settings.prefs_path().read_text(encoding="utf-8")
    assert settings.load_prefs().text_font_size == 18
    settings.reset_config()
    assert settings.load_prefs() == settings.Preferences()


def test_window_layout_is_remembered(qtbot, project_dir: Path) -> None:  # noqa: ANN001
    w = MainWindow(settings.Preferences(language="en"))
    qtbot.addWidget(w)
    w.show()
    w.docks["bio"].hide()
    w.close()
    w2 = MainWindow(settings.Preferences(language="en"))
    qtbot.addWidget(w2)
    assert w2.docks["bio"].isHidden()
    w2.close()


def test_startup_does_not_import_torch() -> None:
    code = "import sys, madpg_gui.app, madpg_gui.main_window; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=60)
    assert out.stdout.strip() == "False", out.stderr


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_killed_process_keeps_every_committed_edit(project_dir: Path, read_db) -> None:  # noqa: ANN001
    """Edit through the real window in a child process, then SIGKILL it with no clean shutdown."""
    script = textwrap.dedent(f"""
        import os, signal
        from PySide6.QtWidgets import QApplication
        app = QApplication([])
        from madpg_gui import settings
        from madpg_gui.main_window import MainWindow
        w = MainWindow(settings.Preferences(language="en")); w.show()
        w.open_project({str(project_dir)!r})
        t = w.ann.record.text
        a = t.index("高血压"); w.text.select_range(a, a + 3); w.editor.apply_label("Disease")
        w.accept_and_next()
        w.text.select_range(0, 2); w.editor.apply_label("Symptom")
        os.kill(os.getpid(), signal.SIGKILL)
    """)
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    proc = subprocess.run([sys.executable, "-c", script], cwd=REPO, env=env, capture_output=True, timeout=60)
    assert proc.returncode == -signal.SIGKILL, proc.stderr.decode()
    state = read_db(project_dir)
    assert state[0][1] == RecordStatus.REVIEWED and (state[0][2][1][2]) == "Disease"
    assert state[1][2] == [(0, 2, "Symptom")]
    with Project.open(project_dir) as p, p.reading() as s:
        assert repo.stats(s).records_by_status["reviewed"] == 1


def test_search_and_status_filter(qtbot, window: MainWindow) -> None:  # noqa: ANN001
    rl = window.records
    rl.search.setText("咳嗽")
    qtbot.waitUntil(lambda: len(rl.ids()) == 1, timeout=3000)
    assert "shown 1" in rl.progress.text()
    rl.search.clear()
    window.accept_and_next()
    rl.status.setCurrentIndex(rl.status.findData(RecordStatus.REVIEWED))
    qtbot.waitUntil(lambda: len(rl.ids()) == 1, timeout=3000)


def test_language_switch_rebuilds_the_window(qtbot, project_dir: Path) -> None:  # noqa: ANN001
    from madpg_gui.app import Application

    app = Application(["madpg-gui"])
    try:
        app.prefs.language = "en"
        app.switch_language("en")
        assert app.window.open_project(project_dir)
        app.window.show_record(app.window.records.ids()[1])
        app.switch_language("zh_CN")
        assert app.window.docks["records"].windowTitle() == "记录"
        assert app.window.ann.record.name == "r2"  # same project, same record
        assert 'language = "zh_CN"' in settings.prefs_path().read_text(encoding="utf-8")
    finally:
        app.switch_language("en")
        app.window.close()


def test_the_ticked_language_is_the_one_shown(qtbot, monkeypatch) -> None:  # noqa: ANN001
    """Audit (issue 20): with no language chosen and an English system, 中文 was ticked."""
    import madpg_gui.main_window as mw

    monkeypatch.setattr(mw, "system_language", lambda: "en")
    w = MainWindow(settings.Preferences(language=None))
    qtbot.addWidget(w)
    menu = next(a.menu() for a in w.menus["view"].actions() if a.menu() is not None)
    ticked = [a.text() for a in menu.actions() if a.isChecked()]
    assert ticked == [i18n.LANGUAGES["en"]]
    w.close()
