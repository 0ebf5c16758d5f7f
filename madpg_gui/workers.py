"""QThread adapters around the core's long work (progress callback + stop event, STYLE.md §2)."""

from __future__ import annotations

import gc
import sys
import threading
from collections.abc import Callable, Sequence

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


# ---------------------------------------------------------------- pre-labelling


class PredictorCache:
    """The loaded active model, kept between runs (loading imports torch: worker threads only).

    ``clear`` never waits for a load in progress (the GUI thread calls it): a load that a clear
    overtook is dropped when it ends.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()  # the key and the model; held briefly
        self._load_lock = threading.Lock()  # one load at a time (a pre-label waits for the preload)
        self._generation = 0
        self._key: tuple[str, str, str | None] | None = None
        self._predictor: object | None = None

    def get(self, project: object, model_dir: object, device: str | None) -> object:
        """The predictor for ``model_dir``, loaded now unless it is cached (or being preloaded)."""
        return self._load(project, model_dir, device)

    def preload(self, project: object, model_dir: object, device: str | None) -> None:
        """Load ``model_dir`` into the cache ahead of the first :meth:`get`."""
        self._load(project, model_dir, device)

    def _load(self, project: object, model_dir: object, device: str | None) -> object:
        from madpg_core.prelabel import load_predictor

        key = (str(project.folder), str(model_dir), device)
        with self._load_lock:
            with self._lock:
                if self._key == key:
                    return self._predictor
                self._predictor, self._key = None, None  # free the old model before loading the next
                generation = self._generation
            predictor = load_predictor(project, model_dir, device)
            with self._lock:
                if generation == self._generation:
                    self._predictor, self._key = predictor, key
            # torch, the parser and the model add ~500k objects the cyclic GC would re-scan in every
            # full collection (~0.2-1 s with the GIL held: a frozen window); they live as long as the app
            gc.freeze()
            return predictor

    def loaded(self, project: object, model_dir: object, device: str | None) -> bool:
        with self._lock:
            return self._key == (str(project.folder), str(model_dir), device)

    def clear(self) -> None:
        with self._lock:
            self._predictor, self._key = None, None
            self._generation += 1


def preload_task(project: object, cache: PredictorCache, device: str | None = None) -> Task:
    """A task that loads the project's active model into ``cache`` (after the window is up), so the
    first pre-label does not wait for it. No active model, or a stop before it starts: nothing."""

    def run(on_progress: Callable[[int, int], None], stop: threading.Event) -> object:
        from madpg_core import registry, threads

        if stop.is_set():
            raise Cancelled("preload cancelled")
        threads.apply("prelabel")  # the same thread count as the pre-label that will use it
        try:
            _, model_dir = registry.active_model_dir(project)
        except MadpgError:
            return None  # no model yet: nothing to preload
        if stop.is_set():
            raise Cancelled("preload cancelled")
        cache.preload(project, model_dir, device)
        return model_dir

    return run


def prelabel_task(project: object, record_ids: Sequence[int] | None, cache: PredictorCache,
                  device: str | None = None) -> Task:
    """A task that pre-labels ``record_ids`` (None: every record not reviewed) with the active model.

    Its result is the core's ``PrelabelReport``; reviewed records and human spans stay untouched.
    A stop is honoured within one forward pass of a few pieces; the records finished are kept.
    """

    def run(on_progress: Callable[[int, int], None], stop: threading.Event) -> object:
        from madpg_core import registry, threads
        from madpg_core.prelabel import prelabel, unreviewed_ids

        threads.apply("prelabel")  # before the model loads: 1 thread unless MADPG_THREADS says otherwise
        version, model_dir = registry.active_model_dir(project)
        ids = list(record_ids) if record_ids is not None else unreviewed_ids(project)
        on_progress(0, len(ids))
        predictor = cache.get(project, model_dir, device)
        if stop.is_set():
            raise Cancelled("pre-labelling cancelled before it started")
        return prelabel(project, ids, predictor, f"v{version.version}", on_progress=on_progress, stop=stop)

    return run


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
