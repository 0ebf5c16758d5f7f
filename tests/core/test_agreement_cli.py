"""`madpg agreement FILE FILE`: two annotators' exports of the same records (issue 17 item 3)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from madpg_core.cli import main

TEXT = "患者反复胸闷气促三年。"


def _export(path: Path, spans: list[tuple[int, int, str]], text: str = TEXT) -> Path:
    rows = [{"name": "r1", "text": text, "spans": [{"start": a, "end": b, "label": t} for a, b, t in spans]},
            {"name": "r2", "text": "咳嗽两周。", "spans": [{"start": 0, "end": 2, "label": "Symptom"}]}]
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


def test_two_exports_give_the_report(tmp_path: Path, capsys) -> None:  # noqa: ANN001
    a = _export(tmp_path / "wang.jsonl", [(4, 6, "Symptom"), (6, 8, "Symptom")])
    b = _export(tmp_path / "li.jsonl", [(4, 6, "Symptom"), (6, 8, "Disease")])
    assert main(["agreement", str(a), str(b), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    text = json.dumps(report)
    assert "wang" in text and "li" in text
    pair = report["pairs"][0]
    assert (pair["a"], pair["b"]) == ("wang", "li")
    assert pair["strict"]["f1"] == pytest.approx(2 / 3)  # 2 of 3 spans each side agree
    assert main(["agreement", str(a), str(b)]) == 0
    assert "2 records annotated" in capsys.readouterr().out


def test_a_different_text_is_refused(tmp_path: Path, capsys) -> None:  # noqa: ANN001
    a = _export(tmp_path / "a.jsonl", [])
    b = _export(tmp_path / "b.jsonl", [], text=TEXT + "。")
    assert main(["agreement", str(a), str(b)]) == 2
    assert "another text" in capsys.readouterr().err
