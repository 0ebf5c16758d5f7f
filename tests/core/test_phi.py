"""Personal-information scan (madpg_core.phi), its masks, and the export gate of `madpg export`."""

from __future__ import annotations

import json
import re
import sys
from collections import Counter
from pathlib import Path

import pytest

from madpg_core import phi
from madpg_core.cli import main
from madpg_core.phi import KINDS, MASK_CHAR, mask, scan

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from phi_synthetic import id_number, records  # noqa: E402

ID = "11010519491231002X"  # the GB 11643 standard's own example, check digit X


def kinds(text: str) -> list[tuple[str, str]]:
    return [(f.kind, f.text) for f in scan(text)]


@pytest.mark.parametrize(("text", "kind", "found"), [
    (f"身份证号：{ID}。", "id_card", ID),
    ("身份证号 440524188001010014，", "id_card", "440524188001010014"),
    ("身份证号码 110105491231002。", "id_card", "110105491231002"),  # old 15-digit, after its cue
    ("联系电话：13812345678。", "mobile", "13812345678"),
    ("手机 +86 139-1234-5678，", "mobile", "+86 139-1234-5678"),
    ("手机186 0000 1234；", "mobile", "186 0000 1234"),
    ("单位电话 010-62345678，", "landline", "010-62345678"),
    ("固话（0571）8765432。", "landline", "（0571）8765432"),
    ("电话：87654321。", "landline", "87654321"),
    ("出生日期：1949年12月31日，", "birth_date", "1949年12月31日"),
    ("DOB: 1985-03-07 ", "birth_date", "1985-03-07"),
    ("生于19600229，", "birth_date", "19600229"),
    ("患者张三，男，45岁。", "name", "张三"),
    ("姓名：欧阳小明  性别：女", "name", "欧阳小明"),
    ("患者李建国因发热2天入院。", "name", "李建国"),
    ("家属王芳代诉病史。", "name", "王芳"),
    ("由其女儿王芳陪同就诊。", "name", "王芳"),
    ("张三，男，45岁，因腹痛入院。", "name", "张三"),  # no cue: a clause opens with it, the sex follows
    ("住院号：ZY20200101，", "record_number", "ZY20200101"),
    ("病案号 1234567。", "record_number", "1234567"),
    ("病理号:46920.15。", "record_number", "46920.15"),  # with its year suffix (cEHRNER)
    ("术后病理（病理号201435397、201433427），", "record_number", "201435397、201433427"),  # a list after one cue
    ("家住北京市朝阳区建国路88号，", "address", "北京市朝阳区建国路88号"),
    ("住址：浙江省桐乡市城关镇人民路12号。", "address", "浙江省桐乡市城关镇人民路12号"),
    ("曾于北京协和医院就诊。", "hospital", "北京协和医院"),
    ("转至杭州市第一人民医院进一步治疗。", "hospital", "杭州市第一人民医院"),
])
def test_each_kind_is_found(text: str, kind: str, found: str) -> None:
    assert (kind, found) in kinds(text)


def test_check_digit_rejects_a_wrong_id() -> None:
    assert phi.id_check_ok(ID)
    wrong = ID[:17] + "1"
    assert not phi.id_check_ok(wrong)
    assert kinds(f"身份证号：{wrong}。") == []
    for bad in ("99010519491231002X",  # no such province
                "11010519490231002X"):  # 31 February
        assert kinds(f"身份证号 {bad}") == []


def test_digits_inside_longer_runs_do_not_match() -> None:
    assert kinds(f"标本条码 {ID[:17]}0{ID}12。") == []
    assert kinds(f"条码 9{ID}") == []
    assert kinds("编码 913812345678。流水 1381234567890。") == []


@pytest.mark.parametrize("text", [
    "患者男，62岁，因反复咳嗽咳痰10年入院。", "患者女，45岁。", "患者诉腹痛3天。", "患者自述胸闷气促。",
    "患者于今日出院。", "患者高热3天，最高39.5℃。", "患者王某，女，45岁。", "患者一般情况可，精神食欲尚可。",
    "入院日期：2021-03-05，出院日期：2021-03-18。", "BP 130/80mmHg，WBC 12.5×10^9/L，PLT 138×10^9/L。",
    "予阿莫西林 0.5g tid 口服，奥美拉唑 20mg qd。", "血糖 13.5mmol/L，年龄：45岁，体重65kg。",
    "外院CT示右肺结节，遂来我院就诊。", "曾于当地医院治疗。", "于2019年12月在市人民医院行手术。", "当地县医院",
    "高热患者应予以退热镇静剂。", "出生后3天出现黄疸。", "于2020-01-01 10:30入院。", "患者于晨起活动后气促。",
    "患者汤药治疗。", "。患者，男，45岁。", "白癜风医院哪家好？", "上海哪家医院治疗好？",
])
def test_distractors_are_not_found(text: str) -> None:
    assert kinds(text) == []


