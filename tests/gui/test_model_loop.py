"""Model in the loop through the window: pre-label (in the child process: test_prelabel_process.py
has its loading, progress, cancel and crash), correct, review, fine-tune the active model in a
child process, compare versions, activate by hand, roll back; cancel and failure leave the active
model; a killed GUI too."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from madpg_core import registry
from madpg_core.domain import LabelSchema, Record, RecordStatus, Span, SpanSource
from madpg_core.model.config import PRESETS
from madpg_core.storage import repo
from madpg_core.storage.project import Project
from madpg_core.version_scores import CheckScore
from madpg_gui import settings
from madpg_gui.demo import create_demo_project, demo_records
from madpg_gui.main_window import MainWindow
from madpg_gui.training_process import TrainingProcess, TrainOptions, activation_reason
from madpg_gui.widgets.model_panel import ModelPanel

REPO = Path(__file__).resolve().parents[2]
# The smallest preset the core offers (madpg-tiny: hidden 16, one layer, tiny image input).
TINY = "madpg-tiny" if "madpg-tiny" in PRESETS else "bilstm-crf"
TRAIN_TIMEOUT_MS = 90_000


# ---------------------------------------------------------------- fixtures


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small MADPG (dependency GCN on, no image branch) over-fitted on the demo records, so that it
    finds entities in them: the stand-in for the bundled default model. ~10 s on 2 cores."""
    from madpg_core.model.config import build_config, tiny
    from madpg_core.train.loop import fit

    out = tmp_path_factory.mktemp("bundled") / "default"
    records = [r for r, _ in demo_records()]
    cfg = tiny(build_config("madpg-lite"), image_encoder="none", use_gcn=True, epochs=15, head_lr=2e-2,
               hidden_size=32, num_heads=2, lstm_hidden=16, dropout=0.0, min_bigram_count=1, batch_size=2,
               warmup_ratio=0.0)
    fit(cfg, records, [], out_dir=out, version="v0", device="cpu")
    (out / "training.json").write_text(json.dumps({"preset": "madpg-lite", "train_size": len(records), "metrics": {
        "micro": {"precision": 0.5, "recall": 0.4, "f1": 0.444, "support": 10},
        "per_type": {"Symptom": {"precision": 0.5, "recall": 0.4, "f1": 0.444, "support": 10}}}}), "utf-8")
    return out


