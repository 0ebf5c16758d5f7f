"""Hostile and malformed input files: each gives one clear error naming the file (and the line where
there is one), never a traceback, and nothing wrong is kept silently."""

from __future__ import annotations

import io
import json
import logging
import os
from pathlib import Path

import pytest

from madpg_core.domain import Record, RecordStatus, Span, SpanSource
from madpg_core.errors import FormatError, MadpgError
from madpg_core.formats import ImageRefs, WriteCounts, conll, jsonl, load_type_map, read_records

PNG = b"\x89PNG\r\n\x1a\n"  # the readers only check that the file exists


def line(obj: object) -> str:
    return json.dumps(obj, ensure_ascii=False) + "\n"


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """tmp/in: where the imported file lies, with one image; tmp/out: a folder it must not reach."""
    (tmp_path / "in").mkdir()
    (tmp_path / "out").mkdir()
    (tmp_path / "in" / "ok.png").write_bytes(PNG)
    (tmp_path / "out" / "secret.png").write_bytes(PNG)
    (tmp_path / "out" / "secret").write_bytes(PNG)
    (tmp_path / "out" / "notes.txt").write_text("私人笔记", encoding="utf-8")
    return tmp_path


# --- image reference policy ----------------------------------------------------------------------------

def _jsonl_with_image(tree: Path, ref: str) -> tuple[Path, str]:
    src = tree / "in" / "d.jsonl"
    src.write_text(line({"text": "ok"}) + line({"text": "甲", "images": [ref]}), encoding="utf-8")
    return src, "jsonl"


def _bio_with_image(tree: Path, ref: str) -> tuple[Path, str]:
    src = tree / "in" / "d.bio"
    src.write_text(f"甲 O\n\nIMGID:{ref}\n乙 O\n", encoding="utf-8")
    return src, "bio"


def _link(tree: Path, name: str, target: str) -> None:
    os.symlink(tree / "out" / target, tree / "in" / name)


@pytest.mark.parametrize("make, ref, setup", [
    (_jsonl_with_image, "../out/secret.png", None),
    (_jsonl_with_image, "sub/../../out/secret.png", None),
    (_jsonl_with_image, "{out}/secret.png", None),  # absolute
    (_jsonl_with_image, "link.png", ("link.png", "secret.png")),
    (_jsonl_with_image, "linkdir/secret.png", ("linkdir", "")),
    (_bio_with_image, "../out/secret", None),
    (_bio_with_image, "{out}/secret.png", None),
    (_bio_with_image, "link", ("link.png", "secret.png")),  # found by the suffix guess
    (_bio_with_image, "secret", ("images", "")),  # found in the images/ subfolder
])
def test_image_reference_leading_outside_is_refused_with_file_and_line(tree: Path, make, ref: str, setup) -> None:
    if setup:
        _link(tree, *setup)
    src, fmt = make(tree, ref.format(out=tree / "out"))
    with pytest.raises(FormatError) as e:
        read_records(src, fmt)
    msg = str(e.value)
    assert msg.startswith(f"{src}:3: " if fmt == "bio" else f"{src}:2: ")
    assert f"outside {os.path.realpath(tree / 'in')}" in msg and "--allow-outside-images" in msg


@pytest.mark.parametrize("make", [_jsonl_with_image, _bio_with_image])
def test_image_outside_is_accepted_when_allowed(tree: Path, make) -> None:
    _link(tree, "link.png", "secret.png")
    src, fmt = make(tree, "link.png")
    records, _ = read_records(src, fmt, images=ImageRefs(allow_outside=True))
    assert records[1].images == (str(tree / "in" / "link.png"),)
    src, fmt = make(tree, str(tree / "out" / "secret.png"))
    records, _ = read_records(src, fmt, images=ImageRefs(allow_outside=True))
    assert records[1].images == (str(tree / "out" / "secret.png"),)


@pytest.mark.parametrize("make", [_jsonl_with_image, _bio_with_image])
def test_images_root_resolves_relative_references_and_widens_the_allowed_place(tree: Path, make) -> None:
    src, fmt = make(tree, "out/secret.png")
    records, _ = read_records(src, fmt, images=ImageRefs(root=tree))
    assert records[1].images == (str(tree / "out" / "secret.png"),)
    src, fmt = make(tree, "../secret.png")  # relative to the root, which is tmp/out: leads to tmp
    with pytest.raises(FormatError, match="outside .*out; images must lie in the images root"):
        read_records(src, fmt, images=ImageRefs(root=tree / "out"))


