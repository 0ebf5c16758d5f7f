"""Training in a child process (``madpg train PROJECT --progress-json``), adapted to Qt signals.

Why a process and not a QThread: training is Python-heavy (batching, parsing, the optimiser loop)
and holds the GIL for long stretches, which stalls the window; in a child process the UI thread
never waits for it (benchmarks/ui_stall.py measures both). A child that outlives a killed GUI
notices and cancels itself, so the active model is never swapped behind the user's back.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject, QProcess, QProcessEnvironment, QTimer, Signal

from madpg_core import threads
from madpg_core.retrain import ACTIVATE_CHOICES, DEFAULT_MINUTES, ReplaySource, TrainRequest
from madpg_gui.activation import activation_text
from madpg_gui.child_lines import keep_tail, parse_event, split_lines
from madpg_gui.i18n import tr

KILL_AFTER_MS = 30_000  # a child that ignores SIGTERM this long is killed (the active model stays intact)
EXIT_CANCELLED = 3


@dataclass(frozen=True)
class TrainOptions:
    """What Model ▸ Train… asks the child for; the fields mirror the core's ``retrain.TrainRequest``."""

    preset: str | None = None  # None: warm keeps the active version's preset, scratch uses the core's default
    mode: str = "warm"  # "warm" (fine-tune the active version) | "scratch"
    minutes: float | None = DEFAULT_MINUTES  # wall-clock budget; None: the core's default
    epochs: int | None = None  # an optional cap; training stops at the budget or the cap, first reached
    device: str = "auto"  # auto | cpu | cuda
    seed: int = 42
    pretrained: str | None = None
    replay: tuple[ReplaySource, ...] = ()  # corpus files added to the reviewed records
    activate: str = "if-better"  # one of ACTIVATE_CHOICES

    def arguments(self, project_folder: str | Path) -> list[str]:
        """Arguments of ``madpg train PROJECT`` (the CLI contract of issue 14)."""
        if self.mode not in ("warm", "scratch"):
            raise ValueError(f"unknown training mode {self.mode!r}")
        if self.activate not in ACTIVATE_CHOICES:
            raise ValueError(f"unknown activation choice {self.activate!r}")
        args = [str(project_folder), "--progress-json", "--device", self.device, "--seed", str(self.seed),
                "--activate", self.activate]
        if self.mode == "scratch":
            args.append("--from-scratch")
        if self.preset:
            args += ["--preset", self.preset]
        if self.minutes is not None:
            args += ["--minutes", f"{self.minutes:g}"]
        if self.epochs is not None:
            args += ["--epochs", str(self.epochs)]
        if self.pretrained:
            args += ["--pretrained", self.pretrained]
        for r in self.replay:
            args += ["--add-train", r.fmt, str(r.path), *([str(r.map_path)] if r.map_path else [])]
        return args

    def request(self) -> TrainRequest:
        """The same run as the core's request, for ``retrain.plan`` (the estimate shown before starting)."""
        return TrainRequest(preset=self.preset, mode=self.mode, minutes=self.minutes, epochs=self.epochs,
                            device=None if self.device == "auto" else self.device, seed=self.seed,
                            pretrained_path=self.pretrained, replay=self.replay, activate=self.activate)


def cancelled_text(message: str) -> str:
    """The line shown when a run was cancelled; the child's plain "training cancelled" is not
    repeated ("Training cancelled: training cancelled.")."""
    if message.strip().lower().rstrip(".") in ("", "training cancelled", "training stopped"):
        return tr("Training cancelled. The active model is unchanged.")
    return tr("Training cancelled: {m}. The active model is unchanged.").format(m=message)


def activation_reason(event: dict) -> str:
    """Why a finished version was or was not made active, from the child's "finished" event."""
    activation = (event.get("metrics") or {}).get("activation") or {}
    if activation.get("kind"):  # said in the user's language from the decision's numbers
        return activation_text(activation)
    return str(event.get("reason") or activation.get("reason") or "")