@pytest.fixture
def bundled(tiny_model: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(registry, "default_model_dir", lambda: tiny_model)
    return tiny_model


def _window(qtbot, folder: Path) -> MainWindow:  # noqa: ANN001
    w = MainWindow(settings.Preferences(language="en", device="cpu"))
    qtbot.addWidget(w)
    w.show()
    assert w.open_project(folder)
    return w


@pytest.fixture
def demo(tmp_path: Path) -> Path:
    """The demo project, with the human spans of its unreviewed records removed (records as they
    arrive) except one, which pre-labelling must leave alone."""
    folder = tmp_path / "demo"
    create_demo_project(folder).close()
    with Project.open(folder) as p, p.transaction() as s:
        for i, rid in enumerate(repo.record_ids(s, status=[RecordStatus.NEW])):
            rec = repo.get_record(s, rid)
            repo.replace_spans(s, rid, rec.spans[:1] if i == 0 else [])
    return folder


@pytest.fixture
def loop_window(qtbot, demo: Path, bundled: Path) -> Iterator[MainWindow]:  # noqa: ANN001
    w = _window(qtbot, demo)
    yield w
    w.model_loop.shutdown()
    w.close()


def _records(folder: Path) -> list[Record]:
    with Project.open(folder) as p, p.reading() as s:
        return list(repo.iter_records(s))


def _wait_prelabel(qtbot, w: MainWindow) -> None:  # noqa: ANN001
    qtbot.waitUntil(lambda: not w.model_loop.is_prelabelling(), timeout=60_000)


def _outcome(w: MainWindow) -> str:
    """What the status bar says about the last pre-label (or scoring): it stays until the next job."""
    bar = w.model_loop.prelabel_bar
    assert bar.isVisible() and not bar.bar.isVisible() and not bar.cancel.isVisible()
    return bar.label.text()


# ---------------------------------------------------------------- the whole loop


def test_prelabel_correct_review_train_and_roll_back(qtbot, loop_window: MainWindow, demo: Path) -> None:  # noqa: ANN001
    w, loop = loop_window, loop_window.model_loop
    assert [v.version for v in loop.panel.versions] == [0] and loop.panel.active_version() == 0
    before = {r.name: r for r in _records(demo)}
    reviewed_name = next(n for n, r in before.items() if r.status == RecordStatus.REVIEWED)
    kept_human = next(r for r in before.values() if r.status == RecordStatus.NEW and r.spans).spans[0]

    loop.act_unreviewed.trigger()
    assert loop.prelabel_bar.isVisible() and loop.prelabel_bar.bar.isVisible()  # progress while the child works
    assert not loop.act_unreviewed.isEnabled()
    _wait_prelabel(qtbot, w)
    assert _outcome(w).startswith("Pre-labelled 5 records: ") and loop.act_unreviewed.isEnabled()

    after = {r.name: r for r in _records(demo)}
    assert after[reviewed_name] == before[reviewed_name]  # reviewed: never overwritten
    model_spans = [sp for r in after.values() for sp in r.spans if sp.source == SpanSource.MODEL]
    assert len(model_spans) >= 5
    assert all(sp.model_version == "v0" and 0 < sp.confidence <= 1 for sp in model_spans)
    assert any(sp.start == kept_human.start and sp.end == kept_human.end and sp.source == SpanSource.ANNOTATOR
               for r in after.values() for sp in r.spans)
    assert all(r.status == RecordStatus.PRELABELLED for n, r in after.items() if n != reviewed_name)

    # least confident first: the list follows the record's least confident character (which also sees
    # entities the model did not mark), never above its weakest model entity; reviewed records go last
    w.records.order.setCurrentIndex(w.records.order.findData("uncertainty"))
    rows = w.records.model.rows
    confs = [r.confidence for r in rows if r.status != RecordStatus.REVIEWED]
    assert None not in confs and confs == sorted(confs) and rows[-1].status == RecordStatus.REVIEWED
    assert all(r.confidence <= r.min_confidence + 1e-4 for r in rows if r.min_confidence is not None
               and r.status != RecordStatus.REVIEWED)

    # correct the least confident model entity of the first listed record, then accept it
    w.show_record(rows[0].id)
    span = min((sp for sp in w.ann.record.spans if sp.source == SpanSource.MODEL), key=lambda sp: sp.confidence)
    new_label = next(t for t in w.ann.schema.names if t != span.label)
    w.text.select_span(span)
    w.editor.apply_label(new_label)
    fixed = w.ann.span_exactly(span.start, span.end)
    assert fixed.label == new_label and fixed.source == SpanSource.ANNOTATOR
    w.accept_and_next()
    assert sum(r.status == RecordStatus.REVIEWED for r in _records(demo)) == 2

    # fine-tune the active model for one epoch in the child process; the dialog shows the plan and
    # progress; with 2 reviewed records the check set cannot decide, so the new version stays inactive
    dlg = loop.open_train_dialog()
    assert dlg.go.isEnabled() and dlg.warm.isChecked() and "Fine-tune v0" in dlg.plan_label.text()
    assert "on 2 reviewed records" in dlg.plan_label.text() and dlg.activation.currentData() == "never"
    assert "Only 2 reviewed records" in dlg.check_note.text()
    dlg.limit_epochs.setChecked(True)
    dlg.epochs.setValue(1)
    dlg.device.setCurrentIndex(dlg.device.findData("cpu"))
    seen: list[dict] = []
    loop.training.progress.connect(seen.append)
    with qtbot.waitSignal(loop.training.finished, timeout=TRAIN_TIMEOUT_MS) as done:
        dlg.go.click()
        assert not dlg.go.isEnabled() and dlg.stop.isEnabled()
    assert done.args[0]["version"] == 1 and not done.args[0]["active"]
    assert seen and seen[-1]["epoch"] == 1 and seen[-1]["step"] == seen[-1]["total_steps"]
    assert "Version 1 is ready" in dlg.state.text() and "not activated" in dlg.state.text() and dlg.go.isEnabled()
    reason = done.args[0].get("reason") or done.args[0]["metrics"]["activation"]["reason"]
    assert reason and reason in dlg.state.text() and reason in w.statusBar().currentMessage()
    panel = loop.panel
    assert [v.version for v in panel.versions] == [0, 1] and panel.active_version() == 0
    assert panel.selected_version() == 1 and "v1 beside the active v0" in panel.compare_title.text()
    assert panel.versions[1].train_size == 2
    assert panel.versions[1].metrics["mode"] == "warm" and panel.versions[1].metrics["base_version"] == 0
    assert reason in panel.details.text()

    # activate it by hand, then roll back to the bundled model
    panel.activate.click()
    assert panel.active_version() == 1
    panel.table.selectRow(0)
    assert panel.activate.isEnabled() and panel.activate.text() == "Roll back to v0"
    panel.activate.click()
    assert panel.active_version() == 0
    with Project.open(demo) as p:
        assert registry.active_model_dir(p)[0].version == 0
        assert not list((p.folder / "models").glob(".staging-*"))
    dlg.close()


def test_prelabel_current_and_selected_never_touch_humans(qtbot, project_dir: Path, bundled: Path) -> None:  # noqa: ANN001
    with Project.open(project_dir) as p, p.transaction() as s:
        r3 = repo.record_ids(s)[2]
        repo.set_status(s, r3, RecordStatus.REVIEWED)
    w = _window(qtbot, project_dir)
    ids = w.records.ids()
    w.show_record(ids[0])
    w.model_loop.act_current.trigger()
    _wait_prelabel(qtbot, w)
    assert _outcome(w).startswith("Pre-labelled 1 record: ")
    recs = _records(project_dir)
    a = recs[0].text.index("胸闷")
    assert [(sp.start, sp.end, sp.label) for sp in recs[0].spans if sp.source == SpanSource.ANNOTATOR] \
        == [(a, a + 2, "Symptom")]  # 胸闷 stays the annotator's
    assert recs[0].status == RecordStatus.PRELABELLED and recs[1].status == RecordStatus.NEW

    sm = w.records.view.selectionModel()
    for row in (1, 2):
        sm.select(w.records.model.index(row, 0), sm.SelectionFlag.Select | sm.SelectionFlag.Rows)
    assert w.records.selected_ids()[-2:] == ids[1:]
    w.model_loop.prelabel_selected()
    _wait_prelabel(qtbot, w)
    assert _outcome(w).endswith("; 1 reviewed record left as it was")
    after = _records(project_dir)
    assert after[2] == recs[2] and after[1].status == RecordStatus.PRELABELLED
    w.close()


def test_prelabel_without_a_model_says_why(qtbot, project_dir: Path, tmp_path: Path,  # noqa: ANN001
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(registry, "default_model_dir", lambda: tmp_path / "nothing")
    w = _window(qtbot, project_dir)
    assert w.model_loop.panel.versions == [] and "No model yet" in w.model_loop.panel.note.text()
    w.model_loop.prelabel_unreviewed()
    _wait_prelabel(qtbot, w)
    assert _outcome(w).startswith("Pre-labelling failed: this project has no active model")
    w.close()


# ---------------------------------------------------------------- training: cancel, failure, kill


def _reviewed_project(folder: Path, n: int = 24) -> Path:
    with Project.create(folder, LabelSchema.default()) as p, p.transaction() as s:
        for i in range(n):
            text = f"患者{i}天前出现胸闷、气促，既往高血压病史。"
            a, b = text.index("胸闷"), text.index("高血压")
            repo.add_record(s, Record(text, (Span(a, a + 2, "Symptom"), Span(b, b + 3, "Disease")),
                                      name=f"r{i}", status=RecordStatus.REVIEWED))
    return folder


def _staging(folder: Path) -> list[Path]:
    return list((folder / "models").glob(".staging-*")) if (folder / "models").is_dir() else []


def test_training_cancel_and_failure_leave_the_active_model(qtbot, tmp_path: Path, bundled: Path) -> None:  # noqa: ANN001
    folder = _reviewed_project(tmp_path / "p")
    w = _window(qtbot, folder)
    loop = w.model_loop

    # a pretrained preset without its folder fails in the child: the reason is shown, nothing changes
    with qtbot.waitSignal(loop.training.failed, timeout=TRAIN_TIMEOUT_MS) as failed:
        loop.training.start(folder, TrainOptions(preset="madpg", mode="scratch", epochs=1, device="cpu"))
    assert "pretrained" in failed.args[0]
    assert "Training failed" in w.statusBar().currentMessage()

    dlg = loop.open_train_dialog()
    dlg.preset.setCurrentIndex(dlg.preset.findData(TINY))  # another preset: from scratch
    assert dlg.scratch.isChecked()
    dlg.limit_epochs.setChecked(True)
    dlg.epochs.setValue(200)
    dlg.device.setCurrentIndex(dlg.device.findData("cpu"))
    stepping = []
    loop.training.progress.connect(lambda ev: stepping.append(ev) if (ev.get("step") or 0) > 0 else None)
    dlg.go.click()
    assert loop.train_bar.isVisible()
    qtbot.waitUntil(lambda: bool(stepping), timeout=TRAIN_TIMEOUT_MS)
    with qtbot.waitSignal(loop.training.cancelled, timeout=60_000):
        dlg.stop.click()
    assert "The active model is unchanged" in dlg.state.text() and not loop.train_bar.isVisible()
    assert dlg.state.text().lower().count("cancelled") == 1  # not "cancelled: training cancelled"
    assert [v.version for v in loop.panel.versions] == [0] and loop.panel.active_version() == 0
    assert not _staging(folder)
    dlg.close()
    assert loop.open_train_dialog() is dlg and dlg.state.text() == ""  # reopened: no stale message
    with Project.open(folder) as p, p.reading() as s:
        assert [r["status"] for r in repo.list_training_runs(s)][-1] == "cancelled"
    dlg.close()
    w.close()


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_killing_the_app_during_training_keeps_project_and_model(tmp_path: Path, bundled: Path) -> None:
    folder = _reviewed_project(tmp_path / "k")
    script = textwrap.dedent(f"""
        import os, signal, sys
        from PySide6.QtWidgets import QApplication
        app = QApplication([])
        from madpg_core import registry
        from pathlib import Path
        registry.default_model_dir = lambda: Path({str(bundled)!r})
        from madpg_gui import settings
        from madpg_gui.main_window import MainWindow
        from madpg_gui.training_process import TrainOptions
        w = MainWindow(settings.Preferences(language="en")); w.show()
        w.open_project({str(folder)!r})
        t = w.model_loop.training
        def progress(ev):
            if (ev.get("step") or 0) > 0:
                print("child", t.proc.processId(), flush=True)
                os.kill(os.getpid(), signal.SIGKILL)
        t.progress.connect(progress)
        t.failed.connect(lambda m: (print("failed", m, flush=True), app.exit(2)))
        t.start({str(folder)!r}, TrainOptions(preset={TINY!r}, mode="scratch", epochs=200, device="cpu"))
        sys.exit(app.exec())
    """)
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    proc = subprocess.run([sys.executable, "-c", script], cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=TRAIN_TIMEOUT_MS / 1000)
    assert proc.returncode == -signal.SIGKILL, proc.stdout + proc.stderr
    child = int(proc.stdout.split("child", 1)[1].split()[0])
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and _alive(child):
        time.sleep(0.5)
    assert not _alive(child), "the orphaned trainer did not stop"
    assert not _staging(folder)
    with Project.open(folder) as p, p.reading() as s:
        # closed, not left "running" (the core records "failed: BrokenPipeError" when its next progress
        # line meets the dead pipe before its parent watch fires; "cancelled" would read better)
        assert repo.list_training_runs(s)[-1]["status"] in ("cancelled", "failed"), repo.list_training_runs(s)[-1]
        assert [v.version for v in repo.list_model_versions(s)] == [0]
        assert repo.active_model_version(s).version == 0
        assert repo.stats(s).records_by_status["reviewed"] == 24


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie (the orphan was reaped late) counts as gone
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return True


# ---------------------------------------------------------------- widgets without a model


def _mv(version: int, active: bool, metrics: dict | None = None) -> repo.ModelVersion:
    return repo.ModelVersion(version, version, f"models/v{version}", "madpg-lite", 10 * version, metrics,
                             "2025-01-02T03:04:05", active)


def _score(version: int, f1: float, per_type: dict[str, float]) -> CheckScore:
    return CheckScore(version, "key1", 40, f1, f1 - 0.05, f1 + 0.04,
                      {t: {"precision": v, "recall": v, "f1": v, "support": 10} for t, v in per_type.items()}, ())


def test_versions_panel_compares_with_the_active_version(qtbot) -> None:  # noqa: ANN001
    """Like with like: every score in the panel is on the project's current check set."""
    panel = ModelPanel()
    qtbot.addWidget(panel)
    asked: list[int] = []
    panel.activateRequested.connect(asked.append)
    card = {"micro": {"precision": 0.76, "recall": 0.79, "f1": 0.777, "support": 639}, "per_type": {}}
    kept = {"check": {"key": "key1"}, "mode": "warm", "base_version": 1,
            "activation": {"activated": False, "reason": "v2 kept inactive: 71.2 vs 74.0 for v1 on 40 check records"},
            "micro": {"f1": 0.99}}  # an old own-dev score: never shown
    versions = [_mv(0, False, card), _mv(1, True), _mv(2, False, kept), _mv(3, False)]
    scores = {0: _score(0, 0.5, {"Disease": 0.4, "Symptom": 0.6}), 1: _score(1, 0.74, {"Disease": 0.7, "Symptom": 0.8}),
              2: _score(2, 0.712, {"Disease": 0.75, "Symptom": 0.6})}
    panel.set_versions(versions, select=2, scores=scores, check_size=40)
    assert panel.table.item(1, 0).text().startswith("●") and "same 40 reviewed records" in panel.check_title.text()
    col = [panel.table.item(r, 3).text() for r in range(4)]
    assert col == ["50.0 (45.0–54.0)", "74.0 (69.0–78.0)", "71.2 (66.2–75.2)", "not scored on the current check set"]
    assert "77.7" not in "".join(col) and "99.0" not in "".join(col)  # other exams stay out of the column
    assert panel.table.item(2, 1).text() == "madpg-lite, fine-tuned from v1"
    assert "v2 kept inactive" in panel.table.item(2, 0).toolTip() and "v2 kept inactive" in panel.details.text()

    # v2 beside the active v1, type by type, on the same check records
    assert "v2 beside the active v1" in panel.compare_title.text()
    rows = [[panel.compare.item(r, c).text() for c in range(5)] for r in range(panel.compare.rowCount())]
    assert rows == [["all (micro)", "20", "71.2", "74.0", "-2.8"], ["Disease", "10", "75.0", "70.0", "+5.0"],
                    ["Symptom", "10", "60.0", "80.0", "-20.0"]]
    assert "95 % interval 66.2–75.2" in panel.details.text() and "40 records" in panel.details.text()
    assert panel.activate.text() == "Activate v2"
    panel.activate.click()

    # a version with no score on the current check set says so instead of a number
    panel.table.selectRow(3)
    assert "v3: not scored on the current check set" in panel.compare_title.text()
    assert [panel.compare.item(0, c).text() for c in (2, 3)] == ["–", "74.0"]
    # the bundled model's card score appears only in the details, labelled as another exam
    panel.table.selectRow(0)
    assert panel.activate.text() == "Roll back to v0"
    assert "cEHRNER dev" in panel.details.text() and "77.7" in panel.details.text()
    assert "not comparable" in panel.details.text()
    panel.table.selectRow(1)
    assert not panel.activate.isEnabled() and "active v1 beside v0" in panel.compare_title.text()
    assert asked == [2]

    panel.set_versions(versions, scores={}, check_size=0)  # no check set yet
    assert "No check set yet" in panel.check_title.text()
    assert all(panel.table.item(r, 3).text() == "not scored on the current check set" for r in range(4))


def test_train_dialog_offers_pretrained_presets_only_with_a_folder(qtbot, tmp_path: Path) -> None:  # noqa: ANN001
    from madpg_gui.dialogs.train_dialog import TrainDialog

    folder = _reviewed_project(tmp_path / "p", n=1)
    with Project.open(folder) as p:
        dlg = TrainDialog(TrainingProcess(), p)
        qtbot.addWidget(dlg)
        dlg.refresh_plan()
        names = [dlg.preset.itemData(i) for i in range(dlg.preset.count())]
        assert names[0] == "madpg-lite" and "madpg" not in names and not dlg.go.isEnabled()
        assert "at least 2 reviewed records" in dlg.plan_warnings.text()
        assert dlg.epochs.value() == PRESETS["madpg-lite"]["epochs"] and not dlg.epochs.isEnabled()
        saved: list[str] = []
        dlg.pretrainedChanged.connect(saved.append)
        dlg.pretrained.setText(str(tmp_path))
        dlg._pretrained_edited()
        names = [dlg.preset.itemData(i) for i in range(dlg.preset.count())]
        assert "madpg" in names and saved == [str(tmp_path)]
        dlg.preset.setCurrentIndex(dlg.preset.findData("madpg"))
        assert dlg.scratch.isChecked()  # not the active version's preset: from scratch
        with p.transaction() as s:
            for i in range(39):
                repo.add_record(s, Record(f"第{i}例，胸闷。", name=f"x{i}", status=RecordStatus.REVIEWED))
        dlg.refresh_plan()
        assert dlg.go.isEnabled() and "on 32 reviewed records" in dlg.plan_label.text()
        assert "8 check records" in dlg.plan_label.text()
        args = dlg.options().arguments(tmp_path)
        assert args[0] == str(tmp_path) and args[args.index("--preset") + 1] == "madpg" and "--from-scratch" in args
        assert args[args.index("--pretrained") + 1] == str(tmp_path) and "--progress-json" in args


def test_training_process_reads_events_and_exit_codes(qtbot, tmp_path: Path) -> None:  # noqa: ANN001
    """The adapter alone, against a stand-in child that prints what `madpg train --progress-json` prints."""
    fake = tmp_path / "fake_train.py"
    fake.write_text(textwrap.dedent("""
        import json, sys, os
        mode = os.environ["FAKE_MODE"]
        print("some library chatter")
        print(json.dumps({"event": "progress", "epoch": 1, "step": 1, "total_steps": 2, "loss": 1.5,
                          "dev_f1": None, "message": "epoch 1/1"}), flush=True)
        if mode == "ok":
            print(json.dumps({"event": "finished", "version": 3, "metrics": {}, "active": True,
                              "reason": "v3 activated: 74.0 vs 71.2 for v2 on 40 check records"}))
        elif mode == "cancel":
            print(json.dumps({"event": "cancelled", "message": "training cancelled"})); sys.exit(3)
        elif mode == "fail":
            print(json.dumps({"event": "failed", "message": "训练需要更多记录"}))
            print("madpg: error: 训练需要更多记录", file=sys.stderr); sys.exit(1)
        else:
            print("Traceback: boom", file=sys.stderr); sys.exit(7)
    """), "utf-8")
    proc = TrainingProcess()
    proc.prefix = [str(fake)]
    got: list[dict] = []
    proc.progress.connect(got.append)
    for mode, signal_, check in [("ok", proc.finished, lambda a: a[0]["version"] == 3
                                  and activation_reason(a[0]).startswith("v3 activated")),
                                 ("cancel", proc.cancelled, lambda a: a[0] == "training cancelled"),
                                 ("fail", proc.failed, lambda a: a[0] == "训练需要更多记录"),
                                 ("crash", proc.failed, lambda a: "Traceback: boom" in a[0])]:
        os.environ["FAKE_MODE"] = mode
        try:
            with qtbot.waitSignal(signal_, timeout=20_000) as blocker:
                proc.start(tmp_path, TrainOptions())
        finally:
            del os.environ["FAKE_MODE"]
        assert check(blocker.args), (mode, blocker.args)
        qtbot.waitUntil(lambda: not proc.is_running())
    assert len(got) == 4 and got[0]["loss"] == 1.5


def test_score_versions_fills_the_panel_on_the_current_check_set(qtbot, loop_window: MainWindow, demo: Path) -> None:  # noqa: ANN001
    from madpg_core import check_set, version_scores

    w, loop = loop_window, loop_window.model_loop
    loop.score_versions()
    assert "No check set yet" in w.statusBar().currentMessage()  # nothing trained: nothing to score on
    with Project.open(demo) as p:
        with p.transaction() as s:
            for rid in repo.record_ids(s):
                repo.set_status(s, rid, RecordStatus.REVIEWED)
        check_set.split(p, assign=True)  # what the first training run does
        assert check_set.check_ids(p) and version_scores.stored_scores(p) == {}
    loop.refresh_versions()
    assert loop.panel.scores == {}
    loop.act_score.trigger()
    _wait_prelabel(qtbot, w)
    assert _outcome(w) == "1 version is scored on the current check set"
    assert set(loop.panel.scores) == {0} and loop.panel.scores[0].n_records == len(check_set.check_ids(loop.project))
