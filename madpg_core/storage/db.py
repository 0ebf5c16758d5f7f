"""Engine, sessions and schema upgrades of one project file.

Durability and concurrency are decided here, for every process that opens a project:

* ``synchronous=FULL``: a committed edit survives a power cut, not only a crash of the app (WAL
  with NORMAL may lose the last commits when the machine stops). The cost per edit is measured in
  ``benchmarks/reliability.py``.
* Writers take the write lock when their transaction starts (``BEGIN IMMEDIATE``). A deferred
  transaction that read first and writes later can fail at once with "database is locked" when
  another writer committed in between; an immediate one waits in SQLite's busy handler instead.
  While it waits, ``on_wait(seconds)`` is told every few seconds, so the GUI and the CLI can say
  that they wait for another writer rather than freeze or fail.
* Read-only opens (``mode=ro``) never write: no WAL switch, no upgrade, no journal file where the
  folder allows none.

A server project's URL (``postgresql://USER@HOST/DB``) gets a PostgreSQL engine instead
(:func:`make_server_engine`): READ COMMITTED, a small pool, and no write lock at all — writers
block each other only on the rows they both change, for as long as one short transaction lasts.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import NullPool, StaticPool

from madpg_core.errors import MadpgError

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
HEAD_REVISION = "0008"  # the newest migration; a test keeps it equal to alembic's head
BUSY_SLICE_MS = 2_000  # one wait inside SQLite before on_wait hears about it
WRITE_WAIT_S = 600.0  # a writer gives up after this long behind another one (a very large import)

WaitCallback = Callable[[float], None]  # seconds waited so far
SERVER_SCHEMES = ("postgresql", "postgres", "postgresql+psycopg")


def _sqlite_uri(db_path: Path, mode: str) -> str:
    return f"file:{quote(str(Path(db_path).resolve()))}?{mode}"


def is_server_url(location: object) -> bool:
    """Does ``location`` name a server project (a PostgreSQL URL) rather than a folder or file?"""
    return isinstance(location, str) and location.split(":", 1)[0].lower() in SERVER_SCHEMES


def make_engine(db_path: Path | str, *, read_only: bool = False, on_wait: WaitCallback | None = None,
                immutable: bool = False) -> Engine:
    """An engine for one project file, or for a server project's URL (see make_server_engine).

    Args:
        read_only: open with ``mode=ro``: the file is never written.
        immutable: with ``read_only``, open with ``immutable=1`` — for a file in a folder this
            process cannot write (SQLite then cannot create the WAL index) and that nobody writes.
        on_wait: called with the seconds waited while another process holds the write lock.
    """
    if is_server_url(db_path):
        return make_server_engine(str(db_path), read_only=read_only, on_wait=on_wait)
    memory = str(db_path) == ":memory:"
    mode = "immutable=1" if immutable else "mode=ro" if read_only else "mode=rwc"

    def connect() -> sqlite3.Connection:
        if memory:
            return sqlite3.connect(":memory:", check_same_thread=False, isolation_level=None)
        # isolation_level=None: the driver never opens transactions on its own; _on_begin does.
        return sqlite3.connect(_sqlite_uri(Path(db_path), mode), uri=True, check_same_thread=False,
                               timeout=BUSY_SLICE_MS / 1000, isolation_level=None)

    # One connection per session, closed at its end (NullPool): a pooled connection can keep an
    # old read snapshot alive through a statement left unfinished, and then no longer sees what
    # other processes committed (seen: the GUI missed the version a training child registered).
    # Opening an SQLite connection costs well under a millisecond. The explicit pool also keeps
    # SQLAlchemy from treating the bare "sqlite://" URL as :memory:.
    pool = StaticPool if memory else NullPool
    engine = create_engine("sqlite://", creator=connect, poolclass=pool)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record) -> None:  # noqa: ANN001 - DB-API connection
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={BUSY_SLICE_MS}")
        if not read_only and not memory:
            # WAL: readers (the GUI) never block the writer (a background worker), and a crash
            # loses at most the transaction in flight.
            cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=FULL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn) -> None:  # noqa: ANN001 - sqlalchemy Connection
        raw = conn.connection.driver_connection
        if read_only or conn.get_execution_options().get("sqlite_begin") != "IMMEDIATE":
            raw.execute("BEGIN")
            return
        begin_immediate(raw, on_wait)

    return engine


def begin_immediate(raw: sqlite3.Connection, on_wait: WaitCallback | None, limit_s: float = WRITE_WAIT_S) -> None:
    """Take the write lock, waiting for other writers in slices of BUSY_SLICE_MS. Only BEGIN is
    retried: no statement of the transaction has run yet, so trying again is always safe."""
    started = time.monotonic()
    while True:
        try:
            raw.execute("BEGIN IMMEDIATE")
            return
        except sqlite3.OperationalError as e:
            waited = time.monotonic() - started
            if "locked" not in str(e) and "busy" not in str(e):
                raise
            if waited >= limit_s:
                raise MadpgError(f"another program has been writing this project for {waited:.0f} s; "
                                 "nothing was changed, try again when it has finished") from None
            if on_wait is not None:
                on_wait(waited)


def make_server_engine(url: str, *, read_only: bool = False, on_wait: WaitCallback | None = None) -> Engine:
    """A PostgreSQL engine for a server project (``postgresql://USER[:PASSWORD]@HOST[:PORT]/DB``)."""
    from madpg_core.storage import server_engine

    return server_engine.make(url, read_only=read_only, on_wait=on_wait, write_wait_s=WRITE_WAIT_S,
                              slice_ms=BUSY_SLICE_MS)


def is_server(engine: Engine) -> bool:
    return engine.dialect.name == "postgresql"


def writer(engine: Engine) -> Engine:
    """The same engine, whose transactions start with BEGIN IMMEDIATE (see the module doc)."""
    return engine.execution_options(sqlite_begin="IMMEDIATE")


def alembic_config(engine: Engine):  # noqa: ANN201 - alembic Config, imported only when a migration is due
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["engine"] = writer(engine)
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the file's schema to ``revision``; an empty file gets every table."""
    from alembic import command

    command.upgrade(alembic_config(engine), revision)


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return None
        return conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()


def known_revisions() -> set[str]:
    from alembic.script import ScriptDirectory

    return {s.revision for s in ScriptDirectory(str(MIGRATIONS)).walk_revisions()}


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    # expire_on_commit=False: rows read in one transaction are converted to frozen domain objects
    # right away; nothing lazy escapes the session.
    return sessionmaker(engine, expire_on_commit=False)
