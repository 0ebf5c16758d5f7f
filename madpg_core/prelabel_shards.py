"""Pre-labelling in several worker processes: ``madpg prelabel PROJECT --nproc N``.

The records to label are dealt round-robin into N shards (similar lengths in each, so the
workers end together); each worker is a process of its own (``python -m madpg_core.prelabel_shards
JOB``) that loads the model once, on its own GPU when there are GPUs (worker k takes GPU k mod
count), else on the CPU with this machine's threads split between the workers
(``madpg_core.threads``), and pre-labels its shard with ``prelabel.prelabel``: its own short
transactions, one batch each, so the workers only meet at the project's write lock (SQLite's
writers wait for it, ``storage.db``; a server project has row locks).

The parent reads each worker's JSON lines (progress, finished, cancelled, failed) and turns them
into one progress bar. A cancel (Ctrl+C, SIGTERM from the GUI) is passed to every worker as
SIGTERM; each saves the records it finished and stops at its next check. A worker also stops
when the parent is gone. A failing worker stops the others; its message is raised.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from madpg_core.errors import Cancelled, MadpgError
from madpg_core.orphan import stop_when_orphaned
from madpg_core.prelabel import PrelabelReport

POLL_S = 0.1
STOP_GRACE_S = 60.0  # after a cancel, how long a worker may take to save its batch and go


@dataclass(frozen=True)
class ShardJob:
    """What one worker does (written to a JSON file it reads)."""

    project: str
    model_dir: str
    label: str
    device: str | None
    ids: list[int]
    shard: int


def shard_ids(ids: Sequence[int], n: int) -> list[list[int]]:
    """``ids`` dealt round-robin into ``n`` shards (fewer when there are fewer ids); each id once."""
    n = max(1, min(n, len(ids)))
    return [list(ids[k::n]) for k in range(n)]


def worker_devices(n: int, asked: str | None) -> list[str]:
    """A device per worker: GPUs in turn when CUDA is asked or available, else the CPU."""
    import torch

    gpus = torch.cuda.device_count() if torch.cuda.is_available() else 0
    if asked not in (None, "cuda") or gpus == 0:
        if asked == "cuda":
            raise MadpgError("--device cuda was asked for but no CUDA device is available")
        return [asked or "cpu"] * n
    return [f"cuda:{k % gpus}" for k in range(n)]


def worker_env(n: int) -> dict[str, str]:
    """This environment with the CPU threads for pre-labelling split between ``n`` workers (at
    least one each; the automatic policy already gives pre-labelling one thread per process)."""
    from madpg_core import threads

    requested = threads.setting()
    each = max(1, requested // n) if requested else threads.decide("prelabel")
    return {**os.environ, threads.ENV: str(each), **threads.library_vars(each)}


def prelabel_sharded(project: str | Path, ids: Sequence[int], model_dir: Path, label: str, nproc: int, *,
                     device: str | None = None, on_progress: Callable[[int, int], None] | None = None,
                     stop: threading.Event | None = None) -> PrelabelReport:
    """Pre-label ``ids`` of ``project`` with the model in ``model_dir`` in ``nproc`` workers.

    Returns the workers' reports added up. Raises Cancelled (after every worker saved what it
    finished) when ``stop`` is set, MadpgError when a worker failed (the others are stopped)."""
    from madpg_core.checkpoint import read_info

    total = len(ids)
    report = PrelabelReport()
    if not ids:
        return report
    read_info(model_dir)  # a missing or damaged model: one message here, not one per worker seconds later
    shards = shard_ids(ids, nproc)
    devices = worker_devices(len(shards), device)
    with tempfile.TemporaryDirectory(prefix="madpg-prelabel-") as tmp:
        workers = []
        env = worker_env(len(shards))
        for k, (shard, dev) in enumerate(zip(shards, devices)):
            job = Path(tmp) / f"shard{k}.json"
            job.write_text(json.dumps(asdict(ShardJob(str(project), str(model_dir), label, dev, shard, k))), "utf-8")
            workers.append(_Worker.start(job, env))
        _watch(workers, total, on_progress, stop)
    for w in workers:
        end = w.end or {}
        report.records += int(end.get("records", 0))
        report.spans += int(end.get("spans", 0))
        report.skipped_reviewed += int(end.get("skipped_reviewed", 0))
    failed = [w for w in workers if w.failure]
    if failed:
        raise MadpgError(f"pre-labelling failed in worker {failed[0].shard}: {failed[0].failure} "
                         f"({report.records} records were saved)")
    if any(w.cancelled for w in workers) or (stop is not None and stop.is_set()):
        report.cancelled = True
        raise Cancelled(f"pre-labelling cancelled after {report.records} of {total} records")
    return report


class _Worker:
    """One worker process and what its lines said so far."""

    def __init__(self, proc: subprocess.Popen, shard: int) -> None:
        self.proc, self.shard = proc, shard
        self.done = 0
        self.end: dict | None = None
        self.failure: str | None = None
        self.cancelled = False
        self.stopped = False  # the parent asked it to stop
        self.stderr_tail: list[str] = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.errors = threading.Thread(target=self._read_stderr, daemon=True)
        self.reader.start()
        self.errors.start()

    @classmethod
    def start(cls, job: Path, env: dict[str, str]) -> _Worker:
        shard = int(json.loads(job.read_text("utf-8"))["shard"])
        proc = subprocess.Popen([sys.executable, "-m", "madpg_core.prelabel_shards", str(job)], env=env,
                                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True, encoding="utf-8")
        return cls(proc, shard)

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            try:
                event = json.loads(line)
            except ValueError:
                continue  # a library printed something: not ours
            kind = event.get("event")
            if kind == "progress":
                self.done = int(event["done"])
            elif kind in ("finished", "cancelled"):
                self.end = event
                self.done = int(event.get("records", self.done)) + int(event.get("skipped_reviewed", 0))
                self.cancelled = kind == "cancelled"
            elif kind == "failed":
                self.end = event
                self.failure = str(event.get("message"))

    def _read_stderr(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.stderr_tail = [*self.stderr_tail[-20:], line.rstrip()]

    def finish(self) -> None:
        """After the process ended: its lines are all read; an exit without a last word is a failure."""
        self.reader.join(timeout=5)
        self.errors.join(timeout=5)
        if self.end is None and self.failure is None and self.stopped and self.proc.returncode < 0:
            self.cancelled = True  # stopped while starting, before its own handler was in place
        elif self.end is None and self.failure is None:
            tail = " / ".join(x for x in self.stderr_tail[-3:] if x) or "no message"
            self.failure = f"exit code {self.proc.returncode}: {tail}"

    def signal(self, sig: int) -> None:
        self.stopped = True
        if self.proc.poll() is None:
            try:
                self.proc.send_signal(sig)
            except ProcessLookupError:
                pass


def _watch(workers: list[_Worker], total: int, on_progress: Callable[[int, int], None] | None,
           stop: threading.Event | None) -> None:
    """Wait for the workers, reporting their summed progress; pass a cancel or a failure on."""
    stopping_since: float | None = None
    last = -1
    try:
        while any(w.proc.poll() is None for w in workers):
            failed = any(w.failure for w in workers)
            if stopping_since is None and (failed or (stop is not None and stop.is_set())):
                stopping_since = time.monotonic()
                for w in workers:
                    w.signal(signal.SIGTERM)
            if stopping_since is not None and time.monotonic() - stopping_since > STOP_GRACE_S:
                for w in workers:
                    w.proc.kill()
            done = sum(w.done for w in workers)
            if on_progress is not None and done != last:
                last = done
                on_progress(done, total)
            time.sleep(POLL_S)
    finally:
        for w in workers:
            if w.proc.poll() is None:  # the parent itself is failing: take the workers with it
                w.proc.kill()
            w.proc.wait()
            w.finish()
    done = sum(w.done for w in workers)
    if on_progress is not None and done != last:
        on_progress(done, total)


# --- the worker ------------------------------------------------------------------------------

def _emit(event: str, **fields: object) -> None:
    print(json.dumps({"event": event, **fields}, ensure_ascii=False), flush=True)


def _stop_event() -> threading.Event:
    """SIGTERM/SIGINT and the parent's death set it: the worker saves its batch and ends."""
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    stop_when_orphaned(stop)
    return stop