def test_masks_keep_length_and_offsets() -> None:
    text = f"患者张三，男，身份证号{ID}，手机13812345678，诉头痛。"
    found = scan(text)
    assert {f.kind for f in found} == {"name", "id_card", "mobile"}
    masked = mask(text, found)
    assert len(masked) == len(text)
    for f in found:
        assert masked[f.start:f.end] == MASK_CHAR * (f.end - f.start)
    assert masked.endswith("，诉头痛。") and masked.startswith("患者＊＊，男")
    assert scan(masked) == []
    with pytest.raises(ValueError):  # a finding from another text is not masked blindly
        mask("别的文字" * 10, found)


def test_findings_never_overlap_and_the_cue_decides() -> None:
    found = scan("住院号：13812345678，")  # looks like a mobile, but the cue says what it is
    assert [(f.kind, f.text) for f in found] == [("record_number", "13812345678")]


def test_work_grows_linearly_and_patterns_are_bounded() -> None:
    # No unbounded repetition in any pattern: each match attempt reads a bounded window, so a pass
    # costs O(len(text)) whatever the text (the classic blow-up needs `+` or `*` under repetition).
    for name, value in vars(phi).items():
        if isinstance(value, re.Pattern):
            assert not re.search(r"(?<!\\)[+*](?![^\[]*\])", value.pattern), name
    texts = {"normal": records(60, seed=1)[0].text * 60, "digits": "1" * 20_000, "cues": "患者" * 10_000,
             "names": "患者张三，" * 4_000, "hospital": "北" * 19_990 + "医院"}
    for label, text in texts.items():
        text = text[:20_000]
        work: Counter = Counter()
        scan(text, work)
        assert work["passes"] == 9, label
        assert work["candidates"] <= len(text), label


def test_synthetic_records_are_found_well() -> None:
    found = hits = planted = 0
    for rec in records(40, seed=3):
        got = {(f.start, f.end, f.kind) for f in scan(rec.text)}
        gold = {(s, e, k) for s, e, k, _ in rec.planted}
        planted += len(gold)
        found += len(gold & got)
        hits += len(got)
        assert all(rec.text[s:e] == t for s, e, _, t in rec.planted)
    assert found / planted >= 0.95 and found / hits >= 0.95
    assert {k for r in records(5) for _, _, k, _ in r.planted} == set(KINDS)
    assert phi.id_check_ok(id_number(__import__("random").Random(0)))


# ------------------------------------------------------------------ the export gate

@pytest.fixture()
def project(tmp_path: Path) -> Path:
    proj = tmp_path / "proj"
    assert main(["init", str(proj), "--labels", "症状,疾病"]) == 0
    rows = [{"text": f"患者张三，男，身份证号{ID}，发热3天。", "name": "a", "status": "reviewed",
             "spans": [{"start": 30, "end": 32, "label": "症状"}]},
            {"text": "发热肺炎", "name": "b", "status": "reviewed", "spans": [{"start": 0, "end": 2, "label": "症状"}]}]
    data = tmp_path / "d.jsonl"
    data.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    assert main(["import", str(proj), "--format", "jsonl", str(data)]) == 0
    return proj


def test_export_refused_while_findings_remain(project: Path, tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    out = tmp_path / "o.jsonl"
    assert main(["export", str(project), str(out), "-f", "jsonl"]) == 2
    err = capsys.readouterr().err
    assert "export refused: 2 findings of personal information in 1 record" in err
    assert "a  name" in err and "id_card" in err
    assert "张三" not in err and ID not in err  # the listing masks what it warns about
    assert not out.exists()


def test_allow_phi_exports_as_is(project: Path, tmp_path: Path) -> None:
    out = tmp_path / "o.jsonl"
    assert main(["export", str(project), str(out), "-f", "jsonl", "--allow-phi"]) == 0
    assert ID in out.read_text(encoding="utf-8")


def test_mask_phi_masks_the_export_not_the_project(project: Path, tmp_path: Path) -> None:
    out = tmp_path / "o.jsonl"
    assert main(["export", str(project), str(out), "-f", "jsonl", "--mask-phi"]) == 0
    rows = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    text = rows[0]["text"]
    assert text == f"患者＊＊，男，身份证号{MASK_CHAR * 18}，发热3天。"
    span = rows[0]["spans"][0]
    assert text[span["start"]:span["end"]] == "发热"  # spans still sit on their characters
    assert rows[1]["text"] == "发热肺炎"
    assert main(["export", str(project), str(tmp_path / "again.jsonl"), "-f", "jsonl"]) == 2  # project unchanged


def test_phi_command_lists_findings(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    assert main(["phi", str(project), "--status", "reviewed"]) == 0
    captured = capsys.readouterr()
    assert captured.out.count("\n") == 2 and "2 findings in 1 record" in captured.err
