"""Pre-labelling in a long-lived child process: one JSON command a line in on stdin, one JSON event
a line out on stdout; the project's active model is loaded once and kept between jobs.

    python -m madpg_core.prelabel_service PROJECT [--device auto|cpu|cuda]

Why a process and not a thread of the window: torch and the parser hold the GIL for long
stretches, so even the first model load in a worker thread stalled the window (~300 ms,
benchmarks/ui_stall.py); here the window only reads lines.

Commands (``job`` is any number the sender picks; it comes back on that job's events):

    {"cmd": "load"}                               the active model; again only when another version is active
    {"cmd": "prelabel", "job": 1, "ids": [3, 4]}  ids null: every record not reviewed
    {"cmd": "warm_parse", "job": 2, "ids": null}  parse the texts into the project's parse cache
    {"cmd": "attention", "job": 3, "ids": [5]}    what the active model looked at in record 5's images
    {"cmd": "cancel", "job": 1}                   stop that job at its next check (no job: the running one)
    {"cmd": "quit"}                               end of input (the window went away) means the same

Events: ``ready``; ``loading`` and ``loaded`` {version}; ``progress`` {job, kind, done, total,
ids: the records finished since the last progress}; ``done`` {job, kind, ...: a pre-label's
``PrelabelReport`` with model_version and parsed (texts the parse cache did not have); a
warm-parse's records, parsed, cached; an attention's record_id and ``AttentionMap.as_dict()``:
r and 49 weights per image, or the reason there are none}; ``cancelled`` {job, kind, done, total};
``error`` {job, kind, message}. Every job ends in exactly one of done, cancelled or error.

Jobs run one at a time on the main thread, in the order they came, except that a warm-parse goes
last: a load or pre-label that arrives while one runs stops it at its next check, and it resumes
after them. A reader thread takes the commands, so that a cancel arrives while a job runs.
Records are written exactly as ``madpg_core.prelabel.prelabel`` writes them, a batch per
transaction; the window reads them from the project file.
"""

from __future__ import annotations

import argparse
import gc
import json
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Protocol

from madpg_core.errors import Cancelled, MadpgError, check_stop
from madpg_core.storage.project import Project

log = logging.getLogger(__name__)

KINDS = ("load", "prelabel", "warm_parse", "attention")
WARM_BATCH = 16  # records per parse-cache write of a warm-parse (and between two checks of its stop)


class Output(Protocol):
    def write(self, text: str, /) -> object: ...

    def flush(self) -> object: ...


@dataclass
class Job:
    kind: str  # one of KINDS
    ids: list[int] | None = None
    job: int | None = None
    stop: threading.Event = field(default_factory=threading.Event)
    preempted: bool = False  # a warm-parse stopped for a more urgent job: it goes back in the queue
    done: int = 0
    total: int = 0
    parsed: int = 0
    cached: int = 0