def work(job: ShardJob, stop: threading.Event) -> int:
    """Pre-label one shard; JSON lines on stdout say how far it is and how it ended."""
    from madpg_core import threads
    from madpg_core.prelabel import load_predictor, prelabel
    from madpg_core.storage.project import Project

    threads.apply("prelabel")
    report = PrelabelReport()

    def counts() -> dict[str, int]:
        return {"records": report.records, "spans": report.spans, "skipped_reviewed": report.skipped_reviewed}

    try:
        with Project.open(job.project, backup=False) as project:  # the parent took the day's backup
            predictor = load_predictor(project, Path(job.model_dir), job.device)
            prelabel(project, job.ids, predictor, job.label, stop=stop, report=report,
                     on_progress=lambda done, total: _emit("progress", done=done, total=total))
    except Cancelled:
        _emit("cancelled", **counts())
        return 3
    except MadpgError as e:
        _emit("failed", message=" ".join(str(e).split()), **counts())
        return 2
    except Exception as e:  # noqa: BLE001 - the parent shows one line; the traceback goes to stderr
        import traceback

        traceback.print_exc()
        _emit("failed", message=f"{type(e).__name__}: {e}", **counts())
        return 1
    _emit("finished", **counts())
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 1:
        print("usage: python -m madpg_core.prelabel_shards JOB.json (started by `madpg prelabel --nproc N`)",
              file=sys.stderr)
        return 2
    job = ShardJob(**json.loads(Path(args[0]).read_text("utf-8")))
    return work(job, _stop_event())


if __name__ == "__main__":
    sys.exit(main())