class TrainingProcess(QObject):
    """One training run at a time. Exactly one of finished/cancelled/failed follows ``start``."""

    started = Signal()
    progress = Signal(dict)  # {"epoch", "step", "total_steps", "loss", "dev_f1", "seconds_left", "message"}
    finished = Signal(dict)  # {"version", "metrics", "active", "reason"}
    cancelled = Signal(str)
    failed = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.proc: QProcess | None = None
        self._buffer = b""
        self._stderr = b""
        self._outcome: dict | None = None
        self._cancel_requested = False
        self._kill_timer = QTimer(self, singleShot=True, interval=KILL_AFTER_MS)
        self._kill_timer.timeout.connect(self._kill)
        self.program = sys.executable
        self.prefix = ["-m", "madpg_core.cli", "train"]  # tests may point these at a stand-in

    def is_running(self) -> bool:
        return self.proc is not None and self.proc.state() != QProcess.ProcessState.NotRunning

    def start(self, project_folder: str | Path, options: TrainOptions) -> None:
        if self.is_running():
            raise RuntimeError("a training run is already in progress")
        self._buffer, self._stderr, self._outcome, self._cancel_requested = b"", b"", None, False
        proc = QProcess(self)
        env = QProcessEnvironment.systemEnvironment()
        env.insert("PYTHONIOENCODING", "utf-8")  # Chinese messages arrive intact on every platform
        env.insert("PYTHONUNBUFFERED", "1")
        # MADPG_THREADS and the OpenMP/MKL variables: the child's torch threads (madpg_core.threads).
        for name, value in threads.child_vars("train").items():
            env.insert(name, value)
        proc.setProcessEnvironment(env)
        proc.setWorkingDirectory(str(Path(project_folder)))
        proc.readyReadStandardOutput.connect(self._read_stdout)
        proc.readyReadStandardError.connect(self._read_stderr)
        proc.finished.connect(self._ended)
        proc.errorOccurred.connect(self._error)
        self.proc = proc
        proc.start(self.program, [*self.prefix, *options.arguments(Path(project_folder).resolve())])
        self.started.emit()

    def cancel(self) -> None:
        """Ask the child to stop (SIGTERM): it stops before its next optimiser step or forward pass,
        within a second, and removes its staging folder itself."""
        if not self.is_running():
            return
        self._cancel_requested = True
        self.proc.terminate()
        self._kill_timer.start()

    def wait(self, msecs: int) -> bool:
        """Block until the child ended (for shutdown only); True when it did."""
        if self.proc is None:
            return True
        return self.proc.state() == QProcess.ProcessState.NotRunning or self.proc.waitForFinished(msecs)

    # ---------------------------------------------------------------- child output

    def _read_stdout(self) -> None:
        lines, self._buffer = split_lines(self._buffer, bytes(self.proc.readAllStandardOutput().data()))
        for line in lines:
            self._line(line)

    def _read_stderr(self) -> None:
        self._stderr = keep_tail(self._stderr, bytes(self.proc.readAllStandardError().data()))

    def _line(self, raw: bytes) -> None:
        event = parse_event(raw)
        if event is None:
            return
        kind = event.get("event")
        if kind in ("progress", "plan"):  # the plan: the child has started and read the project
            self.progress.emit(event)
        elif kind in ("finished", "cancelled", "failed"):
            self._outcome = event

    def _error_line(self) -> str:
        text = self._stderr.decode("utf-8", errors="replace").strip()
        lines = [ln for ln in text.splitlines() if ln.strip()]
        named = [ln.split("madpg: error:", 1)[1].strip() for ln in lines if "madpg: error:" in ln]
        return named[-1] if named else (lines[-1] if lines else "")

    def _ended(self, code: int, status: QProcess.ExitStatus) -> None:
        self._kill_timer.stop()
        if self._buffer.strip():
            self._line(self._buffer)
            self._buffer = b""
        self._read_stderr()
        outcome, self._outcome = self._outcome, None
        kind = outcome.get("event") if outcome else None
        if kind == "finished" and code == 0:
            self.finished.emit(outcome)
        elif kind == "cancelled" or code == EXIT_CANCELLED:
            self.cancelled.emit(str((outcome or {}).get("message") or "training cancelled"))
        elif self._cancel_requested and status == QProcess.ExitStatus.CrashExit:
            self.cancelled.emit("training stopped")
        elif kind == "failed":
            self.failed.emit(str(outcome.get("message") or self._error_line()))
        else:
            detail = self._error_line() or f"exit code {code}"
            self.failed.emit(f"the training process ended unexpectedly: {detail}")

    def _error(self, error: QProcess.ProcessError) -> None:
        if error == QProcess.ProcessError.FailedToStart:
            self._kill_timer.stop()
            self.failed.emit(f"cannot start the training process ({self.program}): {self.proc.errorString()}")

    def _kill(self) -> None:
        if self.is_running():
            self.proc.kill()


def cuda_probably_available() -> bool:
    """Whether offering CUDA makes sense, decided without importing torch (the window must start fast).

    When torch is already loaded (after a pre-label) it is asked; otherwise the NVIDIA driver's
    presence is checked. The child process decides for real with ``--device auto``.
    """
    torch = sys.modules.get("torch")
    if torch is not None:
        try:
            return bool(torch.cuda.is_available())
        except Exception:  # noqa: BLE001 - a broken CUDA install is "no CUDA"
            return False
    if sys.platform.startswith("linux"):
        return Path("/proc/driver/nvidia/version").exists()
    if sys.platform == "win32":
        return (Path(os.environ.get("SystemRoot", r"C:\Windows")) / "System32" / "nvcuda.dll").exists()
    return False


__all__ = ["TrainOptions", "TrainingProcess", "activation_reason", "cuda_probably_available"]
