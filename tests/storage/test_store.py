from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import inspect

from madpg_core.domain import LabelSchema, Record, RecordStatus, Span, SpanSource
from madpg_core.errors import MadpgError, OverlapError
from madpg_core.storage import db, repo
from madpg_core.storage.parse_cache import SqlParseCache
from madpg_core.storage.project import Project
from madpg_core.text.protocol import Parse


@pytest.fixture
def project(tmp_path: Path) -> Project:
    with Project.create(tmp_path / "p") as p:
        yield p


def test_empty_file_upgrades_to_head(tmp_path: Path) -> None:
    engine = db.make_engine(tmp_path / "x.sqlite")
    db.upgrade(engine)
    assert db.current_revision(engine) == db.HEAD_REVISION
    tables = set(inspect(engine).get_table_names())
    assert {"project", "entity_types", "records", "images", "spans", "model_versions",
            "training_runs", "parses"} <= tables


def test_older_revision_opens_without_losing_data(tmp_path: Path) -> None:
    folder = tmp_path / "old"
    folder.mkdir()
    engine = db.make_engine(folder / "project.sqlite")
    db.upgrade(engine, "0001")
    engine.dispose()
    con = sqlite3.connect(folder / "project.sqlite")
    con.executescript("""
        INSERT INTO project (id, name, created_at) VALUES (1, 'old', '2026-01-01 00:00:00');
        INSERT INTO entity_types (id, name, color, key, position) VALUES (1, 'Disease', '#E69F00', '1', 0);
        INSERT INTO records (id, name, text, status, created_at, updated_at)
            VALUES (1, 'r1', '患者肺炎', 'reviewed', '2026-01-01', '2026-01-01');
        INSERT INTO spans (record_id, start, "end", type_id, source, created_at)
            VALUES (1, 2, 4, 1, 'annotator', '2026-01-01');
    """)
    con.commit()
    con.close()
    with Project.open(folder) as p:
        assert db.current_revision(p.engine) == db.HEAD_REVISION
        with p.reading() as s:
            rec = repo.get_record(s, 1)
    assert rec.text == "患者肺炎" and rec.status == RecordStatus.REVIEWED
    assert [(sp.start, sp.end, sp.label) for sp in rec.spans] == [(2, 4, "Disease")]


def test_pragmas(project: Project) -> None:
    with project.engine.connect() as c:
        assert c.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert c.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        # the busy handler waits in slices; the writer's retry loop around BEGIN IMMEDIATE adds up to minutes
        assert c.exec_driver_sql("PRAGMA busy_timeout").scalar() == db.BUSY_SLICE_MS
        # FULL: a committed edit survives a power cut (NORMAL in WAL mode may lose the last ones)
        assert c.exec_driver_sql("PRAGMA synchronous").scalar() == 2


def test_each_action_is_one_transaction(project: Project) -> None:
    with project.transaction() as s:
        rid = repo.add_record(s, Record("左肺下叶肺炎", (Span(0, 4, "Organ"),)))
    with pytest.raises(OverlapError), project.transaction() as s:
        repo.add_span(s, rid, Span(4, 6, "Disease"))  # fine on its own …
        repo.add_span(s, rid, Span(3, 5, "Disease"))  # … but this overlaps: the whole action rolls back
    with project.reading() as s:
        assert [sp.label for sp in repo.get_record(s, rid).spans] == ["Organ"]


def test_span_edits_and_status(project: Project) -> None:
    with project.transaction() as s:
        rid = repo.add_record(s, Record("发热咳嗽三天"))
        sid = repo.add_span(s, rid, Span(0, 2, "Symptom", SpanSource.MODEL, "v1", 0.4))
    with project.transaction() as s:
        repo.change_span_label(s, sid, "Disease")
        repo.set_status(s, rid, RecordStatus.REVIEWED)
    with project.reading() as s:
        rec = repo.get_record(s, rid)
        summary = repo.list_records(s, status=RecordStatus.REVIEWED)
    assert rec.spans[0].label == "Disease" and rec.spans[0].source == SpanSource.ANNOTATOR
    assert rec.spans[0].confidence is None
    assert [x.id for x in summary] == [rid]


