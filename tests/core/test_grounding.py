"""Regions in the project's own JSONL (export → import keeps them; old files read as before) and the
grounding file (`madpg export-grounding`), on real SQLite projects (issue 18 item 1)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from PIL import Image

from madpg_core import transfer
from madpg_core.cli import main
from madpg_core.domain import Record, Span
from madpg_core.errors import FormatError
from madpg_core.formats import jsonl, read_records
from madpg_core.formats.grounding import export_grounding
from madpg_core.regions import (
    GroundedRecord,
    PortableRegion,
    RecordGrounding,
    Region,
    grounding_of,
)
from madpg_core.storage import region_transfer, regions, repo
from madpg_core.storage.orm import ImageRow
from madpg_core.storage.project import Project

TEXT = "心影增大，双肺纹理增多，未见胸腔积液。"
SPANS = (Span(0, 4, "Symptom"), Span(5, 11, "Symptom"), Span(14, 18, "Disease", assertion="absent"),
         Span(0, 2, "Organ", layer=1))


def png(path: Path, color: tuple[int, int, int]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (16, 12), color).save(path)
    return path


@pytest.fixture
def project(tmp_path: Path) -> Project:
    """Record r1 (two images) with a box and a polygon linked to spans and one span not visible;
    record r2 (one image) without regions; record r3 (reviewed) with one box."""
    with Project.create(tmp_path / "p") as p:
        a = p.store_image(png(tmp_path / "in" / "chest.png", (200, 0, 0)))
        b = p.store_image(png(tmp_path / "in" / "lateral.png", (0, 200, 0)))
        with p.transaction() as s:
            s.info["annotator"] = "李医生"
            r1 = repo.add_record(s, Record(TEXT, SPANS, name="r1"), [a, b])
            repo.add_record(s, Record("咳嗽三天。", (Span(0, 2, "Symptom"),), name="r2"), [a])
            r3 = repo.add_record(s, Record("肺炎。", (Span(0, 2, "Disease"),), name="r3", status="reviewed"), [b])
            box = regions.add_region(s, Region(None, r1, 0, 0, "box", ((2, 1), (10, 8))))
            poly = regions.add_region(s, Region(None, r1, 1, 2, "polygon", ((1, 1), (9, 1), (5, 7))))
            regions.link(s, box, 0, 4)
            regions.link(s, box, 0, 2, 1)
            regions.link(s, poly, 5, 11)
            regions.link(s, poly, 0, 4)
            regions.set_not_visible(s, r1, 14, 18)
            regions.link(s, regions.add_region(s, Region(None, r3, 0, 0, "box", ((0, 0), (4, 4)))), 0, 2)
        yield p


def groundings(p: Project) -> dict[str, RecordGrounding]:
    with p.reading() as s:
        return {r.name: region_transfer.record_grounding(s, r.id) for r in repo.iter_records(s)}


def export_jsonl(p: Project) -> str:
    """What an export of the project's JSONL writes once transfer.py attaches the regions."""
    out = io.StringIO()
    with p.reading() as s:
        jsonl.write(region_transfer.grounded(s, repo.iter_records(s, image_root=p.image_root)), out)
    return out.getvalue()


# ---------------------------------------------------------------- the project's JSONL


def test_jsonl_round_trip_keeps_regions(project: Project, tmp_path: Path) -> None:
    text = export_jsonl(project)
    lines = [json.loads(x) for x in text.splitlines()]
    assert "regions" not in lines[1] and "not_visible" not in lines[1]  # r2: the line as before
    assert lines[0]["not_visible"] == [{"start": 14, "end": 18}]
    assert lines[0]["regions"][0] == {"image": 0, "frame": 0, "kind": "box", "points": [[2.0, 1.0], [10.0, 8.0]],
                                      "annotator": "李医生",
                                      "spans": [{"start": 0, "end": 2, "layer": 1}, {"start": 0, "end": 4}]}
    f = tmp_path / "export.jsonl"
    f.write_text(text, encoding="utf-8")
    records, _ = read_records(f, "jsonl", images=None)
    assert isinstance(records[0], GroundedRecord) and type(records[1]) is Record
    before = groundings(project)
    with Project.create(tmp_path / "q") as other:
        with other.transaction() as s:
            s.info["annotator"] = "导入者"
            stored = [[other.store_image(Path(i)) for i in r.images] for r in records]
            ids = repo.add_records(s, records, stored)
            assert region_transfer.store_imported(s, zip(ids, records)) == 3
        assert groundings(other) == before  # regions, links, marks and who drew them


def test_export_import_of_a_project_keeps_regions(project: Project, tmp_path: Path) -> None:
    out = tmp_path / "export.jsonl"
    transfer.export_project(project, out, "jsonl")
    with Project.create(tmp_path / "q") as other:
        transfer.import_into(other, out, "jsonl")
        assert groundings(other) == groundings(project)
        # replacing the records with the same file changes nothing
        transfer.import_into(other, out, "jsonl", on_duplicate="replace", replace_reviewed=True)
        assert groundings(other) == groundings(project)


