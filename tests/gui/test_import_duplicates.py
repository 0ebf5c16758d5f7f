"""The import dialog's choice for records already in the project (skip by default, replace, replace
reviewed too, add) and the summary lines that say what became of them."""

from __future__ import annotations

import json
from pathlib import Path

from madpg_core.domain import RecordStatus
from madpg_gui.dialogs.transfer import ImportDialog
from madpg_gui.main_window import MainWindow


def run_import(qtbot, window: MainWindow, src: Path, choice: int | None = None) -> str:  # noqa: ANN001
    dlg = ImportDialog(window.project, window)
    qtbot.addWidget(dlg)
    dlg.path.setText(str(src))
    dlg.fmt.setCurrentIndex(dlg.fmt.findData("jsonl"))
    if choice is not None:
        dlg.on_duplicate.setCurrentIndex(choice)
    with qtbot.waitSignal(dlg.done, timeout=10000):
        dlg.go.click()
    return dlg.info.text()


def test_import_dialog_skips_replaces_or_adds_records_already_in_the_project(qtbot, window: MainWindow,  # noqa: ANN001
                                                                            tmp_path: Path, read_db) -> None:  # noqa: ANN001
    src = tmp_path / "in.jsonl"
    rows = [{"name": "a", "text": "发热、咳嗽。", "status": "reviewed", "spans": [{"start": 0, "end": 2, "label": "Symptom"}]},
            {"name": "b", "text": "胸痛。", "spans": [{"start": 0, "end": 2, "label": "Symptom"}]}]
    src.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    dlg = ImportDialog(window.project, window)
    qtbot.addWidget(dlg)
    assert dlg.on_duplicate.currentData() == ("skip", False)  # the default: a second import changes nothing

    first = run_import(qtbot, window, src)
    assert first == "Imported 2 records, 2 entities and 0 images."  # only new records: nothing more said
    assert run_import(qtbot, window, src) == ("Imported 0 records, 0 entities and 0 images.\n"
                                              "2 records already in the project were skipped.")
    assert len(read_db(window.project.folder)) == 5  # the fixture's three, and the file's two once

    rows[0]["spans"][0]["label"] = rows[1]["spans"][0]["label"] = "Disease"
    src.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    text = run_import(qtbot, window, src, choice=1)
    assert "1 record already in the project was replaced by the file's version." in text
    assert "1 reviewed record already in the project was kept as it is." in text
    state = {name: (status, spans) for name, status, spans in read_db(window.project.folder)}
    assert state["a"] == (RecordStatus.REVIEWED, [(0, 2, "Symptom")]) and state["b"][1] == [(0, 2, "Disease")]

    text = run_import(qtbot, window, src, choice=2)
    assert "2 records already in the project were replaced" in text and "Of them, 1 had been reviewed." in text
    assert dict((n, sp) for n, _, sp in read_db(window.project.folder))["a"] == [(0, 2, "Disease")]

    text = run_import(qtbot, window, src, choice=3)
    assert text.startswith("Imported 2 records") and "2 records already in the project were added again" in text
    assert len(read_db(window.project.folder)) == 7


def test_the_import_dialog_strips_dicom_identity_unless_unticked(qtbot, tmp_path: Path) -> None:  # noqa: ANN001
    """Issue 18 item 4: the project's setting (strip) is the dialog's default; unticking keeps it."""
    import json

    import pydicom

    from madpg_core.storage import repo as repo_mod
    from madpg_core.storage.project import Project
    from madpg_gui.dialogs.transfer import ImportDialog

    demo = Path(__file__).resolve().parents[2] / "resources" / "demo" / "images" / "CT_small.dcm"
    src = tmp_path / "in"
    src.mkdir()
    (src / "ct.dcm").write_bytes(demo.read_bytes())
    (src / "a.jsonl").write_text(json.dumps({"name": "ct", "text": "胸部CT。", "images": ["ct.dcm"]}) + "\n",
                                 encoding="utf-8")
    original = pydicom.dcmread(demo).PatientName
    for keep, folder in ((False, tmp_path / "p1"), (True, tmp_path / "p2")):
        with Project.create(folder) as p:
            dlg = ImportDialog(p)
            qtbot.addWidget(dlg)
            assert dlg.strip_dicom.isChecked()
            dlg.strip_dicom.setChecked(not keep)
            dlg.path.setText(str(src / "a.jsonl"))
            dlg.fmt.setCurrentIndex(dlg.fmt.findData("jsonl"))
            with qtbot.waitSignal(dlg.done, timeout=20000):
                dlg._start()
            assert "DICOM headers" in dlg.info.text()
            with p.reading() as s:
                stored = next(repo_mod.iter_records(s, image_root=p.image_root)).images[0]
            assert (pydicom.dcmread(stored).PatientName == original) is keep
