"""A project: one folder with ``project.sqlite`` and the ``images/`` it owns.

Images are copied in under their content hash, so a project folder is self-contained and can be
moved or backed up as a whole; the same image imported twice is stored once.
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

from sqlalchemy import exc, select
from sqlalchemy.orm import Session

from madpg_core.domain import LabelSchema
from madpg_core.errors import MadpgError
from madpg_core.storage import backups, db, image_store, repo
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


def _is_damage(e: exc.DBAPIError) -> bool:
    name = getattr(e.orig, "sqlite_errorname", "")
    return name in ("SQLITE_CORRUPT", "SQLITE_NOTADB") or "malformed" in str(e.orig)


class Project:
    """Open project. Create with :meth:`create`, open with :meth:`open`; close when done.

    ``read_only`` projects never write to the folder (stats, export); ``on_wait(seconds)`` hears
    when a write waits for another process that holds the project's write lock.
    """

    def __init__(self, folder: Path, *, read_only: bool = False, on_wait: db.WaitCallback | None = None,
                 _creating: bool = False) -> None:
        self.folder = Path(folder).resolve()
        # the annotator this process edits as; every session carries it in ``session.info`` so the
        # storage functions can attribute spans and history entries without an extra argument
        self.annotator = default_annotator()
        self.db_path = self.folder / DB_NAME
        self.read_only = read_only
        self.on_wait = on_wait
        self.engine = db.make_engine(self.db_path, read_only=read_only, on_wait=self._waiting,
                                     immutable=read_only and self._needs_immutable())
        if _creating:
            db.upgrade(self.engine)
        self.sessions = db.make_session_factory(self.engine)
        self.writing = db.make_session_factory(db.writer(self.engine))

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
    def open(cls, folder: Path | str, *, read_only: bool = False, on_wait: db.WaitCallback | None = None,
             backup: bool = True) -> Project:
        """Open an existing project. A writable open upgrades an older schema in place (data kept),
        takes the day's backup (see storage.backups) and clears what dead processes left behind."""
        folder = Path(folder)
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
            raise MadpgError(f"{self.folder} is open read-only; this command cannot change it")
        try:
            with self.writing() as s, s.begin():
                s.info["annotator"] = self.annotator
                yield s
        except exc.DBAPIError as e:
            if _is_damage(e):
                raise backups.damaged_error(self.db_path, e.orig) from None
            raise

    @contextmanager
    def reading(self) -> Iterator[Session]:
        try:
            with self.sessions() as s:
                s.info["annotator"] = self.annotator
                yield s
        except exc.DBAPIError as e:
            if _is_damage(e):
                raise backups.damaged_error(self.db_path, e.orig) from None
            raise

    @property
    def name(self) -> str:
        with self.reading() as s:
            return s.scalar(select(ProjectRow.name)) or self.folder.name

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
        return stored
