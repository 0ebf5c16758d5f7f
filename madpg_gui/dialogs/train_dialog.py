"""Model ▸ Train…: choose preset, epochs, device and dev split; watch progress; cancel.

The dialog is modeless: annotation goes on while a child process trains (training_process.py).
Closing the dialog does not stop training; Model ▸ Train… shows it again.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from madpg_core.model.config import PAPER_NAMES, PRESETS, ModelConfig
from madpg_core.retrain import MIN_REVIEWED, split
from madpg_gui.i18n import tr
from madpg_gui.training_process import TrainingProcess, TrainOptions, cuda_probably_available

DEFAULT_PRESET = "madpg-lite"
FULL_PRESET = "madpg"


def needs_pretrained(preset: str) -> bool:
    return PRESETS[preset].get("text_encoder", ModelConfig.text_encoder) == "pretrained"


def preset_epochs(preset: str) -> int:
    return int(PRESETS[preset].get("epochs", ModelConfig.epochs))


def split_sizes(n: int, dev_fraction: float) -> tuple[int, int]:
    """(train, dev) record counts, by the core's own rule."""
    if n < 2:
        return n, 0
    train, dev = split(list(range(n)), dev_fraction, 0)  # type: ignore[arg-type]
    return len(train), len(dev)


class TrainDialog(QDialog):
    pretrainedChanged = Signal(str)  # the user chose a pretrained folder (saved in the preferences)

    def __init__(self, process: TrainingProcess, project_folder: Path, reviewed: int, pretrained: str = "",
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(tr("Train a new model version"))
        self.process, self.project_folder, self.reviewed = process, project_folder, reviewed
        self.preset = QComboBox()
        self.pretrained = QLineEdit(pretrained)
        self.pretrained.setPlaceholderText(tr("optional: local BERT/RoBERTa folder for the full MADPG"))
        pick = QPushButton(tr("Folder…"))
        pick.clicked.connect(self._pick_pretrained)
        self.pretrained.editingFinished.connect(self._pretrained_edited)
        self.epochs = QSpinBox(minimum=1, maximum=500)
        self.device = QComboBox()
        self.device.addItem(tr("Automatic (CUDA when present)"), "auto")
        self.device.addItem(tr("CPU"), "cpu")
        if cuda_probably_available():
            self.device.addItem(tr("CUDA (GPU)"), "cuda")
        self.dev_fraction = QDoubleSpinBox(minimum=5, maximum=50, singleStep=5, decimals=0, suffix=" %", value=15)
        self.activate_new = QCheckBox(tr("Make the new version active when it finishes"), checked=True)
        self.split_info = QLabel(wordWrap=True)
        form = QFormLayout()
        form.addRow(tr("Preset"), self.preset)
        row = QWidget()
        rl = QHBoxLayout(row)
        rl.setContentsMargins(0, 0, 0, 0)
        rl.addWidget(self.pretrained, 1)
        rl.addWidget(pick)
        form.addRow(tr("Pretrained folder"), row)
        form.addRow(tr("Epochs"), self.epochs)
        form.addRow(tr("Device"), self.device)
        form.addRow(tr("Held out for dev scores"), self.dev_fraction)
        form.addRow("", self.split_info)
        form.addRow("", self.activate_new)
        self.bar = QProgressBar()
        self.bar.setRange(0, 1)
        self.bar.setValue(0)
        self.state = QLabel(wordWrap=True)
        self.history = QLabel(wordWrap=True)
        self.buttons = QDialogButtonBox()
        self.go = self.buttons.addButton(tr("Train"), QDialogButtonBox.ButtonRole.AcceptRole)
        self.stop = self.buttons.addButton(tr("Cancel training"), QDialogButtonBox.ButtonRole.ActionRole)
        self.close_ = self.buttons.addButton(QDialogButtonBox.StandardButton.Close)
        self.go.clicked.connect(self.start)
        self.stop.clicked.connect(self.cancel)
        self.close_.clicked.connect(self.hide)
        lay = QVBoxLayout(self)
        lay.addLayout(form)
        lay.addWidget(self.bar)
        lay.addWidget(self.state)
        lay.addWidget(self.history)
        lay.addWidget(self.buttons)
        self.preset.currentIndexChanged.connect(self._preset_changed)
        self.dev_fraction.valueChanged.connect(self._update_split)
        process.started.connect(self._started)
        process.progress.connect(self._progress)
        process.finished.connect(self._finished)
        process.cancelled.connect(self._cancelled)  # bound methods: disconnected when the dialog goes
        process.failed.connect(self._failed)
        self._fill_presets(DEFAULT_PRESET)
        self._set_running(process.is_running())
        self.resize(560, 0)

    # ---------------------------------------------------------------- options

    def _fill_presets(self, keep: str) -> None:
        has_pretrained = bool(self.pretrained.text().strip()) and Path(self.pretrained.text().strip()).is_dir()
        names = [DEFAULT_PRESET, FULL_PRESET] + [n for n in PRESETS if n not in (DEFAULT_PRESET, FULL_PRESET)]
        self.preset.blockSignals(True)
        self.preset.clear()
        for name in names:
            if name in PRESETS and (has_pretrained or not needs_pretrained(name)):
                paper = PAPER_NAMES.get(name, "")
                self.preset.addItem(f"{name}  ({paper})" if paper else name, name)
        i = self.preset.findData(keep)
        self.preset.setCurrentIndex(max(i, 0))
        self.preset.blockSignals(False)
        self._preset_changed()

    def _preset_changed(self) -> None:
        name = self.preset.currentData()
        if name:
            self.epochs.setValue(preset_epochs(name))
        self._update_split()

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

    def _update_split(self) -> None:
        n = self.reviewed
        if n < MIN_REVIEWED:
            self.split_info.setText(tr("Training needs at least {k} reviewed records; this project has {n}.")
                                    .format(k=MIN_REVIEWED, n=n))
            self.go.setEnabled(False)
            return
        t, d = split_sizes(n, self.dev_fraction.value() / 100)
        self.split_info.setText(tr("{n} reviewed records: {t} to train on, {d} held out to score the model.")
                                .format(n=n, t=t, d=d))
        self.go.setEnabled(not self.process.is_running())

    def set_reviewed(self, n: int) -> None:
        self.reviewed = n
        self._update_split()

    def options(self) -> TrainOptions:
        name = self.preset.currentData() or DEFAULT_PRESET
        pretrained = self.pretrained.text().strip() if needs_pretrained(name) else None
        return TrainOptions(preset=name, epochs=self.epochs.value(), device=self.device.currentData(),
                            dev_fraction=self.dev_fraction.value() / 100, pretrained=pretrained or None,
                            activate=self.activate_new.isChecked())

    # ---------------------------------------------------------------- running

    def start(self) -> None:
        if self.process.is_running():
            return
        self.history.setText("")
        self.process.start(self.project_folder, self.options())

    def cancel(self) -> None:
        if self.process.is_running():
            self.state.setText(tr("Stopping after the current batch…"))
            self.stop.setEnabled(False)
            self.process.cancel()

    def _set_running(self, running: bool) -> None:
        for w in (self.preset, self.pretrained, self.epochs, self.device, self.dev_fraction, self.activate_new):
            w.setEnabled(not running)
        self.stop.setEnabled(running)
        if running:
            self.go.setEnabled(False)
        else:
            self._update_split()

    def _started(self) -> None:
        self._set_running(True)
        self.bar.setRange(0, 0)  # busy while the child loads and prepares the data
        self.state.setText(tr("Starting…"))

    def _progress(self, ev: dict) -> None:
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
        if total == 0 and ev.get("message"):
            parts.append(str(ev["message"]))
        self.state.setText("  ·  ".join(parts))
        if isinstance(f1, (int, float)):
            line = tr("epoch {e}: dev F1 {f}").format(e=ev.get("epoch", 0), f=f"{100 * f1:.1f}")
            self.history.setText("\n".join([*filter(None, self.history.text().split("\n")), line][-6:]))

    def _finished(self, ev: dict) -> None:
        f1 = ((ev.get("metrics") or {}).get("micro") or {}).get("f1")
        text = tr("Version {v} is ready").format(v=ev.get("version"))
        if isinstance(f1, (int, float)):
            text += "  ·  " + tr("dev F1 {f}").format(f=f"{100 * f1:.1f}")
        text += "  ·  " + (tr("now active") if ev.get("active") else tr("not activated"))
        self.bar.setRange(0, 1)
        self.bar.setValue(1)
        self.state.setText(text)
        self._set_running(False)

    def _cancelled(self, message: str) -> None:
        self._ended(tr("Cancelled: {m}. The active model is unchanged.").format(m=message))

    def _failed(self, message: str) -> None:
        self._ended(tr("Training failed: {m}. The active model is unchanged.").format(m=message))

    def _ended(self, message: str) -> None:
        self.bar.setRange(0, 1)
        self.bar.setValue(0)
        self.state.setText(message)
        self._set_running(False)
