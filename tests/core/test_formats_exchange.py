"""The exchange formats (brat, CoNLL-2003, spaCy DocBin, Hugging Face Parquet): each round trip
gives back what the format carries, what it cannot carry is counted exactly, malformed input is one
FILE:LINE message, and the public corpora survive export → import with the same spans."""

from __future__ import annotations

import inspect
import io
import json
from collections import Counter
from dataclasses import replace
from pathlib import Path

import pytest
from PIL import Image

from madpg_core import transfer
from madpg_core.domain import (
    ImportReport,
    Record,
    RecordStatus,
    Span,
    SpanSource,
    assign_layers,
    layer_view,
)
from madpg_core.errors import FormatError, MadpgError
from madpg_core.formats import brat, conll2003, docbin, hf, jsonl, read_records
from madpg_core.storage import repo
from madpg_core.storage.project import Project


def arrow():  # noqa: ANN201 - the pyarrow module
    """pyarrow, which only the hf format needs; its tests skip where it is not installed."""
    pa = pytest.importorskip("pyarrow", reason="the hf format needs pyarrow (pip install pyarrow)")
    pytest.importorskip("pyarrow.parquet")
    return pa


# 否0 认1 高2 血3 压4 病5 史6 ，7 双8 下9 肢10 水11 肿12 😀13 。14 \n15 ␠16 偶17 有18 咳19 嗽20 \r21 \n22
ADMISSION = "否认高血压病史，双下肢水肿😀。\n 偶有咳嗽\r\n"
COURSE = "头\n痛，无发热。"  # 头0 \n1 痛2 ，3 无4 发5 热6 。7


def handmade() -> list[Record]:
    """Nested spans, absent and possible statuses, a model's span, an emoji outside the BMP, spaces
    and line breaks (one inside a span), a reviewed record, a name that is no file name, an empty
    record."""
    first = assign_layers([
        Span(2, 5, "Disease", assertion="absent"),
        Span(8, 13, "Symptom"),
        Span(8, 11, "Organ"),  # inside the Symptom: layer 1
        Span(19, 21, "Symptom", SpanSource.MODEL, "3", 0.75, assertion="possible"),
    ])
    second = [Span(0, 3, "Symptom"), Span(5, 7, "Symptom", assertion="absent")]
    return [Record(ADMISSION, tuple(first), name="入院记录/1", status=RecordStatus.REVIEWED),
            Record(COURSE, tuple(second), name="病程"),
            Record("", name="empty")]


def full(r: Record) -> tuple:
    return r.text, frozenset(Counter((s.start, s.end, s.label, s.assertion, s.layer, s.source, s.model_version,
                                      s.confidence) for s in r.spans).items())


def plain(spans) -> frozenset:  # noqa: ANN001
    return frozenset(Counter((s.start, s.end, s.label) for s in spans).items())


def flat(r: Record, layer: str = "outer") -> tuple:
    return r.text, plain(layer_view(r.spans, layer).spans)


def write_file(fmt_module, records: list[Record], path: Path, **options):  # noqa: ANN001, ANN201
    with open(path, "w", encoding="utf-8", newline="\n") as f:  # as transfer opens every export
        return fmt_module.write(records, f, **options)


def read(fmt_module, path: Path) -> tuple[list[Record], ImportReport]:  # noqa: ANN001
    report = ImportReport()
    return fmt_module.read(path, report), report


def message(e: pytest.ExceptionInfo) -> str:
    return str(e.value)


# --- round trips of a handmade project ---------------------------------------------------------------

def test_docbin_carries_everything(tmp_path: Path) -> None:
    records = handmade()
    counts = write_file(docbin, records, tmp_path / "x.spacy")
    assert (counts.written, counts.not_carried, counts.spans_left_out) == (3, (), 0)
    back, report = read(docbin, tmp_path / "x.spacy")
    assert report.warnings == []
    assert [(r.name, r.status, full(r)) for r in back] == [(r.name, r.status, full(r)) for r in records]


