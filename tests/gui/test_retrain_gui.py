"""Issue 14 in the window, without training a model: the Train… dialog's plan and command line,
the check-set default of activation, the replay corpus per project, time left and the activation
reason, the check-set marks in the record list (the versions panel: test_model_loop.py)."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

from madpg_core import check_set, retrain
from madpg_core.domain import LabelSchema, Record, RecordStatus, Span
from madpg_core.storage import repo
from madpg_core.storage.project import Project
from madpg_gui import settings
from madpg_gui.dialogs.train_dialog import TrainDialog
from madpg_gui.main_window import MainWindow
from madpg_gui.training_process import TrainingProcess
from madpg_gui.widgets.record_list import CHECK_FILTER, CHECK_MARK

REPO = Path(__file__).resolve().parents[2]


def _project(folder: Path, reviewed: int, extra_new: int = 0) -> Path:
    """``reviewed`` reviewed records (胸闷 Symptom, 高血压 Disease) and ``extra_new`` new ones."""
    with Project.create(folder, LabelSchema.default()) as p, p.transaction() as s:
        for i in range(reviewed + extra_new):
            text = f"患者{i}天前出现胸闷、气促，既往高血压病史。"
            a, b = text.index("胸闷"), text.index("高血压")
            repo.add_record(s, Record(text, (Span(a, a + 2, "Symptom"), Span(b, b + 3, "Disease")), name=f"r{i}",
                                      status=RecordStatus.REVIEWED if i < reviewed else RecordStatus.NEW))
    return folder


def _version(p: Project, preset: str = "madpg-lite", metrics: dict | None = None) -> None:
    """Register a version row (the panel and the plan read rows only; no model is loaded)."""
    with p.transaction() as s:
        n = max((v.version for v in repo.list_model_versions(s)), default=-1) + 1
        repo.add_model_version(s, f"models/v{n}", preset, 10 * n, metrics, version=n)
        repo.activate_model_version(s, n)


def _dialog(qtbot, project: Project, replay: dict | None = None) -> TrainDialog:  # noqa: ANN001
    dlg = TrainDialog(TrainingProcess(), project, replay=replay)
    qtbot.addWidget(dlg)
    dlg.refresh_plan()
    return dlg


def _opt(args: list[str], flag: str) -> str:
    return args[args.index(flag) + 1]


# ---------------------------------------------------------------- the dialog


def test_dialog_builds_the_command_line_for_warm_scratch_minutes_replay_activation(qtbot, tmp_path: Path) -> None:  # noqa: ANN001
    folder = _project(tmp_path / "p", reviewed=30)
    corpus, type_map = tmp_path / "corpus.json", tmp_path / "map.json"
    corpus.write_text("", "utf-8")
    type_map.write_text("{}", "utf-8")
    with Project.open(folder) as p:
        _version(p)
        dlg = _dialog(qtbot, p)
        # default: fine-tune the active version for the default budget, activate only if better
        assert dlg.warm.isChecked() and "v0" in dlg.warm.text() and dlg.go.isEnabled()
        args = dlg.options().arguments(folder)
        assert args[0] == str(folder) and "--progress-json" in args
        assert "--from-scratch" not in args and "--preset" not in args
        assert float(_opt(args, "--minutes")) == retrain.DEFAULT_MINUTES and "--epochs" not in args
        assert _opt(args, "--activate") == "if-better" and "--add-train" not in args and "--dev-fraction" not in args
        assert "Fine-tune v0 (madpg-lite) on 24 reviewed records" in dlg.plan_label.text()
        assert "6 check records" in dlg.plan_label.text() and not dlg.check_note.text()

        # another preset than the active one's means from scratch, and the dialog says so
        dlg.preset.setCurrentIndex(dlg.preset.findData("bilstm-crf"))
        assert dlg.scratch.isChecked() and "means training from scratch" in dlg.mode_note.text()
        dlg.refresh_plan()
        assert "Train bilstm-crf from scratch" in dlg.plan_label.text()
        args = dlg.options().arguments(folder)
        assert "--from-scratch" in args and _opt(args, "--preset") == "bilstm-crf"
        dlg.warm.setChecked(True)  # back to fine-tuning: the active version's preset again
        assert dlg.preset.currentData() == "madpg-lite" and "--from-scratch" not in dlg.options().arguments(folder)

        dlg.minutes.setValue(12)
        dlg.limit_epochs.setChecked(True)
        dlg.epochs.setValue(7)
        dlg.replay.use.setChecked(True)
        dlg.replay.path.setText(str(corpus))
        dlg.replay.fmt.setCurrentText("cmeee")
        dlg.replay.map.setText(str(type_map))
        dlg.choose_activation("always")
        args = dlg.options().arguments(folder)
        assert _opt(args, "--minutes") == "12" and _opt(args, "--epochs") == "7" and _opt(args, "--activate") == "always"
        i = args.index("--add-train")
        assert args[i + 1:i + 4] == ["cmeee", str(corpus), str(type_map)]
        dlg.choose_activation("never")
        assert _opt(dlg.options().arguments(folder), "--activate") == "never"

        # a replay file that is not there cannot start a run
        dlg.replay.path.setText(str(tmp_path / "gone.json"))
        dlg.refresh_plan()
        assert not dlg.go.isEnabled() and "does not exist" in dlg.plan_label.text()


def test_too_few_reviewed_records_default_activation_to_never(qtbot, tmp_path: Path) -> None:  # noqa: ANN001
    folder = _project(tmp_path / "p", reviewed=5, extra_new=20)
    with Project.open(folder) as p:
        _version(p)
        dlg = _dialog(qtbot, p)
        assert dlg.activation.currentData() == "never"
        assert "Only 5 reviewed records" in dlg.check_note.text() and "not made active" in dlg.check_note.text()
        assert _opt(dlg.options().arguments(folder), "--activate") == "never"
        assert dlg.plan_warnings.text()  # the core's own warning is shown too
        assert dlg.go.isEnabled()  # training is allowed; only the automatic activation is off

        with p.transaction() as s:  # 20 more reviewed: the check set can decide now
            for rid in repo.record_ids(s, status=[RecordStatus.NEW]):
                repo.set_status(s, rid, RecordStatus.REVIEWED)
        dlg.refresh_plan()
        assert dlg.activation.currentData() == "if-better" and not dlg.check_note.text()

        dlg.choose_activation("always")  # the user's own choice is kept
        dlg.refresh_plan()
        assert dlg.activation.currentData() == "always"


def test_progress_shows_time_left_and_finish_shows_the_activation_reason(qtbot, window: MainWindow) -> None:  # noqa: ANN001
    loop = window.model_loop
    dlg = loop.open_train_dialog()
    ev = {"event": "progress", "epoch": 2, "step": 5, "total_steps": 20, "loss": 0.5, "seconds_left": 130.0}
    loop.training.progress.emit(ev)
    assert "about 3 min left" in dlg.state.text() and dlg.bar.value() == 5
    assert "about 3 min left" in loop.train_bar.label.text()
    loop.training.progress.emit(dict(ev, seconds_left=20.0))
    assert "less than a minute left" in dlg.state.text()
    reason = "v3 kept inactive: 71.2 vs 74.0 for v2 on 40 check records"
    loop.training.finished.emit({"event": "finished", "version": 3, "active": False, "reason": reason,
                                 "metrics": {"activation": {"activated": False, "reason": "other"}}})
    assert reason in dlg.state.text() and "not activated" in dlg.state.text()
    assert reason in window.statusBar().currentMessage()
    # without a "reason" field, the one in the metrics is used
    loop.training.finished.emit({"event": "finished", "version": 4, "active": True,
                                 "metrics": {"activation": {"activated": True, "reason": "v4 activated: 80 vs 74"}}})
    assert "v4 activated: 80 vs 74" in dlg.state.text() and "v4 activated" in window.statusBar().currentMessage()
    dlg.close()


def test_replay_corpus_is_remembered_per_project(qtbot, tmp_path: Path) -> None:  # noqa: ANN001
    a, b = _project(tmp_path / "a", reviewed=3), _project(tmp_path / "b", reviewed=3)
    corpus = tmp_path / "corpus.bio"
    corpus.write_text("", "utf-8")
    w = MainWindow(settings.Preferences(language="en"))
    qtbot.addWidget(w)
    w.show()
    assert w.open_project(a)
    dlg = w.model_loop.open_train_dialog()
    assert not dlg.replay.use.isChecked() and not dlg.replay.sources()
    dlg.replay.use.setChecked(True)
    dlg.replay.fmt.setCurrentText("bio")
    dlg.replay.path.setText(str(corpus))
    dlg.replay.path.editingFinished.emit()
    assert settings.load_prefs().replay[settings.project_key(a)]["path"] == str(corpus)  # saved at once

    assert w.open_project(b)
    dlg = w.model_loop.open_train_dialog()
    assert not dlg.replay.use.isChecked() and dlg.replay.path.text() == ""  # another project: its own choice
    assert "--add-train" not in dlg.options().arguments(b)
    w.close()

    w2 = MainWindow(settings.load_prefs())  # a new session reads it from the preferences file
    qtbot.addWidget(w2)
    assert w2.open_project(a)
    dlg = w2.model_loop.open_train_dialog()
    assert dlg.replay.use.isChecked() and dlg.replay.fmt.currentText() == "bio"
    args = dlg.options().arguments(a)
    assert args[args.index("--add-train") + 1:][:2] == ["bio", str(corpus)]
    w2.close()


# ---------------------------------------------------------------- the record list


def test_record_list_marks_the_check_set(qtbot, tmp_path: Path) -> None:  # noqa: ANN001
    folder = _project(tmp_path / "p", reviewed=25, extra_new=3)
    with Project.open(folder) as p:
        check_set.split(p, assign=True)  # what the first training run does
        ids = check_set.check_ids(p)
    assert len(ids) == 5
    w = MainWindow(settings.Preferences(language="en"))
    qtbot.addWidget(w)
    assert w.open_project(folder)
    model, rl = w.records.model, w.records
    from PySide6.QtCore import Qt

    for row, r in enumerate(model.rows):
        text = model.data(model.index(row), Qt.ItemDataRole.DisplayRole)
        tip = model.data(model.index(row), Qt.ItemDataRole.ToolTipRole)
        assert (CHECK_MARK in text.split("\n")[0]) == (r.id in ids)
        assert ("in the check set: never trained on, used to compare model versions" in tip) == (r.id in ids)
    rl.status.setCurrentIndex(rl.status.findData(CHECK_FILTER))
    assert set(rl.ids()) == ids and "Check set" in rl.status.currentText()
    rl.status.setCurrentIndex(0)
    assert len(rl.ids()) == 28
    w.close()


def test_model_loop_does_not_import_the_main_window() -> None:
    tree = ast.parse((REPO / "madpg_gui" / "model_loop.py").read_text(encoding="utf-8"))
    imported = [n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
    imported += [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
    assert not [m for m in imported if m and "main_window" in m], imported


def test_planning_does_not_load_torch_in_the_window(tmp_path: Path) -> None:
    """The window starts and plans without torch (seconds and hundreds of MB); a child process trains."""
    folder = _project(tmp_path / "p", reviewed=25)
    script = f"""
