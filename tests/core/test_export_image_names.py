"""Exports name images by their original file names (issue 20): BIO ``IMGID:`` lines and JSONL
``images`` carry ``scan.png``, not the project's content hash; two different images called alike
get ``scan.png`` and ``scan-2.png``; the images travel in ``OUT_images/`` so that importing the
export into another project gives back the same records, spans and image bytes."""

from __future__ import annotations

import hashlib
import json
import re
import threading
from pathlib import Path

import pytest
from PIL import Image

from madpg_core import transfer
from madpg_core.domain import Record, Span
from madpg_core.errors import Cancelled, MadpgError
from madpg_core.formats import jsonl as jsonl_format
from madpg_core.formats.common import ExportImageNames, images_folder, safe_file_name
from madpg_core.storage import repo
from madpg_core.storage.project import Project

DEMO_IMAGES = Path(__file__).resolve().parents[2] / "resources" / "demo" / "images"
SHA_NAME = re.compile(r"[0-9a-f]{64}")


def png(path: Path, color: tuple[int, int, int]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (8, 6), color).save(path)
    return path


def write_jsonl(path: Path, *objs: dict) -> Path:
    path.write_text("".join(json.dumps(o, ensure_ascii=False) + "\n" for o in objs), encoding="utf-8")
    return path


@pytest.fixture
def source(tmp_path: Path) -> Path:
    """Three records: two different images both called scan.png, a real DICOM, one image shown twice."""
    src = tmp_path / "in"
    png(src / "ward-a" / "scan.png", (200, 30, 30))
    png(src / "ward-b" / "scan.png", (30, 200, 30))
    (src / "CT_small.dcm").write_bytes((DEMO_IMAGES / "CT_small.dcm").read_bytes())
    return write_jsonl(
        src / "cases.jsonl",
        {"name": "甲", "text": "左肺下叶肺炎。", "status": "reviewed", "images": ["ward-a/scan.png", "CT_small.dcm"],
         "spans": [{"start": 0, "end": 4, "label": "Organ"}, {"start": 4, "end": 6, "label": "Disease"}]},
        {"name": "乙", "text": "咳嗽三天。", "images": ["ward-b/scan.png"],
         "spans": [{"start": 0, "end": 2, "label": "Symptom"}]},
        {"name": "丙", "text": "复查。", "images": ["ward-a/scan.png"]},
    )


@pytest.fixture
def project(tmp_path: Path, source: Path) -> Project:
    with Project.create(tmp_path / "p") as p:
        transfer.import_into(p, source, "jsonl")
        yield p


def stored(project: Project) -> list[tuple[str, tuple, list[str], tuple[str, ...]]]:
    """Each record as (text, spans, sha256 of each image's bytes, original names)."""
    with project.reading() as s:
        return [(r.text, tuple((sp.start, sp.end, sp.label) for sp in r.spans),
                 [hashlib.sha256(Path(i).read_bytes()).hexdigest() for i in r.images], r.image_names)
                for r in repo.iter_records(s, image_root=project.image_root)]


def test_the_project_keeps_original_names_and_records_carry_them(project: Project) -> None:
    with project.reading() as s:
        first = repo.get_record(s, 1, project.image_root)
    assert first.image_names == ("scan.png", "CT_small.dcm")
    assert SHA_NAME.search(Path(first.images[0]).name)  # stored under its hash
    assert first.image_name(1) == "CT_small.dcm"
    assert Record("x", images=("images/ab/abc.png",)).image_name(0) == "abc.png"  # no name known
    with pytest.raises(MadpgError):
        Record("x", images=("a.png",), image_names=("a.png", "b.png"))


