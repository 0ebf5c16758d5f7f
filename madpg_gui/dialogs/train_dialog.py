"""Model ▸ Train…: fine-tune the active model or start from scratch, within a time budget; see the
plan before starting, watch progress and the time left, learn why the new version was (not) activated.

The dialog is modeless: annotation goes on while a child process trains (training_process.py).
Closing the dialog does not stop training; Model ▸ Train… shows it again. Epochs are an advanced
cap only: a clinician can say how many minutes to spend, not how many passes over the data.
"""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QRadioButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from madpg_core import retrain
from madpg_core.errors import MadpgError
from madpg_core.model.config import PAPER_NAMES, PRESETS, ModelConfig
from madpg_core.storage import repo
from madpg_core.storage.project import Project
from madpg_gui.dialogs.replay_box import ReplayBox
from madpg_gui.i18n import tr, trn
from madpg_gui.training_process import (
    TrainingProcess,
    TrainOptions,
    activation_reason,
    cancelled_text,
    cuda_probably_available,
)

DEFAULT_PRESET = "madpg-lite"
FULL_PRESET = "madpg"
WARNING_STYLE = "color: #A0522D;"


def needs_pretrained(preset: str) -> bool:
    return PRESETS[preset].get("text_encoder", ModelConfig.text_encoder) == "pretrained"


def preset_epochs(preset: str) -> int:
    return int(PRESETS[preset].get("epochs", ModelConfig.epochs))


def time_left(seconds: object) -> str:
    """ "about N min left" from a progress event's estimate ("" when it has none yet)."""
    if not isinstance(seconds, (int, float)) or seconds < 0:
        return ""
    if seconds < 60:
        return tr("less than a minute left")
    return tr("about {n} min left").format(n=math.ceil(seconds / 60))


def duration(seconds: float) -> str:
    return (tr("about {n} min").format(n=round(seconds / 60)) if seconds >= 90
            else tr("about {n} s").format(n=max(1, round(seconds))))


def plan_text(plan: retrain.Plan) -> str:
    """The plan in the user's language (the core's ``Plan.summary()`` says the same in English)."""
    replay = trn(" plus {n} replay record", " plus {n} replay records", plan.n_replay) if plan.n_replay else ""
    if plan.mode == "warm":
        what = tr("Fine-tune v{v} ({p}) on {records}{replay}; score it on {check}, never trained on.")
    else:
        what = tr("Train {p} from scratch on {records}{replay}; score it on {check}, never trained on.")
    what = what.format(v=plan.base_version, p=plan.preset, replay=replay,
                       records=trn("{n} reviewed record", "{n} reviewed records", plan.n_train),
                       check=trn("{n} check record", "{n} check records", plan.n_check))
    when = trn("At most {n} epoch, {t}", "At most {n} epochs, {t}", plan.epochs, t=duration(plan.estimate_s))
    if plan.budget_s:
        when += " " + tr("(budget {b} min)").format(b=f"{plan.budget_s / 60:g}")
    return f"{what}\n{when}."


def plan_warnings(plan: retrain.Plan, warm_asked: bool, active_preset: str | None) -> list[str]:
    """The plan's warnings in the user's language, from its numbers (the core's ``Plan.warnings``
    say the same in English)."""
    out = []
    if not plan.check_meaningful:
        out.append(trn("The check set ({n} record) is too small to tell whether a new version is better. Review "
                       "at least {k} records; until then, do not make the new version active without looking at it.",
                       "The check set ({n} records) is too small to tell whether a new version is better. Review "
                       "at least {k} records; until then, do not make the new version active without looking at it.",
                       plan.n_check, k=retrain.MIN_FOR_CHECK))
    if warm_asked and plan.mode == "scratch" and active_preset:
        out.append(tr("Preset {p} differs from the active version's ({a}): this run trains from scratch.")
                   .format(p=plan.preset, a=active_preset))
    if plan.n_train < retrain.MIN_REVIEWED:
        out.append(tr("Training needs at least {k} reviewed records outside the check set.")
                   .format(k=retrain.MIN_REVIEWED))
    return out


