"""The pre-label service (madpg_core/prelabel_service.py) served on a thread, its pipes in memory:
command lines go in, event lines come out. Shared by the tests that talk to it."""

from __future__ import annotations

import json
import queue
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from madpg_core.prelabel_service import Service, serve

TIMEOUT = 60


class Wire:
    """Both ends of the service's pipes: ``send`` a command, ``wait_for`` an event; ``seen`` keeps
    every event read so far."""

    def __init__(self) -> None:
        self.commands: queue.Queue[str | None] = queue.Queue()
        self.events: queue.Queue[dict] = queue.Queue()
        self.seen: list[dict] = []

    def __iter__(self) -> Iterator[str]:  # the service's stdin; None is its end
        while (line := self.commands.get()) is not None:
            yield line

    def write(self, text: str) -> None:  # its stdout
        for line in text.splitlines():
            self.events.put(json.loads(line))

    def flush(self) -> None:
        pass

    def send(self, cmd: str, **fields: object) -> None:
        self.commands.put(json.dumps({"cmd": cmd, **fields}) + "\n")

    def wait_for(self, wanted: Callable[[dict], bool]) -> dict:
        while True:
            ev = self.events.get(timeout=TIMEOUT)
            self.seen.append(ev)
            if wanted(ev):
                return ev


def end_of(job: int) -> Callable[[dict], bool]:
    """The event that ends ``job``, however it ended."""
    return lambda ev: ev.get("job") == job and ev["event"] in ("done", "cancelled", "error")


@contextmanager
def serving(project) -> Iterator[Wire]:  # noqa: ANN001 - storage.project.Project
    wire = Wire()
    runner = threading.Thread(target=serve, args=(Service(project, wire, "cpu"), wire), daemon=True)
    runner.start()
    yield wire
    wire.commands.put(None)  # end of input: the service quits
    runner.join(TIMEOUT)
    assert not runner.is_alive()
