"""Image pane (corrupt, missing, DICOM window/level, thumbnails) and long records."""

from __future__ import annotations

import random
import shutil
import time
from pathlib import Path

import pytest

from madpg_core.domain import LabelSchema, Record, Span
from madpg_core.storage import repo
from madpg_core.storage.project import Project
from madpg_gui import settings
from madpg_gui.main_window import MainWindow

DEMO_IMAGES = Path(__file__).resolve().parents[2] / "resources" / "demo" / "images"


def make_window(qtbot, folder: Path) -> MainWindow:  # noqa: ANN001
    w = MainWindow(settings.Preferences(language="en"))
    qtbot.addWidget(w)
    w.show()
    assert w.open_project(folder)
    return w


def add_record_with_images(folder: Path, text: str, images: list[Path], spans: tuple[Span, ...] = ()) -> None:
    p = Project.open(folder) if (folder / "project.sqlite").exists() else Project.create(folder, LabelSchema.default())
    with p.transaction() as s:
        repo.add_record(s, Record(text, spans, name="img"), [p.store_image(i) for i in images])
    p.close()


def test_corrupt_and_missing_images_are_messages(qtbot, tmp_path: Path) -> None:  # noqa: ANN001
    bad = tmp_path / "broken.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n not really a png")
    gone = tmp_path / "gone.png"
    shutil.copy(DEMO_IMAGES / "00000001_000.png", gone)
    folder = tmp_path / "p"
    add_record_with_images(folder, "胸闷、气促。", [bad, gone])
    # delete the stored copy of the second image: a missing file
    p = Project.open(folder)
    with p.reading() as s:
        paths = repo.get_record(s, repo.record_ids(s)[0], p.image_root).images
    p.close()
    Path(paths[1]).unlink()
    w = make_window(qtbot, folder)
    qtbot.waitUntil(lambda: "broken" in w.images.note.text() or "cannot" in w.images.note.text(), timeout=5000)
    assert not w.images.showing_image
    w.images.show_index(1)
    qtbot.waitUntil(lambda: "not found" in w.images.note.text() or "missing" in w.images.note.text(), timeout=5000)
    # the record stays usable
    w.text.select_range(0, 2)
    w.editor.apply_label("Symptom")
    assert len(w.ann.record.spans) == 1
    w.close()


def test_dicom_window_presets_and_thumbnails(qtbot, tmp_path: Path) -> None:  # noqa: ANN001
    folder = tmp_path / "p"
    add_record_with_images(folder, "胸部CR。", [DEMO_IMAGES / "CT_small.dcm", DEMO_IMAGES / "00000001_000.png"])
    w = make_window(qtbot, folder)
    pane = w.images
    qtbot.waitUntil(lambda: pane.showing_image, timeout=10000)
    assert pane.thumbs.isVisibleTo(w) and pane.thumbs.count() == 2
    assert not pane.wl_bar.isHidden()
    names = [pane.presets.itemText(i) for i in range(pane.presets.count())]
    assert any("Bone" in n for n in names)  # CT gets the standard CT windows besides its own
    before = pane.view.item.pixmap().toImage()
    bone = next(i for i, n in enumerate(names) if "Bone" in n)
    pane.presets.setCurrentIndex(bone)
    pane._preset_chosen(bone)
    qtbot.waitUntil(lambda: pane.view.item.pixmap().toImage() != before, timeout=10000)
    pane.zoom(2.0)
    assert pane.view.transform().m11() > 1.5 * 0.1
    pane.fit()
    pane.show_index(1)  # the PNG: no window/level bar
    qtbot.waitUntil(lambda: pane.wl_bar.isHidden() and pane.showing_image, timeout=10000)
    w.close()


def test_jpeg2000_dicom_decodes(qtbot, tmp_path: Path) -> None:  # noqa: ANN001
    folder = tmp_path / "p"
    add_record_with_images(folder, "胫骨。", [DEMO_IMAGES / "RG3_J2KI.dcm"])
    w = make_window(qtbot, folder)
    qtbot.waitUntil(lambda: w.images.showing_image, timeout=20000)
    assert w.images.view.item.pixmap().width() == 1760
    w.close()


def long_record(n_chars: int, n_spans: int, seed: int = 0) -> Record:
    rng = random.Random(seed)
    alphabet = "患者胸闷气促咳嗽发热双肺纹理增粗心影增大诊断治疗予利尿。，"
    text = "".join(rng.choice(alphabet) for _ in range(n_chars))
    step = n_chars // n_spans
    labels = LabelSchema.default().names
    spans = tuple(Span(i * step, i * step + rng.randint(1, min(6, step - 1)), labels[i % len(labels)])
                  for i in range(n_spans))
    return Record(text, spans, name=f"{n_chars} chars")


def open_time(qtbot, tmp_path: Path, n_chars: int, n_spans: int) -> tuple[MainWindow, float]:  # noqa: ANN001
    folder = tmp_path / "p"
    p = Project.create(folder, LabelSchema.default())
    with p.transaction() as s:
        repo.add_record(s, Record("短记录。", name="short"))
        rid = repo.add_record(s, long_record(n_chars, n_spans))
    p.close()
    w = make_window(qtbot, folder)
    t = time.perf_counter()
    w.show_record(rid)
    qtbot.wait(1)  # let the first paint happen
    return w, time.perf_counter() - t


def test_open_5000_chars_500_spans_is_fast(qtbot, tmp_path: Path) -> None:  # noqa: ANN001
    w, seconds = open_time(qtbot, tmp_path, 5000, 500)
    print(f"\nopen 5,000 chars / 500 spans: {seconds * 1000:.0f} ms")
    assert len(w.text.extraSelections()) == 500
    assert seconds < 1.0
    t = time.perf_counter()
    w.text.select_range(1, 1)
    w.editor.delete_span()  # one edit = commit + re-read + repaint
    print(f"delete one span in it: {(time.perf_counter() - t) * 1000:.0f} ms")
    assert len(w.ann.record.spans) == 499
    w.close()


def test_open_20000_char_record(qtbot, tmp_path: Path) -> None:  # noqa: ANN001
    w, seconds = open_time(qtbot, tmp_path, 20000, 800)
    assert w.bio.model_.rowCount() == 20000
    assert w.text.document().characterCount() == 20001
    w.text.select_range(19990, 19990)
    assert w.text.cursor_offset() == 19990
    assert seconds < 3.0
    w.close()


@pytest.mark.parametrize("text", ["胸闷😀气促\r\n咳嗽", "a\r\n\r\n高血压👨‍⚕️。"])
def test_offsets_survive_emoji_and_crlf(qtbot, tmp_path: Path, text: str, read_db) -> None:  # noqa: ANN001
    folder = tmp_path / "p"
    add_record_with_images(folder, text, [])
    w = make_window(qtbot, folder)
    target = "气促" if "气促" in text else "高血压"
    a = text.index(target)
    w.text.select_range(a, a + len(target))
    assert w.text.textCursor().selectedText() == target
    w.editor.apply_label("Symptom")
    assert read_db(folder)[0][2] == [(a, a + len(target), "Symptom")]
    sels = w.text.extraSelections()  # keep the list alive: the cursors belong to it
    assert sels[0].cursor.selectedText() == target
    w.close()