def test_an_image_lost_from_the_project_takes_its_regions_out_of_the_export(project: Project) -> None:
    """An export leaves out an image file the project lost (transfer._ImageCopies); the regions on
    it go too, and those on later images follow their image to its new index."""
    with project.reading() as s:
        r1 = repo.get_record(s, 1, project.image_root)
    Path(r1.images[0]).unlink()  # chest.png: also r2's image
    line = json.loads(export_jsonl(project).splitlines()[0])
    assert [(g["image"], g["kind"]) for g in line["regions"]] == [(0, "polygon")]
    assert line["images"] == list(r1.images)  # (the export's image copier drops the lost one itself)


def test_old_file_without_regions_reads_as_before(tmp_path: Path) -> None:
    f = tmp_path / "old.jsonl"
    f.write_text(json.dumps({"text": "肺炎", "spans": [{"start": 0, "end": 2, "label": "Disease"}]}) + "\n",
                 encoding="utf-8")
    (r,), _ = read_records(f, "jsonl")
    assert type(r) is Record and not grounding_of(r)
    assert "regions" not in jsonl.dumps(r)


def _line(tmp_path: Path, **extra: object) -> Path:
    png(tmp_path / "x.png", (1, 2, 3))
    obj = {"name": "a", "text": "心影增大。", "images": ["x.png"], "spans": [{"start": 0, "end": 4, "label": "Symptom"}]}
    f = tmp_path / "in.jsonl"
    f.write_text(json.dumps({"text": "ok"}) + "\n" + json.dumps(obj | extra, ensure_ascii=False) + "\n",
                 encoding="utf-8")
    return f


@pytest.mark.parametrize(("regions_value", "message"), [
    ([{"image": 0, "kind": "box", "points": [[1, 1], [2, 2], [3, 3]]}], "two corners"),
    ([{"image": 1, "kind": "box", "points": [[1, 1], [2, 2]]}], "image 2"),
    ([{"image": 0, "kind": "box", "points": [[-1, 1], [2, 2]]}], "≥ 0"),
    ([{"image": 0, "kind": "oval", "points": [[1, 1], [2, 2]]}], "kind"),
    ([{"image": 0, "kind": "polygon", "points": [[1, 1], [2, 2]]}], "at least 3"),
    ([{"image": "0", "kind": "box", "points": [[1, 1], [2, 2]]}], "image"),
    ([{"image": 0, "kind": "box", "points": [[1, 1], [2, 2]], "spans": [{"start": 0, "end": 3}]}], "does not have"),
    ([{"image": 0, "kind": "box", "points": "1,1,2,2"}], "points"),
    ([{"kind": "box", "points": [[1, 1], [2, 2]]}], "missing field"),
    ({"image": 0}, "array"),
])
def test_bad_regions_are_refused_with_the_line(tmp_path: Path, regions_value: object, message: str) -> None:
    with pytest.raises(FormatError, match=message) as e:
        read_records(_line(tmp_path, regions=regions_value), "jsonl")
    assert e.value.line == 2


def test_linked_and_not_visible_in_a_file_is_refused(tmp_path: Path) -> None:
    f = _line(tmp_path, regions=[{"image": 0, "kind": "box", "points": [[1, 1], [2, 2]],
                                  "spans": [{"start": 0, "end": 4}]}], not_visible=[{"start": 0, "end": 4}])
    with pytest.raises(FormatError, match="both linked"):
        read_records(f, "jsonl")


def test_a_type_map_that_drops_a_span_drops_its_links(tmp_path: Path) -> None:
    f = _line(tmp_path, regions=[{"image": 0, "kind": "box", "points": [[1, 1], [2, 2]],
                                  "spans": [{"start": 0, "end": 4}]}])
    (_, r), _ = read_records(f, "jsonl", {"Symptom": ""})
    assert r.spans == () and grounding_of(r) == RecordGrounding((PortableRegion(0, 0, "box", ((1, 1), (2, 2))),))


# ---------------------------------------------------------------- the grounding file


def read_lines(path: Path) -> list[dict]:
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines()]


def test_grounding_file(project: Project, tmp_path: Path) -> None:
    out = tmp_path / "g.jsonl"
    counts = export_grounding(project, out)
    assert (counts.links, counts.not_visible, counts.records) == (5, 1, 2)
    lines = read_lines(out)
    with project.reading() as s:
        r1 = repo.get_record(s, 1)
        shas = [s.get(ImageRow, i).sha256 for i in (1, 2)]
    assert [(x["record"], x["start"], x["end"], x["layer"], x["visible"]) for x in lines] == [
        ("r1", 0, 2, 1, True), ("r1", 0, 4, 0, True), ("r1", 0, 4, 0, True), ("r1", 5, 11, 0, True),
        ("r1", 14, 18, 0, False), ("r3", 0, 2, 0, True)]
    box_line = lines[1]
    assert box_line == {"record": "r1", "record_id": r1.id, "text": "心影增大", "start": 0, "end": 4, "layer": 0,
                        "type": "Symptom", "assertion": "present", "visible": True, "region_id": 1,
                        "image": "chest.png", "image_index": 0, "image_sha256": shas[0], "frame": 0, "width": 16,
                        "height": 12, "kind": "box", "box": [2.0, 1.0, 10.0, 8.0], "annotator": "李医生"}
    poly = lines[2]
    assert (poly["kind"], poly["image"], poly["image_sha256"], poly["frame"]) == ("polygon", "lateral.png", shas[1], 2)
    assert poly["box"] == [1.0, 1.0, 9.0, 7.0] and poly["polygon"] == [[1.0, 1.0], [9.0, 1.0], [5.0, 7.0]]
    hidden = lines[4]
    assert hidden["text"] == "胸腔积液" and hidden["assertion"] == "absent" and hidden["type"] == "Disease"
    assert "box" not in hidden and "image" not in hidden
    # reviewed only
    export_grounding(project, out, "reviewed")
    assert [x["record"] for x in read_lines(out)] == ["r3"]