def test_bio_export_names_images_by_their_original_names(project: Project, tmp_path: Path) -> None:
    out = tmp_path / "out" / "corpus.txt"
    counts = transfer.export_project(project, out, "bio")
    text = out.read_text(encoding="utf-8")
    assert [line for line in text.split("\n") if line.startswith("IMGID:")] == [
        "IMGID:scan.png", "IMGID:CT_small.dcm", "IMGID:scan-2.png", "IMGID:scan.png"]
    assert not SHA_NAME.search(text)
    folder = tmp_path / "out" / "corpus.txt_images"
    assert counts.images == 3 and counts.images_folder == folder
    assert sorted(p.name for p in folder.iterdir() if p.name != transfer.EXPORT_MARK) == [
        "CT_small.dcm", "scan-2.png", "scan.png"]
    # the project's copy: the import de-identified its header (issue 18), the pixels are the file's
    import pydicom

    exported, original = pydicom.dcmread(folder / "CT_small.dcm"), pydicom.dcmread(DEMO_IMAGES / "CT_small.dcm")
    assert exported.PixelData == original.PixelData and exported.PatientName != original.PatientName


def test_jsonl_export_references_the_copies_relative_to_the_file(project: Project, tmp_path: Path,
                                                                 source: Path) -> None:
    out = tmp_path / "cases-out.jsonl"
    transfer.export_project(project, out, "jsonl")
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["images"] for r in rows] == [
        ["cases-out.jsonl_images/scan.png", "cases-out.jsonl_images/CT_small.dcm"],
        ["cases-out.jsonl_images/scan-2.png"],
        ["cases-out.jsonl_images/scan.png"]]
    assert (tmp_path / rows[1]["images"][0]).read_bytes() == (source.parent / "ward-b" / "scan.png").read_bytes()


@pytest.mark.parametrize("fmt", ["jsonl", "bio"])
def test_round_trip_gives_the_same_records_spans_and_image_bytes(project: Project, tmp_path: Path,
                                                                 fmt: str) -> None:
    out = tmp_path / "elsewhere" / f"export.{fmt}"
    transfer.export_project(project, out, fmt)
    with Project.create(tmp_path / "second") as again:
        report = transfer.import_into(again, out, fmt)  # the default policy: images inside the file's folder
        assert not report.warnings
        before, after = stored(project), stored(again)
    assert [b[:3] for b in before] == [a[:3] for a in after]
    assert [a[3] for a in after] == [("scan.png", "CT_small.dcm"), ("scan-2.png",), ("scan.png",)]


def test_an_unrelated_file_beside_a_bio_export_does_not_stand_in_for_its_image(project: Project,
                                                                               tmp_path: Path) -> None:
    out = tmp_path / "x.txt"
    transfer.export_project(project, out, "bio")
    png(tmp_path / "scan.png", (0, 0, 255))  # a different scan.png right beside the file
    with Project.create(tmp_path / "second") as again:
        transfer.import_into(again, out, "bio")
        assert [a[2] for a in stored(again)] == [b[2] for b in stored(project)]


def test_the_names_are_deterministic(project: Project, tmp_path: Path) -> None:
    def listing(out: Path) -> dict[str, bytes]:
        transfer.export_project(project, out, "jsonl")
        return {p.name: p.read_bytes() for p in images_folder(out).iterdir()}

    assert listing(tmp_path / "a" / "e.jsonl") == listing(tmp_path / "b" / "e.jsonl")


def test_export_names_are_unique_portable_and_stable() -> None:
    names = ExportImageNames()
    got = [names.name(key, original, "fallback.png") for key, original in [
        ("k1", "scan.png"), ("k2", "scan.png"), ("k1", "scan.png"), ("k3", "SCAN.png"), ("k4", "scan-2.png"),
        ("k5", ""), ("k6", " a/b:c?.dcm "), ("k7", "IM0001"), ("k8", "IM0001"), ("k9", ".madpg-export")]]
    assert got == [("scan.png", True), ("scan-2.png", True), ("scan.png", False), ("SCAN-3.png", True),
                   ("scan-2-2.png", True), ("fallback.png", True), ("a_b_c_.dcm", True), ("IM0001", True),
                   ("IM0001-2", True), ("madpg-export", True)]
    assert safe_file_name("\ud800x.png") == "_x.png"  # a lone surrogate cannot be written as UTF-8
    assert len(safe_file_name("病" * 200 + ".png").encode("utf-8")) <= 200
    assert safe_file_name("病" * 200 + ".png").endswith(".png")


