"""A project: one folder with ``project.sqlite`` and the ``images/`` it owns — or a server project,
a PostgreSQL database (``postgresql://USER@HOST/DB``) shared by a department (storage/server.py).

Images are copied in under their content hash, so a project folder is self-contained and can be
moved or backed up as a whole; the same image imported twice is stored once. A server project
keeps them in its database; each desk reads them through a local working folder.
"""

from __future__ import annotations

import getpass
import os
import shutil
import sqlite3
from urllib.parse import quote
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import exc, inspect, select
from sqlalchemy.orm import Session

from madpg_core.domain import LabelSchema
from madpg_core.errors import MadpgError
from madpg_core.storage import backups, db, image_store, repo, server
from madpg_core.storage import server_engine
from madpg_core.storage.image_store import IMAGE_DIR, IMAGE_SUFFIXES, file_sha256, pid_alive
from madpg_core.storage.orm import ImageRow, ProjectRow, TrainingRunRow, utcnow

DB_NAME = "project.sqlite"
MODELS_DIR = "models"  # trained versions vN/, and .staging-PID-N/ while a run writes one
SQLITE_MAGIC = b"SQLite format 3\x00"
MADPG_TABLES = {"project", "alembic_version", "records", "spans"}

__all__ = ["DB_NAME", "IMAGE_DIR", "IMAGE_SUFFIXES", "MODELS_DIR", "Project", "file_sha256", "pid_alive"]


def default_annotator() -> str:
    """Who edits when nobody said: $MADPG_ANNOTATOR, else the OS user name (the GUI asks on first
    open and remembers the answer; the CLI takes --annotator)."""
    name = os.environ.get("MADPG_ANNOTATOR", "").strip()
    if not name:
        try:
            name = getpass.getuser()
        except (KeyError, OSError):  # no passwd entry (containers): nobody to name
            name = ""
    return name.strip() or "unknown"


def inspect_file(db_path: Path) -> str:
    """Check, without writing a byte, that ``db_path`` is a MADPG project file → its schema revision.

    Raises MadpgError for an empty file, a file that is not SQLite or is damaged, another
    application's database, and a file written by a newer MADPG.
    """
    size = db_path.stat().st_size
    if size == 0:
        raise backups.damaged_error(db_path, "the file is empty (0 bytes)")
    with open(db_path, "rb") as f:
        if f.read(16) != SQLITE_MAGIC:
            raise backups.damaged_error(db_path, "not an SQLite database")
    try:
        conn = sqlite3.connect(f"file:{quote(str(db_path.resolve()))}?mode=ro", uri=True)
        try:
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
            revision = None
            if "alembic_version" in tables:
                row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
                revision = row[0] if row else None
        finally:
            conn.close()
    except sqlite3.DatabaseError as e:
        raise backups.damaged_error(db_path, e) from None
    if not MADPG_TABLES <= tables or revision is None:
        others = ", ".join(sorted(tables - MADPG_TABLES)[:6]) or "no tables"
        raise MadpgError(f"{db_path} is not a MADPG project file (it holds {others}); it was left unchanged. "
                         "Create a project with `madpg init` in another folder.")
    if revision != db.HEAD_REVISION and revision not in db.known_revisions():
        raise MadpgError(f"{db_path} was written by a newer MADPG (schema revision {revision}); "
                         "update MADPG to open it. The file was left unchanged.")
    return revision


class EmptyServerDatabase(MadpgError):
    """The server project's database exists but holds nothing: one ``Project.create`` may fill."""


def inspect_server(engine) -> str | None:  # noqa: ANN001 - sqlalchemy Engine
    """Check that a server project's database is a MADPG project → its schema revision; None for an
    empty database (one ``madpg init`` may fill). Raises MadpgError for another application's
    database and one written by a newer MADPG."""
    with engine.connect() as conn:
        tables = set(inspect(conn).get_table_names())
        revision = conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar() \
            if "alembic_version" in tables else None
    if not tables:
        return None
    where = server_engine.display_url(engine.url)
    if not MADPG_TABLES <= tables or revision is None:
        others = ", ".join(sorted(tables - MADPG_TABLES)[:6])
        raise MadpgError(f"the database {where} is not a MADPG project (it holds {others}); it was left unchanged")
    if revision != db.HEAD_REVISION and revision not in db.known_revisions():
        raise MadpgError(f"the database {where} was written by a newer MADPG (schema revision {revision}); "
                         "update MADPG to open it. It was left unchanged.")
    return revision