def preset_text(name: str) -> str:
    """A preset as the list shows it: its identifier (as the command line and the versions panel name
    it) and the paper's name for the model, with the words in it translated."""
    paper = {"madpg-lite": tr("MADPG, sized for a CPU"), "madpg-tiny": tr("MADPG, sized for tests")}.get(name)
    if paper is None:
        paper = PAPER_NAMES.get(name, "")
        if paper.startswith("w/o "):  # an ablation of the paper's table: MADPG without some parts
            parts = paper[4:].replace("Gating", tr("gating")).replace(" & ", tr(" and "))
            paper = tr("MADPG without {parts}").format(parts=parts)
    return f"{name}  ({paper})" if paper else name


class TrainDialog(QDialog):
    pretrainedChanged = Signal(str)  # the user chose a pretrained folder (saved in the preferences)
    replayChanged = Signal(dict)  # the project's replay corpus choice (saved in the preferences)

    def __init__(self, process: TrainingProcess, project: Project, pretrained: str = "",
                 replay: dict | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(tr("Train a new model version"))
        self.process, self.project, self.project_folder = process, project, project.folder
        self.plan: retrain.Plan | None = None
        self._activation_chosen = False  # the user picked one: the check-set default no longer applies
        self.active_preset: str | None = None
        self.warm = QRadioButton()
        self.scratch = QRadioButton(tr("From scratch"))
        modes = QButtonGroup(self)
        modes.addButton(self.warm)
        modes.addButton(self.scratch)
        self.preset = QComboBox()
        self.mode_note = QLabel(wordWrap=True)
        self.pretrained = QLineEdit(pretrained)
        self.pretrained.setPlaceholderText(tr("optional: local BERT/RoBERTa folder for the full MADPG"))
        pick = QPushButton(tr("Folder…"))
        pick.clicked.connect(self._pick_pretrained)
        self.pretrained.editingFinished.connect(self._pretrained_edited)
        self.minutes = QDoubleSpinBox(minimum=0.5, maximum=600, singleStep=1, decimals=1, suffix=tr(" min"),
                                      value=retrain.DEFAULT_MINUTES)
        self.device = QComboBox()
        self.device.addItem(tr("Automatic (CUDA when present)"), "auto")
        self.device.addItem(tr("CPU"), "cpu")
        if cuda_probably_available():
            self.device.addItem(tr("CUDA (GPU)"), "cuda")
        self.activation = QComboBox()
        for key, text in (("if-better", tr("Only if it is better on the check set")), ("always", tr("Always")),
                          ("never", tr("Never (activate it by hand in the versions panel)"))):
            self.activation.addItem(text, key)
        self.check_note = QLabel(wordWrap=True, styleSheet=WARNING_STYLE)
        self.replay = ReplayBox(replay)
        self.limit_epochs = QCheckBox(tr("Stop after at most"))
        self.epochs = QSpinBox(minimum=1, maximum=500, suffix=tr(" epochs"), enabled=False)
        self.limit_epochs.toggled.connect(self.epochs.setEnabled)
        form = QFormLayout()
        form.addRow(tr("Start"), self.warm)
        form.addRow("", self.scratch)
        form.addRow(tr("Preset"), self.preset)
        form.addRow(self.mode_note)  # a full-width row: a wrapped label in the field column gets cut
        form.addRow(tr("Pretrained folder"), _row(self.pretrained, pick))
        form.addRow(tr("Time budget"), self.minutes)
        form.addRow(tr("Device"), self.device)
        form.addRow(tr("Activate the new version"), self.activation)
        self.advanced = QGroupBox(tr("Advanced"))
        QHBoxLayout(self.advanced).addWidget(_row(self.limit_epochs, self.epochs, stretch_last=False))
        self.plan_label = QLabel(wordWrap=True)
        self.plan_warnings = QLabel(wordWrap=True, styleSheet=WARNING_STYLE)
        self.bar = QProgressBar()
        self.bar.setRange(0, 1)
        self.bar.setValue(0)
        self.state = QLabel(wordWrap=True)
        self.history = QLabel(wordWrap=True, alignment=Qt.AlignmentFlag.AlignTop)
        # Room for two state lines and six epoch lines from the start: a label that grew with
        # each epoch pushed the buttons down under the pointer, and a click on Cancel missed.
        lines = self.fontMetrics().lineSpacing()
        self.state.setMinimumHeight(2 * lines + 4)
        self.history.setFixedHeight(6 * lines + 4)
        self.buttons = QDialogButtonBox()
        self.go = self.buttons.addButton(tr("Train"), QDialogButtonBox.ButtonRole.AcceptRole)
        self.stop = self.buttons.addButton(tr("Cancel training"), QDialogButtonBox.ButtonRole.ActionRole)
        self.close_ = self.buttons.addButton(QDialogButtonBox.StandardButton.Close)
        self.go.clicked.connect(self.start)
        self.stop.clicked.connect(self.cancel)
        self.close_.clicked.connect(self.hide)
        lay = QVBoxLayout(self)
        lay.addLayout(form)
        # Not a form row: a form row kept its first height and cut the wrapped text off (seen under Xvfb).
        lay.addWidget(self.check_note)
        lay.addWidget(self.replay)
        lay.addWidget(self.advanced)
        lay.addWidget(self.plan_label)
        lay.addWidget(self.plan_warnings)
        lay.addWidget(self.bar)
        lay.addWidget(self.state)
        lay.addWidget(self.history)
        lay.addWidget(self.buttons)
        self._plan_timer = QTimer(self, singleShot=True, interval=250)  # re-plan once typing pauses
        self._plan_timer.timeout.connect(self.refresh_plan)
        self.preset.currentIndexChanged.connect(self._preset_changed)
        self.warm.toggled.connect(self._mode_changed)
        self.activation.activated.connect(self._activation_picked)  # the user's pick, not ours
        self.replay.changed.connect(self._replay_changed)
        for sig in (self.minutes.valueChanged, self.device.currentIndexChanged, self.activation.currentIndexChanged,
                    self.limit_epochs.toggled, self.epochs.valueChanged):
            sig.connect(self._plan_timer.start)
        process.started.connect(self._started)
        process.progress.connect(self._progress)
        process.finished.connect(self._finished)
        process.cancelled.connect(self._cancelled)  # bound methods: disconnected when the dialog goes
        process.failed.connect(self._failed)
        self.reload()
        self._set_running(process.is_running())
        self.resize(600, 0)

    # ---------------------------------------------------------------- options

    def reload(self) -> None:
        """Read the active version again (it may have changed since the dialog was made) and re-plan."""
        with self.project.reading() as s:
            active = repo.active_model_version(s)
        self.active_preset = active.preset if active is not None and active.preset in PRESETS else None
        if active is None:
            self.warm.setText(tr("Start from the active model (fine-tune): this project has none"))
        else:
            self.warm.setText(tr("Start from the active model v{n} (fine-tune)").format(n=active.version))
        self.warm.setEnabled(active is not None)
        keep_scratch = self.scratch.isChecked()
        (self.scratch if keep_scratch or active is None else self.warm).setChecked(True)
        self._fill_presets(self.preset.currentData() if keep_scratch else (self.active_preset or DEFAULT_PRESET))

    def _fill_presets(self, keep: str | None) -> None:
        has_pretrained = bool(self.pretrained.text().strip()) and Path(self.pretrained.text().strip()).is_dir()
        names = [DEFAULT_PRESET, FULL_PRESET] + [n for n in PRESETS if n not in (DEFAULT_PRESET, FULL_PRESET)]
        self.preset.blockSignals(True)
        self.preset.clear()
        for name in names:
            if name in PRESETS and (has_pretrained or not needs_pretrained(name) or name == self.active_preset):
                self.preset.addItem(preset_text(name), name)
        i = self.preset.findData(keep)
        self.preset.setCurrentIndex(max(i, 0))
        self.preset.blockSignals(False)
        self._preset_changed()

    def _preset_changed(self) -> None:
        name = self.preset.currentData()
        if name:
            self.epochs.setValue(preset_epochs(name))
        if self.warm.isChecked() and self.active_preset and name != self.active_preset:
            self.scratch.setChecked(True)  # a model cannot be fine-tuned into another architecture
        self._update_mode_note()
        self._plan_timer.start()

    def _mode_changed(self) -> None:
        if self.warm.isChecked() and self.active_preset and self.preset.currentData() != self.active_preset:
            self.preset.blockSignals(True)
            self.preset.setCurrentIndex(max(self.preset.findData(self.active_preset), 0))
            self.preset.blockSignals(False)
        self._update_mode_note()
        self._plan_timer.start()

    def _update_mode_note(self) -> None:
        name = self.preset.currentData()
        if self.warm.isChecked():
            text = tr("Fine-tunes a copy of the active model on the reviewed records; it keeps what that model knew.")
        elif self.active_preset and name != self.active_preset:
            text = tr("Another preset than the active model's ({p}) means training from scratch: "
                      "the new version learns only from the reviewed records (and the replay corpus).")
            text = text.format(p=self.active_preset)
        else:
            text = tr("From scratch: the new version learns only from the reviewed records (and the replay corpus).")
        self.mode_note.setText(text)

    def _activation_picked(self) -> None:
        self._activation_chosen = True

    def choose_activation(self, key: str) -> None:
        """Pick the activation choice as the user does (it then overrides the check-set default)."""
        self.activation.setCurrentIndex(self.activation.findData(key))
        self._activation_picked()

    def _replay_changed(self, choice: dict) -> None:
        self.replayChanged.emit(choice)
        self._plan_timer.start()

    def _pick_pretrained(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, tr("Pretrained BERT/RoBERTa folder"), self.pretrained.text())
        if folder:
            self.pretrained.setText(folder)
            self._pretrained_edited()

    def _pretrained_edited(self) -> None:
        text = self.pretrained.text().strip()
        if text and not Path(text).is_dir():
            self.state.setText(tr("Not a folder: {p}").format(p=text))
        self.pretrainedChanged.emit(text)
        self._fill_presets(self.preset.currentData() or (FULL_PRESET if text else DEFAULT_PRESET))

    def options(self) -> TrainOptions:
        name = self.preset.currentData() or DEFAULT_PRESET
        warm = self.warm.isChecked()
        pretrained = self.pretrained.text().strip() if needs_pretrained(name) else None
        return TrainOptions(preset=None if warm else name, mode="warm" if warm else "scratch",
                            minutes=self.minutes.value(),
                            epochs=self.epochs.value() if self.limit_epochs.isChecked() else None,
                            device=self.device.currentData(), pretrained=pretrained or None,
                            replay=self.replay.sources(), activate=self.activation.currentData())

    # ---------------------------------------------------------------- the plan

    def refresh_plan(self) -> None:
        """Ask the core what this run would do (cheap, no torch) and show it before starting."""
        self._plan_timer.stop()
        problem = self.replay.problem()
        self.plan = None
        if not problem:
            try:
                request = self.options().request()
                if request.device is None:  # "auto": decided here without torch (the core would import it)
                    request = replace(request, device="cuda" if cuda_probably_available() else "cpu")
                self.plan = retrain.plan(self.project, request)
            except (MadpgError, OSError, ValueError) as e:
                problem = str(e)
        plan = self.plan
        if plan is None:
            self.plan_label.setText(tr("Cannot plan this run: {m}").format(m=problem))
            self.plan_warnings.setText("")
            self.check_note.setText("")
        else:
            self.plan_label.setText(plan_text(plan))
            self.plan_warnings.setText("\n".join(plan_warnings(plan, self.warm.isChecked(), self.active_preset)))
            self._check_set_default(plan)
        self._enable_go()

    def _check_set_default(self, plan: retrain.Plan) -> None:
        if plan.check_meaningful:
            self.check_note.setText("")
            default = "if-better"
        else:
            self.check_note.setText(
                trn("Only {n} reviewed record (fewer than {k}): the check set is too small to tell a better model "
                    "from noise, so the new version is not made active by default. Compare it in the versions "
                    "panel and activate it by hand if you like.",
                    "Only {n} reviewed records (fewer than {k}): the check set is too small to tell a better model "
                    "from noise, so the new version is not made active by default. Compare it in the versions "
                    "panel and activate it by hand if you like.", plan.n_reviewed, k=retrain.MIN_FOR_CHECK))
            default = "never"
        if not self._activation_chosen:
            self.activation.blockSignals(True)
            self.activation.setCurrentIndex(self.activation.findData(default))
            self.activation.blockSignals(False)

    def _enable_go(self) -> None:
        plan = self.plan
        ok = plan is not None and plan.n_train >= retrain.MIN_REVIEWED  # the core refuses fewer (plan warns)
        self.go.setEnabled(ok and not self.process.is_running())

    # ---------------------------------------------------------------- running

    def start(self) -> None:
        if self.process.is_running():
            return
        self.refresh_plan()  # the records may have changed since the plan was shown
        if not self.go.isEnabled():
            return
        self.history.setText("")
        self.process.start(self.project_folder, self.options())

    def cancel(self) -> None:
        if self.process.is_running():
            self.state.setText(tr("Stopping…"))
            self.stop.setEnabled(False)
            self.process.cancel()

    def _set_running(self, running: bool) -> None:
        for w in (self.warm, self.scratch, self.preset, self.pretrained, self.minutes, self.device, self.activation,
                  self.replay, self.advanced):
            w.setEnabled(not running)
        self.stop.setEnabled(running)
        if running:
            self.go.setEnabled(False)
        else:
            self.reload()  # a finished run may have changed the active version
            self.refresh_plan()

    def _started(self) -> None:
        self._set_running(True)
        self.bar.setRange(0, 0)  # busy while the child loads and prepares the data
        self.state.setText(tr("Starting the training process…"))

    def _progress(self, ev: dict) -> None:
        if self._preparing(ev):
            return
        total, step = int(ev.get("total_steps") or 0), int(ev.get("step") or 0)
        if total > 0:
            self.bar.setRange(0, total)
            self.bar.setValue(step)
        loss, f1 = ev.get("loss"), ev.get("dev_f1")
        parts = [tr("epoch {e}").format(e=ev.get("epoch", 0))]
        if total:
            parts.append(tr("step {s} / {t}").format(s=step, t=total))
        if isinstance(loss, (int, float)):
            parts.append(tr("loss {x}").format(x=f"{loss:.3f}"))
        left = time_left(ev.get("seconds_left"))
        if left:
            parts.append(left)
        self.state.setText("  ·  ".join(parts))
        if isinstance(f1, (int, float)):
            line = tr("epoch {e}: dev F1 {f}").format(e=ev.get("epoch", 0), f=f"{100 * f1:.1f}")
            self.history.setText("\n".join([*filter(None, self.history.text().split("\n")), line][-6:]))

    def _preparing(self, ev: dict) -> bool:
        """The phases before the first step, each named, so the dialog never sits on "Starting…"
        while the child reads the records, builds the model and parses the texts (issue 20)."""
        if ev.get("event") == "plan":
            self.state.setText(tr("Reading the reviewed records and building the model…"))
            return True
        if int(ev.get("total_steps") or 0) > 0:
            return False
        parsed, to_parse = int(ev.get("parsed") or 0), int(ev.get("to_parse") or 0)
        if to_parse > 0:
            self.bar.setRange(0, to_parse)
            self.bar.setValue(parsed)
            self.state.setText(trn("Preparing the data: parsed {done} of {n} text", "Preparing the data: "
                                   "parsed {done} of {n} texts", to_parse, done=parsed))
        else:
            self.state.setText(tr("Preparing the data…"))
        return True

    def _finished(self, ev: dict) -> None:
        text = tr("Version {v} is ready").format(v=ev.get("version"))
        text += "  ·  " + (tr("now active") if ev.get("active") else tr("not activated"))
        reason = activation_reason(ev)
        if reason:
            text += "\n" + reason
        self.bar.setRange(0, 1)
        self.bar.setValue(1)
        self._set_running(False)
        self.state.setText(text)

    def _cancelled(self, message: str) -> None:
        self._ended(cancelled_text(message))

    def clear_outcome(self) -> None:
        """Forget the last run's outcome (a reopened dialog starts clean)."""
        self.state.setText("")
        self.history.setText("")
        self.bar.setRange(0, 1)
        self.bar.setValue(0)

    def _failed(self, message: str) -> None:
        self._ended(tr("Training failed: {m}. The active model is unchanged.").format(m=message))

    def _ended(self, message: str) -> None:
        self.bar.setRange(0, 1)
        self.bar.setValue(0)
        self._set_running(False)
        self.state.setText(message)


def _row(first: QWidget, second: QWidget, stretch_last: bool = True) -> QWidget:
    row = QWidget()
    lay = QHBoxLayout(row)
    lay.setContentsMargins(0, 0, 0, 0)
    lay.addWidget(first, 1 if stretch_last else 0)
    lay.addWidget(second)
    if not stretch_last:
        lay.addStretch(1)
    return row
