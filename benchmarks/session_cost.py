"""Cost of a session: a fresh SQLite connection per session (what the app does, NullPool) against
a pooled one (QueuePool), on the same project file. Prints ms per read session and per write
transaction. See RESULTS.md §9 for why the app does not pool."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import sqlalchemy
from sqlalchemy import text
from sqlalchemy.pool import NullPool, QueuePool

from madpg_core.storage import db
from madpg_core.storage.project import Project

READS, WRITES = 1000, 300


def measure(folder: Path, pool: type) -> tuple[float, float]:
    original = sqlalchemy.create_engine

    def with_pool(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        kwargs["poolclass"] = pool
        return original(*args, **kwargs)

    db.create_engine = with_pool
    try:
        p = Project.open(folder, backup=False)
    finally:
        db.create_engine = original
    try:
        t = time.perf_counter()
        for _ in range(READS):
            with p.reading() as s:
                s.execute(text("SELECT count(*) FROM records")).scalar()
        read_ms = (time.perf_counter() - t) / READS * 1000
        t = time.perf_counter()
        for i in range(WRITES):
            with p.transaction() as s:
                s.execute(text("UPDATE project SET name = :n"), {"n": f"p{i}"})
        write_ms = (time.perf_counter() - t) / WRITES * 1000
    finally:
        p.close()
    return read_ms, write_ms


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "p"
        Project.create(folder).close()
        print(f"{'pool':<12}{'read session ms':>17}{'write txn ms':>14}")
        for pool in (NullPool, QueuePool, NullPool, QueuePool):
            r, w = measure(folder, pool)
            print(f"{pool.__name__:<12}{r:>17.3f}{w:>14.3f}")


if __name__ == "__main__":
    main()