def _server_error(url: str, e: exc.DBAPIError) -> MadpgError:
    """A driver error of a server project → one message a user can act on."""
    where = server_engine.display_url(url)
    code = server_engine.error_code(e)
    first = str(getattr(e, "orig", e)).strip().splitlines()[0] if str(getattr(e, "orig", e)).strip() else str(e)
    if code == server_engine.LOCK_NOT_AVAILABLE:
        return MadpgError(f"another annotator has been writing the same entries of {where} for too long; "
                          "nothing was changed, try again")
    if code == "3D000" or ("database" in first and "does not exist" in first):  # invalid_catalog_name
        return MadpgError(f"the server has no database named in {where}: ask its administrator to create it "
                          "(createdb), then `madpg init` it")
    if "password" in first.lower():
        return MadpgError(f"the server {where} wants a password: give it in the address "
                          "(postgresql://USER:PASSWORD@HOST/DB) or in ~/.pgpass ({first})")
    if isinstance(e, exc.OperationalError) and code is None:
        return MadpgError(f"cannot reach the PostgreSQL server of {where}: {first}")
    return MadpgError(f"the server project {where} refused the change: {first}")


def _is_damage(e: exc.DBAPIError) -> bool:
    name = getattr(e.orig, "sqlite_errorname", "")
    return name in ("SQLITE_CORRUPT", "SQLITE_NOTADB") or "malformed" in str(e.orig)


