"""What the app's child processes (training, pre-labelling) print: one JSON event per stdout line,
free text on stderr. Shared by training_process.py and prelabel_process.py."""

from __future__ import annotations

import json

STDERR_TAIL = 20_000  # bytes of a child's stderr kept for the message when it fails


def split_lines(buffer: bytes, data: bytes) -> tuple[list[bytes], bytes]:
    """The whole lines in ``buffer + data``, and the unfinished rest to keep for the next read."""
    *lines, rest = (buffer + data).split(b"\n")
    return lines, rest


def parse_event(raw: bytes) -> dict | None:
    """The event on one stdout line; None for anything else (a stray print from a library)."""
    try:
        event = json.loads(raw.decode("utf-8", errors="replace"))
    except ValueError:
        return None
    return event if isinstance(event, dict) else None


def keep_tail(stderr: bytes, data: bytes) -> bytes:
    return (stderr + data)[-STDERR_TAIL:]