@pytest.mark.parametrize("make", [_jsonl_with_image, _bio_with_image])
def test_absolute_path_and_symlink_inside_the_folder_are_fine(tree: Path, make) -> None:
    os.symlink(tree / "in" / "ok.png", tree / "in" / "alias.png")
    for ref in (str(tree / "in" / "ok.png"), "alias.png"):
        src, fmt = make(tree, ref)
        records, _ = read_records(src, fmt)
        assert len(records[1].images) == 1


def test_missing_jsonl_image_is_an_error_with_the_line(tree: Path) -> None:
    src, fmt = _jsonl_with_image(tree, "nowhere.png")
    with pytest.raises(FormatError, match=r"d\.jsonl:2: image 'nowhere\.png' not found"):
        read_records(src, fmt)


@pytest.mark.parametrize("ref", ["", " "])
def test_empty_image_reference_is_an_error(tree: Path, ref: str) -> None:
    src, fmt = _jsonl_with_image(tree, ref)
    with pytest.raises(FormatError, match=r"d\.jsonl:2: image reference"):
        read_records(src, fmt)


def _case_folder(tree: Path) -> Path:
    d = tree / "in"
    (d / "case1.txt").write_text("胸片", encoding="utf-8")
    return d


@pytest.mark.parametrize("name, target, what", [
    ("case1_2.png", "secret.png", "image"),
    ("case1", "", "folder"),  # a linked subfolder: rglob skipped it silently, now refused
    ("case2.txt", "notes.txt", "text file"),
])
def test_folder_import_refuses_links_that_lead_outside(tree: Path, name: str, target: str, what: str) -> None:
    d = _case_folder(tree)
    _link(tree, name, target)
    with pytest.raises(FormatError, match=f"^{d}: {what} '{name}' resolves to .*outside"):
        read_records(d, "folder")
    records, _ = read_records(d, "folder", images=ImageRefs(allow_outside=True))
    assert len(records) == (2 if what == "text file" else 1)
    assert sum(len(r.images) for r in records) == (0 if what == "text file" else 1)


def test_folder_import_follows_a_linked_subfolder_inside_and_survives_a_loop(tree: Path) -> None:
    d = _case_folder(tree)
    (d / "scans").mkdir()
    (d / "scans" / "a.png").write_bytes(PNG)
    os.symlink(d / "scans", d / "case1")  # case1/ → scans/: the record's image folder
    os.symlink(d, d / "scans" / "loop")
    records, report = read_records(d, "folder")
    assert records[0].images == (str(d / "case1" / "a.png"),)
    assert any("not followed" in w for w in report.warnings)


# --- strict types ------------------------------------------------------------------------------------------

def _span(**kw: object) -> dict:
    return {"start": 0, "end": 2, "label": "Organ", **kw}


JSONL_BAD = [
    ({"text": "左肺", "spans": [_span(start=0.0)]}, '"start" must be an integer'),
    ({"text": "左肺", "spans": [_span(end=1.9)]}, '"end" must be an integer'),
    ({"text": "左肺", "spans": [_span(start=True)]}, '"start" must be an integer'),
    ({"text": "左肺", "spans": [_span(start="0")]}, '"start" must be an integer'),
    ({"text": "左肺", "spans": [_span(start=-1)]}, "must not be negative"),
    ({"text": "左肺", "spans": [_span(label=5)]}, '"label" must be a non-empty string'),
    ({"text": "左肺", "spans": [_span(label="")]}, '"label" must be a non-empty string'),
    ({"text": "左肺", "spans": [_span(confidence="0.5")]}, '"confidence" must be null or a number'),
    ({"text": "左肺", "spans": [_span(confidence=True)]}, '"confidence" must be null or a number'),
    ({"text": "左肺", "spans": [_span(confidence=1.5)]}, '"confidence" must be null or a number'),
    ({"text": "左肺", "spans": [_span(confidence=float("nan"))]}, '"confidence" must be null or a number'),
    ({"text": "左肺", "spans": [_span(confidence=float("inf"))]}, '"confidence" must be null or a number'),
    ({"text": "左肺", "spans": [_span(model_version=True)]}, '"model_version" must be null, a string'),
    ({"text": "左肺", "spans": [_span(model_version=1.5)]}, '"model_version" must be null, a string'),
    ({"text": "左肺", "spans": [_span(source="human")]}, '"source" must be one of annotator, model'),
    ({"text": "左肺", "spans": [_span(text="肺炎")]}, "offsets must count characters"),
    ({"text": "左肺", "status": "done"}, '"status" must be one of new, pre-labelled, reviewed'),
    ({"text": "左肺", "status": None}, '"status" must be one of'),
    ({"text": "左肺", "name": 7}, '"name" must be a string'),
    ({"text": "左肺", "name": None}, '"name" must be a string'),
    ({"text": "左肺", "images": "a.png"}, '"images" must be an array'),
    ({"text": "左肺", "images": [3]}, '"images" item 1 must be a string'),
    ({"text": "左肺", "spans": {"start": 0}}, '"spans" must be an array'),
    ({"text": "左肺", "spans": [[0, 2, "Organ"]]}, '"spans" item 1 must be an object'),
    ({"text": None}, '"text" must be a string, not null'),
    ({"text": ["左肺"]}, '"text" must be a string, not an array'),
    ({"name": "a"}, 'missing field "text"'),
    (["左肺"], "expected an object"),
]