def test_docbin_holds_the_main_layer_in_ents_and_every_span_in_the_group(tmp_path: Path) -> None:
    from spacy.tokens import DocBin
    from spacy.vocab import Vocab

    write_file(docbin, handmade(), tmp_path / "x.spacy")
    doc = next(DocBin().from_disk(tmp_path / "x.spacy").get_docs(Vocab()))
    assert doc.text == ADMISSION and len(doc) == len(ADMISSION)  # one token per character
    assert [(e.start_char, e.end_char, e.label_) for e in doc.ents] == [(2, 5, "Disease"), (8, 13, "Symptom"),
                                                                        (19, 21, "Symptom")]
    assert len(doc.spans["madpg"]) == 4
    assert doc.user_data[("madpg", 2, 5, "Disease")][0]["assertion"] == "absent"


def test_brat_carries_spans_statuses_and_layers(tmp_path: Path) -> None:
    records = handmade()
    counts = brat.write_folder(records, tmp_path / "b")
    assert counts.written == 3
    assert dict(counts.not_carried) == {"record names": 1, "record statuses": 1,
                                        "model origins (source, version, confidence)": 1}
    names = sorted(p.name for p in (tmp_path / "b").iterdir())
    assert names == ["annotation.conf", "empty.ann", "empty.txt", "入院记录_1.ann", "入院记录_1.txt", "病程.ann", "病程.txt"]
    ann = (tmp_path / "b" / "入院记录_1.ann").read_text(encoding="utf-8")
    assert "A1\tAssertion T1 absent\n" in ann
    assert "Symptom 0 1;2 3\t头 痛" in (tmp_path / "b" / "病程.ann").read_text(encoding="utf-8")  # cut at the line break
    back, report = read(brat, tmp_path / "b")
    assert report.warnings == []
    by_name = {r.name: r for r in back}
    assert set(by_name) == {"入院记录_1", "病程", "empty"}
    for r in records:
        got = by_name[r.name.replace("/", "_")]
        expected = r.with_spans(replace(s, source=SpanSource.ANNOTATOR, model_version=None, confidence=None)
                                for s in r.spans)
        assert full(got) == full(expected)
        assert got.status == RecordStatus.NEW
    conf = (tmp_path / "b" / "annotation.conf").read_text(encoding="utf-8")
    assert "Assertion\tArg:<ENTITY>, Value:present|absent|possible|hypothetical|historical|family" in conf
    assert "<OVERLAP>" in conf and "[entities]\nDisease\nOrgan\nSymptom\n" in conf


def test_brat_offsets_are_code_points_in_the_exact_text(tmp_path: Path) -> None:
    """The .txt is the record's bytes as they are: \\r\\n stays two characters, the emoji one."""
    brat.write_folder(handmade(), tmp_path / "b")
    assert (tmp_path / "b" / "入院记录_1.txt").read_bytes() == ADMISSION.encode("utf-8")
    ann = (tmp_path / "b" / "入院记录_1.ann").read_text(encoding="utf-8")
    assert "\tSymptom 19 21\t咳嗽\n" in ann


@pytest.mark.parametrize("layer", ["outer", "inner"])
def test_conll2003_carries_one_layer_and_counts_the_rest(tmp_path: Path, layer: str) -> None:
    records = handmade()
    counts = write_file(conll2003, records, tmp_path / "x.conll", layer=layer)
    assert (counts.written, counts.spans_left_out) == (3, 1)
    # absent 高血压, possible 咳嗽 (also the model's), absent 发热: in either layer view (inner: the
    # Organ, present, stands for its Symptom, present too)
    assert dict(counts.not_carried) == {"assertion statuses": 3, "record names": 3, "record statuses": 1,
                                        "model origins (source, version, confidence)": 1}
    text = (tmp_path / "x.conll").read_text(encoding="utf-8")
    assert text.startswith("-DOCSTART- -X- -X- O\n\n否 - O O\n认 - O O\n高 - O B-Disease\n")
    assert "\n<LF> - O O\n<SP> - O O\n" in text and "\n<CR> - O O\n" in text and "\n😀 - O O\n" in text
    assert text.endswith("-DOCSTART- -X- -X- O\n\n")  # the empty record: a document without tokens
    back, report = read(conll2003, tmp_path / "x.conll")
    assert report.warnings == []
    assert [flat(r) for r in back] == [flat(r, layer) for r in records]
    assert [r.name for r in back] == ["x-1", "x-2", "x-3"]


