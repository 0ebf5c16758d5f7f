"""DICOM headers are de-identified on import (PS3.15 basic profile, issue 18 item 4): what the project
holds carries no identity, the pixels are the same, "keep" keeps the file as it was, burned-in
annotation is named, and the report counts what went."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pydicom
import pytest
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, SecondaryCaptureImageStorage, generate_uid

from madpg_core import transfer
from madpg_core.cli import main
from madpg_core.errors import MadpgError
from madpg_core.storage.image_store import file_sha256
from madpg_core.storage.project import Project

DEMO = Path(__file__).resolve().parents[2] / "resources" / "demo" / "images"
STUDY_UID = generate_uid()
# The identifying values the test files carry (basic profile actions D, Z, X or U), each unique
# enough that finding its bytes anywhere in a stored file means it leaked.
IDENTITY = {
    "PatientName": "Zhang^Sanfeng", "PatientID": "PID-31415926", "PatientBirthDate": "19610203",
    "InstitutionName": "Wudang County Hospital", "ReferringPhysicianName": "Li^Shizhen",
    "AccessionNumber": "ACC-27182818", "StudyDate": "20240517", "OtherPatientIDs": "OTHER-16180339",
    "PatientAge": "063Y", "StudyDescription": "Chest of Zhang Sanfeng",
}
UIDS = ("StudyInstanceUID", "SeriesInstanceUID", "SOPInstanceUID", "FrameOfReferenceUID")


@pytest.fixture
def project(tmp_path: Path) -> Project:
    with Project.create(tmp_path / "p") as p:
        yield p


def make_dicom(path: Path, *, burned_in: bool = False, seed: int = 0) -> Path:
    """A small 16-bit secondary-capture DICOM with every identifying element above, two private
    elements (a creator and its value), and UIDs; its study UID is shared by all files made here."""
    sop = generate_uid()
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = SecondaryCaptureImageStorage
    meta.MediaStorageSOPInstanceUID = sop
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID, ds.SOPInstanceUID = SecondaryCaptureImageStorage, sop
    ds.StudyInstanceUID, ds.SeriesInstanceUID, ds.FrameOfReferenceUID = STUDY_UID, generate_uid(), generate_uid()
    for keyword, value in IDENTITY.items():
        setattr(ds, keyword, value)
    ds.PatientSex = "F"  # action Z; too short to look for in the bytes
    ds.Modality = "OT"
    ds.private_block(0x0011, "WUDANG PACS", create=True).add_new(0x01, "LO", "bed 12, ward of Zhang")
    if burned_in:
        ds.BurnedInAnnotation = "YES"
    pixels = (np.arange(48, dtype=np.uint16).reshape(6, 8) * 50 + seed) % 4096
    ds.Rows, ds.Columns, ds.SamplesPerPixel, ds.PhotometricInterpretation = 6, 8, 1, "MONOCHROME2"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 12, 11, 0
    ds.PixelData = pixels.tobytes()
    path.parent.mkdir(parents=True, exist_ok=True)
    ds.save_as(path, enforce_file_format=True)
    return path


def import_images(project: Project, folder: Path, names: list[str], **kw: object) -> transfer.ImportResult:
    src = folder / "a.jsonl"
    src.write_text(json.dumps({"text": "心影增大", "images": names}, ensure_ascii=False) + "\n", encoding="utf-8")
    return transfer.import_into(project, src, "jsonl", **kw)


def stored(project: Project) -> list[Path]:
    return sorted(p for p in (project.folder / "images").rglob("*.dcm"))


def test_default_import_removes_or_replaces_every_identifying_element(project: Project, tmp_path: Path) -> None:
    originals = [make_dicom(tmp_path / "in" / f"{i}.dcm", seed=i) for i in range(2)]
    report = import_images(project, tmp_path / "in", ["0.dcm", "1.dcm"])
    files = stored(project)
    assert len(files) == 2
    new_study = set()
    for path in files:
        raw = path.read_bytes()
        for value in (*IDENTITY.values(), "WUDANG PACS", "bed 12", STUDY_UID):
            assert value.encode() not in raw, f"{value} left in {path.name}"
        ds = pydicom.dcmread(path)
        for keyword, value in IDENTITY.items():
            assert keyword not in ds or str(ds.data_element(keyword).value) != value, keyword
        assert not any(e.tag.is_private for e in ds.iterall())
        assert not ds.get("PatientSex")
        assert "DICOGNITO" in ds.DeidentificationMethod
        assert [c.CodeValue for c in ds.DeidentificationMethodCodeSequence] == ["113100", "113107"]
        assert ds.SOPInstanceUID == ds.file_meta.MediaStorageSOPInstanceUID  # replaced consistently
        new_study.add(ds.StudyInstanceUID)
        assert file_sha256(path) == path.stem  # named by the hash of what was written
    assert len(new_study) == 1 and STUDY_UID not in new_study  # one study still, under a new UID
    # Pixel data identical, file for file (matched by their pixels, the names are hashes).
    before = sorted(pydicom.dcmread(p).pixel_array.tobytes() for p in originals)
    after = sorted(pydicom.dcmread(p).pixel_array.tobytes() for p in files)
    assert before == after
    # The report counts every element removed or replaced, over both files.
    assert "2 file(s) de-identified" in report.dicom and report.dicom in report.summary()
    for keyword in (*IDENTITY, *UIDS, "PatientSex"):
        assert f" {keyword} 2" in report.dicom, keyword
    assert "(private elements) 4" in report.dicom  # the creator and its element, in each file
    assert "MediaStorageSOPInstanceUID 2" in report.dicom


def test_keep_stores_the_file_as_it_is(project: Project, tmp_path: Path) -> None:
    original = make_dicom(tmp_path / "in" / "a.dcm")
    report = import_images(project, tmp_path / "in", ["a.dcm"], dicom_identity="keep")
    [path] = stored(project)
    assert path.read_bytes() == original.read_bytes()
    assert pydicom.dcmread(path).PatientName == IDENTITY["PatientName"]
    assert "kept as they are" in report.dicom


def test_the_project_setting_applies_and_the_import_option_overrides_it(project: Project, tmp_path: Path) -> None:
    assert project.dicom_identity == "strip"
    project.set_dicom_identity("keep")
    assert project.dicom_identity == "keep"
    make_dicom(tmp_path / "in" / "a.dcm")
    import_images(project, tmp_path / "in", ["a.dcm"])
    make_dicom(tmp_path / "in2" / "b.dcm", seed=3)
    import_images(project, tmp_path / "in2", ["b.dcm"], dicom_identity="strip")
    names = sorted(str(pydicom.dcmread(p).PatientName) for p in stored(project))
    assert names.count(IDENTITY["PatientName"]) == 1  # the first kept, the second stripped
    with pytest.raises(MadpgError):
        project.set_dicom_identity("blur")


def test_cli_settings_and_import_option(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    folder = tmp_path / "q"
    assert main(["init", str(folder)]) == 0
    assert main(["settings", str(folder), "--dicom-identity", "keep"]) == 0
    assert "dicom-identity: keep" in capsys.readouterr().out
    make_dicom(tmp_path / "in" / "a.dcm")
    src = tmp_path / "in" / "a.jsonl"
    src.write_text(json.dumps({"text": "一", "images": ["a.dcm"]}) + "\n", encoding="utf-8")
    assert main(["import", str(folder), str(src), "-f", "jsonl", "--dicom-identity", "strip"]) == 0
    out = capsys.readouterr().out
    assert "de-identified (PS3.15 basic profile)" in out and "PatientName 1" in out
    with Project.open(folder) as p:
        assert p.dicom_identity == "keep"  # the option held for that one import
        [path] = stored(p)
        assert str(pydicom.dcmread(path).PatientName) != IDENTITY["PatientName"]


@pytest.mark.parametrize("mode", ["strip", "keep"])
def test_burned_in_annotation_is_named_in_a_warning(project: Project, tmp_path: Path, mode: str) -> None:
    make_dicom(tmp_path / "in" / "burned.dcm", burned_in=True)
    make_dicom(tmp_path / "in" / "clean.dcm", seed=1)
    report = import_images(project, tmp_path / "in", ["burned.dcm", "clean.dcm"], dicom_identity=mode)
    flagged = [w for w in report.warnings if "burned-in annotation" in w]
    assert len(flagged) == 1 and "burned.dcm" in flagged[0]


@pytest.mark.filterwarnings("ignore::UserWarning")  # pydicom's, about the corrupt file
def test_a_corrupt_dicom_is_refused_with_its_name(project: Project, tmp_path: Path) -> None:
    make_dicom(tmp_path / "in" / "good.dcm")
    (tmp_path / "in" / "bad.dcm").write_bytes(b"\0" * 128 + b"DICM" + b"\x02\x00" * 10)
    with pytest.raises(MadpgError, match=r"bad\.dcm.*nothing was imported"):
        import_images(project, tmp_path / "in", ["good.dcm", "bad.dcm"])
    assert stored(project) == []


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_the_demo_dicoms_lose_their_identity_and_keep_their_pixels(project: Project, tmp_path: Path) -> None:
    names = ["CT_small.dcm", "RG1_J2KI.dcm"]
    for n in names:  # copied, so that the import's file is written beside them, not into the repository
        (tmp_path / n).write_bytes((DEMO / n).read_bytes())
    report = import_images(project, tmp_path, names)
    originals = {n: pydicom.dcmread(DEMO / n) for n in names}
    after = [pydicom.dcmread(p) for p in stored(project)]
    assert len(after) == 2
    for ds in after:
        original = next(o for o in originals.values() if o.Rows == ds.Rows and o.Columns == ds.Columns)
        assert ds.PatientName != original.PatientName and ds.PatientID != original.PatientID
        assert ds.StudyInstanceUID != original.StudyInstanceUID
        assert not any(e.tag.is_private for e in ds.iterall())
        assert ds.file_meta.TransferSyntaxUID == original.file_meta.TransferSyntaxUID
        assert ds.PixelData == original.PixelData  # the encoded bytes, JPEG 2000 included
        assert np.array_equal(ds.pixel_array, original.pixel_array)
    assert "(private elements) 179" in report.dicom  # CT_small's, the RG1 file has none


def test_a_project_of_revision_0006_upgrades_to_strip(tmp_path: Path) -> None:
    import sqlite3

    from madpg_core.storage import db

    folder = tmp_path / "old"
    folder.mkdir()
    engine = db.make_engine(folder / "project.sqlite")
    db.upgrade(engine, "0006")
    engine.dispose()
    con = sqlite3.connect(folder / "project.sqlite")
    con.execute("INSERT INTO project (id, name, created_at) VALUES (1, 'old', '2026-01-01 00:00:00')")
    con.commit()
    con.close()
    with Project.open(folder) as p:
        assert db.current_revision(p.engine) == db.HEAD_REVISION
        assert p.dicom_identity == "strip"  # NULL after the upgrade: identity stays out by default
        p.set_dicom_identity("keep")
        assert p.dicom_identity == "keep"


def test_a_file_madpg_already_stripped_is_stored_as_it_is(project: Project, tmp_path: Path) -> None:
    make_dicom(tmp_path / "in" / "a.dcm")
    import_images(project, tmp_path / "in", ["a.dcm"])
    [first] = stored(project)
    (tmp_path / "again").mkdir()
    (tmp_path / "again" / "a.dcm").write_bytes(first.read_bytes())
    with Project.create(tmp_path / "second") as again:
        report = import_images(again, tmp_path / "again", ["a.dcm"])
        [second] = stored(again)
        assert second.read_bytes() == first.read_bytes()  # same UIDs, same hash: a round trip holds
        assert "1 already de-identified by MADPG" in report.dicom
    # A file that only claims it (a private element left) is stripped all the same.
    ds = pydicom.dcmread(first)
    ds.private_block(0x0013, "OTHER TOOL", create=True).add_new(0x01, "LO", "Zhang Sanfeng")
    ds.save_as(tmp_path / "again" / "b.dcm")
    with Project.create(tmp_path / "third") as third:
        import_images(third, tmp_path / "again", ["b.dcm"])
        [path] = stored(third)
        assert b"Zhang Sanfeng" not in path.read_bytes()


def test_store_image_follows_the_project_setting(project: Project, tmp_path: Path) -> None:
    """Every way an image enters a project goes through the same filter (the demo uses store_image)."""
    src = make_dicom(tmp_path / "one.dcm")
    original = pydicom.dcmread(src)
    _, rel, _ = project.store_image(src)
    stored_ds = pydicom.dcmread(project.folder / rel)
    assert stored_ds.PatientName != original.PatientName and stored_ds.PixelData == original.PixelData
    project.set_dicom_identity("keep")
    _, rel, _ = project.store_image(src)
    assert (project.folder / rel).read_bytes() == src.read_bytes()
