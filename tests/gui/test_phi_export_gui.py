"""An export from the GUI of a record holding a resident ID number stops until the user decides
(issue 18): mask it (the default), export it as it is, or cancel. The project keeps its text."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PySide6.QtWidgets import QMessageBox

from madpg_core.domain import LabelSchema, Record, RecordStatus
from madpg_core.phi import id_check_ok
from madpg_core.storage import repo
from madpg_core.storage.project import Project
from madpg_gui.dialogs.transfer import ExportDialog


def _valid_id() -> str:
    body = "11010519491231002"
    return next(body + c for c in "0123456789X" if id_check_ok(body + c))


@pytest.fixture
def project(tmp_path: Path):  # noqa: ANN201
    with Project.create(tmp_path / "p", LabelSchema.default()) as p:
        with p.transaction() as s:
            repo.add_record(s, Record(f"患者身份证号{_valid_id()}，胸闷三天。", name="a", status=RecordStatus.REVIEWED))
            repo.add_record(s, Record("咳嗽两周。", name="b", status=RecordStatus.REVIEWED))
        yield p


def _answer(monkeypatch, label: str | None, seen: list[str]) -> None:  # noqa: ANN001
    def exec_(box: QMessageBox) -> int:
        seen.append(box.text() + "\n" + box.detailedText())
        for b in box.buttons():
            if (label is None and box.buttonRole(b) == QMessageBox.ButtonRole.RejectRole) or b.text() == label:
                b.click()
        return 0

    monkeypatch.setattr(QMessageBox, "exec", exec_)


@pytest.mark.parametrize("choice", ["Mask them in the export", "Export as they are", None])
def test_an_id_number_stops_the_export_until_the_user_decides(qtbot, monkeypatch, project: Project,  # noqa: ANN001
                                                              tmp_path: Path, choice: str | None) -> None:
    out = tmp_path / "out.jsonl"
    dlg = ExportDialog(project)
    qtbot.addWidget(dlg)
    dlg.fmt.setCurrentText("jsonl")
    dlg.path.setText(str(out))
    seen: list[str] = []
    _answer(monkeypatch, choice, seen)
    if choice is None:
        dlg._start()
        assert not out.exists() and "Not exported" in dlg.info.text()
    else:
        with qtbot.waitSignal(dlg.done, timeout=20000):
            dlg._start()
        texts = [json.loads(line)["text"] for line in out.read_text(encoding="utf-8").splitlines()]
        assert (_valid_id() in texts[0]) is (choice == "Export as they are")
        assert len(texts[0]) == len(f"患者身份证号{_valid_id()}，胸闷三天。") and texts[1] == "咳嗽两周。"
    assert len(seen) == 1 and "1 piece of personal information" in seen[0] and "resident ID number" in seen[0]
    assert _valid_id() not in seen[0]  # the listing masks what it warns about
    with project.reading() as s:  # the project keeps its text whatever was chosen
        assert _valid_id() in next(repo.iter_records(s)).text


def test_no_finding_no_question(qtbot, monkeypatch, tmp_path: Path) -> None:  # noqa: ANN001
    with Project.create(tmp_path / "q", LabelSchema.default()) as p:
        with p.transaction() as s:
            repo.add_record(s, Record("咳嗽两周。", name="b", status=RecordStatus.REVIEWED))
        dlg = ExportDialog(p)
        qtbot.addWidget(dlg)
        dlg.fmt.setCurrentText("jsonl")
        dlg.path.setText(str(tmp_path / "o.jsonl"))
        seen: list[str] = []
        _answer(monkeypatch, None, seen)
        with qtbot.waitSignal(dlg.done, timeout=20000):
            dlg._start()
        assert not seen