def test_hf_carries_one_layer_with_class_label_names(tmp_path: Path) -> None:
    pq = arrow().parquet
    records = handmade()
    counts = write_file(hf, records, tmp_path / "x.parquet")
    assert (counts.written, counts.spans_left_out) == (3, 1)
    assert dict(counts.not_carried) == {"assertion statuses": 3, "record statuses": 1,
                                        "model origins (source, version, confidence)": 1}
    table = pq.read_table(tmp_path / "x.parquet")
    assert table.column_names == ["id", "tokens", "ner_tags"]
    info = json.loads(table.schema.metadata[b"huggingface"])["info"]["features"]
    assert info["ner_tags"]["feature"] == {"names": ["O", "B-Disease", "I-Disease", "B-Organ", "I-Organ",
                                                     "B-Symptom", "I-Symptom"], "_type": "ClassLabel"}
    row = table.slice(0, 1).to_pylist()[0]
    assert row["id"] == "入院记录/1" and row["tokens"][13] == "😀" and row["tokens"][15] == "\n"
    assert row["ner_tags"][:6] == [0, 0, 1, 2, 2, 0]
    back, report = read(hf, tmp_path / "x.parquet")
    assert report.warnings == []
    assert [(r.name, flat(r)) for r in back] == [(r.name, flat(r)) for r in records]


# --- through a project: import_into / export_project ------------------------------------------------

def folder_export_supported() -> bool:
    return "FOLDER_WRITERS" in inspect.getsource(transfer)


@pytest.fixture
def project(tmp_path: Path) -> Project:
    scan = tmp_path / "src" / "scan.png"
    scan.parent.mkdir()
    Image.new("RGB", (8, 6), (200, 30, 30)).save(scan)
    records = handmade()
    records[1] = replace(records[1], images=(str(scan),))
    with open(tmp_path / "src" / "p.jsonl", "w", encoding="utf-8") as f:
        jsonl.write(records, f)
    with Project.create(tmp_path / "p") as p:
        transfer.import_into(p, tmp_path / "src" / "p.jsonl", "jsonl")
        yield p


def project_records(project: Project) -> list[Record]:
    with project.reading() as s:
        return list(repo.iter_records(s, image_root=project.image_root))


@pytest.mark.parametrize("fmt, out", [("spacy", "x.spacy"), ("hf", "x.parquet"), ("conll2003", "x.conll"),
                                      ("brat", "brat-out")])
def test_export_then_import_through_a_project(project: Project, tmp_path: Path, fmt: str, out: str) -> None:
    if fmt == "hf":
        arrow()
    if fmt == "brat" and not folder_export_supported():
        pytest.skip("transfer.export_project does not write folder formats (FOLDER_WRITERS) yet")
    counts = transfer.export_project(project, tmp_path / out, fmt)
    assert counts.written == 3
    lost = dict(getattr(counts, "not_carried", ()))
    if fmt == "spacy":
        assert lost == {} and counts.images == 1
    else:
        assert lost.get("images", 0) == 1 and lost["record statuses"] == 1
    with Project.create(tmp_path / "q") as q:
        report = transfer.import_into(q, tmp_path / out, fmt)
        assert report.records == 3
        back = project_records(q)
    before = project_records(project)
    if fmt == "spacy":
        assert [(r.name, r.status, len(r.images), full(r)) for r in back] == \
               [(r.name, r.status, len(r.images), full(r)) for r in before]
    elif fmt == "brat":
        assert sorted(r.text for r in back) == sorted(r.text for r in before)
        assert {r.text: plain(r.spans) for r in back} == {r.text: plain(r.spans) for r in before}
    else:
        assert [flat(r) for r in back] == [flat(r) for r in before]


def test_brat_export_replaces_only_a_folder_an_export_wrote(project: Project, tmp_path: Path) -> None:
    if not folder_export_supported():
        pytest.skip("transfer.export_project does not write folder formats (FOLDER_WRITERS) yet")
    out = tmp_path / "b"
    transfer.export_project(project, out, "brat")
    (out / "stale.txt").write_text("from an earlier export")
    transfer.export_project(project, out, "brat", status="reviewed")  # its own folder: replaced whole
    assert sorted(p.name for p in out.iterdir()) == [".madpg-export", "annotation.conf", "入院记录_1.ann",
                                                     "入院记录_1.txt"]
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep")
    with pytest.raises(MadpgError, match="an export did not write"):
        transfer.export_project(project, mine, "brat")
    assert [p.name for p in mine.iterdir()] == ["notes.txt"]
    with pytest.raises(MadpgError, match="does not take the layer option"):
        transfer.export_project(project, tmp_path / "c", "brat", layer="inner")