import sys
from PySide6.QtWidgets import QApplication
app = QApplication([])
from madpg_core.storage.project import Project
from madpg_gui.dialogs.train_dialog import TrainDialog
from madpg_gui.training_process import TrainingProcess
p = Project.open({str(folder)!r})
d = TrainDialog(TrainingProcess(), p)
d.refresh_plan()
assert d.plan is not None and d.options().device == "auto", d.plan_label.text()
print("torch" in sys.modules)
"""
    out = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, timeout=120,
                         env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    assert out.stdout.strip() == "False", out.stdout + out.stderr


def test_the_dialog_names_each_phase_before_the_first_step_and_its_buttons_stay_put(qtbot, tmp_path: Path) -> None:  # noqa: ANN001
    """Issue 20: "Starting…" sat there for 20 s, and the Cancel button moved down as epoch lines
    were added, so a click missed it."""
    with Project.open(_project(tmp_path / "p", reviewed=12)) as p:
        dlg = _dialog(qtbot, p)
        dlg.show()
        dlg._started()
        assert dlg.state.text() == "Starting the training process…"
        dlg._progress({"event": "plan", "summary": "…"})
        assert dlg.state.text().startswith("Reading the reviewed records")
        dlg._progress({"event": "progress", "epoch": 0, "step": 0, "total_steps": 0, "message": "preparing data"})
        assert dlg.state.text() == "Preparing the data…"
        dlg._progress({"event": "progress", "epoch": 0, "step": 0, "total_steps": 0, "parsed": 32, "to_parse": 914})
        assert dlg.state.text() == "Preparing the data: parsed 32 of 914 texts"
        assert (dlg.bar.value(), dlg.bar.maximum()) == (32, 914)
        qtbot.wait(10)
        where = dlg.stop.mapTo(dlg, dlg.stop.rect().topLeft())
        for e in range(1, 12):
            dlg._progress({"event": "progress", "epoch": e, "step": e * 10, "total_steps": 200, "loss": 1.0 / e,
                           "dev_f1": 0.05 * e, "seconds_left": 100 - e})
            qtbot.wait(1)
            assert dlg.stop.mapTo(dlg, dlg.stop.rect().topLeft()) == where, f"Cancel moved after epoch {e}"
        assert dlg.history.text().count("\n") == 5  # the last six epochs
        assert dlg.state.text().startswith("epoch 11")
