"""The PostgreSQL engine of a server project: a department's database shared by several desks.

Choices, and why:

* psycopg 3 (``postgresql+psycopg``) whatever the URL says: it is the driver the project pins.
* READ COMMITTED, PostgreSQL's default: each statement sees what others committed before it.
  Lost updates are prevented where they could happen — an UPDATE that names the revision it read
  (storage/repo.py) waits for a concurrent writer of the same row and then finds the revision
  changed; read-modify-write code locks what it reads (``SELECT … FOR UPDATE``).
* A small pool (2 kept, a few more on demand): a desk runs the GUI thread plus a worker or two;
  ``pool_pre_ping`` because a department's server restarts and connections go stale overnight.
* No write lock as on SQLite: writers wait for each other only on rows they both change. Such a
  wait is watched (``pg_stat_activity``) and reported through ``on_wait`` every slice, like
  SQLite's busy wait, and ends after ``write_wait_s`` with a clear message (``lock_timeout``)
  instead of hanging. ``statement_timeout`` ends a statement that runs away, and
  ``idle_in_transaction_session_timeout`` frees the rows a desk that froze mid-transaction holds.
"""

from __future__ import annotations

import logging
import threading
import time
import weakref
from collections.abc import Callable

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from madpg_core.errors import MadpgError

log = logging.getLogger(__name__)

POOL_SIZE, POOL_OVERFLOW = 2, 6
CONNECT_TIMEOUT_S = 5
STATEMENT_TIMEOUT_S = 900  # longer than the lock wait, so that a lock wait ends with its own message
IDLE_IN_TRANSACTION_S = 900

LOCK_NOT_AVAILABLE = "55P03"
QUERY_CANCELED = "57014"


def parse_url(url: str) -> URL:
    """The SQLAlchemy URL of a server project's ``postgresql://…`` → with the psycopg driver."""
    try:
        u = make_url(url.strip())
    except (ArgumentError, ValueError) as e:
        raise MadpgError(f"not a server project address: {e}; write postgresql://USER@HOST[:PORT]/DATABASE") \
            from None
    if u.get_backend_name() not in ("postgresql", "postgres"):
        raise MadpgError(f"{u.render_as_string(hide_password=True)} is not a PostgreSQL address "
                         "(postgresql://USER@HOST[:PORT]/DATABASE)")
    if not u.database:
        raise MadpgError(f"{u.render_as_string(hide_password=True)} names no database: "
                         "postgresql://USER@HOST[:PORT]/DATABASE")
    return u.set(drivername="postgresql+psycopg")


def display_url(url: str | URL) -> str:
    """The address without its password: what messages, logs and the recent-projects list show."""
    u = parse_url(url) if isinstance(url, str) else url
    from urllib.parse import unquote

    # unquoted: ?host=/run/postgresql reads better than %2Frun%2F…, and parses back the same
    return unquote(u.set(drivername="postgresql").render_as_string(hide_password=True).replace(":***@", "@"))


def make(url: str, *, read_only: bool, on_wait: Callable[[float], None] | None, write_wait_s: float,
         slice_ms: int) -> Engine:
    u = parse_url(url)
    options = [f"-c lock_timeout={int(write_wait_s * 1000)}",
               f"-c statement_timeout={STATEMENT_TIMEOUT_S * 1000}",
               f"-c idle_in_transaction_session_timeout={IDLE_IN_TRANSACTION_S * 1000}"]
    if read_only:
        options.append("-c default_transaction_read_only=on")  # the server refuses any write
    engine = create_engine(
        u, pool_size=POOL_SIZE, max_overflow=POOL_OVERFLOW, pool_pre_ping=True, pool_recycle=1800,
        isolation_level="READ COMMITTED",
        connect_args={"connect_timeout": CONNECT_TIMEOUT_S, "options": " ".join(options),
                      "application_name": "madpg",
                      # a desk that vanished (laptop closed) must not hold rows until the timeout
                      "keepalives": 1, "keepalives_idle": 30, "keepalives_interval": 10, "keepalives_count": 3})
    if on_wait is not None and not read_only:
        _LockWatch(engine, on_wait, slice_ms / 1000)
    return engine


class _LockWatch:
    """Tells ``on_wait`` while one of the engine's transactions waits for a row lock: one daemon
    thread per engine, asleep unless a transaction has been open longer than a slice."""

    def __init__(self, engine: Engine, on_wait: Callable[[float], None], slice_s: float) -> None:
        self.on_wait, self.slice_s = on_wait, slice_s
        self.open: dict[int, float] = {}  # backend pid → when its transaction began
        self.lock = threading.Lock()
        self.stopped = threading.Event()
        self.thread: threading.Thread | None = None
        self.engine_ref = weakref.ref(engine)
        event.listen(engine, "begin", self._began)
        event.listen(engine, "commit", self._ended)
        event.listen(engine, "rollback", self._ended)
        event.listen(engine, "engine_disposed", lambda _engine: self.stopped.set())

    @staticmethod
    def _pid(conn) -> int | None:  # noqa: ANN001 - sqlalchemy Connection
        try:
            return conn.connection.driver_connection.info.backend_pid
        except Exception:  # noqa: BLE001 - a connection being invalidated has no pid to watch
            return None

    def _began(self, conn) -> None:  # noqa: ANN001
        pid = self._pid(conn)
        if pid is None:
            return
        with self.lock:
            self.open[pid] = time.monotonic()
            if self.thread is None:
                self.thread = threading.Thread(target=self._run, name="madpg-lock-watch", daemon=True)
                self.thread.start()

    def _ended(self, conn) -> None:  # noqa: ANN001
        pid = self._pid(conn)
        with self.lock:
            self.open.pop(pid, None)

    def _run(self) -> None:
        checked: dict[int, float] = {}  # pid → when it was last looked at in pg_stat_activity
        # a glance at a dict a few times a slice; the server is asked only about transactions
        # open for a slice or more, once a slice each
        while not self.stopped.wait(self.slice_s / 8):
            now = time.monotonic()
            with self.lock:
                due = {pid: now - t for pid, t in self.open.items()
                       if now - t >= self.slice_s and now - checked.get(pid, 0.0) >= self.slice_s}
                for pid in list(checked):
                    if pid not in self.open:
                        del checked[pid]
            if not due:
                continue
            checked.update(dict.fromkeys(due, now))
            try:
                for pid in self._waiting_on_locks(list(due)):
                    self.on_wait(due[pid])
            except Exception as e:  # noqa: BLE001 - only the note is lost; the write goes on waiting
                log.debug("lock watch: %s", e)

    def _waiting_on_locks(self, pids: list[int]) -> list[int]:
        engine = self.engine_ref()
        if engine is None:
            self.stopped.set()
            return []
        raw = engine.raw_connection()  # a raw connection fires no "begin": the watch never watches itself
        try:
            cur = raw.cursor()
            cur.execute("SELECT pid FROM pg_stat_activity WHERE pid = ANY(%s) AND wait_event_type = 'Lock'", (pids,))
            found = [r[0] for r in cur.fetchall()]
            raw.rollback()
            return found
        finally:
            raw.close()


def error_code(e: BaseException) -> str | None:
    """PostgreSQL's SQLSTATE of a driver error wrapped by SQLAlchemy (or None)."""
    return getattr(getattr(e, "orig", None), "sqlstate", None)
