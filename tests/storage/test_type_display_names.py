"""Migration 0004: entity types gain display names per language; older projects keep working and
show the built-in names; what the ORM declares is what the migrations build."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from madpg_core.domain import EntityType, LabelSchema, display_name
from madpg_core.storage import db, repo
from madpg_core.storage.orm import Base
from madpg_core.storage.project import Project


def test_a_project_of_revision_0003_opens_with_built_in_display_names(tmp_path: Path) -> None:
    folder = tmp_path / "old"
    folder.mkdir()
    engine = db.make_engine(folder / "project.sqlite")
    db.upgrade(engine, "0003")
    engine.dispose()
    con = sqlite3.connect(folder / "project.sqlite")
    con.executescript("""
        INSERT INTO project (id, name, created_at) VALUES (1, 'old', '2026-01-01 00:00:00');
        INSERT INTO entity_types (id, name, color, key, position) VALUES (1, 'Disease', '#D55E00', '1', 0);
        INSERT INTO entity_types (id, name, color, key, position) VALUES (2, 'Finding', '#56B4E9', '2', 1);
    """)
    con.commit()
    con.close()
    with Project.open(folder) as p:
        assert db.current_revision(p.engine) == db.HEAD_REVISION
        schema = p.schema()
    assert [t.display_names for t in schema.types] == [(), ()]  # nothing was written for the user
    assert [display_name(t, "zh_CN") for t in schema.types] == ["疾病", "Finding"]


def test_display_names_are_stored_and_follow_a_rename(tmp_path: Path) -> None:
    with Project.create(tmp_path / "p") as p:
        assert [display_name(t, "zh_CN") for t in p.schema().types][:2] == ["疾病", "症状"]
        assert p.schema().types[0].own_display_name("zh_CN") == "疾病"  # a new project stores them
        edited = LabelSchema((EntityType("Illness", "#D55E00", "1", (("zh_CN", "病名"),)),
                              EntityType("Symptom", "#56B4E9", "2")))
        with p.transaction() as s:
            repo.set_schema(s, edited, renames={"Disease": "Illness"}, delete_spans_of_removed=True)
        with Project.open(p.folder, read_only=True) as again:
            schema = again.schema()
    assert schema == edited
    assert [display_name(t, "zh_CN") for t in schema.types] == ["病名", "症状"]


def test_orm_and_migrations_declare_the_same_tables(tmp_path: Path) -> None:
    engine = db.make_engine(tmp_path / "x.sqlite")
    db.upgrade(engine)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []
