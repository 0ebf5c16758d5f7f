"""Project files that are not what they seem, backups, read-only opens, and two writers at once."""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
import threading
import time
from pathlib import Path

import pytest

from madpg_core import registry
from madpg_core.domain import Record, Span
from madpg_core.errors import MadpgError
from madpg_core.storage import backups, db, repo
from madpg_core.storage.project import DB_NAME, Project


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    with Project.create(tmp_path / "p") as p, p.transaction() as s:
        for i in range(3):
            repo.add_record(s, Record(f"患者{i}肺炎", (Span(3, 5, "Disease"),), name=f"r{i}"))
    return tmp_path / "p"


def _tables(path: Path) -> set[str]:
    con = sqlite3.connect(path)
    try:
        return {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    finally:
        con.close()


def test_alembic_head_is_the_revision_the_code_names() -> None:
    from alembic.script import ScriptDirectory

    assert ScriptDirectory(str(db.MIGRATIONS)).get_current_head() == db.HEAD_REVISION


def test_another_applications_database_is_refused_and_left_unchanged(tmp_path: Path) -> None:
    folder = tmp_path / "foreign"
    folder.mkdir()
    con = sqlite3.connect(folder / DB_NAME)
    con.execute("CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT)")
    con.commit()
    con.close()
    with pytest.raises(MadpgError, match="not a MADPG project file.*customers"):
        Project.open(folder)
    assert _tables(folder / DB_NAME) == {"customers"}


def test_zero_byte_and_non_sqlite_files_are_refused(tmp_path: Path) -> None:
    folder = tmp_path / "z"
    folder.mkdir()
    (folder / DB_NAME).write_bytes(b"")
    with pytest.raises(MadpgError, match="empty"):
        Project.open(folder)
    assert (folder / DB_NAME).stat().st_size == 0  # nothing was created in it
    (folder / DB_NAME).write_bytes(b"hello, not a database" * 100)
    with pytest.raises(MadpgError, match="not an SQLite database"):
        Project.open(folder)


def test_a_newer_schema_is_refused_with_update_advice(folder: Path) -> None:
    con = sqlite3.connect(folder / DB_NAME)
    con.execute("UPDATE alembic_version SET version_num='ffff9999'")
    con.commit()
    con.close()
    with pytest.raises(MadpgError, match="newer MADPG.*ffff9999.*update"):
        Project.open(folder)


def test_one_backup_per_day_last_ones_kept_and_restorable(folder: Path) -> None:
    day = dt.datetime(2026, 11, 1, 9, 0)
    for i in range(10):
        backups.daily_backup(folder / DB_NAME, now=day + dt.timedelta(days=i), keep=4)
        assert backups.daily_backup(folder / DB_NAME, now=day + dt.timedelta(days=i, hours=5), keep=4) is None
    kept = backups.list_backups(folder)
    assert [backups.backup_taken_on(b).day for b in kept] == [10, 9, 8, 7]
    with Project.open(folder, backup=False) as p, p.transaction() as s:
        repo.delete_record(s, 1)  # a mistake, after the backups
    aside = backups.restore(folder, kept[0].name)
    with Project.open(folder, backup=False) as p, p.reading() as s:
        assert repo.record_ids(s) == [1, 2, 3]
    assert aside.exists() and aside.parent == backups.backup_dir(folder)


def test_opening_for_writing_takes_the_days_backup(folder: Path) -> None:
    assert backups.list_backups(folder) == []
    Project.open(folder).close()
    Project.open(folder).close()
    assert len(backups.list_backups(folder)) == 1


def test_restore_does_not_replay_the_replaced_files_wal(folder: Path) -> None:
    backups.daily_backup(folder / DB_NAME)
    keeper = sqlite3.connect(folder / DB_NAME)  # another reader: the WAL stays un-checkpointed
    keeper.execute("SELECT count(*) FROM records").fetchone()
    with Project.open(folder, backup=False) as p, p.transaction() as s:
        repo.add_record(s, Record("后来的记录", (), name="later"))
    wal = {sfx: Path(str(folder / DB_NAME) + sfx).read_bytes() for sfx in ("-wal", "-shm")}
    keeper.close()
    for sfx, data in wal.items():  # as a crash would leave them
        Path(str(folder / DB_NAME) + sfx).write_bytes(data)
    backups.restore(folder, backups.last_good(folder))
    with Project.open(folder, backup=False) as p, p.reading() as s:
        assert repo.record_ids(s) == [1, 2, 3]


def test_a_damaged_file_names_the_last_good_backup(folder: Path) -> None:
    backups.daily_backup(folder / DB_NAME)
    with Project.open(folder, backup=False) as p, p.transaction() as s:
        for i in range(300):
            repo.add_record(s, Record("很长的记录" * 40, (), name=f"x{i}"))
    con = sqlite3.connect(folder / DB_NAME)
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()
    data = bytearray((folder / DB_NAME).read_bytes())
    page = 4096
    data[2 * page : 40 * page] = os.urandom(38 * page)
    (folder / DB_NAME).write_bytes(bytes(data))
    with pytest.raises(MadpgError, match=r"damaged.*last good backup is .*project-\d{8}-\d{6}\.sqlite"):
        with Project.open(folder) as p, p.reading() as s:
            list(repo.iter_records(s))


def test_read_only_open_writes_nothing(folder: Path) -> None:
    before = {p.name: p.stat().st_mtime_ns for p in folder.iterdir()}
    with Project.open(folder, read_only=True) as p:
        with p.reading() as s:
            assert repo.stats(s).records == 3
        with pytest.raises(MadpgError, match="read-only"), p.transaction():
            pass
    assert not (folder / backups.BACKUP_DIR).exists()
    after = {p.name: p.stat().st_mtime_ns for p in folder.iterdir() if not p.name.startswith(DB_NAME + "-")}
    assert after == {k: v for k, v in before.items() if not k.startswith(DB_NAME + "-")}


def test_a_second_writer_waits_says_so_and_succeeds(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(db, "BUSY_SLICE_MS", 100)
    holder = Project.open(folder, backup=False)
    waits: list[float] = []
    second = Project.open(folder, backup=False, on_wait=waits.append)
    locked, release = threading.Event(), threading.Event()

    def hold() -> None:
        with holder.transaction() as s:
            repo.add_record(s, Record("先写的", (), name="first"))
            locked.set()
            release.wait(5)

    t = threading.Thread(target=hold)
    t.start()
    locked.wait(5)
    threading.Timer(0.8, release.set).start()
    with second.transaction() as s:  # before: "database is locked" after the timeout, edit lost
        repo.add_span(s, 1, Span(0, 2, "Symptom"))
    t.join()
    assert waits, "the waiting writer was never told it waits"
    with second.reading() as s:
        assert len(repo.get_record(s, 1).spans) == 2 and len(repo.record_ids(s)) == 4
    holder.close()
    second.close()


def test_a_writer_gives_up_with_a_message_not_a_lock_error(folder: Path) -> None:
    raw = sqlite3.connect(folder / DB_NAME, isolation_level=None)
    raw.execute("BEGIN IMMEDIATE")
    try:
        other = sqlite3.connect(folder / DB_NAME, isolation_level=None, timeout=0.05)
        started = time.monotonic()
        with pytest.raises(MadpgError, match="another program has been writing"):
            db.begin_immediate(other, None, limit_s=0.3)
        assert time.monotonic() - started < 5
    finally:
        raw.execute("ROLLBACK")


def test_two_first_uses_register_the_bundled_model_once(folder: Path) -> None:
    if not (registry.default_model_dir() / "config.json").is_file():
        pytest.skip("no bundled model in resources/models/default")
    errors: list[BaseException] = []

    def first_use() -> None:
        try:
            with Project.open(folder, backup=False) as p:
                registry.versions(p)
        except BaseException as e:  # noqa: BLE001 - collected for the assertion
            errors.append(e)

    threads = [threading.Thread(target=first_use) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    with Project.open(folder, backup=False) as p:
        assert [v.version for v in registry.versions(p)] == [0]
