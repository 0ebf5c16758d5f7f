"""Errors a user can read. Everything the CLI or GUI shows as one line derives from MadpgError."""

from __future__ import annotations

from threading import Event


class MadpgError(Exception):
    """A problem the user can act on: the message names what and where, without a traceback."""


class OverlapError(MadpgError):
    """Two spans overlap; BIO is flat, so the second one is refused."""


class StaleWriteError(MadpgError):
    """An edit based on a span or record that another annotator changed since it was read: refused,
    never silently written over; the caller re-reads the record (CONTEXT.md, "Stale write")."""


class FormatError(MadpgError):
    """Malformed input file; the message names the file and the line."""

    def __init__(self, path: object, line: int | None, message: str) -> None:
        where = f"{path}:{line}" if line is not None else f"{path}"
        super().__init__(f"{where}: {message}")
        self.path = path
        self.line = line


class Cancelled(MadpgError):
    """Long work was stopped by the user between two units of work."""


def check_stop(stop: Event | None, message: str = "training cancelled") -> None:
    """Raise Cancelled when ``stop`` is set: the check long work makes between two units of it."""
    if stop is not None and stop.is_set():
        raise Cancelled(message)
