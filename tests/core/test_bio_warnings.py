"""Re-importing the project's own BIO export warns about nothing (it once printed "I-X follows O"
for every I- tag: each tag was checked alone, as if it began a record); a real I- after O still
warns, once, naming the file, the line and the position."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from madpg_core import transfer
from madpg_core.cli import main
from madpg_core.formats import load_type_map
from madpg_core.paths import RESOURCES
from madpg_core.storage import repo
from madpg_core.storage.project import Project


def spans_of(project: Project) -> list[tuple]:
    with project.reading() as s:
        return [(r.text, [(sp.start, sp.end, sp.label) for sp in r.spans]) for r in repo.iter_records(s)]


def cli_import(folder: Path, src: Path, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture) -> str:
    """`madpg import … -f bio`: what it printed on stderr and logged."""
    capsys.readouterr()
    with caplog.at_level(logging.WARNING):
        assert main(["import", str(folder), str(src), "-f", "bio", "--show-warnings"]) == 0
    return capsys.readouterr().err + "\n".join(r.getMessage() for r in caplog.records)


def test_re_importing_a_bio_export_gives_no_warning(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                    caplog: pytest.LogCaptureFixture) -> None:
    rows = [{"name": "a", "text": "左肺下叶见结节，伴咳嗽咳痰。",  # adjacent entities of one type, a 4-char one
             "spans": [{"start": 0, "end": 4, "label": "Organ"}, {"start": 9, "end": 11, "label": "Symptom"},
                       {"start": 11, "end": 13, "label": "Symptom"}]},
            {"name": "b", "text": "高血压 10年", "spans": [{"start": 0, "end": 3, "label": "Disease"}]}]
    src = tmp_path / "in.jsonl"
    src.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    with Project.create(tmp_path / "p") as p:
        transfer.import_into(p, src, "jsonl")
        transfer.export_project(p, tmp_path / "out.bio", "bio")
        want = spans_of(p)
    assert (tmp_path / "out.bio").read_text(encoding="utf-8").count(" I-") == 7
    assert main(["init", str(tmp_path / "q")]) == 0
    said = cli_import(tmp_path / "q", tmp_path / "out.bio", capsys, caplog)
    assert "follows" not in said and "warning" not in said
    with Project.open(tmp_path / "q", read_only=True) as q:
        assert spans_of(q) == want


def test_a_real_i_tag_after_o_warns_once(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                         caplog: pytest.LogCaptureFixture) -> None:
    src = tmp_path / "d.bio"
    src.write_text("患 O\n者 O\n咳 I-Symptom\n嗽 I-Symptom\n痰 I-Symptom\n\n发 B-Symptom\n热 I-Symptom\n", encoding="utf-8")
    assert main(["init", str(tmp_path / "q")]) == 0
    said = cli_import(tmp_path / "q", src, capsys, caplog)
    assert said.count("follows") == 1 and "d.bio:1: position 2: I-Symptom follows O; read as B-Symptom" in said
    with Project.open(tmp_path / "q", read_only=True) as q:
        assert [spans for _, spans in spans_of(q)] == [[(2, 5, "Symptom")], [(0, 2, "Symptom")]]


def test_cehrner_through_a_bio_export_and_back_without_warnings(tmp_path: Path, shared_data: Path,
                                                                caplog: pytest.LogCaptureFixture) -> None:
    mapping = load_type_map(RESOURCES / "maps" / "cehrner-to-paper.json")
    with Project.create(tmp_path / "p") as p:
        transfer.import_into(p, shared_data / "ner" / "cehrner" / "dev.json", "cehrner", mapping)
        transfer.export_project(p, tmp_path / "dev.bio", "bio")
        want = spans_of(p)
    with Project.create(tmp_path / "q") as q, caplog.at_level(logging.WARNING):
        report = transfer.import_into(q, tmp_path / "dev.bio", "bio")
        assert report.warnings == [] and spans_of(q) == want
    assert not [r for r in caplog.records if "follows" in r.getMessage()]
