"""Assertion status on spans: the field, the store, the project's offered statuses, pre-labelling's
proposal, and the export options (BIO's layer and third column) through export_project and the CLI."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from madpg_core.assertion import AssertionStatus as FromDetector
from madpg_core.domain import ASSERTION_STATUSES, AssertionStatus, Record, RecordStatus, Span, SpanSource
from madpg_core.errors import MadpgError
from madpg_core.prelabel import prelabel
from madpg_core.storage import repo
from madpg_core.storage.project import Project
from madpg_core.transfer import export_project


@pytest.fixture
def project(tmp_path: Path) -> Project:
    with Project.create(tmp_path / "p") as p:
        yield p


def test_a_span_is_present_unless_told_and_refuses_an_unknown_status() -> None:
    assert Span(0, 1, "X").assertion == "present"
    assert FromDetector is AssertionStatus and ASSERTION_STATUSES == (
        "present", "absent", "possible", "hypothetical", "historical", "family")
    made = Span(0, 1, "X", assertion=AssertionStatus.FAMILY)
    assert type(made.assertion) is str and made == Span(0, 1, "X", assertion="family")
    assert Span(0, 1, "X", assertion="absent") != Span(0, 1, "X")
    with pytest.raises(MadpgError, match="unknown assertion status 'negated'"):
        Span(0, 1, "X", assertion="negated")


def test_the_store_keeps_status_and_layer(project: Project) -> None:
    spans = (Span(0, 5, "Symptom", assertion="absent"), Span(0, 3, "Organ", layer=1))
    with project.transaction() as s:
        rid = repo.add_record(s, Record("双下肢水肿", spans))
        other = repo.add_records(s, [Record("双下肢水肿", spans)], [()])[0]
    with project.reading() as s:
        for i in (rid, other):
            got = repo.get_record(s, i).spans
            assert sorted((x.start, x.layer, x.assertion) for x in got) == [(0, 0, "absent"), (0, 1, "present")]
        assert repo.find_span(s, rid, 0, 3) is not None and repo.find_span(s, rid, 0, 3, layer=0) is None


def test_overlap_checks_are_per_layer(project: Project) -> None:
    with project.transaction() as s:
        rid = repo.add_record(s, Record("双下肢水肿", (Span(0, 5, "Symptom"),)))
        repo.add_span(s, rid, Span(0, 3, "Organ", layer=1))  # nested: another layer
    with pytest.raises(MadpgError, match="in layer 1"), project.transaction() as s:
        repo.add_span(s, rid, Span(2, 4, "Organ", layer=1))
    with pytest.raises(MadpgError, match="in layer 0"), project.transaction() as s:
        repo.replace_spans(s, rid, [Span(0, 5, "Symptom"), Span(1, 2, "Organ")])


def test_setting_a_status_makes_the_span_the_annotators(project: Project) -> None:
    with project.transaction() as s:
        rid = repo.add_record(s, Record("否认高血压", (Span(2, 5, "Disease", SpanSource.MODEL, "v1", 0.7),)))
        sid = repo.get_record(s, rid).spans[0].id
        repo.set_span_assertion(s, sid, "absent")
    with project.reading() as s:
        sp = repo.get_record(s, rid).spans[0]
    assert (sp.assertion, sp.source, sp.model_version, sp.confidence) == ("absent", SpanSource.ANNOTATOR, None, None)


def test_the_project_offers_a_chosen_list_of_statuses(project: Project) -> None:
    with project.transaction() as s:
        assert repo.get_assertion_statuses(s) == ASSERTION_STATUSES  # a new project: all six
        rid = repo.add_record(s, Record("父亲高血压", (Span(2, 5, "Disease", assertion="family"),)))
    with pytest.raises(MadpgError, match="cannot be removed"), project.transaction() as s:
        repo.set_assertion_statuses(s, ["absent"])
    with pytest.raises(MadpgError, match=r"still in use: family \(1 spans\)"), project.transaction() as s:
        repo.set_assertion_statuses(s, ["present", "absent"])
    with pytest.raises(MadpgError, match="unknown assertion status 'denied'"), project.transaction() as s:
        repo.set_assertion_statuses(s, ["present", "denied"])
    with project.transaction() as s:
        repo.set_assertion_statuses(s, ["absent", "present"], reset_spans_of_removed=True)
    with project.reading() as s:
        assert repo.get_assertion_statuses(s) == ("absent", "present")  # in the order chosen
        assert repo.get_record(s, rid).spans[0].assertion == "present"
    with pytest.raises(MadpgError, match="does not offer: possible"), project.transaction() as s:
        repo.add_span(s, rid, Span(0, 2, "Disease", assertion="possible"))


class FixedPredictor:
    def __init__(self, spans: list[Span]) -> None:
        self.spans = spans

    def predict(self, records: Sequence[Record]) -> list[list[Span]]:
        return [list(self.spans) for _ in records]


def test_prelabelling_proposes_a_status_and_leaves_human_spans_alone(project: Project) -> None:
    text = "否认高血压、糖尿病，父亲冠心病"
    human = Span(6, 9, "Disease", assertion="present")  # a person said 糖尿病 is present: it stays so
    with project.transaction() as s:
        rid = repo.add_record(s, Record(text, (human,)))
        repo.set_assertion_statuses(s, ["present", "absent"])  # family is not offered
    model = [Span(2, 5, "Disease"), Span(12, 15, "Disease")]
    prelabel(project, [rid], FixedPredictor(model), "v1")
    with project.reading() as s:
        rec = repo.get_record(s, rid)
    got = {(x.start, x.source, x.assertion) for x in rec.spans}
    assert got == {(2, SpanSource.MODEL, "absent"), (6, SpanSource.ANNOTATOR, "present"),
                   (12, SpanSource.MODEL, "present")}  # 父亲…: family detected, not offered: present
    assert rec.status == RecordStatus.PRELABELLED


def test_export_layer_and_assertion_column_through_the_cli(project: Project, tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    from madpg_core.cli import main

    with project.transaction() as s:
        repo.add_record(s, Record("双下肢水肿", (Span(0, 5, "Symptom", assertion="absent"), Span(0, 3, "Organ", layer=1))))
    counts = export_project(project, tmp_path / "a.bio", "bio", layer="inner")
    assert counts.spans_left_out == 1
    assert (tmp_path / "a.bio").read_text(encoding="utf-8").splitlines()[0] == "双 B-Organ"
    with pytest.raises(MadpgError, match="jsonl export does not take the layer option"):
        export_project(project, tmp_path / "a.jsonl", "jsonl", layer="inner")
    with pytest.raises(MadpgError, match="layer must be"):
        export_project(project, tmp_path / "a.bio", "bio", layer="middle")  # type: ignore[arg-type]
    assert main(["export", str(project.folder), str(tmp_path / "b.bio"), "-f", "bio", "--assertion-column"]) == 0
    assert (tmp_path / "b.bio").read_text(encoding="utf-8").splitlines()[0] == "双 B-Symptom absent"
    err = capsys.readouterr().err
    assert "1 nested or overlapping entity not written: bio holds one layer (here the outer one" in err
