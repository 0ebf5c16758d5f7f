"""Import and export against a real project: all or nothing, only what was given, files that appear
only when complete. Each test here fails for one of the breakages an audit tried (see issue 15)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from PIL import Image

from madpg_core import transfer
from madpg_core.domain import Record, RecordStatus, Span, SpanSource
from madpg_core.errors import Cancelled, MadpgError
from madpg_core.storage import image_store, repo
from madpg_core.storage.project import Project


@pytest.fixture
def project(tmp_path: Path) -> Project:
    with Project.create(tmp_path / "p") as p:
        yield p


def png(path: Path, color: tuple[int, int, int] = (200, 30, 30)) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (8, 6), color).save(path)
    return path


def jsonl(path: Path, *objs: dict) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(o, ensure_ascii=False) + "\n" for o in objs), encoding="utf-8")
    return path


def image_files(project: Project) -> set[str]:
    root = project.folder / "images"
    return {str(p.relative_to(project.folder)) for p in root.rglob("*") if p.is_file()}


def test_a_failure_inside_the_transaction_keeps_nothing(project: Project, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """Breakage: committing record by record. The failure comes after every INSERT ran."""
    src = jsonl(tmp_path / "in" / "a.jsonl", *({"text": f"记录{i}", "images": ["a.png"]} for i in range(50)))
    png(tmp_path / "in" / "a.png")

    def fail(self: image_store.ImageStaging) -> None:
        raise OSError("disk full while moving images")

    monkeypatch.setattr(image_store.ImageStaging, "publish", fail)
    with pytest.raises(OSError):
        transfer.import_into(project, src, "jsonl")
    with project.reading() as s:
        assert repo.record_ids(s) == []
    assert image_files(project) == set()


def test_a_refused_import_leaves_no_image_behind(project: Project, tmp_path: Path) -> None:
    png(tmp_path / "in" / "good.png")
    (tmp_path / "in" / "bad.png").write_bytes(b"\x89PNG\r\n\x1a\n" + os.urandom(40))  # truncated
    src = jsonl(tmp_path / "in" / "a.jsonl", {"text": "一", "images": ["good.png"]}, {"text": "二", "images": ["bad.png"]})
    with pytest.raises(MadpgError, match="bad.png"):
        transfer.import_into(project, src, "jsonl")
    assert image_files(project) == set()
    with project.reading() as s:
        assert repo.record_ids(s) == []


@pytest.mark.parametrize("name, content", [
    ("random.jpg", os.urandom(300)),
    ("empty.png", b""),
    ("text.dcm", "这不是 DICOM".encode()),
])
def test_files_that_are_not_images_are_refused(project: Project, tmp_path: Path, name: str, content: bytes) -> None:
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / name).write_bytes(content)
    src = jsonl(tmp_path / "in" / "a.jsonl", {"text": "一", "images": [name]})
    with pytest.raises(MadpgError, match=name):
        transfer.import_into(project, src, "jsonl")
    assert image_files(project) == set()


def test_an_image_outside_the_files_folder_needs_permission(project: Project, tmp_path: Path) -> None:
    outside = png(tmp_path / "elsewhere" / "x.png")
    src = jsonl(tmp_path / "in" / "a.jsonl", {"text": "一", "images": [str(outside)]})
    with pytest.raises(MadpgError, match="outside"):
        transfer.import_into(project, src, "jsonl")
    assert image_files(project) == set()
    report = transfer.import_into(project, src, "jsonl", allow_outside_images=True)
    assert report.images == 1 and len(image_files(project)) == 1


def test_images_root_is_where_relative_references_resolve(project: Project, tmp_path: Path) -> None:
    png(tmp_path / "pictures" / "x.png")
    src = jsonl(tmp_path / "in" / "a.jsonl", {"text": "一", "images": ["x.png"]})
    transfer.import_into(project, src, "jsonl", images_root=tmp_path / "pictures")
    with project.reading() as s:
        assert len(repo.get_record(s, 1).images) == 1


def test_a_dead_imports_published_images_are_swept_on_open(project: Project, tmp_path: Path) -> None:
    folder = project.folder
    png(tmp_path / "in" / "kept.png")
    transfer.import_into(project, jsonl(tmp_path / "in" / "k.jsonl", {"text": "一", "images": ["kept.png"]}), "jsonl")
    kept = next(iter(image_files(project)))
    project.close()
    orphan = folder / "images" / "ab" / ("ab" + "0" * 62 + ".png")
    png(orphan)
    dead = folder / "images" / ".staging-999999999-1"  # no such pid
    dead.mkdir()
    (dead / image_store.JOURNAL).write_text(f"images/ab/{orphan.name}\n{kept}\n", encoding="utf-8")
    with Project.open(folder, backup=False) as p:
        assert image_files(p) == {kept}
    assert not dead.exists()


def test_import_is_batched_yet_all_or_nothing_when_cancelled(project: Project, tmp_path: Path) -> None:
    src = jsonl(tmp_path / "a.jsonl", *({"text": f"记录{i}", "spans": [{"start": 0, "end": 2, "label": "Organ"}]}
                                        for i in range(5000)))
    stop = threading.Event()

    def progress(done: int, total: int) -> None:
        if done > 2 * total // 3 + 1000:  # inside the storing third, after the first batch
            stop.set()

    with pytest.raises(Cancelled):
        transfer.import_into(project, src, "jsonl", on_progress=progress, stop=stop)
    with project.reading() as s:
        assert repo.record_ids(s) == []


def test_jsonl_export_keeps_every_field_through_the_project(project: Project, tmp_path: Path) -> None:
    """Breakage: an export that drops source / model version / confidence / names."""
    png(tmp_path / "in" / "a.png")
    rec = {"name": "病历-7", "text": "左肺下叶肺炎，咳嗽", "status": "pre-labelled", "images": ["a.png"],
           "spans": [{"start": 0, "end": 4, "label": "Organ", "source": "model", "model_version": "v3",
                      "confidence": 0.625},
                     {"start": 6, "end": 8, "label": "Symptom", "source": "annotator"}]}
    transfer.import_into(project, jsonl(tmp_path / "in" / "a.jsonl", rec), "jsonl")
    out = tmp_path / "out.jsonl"
    counts = transfer.export_project(project, out, "jsonl")
    assert counts.written == 1
    got = json.loads(out.read_text(encoding="utf-8"))
    assert (got["name"], got["text"], got["status"]) == (rec["name"], rec["text"], rec["status"])
    assert got["images"] == ["out.jsonl_images/a.png"]  # the original name, relative to the file
    assert (out.parent / got["images"][0]).read_bytes() == (tmp_path / "in" / "a.png").read_bytes()
    spans = [(d["start"], d["end"], d["label"], d["source"], d["model_version"], d["confidence"]) for d in got["spans"]]
    assert spans == [(0, 4, "Organ", "model", "v3", 0.625), (6, 8, "Symptom", "annotator", None, None)]


def test_export_never_writes_straight_to_the_target(project: Project, tmp_path: Path) -> None:
    """Breakage: writing to OUT directly, so a stopped export destroys the previous file."""
    with project.transaction() as s:
        for i in range(120):
            repo.add_record(s, Record(f"记录{i}", (Span(0, 2, "Organ", SpanSource.ANNOTATOR),), name=f"r{i}",
                                      status=RecordStatus.REVIEWED))
    out = tmp_path / "out.jsonl"
    out.write_text("the previous export\n", encoding="utf-8")
    stop = threading.Event()
    seen: list[str] = []

    def progress(done: int, total: int) -> None:
        seen.append(out.read_text(encoding="utf-8"))
        stop.set()

    with pytest.raises(Cancelled):
        transfer.export_project(project, out, "jsonl", on_progress=progress, stop=stop)
    assert seen == ["the previous export\n"]
    assert out.read_text(encoding="utf-8") == "the previous export\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.jsonl", "p"]


def test_a_killed_exports_part_file_is_removed_by_the_next(project: Project, tmp_path: Path) -> None:
    out = tmp_path / "out.bio"
    stale = out.with_name(".out.bio.999999999.part")
    stale.write_text("half", encoding="utf-8")
    with project.transaction() as s:
        repo.add_record(s, Record("咳嗽", (Span(0, 2, "Symptom"),), name="a"))
        repo.add_record(s, Record("", (), name="empty"))
    counts = transfer.export_project(project, out, "bio")
    assert not stale.exists()
    assert (counts.written, counts.skipped_empty) == (1, 1)


def test_export_to_a_non_regular_file_writes_in_place(project: Project, tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with project.transaction() as s:
        repo.add_record(s, Record("咳嗽", (), name="a"))
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()))
    reader.start()
    transfer.export_project(project, fifo, "jsonl")
    reader.join(10)
    assert fifo.exists() and not fifo.is_file()  # still the pipe, not replaced by a regular file
    assert json.loads(got[0])["text"] == "咳嗽"


def test_sigterm_during_a_cli_export_leaves_no_part_file(project: Project, tmp_path: Path) -> None:
    with project.transaction() as s:
        repo.add_records(s, [Record("患者咳嗽三天" * 50, (), name=f"r{i}") for i in range(20000)], [[]] * 20000)
    project.close()
    out = tmp_path / "big.jsonl"
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    proc = subprocess.Popen([sys.executable, "-m", "madpg_core.cli", "export", str(project.folder), str(out),
                             "-f", "jsonl"], env=env, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not list(tmp_path.glob(".big.jsonl.*.part")) and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert "Traceback" not in err
    assert not list(tmp_path.glob(".big.jsonl.*.part"))
    assert proc.returncode == 3 or out.is_file()  # stopped cleanly mid-way, or it had already finished
    assert proc.returncode != 3 or "export cancelled" in err


def test_a_stop_request_is_noticed_while_the_file_is_read(project: Project, tmp_path: Path) -> None:
    src = jsonl(tmp_path / "a.jsonl", *({"text": f"记录{i}"} for i in range(300)))
    stop = threading.Event()
    calls: list[int] = []

    def progress(done: int, total: int) -> None:
        calls.append(done)
        if len(calls) == 10:
            stop.set()

    with pytest.raises(Cancelled):
        transfer.import_into(project, src, "jsonl", on_progress=progress, stop=stop)
    assert len(calls) == 10  # stopped in the reading third, not after reading all 300 lines
