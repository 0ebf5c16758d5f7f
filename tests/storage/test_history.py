"""The history (CONTEXT.md): every write of the store adds an entry in its own transaction, with
who, when, before and after; nothing rewrites an entry (undo is a new one); it exports as JSON
lines or CSV."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from madpg_core.domain import Record, RecordStatus, Span, SpanSource
from madpg_core.errors import MadpgError
from madpg_core.storage import history, repo, team
from madpg_core.storage.orm import HistoryRow
from madpg_core.storage.project import Project

TEXT = "患者反复胸闷气促三年，否认高血压。"


@pytest.fixture(params=["sqlite", "postgresql"])
def project(request: pytest.FixtureRequest, tmp_path: Path) -> Project:
    # a project folder, or a server project (skipped, saying why, where no PostgreSQL is configured)
    p = Project.create(tmp_path / "p" if request.param == "sqlite" else request.getfixturevalue("pg_url"))
    p.annotator = "wang"
    with p.transaction() as s:
        repo.add_record(s, Record(TEXT, name="r1"))
        repo.add_record(s, Record(TEXT, name="r2"))
    yield p
    p.close()


def _actions(p: Project, record_id: int | None = None) -> list[str]:
    with p.reading() as s:
        return [e.action for e in history.entries(s, record_id)]


def test_every_write_logs_one_entry(project: Project) -> None:
    writes = [
        ("add_span", lambda s: repo.add_span(s, 1, Span(4, 6, "Symptom"))),
        ("change_span_label", lambda s: repo.change_span_label(s, repo.find_span(s, 1, 4, 6), "Disease")),
        ("set_span_assertion", lambda s: repo.set_span_assertion(s, repo.find_span(s, 1, 4, 6), "absent")),
        ("delete_span", lambda s: repo.delete_span(s, repo.find_span(s, 1, 4, 6))),
        ("replace_spans", lambda s: repo.replace_spans(s, 1, [Span(0, 2, "Organ")])),
        ("replace_model_spans", lambda s: repo.replace_model_spans(s, 1, [Span(4, 8, "Symptom", SpanSource.MODEL)])),
        ("set_status", lambda s: repo.set_status(s, 1, RecordStatus.REVIEWED)),
        ("update_text_note", lambda s: repo.update_text_note(s, 1, "see the scan")),
        ("assign", lambda s: team.assign(s, [1], ["wang", "li"])),
        ("seed_sheet", lambda s: team.seed_sheet(s, 1, "li")),
        ("unassign", lambda s: team.unassign(s, [1], ["li"])),
        ("adjudicate", lambda s: team.adjudicate(s, 1, [Span(0, 2, "Organ")])),
    ]
    for action, write in writes:
        before = _actions(project, 1)
        with project.transaction() as s:
            write(s)
        added = _actions(project, 1)[len(before):]
        assert action in added, (action, added)
    with project.transaction() as s:
        repo.delete_record(s, 2)
    assert _actions(project, 2)[-1] == "delete_record"
    with project.reading() as s:
        assert {e.annotator for e in history.entries(s)} == {"wang"}


def test_an_entry_has_who_when_before_and_after(project: Project) -> None:
    project.annotator = "li"
    with project.transaction() as s:
        sid = repo.add_span(s, 1, Span(4, 6, "Symptom"))
        repo.change_span_label(s, sid, "Disease")
    with project.reading() as s:
        last = history.entries(s, 1, limit=1)[0]
        assert history.entries(s, 1, limit=2)[0].action == "add_span"
    assert (last.annotator, last.record_id, last.action) == ("li", 1, "change_span_label")
    assert last.before["label"] == "Symptom" and last.after["label"] == "Disease"
    assert last.before["id"] == last.after["id"] == sid
    assert last.at.year >= 2026


def test_a_failed_write_leaves_no_entry(project: Project) -> None:
    with project.reading() as s:
        n = len(history.entries(s))
    with pytest.raises(MadpgError), project.transaction() as s:
        repo.add_span(s, 1, Span(4, 6, "Symptom"))
        repo.add_span(s, 1, Span(5, 7, "Symptom"))  # overlaps: the whole action rolls back
    with project.reading() as s:
        assert len(history.entries(s)) == n


def test_undo_is_a_new_entry_and_nothing_rewrites_one(project: Project) -> None:
    with project.transaction() as s:
        sid = repo.add_span(s, 1, Span(4, 6, "Symptom"))
    with project.reading() as s:
        first = history.entries(s, 1)
    with project.transaction() as s:  # what the GUI's undo of the add does
        repo.delete_span(s, sid)
    with project.transaction() as s:
        repo.delete_record(s, 1)  # no foreign key: the record's history stays
    with project.reading() as s:
        now = history.entries(s, 1)
    assert now[: len(first)] == first
    assert [e.action for e in now[len(first):]] == ["delete_span", "delete_record"]
    # the module offers no way to change or remove an entry
    assert not [n for n in dir(history) if n.startswith(("update", "delete", "remove", "clear", "edit"))]


def test_export_as_json_lines_and_csv(project: Project, tmp_path: Path) -> None:
    with project.transaction() as s:
        repo.add_span(s, 1, Span(4, 6, "Symptom"))
        repo.set_status(s, 1, RecordStatus.REVIEWED)
    with project.reading() as s:
        n_all = s.scalar(select(func.count()).select_from(HistoryRow))
        assert history.export_history(s, tmp_path / "h.jsonl") == n_all
        assert history.export_history(s, tmp_path / "h.csv", record_id=1) == 3
    lines = [json.loads(x) for x in (tmp_path / "h.jsonl").read_text("utf-8").splitlines()]
    assert [x["action"] for x in lines][-2:] == ["add_span", "set_status"]
    assert lines[-1]["before"] == {"status": "new"} and lines[-1]["annotator"] == "wang"
    assert lines[-1]["at"].endswith("Z")
    with (tmp_path / "h.csv").open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [r["action"] for r in rows] == ["import", "add_span", "set_status"]
    assert json.loads(rows[1]["after"])["label"] == "Symptom"
    assert not list(tmp_path.glob("*.part"))