# --- malformed and foreign input ---------------------------------------------------------------------

def brat_folder(tmp_path: Path, text: str, ann: str) -> Path:
    folder = tmp_path / "b"
    folder.mkdir()
    (folder / "a.txt").write_bytes(text.encode("utf-8"))
    (folder / "a.ann").write_bytes(ann.encode("utf-8"))
    return folder


@pytest.mark.parametrize("ann, line, says", [
    ("T1\tDisease 0 2\t高血\nT2\tDisease 1\t血\n", 2, "expected 'T1<TAB>Type START END"),
    ("T1\tDisease 0 9\t高血压\n", 1, "past the end of the text (3 characters)"),
    ("T1\tDisease 0 2\t高血\nA1\tAssertion T1 maybe\n", 2, "Assertion value 'maybe'"),
    ("T1\tDisease 0 2\t高血\nA1\tAssertion T7 absent\n", 2, "'T7', which is no T line"),
    ("T1\tDisease 0 2\t血压\n", 1, "offsets must count characters (code points)"),
    ("T1\tDisease 0 2\t高血\nT1\tDisease 0 1\t高\n", 2, "T1 is defined twice"),
    ("X1\tsomething\n", 1, "not a brat annotation line"),
    ("T1\tDisease 2 1\t\n", 1, "empty or backwards"),
])
def test_malformed_brat_is_one_file_line_message(tmp_path: Path, ann: str, line: int, says: str) -> None:
    folder = brat_folder(tmp_path, "高血压", ann)
    with pytest.raises(FormatError) as e:
        read_records(folder, "brat")
    assert message(e).startswith(f"{folder / 'a.ann'}:{line}: ") and says in message(e)


def test_brat_utf16_offsets_are_refused_not_shifted(tmp_path: Path) -> None:
    """A JavaScript tool counts 😀 as two units: the span lands one character late, and says so."""
    folder = brat_folder(tmp_path, "😀高血压", "T1\tDisease 2 5\t高血压\n")
    with pytest.raises(FormatError, match="code points"):
        read_records(folder, "brat")


def test_brat_fragments_notes_relations_and_other_attributes(tmp_path: Path) -> None:
    text = "左侧\n肢体无力，右侧正常"  # 左0 侧1 \n2 肢3 体4 无5 力6 ，7 右8 侧9 正10 常11
    ann = ("T1\tSymptom 0 2;3 7\t左侧 肢体无力\n"  # apart by a line break: one span
           "T2\tOrgan 0 2;8 10\t左侧 右侧\n"  # apart by text: two spans
           "A1\tNegation T1\n"  # binary negation → absent
           "A2\tSeverity T1 mild\n"  # not carried
           "R1\tLocated Arg1:T1 Arg2:T2\n"
           "#1\tAnnotatorNotes T1\tchecked\n"
           "E1\tEvent:T1\n")
    folder = brat_folder(tmp_path, text, ann)
    records, report = read_records(folder, "brat")
    assert {(s.start, s.end, s.label, s.assertion) for s in records[0].spans} == {
        (0, 7, "Symptom", "absent"), (0, 2, "Organ", "present"), (8, 10, "Organ", "present")}
    joined = "\n".join(report.warnings)
    assert "1 discontinuous entity (fragments apart) read as separate spans, first at " + f"{folder / 'a.ann'}:2" in joined
    for kind in ("relations (R)", "notes (#)", "events (E)", "attributes (Severity)"):
        assert f"{kind} not carried: 1 " in joined


def test_brat_export_refuses_a_folder_that_holds_something(tmp_path: Path) -> None:
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "keep.txt").write_text("x")
    with pytest.raises(MadpgError, match="not an empty folder"):
        brat.write_folder(handmade(), tmp_path / "b")


