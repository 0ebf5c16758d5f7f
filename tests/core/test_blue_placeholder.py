"""ChineseBLUE's ``叒`` (its stand-in for a space) becomes a space on import, one character for one:
no span moves, and the import says how many once."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from madpg_core.formats import read_records


def test_a_handmade_line_gets_its_spaces_back_and_keeps_its_offsets(tmp_path: Path) -> None:
    text = "奥沙利铂叒150mg叒d1,患者自诉叒叒头痛"
    mentions = [{"mention": "奥沙利铂叒150mg", "label": "药物", "offset": "0"},  # a mention holding one
                {"mention": "头痛", "label": "症状", "offset": str(text.index("头痛"))}]
    src = tmp_path / "dev.json"
    src.write_text(json.dumps({"text": text, "mention_data": mentions}, ensure_ascii=False) + "\n"
                   + json.dumps({"text": "无叒占位", "mention_data": []}, ensure_ascii=False) + "\n", encoding="utf-8")
    (first, second), report = read_records(src, "cehrner")
    assert first.text == "奥沙利铂 150mg d1,患者自诉  头痛" and len(first.text) == len(text)
    assert [(s.start, s.end, s.label, first.text[s.start:s.end]) for s in first.spans] == [
        (0, 10, "药物", "奥沙利铂 150mg"), (text.index("头痛"), text.index("头痛") + 2, "症状", "头痛")]
    assert second.text == "无 占位"
    assert report.warnings == [f"{src}: 5 spaces written as «叒» (ChineseBLUE's placeholder) turned back into "
                               "spaces; no offset moved"]


def test_a_file_without_the_placeholder_says_nothing(tmp_path: Path) -> None:
    src = tmp_path / "q.json"
    src.write_text(json.dumps({"text": "头痛\u3000发热", "mention_data": [{"mention": "头痛", "type": "symptom",
                                                                        "offset": "0"}]}, ensure_ascii=False),
                   encoding="utf-8")
    (record,), report = read_records(src, "cmedqaner")
    assert record.text == "头痛\u3000发热" and not report.warnings  # a real ideographic space stays


def test_cehrner_has_no_placeholder_left_and_every_mention_still_fits(shared_data: Path) -> None:
    for split in ("train", "dev", "test"):
        path = shared_data / "ner" / "cehrner" / f"{split}.json"
        raw = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        records, report = read_records(path, "cehrner")
        assert not any("叒" in r.text for r in records)
        assert [len(r.text) for r in records] == [len(o["text"]) for o in raw]
        n = sum(o["text"].count("叒") for o in raw)
        assert n > 0 and sum(f"{n} spaces written as «叒»" in w for w in report.warnings) == 1
        for r, o in zip(records, raw):  # every span still covers its mention, with spaces for 叒
            wanted = sorted(m["mention"].replace("叒", " ") for m in o["mention_data"])
            got = [r.text[s.start:s.end] for s in r.spans]
            assert all(g in wanted for g in got)


@pytest.mark.parametrize("split", ["train", "dev", "test"])
def test_cmedqaner_has_no_placeholder(shared_data: Path, split: str) -> None:
    """The corpus this reader also reads: nothing to turn back, so nothing said about it."""
    records, report = read_records(shared_data / "ner" / "cmedqaner" / f"{split}.json", "cmedqaner")
    assert records and not any("«叒»" in w for w in report.warnings)
