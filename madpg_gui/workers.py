"""QThread adapters around the core's long work (progress callback + stop event, STYLE.md §2)."""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable

from PySide6.QtCore import QObject, Qt, QThread, Signal, Slot

from madpg_core.errors import Cancelled, MadpgError

Task = Callable[[Callable[[int, int], None], threading.Event], object]


class TaskWorker(QObject):
    """Runs ``task(on_progress, stop)`` on its own thread; the task opens its own sessions."""

    progress = Signal(int, int)  # done, total
    finished = Signal(object)
    failed = Signal(str)
    cancelled = Signal()

    def __init__(self, task: Task) -> None:
        super().__init__()
        self.task = task
        self.stop = threading.Event()
        self._last = -1

    def _progress(self, done: int, total: int) -> None:
        pct = int(100 * done / total) if total else 100
        if pct > self._last:  # emit only when the rounded value goes up
            self._last = pct
            self.progress.emit(done, total)

    @Slot()
    def run(self) -> None:
        try:
            result = self.task(self._progress, self.stop)
        except Cancelled:
            self.cancelled.emit()
        except MadpgError as e:
            self.failed.emit(str(e))
        except Exception as e:  # noqa: BLE001 - shown to the user, never a crash
            self.failed.emit(f"{type(e).__name__}: {e}")
        else:
            self.finished.emit(result)  # work that completed is reported, even if Cancel came late


SWITCH_INTERVAL_S = 0.001


def start(worker: TaskWorker, parent: QObject) -> QThread:
    """Move ``worker`` to a new thread and start it; the thread quits when the worker ends."""
    # A worker running Python code keeps the GIL up to the switch interval (5 ms by default) each
    # time the GUI thread asks for it; 1 ms keeps the window's event loop prompt (benchmarks/ui_stall.py).
    sys.setswitchinterval(min(sys.getswitchinterval(), SWITCH_INTERVAL_S))
    thread = QThread(parent)
    worker.moveToThread(thread)
    thread.started.connect(worker.run)
    for sig in (worker.finished, worker.failed, worker.cancelled):
        # direct: quit() is thread-safe, and the GUI may wait() for the thread in its own slot
        sig.connect(thread.quit, Qt.ConnectionType.DirectConnection)
    thread.start()
    return thread


# ---------------------------------------------------------------- models


def score_task(project: object, device: str | None = None) -> Task:
    """A task that scores every model version not yet scored on the project's current check set
    (after a check record's spans were corrected, or for versions trained before it grew). Its
    result is the number of versions with a score."""

    def run(on_progress: Callable[[int, int], None], stop: threading.Event) -> object:
        from madpg_core import registry, threads, version_scores

        threads.apply("prelabel")  # scoring is prediction too
        numbers = [v.version for v in registry.versions(project)]
        done = set(version_scores.stored_scores(project))
        todo = [n for n in numbers if n not in done]
        on_progress(0, len(todo))
        for k, number in enumerate(todo):
            if stop.is_set():
                raise Cancelled("scoring cancelled")
            version_scores.score_versions(project, [number], device=device, stop=stop)
            on_progress(k + 1, len(todo))
        return len(version_scores.stored_scores(project))

    return run