@pytest.mark.parametrize("content, line, says", [
    ("-DOCSTART- -X- -X- O\n\n患 - O B-Disease\n者\n", 4, "expected 'TOKEN POS CHUNK NER'"),
    ("患 - O B-Disease\n者 - O X-Disease\n", 2, "is not O, B-TYPE or I-TYPE"),
])
def test_malformed_conll2003_is_one_file_line_message(tmp_path: Path, content: str, line: int, says: str) -> None:
    path = tmp_path / "x.conll"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(FormatError) as e:
        read_records(path, "conll2003")
    assert message(e).startswith(f"{path}:{line}: ") and says in message(e)


def test_conll2003_reads_iob1_and_english_words(tmp_path: Path) -> None:
    path = tmp_path / "eng.conll"
    path.write_text("-DOCSTART- -X- -X- O\n\nEU NNP B-NP I-ORG\nrejects VBZ B-VP O\nGerman JJ B-NP I-MISC\n"
                    "call NN I-NP O\n\nPeter NNP B-NP I-PER\nBlackburn NNP I-NP I-PER\n\n", encoding="utf-8")
    records, report = read_records(path, "conll2003")
    (r,) = records
    assert r.text == "EU rejects German call\nPeter Blackburn"
    assert [(r.text[s.start:s.end], s.label) for s in r.spans] == [("EU", "ORG"), ("German", "MISC"),
                                                                  ("Peter Blackburn", "PER")]
    assert any("3 entities start with I- (IOB1)" in w for w in report.warnings)
    assert any("read as words joined by a space" in w for w in report.warnings)


def test_conll2003_without_docstart_reads_each_sentence_as_a_record(tmp_path: Path) -> None:
    path = tmp_path / "x.conll"
    path.write_text("发 B-Symptom\n热 I-Symptom\n\n\n咳 B-Symptom\n嗽 I-Symptom\n", encoding="utf-8")
    records, _ = read_records(path, "conll2003")
    assert [(r.text, [(s.start, s.end) for s in r.spans]) for r in records] == [("发热", [(0, 2)]), ("咳嗽", [(0, 2)])]


def test_not_a_docbin_is_one_clear_message(tmp_path: Path) -> None:
    path = tmp_path / "x.spacy"
    path.write_bytes(b"not a docbin at all")
    with pytest.raises(FormatError, match=r"x\.spacy: not a spaCy DocBin \(\.spacy\) file"):
        read_records(path, "spacy")


def test_a_docbin_made_elsewhere_reads_ents_and_span_groups(tmp_path: Path) -> None:
    from spacy.tokens import Doc, DocBin
    from spacy.vocab import Vocab

    doc = Doc(Vocab(), words=["双下肢", "水肿", "明显"], spaces=[False, False, False])
    doc.ents = [doc.char_span(0, 5, label="Symptom")]
    doc.spans["sc"] = [doc.char_span(0, 3, label="Organ"), doc.char_span(0, 5, label="Symptom")]
    DocBin(docs=[doc]).to_disk(tmp_path / "x.spacy")
    records, report = read_records(tmp_path / "x.spacy", "spacy")
    assert {(s.start, s.end, s.label, s.layer) for s in records[0].spans} == {(0, 5, "Symptom", 0), (0, 3, "Organ", 1)}
    assert "without a 'madpg' span group" in report.warnings[0]


def test_hf_without_tag_names_or_columns_is_one_clear_message(tmp_path: Path) -> None:
    pa = arrow()
    pq = pa.parquet
    path = tmp_path / "x.parquet"
    pq.write_table(pa.table({"tokens": [["发", "热"]], "ner_tags": [[1, 2]]}), path)
    with pytest.raises(FormatError, match=r"x\.parquet: row 1: ner_tags are numbers, but neither"):
        read_records(path, "hf")
    (tmp_path / "dataset_info.json").write_text(json.dumps({"features": {"ner_tags": {
        "feature": {"names": ["O", "B-Symptom", "I-Symptom"], "_type": "ClassLabel"}, "_type": "List"}}}))
    records, _ = read_records(path, "hf")  # the names beside it serve
    assert [(s.start, s.end, s.label) for s in records[0].spans] == [(0, 2, "Symptom")]
    pq.write_table(pa.table({"words": [["发"]]}), path)
    with pytest.raises(FormatError, match=r"x\.parquet: no tokens or ner_tags column \(columns: words\)"):
        read_records(path, "hf")
    pq.write_table(pa.table({"tokens": [["发", "热"]], "ner_tags": [["B-Symptom"]]}), path)
    with pytest.raises(FormatError, match="row 1: 2 tokens but 1 ner_tags"):
        read_records(path, "hf")


