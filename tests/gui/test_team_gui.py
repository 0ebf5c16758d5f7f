"""Team annotation in the real window (issue 17): two annotators blind double-annotate a record on
their own sheets, the agreement report shows their numbers, a curator adjudicates (A's for one
disagreement, both for another), the gold spans are saved, undone and redone, export reads them,
and the history names who did what. Also: who is annotating (asked once, remembered, skipped with
MADPG_ANNOTATOR), the record list's assignment filter, and a stale write refused and re-read."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from madpg_core.domain import LabelSchema, Record, RecordStatus, Span, SpanSource
from madpg_core.storage import history, repo, team
from madpg_core.storage.project import Project
from madpg_core.transfer import export_project
from madpg_gui import settings
from madpg_gui.main_window import MainWindow
from madpg_gui.team.adjudication import AdjudicationDialog
from madpg_gui.team.agreement_dialog import AgreementDialog
from madpg_gui.team.history_view import HistoryDialog, describe
from madpg_gui.widgets.record_list import MINE_FILTER


@pytest.fixture(params=["folder", "server"])
def project_dir(request: pytest.FixtureRequest, tmp_path: Path) -> Path | str:
    """The conftest's three records, in a project folder and (where PostgreSQL runs: `.ci/run`) in a
    server project: every team test here runs on both stores, the window included."""
    from tests.gui.conftest import TEXTS

    where: Path | str = tmp_path / "proj" if request.param == "folder" else request.getfixturevalue("pg_url")
    with Project.create(where, LabelSchema.default()) as p, p.transaction() as s:
        for i, t in enumerate(TEXTS):
            spans = (Span(t.index("胸闷"), t.index("胸闷") + 2, "Symptom"),) if i == 0 else ()
            repo.add_record(s, Record(t, spans, name=f"r{i + 1}"))
    return where


@pytest.fixture(autouse=True)
def _no_env_annotator(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MADPG_ANNOTATOR", raising=False)


def label(w: MainWindow, text: str, which: str, type_: str, nth: int = 0) -> Span:
    """Select the ``nth`` occurrence of ``which`` in the shown record and label it, as the desk does."""
    start = -1
    for _ in range(nth + 1):
        start = text.index(which, start + 1)
    w.text.select_range(start, start + len(which))
    w.editor.apply_label(type_)
    return Span(start, start + len(which), type_)


def keys(spans: object) -> list[tuple[int, int, str]]:
    return sorted((sp.start, sp.end, sp.label) for sp in spans)


def record_id(w: MainWindow, name: str) -> int:
    with w.project.reading() as s:
        return next(r.id for r in repo.list_records(s) if r.name == name)


def test_blind_double_annotation_agreement_adjudication_history(qtbot, window: MainWindow, project_dir: Path,  # noqa: ANN001
                                                                tmp_path: Path) -> None:
    w = window
    rid = record_id(w, "r2")
    text = "咳嗽、咳痰2周，伴低热。右下肺野见片状模糊影。"

    # The record goes to alice and bob through Team ▸ Assign records… (the record selected in the list)
    w.show_record(rid)
    dlg = w.team.assign_dialog()
    dlg.tick("alice")
    dlg.tick("bob")
    assert dlg.selected.isChecked()
    dlg.accept()
    with w.project.reading() as s:
        assert team.assigned_to(s, rid) == ["alice", "bob"] and team.is_double(s, rid)
    # the list shows who it is assigned to
    row = w.records.model.row_of(rid)
    assert "alice, bob" in w.records.model.index(row).data()
    assert "Double annotation: alice, bob" in w.records.model.index(row).data(Qt.ItemDataRole.ToolTipRole)

    # alice annotates her sheet: the desk shows and writes her sheet, and says so
    w.team.set_annotator("alice")
    w.show_record(rid)
    assert w.ann.sheet == "alice" and w.windowTitle().count("alice") == 1
    assert "Your sheet" in w.team.banner.text() and not w.team.banner.isHidden()
    label(w, text, "咳嗽", "Symptom")
    label(w, text, "低热", "Symptom")
    label(w, text, "片状模糊影", "Symptom")
    assert [sp.label for sp in w.ann.record.spans] == ["Symptom"] * 3

    # "Assigned to me" lists her records only
    w.records.status.setCurrentIndex(w.records.status.findData(MINE_FILTER))
    assert w.records.ids() == [rid]
    w.records.status.setCurrentIndex(0)

    # bob sees his own (empty) sheet, not alice's, and marks his spans
    w.team.set_annotator("bob")
    assert w.ann.sheet == "bob" and w.ann.record.spans == ()
    label(w, text, "咳嗽", "Symptom")  # agreed
    label(w, text, "咳痰", "Symptom")  # only bob
    label(w, text, "模糊影", "Disease")  # overlaps alice's 片状模糊影 in one layer
    with w.project.reading() as s:
        assert keys(repo.get_record(s, rid, sheet="alice").spans) == keys(
            [Span(0, 2, "Symptom"), Span(9, 11, "Symptom"), Span(17, 22, "Symptom")])
        assert len(repo.get_record(s, rid, sheet="bob").spans) == 3
        assert repo.get_record(s, rid).spans == ()  # gold untouched by the sheets
    # undo on a sheet undoes on that sheet
    w.undo.undo()
    assert len(w.ann.record.spans) == 2
    w.undo.redo()
    assert len(w.ann.record.spans) == 3

    # The agreement report: 1 of 3 spans each strict-agreed → strict F1 = 2·1/(3+3)
    agreement = w.team.agreement_dialog()
    assert isinstance(agreement, AgreementDialog)
    overall = agreement.scores.rowCount() - 1
    assert agreement.cell(agreement.scores, overall, 0) == "Overall"
    assert agreement.cell(agreement.scores, overall, 3) == f"{2 / 6:.3f}"
    assert agreement.cell(agreement.scores, overall, 1) == "3"  # alice's spans
    assert agreement.cell(agreement.counts, 0, 0) == "1"  # agreed
    assert agreement.confusion.rowCount() == agreement.confusion.columnCount() >= 2
    agreement.close()

    # A curator (not assigned) sees the gold spans and adjudicates
    w.team.set_annotator("carol")
    assert w.ann.sheet is None and "Double-annotated record" in w.team.banner.text()
    adj = w.team.adjudicate_dialog()
    assert isinstance(adj, AdjudicationDialog) and (adj.a, adj.b) == ("alice", "bob")
    kinds = ["agree" if not adj.is_disagreement(i) else "dis" for i in range(len(adj.items))]
    assert kinds == ["agree", "dis", "dis", "dis"]  # 咳嗽 | 咳痰 (bob) | 低热 (alice) | 片状模糊影 / 模糊影
    assert "alice" in adj.table.horizontalHeaderItem(1).text()
    assert "咳痰" in adj.table.item(1, 2).text() and adj.table.item(1, 1).text() == "—"
    # the first disagreement is current; keys decide and move on
    assert adj.current() == 1
    qtbot.keyClick(adj.table, Qt.Key.Key_3)  # both: bob's 咳痰 (alice marked nothing there)
    assert adj.current() == 2
    qtbot.keyClick(adj.table, Qt.Key.Key_1)  # alice's 低热
    assert adj.current() == 3
    qtbot.keyClick(adj.table, Qt.Key.Key_3)  # both refused: they overlap in one layer
    assert "overlap" in adj.note.text() and 3 not in adj.choices
    qtbot.keyClick(adj.table, Qt.Key.Key_Return)  # Enter with one undecided: refused, said
    assert "undecided" in adj.note.text() and adj.saved is None
    qtbot.keyClick(adj.table, Qt.Key.Key_2)  # bob's 模糊影
    qtbot.keyClick(adj.table, Qt.Key.Key_Return)
    gold = [(0, 2, "Symptom"), (3, 5, "Symptom"), (9, 11, "Symptom"), (19, 22, "Disease")]
    assert adj.saved is not None and keys(adj.saved) == gold
    assert keys(w.ann.record.spans) == gold and w.ann.record.status == RecordStatus.REVIEWED
    with w.project.reading() as s:
        assert keys(repo.get_record(s, rid).spans) == gold
        assert all(sp.source == SpanSource.ANNOTATOR for sp in repo.get_record(s, rid).spans)
        assert len(repo.get_record(s, rid, sheet="alice").spans) == 3  # the sheets stay

    # the save is one undo step: undo gives back the empty gold spans and the old status
    w.undo.undo()
    with w.project.reading() as s:
        assert repo.get_record(s, rid).spans == () and repo.get_record(s, rid).status != RecordStatus.REVIEWED
    w.undo.redo()
    with w.project.reading() as s:
        assert keys(repo.get_record(s, rid).spans) == gold

    # export reads the gold spans
    out = tmp_path / "gold.jsonl"
    export_project(w.project, out, "jsonl", status="reviewed")
    lines = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert len(lines) == 1 and lines[0]["text"] == text
    assert sorted((d["start"], d["end"], d["label"]) for d in lines[0]["spans"]) == gold

    # the history of the record: newest first, who did what
    hist = w.team.history_dialog(this_record=True)
    assert isinstance(hist, HistoryDialog)
    rows = hist.rows()
    who = [r[0] for r in rows]
    assert {"alice", "bob", "carol"} <= set(who)
    assert rows[0][:3] == ("carol", "adjudicate", "∅")  # the redo is the newest entry
    assert "«低热»" in rows[0][3]
    assert ("bob", "delete_span") in [r[:2] for r in rows]  # bob's undo is an entry, not an erasure
    assert ("alice", "add_span", "", "Symptom [9, 11) «低热» (sheet=alice)") in rows
    assert rows[-1][1] == "import"  # oldest last
    path = tmp_path / "history.jsonl"
    assert hist.export_to(path) == len(open(path, encoding="utf-8").readlines())
    exported = [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines()]
    assert {"alice", "bob", "carol"} <= {e["annotator"] for e in exported}
    hist.close()


def test_annotator_asked_once_then_remembered(qtbot, project_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: ANN001
    with Project.open(project_dir) as p, p.transaction() as s:
        team.assign(s, [1], ["alice", "bob"])  # a team project: the name matters
    w = MainWindow(settings.Preferences(language="en"))
    qtbot.addWidget(w)
    w.show()
    assert w.open_project(project_dir)
    dlg = w.team.dialog
    assert dlg is not None and dlg.isVisible()  # asked, without blocking the window
    names = [dlg.names.itemText(i) for i in range(dlg.names.count())]
    assert "alice" in names and "bob" in names and "unknown" not in names
    dlg.names.setCurrentText("unknown")
    dlg.accept()
    assert dlg.isVisible() and "unknown" in dlg.error.text()  # refused, still open
    dlg.names.setCurrentText("  alice ")
    dlg.accept()
    assert w.project.annotator == "alice" and "alice" in w.team.name_label.text() and w.team.dialog is None
    # remembered per desk and project: by its folder (a server project's: its local working folder)
    where = w.project.folder
    assert settings.remembered_annotator(where) == "alice"
    assert w.ann.sheet == "alice"  # record 1 is double-annotated for her

    w.close_project()
    assert w.open_project(project_dir)
    assert w.team.dialog is None and w.project.annotator == "alice"  # remembered: not asked again

    w.close_project()
    monkeypatch.setenv("MADPG_ANNOTATOR", "zed")
    settings.remember_annotator(where, "")
    assert w.open_project(project_dir)
    assert w.team.dialog is None and w.project.annotator == "zed"
    w.close()


def test_solo_project_is_not_asked(window: MainWindow) -> None:
    assert window.team.dialog is None and QApplication.activeModalWidget() is None
    assert window.team.name_label.text().startswith("Annotator: ")


def test_sheet_seeded_with_prelabels_and_stale_write_refused(qtbot, window: MainWindow, project_dir: Path) -> None:  # noqa: ANN001
    w = window
    rid = record_id(w, "r3")
    text = "外伤后右小腿肿痛。诊断：右胫骨骨折。"
    start = text.index("右胫骨骨折")
    with w.project.transaction() as s:
        repo.replace_model_spans(s, rid, [Span(start, start + 5, "Disease", SpanSource.MODEL, "v1", 0.6)])
        team.assign(s, [rid], ["alice", "bob"])
    w.team.set_annotator("alice")
    w.show_record(rid)
    # her sheet starts from the pre-label, still the model's
    assert [(sp.start, sp.source) for sp in w.ann.record.spans] == [(start, SpanSource.MODEL)]

    # Stale write: on record r1 (gold, no assignment) another desk changes the span alice sees
    r1 = record_id(w, "r1")
    w.show_record(r1)
    span = w.ann.record.spans[0]
    with Project.open(project_dir) as other:
        other.annotator = "bob"
        with other.transaction() as s:
            repo.change_span_label(s, repo.find_span(s, r1, span.start, span.end), "Disease")
    w.editor.select(span)
    w.editor.delete_span()  # based on the Symptom she read: refused
    assert "bob" in w.statusBar().currentMessage()
    assert [sp.label for sp in w.ann.record.spans] == ["Disease"]  # re-read: bob's change shows
    assert not w.undo.canUndo()  # the refused edit left nothing to undo
    w.editor.select(w.ann.record.spans[0])
    w.editor.delete_span()  # now based on what is there: done
    assert w.ann.record.spans == ()

    # a whole-record write (the BIO column's edit) over a span added meanwhile elsewhere: refused too
    text1 = w.ann.record.text
    k = text1.index("高血压")
    with Project.open(project_dir) as other:
        other.annotator = "bob"
        with other.transaction() as s:
            repo.add_span(s, r1, Span(k, k + 3, "Disease"))
    w.editor.tag_edited(0, "B-Symptom")  # based on the record without bob's span
    assert "bob" in w.statusBar().currentMessage()
    assert keys(w.ann.record.spans) == [(k, k + 3, "Disease")]  # re-read; bob's span kept
    w.editor.tag_edited(0, "B-Symptom")  # now based on what is there
    assert keys(w.ann.record.spans) == [(0, 1, "Symptom"), (k, k + 3, "Disease")]


def test_history_describe_reads_span_documents() -> None:
    sp = Span(3, 5, "Symptom", assertion="absent", layer=1)
    assert describe(history.span_doc(sp, "alice")) == "Symptom [3, 5) (sheet=alice, assertion=absent, layer=1)"
    assert describe(history.span_doc(sp), "患者胸闷气促") == "Symptom [3, 5) «闷气» (assertion=absent, layer=1)"
    assert describe({"annotators": ["alice", "bob"]}) == "annotators: alice, bob"
    assert describe(history.spans_doc([sp], "bob")).startswith("bob: Symptom [3, 5)")
    assert describe({"status": "reviewed"}) == "status: reviewed"
    assert describe(None) == "" and describe([]) == "∅"


def test_adjudication_of_three_sheets_and_a_stale_save(qtbot, window: MainWindow, project_dir: Path) -> None:  # noqa: ANN001
    w = window
    rid = record_id(w, "r1")  # gold: 胸闷 Symptom
    text = "患者男，68岁，反复胸闷、气促3年。既往高血压病史。"
    i, j = text.index("胸闷"), text.index("高血压")
    with w.project.transaction() as s:
        team.assign(s, [rid], ["alice", "bob", "dan"])
        repo.add_span(s, rid, Span(i, i + 2, "Symptom"), sheet="alice")
        repo.add_span(s, rid, Span(i, i + 2, "Disease"), sheet="bob")
        repo.add_span(s, rid, Span(i, i + 2, "Symptom"), sheet="dan")
        repo.add_span(s, rid, Span(j, j + 3, "Disease"), sheet="dan")
    w.team.set_annotator("carol")
    w.show_record(rid)
    adj = w.team.adjudicate_dialog()
    assert (adj.a, adj.b) == ("alice", "bob") and not adj.pick_a.parentWidget().isHidden()
    assert [adj.is_disagreement(k) for k in range(len(adj.items))] == [True]  # 胸闷: Symptom vs Disease
    adj.pick_b.setCurrentText("dan")
    assert (adj.a, adj.b) == ("alice", "dan") and "dan" in adj.table.horizontalHeaderItem(2).text()
    assert [adj.is_disagreement(k) for k in range(len(adj.items))] == [False, True]  # 胸闷 agreed; 高血压 dan's
    qtbot.keyClick(adj.table, Qt.Key.Key_2)
    # meanwhile another curator adjudicates the record from another desk
    with Project.open(project_dir) as other:
        other.annotator = "eve"
        with other.transaction() as s:
            team.adjudicate(s, rid, [Span(i, i + 2, "Disease")])
    qtbot.keyClick(adj.table, Qt.Key.Key_Return)
    assert adj.saved is None and "eve" in adj.note.text() and adj.isVisible()  # refused, said, kept open
    assert not w.undo.canUndo()
    with w.project.reading() as s:
        assert keys(repo.get_record(s, rid).spans) == [(i, i + 2, "Disease")]  # eve's decision stands
    assert keys(w.ann.record.spans) == [(i, i + 2, "Disease")]  # and the desk shows it
    adj.reject()


def test_assign_a_seeded_random_share(window: MainWindow) -> None:
    w = window
    dlg = w.team.assign_dialog()
    dlg.sample.setChecked(True)
    dlg.tick("alice")
    dlg.accept()
    assert dlg.choice is None and "two or more" in dlg.error.text()  # one annotator: no double annotation
    dlg.tick("bob")
    dlg.fraction.setValue(50)
    dlg.seed.setValue(7)
    dlg.accept()
    with w.project.reading() as s:
        ids = [r.id for r in repo.list_records(s)]
        assert team.double_records(s) == team.sample_records(ids, 0.5, 7)
    assert "assigned to alice, bob" in w.statusBar().currentMessage()


def test_agreement_report_without_double_annotation_says_why(window: MainWindow) -> None:
    assert window.team.agreement_dialog() is None
    assert "No agreement to report yet" in window.statusBar().currentMessage()


def test_accepting_a_sheet_marks_the_sheet_not_the_record(window: MainWindow) -> None:
    # Accept on one's own sheet must not make the record reviewed: its gold spans are still the
    # unadjudicated pre-labels, and a reviewed record goes to training and export.
    w = window
    rid = record_id(w, "r2")
    with w.project.transaction() as s:
        team.assign(s, [rid], ["alice", "bob"])
        before = repo.get_record(s, rid).status
    w.team.set_annotator("alice")
    w.show_record(rid)
    assert w.ann.sheet == "alice"
    w.set_status(RecordStatus.REVIEWED)
    with w.project.reading() as s:
        assert repo.get_record(s, rid).status == before != RecordStatus.REVIEWED
        assert team.sheet_statuses(s, rid) == {"alice": RecordStatus.REVIEWED}
    w.records.refresh()
    row = w.records.model.index(w.records.model.row_of(rid))
    assert "alice ✓, bob" in row.data() and "Your sheet is done" in row.data(Qt.ItemDataRole.ToolTipRole)
    w.undo.undo()
    with w.project.reading() as s:
        assert team.sheet_statuses(s, rid).get("alice", RecordStatus.NEW) == RecordStatus.NEW


def test_agreement_of_three_annotators_shows_the_unitizing_alpha(window: MainWindow) -> None:
    w = window
    rid = record_id(w, "r1")
    text = "患者男，68岁，反复胸闷、气促3年。既往高血压病史。"
    i = text.index("胸闷")
    with w.project.transaction() as s:
        team.assign(s, [rid], ["alice", "bob", "dan"])
        for name, end in (("alice", i + 2), ("bob", i + 2), ("dan", i + 1)):  # dan's ends one early
            repo.add_span(s, rid, Span(i, end, "Symptom"), sheet=name)
    agreement = w.team.agreement_dialog()
    assert agreement.alpha.isVisibleTo(agreement)
    assert "unitizing α" in agreement.alpha.text() and "Symptom" in agreement.alpha.text()
    agreement.close()
