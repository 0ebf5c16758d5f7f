"""`madpg agreement PROJECT`: agreement between the sheets of a project's double-annotated records;
with it the team commands `annotators`, `assign`, `history` and the global `--annotator`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from madpg_core.agreement import compute_agreement
from madpg_core.cli import main
from madpg_core.domain import Record, Span
from madpg_core.storage import history, repo, team
from madpg_core.storage.project import Project

TEXT = "患者反复胸闷气促三年，否认高血压。"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    folder = tmp_path / "p"
    with Project.create(folder) as p, p.transaction() as s:
        for i in range(6):
            repo.add_record(s, Record(TEXT, name=f"r{i}"))
    return folder


def _annotate(folder: Path, sheets: dict[int, dict[str, list[Span]]]) -> None:
    with Project.open(folder, backup=False) as p, p.transaction() as s:
        for rid, by_name in sheets.items():
            team.assign(s, [rid], list(by_name))
            for name, spans in by_name.items():
                team.seed_sheet(s, rid, name)  # opened: an empty sheet counts as "found nothing"
                repo.replace_spans(s, rid, spans, sheet=name)


def _report(capsys, *argv: str) -> dict:  # noqa: ANN001
    assert main(["agreement", *argv, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


SHEETS = {
    1: {"wang": [Span(4, 6, "Symptom"), Span(6, 8, "Symptom")], "li": [Span(4, 6, "Symptom"), Span(6, 8, "Disease")]},
    2: {"wang": [Span(13, 16, "Disease")], "li": [Span(12, 16, "Disease")]},
    3: {"wang": [], "li": [Span(0, 2, "Organ")]},
}


def test_the_project_report_equals_the_library_on_the_same_sheets(folder: Path, capsys) -> None:  # noqa: ANN001
    _annotate(folder, SHEETS)
    report = _report(capsys, str(folder))
    expected = compute_agreement([(TEXT, SHEETS[i]) for i in (1, 2, 3)], annotators=["li", "wang"]).as_dict()
    assert report == expected
    pair = report["pairs"][0]
    assert pair["records"] == 3
    assert pair["counts"] == {"agreed": 1, "type_only": 1, "boundary_only": 1, "both_differ": 0,
                              "missing_in_a": 0, "missing_in_b": 1}  # li is A: wang lacks li's Organ
    assert pair["strict"]["f1"] == pytest.approx(2 * 1 / (4 + 3))
    assert pair["confusion"]["Disease"]["Symptom"] == 1
    assert main(["agreement", str(folder)]) == 0
    assert "3 double-annotated records" in capsys.readouterr().out


def test_only_double_records_with_two_sheets_count(folder: Path, capsys) -> None:  # noqa: ANN001
    _annotate(folder, SHEETS)
    with Project.open(folder, backup=False) as p, p.transaction() as s:
        team.assign(s, [4], ["wang", "li"])  # assigned, nobody opened it: not compared
        repo.add_span(s, 5, Span(0, 2, "Organ"))  # gold only, single annotation: not compared
        team.assign(s, [6], ["wang", "li"])
        team.seed_sheet(s, 6, "wang")  # one sheet only: nothing to compare it with
    assert _report(capsys, str(folder))["records"] == 3


def test_three_annotators_give_alpha_and_annotators_selects(folder: Path, capsys) -> None:  # noqa: ANN001
    sheets = {rid: {**by, "zhao": by["wang"]} for rid, by in SHEETS.items()}
    _annotate(folder, sheets)
    full = _report(capsys, str(folder))
    assert full["annotators"] == ["li", "wang", "zhao"] and full["alpha"] is not None
    assert len(full["pairs"]) == 3
    two = _report(capsys, str(folder), "--annotators", "wang,zhao")
    assert two["annotators"] == ["wang", "zhao"] and two["alpha"] is None
    assert two["pairs"][0]["strict"]["f1"] == 1.0 and two["pairs"][0]["kappa"] == 1.0


def test_refusals_are_one_line(folder: Path, tmp_path: Path, capsys) -> None:  # noqa: ANN001
    assert main(["agreement", str(folder)]) == 2
    assert "no double-annotated record has sheets" in capsys.readouterr().err
    assert main(["agreement", str(folder), "--annotators", "wang"]) == 2
    assert "two or more different names" in capsys.readouterr().err
    other = tmp_path / "a.jsonl"
    other.write_text("", encoding="utf-8")
    assert main(["agreement", str(folder), str(other)]) == 2
    assert "either one project" in capsys.readouterr().err


def test_assign_annotators_and_history_commands(folder: Path, tmp_path: Path, capsys) -> None:  # noqa: ANN001
    assert main(["--annotator", "curator", "assign", str(folder), "--annotators", "wang,li",
                 "--fraction", "0.5", "--seed", "7"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("3 records (seed 7) double-annotated by wang, li")
    with Project.open(folder, read_only=True) as p, p.reading() as s:
        chosen = team.double_records(s)
        assert chosen == team.sample_records(list(range(1, 7)), 0.5, 7)
        assert {e.annotator for e in history.entries(s) if e.action == "assign"} == {"curator"}
    assert main(["assign", str(folder), "--annotators", "zhao", "--records", "1-2,5"]) == 0
    assert "3 new assignments to zhao" in capsys.readouterr().out
    assert main(["assign", str(folder), "--annotators", "zhao", "--records", "5", "--remove"]) == 0
    assert "1 assignments removed" in capsys.readouterr().out
    assert main(["assign", str(folder), "--annotators", "zhao", "--records", "x"]) == 2
    assert "not a record id" in capsys.readouterr().err
    assert main(["annotators", str(folder)]) == 0
    table = capsys.readouterr().out.splitlines()
    assert table[0].split() == ["annotator", "assigned", "double", "sheets", "gold", "spans"]
    zhao = next(line.split() for line in table if line.startswith("zhao"))
    assert zhao[1:3] == ["2", str(sum(1 for i in (1, 2) if i in chosen))]
    assert main(["history", str(folder), "--record", str(chosen[0])]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert any("curator" in line and "assign" in line for line in lines)
    out_file = tmp_path / "h.jsonl"
    assert main(["history", str(folder), "--out", str(out_file)]) == 0
    assert "history entries written" in capsys.readouterr().out
    assert all(json.loads(x)["action"] for x in out_file.read_text("utf-8").splitlines())
    assert main(["history", str(folder), "--record", "99"]) == 0
    assert "no history entries for record 99" in capsys.readouterr().out