class Project:
    """Open project. Create with :meth:`create`, open with :meth:`open`; close when done.

    ``read_only`` projects never write to the folder (stats, export); ``on_wait(seconds)`` hears
    when a write waits for another process that holds the project's write lock.
    """

    def __init__(self, folder: Path | str, *, read_only: bool = False, on_wait: db.WaitCallback | None = None,
                 _creating: bool = False) -> None:
        # the annotator this process edits as; every session carries it in ``session.info`` so the
        # storage functions can attribute spans and history entries without an extra argument
        self.annotator = default_annotator()
        self.read_only = read_only
        self.on_wait = on_wait
        self.is_server = db.is_server_url(folder)
        if self.is_server:
            # A server project: ``folder`` is this desk's local working folder for it (image cache,
            # staging, the place), so code written for project folders keeps working; ``url`` is
            # the address without its password, what lists and messages show.
            self._url = str(folder)
            self.url: str | None = server_engine.display_url(self._url)
            self.folder = server.local_folder(server_engine.parse_url(self._url))
            server.mark_folder(self.folder, self.url)
            self.db_path = None
            self.engine = db.make_engine(self._url, read_only=read_only, on_wait=self._waiting)
        else:
            self.url = None
            self.folder = Path(folder).resolve()
            self.db_path = self.folder / DB_NAME
            self.engine = db.make_engine(self.db_path, read_only=read_only, on_wait=self._waiting,
                                         immutable=read_only and self._needs_immutable())
        if _creating:
            db.upgrade(self.engine)
        self.sessions = db.make_session_factory(self.engine)
        self.writing = db.make_session_factory(db.writer(self.engine))

    @property
    def models_root(self) -> Path:
        """Where new model versions are written (under ``models/``). A project folder: itself. A
        server project: the shared folder in $MADPG_SERVER_MODELS when set (every desk must see a
        version to use it; its path is registered as given), else the local working folder, whose
        versions only this desk can load."""
        shared = os.environ.get("MADPG_SERVER_MODELS", "").strip() if self.is_server else ""
        return Path(shared).resolve() if shared else self.folder

    @property
    def location(self) -> str:
        """What names the project to the user and in the recent-projects list: its folder, or a
        server project's address without password."""
        return self.url or str(self.folder)

    def _waiting(self, seconds: float) -> None:
        if self.on_wait is not None:
            self.on_wait(seconds)

    def _needs_immutable(self) -> bool:
        # A WAL file in a folder nobody may write: SQLite cannot create the index it needs to read
        # it, so the file is opened as immutable (safe: nobody can change it either).
        wal = Path(str(self.db_path) + "-wal")
        return not os.access(self.folder, os.W_OK) and not wal.exists()

    # -------------------------------------------------------------- life cycle

    @classmethod
    def create(cls, folder: Path | str, schema: LabelSchema | None = None, name: str | None = None) -> Project:
        if db.is_server_url(folder):
            return cls._create_server(str(folder), schema, name)
        folder = Path(folder)
        if (folder / DB_NAME).exists():
            raise MadpgError(f"{folder} already holds a project")
        if folder.exists() and not folder.is_dir():
            raise MadpgError(f"{folder} is a file, not a folder")
        folder.mkdir(parents=True, exist_ok=True)
        (folder / IMAGE_DIR).mkdir(exist_ok=True)
        project = cls(folder, _creating=True)
        with project.transaction() as s:
            s.add(ProjectRow(id=1, name=name or folder.resolve().name))
            repo.set_schema(s, schema or LabelSchema.default())
        return project

    @classmethod
    def _create_server(cls, url: str, schema: LabelSchema | None, name: str | None) -> Project:
        """A server project in an existing, empty database (a department's administrator creates
        databases; MADPG only fills them)."""
        project = cls(url)
        try:
            with project._upgrade_lock():  # two desks creating at once: the second finds a project
                if project._server_revision() is not None:
                    raise MadpgError(f"the database {project.url} already holds a MADPG project; open it instead")
                db.upgrade(project.engine)
                with project.transaction() as s:
                    s.add(ProjectRow(id=1, name=name or server_engine.parse_url(url).database))
                    repo.set_schema(s, schema or LabelSchema.default())
        except BaseException:
            project.close()
            raise
        return project

    @classmethod
    def _open_server(cls, url: str, *, read_only: bool, on_wait: db.WaitCallback | None) -> Project:
        project = cls(url, read_only=read_only, on_wait=on_wait)
        try:
            revision = project._server_revision()
            if revision is None:
                raise EmptyServerDatabase(f"the database {project.url} is empty, not a MADPG project: "
                                          f"create one with `madpg init {project.url}`")
            if revision != db.HEAD_REVISION:
                if read_only:
                    raise MadpgError(f"{project.url} has an older schema (revision {revision}); open it once "
                                     "for writing to upgrade it")
                # No backup here: a server project's backup is the department's pg_dump, which
                # MADPG cannot take for it (it needs the server's own tools and rights).
                with project._upgrade_lock():
                    db.upgrade(project.engine)
            if not read_only:
                # Interrupted training runs are not failed here: a run's process may live on
                # another desk, where pid_alive cannot see it. Local staging leftovers are swept.
                image_store.sweep(project.folder, project.image_referenced)
        except BaseException:
            project.close()
            raise
        return project

    def _server_revision(self) -> str | None:
        try:
            return inspect_server(self.engine)
        except exc.DBAPIError as e:
            raise _server_error(self._url, e) from None

    @contextmanager
    def _upgrade_lock(self) -> Iterator[None]:
        """Two desks opening an old server project at once: one upgrades, the other waits and
        then finds nothing to do (alembic re-reads the revision inside the lock)."""
        try:
            with self.engine.connect() as conn:
                conn.exec_driver_sql("SELECT pg_advisory_lock(727017)")
                conn.commit()
                try:
                    yield
                finally:
                    conn.exec_driver_sql("SELECT pg_advisory_unlock(727017)")
                    conn.commit()
        except exc.DBAPIError as e:  # unreachable, or a user who may not create tables there
            raise _server_error(self._url, e) from None

    @classmethod
    def open(cls, folder: Path | str, *, read_only: bool = False, on_wait: db.WaitCallback | None = None,
             backup: bool = True) -> Project:
        """Open an existing project. A writable open upgrades an older schema in place (data kept),
        takes the day's backup (see storage.backups) and clears what dead processes left behind.
        ``folder`` may be a server project's ``postgresql://`` address."""
        if db.is_server_url(folder):
            return cls._open_server(str(folder), read_only=read_only, on_wait=on_wait)
        folder = Path(folder)
        marked = server.marked_url(folder)
        if marked and not (folder / DB_NAME).exists():
            # a server project's local working folder (from the recent-projects list, the last
            # project of the last session): open the server project it stands for
            return cls._open_server(marked, read_only=read_only, on_wait=on_wait)
        if folder.is_file() and folder.name == DB_NAME:
            folder = folder.parent
        db_path = folder / DB_NAME
        if not db_path.exists():
            raise MadpgError(f"{folder} is not a MADPG project (no {DB_NAME}); create one with `madpg init`")
        revision = inspect_file(db_path)
        if not read_only and not os.access(folder, os.W_OK):
            raise MadpgError(f"project folder {folder} is read-only: commands that only read (stats, export) work, "
                             "changing the project needs write permission")
        if read_only and revision != db.HEAD_REVISION:
            raise MadpgError(f"{db_path} has an older schema (revision {revision}); open it once for writing "
                             "(e.g. `madpg stats` as its owner) to upgrade it")
        project = cls(folder, read_only=read_only, on_wait=on_wait)
        if read_only:
            return project
        try:
            if revision != db.HEAD_REVISION:
                backups.daily_backup(project.db_path)  # before the upgrade, whatever the day's count
                db.upgrade(project.engine)
            elif backup:
                backups.daily_backup(project.db_path)
            project._fail_interrupted_runs()
            image_store.sweep(project.folder, project.image_referenced)
        except BaseException:
            project.close()
            raise
        return project

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Project:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _fail_interrupted_runs(self) -> None:
        """A run still "running" whose process is gone was interrupted (killed, power cut): say so,
        and remove the checkpoint folders such processes left half-written. Runs of live processes
        (another window, a command line) are left alone."""
        with self.reading() as s:
            running = s.scalars(select(TrainingRunRow.id).where(TrainingRunRow.status == "running")).all()
        if running:
            with self.transaction() as s:
                for row in s.scalars(select(TrainingRunRow).where(TrainingRunRow.status == "running")):
                    if not pid_alive((row.params or {}).get("pid")):
                        row.status, row.finished_at = "failed", utcnow()
                        row.message = "interrupted: the training process stopped before it finished"
        for staged in (self.folder / MODELS_DIR).glob(".staging-*"):
            pid = staged.name.split("-")[1]
            if not pid_alive(int(pid) if pid.isdigit() else None):
                shutil.rmtree(staged, ignore_errors=True)

    def image_referenced(self, rel_path: str) -> bool:
        with self.reading() as s:
            return s.scalar(select(ImageRow.id).where(ImageRow.rel_path == rel_path).limit(1)) is not None

    # -------------------------------------------------------------- sessions

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One user action = one transaction: committed on success, rolled back on any error. It
        holds the project's write lock from its start (waiting for another writer if need be)."""
        if self.read_only:
            raise MadpgError(f"{self.location} is open read-only; this command cannot change it")
        try:
            with self.writing() as s, s.begin():
                s.info["annotator"] = self.annotator
                if self.is_server:
                    server.watch_session(s, self.folder)
                yield s
        except exc.DBAPIError as e:
            if self.is_server and isinstance(e, (exc.OperationalError, exc.InterfaceError)):
                raise _server_error(self._url, e) from e  # server gone, lock wait too long
            if _is_damage(e):
                raise backups.damaged_error(self.db_path, e.orig) from None
            raise

    @contextmanager
    def reading(self) -> Iterator[Session]:
        try:
            with self.sessions() as s:
                s.info["annotator"] = self.annotator
                if self.is_server:
                    server.watch_session(s, self.folder)
                yield s
        except exc.DBAPIError as e:
            if self.is_server and isinstance(e, (exc.OperationalError, exc.InterfaceError)):
                raise _server_error(self._url, e) from e  # server gone, lock wait too long
            if _is_damage(e):
                raise backups.damaged_error(self.db_path, e.orig) from None
            raise

    @property
    def name(self) -> str:
        with self.reading() as s:
            return s.scalar(select(ProjectRow.name)) or (self.url or self.folder.name)

    @property
    def dicom_identity(self) -> str:
        """What imports do with DICOM headers: "strip" (the default) or "keep"."""
        with self.reading() as s:
            return s.scalar(select(ProjectRow.dicom_identity)) or "strip"

    def set_dicom_identity(self, value: str) -> None:
        if value not in ("strip", "keep"):
            raise MadpgError(f"DICOM identity must be strip or keep, not {value!r}")
        with self.transaction() as s:
            s.get(ProjectRow, 1).dicom_identity = value

    @property
    def image_root(self) -> str:
        return str(self.folder)

    def schema(self) -> LabelSchema:
        with self.reading() as s:
            return repo.get_schema(s)

    # -------------------------------------------------------------- images

    def store_image(self, source: Path) -> tuple[str, str, str]:
        """Copy one image into the project under its content hash → (sha256, rel_path, name), at
        once (the demo, tests). Imports stage theirs and publish them inside their transaction.
        A DICOM's header is de-identified as the project's setting says, as on import: every way
        an image enters the project goes through the same filter."""
        from madpg_core.deid_dicom import DicomIdentityFilter

        source = Path(source)
        if not source.is_file():
            raise MadpgError(f"image {source} does not exist")
        identity = DicomIdentityFilter(self.dicom_identity)
        with image_store.staged_images(self.folder, self.image_referenced, rewrite=identity.rewrite) as stage:
            stored = stage.add(source)
            stage.publish()
        if self.is_server:  # every desk must see it: its bytes go into the database at once
            sha, rel, _name = stored
            with self.transaction() as s:
                server.upload(s, self.folder, [(rel, sha)])
        return stored