def test_prelabel_never_touches_human_spans_or_reviewed_records(project: Project) -> None:
    with project.transaction() as s:
        a = repo.add_record(s, Record("发热咳嗽三天", (Span(0, 2, "Symptom"),)))
        b = repo.add_record(s, Record("头痛", status=RecordStatus.REVIEWED))
    model = [Span(0, 2, "Disease", SpanSource.MODEL, "v1", 0.9), Span(2, 4, "Symptom", SpanSource.MODEL, "v1", 0.3)]
    with project.transaction() as s:
        assert repo.replace_model_spans(s, a, model) == 1
        assert repo.replace_model_spans(s, b, [Span(0, 2, "Symptom", SpanSource.MODEL, "v1", 0.5)]) == 0
    with project.reading() as s:
        ra, rb = repo.get_record(s, a), repo.get_record(s, b)
        order = [x.id for x in repo.list_records(s, order="uncertainty")]
    assert [(sp.label, sp.source) for sp in ra.spans] == [("Symptom", SpanSource.ANNOTATOR), ("Symptom", SpanSource.MODEL)]
    assert ra.status == RecordStatus.PRELABELLED and rb.spans == ()
    assert order == [a, b]


def test_schema_refuses_to_drop_a_type_in_use(project: Project) -> None:
    with project.transaction() as s:
        repo.add_record(s, Record("肺炎", (Span(0, 2, "Disease"),)))
    smaller = LabelSchema.from_names(["Symptom", "Organ"])
    with pytest.raises(MadpgError, match="used by 1 spans"), project.transaction() as s:
        repo.set_schema(s, smaller)
    assert "Disease" in project.schema().names
    with project.transaction() as s:
        repo.set_schema(s, LabelSchema.from_names(["疾病", "Symptom"]), renames={"Disease": "疾病"})
    with project.reading() as s:
        assert repo.get_record(s, 1).spans[0].label == "疾病"
        assert repo.stats(s).entities_by_type == {"疾病": 1, "Symptom": 0}


def test_images_are_copied_under_their_hash(project: Project, tmp_path: Path) -> None:
    src = tmp_path / "scan.png"
    src.write_bytes(b"\x89PNG fake bytes")
    sha, rel, name = project.store_image(src)
    assert (project.folder / rel).read_bytes() == src.read_bytes()
    assert sha in rel and name == "scan.png"
    assert project.store_image(src)[1] == rel  # stored once


def test_model_versions_and_runs(project: Project) -> None:
    with project.transaction() as s:
        v0 = repo.add_model_version(s, "/bundled", "madpg-lite", 0, {"f1": 0.8}, version=0)
        repo.activate_model_version(s, 0)
        v1 = repo.add_model_version(s, "models/v1", "madpg-lite", 10, {"f1": 0.9})
        run = repo.start_training_run(s, "madpg-lite", {"epochs": 1})
    assert (v0.version, v1.version) == (0, 1)
    with project.reading() as s:
        assert repo.active_model_version(s).version == 0
    project.close()
    with Project.open(project.folder) as again, again.reading() as s:  # the process "died" mid-run
        runs = repo.list_training_runs(s)
    assert runs[0]["id"] == run and runs[0]["status"] == "failed"


def test_open_refuses_a_folder_that_is_not_a_project(tmp_path: Path) -> None:
    with pytest.raises(MadpgError, match="not a MADPG project"):
        Project.open(tmp_path)


def test_parse_cache_round_trip(project: Project, tmp_path: Path) -> None:
    parse = Parse(((0, 2), (2, 4)), (1, -1), "test-1")
    for cache in (SqlParseCache(project.sessions), SqlParseCache.standalone(tmp_path / "c.sqlite")):
        assert cache.get("患者胸痛", "test-1") is None
        cache.put("患者胸痛", parse)
        cache.put("患者胸痛", parse)  # idempotent
        assert cache.get("患者胸痛", "test-1") == parse
        assert cache.get("患者胸痛", "test-2") is None


def test_open_keeps_live_runs_and_clears_dead_ones(project: Project) -> None:
    import os
    import subprocess
    import sys

    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True).stdout.strip()
    with project.transaction() as s:
        live_run = repo.start_training_run(s, "p", {"pid": os.getpid()})
        dead_run = repo.start_training_run(s, "p", {"pid": int(dead)})
    models = project.folder / "models"
    (models / f".staging-{os.getpid()}-1").mkdir(parents=True)
    (models / f".staging-{dead}-1").mkdir()
    project.close()
    with Project.open(project.folder) as again, again.reading() as s:
        status = {r["id"]: r["status"] for r in repo.list_training_runs(s)}
    assert status == {live_run: "running", dead_run: "failed"}
    assert [p.name for p in models.iterdir()] == [f".staging-{os.getpid()}-1"]
