"""A child process's stop when its parent goes away (killed, crashed): it is re-parented, and the
child notices within a second and stops as if cancelled, instead of working on for nobody."""

from __future__ import annotations

import os
import threading
import time


def stop_when_orphaned(stop: threading.Event, every_s: float = 1.0) -> None:
    """Set ``stop`` once this process's parent is no longer the one it has now (a daemon thread)."""
    parent = os.getppid()

    def watch() -> None:
        while not stop.is_set():
            if os.getppid() != parent:
                stop.set()
            time.sleep(every_s)

    threading.Thread(target=watch, daemon=True, name="watch-parent").start()
