"""The model in the loop, as the main window shows it: the Model menu, the versions dock, a
status-bar progress indicator, pre-labelling and training in child processes.

Composed into ``MainWindow`` (which stays small); nothing here imports torch: the active model is
loaded and kept by the pre-label child (prelabel_process.py), started once the window is up, and
training runs in its own process. Only scoring versions runs in a worker thread. The loop knows
the window only as a ``host.WindowHost`` (never imports main_window.py: no import circle).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import cast

from PySide6.QtCore import QObject, Qt, QThread, QTimer
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QWidget,
)

from madpg_core import check_set, registry, version_scores
from madpg_core.errors import MadpgError
from madpg_core.storage import repo
from madpg_core.storage.project import Project
from madpg_gui import settings, workers
from madpg_gui.dialogs.train_dialog import TrainDialog, time_left
from madpg_gui.host import WindowHost
from madpg_gui.i18n import tr, trn
from madpg_gui.prelabel_process import PrelabelProcess, progress_text, summary_text
from madpg_gui.prelabel_process import cancelled_text as prelabel_cancelled_text
from madpg_gui.training_process import (
    TrainingProcess,
    activation_reason,
    cancelled_text,
)
from madpg_gui.widgets.model_panel import ModelPanel

SHUTDOWN_WAIT_MS = 20_000
PRELOAD_AFTER_MS = 500


class JobIndicator(QWidget):
    """Status-bar progress of a background job, with its Cancel button; after the job, its outcome
    (hidden before the first job, and when the project closes)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.label = QLabel()
        self.bar = QProgressBar(maximumWidth=160, textVisible=True)
        self.cancel = QPushButton(tr("Cancel"))
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.label)
        lay.addWidget(self.bar)
        lay.addWidget(self.cancel)
        self.hide()

    def begin(self, text: str) -> None:
        self.label.setText(text)
        self.bar.setRange(0, 0)
        self.bar.show()
        self.cancel.setEnabled(True)
        self.cancel.show()
        self.show()

    def finish(self, text: str) -> None:
        """Show the job's outcome until the next job begins: a status-bar message would be gone
        in seconds, while the user was looking at the records."""
        self.label.setText(text)
        self.bar.hide()
        self.cancel.hide()
        self.show()

    def step(self, done: int, total: int) -> None:
        if total > 0:
            self.bar.setRange(0, total)
            self.bar.setValue(done)


