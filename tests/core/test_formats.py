from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from madpg_core.domain import LabelSchema, Record, RecordStatus, Span
from madpg_core.errors import FormatError, MadpgError
from madpg_core.formats import load_type_map, read_records
from madpg_core.storage import repo
from madpg_core.storage.project import Project
from madpg_core.paths import REPO_ROOT as REPO
from madpg_core.transfer import export_project, import_into

CEHRNER_TYPES = ["疾病和诊断", "症状", "解剖部位", "手术", "药物", "影像检查", "实验室检验"]


@pytest.fixture
def project(tmp_path: Path) -> Project:
    with Project.create(tmp_path / "p", LabelSchema.from_names(["Disease", "Symptom", "Organ"])) as p:
        yield p


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_jsonl_is_lossless(project: Project, tmp_path: Path) -> None:
    rec = Record("😀患者\r\n胸痛，发热", (Span(5, 7, "Symptom", confidence=None),), name="a", status=RecordStatus.REVIEWED)
    src = write(tmp_path / "in.jsonl", json.dumps({
        "name": "a", "text": rec.text, "status": "reviewed",
        "spans": [{"start": 5, "end": 7, "label": "Symptom"}]}, ensure_ascii=False) + "\n")
    import_into(project, src, "jsonl")
    export_project(project, tmp_path / "out.jsonl", "jsonl")
    back, _ = read_records(tmp_path / "out.jsonl", "jsonl")
    assert back[0].text == rec.text and back[0].status == RecordStatus.REVIEWED
    assert [(s.start, s.end, s.label) for s in back[0].spans] == [(5, 7, "Symptom")]


def test_bio_export_and_import_round_trip_whitespace(project: Project, tmp_path: Path) -> None:
    text = "左肺 下叶\r\n肺炎\t伴\u3000发热"
    with project.transaction() as s:
        repo.add_record(s, Record(text, (Span(0, 5, "Organ"), Span(7, 9, "Disease"))))
        repo.add_record(s, Record("", ()))  # cannot stand in BIO: skipped, not corrupting the file
    export_project(project, tmp_path / "o.bio", "bio")
    lines = (tmp_path / "o.bio").read_text(encoding="utf-8").split("\n")
    assert lines[2] == "<SP> I-Organ" and "<CR> O" in lines and "<U+3000> O" in lines
    back, report = read_records(tmp_path / "o.bio", "bio")
    assert [r.text for r in back] == [text]
    assert [(s.start, s.end, s.label) for s in back[0].spans] == [(0, 5, "Organ"), (7, 9, "Disease")]
    assert not report.warnings


def test_bio_reads_imgid_and_repairs_tags(tmp_path: Path) -> None:
    (tmp_path / "x1.png").write_bytes(b"png")
    src = write(tmp_path / "d.txt", "IMGID:x1\n肺 I-Organ\n炎 O\n\nIMGID:missing\n咳 B-Symptom\n")
    records, report = read_records(src, "bio")
    assert records[0].images == (str(tmp_path / "x1.png"),)
    assert records[0].spans[0].label == "Organ"
    assert records[1].images == ()
    assert any("I-Organ follows O" in w for w in report.warnings)
    assert any("missing" in w for w in report.warnings)


@pytest.mark.parametrize("fmt, content, line", [
    ("bio", "肺 B-Organ\n炎\n", 2),
    ("bio", "肺 B-Organ\n炎症 O\n", 2),
    ("bio", "肺 Q-Organ\n", 1),
    ("jsonl", '{"text": "ok"}\n{"text": "broken"\n', 2),
    ("jsonl", '{"text": "ab", "spans": [{"start": 0, "end": 2, "label": "Organ"}, '
              '{"start": 1, "end": 2, "label": "Organ"}]}\n', 1),
    ("cehrner", '{"text": "ab", "mention_data": [{"mention": "a", "label": "Organ"}]}\n', 1),
])
def test_malformed_input_names_file_and_line_and_imports_nothing(
        project: Project, tmp_path: Path, fmt: str, content: str, line: int) -> None:
    good = '{"text": "fine"}\n' if fmt == "jsonl" else ""
    src = write(tmp_path / f"bad.{fmt}", good + content if fmt != "jsonl" else content)
    with pytest.raises(FormatError) as e:
        import_into(project, src, fmt)
    assert f"bad.{fmt}:{line}" in str(e.value)
    with project.reading() as s:
        assert repo.stats(s).records == 0


def test_non_utf8_file_is_refused_clearly_and_gb18030_can_be_asked_for(project: Project, tmp_path: Path) -> None:
    src = tmp_path / "gbk.jsonl"
    src.write_bytes(json.dumps({"text": "患者发热"}, ensure_ascii=False).encode("gb18030") + b"\n")
    with pytest.raises(FormatError, match="not valid utf-8.*--encoding"):
        import_into(project, src, "jsonl")
    import_into(project, src, "jsonl", encoding="gb18030")
    with project.reading() as s:
        assert [r.text for r in repo.iter_records(s)] == ["患者发热"]