BLUE_BAD = [
    ({"text": "左肺", "mention_data": [{"mention": "左", "label": "X", "offset": 0.0}]}, '"offset" must be'),
    ({"text": "左肺", "mention_data": [{"mention": "左", "label": "X", "offset": True}]}, '"offset" must be'),
    ({"text": "左肺", "mention_data": [{"mention": "左", "label": "X", "offset": " 0"}]}, '"offset" must be'),
    ({"text": "左肺", "mention_data": [{"mention": "左", "label": "X", "offset": "١"}]}, '"offset" must be'),
    ({"text": "左肺", "mention_data": [{"mention": "左", "label": "X", "offset": "-1"}]}, '"offset" must be'),
    ({"text": "左肺", "mention_data": [{"mention": "左", "label": 5, "offset": "0"}]}, '"label" must be a string'),
    ({"text": "左肺", "mention_data": [{"mention": "左", "type": [], "offset": "0"}]}, '"label" must be a string'),
    ({"text": "左肺", "mention_data": [{"mention": 1, "label": "X", "offset": "0"}]}, '"mention" must be a string'),
    ({"text": "左肺", "mention_data": {"mention": "左"}}, '"mention_data" must be an array'),
    ({"text": "左肺", "mention_data": ["左"]}, '"mention_data" item 1 must be an object'),
    ({"text": 12}, '"text" must be a string'),
]


@pytest.mark.parametrize("obj, message", JSONL_BAD)
def test_jsonl_field_of_the_wrong_type_is_an_error_with_the_line(tmp_path: Path, obj: object, message: str) -> None:
    src = tmp_path / "d.jsonl"
    # allow_nan: json writes NaN/Infinity, which Python's reader accepts; the reader must refuse them.
    src.write_text(line({"text": "ok"}) + json.dumps(obj, ensure_ascii=False) + "\n", encoding="utf-8")
    with pytest.raises(FormatError) as e:
        read_records(src, "jsonl")
    assert str(e.value).startswith(f"{src}:2: ") and message in str(e.value)


@pytest.mark.parametrize("fmt", ["cehrner", "cmedqaner"])
@pytest.mark.parametrize("obj, message", BLUE_BAD)
def test_blue_field_of_the_wrong_type_is_an_error_with_the_line(
        tmp_path: Path, fmt: str, obj: object, message: str) -> None:
    src = tmp_path / "d.json"
    src.write_text(line({"text": "ok"}) + line(obj), encoding="utf-8")
    with pytest.raises(FormatError) as e:
        read_records(src, fmt)
    assert str(e.value).startswith(f"{src}:2: ") and message in str(e.value)


def test_blue_digit_string_and_integer_offsets_are_both_read(tmp_path: Path) -> None:
    src = tmp_path / "d.json"
    src.write_text(line({"text": "左肺", "mention_data": [{"mention": "左", "label": "X", "offset": "0"},
                                                          {"mention": "肺", "type": "Y", "offset": 1}]}),
                   encoding="utf-8")
    records, report = read_records(src, "cehrner")
    assert [(s.start, s.end, s.label) for s in records[0].spans] == [(0, 1, "X"), (1, 2, "Y")]
    assert not report.warnings


def _entity(**kw: object) -> dict:
    return {"start_idx": 0, "end_idx": 1, "type": "bod", "entity": "左肺", **kw}