class Service:
    """The queue of jobs, the loaded model, and the event writer (safe from both threads)."""

    def __init__(self, project: Project, out: Output, device: str | None = None) -> None:
        self.project = project
        self.out = out
        self.device = device
        self.predictor: object | None = None
        self.version: int | None = None
        self._key: tuple[int, str] | None = None
        self._cv = threading.Condition()
        self._queue: list[Job] = []
        self._current: Job | None = None
        self._loading = False
        self._write = threading.Lock()
        self.quitting = False

    # ------------------------------------------------------------ events

    def emit(self, event: str, **fields: object) -> None:
        line = json.dumps({"event": event, **fields}, ensure_ascii=False)
        with self._write:
            try:
                self.out.write(line + "\n")
                self.out.flush()
            except (OSError, ValueError):  # nobody reads any more: the window is gone
                broken = True
            else:
                broken = False
        if broken:
            self.quit()

    # ------------------------------------------------------------ commands (reader thread)

    def command(self, line: str) -> None:
        try:
            cmd = json.loads(line)
        except ValueError:
            cmd = None
        if not isinstance(cmd, dict):
            self.emit("error", job=None, kind=None, message=f"not a JSON command: {line.strip()[:200]}")
            return
        name, job_id, ids = cmd.get("cmd"), cmd.get("job"), cmd.get("ids")
        if name == "quit":
            self.quit()
        elif name == "cancel":
            self.cancel(job_id)
        elif name in KINDS and (ids is None or (isinstance(ids, list) and all(type(i) is int for i in ids))):
            self.submit(Job(name, ids, job_id))
        else:
            self.emit("error", job=job_id, kind=name, message=f"unknown or malformed command: {line.strip()[:200]}")

    def submit(self, job: Job) -> None:
        with self._cv:
            if self.quitting:
                return
            self._queue.append(job)
            cur = self._current
            if job.kind != "warm_parse" and cur is not None and cur.kind == "warm_parse":
                cur.preempted = True
                cur.stop.set()
            self._cv.notify()

    def cancel(self, job_id: int | None) -> None:
        with self._cv:
            cur = self._current
            if cur is not None and (job_id is None or cur.job == job_id):
                cur.preempted = False  # cancelled for good, not put back
                cur.stop.set()
            dropped = [j for j in self._queue if job_id is not None and j.job == job_id]
            self._queue = [j for j in self._queue if j not in dropped]
        for j in dropped:  # never started: nothing was written
            self.emit("cancelled", job=j.job, kind=j.kind, done=0, total=len(j.ids or ()))

    def quit(self) -> None:
        """Drop the queue and stop the running job at its next check; the loop then ends."""
        with self._cv:
            self.quitting = True
            self._queue.clear()
            if self._current is not None:
                self._current.preempted = False
                self._current.stop.set()
            self._cv.notify_all()

    def interruptible(self) -> bool:
        """Whether the process may end at once: it writes nothing now (idle, or loading a model)."""
        with self._cv:
            return self._current is None or self._loading

    # ------------------------------------------------------------ jobs (main thread)

    def run(self) -> None:
        """Run jobs until quit."""
        while (job := self._next()) is not None:
            try:
                self._run(job)
            finally:
                with self._cv:
                    self._current = None

    def _next(self) -> Job | None:
        with self._cv:
            while not self._queue and not self.quitting:
                self._cv.wait()
            if self.quitting:
                return None
            job = next((j for j in self._queue if j.kind != "warm_parse"), self._queue[0])
            self._queue.remove(job)
            self._current = job
            return job

    def _run(self, job: Job) -> None:
        try:
            if job.kind == "load":
                self.ensure_model(job)
            elif job.kind == "prelabel":
                self._prelabel(job)
            elif job.kind == "attention":
                self._attention(job)
            else:
                self._warm_parse(job)
        except Cancelled:
            with self._cv:
                again = job.preempted and not self.quitting
                if again:  # behind the jobs that stopped it; it goes on where it was
                    job.preempted, job.stop = False, threading.Event()
                    self._queue.append(job)
            if not again:
                self.emit("cancelled", job=job.job, kind=job.kind, done=job.done, total=job.total)
        except MadpgError as e:
            self.emit("error", job=job.job, kind=job.kind, message=str(e))
        except Exception as e:  # reported to the window (and logged); the process serves on
            log.exception("%s job %s failed", job.kind, job.job)
            self.emit("error", job=job.job, kind=job.kind, message=f"{type(e).__name__}: {e}")

    def ensure_model(self, job: Job) -> None:
        """Load the project's active model unless it is the one loaded."""
        from madpg_core import registry
        from madpg_core.prelabel import load_predictor

        version, model_dir = registry.active_model_dir(self.project)
        key = (version.version, str(model_dir))
        if key == self._key:
            return
        check_stop(job.stop, "loading cancelled")  # a quit or cancel before a load of seconds
        self.emit("loading", job=job.job, version=version.version)
        with self._cv:
            self._loading = True
        try:
            gc.unfreeze()  # the old model was frozen with the rest: let the collector free it
            self.predictor, self.version, self._key = None, None, None
            gc.collect()
            t0 = time.perf_counter()
            self.predictor = load_predictor(self.project, model_dir, self.device)
            # torch, the parser and the model add ~500k long-lived objects that every full
            # collection would re-scan (seconds of a busy process): keep them out of its way
            gc.freeze()
        finally:
            with self._cv:
                self._loading = False
        self.version, self._key = version.version, key
        self.emit("loaded", job=job.job, version=version.version, seconds=round(time.perf_counter() - t0, 2))

    def _prelabel(self, job: Job) -> None:
        from madpg_core.prelabel import PrelabelReport, prelabel, unreviewed_ids

        self.ensure_model(job)
        ids = list(job.ids) if job.ids is not None else unreviewed_ids(self.project)
        job.total, report, sent = len(ids), PrelabelReport(), 0
        self.emit("progress", job=job.job, kind=job.kind, done=0, total=job.total, ids=[])

        def on_progress(done: int, total: int) -> None:
            nonlocal sent
            job.done = report.records
            self.emit("progress", job=job.job, kind=job.kind, done=done, total=total, ids=ids[sent:done])
            sent = done

        misses = self._parse_counts()[1]
        try:
            prelabel(self.project, ids, self.predictor, f"v{self.version}", on_progress=on_progress, stop=job.stop,
                     report=report)
        finally:
            job.done = report.records  # the records saved, also those of a batch a cancel cut short
        self.emit("done", job=job.job, kind=job.kind, total=job.total, model_version=f"v{self.version}",
                  parsed=self._parse_counts()[1] - misses, **asdict(report))

    def _warm_parse(self, job: Job) -> None:
        """Parse the texts of ``job.ids`` (None: every record not reviewed) as pre-labelling will
        (the same pieces: ``Predictor.parse_ahead``), so that a later pre-label finds them cached."""
        from madpg_core.prelabel import unreviewed_ids

        self.ensure_model(job)
        if job.ids is None:
            job.ids = unreviewed_ids(self.project)  # fixed now: a resumed job goes on with the same list
        job.total = len(job.ids)
        parse_ahead = getattr(self.predictor, "parse_ahead", None)
        for at in range(job.done, job.total, WARM_BATCH):  # a resumed job starts where it stopped
            check_stop(job.stop, "parsing cancelled")
            hits, misses = self._parse_counts()
            if parse_ahead is not None:
                parse_ahead(self._texts(job.ids[at : at + WARM_BATCH]), stop=job.stop)  # one cache write a batch
            after = self._parse_counts()
            job.cached, job.parsed = job.cached + after[0] - hits, job.parsed + after[1] - misses
            job.done = min(at + WARM_BATCH, job.total)
            self.emit("progress", job=job.job, kind=job.kind, done=job.done, total=job.total,
                      ids=job.ids[at : job.done])
        self.emit("done", job=job.job, kind=job.kind, records=job.total, parsed=job.parsed, cached=job.cached)

    def _attention(self, job: Job) -> None:
        """r and the 7×7 attention of the active model on the images of the one record in
        ``job.ids`` (madpg_core.model.attention_probe); a model that cannot say answers with the
        reason in words (``reason``), not an error."""
        from madpg_core.storage import repo

        if not job.ids or len(job.ids) != 1:
            raise MadpgError("attention: name exactly one record")
        self.ensure_model(job)
        check_stop(job.stop, "attention cancelled")
        with self.project.reading() as s:
            record = repo.get_record(s, job.ids[0], self.project.image_root)
        job.total = 1
        found = self.predictor.attention(record)
        job.done = 1
        answer = found.as_dict()
        answer["model_name"] = answer.pop("model_version")  # the checkpoint's name; the version is vN
        self.emit("done", job=job.job, kind=job.kind, record_id=job.ids[0], model_version=f"v{self.version}",
                  **answer)

    def _texts(self, ids: list[int]) -> list[str]:
        from sqlalchemy import select

        from madpg_core.storage.orm import RecordRow

        with self.project.reading() as s:  # records deleted meanwhile are left out
            return list(s.scalars(select(RecordRow.text).where(RecordRow.id.in_(ids)).order_by(RecordRow.id)))

    def _parse_counts(self) -> tuple[int, int]:
        """(hits, misses) of the model's cached parser so far (its wrappers count into it); a model
        without the dependency GCN parses nothing."""
        parser = getattr(self.predictor, "parser", None)
        return getattr(parser, "hits", 0), getattr(parser, "misses", 0)