def test_grounding_file_on_a_dicom(tmp_path: Path) -> None:
    """A box on a DICOM: its size comes from the header of the file the project stores."""
    import pydicom

    source = Path(__file__).resolve().parents[2] / "resources" / "demo" / "images" / "CT_small.dcm"
    ds = pydicom.dcmread(source, stop_before_pixels=True)
    with Project.create(tmp_path / "p") as p:
        img = p.store_image(source)
        with p.transaction() as s:
            rid = repo.add_record(s, Record("右肺结节。", (Span(0, 4, "Disease"),), name="ct"), [img])
            regions.link(s, regions.add_region(s, Region(None, rid, 0, 0, "box", ((10, 20), (40, 50)))), 0, 4)
        out = tmp_path / "g.jsonl"
        export_grounding(p, out)
    (line,) = read_lines(out)
    assert (line["image"], line["width"], line["height"]) == ("CT_small.dcm", int(ds.Columns), int(ds.Rows))
    assert line["image_sha256"] == img[0] and line["box"] == [10.0, 20.0, 40.0, 50.0]


def test_grounding_file_leaves_out_deleted_spans(project: Project, tmp_path: Path) -> None:
    with project.transaction() as s:
        repo.replace_spans(s, 1, (SPANS[0], SPANS[3]))  # 5-11 and the not-visible 14-18 are gone
    out = tmp_path / "g.jsonl"
    assert export_grounding(project, out).lines == 4
    assert {(x["start"], x["end"]) for x in read_lines(out)} == {(0, 2), (0, 4)}


def test_cli_export_grounding_and_the_phi_gate(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "p"
    text = "患者张三，心影增大，电话13812345678。"
    with Project.create(folder) as p:
        img = p.store_image(png(tmp_path / "chest.png", (9, 9, 9)))
        with p.transaction() as s:
            rid = repo.add_record(s, Record(text, (Span(2, 4, "Organ"), Span(5, 9, "Symptom")), name="a"), [img])
            g = regions.add_region(s, Region(None, rid, 0, 0, "box", ((1, 1), (5, 5))))
            regions.link(s, g, 5, 9)
            regions.link(s, g, 2, 4)  # a span over the name (a slip): its text must not leave unmasked
    out = tmp_path / "g.jsonl"
    capsys.readouterr()
    assert main(["export-grounding", str(folder), str(out)]) == 2
    assert "export refused" in capsys.readouterr().err and not out.exists()
    assert main(["export-grounding", str(folder), str(out), "--mask-phi"]) == 0
    assert [x["text"] for x in read_lines(out)] == ["＊＊", "心影增大"]
    assert "张三" not in out.read_text(encoding="utf-8")
    assert main(["export-grounding", str(folder), str(out), "--allow-phi"]) == 0
    assert [x["text"] for x in read_lines(out)] == ["张三", "心影增大"]
    assert "2 region links" in capsys.readouterr().out
    assert not list(tmp_path.glob(".g.jsonl.*"))  # no temporary file left beside it


def test_reading_in_chunks_gives_the_same(project: Project) -> None:
    """Exports read regions a chunk of records at a time: chunk boundaries change nothing."""
    from madpg_core.formats.grounding import iter_lines

    with project.reading() as s:
        whole = [jsonl.dumps(r) for r in region_transfer.grounded(s, repo.iter_records(s))]
        ones = [jsonl.dumps(r) for r in region_transfer.grounded(s, repo.iter_records(s), chunk=1)]
        assert ones == whole and sum('"regions"' in x for x in whole) == 2
        assert list(iter_lines(s, chunk=1)) == list(iter_lines(s)) and len(list(iter_lines(s))) == 6


def test_a_format_without_regions_says_what_it_left_behind(project: Project, tmp_path: Path) -> None:
    # every other format writes the spans but cannot hold regions: counted as not carried, never silent
    bio = transfer.export_project(project, tmp_path / "out.txt", "bio")
    lost = dict(bio.not_carried)
    assert lost["region links (export the grounding file for them)"] > 0
    assert lost["spans marked not visible in the images"] > 0
    own = transfer.export_project(project, tmp_path / "out.jsonl", "jsonl")
    assert not any("region" in what or "not visible" in what for what, _ in own.not_carried)
