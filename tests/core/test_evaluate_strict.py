"""Entity scores are strict IOB2 (seqeval ``mode="strict", scheme=IOB2``), the gold side included:
an ``I-X`` without its ``B-X`` is no entity, although an import keeps it as one (repaired, warned)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from seqeval.metrics import f1_score, precision_score, recall_score
from seqeval.scheme import IOB2

from madpg_core.cli import main
from madpg_core.domain import spans_to_bio
from madpg_core.formats import read_records
from madpg_core.paths import default_model_dir
from madpg_core.train.metrics import score_tags
from madpg_core.train.strict_gold import lenient_starts, strict_gold

# gold and predicted tags where the lenient and the strict reading disagree
GOLD = [
    ["B-Disease", "I-Disease", "O", "I-Symptom", "I-Symptom", "O"],  # I- without B-: no entity when strict
    ["O", "B-Organ", "I-Symptom", "O", "B-Symptom", "I-Symptom"],  # type change inside: Organ, then nothing
]
PRED = [
    ["B-Disease", "I-Disease", "O", "B-Symptom", "I-Symptom", "O"],
    ["O", "B-Organ", "O", "O", "B-Symptom", "I-Symptom"],
]


def test_score_tags_is_seqeval_strict_not_its_default() -> None:
    ours = score_tags(GOLD, PRED).micro
    strict = dict(mode="strict", scheme=IOB2)
    assert ours.precision == pytest.approx(precision_score(GOLD, PRED, **strict))
    assert ours.recall == pytest.approx(recall_score(GOLD, PRED, **strict))
    assert ours.f1 == pytest.approx(f1_score(GOLD, PRED, **strict))
    assert ours.f1 != pytest.approx(f1_score(GOLD, PRED))  # seqeval's default (lenient) reads the I- chunk


def test_lenient_starts_are_the_chunks_an_import_repairs() -> None:
    assert lenient_starts(GOLD[0]) == {3}
    assert lenient_starts(GOLD[1]) == {2}
    assert lenient_starts(["B-X", "I-X", "I-X", "B-Y", "I-Y"]) == set()
    assert lenient_starts(["I_X", "I_X", "O", "E-X", "S-Y", "I-Y"]) == {0, 3, 5}


def _bio(path: Path, text: str, tags: list[str], image: bool = False) -> str:
    head = "IMGID:none\n" if image else ""
    return head + "".join(f"{c} {t}\n" for c, t in zip(text, tags))


def test_strict_gold_drops_only_the_repaired_spans(tmp_path: Path) -> None:
    texts = ["患者发热咳嗽。", "肺部感染头痛"]
    path = tmp_path / "gold.bio"
    path.write_text(_bio(path, texts[0], GOLD[0] + ["O"]) + "\n\n" + _bio(path, texts[1], GOLD[1], image=True) + "\n",
                    "utf-8")
    records, report = read_records(path, "bio")
    assert sum(len(r.spans) for r in records) == 5 and report.warnings  # the import keeps and warns
    strict, dropped = strict_gold(records, path, "bio")
    assert dropped == 2
    assert [[(s.start, s.end, s.label) for s in r.spans] for r in strict] == [
        [(0, 2, "Disease")], [(1, 2, "Organ"), (4, 6, "Symptom")]]
    assert strict_gold(records, path, "jsonl") == (records, 0)  # offsets carry no scheme to re-read


def test_evaluate_scores_strictly_as_seqeval_does(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The bundled model on a BIO file with a chunk that begins with I-: the reported micro P/R/F1 and
    gold count are seqeval's strict ones over the gold tags and the model's predicted tags."""
    text = "患者头痛三天，伴恶心呕吐，诊断为偏头痛。"
    tags = ["O"] * len(text)
    tags[2:4] = ["B-Symptom", "I-Symptom"]
    tags[8:12] = ["I-Symptom"] * 4  # 恶心呕吐 without its B-: no gold entity when strict
    tags[16:19] = ["B-Disease", "I-Disease", "I-Disease"]
    path = tmp_path / "dev.bio"
    path.write_text(_bio(path, text, tags), "utf-8")
    rc = main(["evaluate", "--model", str(default_model_dir()), "--data", str(path), "--format", "bio", "--json"])
    out, err = capsys.readouterr()
    assert rc == 0 and "1 gold chunk(s) beginning with I-" in err
    got = json.loads(out)["micro"]
    assert got["support"] == 2  # 3 when read leniently

    from madpg_core.inference.predictor import Predictor

    (record,), _ = read_records(path, "bio")
    (pred,) = Predictor.load(default_model_dir(), device="cpu").predict([record])
    pred_tags = spans_to_bio(text, pred)
    strict = dict(mode="strict", scheme=IOB2)
    assert got["precision"] == pytest.approx(precision_score([tags], [pred_tags], **strict))
    assert got["recall"] == pytest.approx(recall_score([tags], [pred_tags], **strict))
    assert got["f1"] == pytest.approx(f1_score([tags], [pred_tags], **strict))