def read_commands(service: Service, lines: Iterable[str], *, hard_exit: bool = False) -> None:
    """Feed ``lines`` to ``service`` until quit or end of input (which means quit: the window is
    gone). With ``hard_exit``, end the process at once when nothing is being written (idle,
    importing torch, loading a model); a job that writes stops at its next check instead."""
    try:
        for line in lines:
            if line.strip():
                service.command(line)
            if service.quitting:
                break
    except (OSError, ValueError):  # a closed or broken stdin: the same as its end
        pass
    service.quit()
    if hard_exit and service.interruptible():
        os._exit(0)  # SQLite keeps the project file whole; nothing of ours is half-written


def serve(service: Service, commands: Iterable[str], *, hard_exit: bool = False,
          prepare: Callable[[], object] | None = None) -> None:
    """Read ``commands`` on a thread and run the service's jobs in this one until quit.
    ``prepare`` runs once the reader listens (the child imports torch there)."""
    threading.Thread(target=read_commands, args=(service, commands), kwargs={"hard_exit": hard_exit},
                     name="prelabel-commands", daemon=True).start()
    if prepare is not None:
        prepare()
    service.emit("ready", pid=os.getpid())
    service.run()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m madpg_core.prelabel_service",
                                 description="Pre-label a project's records on commands read from stdin (JSON lines).")
    ap.add_argument("project", type=Path)
    ap.add_argument("--device", default="auto", help="auto, cpu or cuda")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s")
    for stream in (sys.stdin, sys.stdout):
        if stream is not None:
            stream.reconfigure(encoding="utf-8")  # Chinese messages arrive intact on every platform
    try:
        project = Project.open(args.project, backup=False)  # the window took the day's backup at its open
    except MadpgError as e:
        print(json.dumps({"event": "error", "job": None, "kind": None, "message": str(e)}, ensure_ascii=False),
              flush=True)
        return 1
    from madpg_core import threads

    service = Service(project, sys.stdout, None if args.device == "auto" else args.device)
    signal.signal(signal.SIGTERM, lambda *_: service.quit())
    try:
        # threads.apply imports torch: after the reader listens, so that a quit meanwhile ends us at once
        serve(service, sys.stdin, hard_exit=True, prepare=lambda: threads.apply("prelabel"))
    finally:
        project.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
