"""The pre-label child process (``python -m madpg_core.prelabel_service PROJECT``), adapted to Qt
signals, and the lines the window shows for its jobs.

One long-lived child per open project keeps the active model loaded between runs; the window
sends it JSON commands and reads its JSON events (the protocol is in the service's docstring),
so the window never imports torch and its UI thread never waits for the model (training does
the same, in training_process.py). A child that dies is reported once (``died``); the next
request starts a new one.
"""

from __future__ import annotations

import itertools
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QObject, QProcess, QProcessEnvironment, Signal

from madpg_core import threads
from madpg_gui.child_lines import keep_tail, parse_event, split_lines
from madpg_gui.i18n import tr, trn

QUIT_WAIT_MS = 3_000  # after "quit": a job stops within a second; an idle or loading child ends at once


class PrelabelProcess(QObject):
    """The child, started on demand. Every job (``submit``) ends in exactly one of done,
    cancelled or error, unless the child dies first (``died``, for every job it had)."""

    ready = Signal(dict)
    loading = Signal(dict)  # {"version"}
    loaded = Signal(dict)  # {"version", "seconds"}
    progress = Signal(dict)  # {"job", "kind", "done", "total", "ids"}
    done = Signal(dict)  # {"job", "kind", ...the report}
    cancelled = Signal(dict)  # {"job", "kind", "done", "total"}
    error = Signal(dict)  # {"job", "kind", "message"}
    died = Signal(str)  # the child ended without being asked to: why, in a line
    # the end of an "attention" job (its done, error or cancelled event; done and error fire too):
    # {"job", "event", "record_id", "images": [{"index", "r", "weights" (49), ...}], "reason", ...}
    attention = Signal(dict)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.proc: QProcess | None = None
        self.folder: Path | None = None
        self.device: str | None = None
        self._jobs = itertools.count(1)
        self._buffer = b""
        self._stderr = b""
        self._fatal = ""
        self.program = sys.executable
        self.prefix = ["-m", "madpg_core.prelabel_service"]  # tests may point these at a stand-in

    def is_running(self) -> bool:
        return self.proc is not None and self.proc.state() != QProcess.ProcessState.NotRunning

    def ensure(self, folder: str | Path, device: str | None) -> None:
        """Have a child serving ``folder`` on ``device`` (None: auto): the one running, or a new one."""
        folder = Path(folder).resolve()
        if self.is_running() and self.folder == folder and self.device == device:
            return
        self.stop()
        self._start(folder, device)

    def _start(self, folder: Path, device: str | None) -> None:
        self._buffer, self._stderr, self._fatal = b"", b"", ""
        proc = QProcess(self)
        env = QProcessEnvironment.systemEnvironment()
        env.insert("PYTHONIOENCODING", "utf-8")
        env.insert("PYTHONUNBUFFERED", "1")
        for name, value in threads.child_vars("prelabel").items():  # the child's torch threads
            env.insert(name, value)
        proc.setProcessEnvironment(env)
        proc.setWorkingDirectory(str(folder))
        for sig, slot in self._slots(proc):
            sig.connect(slot)
        self.proc, self.folder, self.device = proc, folder, device
        proc.start(self.program, [*self.prefix, str(folder), "--device", device or "auto"])

    def _slots(self, proc: QProcess) -> list[tuple[object, object]]:
        return [(proc.readyReadStandardOutput, self._read_stdout), (proc.readyReadStandardError, self._read_stderr),
                (proc.finished, self._ended), (proc.errorOccurred, self._error)]

    def send(self, cmd: str, **fields: object) -> None:
        if self.is_running():
            self.proc.write((json.dumps({"cmd": cmd, **fields}) + "\n").encode("utf-8"))

    def submit(self, kind: str, record_ids: Sequence[int] | None = None) -> int:
        """Queue a "prelabel" or "warm_parse" job for ``record_ids`` (None: every record not
        reviewed); returns its number, which its events carry."""
        job = next(self._jobs)
        self.send(kind, job=job, ids=[int(i) for i in record_ids] if record_ids is not None else None)
        return job

    def request_attention(self, record_id: int) -> int:
        """Ask what the active model looked at in record ``record_id``'s images (r and 7×7 weights
        per image, or why not); the answer comes as ``attention``. Returns the job's number."""
        job = next(self._jobs)
        self.send("attention", job=job, ids=[int(record_id)])
        return job

    def cancel(self, job: int) -> None:
        self.send("cancel", job=job)

    def stop(self, wait_ms: int = QUIT_WAIT_MS) -> None:
        """End the child (quit, then kill after ``wait_ms``); blocks at most that long. Nothing
        is reported: the caller asked for it."""
        proc, self.proc = self.proc, None
        if proc is None:
            return
        for sig, slot in self._slots(proc):
            sig.disconnect(slot)
        if proc.state() != QProcess.ProcessState.NotRunning:
            proc.write(b'{"cmd": "quit"}\n')
            proc.waitForBytesWritten(wait_ms)
            proc.closeWriteChannel()  # end of input means quit too, should the line be lost
            if not proc.waitForFinished(wait_ms):
                proc.kill()
                proc.waitForFinished(wait_ms)
        proc.deleteLater()

    # ---------------------------------------------------------------- child output

    # Connected to the running child only (``stop`` disconnects a child it ends), so ``self.proc``
    # is the sender.

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
        if event.get("event") == "error" and event.get("kind") is None:
            self._fatal = str(event.get("message") or "")  # not about a job (the project would not open): why it ends
        signal = {"ready": self.ready, "loading": self.loading, "loaded": self.loaded, "progress": self.progress,
                  "done": self.done, "cancelled": self.cancelled, "error": self.error}.get(event.get("event"))
        if signal is not None:
            signal.emit(event)
        if event.get("kind") == "attention" and event.get("event") in ("done", "error", "cancelled"):
            self.attention.emit(event)

    def _last_error_line(self) -> str:
        lines = [ln.strip() for ln in self._stderr.decode("utf-8", errors="replace").splitlines() if ln.strip()]
        return lines[-1] if lines else ""

    def _ended(self, code: int, status: QProcess.ExitStatus) -> None:
        self._read_stdout()  # the events it wrote before it ended come first
        self._read_stderr()
        if status == QProcess.ExitStatus.CrashExit:
            why = tr("it was killed or crashed")
        else:
            why = tr("exit code {n}").format(n=code)
        last = self._fatal or self._last_error_line()
        self.proc.deleteLater()
        self.proc = None
        self.died.emit(tr("the pre-labelling process stopped unexpectedly ({why})").format(why=why)
                       + (f": {last}" if last else ""))

    def _error(self, error: QProcess.ProcessError) -> None:
        if error == QProcess.ProcessError.FailedToStart:
            message = self.proc.errorString()
            self.proc.deleteLater()
            self.proc = None
            self.died.emit(tr("cannot start the pre-labelling process ({program}): {m}")
                           .format(program=self.program, m=message))


# ---------------------------------------------------------------- what the window says


def records_text(n: int) -> str:
    return trn("{n:,} record", "{n:,} records", n)


def progress_text(done: int, total: int) -> str:
    """ "12 / 240 records" """
    return f"{done:,} / {records_text(total)}"


def summary_text(event: dict) -> str:
    """The outcome of a finished pre-label, from its "done" event."""
    text = trn("Pre-labelled {n:,} record", "Pre-labelled {n:,} records", int(event.get("records") or 0))
    text += ": " + trn("{n:,} model entity", "{n:,} model entities", int(event.get("spans") or 0))
    skipped = int(event.get("skipped_reviewed") or 0)
    if skipped:
        text += "; " + trn("{n:,} reviewed record left as it was", "{n:,} reviewed records left as they were",
                           skipped)
    return text


def cancelled_text(event: dict) -> str:
    return tr("Pre-labelling cancelled after {done} of {records}; those stay labelled.").format(
        done=f"{int(event.get('done') or 0):,}", records=records_text(int(event.get("total") or 0)))


__all__ = ["PrelabelProcess", "cancelled_text", "progress_text", "records_text", "summary_text"]
