"""A project: one folder with ``project.sqlite`` and the ``images/`` it owns.

Images are copied in under their content hash, so a project folder is self-contained and can be
moved or backed up as a whole; the same image imported twice is stored once.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from madpg_core.domain import LabelSchema
from madpg_core.errors import MadpgError
from madpg_core.storage import db, repo
from madpg_core.storage.orm import ProjectRow, TrainingRunRow, utcnow

DB_NAME = "project.sqlite"
IMAGE_DIR = "images"
MODELS_DIR = "models"  # trained versions vN/, and .staging-PID-N/ while a run writes one
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".dcm", ".dicom", ".bmp", ".tif", ".tiff")


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def pid_alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


class Project:
    """Open project. Create with :meth:`create`, open with :meth:`open`; close when done."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder).resolve()
        self.db_path = self.folder / DB_NAME
        self.engine = db.make_engine(self.db_path)
        db.upgrade(self.engine)  # opening an older file upgrades it in place, data kept
        self.sessions = db.make_session_factory(self.engine)

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
        project = cls(folder)
        with project.transaction() as s:
            s.add(ProjectRow(id=1, name=name or folder.resolve().name))
            repo.set_schema(s, schema or LabelSchema.default())
        return project

    @classmethod
    def open(cls, folder: Path | str) -> Project:
        folder = Path(folder)
        if folder.is_file() and folder.name == DB_NAME:
            folder = folder.parent
        if not (folder / DB_NAME).exists():
            raise MadpgError(f"{folder} is not a MADPG project (no {DB_NAME}); create one with `madpg init`")
        project = cls(folder)
        project._fail_interrupted_runs()
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
        with self.transaction() as s:
            for row in s.scalars(select(TrainingRunRow).where(TrainingRunRow.status == "running")):
                if not pid_alive((row.params or {}).get("pid")):
                    row.status, row.finished_at = "failed", utcnow()
                    row.message = "interrupted: the training process stopped before it finished"
        for staged in (self.folder / MODELS_DIR).glob(".staging-*"):
            pid = staged.name.split("-")[1]
            if not pid_alive(int(pid) if pid.isdigit() else None):
                shutil.rmtree(staged, ignore_errors=True)

    # -------------------------------------------------------------- sessions

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One user action = one transaction: committed on success, rolled back on any error."""
        with self.sessions() as s, s.begin():
            yield s

    @contextmanager
    def reading(self) -> Iterator[Session]:
        with self.sessions() as s:
            yield s

    @property
    def name(self) -> str:
        with self.reading() as s:
            return s.scalar(select(ProjectRow.name)) or self.folder.name

    @property
    def image_root(self) -> str:
        return str(self.folder)

    def schema(self) -> LabelSchema:
        with self.reading() as s:
            return repo.get_schema(s)

    # -------------------------------------------------------------- images

    def store_image(self, source: Path) -> tuple[str, str, str]:
        """Copy an image file into the project under its content hash → (sha256, rel_path, name)."""
        source = Path(source)
        if not source.is_file():
            raise MadpgError(f"image {source} does not exist")
        sha = file_sha256(source)
        suffix = source.suffix.lower() if source.suffix.lower() in IMAGE_SUFFIXES else ".bin"
        rel = f"{IMAGE_DIR}/{sha[:2]}/{sha}{suffix}"
        target = self.folder / rel
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            tmp = target.with_suffix(target.suffix + ".part")
            shutil.copyfile(source, tmp)
            tmp.replace(target)  # atomic: a crash never leaves half an image under the final name
        return sha, rel, source.name
