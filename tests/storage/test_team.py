"""Annotators, assignment and sheets (issue 17): sheets stay apart from the gold spans that every
reader (export, training, statistics) sees; pre-labels seed a sheet once; every write is attributed;
a project of revision 0007 migrates with its spans attributed to "unknown"."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import text

from madpg_core.domain import Record, RecordStatus, Span, SpanSource
from madpg_core.errors import MadpgError
from madpg_core.storage import db, repo, team
from madpg_core.storage.project import Project

TEXT = "患者反复胸闷气促三年，否认高血压。"


@pytest.fixture(params=["sqlite", "postgresql"])
def project(request: pytest.FixtureRequest, tmp_path: Path) -> Project:
    # a project folder, or a server project (skipped, saying why, where no PostgreSQL is configured)
    p = Project.create(tmp_path / "p" if request.param == "sqlite" else request.getfixturevalue("pg_url"))
    p.annotator = "curator"
    with p.transaction() as s:
        for i in range(10):
            repo.add_record(s, Record(TEXT, (Span(4, 6, "Symptom", SpanSource.MODEL, "v1", 0.7),), name=f"r{i}"))
    yield p
    p.close()


def _as(p: Project, name: str):  # noqa: ANN202 - a transaction context manager
    p.annotator = name
    return p.transaction()


def test_annotators_are_added_on_first_write_and_listed(project: Project) -> None:
    with _as(project, "wang") as s:
        assert team.current_annotator(s) == "wang"
        first = team.ensure_annotator(s, "  li  ")
        assert team.ensure_annotator(s, "li") == first  # trimmed, one row
    with project.reading() as s:
        assert team.list_annotators(s) == ["curator", "li", "unknown"]  # "unknown" from migration 0008
    with project.transaction() as s, pytest.raises(MadpgError, match="needs a name"):
        team.ensure_annotator(s, "   ")


def test_assignment_and_the_seeded_double_sample(project: Project) -> None:
    with _as(project, "curator") as s:
        chosen = team.assign_double_sample(s, ["wang", "li"], 0.3, seed=1)
        assert len(chosen) == 3
        assert team.assign(s, [1], ["zhao"]) == 1
        assert team.assign(s, [1], ["zhao"]) == 0  # an assignment that exists stays, once
    with project.transaction() as s:
        again = team.sample_records(list(range(1, 11)), 0.3, 1)
    assert chosen == again  # the same seed draws the same records
    with project.reading() as s:
        for rid in chosen:
            assert team.is_double(s, rid)
            assert {"li", "wang"} <= set(team.assigned_to(s, rid))
        assert team.records_assigned(s, "wang") == chosen
        assert team.records_assigned(s, "nobody") == []
        single = next(i for i in range(1, 11) if i not in chosen)
        assert not team.is_double(s, single)
        assert team.double_records(s) == chosen
        assert team.assignments(s)[chosen[0]] == team.assigned_to(s, chosen[0])
    with project.transaction() as s:
        assert team.unassign(s, [chosen[0]], ["li"]) == 1
        assert team.unassign(s, [chosen[0]], ["li"]) == 0
        assert "li" not in team.assigned_to(s, chosen[0]) and "wang" in team.assigned_to(s, chosen[0])
        with pytest.raises(MadpgError, match="two or more annotators"):
            team.assign_double_sample(s, ["wang"], 0.5, 1)
        with pytest.raises(MadpgError, match=r"\(0, 1\]"):
            team.assign_double_sample(s, ["wang", "li"], 0.0, 1)
        with pytest.raises(MadpgError, match="no record with id 999"):
            team.assign(s, [999], ["wang"])


def test_sheets_are_apart_from_gold_and_seeded_once(project: Project) -> None:
    with _as(project, "curator") as s:
        team.assign(s, [1], ["wang", "li"])
    with _as(project, "wang") as s:
        assert team.seed_sheet(s, 1, "wang") == 1  # the model's span, still a model span
        sid = repo.add_span(s, 1, Span(6, 8, "Symptom"), sheet="wang")
        assert team.seed_sheet(s, 1, "wang") == 0  # once only
    with _as(project, "wang") as s:
        repo.delete_span(s, repo.find_span(s, 1, 4, 6, sheet="wang"))
        assert team.seed_sheet(s, 1, "wang") == 0  # a sheet emptied on purpose is not seeded again
    with project.reading() as s:
        wang = repo.get_record(s, 1, sheet="wang").spans
        gold = repo.get_record(s, 1).spans
        assert [(x.start, x.end, x.source) for x in wang] == [(6, 8, SpanSource.ANNOTATOR)]
        assert [(x.start, x.end, x.source) for x in gold] == [(4, 6, SpanSource.MODEL)]
        assert repo.get_record(s, 1, sheet="li").spans == ()
        assert repo.get_record(s, 1, sheet="nobody").spans == ()
        assert team.sheet_names(s, 1) == ["wang"]
        assert repo.find_span(s, 1, 6, 8) is None and repo.find_span(s, 1, 6, 8, sheet="wang") == sid
        # every reader of gold spans sees only them
        assert [r.spans for r in repo.iter_records(s) if r.id == 1][0] == gold
        assert next(x for x in repo.list_records(s) if x.id == 1).n_spans == 1
        assert repo.stats(s).entities_by_type["Symptom"] == 10
        assert repo.type_usage(s)["Symptom"] == 11  # all rows: what removing the type would delete
    with _as(project, "li") as s:
        assert team.seed_sheet(s, 1, "li") == 1
        repo.replace_spans(s, 1, [Span(4, 8, "Disease")], sheet="li")
    with project.reading() as s:
        assert [x.label for x in repo.get_record(s, 1, sheet="li").spans] == ["Disease"]
        assert [x.label for x in repo.get_record(s, 1, sheet="wang").spans] == ["Symptom"]
        assert [x.label for x in repo.get_record(s, 1).spans] == ["Symptom"]
        assert team.sheets(s, 1) == {"li": [Span(4, 8, "Disease")], "wang": [Span(6, 8, "Symptom")]}


def test_an_overlap_is_checked_within_the_sheet_only(project: Project) -> None:
    with project.transaction() as s:
        repo.add_span(s, 1, Span(4, 8, "Disease"), sheet="wang")  # overlaps the gold 4–6: another set
        with pytest.raises(MadpgError, match="overlaps"):
            repo.add_span(s, 1, Span(5, 7, "Disease"), sheet="wang")


def test_export_and_training_read_only_gold(project: Project, tmp_path: Path) -> None:
    from madpg_core.transfer import export_project

    with project.transaction() as s:
        repo.add_span(s, 2, Span(11, 13, "Disease"), sheet="wang")
        repo.replace_spans(s, 2, [Span(0, 2, "Organ")], sheet="li")
    out = tmp_path / "out.jsonl"
    export_project(project, out, "jsonl")
    rows = [json.loads(line) for line in out.read_text("utf-8").splitlines()]
    labels = {r["name"]: sorted(x["label"] for x in r["spans"]) for r in rows}
    assert labels["r1"] == ["Symptom"]  # no sheet span leaked into the export
    with project.reading() as s:  # what check_set/version_scores/retrain read
        reviewed = list(repo.iter_records(s))
    assert all(len(r.spans) == 1 for r in reviewed)


def test_replace_import_keeps_the_sheets(project: Project, tmp_path: Path) -> None:
    from madpg_core.storage import duplicates

    with project.transaction() as s:
        repo.add_span(s, 3, Span(11, 13, "Disease"), sheet="wang")
        before = repo.get_record(s, 3).revision
    with project.transaction() as s:
        duplicates.replace_contents(s, [(3, Record(TEXT, (Span(0, 2, "Organ"),), name="r2"))], [()])
    with project.reading() as s:
        assert repo.get_record(s, 3).revision == before + 1  # new gold spans: an older read is stale
        assert [x.label for x in repo.get_record(s, 3).spans] == ["Organ"]
        assert [x.label for x in repo.get_record(s, 3, sheet="wang").spans] == ["Disease"]


def test_writes_are_attributed_and_bump_revisions(project: Project) -> None:
    with _as(project, "wang") as s:
        sid = repo.add_span(s, 1, Span(11, 13, "Disease"))
        rev0 = repo.get_record(s, 1).revision
        repo.change_span_label(s, sid, "Symptom")
        repo.set_status(s, 1, RecordStatus.REVIEWED)
    with project.reading() as s:  # the columns themselves, as another program would read them
        name = s.execute(text("SELECT a.name, s.revision FROM spans s JOIN annotators a ON a.id = s.annotator_id "
                              "WHERE s.id = :i"), {"i": sid}).one()
        status = s.execute(text("SELECT a.name, r.status_at, r.revision FROM records r "
                                "JOIN annotators a ON a.id = r.status_by WHERE r.id = 1")).one()
        model = s.execute(text("SELECT a.name FROM spans s JOIN annotators a ON a.id = s.annotator_id "
                               "WHERE s.record_id = 2")).one()
    assert tuple(name) == ("wang", 2)
    assert status[0] == "wang" and status[1] is not None and status[2] > rev0
    assert tuple(model) == ("curator",)  # add_record attributes too


def test_adjudication_writes_gold_and_marks_reviewed(project: Project) -> None:
    with _as(project, "curator") as s:
        team.assign(s, [1], ["wang", "li"])
        repo.add_span(s, 1, Span(4, 6, "Symptom"), sheet="wang")
        repo.add_span(s, 1, Span(4, 6, "Symptom"), sheet="li")
        ids = team.adjudicate(s, 1, [Span(4, 6, "Symptom", SpanSource.MODEL, "v1", 0.5)])
    with project.reading() as s:
        r = repo.get_record(s, 1)
        assert r.status == RecordStatus.REVIEWED and [x.id for x in r.spans] == ids
        assert r.spans[0].source == SpanSource.ANNOTATOR and r.spans[0].confidence is None
        assert team.sheet_names(s, 1) == ["li", "wang"]  # the sheets stay


def _project_of_0007(folder: Path) -> None:
    folder.mkdir()
    engine = db.make_engine(folder / "project.sqlite")
    db.upgrade(engine, "0007")
    engine.dispose()
    con = sqlite3.connect(folder / "project.sqlite")
    con.executescript("""
        INSERT INTO project (id, name, created_at) VALUES (1, 'old', '2026-01-01 00:00:00');
        INSERT INTO entity_types (id, name, color, key, position) VALUES (1, 'Disease', '#D55E00', '1', 0);
        INSERT INTO records (id, name, text, status, created_at, updated_at)
            VALUES (1, 'r1', '否认左肺结节', 'reviewed', '2026-01-01', '2026-01-01');
        INSERT INTO spans (record_id, start, "end", type_id, source, created_at, layer)
            VALUES (1, 2, 6, 1, 'annotator', '2026-01-01', 0);
    """)
    con.commit()
    con.close()


def test_a_project_of_revision_0007_migrates_with_spans_by_unknown(tmp_path: Path) -> None:
    folder = tmp_path / "old"
    _project_of_0007(folder)
    with Project.open(folder) as p:
        assert db.current_revision(p.engine) == "0008"
        with p.reading() as s:
            r = repo.get_record(s, 1)
            assert [(x.start, x.end, x.revision) for x in r.spans] == [(2, 6, 1)] and r.revision == 1
            assert team.list_annotators(s) == ["unknown"]
    con = sqlite3.connect(folder / "project.sqlite")
    try:
        who = con.execute("SELECT a.name, s.sheet_of FROM spans s JOIN annotators a ON a.id = s.annotator_id")
        assert who.fetchall() == [("unknown", None)]
    finally:
        con.close()


def test_a_sheet_has_its_own_status_apart_from_the_record(project: Project) -> None:
    with _as(project, "wang") as s:
        team.assign(s, [1], ["wang", "li"])
        team.set_sheet_status(s, 1, "wang", RecordStatus.REVIEWED)
    with _as(project, "li") as s:
        team.set_sheet_status(s, 1, "li", RecordStatus.REVIEWED)
        team.set_sheet_status(s, 1, "li", RecordStatus.NEW)  # undo: a new entry, the newest wins
    with project.reading() as s:
        assert team.sheet_statuses(s, 1) == {"wang": RecordStatus.REVIEWED, "li": RecordStatus.NEW}
        assert repo.get_record(s, 1).status == RecordStatus.NEW  # the gold spans are not final yet