def test_unknown_types_need_a_map_and_unmapped_types_are_counted(project: Project, tmp_path: Path) -> None:
    src = write(tmp_path / "c.json", json.dumps({"text": "发热肺炎", "mention_data": [
        {"mention": "发热", "label": "症状", "offset": "0"},
        {"mention": "肺炎", "label": "疾病和诊断", "offset": "2"}]}, ensure_ascii=False) + "\n")
    with pytest.raises(MadpgError, match="not in the project's schema.*--map"):
        import_into(project, src, "cehrner")
    mapping = write(tmp_path / "m.tsv", "# comment\n症状\tSymptom\n")
    report = import_into(project, src, "cehrner", load_type_map(mapping))
    assert report.spans == 1 and report.dropped_by_type == {"疾病和诊断": 1}


def test_blue_offsets_are_repaired_or_dropped(tmp_path: Path) -> None:
    src = write(tmp_path / "q.json", json.dumps({"text": "头痛，头晕", "mention_data": [
        {"mention": "头晕", "type": "symptom", "offset": "0"},
        {"mention": "胸闷", "type": "symptom", "offset": "1"}]}, ensure_ascii=False) + "\n")
    records, report = read_records(src, "cmedqaner")
    assert [(s.start, s.end) for s in records[0].spans] == [(3, 5)]
    assert len(report.warnings) == 2


def test_cmeee_inclusive_ends_and_nested_entities(tmp_path: Path) -> None:
    src = write(tmp_path / "m.json", json.dumps([{"text": "咽肌痉挛", "entities": [
        {"start_idx": 0, "end_idx": 3, "type": "sym", "entity": "咽肌痉挛"},
        {"start_idx": 0, "end_idx": 1, "type": "bod", "entity": "咽肌"},
        {"start_idx": 0, "end_idx": 1, "type": "bod", "entity": "咽肌"}]}], ensure_ascii=False))
    records, report = read_records(src, "cmeee")
    # the nested entity goes to layer 1; the one listed twice is kept once, and said so
    assert [(s.start, s.end, s.label, s.layer) for s in records[0].spans] == [(0, 4, "sym", 0), (0, 2, "bod", 1)]
    assert report.warnings == [f"{src}: item 1: 1 entity listed twice; kept once"]


def test_folder_pairs_with_several_images(project: Project, tmp_path: Path) -> None:
    d = tmp_path / "cases"
    (d / "b").mkdir(parents=True)
    write(d / "a.txt", "胸片示心影增大")
    write(d / "b.txt", "头颅ct未见异常")
    from PIL import Image

    for name in ("a.png", "b/scan.jpg", "orphan.png"):
        Image.new("RGB", (4, 4), (10, 20, 30)).save(d / name)  # imports decode every image they accept
    shutil.copyfile(REPO / "resources" / "demo" / "images" / "CT_small.dcm", d / "a_2.dcm")
    report = import_into(project, d, "folder")
    assert (report.records, report.images) == (2, 3)
    assert any("orphan.png" in w for w in report.warnings)
    with project.reading() as s:
        recs = list(repo.iter_records(s, image_root=project.image_root))
    assert [len(r.images) for r in recs] == [2, 1]
    assert all(Path(p).is_file() and str(project.folder) in p for r in recs for p in r.images)


def test_export_reviewed_only(project: Project, tmp_path: Path) -> None:
    with project.transaction() as s:
        repo.add_record(s, Record("甲", status=RecordStatus.REVIEWED))
        repo.add_record(s, Record("乙"))
    assert export_project(project, tmp_path / "r.jsonl", "jsonl", "reviewed").written == 1
    assert export_project(project, tmp_path / "a.jsonl", "jsonl", "all").written == 2


def test_cehrner_test_split_exports_exactly_the_corpus_bio(tmp_path: Path, shared_data: Path) -> None:
    corpus = shared_data / "ner" / "cehrner"
    with Project.create(tmp_path / "c", LabelSchema.from_names(CEHRNER_TYPES)) as p:
        report = import_into(p, corpus / "test.json", "cehrner")
        assert (report.records, report.spans) == (41, 632)
        export_project(p, tmp_path / "test.bio", "bio")
    # the corpus writes a space as 叒; the import turned it into the space it stands for (<SP> in BIO)
    expected = [("<SP>" + line[1:] if line.startswith("叒 ") else line).replace(" B_", " B-").replace(" I_", " I-")
                for line in (corpus / "test.txt").read_text(encoding="utf-8").strip("\n").split("\n")]
    got = (tmp_path / "test.bio").read_text(encoding="utf-8").strip("\n").split("\n")
    assert got == expected


def test_cancelled_export_leaves_no_file(project: Project, tmp_path: Path) -> None:
    import threading

    from madpg_core.errors import Cancelled

    with project.transaction() as s:
        for i in range(3):
            repo.add_record(s, Record(f"记录{i}"))
    stop = threading.Event()
    stop.set()
    with pytest.raises(Cancelled):
        export_project(project, tmp_path / "x.bio", "bio", stop=stop)
    assert list(tmp_path.glob("x.bio*")) == []