@pytest.mark.parametrize("items, message", [
    ([{"text": "左肺"}, 5], "item 2: expected an object"),
    ([{"text": "左肺"}, ["左肺"]], "item 2: expected an object"),
    ([{"text": None}], 'item 1: "text" must be a string'),
    ([{"text": "左肺", "entities": [_entity(start_idx=0.0)]}], 'item 1: "start_idx" must be an integer'),
    ([{"text": "左肺", "entities": [_entity(end_idx=1.5)]}], 'item 1: "end_idx" must be an integer'),
    ([{"text": "左肺", "entities": [_entity(end_idx=True)]}], 'item 1: "end_idx" must be an integer'),
    ([{"text": "左肺", "entities": [_entity(type=3)]}], 'item 1: "type" must be a non-empty string'),
    ([{"text": "左肺", "entities": [_entity(type="")]}], 'item 1: "type" must be a non-empty string'),
    ([{"text": "左肺", "entities": [_entity(entity=None)]}], 'item 1: "entity" must be a string'),
    ([{"text": "左肺", "entities": {"start_idx": 0}}], 'item 1: "entities" must be an array'),
    ([{"text": "左肺", "entities": ["左肺"]}], 'item 1: "entities" item 1 must be an object'),
    ({"text": "左肺"}, "expected a JSON array"),
])
def test_cmeee_bad_item_is_an_error_with_the_item_number(tmp_path: Path, items: object, message: str) -> None:
    src = tmp_path / "m.json"
    src.write_text(json.dumps(items, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(FormatError) as e:
        read_records(src, "cmeee")
    assert str(e.value).startswith(f"{src}") and message in str(e.value)


# --- lone surrogates ----------------------------------------------------------------------------------

SURROGATE_CASES = [
    ("jsonl", "d.jsonl", '{"text": "ok"}\n{"text": "左肺\\ud800"}\n',
     ":2: text contains a lone surrogate U+D800 at character 2"),
    ("jsonl", "d.jsonl", '{"text": "左肺", "name": "\\udc80"}\n', ":1: name contains a lone surrogate U+DC80"),
    ("jsonl", "d.jsonl", '{"text": "左肺", "spans": [{"start": 0, "end": 1, "label": "X\\udfff"}]}\n',
     ":1: label contains a lone surrogate U+DFFF"),
    ("cehrner", "d.json", '{"text": "\\ud83d左肺"}\n', ":1: text contains a lone surrogate U+D83D at character 0"),
    ("cehrner", "d.json", '{"text": "左肺", "mention_data": [{"mention": "\\ud800", "label": "X", "offset": "0"}]}\n',
     ":1: mention contains a lone surrogate"),
    ("cmedqaner", "d.json", '{"text": "左肺", "mention_data": [{"mention": "左", "type": "\\ud800", "offset": "0"}]}\n',
     ":1: label contains a lone surrogate"),
    ("cmeee", "m.json", '[{"text": "左肺"}, {"text": "左\\udc00肺"}]',
     ": item 2: text contains a lone surrogate U+DC00 at character 1"),
    ("cmeee", "m.json", '[{"text": "左肺", "entities": [{"start_idx": 0, "end_idx": 0, "type": "\\udc00"}]}]',
     ": item 1: type contains a lone surrogate"),
    ("bio", "d.bio", "左 O\n<U+D800> O\n", ":2: text contains a lone surrogate U+D800 at character 1"),
    ("bio", "d.bio", "左 O\n\n左 O\n肺 O\n<U+DBFF> O\n", ":5: text contains a lone surrogate U+DBFF at character 2"),
]


@pytest.mark.parametrize("fmt, name, content, message", SURROGATE_CASES)
def test_lone_surrogate_is_refused(tmp_path: Path, fmt: str, name: str, content: str, message: str) -> None:
    src = tmp_path / name
    src.write_text(content, encoding="utf-8")
    with pytest.raises(FormatError) as e:
        read_records(src, fmt)
    assert str(e.value).startswith(f"{src}{message}"), str(e.value)
    assert "(not valid Unicode)" in str(e.value)


def test_lone_surrogate_in_a_folder_text_is_refused(tmp_path: Path) -> None:
    d = tmp_path / "cases"
    d.mkdir()
    (d / "a.txt").write_text("第一行\n胸片\\udc80", encoding="ascii", errors="backslashreplace")
    with pytest.raises(FormatError, match=r"a\.txt:2: text contains a lone surrogate U\+DC80 at character 6"):
        read_records(d, "folder", encoding="unicode_escape")


def test_file_name_that_is_not_unicode_is_refused_in_a_folder(tmp_path: Path) -> None:
    d = tmp_path / "cases"
    d.mkdir()
    try:
        with open(os.fsencode(d) + b"/case\xff.txt", "wb") as f:  # Latin-1 name: arrives as "case\udcff"
            f.write("胸片".encode())
    except OSError:
        pytest.skip("this file system refuses names that are not UTF-8")
    with pytest.raises(FormatError, match=r"text file name contains a lone surrogate U\+DCFF.*rename the file"):
        read_records(d, "folder")


# --- decoding, nesting, reading --------------------------------------------------------------------

@pytest.mark.parametrize("fmt, name, content", [
    ("jsonl", "d.jsonl", '{"text": "ok"}\n' + "[" * 100_000 + "\n"),
    ("cehrner", "d.json", '{"text": "ok"}\n' + '{"text": "a", "x": ' + "[" * 100_000 + "\n"),
    ("cmeee", "m.json", "[" * 100_000),
])
def test_deeply_nested_json_is_a_format_error(tmp_path: Path, fmt: str, name: str, content: str) -> None:
    src = tmp_path / name
    src.write_text(content, encoding="utf-8")
    with pytest.raises(FormatError, match="nested too deeply"):
        read_records(src, fmt)


def test_deeply_nested_type_map_is_a_format_error(tmp_path: Path) -> None:
    src = tmp_path / "m.json"
    src.write_text('{"a": ' + "[" * 100_000, encoding="utf-8")
    with pytest.raises(FormatError, match="nested too deeply"):
        load_type_map(src)


@pytest.mark.parametrize("encoding", ["xyz", "base64", "rot13"])
def test_unknown_encoding_is_a_clear_error(tmp_path: Path, encoding: str) -> None:
    src = tmp_path / "d.jsonl"
    src.write_text('{"text": "ok"}\n', encoding="utf-8")
    with pytest.raises(MadpgError, match=f"unknown text encoding '{encoding}'"):
        read_records(src, "jsonl", encoding=encoding)


def test_a_folder_given_for_a_file_format_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(MadpgError, match="cannot read it"):
        read_records(tmp_path, "jsonl")


def test_jsonl_crlf_file_reads(tmp_path: Path) -> None:
    src = tmp_path / "d.jsonl"
    src.write_bytes(b'{"text": "a"}\r\n\r\n{"text": "b\\r\\n"}\r\n')
    records, _ = read_records(src, "jsonl")
    assert [r.text for r in records] == ["a", "b\r\n"]


@pytest.mark.parametrize("sep", ["\u2028", "\u2029", "\x85"])
def test_jsonl_line_separators_in_a_text_survive_write_and_read(tmp_path: Path, sep: str) -> None:
    records = [Record(f"左肺{sep}下叶", (Span(3, 5, "Organ"),), name=f"名{sep}"), Record("乙")]
    out = io.StringIO()
    jsonl.write(records, out)
    assert sep not in out.getvalue() and len(out.getvalue().splitlines()) == 2
    src = tmp_path / "d.jsonl"
    src.write_text(out.getvalue(), encoding="utf-8", newline="\n")
    assert read_records(src, "jsonl")[0] == records


@pytest.mark.parametrize("sep", ["\u2028", "\u2029", "\x85"])
def test_jsonl_reader_splits_only_on_newline(tmp_path: Path, sep: str) -> None:
    """A file written by another tool (json.dumps(ensure_ascii=False)) with a raw separator inside a
    string is still one record."""
    src = tmp_path / "d.jsonl"
    src.write_text('{"text": "左' + sep + '肺"}\n', encoding="utf-8", newline="\n")
    records, _ = read_records(src, "jsonl")
    assert [r.text for r in records] == [f"左{sep}肺"]


def test_type_map_lines_split_only_on_newline(tmp_path: Path) -> None:
    src = tmp_path / "m.tsv"
    src.write_text("症\u2028状\tSymptom\r\n疾病=Disease\n", encoding="utf-8", newline="")
    assert load_type_map(src) == {"症\u2028状": "Symptom", "疾病": "Disease"}


# --- BIO ---------------------------------------------------------------------------------------------

def test_bio_reports_a_lone_i_tag_once_and_valid_tags_not_at_all(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    src = tmp_path / "d.bio"
    src.write_text("左 B-Organ\n肺 I-Organ\n下 I-Organ\n\n咳 I-Symptom\n嗽 I-Symptom\n", encoding="utf-8")
    with caplog.at_level(logging.WARNING):
        records, report = read_records(src, "bio")
    assert [len(r.spans) for r in records] == [1, 1]
    assert len(report.warnings) == 1 and "d.bio:5: position 0: I-Symptom follows O" in report.warnings[0]
    assert not [r for r in caplog.records if "follows" in r.getMessage()]


@pytest.mark.parametrize("content, message", [
    ("左 B-Organ\n肺 \n", "2: expected 'CHAR TAG'"),  # a missing tag was read as O
    ("左 B-Organ\n肺\tX-Organ\n", "2: tag 'X-Organ' is not O"),
    ("<U+110000> O\n", "1: token '<U+110000>' is not one character"),
    ("<U+ 41> O\n", "1: token '<U+ 41>' is not one character"),
    ("<U+4_1> O\n", "1: token '<U+4_1>' is not one character"),
    ("IMGID:\n左 O\n", "1: IMGID: without an image name"),
])
def test_bio_bad_line_is_an_error(tmp_path: Path, content: str, message: str) -> None:
    src = tmp_path / "d.bio"
    src.write_text(content, encoding="utf-8")
    with pytest.raises(FormatError) as e:
        read_records(src, "bio")
    assert str(e.value).startswith(f"{src}:{message}")


def test_bio_writer_counts_the_empty_records_it_skips() -> None:
    out = io.StringIO()
    counts = conll.write([Record(""), Record("左", (Span(0, 1, "Organ"),)), Record(""), Record("肺")], out)
    assert counts == WriteCounts(written=2, skipped_empty=2)
    assert out.getvalue() == "左 B-Organ\n\n肺 O\n"


def test_jsonl_writer_counts_empty_records_as_written() -> None:
    assert jsonl.write([Record(""), Record("左")], io.StringIO()) == WriteCounts(written=2)


@pytest.mark.parametrize("record", [
    Record("左", (Span(0, 1, "Or gan"),)),
    Record("左", images=("dir/bad\nname.png",)),
])
def test_bio_writer_refuses_what_it_cannot_write_back(record: Record) -> None:
    with pytest.raises(MadpgError, match="cannot be written"):
        conll.write([record], io.StringIO())


# --- JSONL writer keeps every field --------------------------------------------------------------

def test_jsonl_writer_keeps_every_field(tmp_path: Path) -> None:
    (tmp_path / "a.png").write_bytes(PNG)
    rec = Record("患者左肺下叶肺炎", (Span(2, 6, "Organ", SpanSource.MODEL, "v3", 0.25),
                                    Span(6, 8, "Disease", SpanSource.ANNOTATOR, None, None)),
                 images=(str(tmp_path / "a.png"),), name="病例1", status=RecordStatus.PRELABELLED)
    out = io.StringIO()
    jsonl.write([rec], out)
    obj = json.loads(out.getvalue())
    assert obj["name"] == "病例1" and obj["status"] == "pre-labelled" and obj["images"] == [str(tmp_path / "a.png")]
    assert obj["spans"][0] == {"start": 2, "end": 6, "label": "Organ", "text": "左肺下叶", "source": "model",
                               "model_version": "v3", "confidence": 0.25}
    src = tmp_path / "d.jsonl"
    src.write_text(out.getvalue(), encoding="utf-8")
    back = read_records(src, "jsonl")[0][0]
    assert back == rec
    assert [(s.source, s.model_version, s.confidence) for s in back.spans] == [
        (SpanSource.MODEL, "v3", 0.25), (SpanSource.ANNOTATOR, None, None)]


def test_jsonl_integer_model_version_is_kept_as_text(tmp_path: Path) -> None:
    src = tmp_path / "d.jsonl"
    src.write_text(line({"text": "左肺", "spans": [_span(model_version=3, source="model")]}), encoding="utf-8")
    assert read_records(src, "jsonl")[0][0].spans[0].model_version == "3"


def test_jsonl_writer_refuses_a_confidence_it_could_not_read_back() -> None:
    with pytest.raises(MadpgError, match="not a finite number"):
        jsonl.write([Record("左", (Span(0, 1, "Organ", SpanSource.MODEL, "v1", float("nan")),))], io.StringIO())
