"""Rolling backups of ``project.sqlite`` in ``PROJECT/backups/``.

A backup is taken when a project is opened for writing, at most one per calendar day, and the
newest ``KEEP`` are kept. It is made with SQLite's online backup API (a consistent copy even while
another process writes) and only after ``PRAGMA quick_check`` passed, so every file here is a good
one: when the project file is damaged, the newest backup is the one to restore. Images are not
copied: they are content-addressed and never changed, so a restored file finds them where they were.

A server project (a PostgreSQL database, storage/server.py) takes no backups here: the
department's ``pg_dump`` (or the server's own backup) is its backup, which MADPG can neither take
with a desk's rights nor restore into a database others are using.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import shutil
import sqlite3
from pathlib import Path
from urllib.parse import quote

from madpg_core.errors import MadpgError

log = logging.getLogger(__name__)

BACKUP_DIR = "backups"
KEEP = 7
PREFIX = "project-"  # project-YYYYMMDD-HHMMSS.sqlite; the replaced file of a restore is "replaced-…"


def backup_dir(folder: Path) -> Path:
    return Path(folder) / BACKUP_DIR


def list_backups(folder: Path) -> list[Path]:
    """Backups of the project in ``folder``, newest first."""
    d = backup_dir(folder)
    if not d.is_dir():
        return []
    return sorted((p for p in d.glob(f"{PREFIX}*.sqlite") if p.is_file()), key=lambda p: p.name, reverse=True)


def last_good(folder: Path) -> Path | None:
    found = list_backups(folder)
    return found[0] if found else None


def backup_taken_on(path: Path) -> dt.datetime | None:
    try:
        return dt.datetime.strptime(path.stem[len(PREFIX):], "%Y%m%d-%H%M%S")
    except ValueError:
        return None


def _connect_ro(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"file:{quote(str(path.resolve()))}?mode=ro", uri=True)


def quick_check(path: Path) -> str:
    """'ok', or SQLite's first complaint about the file."""
    try:
        conn = _connect_ro(path)
        try:
            row = conn.execute("PRAGMA quick_check(1)").fetchone()
        finally:
            conn.close()
    except sqlite3.DatabaseError as e:
        return str(e)
    return str(row[0]) if row else "no answer from quick_check"


def daily_backup(db_path: Path, *, now: dt.datetime | None = None, keep: int = KEEP) -> Path | None:
    """Copy ``db_path`` to ``backups/`` unless today's copy exists. Returns the new backup, or None.

    Raises:
        MadpgError: the project file fails SQLite's quick check (it is damaged); the message names
            the last good backup.
    """
    db_path = Path(db_path)
    folder = db_path.parent
    now = now or dt.datetime.now()
    newest = last_good(folder)
    taken = backup_taken_on(newest) if newest else None
    if taken is not None and taken.date() == now.date():
        return None
    verdict = quick_check(db_path)
    if verdict != "ok":
        raise damaged_error(db_path, verdict)
    target = backup_dir(folder) / f"{PREFIX}{now:%Y%m%d-%H%M%S}.sqlite"
    # Two programs opening the project in the same second both get here: each writes its own part.
    part = target.with_name(f".{target.name}.{os.getpid()}.part")
    try:
        target.parent.mkdir(exist_ok=True)
        src = _connect_ro(db_path)
        try:
            dst = sqlite3.connect(part)
            try:
                src.backup(dst)
            finally:
                dst.close()
        finally:
            src.close()
        part.replace(target)
    except (OSError, sqlite3.Error) as e:
        # A backup that cannot be written (full disk, read-only backups/) must not keep the user
        # from the project; it is tried again at the next open.
        part.unlink(missing_ok=True)
        log.warning("could not back up %s: %s", db_path, e)
        return None
    for old in list_backups(folder)[keep:]:
        old.unlink(missing_ok=True)
    for stale in backup_dir(folder).glob(".*.part"):
        pid = stale.name.rsplit(".", 2)[-2]
        if pid.isdigit() and int(pid) != os.getpid() and not _alive(int(pid)):
            stale.unlink(missing_ok=True)
    return target


def _alive(pid: int) -> bool:
    from madpg_core.storage.image_store import pid_alive

    return pid_alive(pid)


def damaged_error(db_path: Path, problem: object) -> MadpgError:
    good = last_good(Path(db_path).parent)
    hint = (f"the last good backup is {good}; restore it with `madpg restore {Path(db_path).parent} {good.name}` "
            "or File ▸ Restore backup…") if good else "no backup of it exists"
    return MadpgError(f"project file {db_path} is damaged ({problem}); {hint}")


def restore(folder: Path, backup: Path | str) -> Path:
    """Make ``backup`` the project's file. The file it replaces is kept as backups/replaced-….sqlite
    (with its WAL, so nothing it held is lost). Call with the project closed everywhere.

    Returns the path the replaced file was moved to.
    """
    folder = Path(folder)
    db_path = folder / "project.sqlite"
    backup = Path(backup)
    if not backup.is_absolute() and not backup.exists():
        backup = backup_dir(folder) / backup
    if not backup.is_file():
        raise MadpgError(f"backup {backup} does not exist; see `madpg backups {folder}`")
    verdict = quick_check(backup)
    if verdict != "ok":
        raise MadpgError(f"backup {backup} is damaged too ({verdict}); pick another one")
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    aside = backup_dir(folder) / f"replaced-{stamp}.sqlite"
    aside.parent.mkdir(exist_ok=True)
    # The copy first: if it fails (a full disk), the project file has not moved yet.
    part = db_path.with_name(db_path.name + ".part")
    try:
        shutil.copyfile(backup, part)
    except BaseException:
        part.unlink(missing_ok=True)
        raise
    # The WAL and its index belong to the replaced file: left in place, SQLite would replay the old
    # file's last transactions onto the restored one.
    for suffix in ("", "-wal", "-shm"):
        cur = Path(str(db_path) + suffix)
        if cur.exists():
            os.replace(cur, Path(str(aside) + suffix))
    part.replace(db_path)
    return aside
