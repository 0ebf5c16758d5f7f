from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from madpg_core.cli import main


def test_init_import_export_stats(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    proj = tmp_path / "proj"
    assert main(["init", str(proj), "--labels", "症状,疾病"]) == 0
    data = tmp_path / "d.jsonl"
    data.write_text(json.dumps({"text": "发热肺炎", "status": "reviewed", "spans": [
        {"start": 0, "end": 2, "label": "症状"}]}, ensure_ascii=False) + "\n", encoding="utf-8")
    assert main(["import", str(proj), "--format", "jsonl", str(data)]) == 0
    assert main(["export", str(proj), str(tmp_path / "o.bio"), "--format", "bio", "--status", "reviewed"]) == 0
    assert (tmp_path / "o.bio").read_text(encoding="utf-8").splitlines()[:2] == ["发 B-症状", "热 I-症状"]
    assert main(["stats", str(proj)]) == 0
    out = capsys.readouterr().out
    assert "imported 1 record, 1 entity, 0 images" in out
    assert "reviewed" in out and "症状" in out


def test_errors_are_one_line_without_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text("{not json}\n", encoding="utf-8")
    subprocess.run([sys.executable, "-m", "madpg_core.cli", "init", str(tmp_path / "p")], check=True,
                   capture_output=True)
    r = subprocess.run([sys.executable, "-m", "madpg_core.cli", "import", str(tmp_path / "p"), "-f", "jsonl",
                        str(bad)], capture_output=True, text=True)
    assert r.returncode == 2
    assert r.stderr.strip().count("\n") == 0
    assert "bad.jsonl:1: invalid JSON" in r.stderr and "Traceback" not in r.stderr
    r = subprocess.run([sys.executable, "-m", "madpg_core.cli", "stats", str(tmp_path / "nope")],
                       capture_output=True, text=True)
    assert r.returncode == 2 and "not a MADPG project" in r.stderr


def test_train_prelabel_and_models_on_a_project(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    from madpg_core import registry

    monkeypatch.setattr(registry, "default_model_dir", lambda: tmp_path / "no-bundled-model")
    proj = tmp_path / "proj"
    main(["init", str(proj), "--labels", "Symptom,Organ"])
    lines = []
    for i in range(6):
        text = f"患者{i}天前出现胸痛，左肺可闻及啰音。"
        lines.append(json.dumps({"text": text, "status": "reviewed", "spans": [
            {"start": text.index("胸痛"), "end": text.index("胸痛") + 2, "label": "Symptom"},
            {"start": text.index("左肺"), "end": text.index("左肺") + 2, "label": "Organ"}]}, ensure_ascii=False))
    lines.append(json.dumps({"text": "今日胸痛加重"}, ensure_ascii=False))
    (tmp_path / "d.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    main(["import", str(proj), "-f", "jsonl", str(tmp_path / "d.jsonl")])
    capsys.readouterr()
    assert main(["train", str(proj), "--preset", "madpg-tiny", "--plan"]) == 0
    err = capsys.readouterr().err
    assert "Train madpg-tiny from scratch on 5 reviewed records; score on 1 check records" in err
    assert "warning: Only 6 reviewed records" in err and not (proj / "models").exists()
    assert main(["train", str(proj), "--preset", "madpg-tiny", "--epochs", "1", "--device", "cpu",
                 "--progress-json"]) == 0
    events = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert events[0]["event"] == "plan" and events[0]["n_check"] == 1
    assert events[-1]["event"] == "finished" and events[-1]["version"] == 1 and events[-1]["reason"]
    assert any(e["event"] == "progress" for e in events)
    assert main(["prelabel", str(proj), "--device", "cpu"]) == 0
    assert "pre-labelled 1 records with v1" in capsys.readouterr().out
    assert main(["models", str(proj)]) == 0
    out = capsys.readouterr().out
    assert "madpg-tiny" in out and "*" in out and "check set: 1 records" in out


def test_train_on_files_names_what_is_missing(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["train", "--preset", "bilstm-crf"]) == 2
    assert "--train, --dev, --format, --out" in capsys.readouterr().err


def test_train_on_files_adds_corpora_with_their_own_format_and_map(tmp_path: Path,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    main_file, extra = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    main_file.write_text("\n".join(json.dumps({"text": f"患者发热{i}天。", "spans": [
        {"start": 2, "end": 4, "label": "Symptom"}]}, ensure_ascii=False) for i in range(4)) + "\n", "utf-8")
    extra.write_text(json.dumps({"text": "给予头孢口服。", "spans": [{"start": 2, "end": 4, "label": "drug"}]},
                                ensure_ascii=False) + "\n", "utf-8")
    (tmp_path / "map.json").write_text('{"drug": "Treatment"}', "utf-8")
    common = ["train", "--preset", "cnn-crf", "--train", str(main_file), "--format", "jsonl", "--dev", str(main_file),
              "--out", str(tmp_path / "m"), "--epochs", "1", "--device", "cpu"]
    assert main([*common, "--add-train", "jsonl"]) == 2
    assert "--add-train takes FORMAT FILE [MAP]" in capsys.readouterr().err
    assert main([*common, "--add-train", "jsonl", str(extra), str(tmp_path / "map.json")]) == 0
    types = json.loads((tmp_path / "m" / "config.json").read_text("utf-8"))["config"]["entity_types"]
    assert sorted(types) == ["Symptom", "Treatment"]


def test_records_lists_ids_for_prelabel_and_refusals_are_logged(tmp_path: Path, sealed_home: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    proj = tmp_path / "proj"
    main(["init", str(proj)])
    data = tmp_path / "d.jsonl"
    data.write_text('{"text": "患者咳嗽三天", "name": "甲"}\n{"text": "胸痛", "status": "reviewed", "name": "乙"}\n',
                    encoding="utf-8")
    main(["import", str(proj), "-f", "jsonl", str(data)])
    capsys.readouterr()
    assert main(["records", str(proj), "--status", "reviewed"]) == 0
    rows = capsys.readouterr().out.splitlines()[1:]
    assert len(rows) == 1 and rows[0].split()[:3] == ["2", "reviewed", "0"] and "乙" in rows[0]
    assert main(["import", str(proj), "-f", "jsonl", str(tmp_path / "missing.jsonl")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "missing.jsonl" in err  # the log file does not add to stderr
    log = (sealed_home / "data" / "logs" / "madpg.log").read_text(encoding="utf-8")
    assert "import: " in log and "missing.jsonl does not exist" in log


def test_models_activate_takes_v_numbers(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from madpg_core.cli.loop_cmds import version_number

    assert version_number("v3") == version_number("3") == 3
    with pytest.raises(Exception, match="not a model version"):
        version_number("x1")


def test_output_into_a_closed_pipe_exits_quietly(tmp_path: Path) -> None:
    """`madpg records P | head`: more output than a pipe holds, so the write meets a closed pipe."""
    proj = tmp_path / "p"
    main(["init", str(proj)])
    data = tmp_path / "d.jsonl"
    data.write_text("".join(json.dumps({"text": f"第{i}条记录，患者咳嗽三天。", "name": f"r{i}"}, ensure_ascii=False) + "\n"
                            for i in range(3000)), encoding="utf-8")
    main(["import", str(proj), "-f", "jsonl", str(data)])
    r = subprocess.run(f"'{sys.executable}' -m madpg_core.cli records '{proj}' | head -n 1 >/dev/null; "
                       "exit ${PIPESTATUS[0]}", shell=True, executable="/bin/bash", capture_output=True, text=True)
    assert r.returncode == 0 and "Broken pipe" not in r.stderr and "Traceback" not in r.stderr


def test_progress_lines_when_stderr_is_not_a_terminal(monkeypatch, capsys) -> None:  # noqa: ANN001
    """Issue 20: a long import into a log file says how far it is; a redrawn bar is not printed."""
    from madpg_core.cli import project_cmds

    monkeypatch.setattr(project_cmds, "PLAIN_PROGRESS_EVERY_S", 0.0)
    with project_cmds.progress_bar("importing") as bar:
        for done in (0, 500, 1000, 1500, 2000):
            bar(done, 2000)
    lines = capsys.readouterr().err.splitlines()
    assert lines == ["importing: 0 / 2,000 records (0 %)", "importing: 500 / 2,000 records (25 %)",
                     "importing: 1,000 / 2,000 records (50 %)", "importing: 1,500 / 2,000 records (75 %)"]
    assert not any("\r" in line for line in lines)
