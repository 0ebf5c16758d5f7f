"""Migration 0006: spans gain an assertion status and a layer, the project its offered statuses.
A project of revision 0005 opens with every span present in layer 0 and nothing rewritten; a
downgrade drops the nested spans the older code could not read."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlalchemy import inspect

from madpg_core.domain import ASSERTION_STATUSES, Span
from madpg_core.storage import db, repo
from madpg_core.storage.project import Project


def _project_of_0005(folder: Path) -> None:
    folder.mkdir()
    engine = db.make_engine(folder / "project.sqlite")
    db.upgrade(engine, "0005")
    engine.dispose()
    con = sqlite3.connect(folder / "project.sqlite")
    con.executescript("""
        INSERT INTO project (id, name, created_at) VALUES (1, 'old', '2026-01-01 00:00:00');
        INSERT INTO entity_types (id, name, color, key, position) VALUES (1, 'Disease', '#D55E00', '1', 0);
        INSERT INTO entity_types (id, name, color, key, position) VALUES (2, 'Organ', '#56B4E9', '2', 1);
        INSERT INTO records (id, name, text, status, created_at, updated_at)
            VALUES (1, 'r1', '否认左肺结节', 'reviewed', '2026-01-01', '2026-01-01');
        INSERT INTO spans (record_id, start, "end", type_id, source, created_at)
            VALUES (1, 2, 6, 1, 'annotator', '2026-01-01');
    """)
    con.commit()
    con.close()


def test_a_project_of_revision_0005_reads_present_and_layer_0(tmp_path: Path) -> None:
    folder = tmp_path / "old"
    _project_of_0005(folder)
    with Project.open(folder) as p:
        assert db.current_revision(p.engine) == db.HEAD_REVISION
        with p.reading() as s:
            spans = repo.get_record(s, 1).spans
            assert repo.get_assertion_statuses(s) == ASSERTION_STATUSES
        with p.transaction() as s:  # a nested span can be added to the upgraded file
            repo.add_span(s, 1, Span(2, 4, "Organ", assertion="absent", layer=1))
    assert [(x.start, x.end, x.assertion, x.layer) for x in spans] == [(2, 6, "present", 0)]
    con = sqlite3.connect(folder / "project.sqlite")
    rows = con.execute('SELECT start, assertion, layer FROM spans ORDER BY start, layer').fetchall()
    con.close()
    assert rows == [(2, None, None), (2, "absent", 1)]  # the old row was not rewritten


def test_downgrade_to_0005_drops_nested_spans_and_the_columns(tmp_path: Path) -> None:
    folder = tmp_path / "old"
    _project_of_0005(folder)
    with Project.open(folder) as p, p.transaction() as s:
        repo.add_span(s, 1, Span(2, 4, "Organ", layer=1))
        repo.set_assertion_statuses(s, ["present", "absent"])
    engine = db.make_engine(folder / "project.sqlite")
    from alembic import command

    command.downgrade(db.alembic_config(engine), "0005")
    columns = {c["name"] for c in inspect(engine).get_columns("spans")}
    assert "layer" not in columns and "assertion" not in columns
    assert "assertion_statuses" not in {c["name"] for c in inspect(engine).get_columns("project")}
    with engine.connect() as c:
        assert c.exec_driver_sql("SELECT start, \"end\" FROM spans").all() == [(2, 6)]
    engine.dispose()
