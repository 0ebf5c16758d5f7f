"""`madpg evaluate` checks the corpus's entity types against the model's before predicting: none
known stops at once (exit 2) naming both and the maps that fit; some unknown are left out, with a
warning. The bundled default model (Organ, Disease, Treatment, Symptom) is the model here."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from madpg_core.cli import main
from madpg_core.inference import predictor
from madpg_core.paths import REPO_ROOT, default_model_dir

MODEL = default_model_dir()


def blue(path: Path, *items: tuple[str, list[tuple[str, str]]]) -> Path:
    """A cEHRNER-style file: (text, [(mention, label)])."""
    path.write_text("".join(json.dumps({"text": t, "mention_data": [{"mention": m, "label": lab,
                                                                      "offset": str(t.index(m))} for m, lab in ms]},
                                       ensure_ascii=False) + "\n" for t, ms in items), encoding="utf-8")
    return path


@pytest.fixture
def no_model_load(monkeypatch: pytest.MonkeyPatch) -> list[list]:
    """Records the model was asked to label; it labels nothing (these tests are about the gold side)."""
    asked: list[list] = []

    class Silent:
        version = "stub"

        def predict(self, records: list) -> list:
            asked.append(records)
            return [[] for _ in records]

    monkeypatch.setattr(predictor.Predictor, "load", classmethod(lambda cls, *a, **k: Silent()))
    return asked


def test_no_known_type_stops_before_predicting_and_names_the_map(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                                 no_model_load: list, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO_ROOT)  # the maps are then named as the user types them
    data = blue(tmp_path / "dev.json", ("患者头痛三天，诊断偏头痛。", [("头痛", "症状"), ("偏头痛", "疾病和诊断")]))
    started = time.monotonic()
    rc = main(["evaluate", "--model", str(MODEL), "--data", str(data), "--format", "cehrner"])
    err = capsys.readouterr().err
    assert rc == 2 and not no_model_load and time.monotonic() - started < 30
    assert "none of the corpus's entity types is known to the model" in err
    assert "knows Organ, Disease, Treatment, Symptom" in err and "dev.json has 疾病和诊断 (1), 症状 (1)" in err
    assert "--map: resources/maps/cehrner-to-paper.json (疾病和诊断→Disease, 症状→Symptom" in err
    assert "cmeee-to-paper" not in err  # its source types are CMeEE's, not these


def test_a_map_that_leaves_nothing_known_says_so_without_suggesting(tmp_path: Path, no_model_load: list,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    data = blue(tmp_path / "dev.json", ("患者头痛三天。", [("头痛", "症状")]))
    (tmp_path / "m.tsv").write_text("症状\tSign\n", encoding="utf-8")
    rc = main(["evaluate", "--model", str(MODEL), "--data", str(data), "--format", "cehrner",
               "--map", str(tmp_path / "m.tsv")])
    err = capsys.readouterr().err
    assert rc == 2 and "dev.json (after --map" in err and "has Sign (1)" in err and "Give --map a file" in err


def test_some_unknown_types_are_left_out_with_a_warning(tmp_path: Path, no_model_load: list,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    data = blue(tmp_path / "dev.json", ("患者头痛，头颅ct正常。", [("头痛", "症状"), ("头颅ct", "影像检查")]))
    (tmp_path / "m.json").write_text('{"症状": "Symptom", "影像检查": "Imaging"}', encoding="utf-8")
    rc = main(["evaluate", "--model", str(MODEL), "--data", str(data), "--format", "cehrner",
               "--map", str(tmp_path / "m.json"), "--json"])
    out, err = capsys.readouterr()
    assert rc == 0
    assert "warning: the model does not know 1 of the corpus's 2 entity types, left out of the scores: Imaging (1)" in err
    scores = json.loads(out)
    assert set(scores["per_type"]) == {"Symptom"}  # Imaging is not scored as a miss
    assert [[s.label for s in r.spans] for r in no_model_load[0]] == [["Symptom"]]


def test_known_types_are_scored_as_before(tmp_path: Path, no_model_load: list,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    data = blue(tmp_path / "dev.json", ("患者头痛。", [("头痛", "症状")]))
    (tmp_path / "m.json").write_text('{"症状": "Symptom"}', encoding="utf-8")
    assert main(["evaluate", "--model", str(MODEL), "--data", str(data), "--format", "cehrner",
                 "--map", str(tmp_path / "m.json")]) == 0
    out, err = capsys.readouterr()
    assert "warning" not in err and "model stub on" in out