class ModelLoop(QObject):
    def __init__(self, window: WindowHost) -> None:
        super().__init__(cast(QObject, window))
        self.service = PrelabelProcess(self)  # the pre-label child: started once the window is up
        self.service.loading.connect(self._model_loading)
        self.service.loaded.connect(self._model_loaded)
        self.service.progress.connect(self._prelabel_progress)
        self.service.done.connect(self._prelabel_done)
        self.service.cancelled.connect(self._prelabel_cancelled)
        self.service.error.connect(self._prelabel_error)
        self.service.died.connect(self._service_died)
        self._job: int | None = None  # the pre-label job under way in the child
        self._job_ids: set[int] | None = None  # records the running job may change (None: all)
        self._loading: int | None = None  # the model version the child is loading, if any
        self._stopping = False  # Cancel was clicked: "Stopping…" stays until the job ends
        self.worker: workers.TaskWorker | None = None  # scoring versions
        self.thread: QThread | None = None
        self.training = TrainingProcess(self)
        self.dialog: TrainDialog | None = None
        self._baseline: int | None = None
        self.panel = ModelPanel()
        self.panel.activateRequested.connect(self.activate)
        self.dock = window.add_dock(self.panel, tr("Model versions"), "models", Qt.DockWidgetArea.RightDockWidgetArea)
        window.tabifyDockWidget(window.docks["images"], self.dock)
        window.docks["images"].raise_()
        window.docks["models"] = self.dock
        self.prelabel_bar = JobIndicator()
        self.prelabel_bar.cancel.clicked.connect(self.cancel_prelabel)
        self.train_bar = JobIndicator()
        self.train_bar.cancel.clicked.connect(self.cancel_training)
        window.statusBar().addWidget(self.prelabel_bar)
        window.statusBar().addWidget(self.train_bar)
        self._live = QTimer(self, singleShot=True, interval=500)  # refresh the list while labelling, not per batch
        self._live.timeout.connect(window.records.refresh)
        self.training.started.connect(lambda: self.train_bar.begin(tr("Training")))
        self.training.progress.connect(self._train_progress)
        self.training.finished.connect(self._train_finished)
        self.training.cancelled.connect(lambda m: self._train_ended(cancelled_text(m)))
        self.training.failed.connect(lambda m: self._train_ended(tr("Training failed: {m}. The active model is unchanged.").format(m=m)))
        self._build_menu()
        window.projectOpened.connect(self._project_opened)
        window.projectClosing.connect(self.shutdown)

    # ---------------------------------------------------------------- menu

    def _build_menu(self) -> None:
        w = self.w
        m = w.menuBar().addMenu(tr("&Model"))
        w.menuBar().insertMenu(w.menus["help"].menuAction(), m)
        w.menus["model"] = m
        self.act_current = w.add_action(m, tr("Pre-label current record"), self.prelabel_current, "Ctrl+Shift+L")
        self.act_selected = w.add_action(m, tr("Pre-label selected records"), self.prelabel_selected)
        self.act_unreviewed = w.add_action(m, tr("Pre-label all unreviewed records"), self.prelabel_unreviewed)
        m.addSeparator()
        self.act_train = w.add_action(m, tr("Train…"), self.open_train_dialog)
        self.act_score = w.add_action(m, tr("Score versions on the check set"), self.score_versions)
        m.addSeparator()
        m.addAction(self.dock.toggleViewAction())
        w.menus["view"].addAction(self.dock.toggleViewAction())

    @property
    def w(self) -> WindowHost:
        return cast(WindowHost, self.parent())  # no Python reference back to the window: no cycle for the GC

    @property
    def project(self) -> Project | None:
        return self.w.project

    # ---------------------------------------------------------------- versions

    def _project_opened(self) -> None:
        self.refresh_versions()
        # Start the child and load the active model once the window is up: after its first paint,
        # which a child starting beside it (Python's start-up, on a shared 2-core machine) made up to
        # twice as long (~40 → ~90 ms, benchmarks/ui_stall.py).
        QTimer.singleShot(PRELOAD_AFTER_MS, self.preload)

    def _device(self) -> str | None:
        return None if self.w.prefs.device in ("", "auto") else self.w.prefs.device

    def _ensure_service(self) -> None:
        """A child serving the open project with the device of the preferences (a new one after a
        crash, a project change or a device change)."""
        self.service.ensure(self.project.folder, self._device())

    def preload(self) -> None:
        """Have the child load the active model now (again only when another version became
        active), so that a pre-label does not wait for it. Errors: silent here; a pre-label
        reports them."""
        if self.project is None:
            return
        self._ensure_service()
        self.service.send("load")

    def warm_parse(self, record_ids: Sequence[int] | None) -> None:
        """Parse the texts of ``record_ids`` (None: every record not reviewed) into the project's
        parse cache in the child, after any pre-label (which interrupts it): called after an
        import, so that pre-labelling the new records does not wait for their parses."""
        if self.project is None:
            return
        self._ensure_service()
        self.service.submit("warm_parse", record_ids)

    def refresh_versions(self, select: int | None = None) -> None:
        if self.project is None:
            self.panel.set_versions([])
            return
        try:
            rows = registry.versions(self.project)
            # reading only: scoring a version loads its model, which the training child does after a run
            scores = version_scores.stored_scores(self.project)
            n_check = len(check_set.check_ids(self.project))
        except MadpgError as e:
            self.w.message(str(e))
            rows, scores, n_check = [], {}, 0
        self.panel.set_versions(rows, select=select, baseline=self._baseline, scores=scores, check_size=n_check)

    def activate(self, version: int) -> None:
        if self.project is None:
            return
        try:
            registry.activate(self.project, version)
        except MadpgError as e:
            QMessageBox.warning(self.w, tr("Model versions"), str(e))
            return
        self.refresh_versions(select=version)
        self.preload()  # loaded before the next pre-label asks for it
        self.w.message(tr("Model v{n} is active; pre-labelling uses it from now on.").format(n=version))

    # ---------------------------------------------------------------- pre-labelling

    def prelabel_current(self) -> None:
        rid = self.w.ann.record_id if self.w.ann else None
        if rid is None:
            self.w.message(tr("No record is shown"))
            return
        self.prelabel([rid])

    def prelabel_selected(self) -> None:
        ids = self.w.records.selected_ids()
        if not ids:
            self.w.message(tr("Select records in the list first"))
            return
        self.prelabel(ids)

    def prelabel_unreviewed(self) -> None:
        self.prelabel(None)

    def prelabel(self, record_ids: Sequence[int] | None) -> None:
        """Pre-label ``record_ids`` (None: all unreviewed) in the child process."""
        if self.project is None:
            return
        if self.is_prelabelling():
            self.w.message(tr("Pre-labelling is already running"))
            return
        problem = self._no_model()
        if problem:
            self.prelabel_bar.finish(tr("Pre-labelling failed: {m}").format(m=problem))
            return
        self._ensure_service()
        self._job_ids = set(record_ids) if record_ids is not None else None
        self._stopping = False
        self._job = self.service.submit("prelabel", record_ids)
        self.prelabel_bar.begin(self._loading_text() if self._loading is not None else tr("Pre-labelling"))
        for a in (self.act_current, self.act_selected, self.act_unreviewed):
            a.setEnabled(False)

    def _no_model(self) -> str | None:
        """Why there is no model to pre-label with (said at once, not by the child seconds later);
        None when there is an active one. A read: no write lock on the common path."""
        with self.project.reading() as s:
            if repo.active_model_version(s) is not None:
                return None  # its files are the child's to check: it says so in its error event
        try:
            registry.active_model_dir(self.project)  # registers the bundled model if there is none yet
        except MadpgError as e:
            return str(e)
        return None

    def is_prelabelling(self) -> bool:
        """Whether the status-bar job (a pre-label, or scoring versions) is under way."""
        return self._job is not None or (self.thread is not None and self.thread.isRunning())

    def cancel_prelabel(self) -> None:
        if self._job is not None:
            self.service.cancel(self._job)  # stops before its next forward pass; finished records stay
        elif self.worker is not None and self.is_prelabelling():
            self.worker.stop.set()
        else:
            return
        self._stopping = True
        self.prelabel_bar.cancel.setEnabled(False)
        self.prelabel_bar.label.setText(tr("Stopping…"))

    def _mine(self, ev: dict) -> bool:
        """Whether ``ev`` is about the pre-label under way (not a warm-parse in the background, nor
        a job given up when the project closed)."""
        return self._job is not None and ev.get("job") == self._job

    def _loading_text(self) -> str:
        return tr("Loading model v{n}…").format(n=self._loading)

    def _model_loading(self, ev: dict) -> None:
        self._loading = ev.get("version")
        if self._job is not None and not self._stopping:
            self.prelabel_bar.begin(self._loading_text())

    def _model_loaded(self, ev: dict) -> None:
        self._loading = None
        if self._job is not None and not self._stopping:
            self.prelabel_bar.label.setText(tr("Pre-labelling"))

    def _prelabel_progress(self, ev: dict) -> None:
        if not self._mine(ev):
            return
        done, total = int(ev.get("done") or 0), int(ev.get("total") or 0)
        self.prelabel_bar.step(done, total)
        if not self._stopping and total:
            self.prelabel_bar.label.setText(progress_text(done, total))
        if done and not self._live.isActive():
            self._live.start()
        ann = self.w.ann
        if ann is not None and ann.record_id is not None and ann.record_id in (ev.get("ids") or ()):
            ann.load(ann.record_id)  # the shown record was just labelled: show its model spans

    def _prelabel_done(self, ev: dict) -> None:
        if self._mine(ev):
            self._prelabel_ended(summary_text(ev))

    def _prelabel_cancelled(self, ev: dict) -> None:
        if self._mine(ev):
            self._prelabel_ended(prelabel_cancelled_text(ev))

    def _prelabel_error(self, ev: dict) -> None:
        if self._mine(ev):
            self._prelabel_ended(tr("Pre-labelling failed: {m}").format(m=ev.get("message")))

    def _service_died(self, message: str) -> None:
        self._loading = None
        if self._job is not None:
            self._prelabel_ended(tr("Pre-labelling failed: {m}. The records finished before stay labelled; "
                                    "the next run starts the process again.").format(m=message))

    def _prelabel_ended(self, message: str) -> None:
        self._job = None
        self._job_ended(message)

    def _job_ended(self, message: str) -> None:
        """The status-bar job ended: its outcome stays shown; the list and the shown record catch up."""
        self._stopping = False
        self._live.stop()
        self.prelabel_bar.finish(message)
        for a in (self.act_current, self.act_selected, self.act_unreviewed, self.act_score):
            a.setEnabled(self.project is not None)
        if self.project is None:
            return
        self.w.records.refresh()
        ann = self.w.ann
        if ann is not None and ann.record_id is not None and (self._job_ids is None or ann.record_id in self._job_ids):
            ann.load(ann.record_id)  # show the new model spans of the open record

    # ---------------------------------------------------------------- scoring

    def score_versions(self) -> None:
        """Score the versions the panel shows as "not scored" (one background job at a time: it
        shares the pre-labelling worker's slot and status-bar indicator)."""
        if self.project is None:
            return
        if self.is_prelabelling():
            self.w.message(tr("Pre-labelling is already running"))
            return
        if not check_set.check_ids(self.project):
            self.w.message(tr("No check set yet: it is drawn the first time the project trains."))
            return
        device = self._device()
        self._job_ids = set()  # scoring changes no record
        self.worker = workers.TaskWorker(workers.score_task(self.project, device))
        self.worker.progress.connect(self._score_progress)
        self.worker.finished.connect(self._score_finished)
        self.worker.failed.connect(self._score_failed)
        self.worker.cancelled.connect(self._score_cancelled)
        self.prelabel_bar.begin(tr("Scoring versions"))
        for a in (self.act_current, self.act_selected, self.act_unreviewed, self.act_score):
            a.setEnabled(False)
        self.thread = workers.start(self.worker, self)

    def _score_progress(self, done: int, total: int) -> None:
        self.prelabel_bar.step(done, total)

    def _score_ended(self, message: str) -> None:
        if self.thread is not None:
            self.thread.wait()  # it is quitting already (workers.start); join before dropping it
        self.worker, self.thread = None, None
        self._job_ended(message)

    def _score_finished(self, n: object) -> None:
        self._score_ended(trn("{n} version is scored on the current check set",
                                "{n} versions are scored on the current check set", n))
        self.refresh_versions()

    def _score_failed(self, message: str) -> None:
        self._score_ended(tr("Scoring failed: {m}").format(m=message))

    def _score_cancelled(self) -> None:
        self._score_ended(tr("Scoring cancelled; the versions scored so far keep their scores."))
        self.refresh_versions()

    # ---------------------------------------------------------------- training

    def open_train_dialog(self) -> TrainDialog | None:
        project = self.project
        if project is None:
            return None
        if self.dialog is None or self.dialog.project is not project:  # a dialog per open project
            if self.dialog is not None:
                self.dialog.deleteLater()
            self.dialog = TrainDialog(self.training, project, self.w.prefs.pretrained_path,
                                      settings.replay_choice(self.w.prefs, project.folder), cast(QWidget, self.w))
            self.dialog.pretrainedChanged.connect(self._save_pretrained)
            self.dialog.replayChanged.connect(self._save_replay)
        elif not self.training.is_running():
            self.dialog.reload()  # records reviewed and versions activated since it was last shown
            self.dialog.refresh_plan()
            self.dialog.clear_outcome()  # the last run's message is in the status bar and the panel
        self.dialog.show()
        self.dialog.raise_()
        return self.dialog

    def _save_pretrained(self, path: str) -> None:
        self.w.prefs.pretrained_path = path
        settings.save_prefs(self.w.prefs)

    def _save_replay(self, choice: dict) -> None:
        if self.project is not None:
            settings.set_replay_choice(self.w.prefs, self.project.folder, choice)
            settings.save_prefs(self.w.prefs)

    def cancel_training(self) -> None:
        if self.training.is_running():
            self.train_bar.cancel.setEnabled(False)
            self.train_bar.label.setText(tr("Stopping…"))
            self.training.cancel()

    def _train_progress(self, ev: dict) -> None:
        total = int(ev.get("total_steps") or 0)
        self.train_bar.step(int(ev.get("step") or 0), total)
        if total == 0:  # the plan, reading records, parsing: before the first step
            self.train_bar.label.setText(tr("Training: preparing the data"))
            return
        text = tr("Training: epoch {e}").format(e=ev.get("epoch", 0))
        left = time_left(ev.get("seconds_left"))
        if left:
            text += ", " + left
        self.train_bar.label.setText(text)

    def _train_finished(self, ev: dict) -> None:
        self.train_bar.hide()
        self._baseline = self.panel.active_version()  # compare the new version with the one it replaced
        self.refresh_versions(select=ev.get("version"))
        self.preload()  # a new active version: the child loads it now, not at the next pre-label
        self.w.records.refresh()  # the run may have drawn check-set records: their marks
        self.dock.show()
        self.dock.raise_()
        reason = activation_reason(ev)
        text = tr("Model version {v} is ready").format(v=ev.get("version"))
        self.w.message(f"{text}: {reason}" if reason else text)

    def _train_ended(self, message: str) -> None:
        self.train_bar.hide()
        self.w.message(message)
        self.refresh_versions()
        self.w.records.refresh()

    # ---------------------------------------------------------------- shutdown

    def confirm_close(self) -> bool:
        """Ask before quitting while training runs (quitting cancels it)."""
        if not self.training.is_running():
            return True
        answer = QMessageBox.question(self.w, tr("Training is running"),
                                      tr("Quitting cancels the training run; the active model stays as it is. Quit?"))
        return answer == QMessageBox.StandardButton.Yes

    def shutdown(self) -> None:
        """Stop background work before the project closes (Cancel semantics: nothing half-written)."""
        self._job, self._loading, self._stopping = None, None, False  # what the child still says concerns nobody
        self.service.stop()  # quit; killed if it has not ended within a few seconds
        if self.worker is not None and self.thread is not None:
            self.worker.stop.set()
            self.thread.wait(SHUTDOWN_WAIT_MS)
            for sig in (self.worker.progress, self.worker.finished, self.worker.failed, self.worker.cancelled):
                sig.disconnect()  # its last report would arrive after the project is gone
            self.worker, self.thread = None, None
        self._live.stop()
        self.prelabel_bar.hide()
        if self.training.is_running():
            self.training.cancel()
            self.training.wait(SHUTDOWN_WAIT_MS)
        if self.dialog is not None:
            self.dialog.hide()
        self.panel.set_versions([])
