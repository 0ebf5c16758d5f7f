"""Images of one import, staged so that a refused or failed import leaves none behind.

Each image is decoded (by a validator the caller passes: storage knows no image formats), hashed
and copied into ``images/.staging-PID-N/`` — or, when the caller passes a rewriter (DICOM
de-identification), the rewriter's output is written there instead and hashed, so the original
never enters the project. Inside the import's transaction, as its last step,
:meth:`ImageStaging.publish` moves them to their content-addressed names under ``images/`` after
noting each new name in a journal. When the transaction fails the new names are removed again;
when the process dies between the move and the commit, the next writable open of the project reads
the journal of the dead process and removes the files no record refers to (``sweep``).
"""

from __future__ import annotations

import hashlib
import os
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

IMAGE_DIR = "images"
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".dcm", ".dicom", ".bmp", ".tif", ".tiff")
JOURNAL = "published.txt"

Validator = Callable[[Path], None]  # raises MadpgError for a file that is not a readable image
IsReferenced = Callable[[str], bool]  # rel_path → does a record refer to it?
Rewriter = Callable[[Path, Path], bool]  # (source, target) → wrote a changed copy to target?


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _copy_hashing(source: Path, target: Path) -> str:
    h = hashlib.sha256()
    with open(source, "rb") as f, open(target, "wb") as out:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
            out.write(chunk)
    return h.hexdigest()


def rel_path_for(sha: str, source: Path) -> str:
    suffix = source.suffix.lower() if source.suffix.lower() in IMAGE_SUFFIXES else ".bin"
    return f"{IMAGE_DIR}/{sha[:2]}/{sha}{suffix}"


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


class ImageStaging:
    def __init__(self, project_folder: Path, validate: Validator | None = None,
                 rewrite: Rewriter | None = None) -> None:
        self.folder = Path(project_folder)
        self.validate = validate
        self.rewrite = rewrite
        base = self.folder / IMAGE_DIR
        base.mkdir(exist_ok=True)
        n = 1
        while (base / f".staging-{os.getpid()}-{n}").exists():
            n += 1
        self.dir = base / f".staging-{os.getpid()}-{n}"
        self.dir.mkdir()
        self._pending: dict[str, Path] = {}  # rel_path → staged copy
        self.published: list[str] = []  # rel_paths this import created under images/

    def add(self, source: Path) -> tuple[str, str, str]:
        """Validate and stage one image → (sha256, rel_path, original file name)."""
        source = Path(source)
        if self.validate is not None:
            self.validate(source)
        # A copy: one read of the source, copied and hashed together, so the name is the copy's hash.
        incoming = self.dir / f"incoming{len(self._pending)}"
        if self.rewrite is not None and self.rewrite(source, incoming):
            sha = file_sha256(incoming)  # the name is the hash of what the project holds
        else:
            sha = _copy_hashing(source, incoming)
        rel = rel_path_for(sha, source)
        if rel in self._pending or (self.folder / rel).exists():
            incoming.unlink()
        else:
            self._pending[rel] = incoming.rename(self.dir / Path(rel).name)
        return sha, rel, source.name

    def publish(self) -> None:
        """Move the staged images to their final names (journal first, then each atomic rename)."""
        if not self._pending:
            return
        with open(self.dir / JOURNAL, "a", encoding="utf-8") as journal:
            journal.write("".join(rel + "\n" for rel in self._pending))
            journal.flush()
            os.fsync(journal.fileno())
        for rel, staged in self._pending.items():
            target = self.folder / rel
            if target.exists():
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(staged, target)
            self.published.append(rel)
        self._pending.clear()

    def rollback(self, is_referenced: IsReferenced) -> None:
        """The transaction failed: remove what this import published, unless a record (of another
        import that committed meanwhile) refers to it."""
        for rel in self.published:
            if not is_referenced(rel):
                (self.folder / rel).unlink(missing_ok=True)
        self.published.clear()
        self.close()

    def close(self) -> None:
        shutil.rmtree(self.dir, ignore_errors=True)


@contextmanager
def staged_images(project_folder: Path, is_referenced: IsReferenced, validate: Validator | None = None,
                  rewrite: Rewriter | None = None) -> Iterator[ImageStaging]:
    staging = ImageStaging(project_folder, validate, rewrite)
    try:
        yield staging
    except BaseException:
        staging.rollback(is_referenced)
        raise
    staging.close()


def sweep(project_folder: Path, is_referenced: IsReferenced) -> int:
    """Remove what imports of dead processes left: their staging folders, and the images they
    published whose transaction never committed. Returns the number of images removed."""
    removed = 0
    for staged in (Path(project_folder) / IMAGE_DIR).glob(".staging-*"):
        pid = staged.name.split("-")[1]
        if pid_alive(int(pid) if pid.isdigit() else None):
            continue
        journal = staged / JOURNAL
        if journal.is_file():
            for rel in journal.read_text(encoding="utf-8").split("\n"):
                if rel and not is_referenced(rel) and (Path(project_folder) / rel).is_file():
                    (Path(project_folder) / rel).unlink()
                    removed += 1
        shutil.rmtree(staged, ignore_errors=True)
    return removed