def test_an_export_without_images_is_unchanged(tmp_path: Path) -> None:
    with Project.create(tmp_path / "p") as p:
        with p.transaction() as s:
            repo.add_record(s, Record("胸闷。", (Span(0, 2, "Symptom"),), name="a"))
        out = tmp_path / "plain.jsonl"
        counts = transfer.export_project(p, out, "jsonl")
        with p.reading() as s:
            expected = "".join(jsonl_format.dumps(r) + "\n" for r in repo.iter_records(s, image_root=p.image_root))
    assert out.read_text(encoding="utf-8") == expected
    assert json.loads(expected)["images"] == []
    assert (counts.images, counts.images_folder) == (0, None)
    assert sorted(x.name for x in tmp_path.iterdir()) == ["p", "plain.jsonl"]


def test_a_second_export_replaces_its_own_folder_but_not_a_foreign_one(project: Project, tmp_path: Path) -> None:
    out = tmp_path / "e.jsonl"
    transfer.export_project(project, out, "jsonl")
    folder = images_folder(out)
    (folder / "scan-2.png").unlink()  # damage the first export's folder: the second makes it whole
    transfer.export_project(project, out, "jsonl")
    assert (folder / "scan-2.png").is_file()
    assert not list(tmp_path.glob(".e.jsonl*"))  # no staging or old folder left

    foreign = images_folder(tmp_path / "f.jsonl")
    foreign.mkdir()
    (foreign / "mine.txt").write_text("a person's notes", encoding="utf-8")
    with pytest.raises(MadpgError, match="not written by an export"):
        transfer.export_project(project, tmp_path / "f.jsonl", "jsonl")
    assert [p.name for p in foreign.iterdir()] == ["mine.txt"]
    assert not (tmp_path / "f.jsonl").exists()


def test_a_stopped_export_leaves_no_images_behind(project: Project, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    stop = threading.Event()
    real_copy = transfer.shutil.copyfile

    def copy_then_stop(src: object, dst: object) -> object:
        stop.set()  # Cancel pressed while the first image was being copied
        return real_copy(src, dst)

    monkeypatch.setattr(transfer.shutil, "copyfile", copy_then_stop)
    with pytest.raises(Cancelled):
        transfer.export_project(project, tmp_path / "e.jsonl", "jsonl", stop=stop)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in", "p"]


def test_a_dead_exports_staging_folder_is_removed(project: Project, tmp_path: Path) -> None:
    out = tmp_path / "e.txt"
    stale = tmp_path / ".e.txt_images.999999999.part"
    stale.mkdir()
    (stale / "scan.png").write_bytes(b"half")
    transfer.export_project(project, out, "bio")
    assert not stale.exists() and images_folder(out).is_dir()


def test_an_image_the_project_lost_is_left_out_and_reported(project: Project, tmp_path: Path) -> None:
    with project.reading() as s:
        lost = repo.get_record(s, 2, project.image_root).images[0]
    Path(lost).unlink()
    out = tmp_path / "e.jsonl"
    counts = transfer.export_project(project, out, "jsonl")
    assert counts.missing_images == ("乙: scan.png",)
    assert json.loads(out.read_text(encoding="utf-8").splitlines()[1])["images"] == []
    with Project.create(tmp_path / "second") as again:
        transfer.import_into(again, out, "jsonl")  # still readable: no reference to a missing file


def test_a_pipe_gets_names_only(project: Project, tmp_path: Path) -> None:
    import os

    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()))
    reader.start()
    counts = transfer.export_project(project, fifo, "bio")
    reader.join(10)
    assert b"IMGID:scan-2.png\n" in got[0] and counts.images == 0
    assert not images_folder(fifo).exists()


def test_the_cli_says_where_the_images_went(tmp_path: Path, source: Path, capsys) -> None:  # noqa: ANN001
    from madpg_core.cli import main

    with Project.create(tmp_path / "cli") as p:
        transfer.import_into(p, source, "jsonl")
    out = tmp_path / "out" / "all.jsonl"
    assert main(["export", str(tmp_path / "cli"), str(out), "--format", "jsonl"]) == 0
    said = capsys.readouterr().out
    assert f"copied 3 images, under their original names, to {images_folder(out)}" in said
    assert sorted(f.name for f in images_folder(out).iterdir() if not f.name.startswith(".")) == [
        "CT_small.dcm", "scan-2.png", "scan.png"]