def test_hf_reads_a_save_to_disk_dataset_dict(tmp_path: Path) -> None:
    """The layout datasets' save_to_disk writes: dataset_dict.json, one folder per split with
    state.json, dataset_info.json and Arrow stream files."""
    pa = arrow()
    names = ["O", "B-Symptom", "I-Symptom"]
    for split, tokens in (("train", ["发", "热"]), ("test", ["咳", "嗽", "。"])):
        folder = tmp_path / "ds" / split
        folder.mkdir(parents=True)
        table = pa.table({"id": ["0"], "tokens": [tokens], "ner_tags": [[1, 2] + [0] * (len(tokens) - 2)]})
        with pa.OSFile(str(folder / "data-00000-of-00001.arrow"), "wb") as sink, \
                pa.ipc.new_stream(sink, table.schema) as writer:
            writer.write_table(table)
        (folder / "state.json").write_text(json.dumps({"_data_files": [{"filename": "data-00000-of-00001.arrow"}]}))
        (folder / "dataset_info.json").write_text(json.dumps({"features": {"ner_tags": {
            "feature": {"names": names, "_type": "ClassLabel"}, "_type": "Sequence"}}}))
    (tmp_path / "ds" / "dataset_dict.json").write_text(json.dumps({"splits": ["train", "test"]}))
    records, _ = read_records(tmp_path / "ds", "hf")
    assert [(r.name, r.text, [(s.start, s.end, s.label) for s in r.spans]) for r in records] == [
        ("train-0", "发热", [(0, 2, "Symptom")]), ("test-0", "咳嗽。", [(0, 2, "Symptom")])]


def test_binary_writers_take_a_binary_file_too() -> None:
    arrow()
    for module in (docbin, hf):
        buf = io.BytesIO()
        assert module.write(handmade(), buf).written == 3 and buf.getvalue()


# --- the public corpora -----------------------------------------------------------------------------

CORPORA = [("cehrner", "ner/cehrner/dev.json"), ("cmedqaner", "ner/cmedqaner/dev.json"),
           ("cmeee", "ner/cmeee/CMeEE_dev.json")]
CORPUS_RECORDS = 600  # enough for every shape (CMeEE's nested pairs included), quick on two cores


def round_trip(fmt: str, records: list[Record], where: Path):  # noqa: ANN201
    """(records read back, counts) for one format: export, then import as a user would."""
    if fmt == "brat":
        counts = brat.write_folder(records, where / "brat")
        return read_records(where / "brat", "brat")[0], counts
    suffix = {"conll2003": ".conll", "spacy": ".spacy", "hf": ".parquet"}[fmt]
    module = {"conll2003": conll2003, "spacy": docbin, "hf": hf}[fmt]
    counts = write_file(module, records, where / f"out{suffix}")
    return read_records(where / f"out{suffix}", fmt)[0], counts


@pytest.mark.parametrize("fmt", ["brat", "conll2003", "spacy", "hf"])
@pytest.mark.parametrize("corpus, file", CORPORA)
def test_public_corpora_round_trip(shared_data: Path, tmp_path: Path, corpus: str, file: str, fmt: str) -> None:
    if not (shared_data / file).is_file():
        pytest.skip(f"{file} not found in {shared_data}")
    if fmt == "hf":
        arrow()
    records = read_records(shared_data / file, corpus)[0][:CORPUS_RECORDS]
    back, counts = round_trip(fmt, records, tmp_path)
    assert len(back) == len(records) == counts.written
    if fmt in ("brat", "spacy"):  # every span of every layer
        by_text = Counter((r.text, plain(r.spans)) for r in back)
        assert by_text == Counter((r.text, plain(r.spans)) for r in records)
        if fmt == "spacy":
            assert [full(r) for r in back] == [full(r) for r in records]
    else:
        assert [flat(r) for r in back] == [flat(r) for r in records]
        nested = sum(layer_view(r.spans).left_out for r in records)
        assert counts.spans_left_out == nested
        assert sum(len(r.spans) for r in back) + nested == sum(len(r.spans) for r in records)
