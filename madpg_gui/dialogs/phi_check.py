"""Before an export leaves the machine: the personal information the scan finds in the records it
would write (issue 18), listed with its context masked, and the user's decision — mask it in the
export (the default), export as it is, or do not export. The project itself is never changed.

The scan runs here, on the GUI thread, behind a busy cursor: it reads about three million
characters a second, so a 10,000-record project waits under a second (a worker would need a
second round trip for the decision).
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QMessageBox, QWidget

from madpg_core.phi import mask
from madpg_core.phi_gate import RecordFinding, context, scan_project
from madpg_gui.i18n import tr, trn

SHOWN = 10  # findings listed in the message; the count says how many more


def kind_name(kind: str) -> str:
    return {"id_card": tr("resident ID number"), "mobile": tr("mobile number"), "landline": tr("telephone number"),
            "birth_date": tr("date of birth"), "name": tr("personal name"), "record_number": tr("record number"),
            "address": tr("address"), "hospital": tr("hospital name")}.get(kind, kind)


def check_before_export(parent: QWidget, project: object, status: str) -> tuple[bool, list[RecordFinding]]:
    """(go on?, findings to mask). No findings: (True, []). The user chose to export them as they
    are: (True, []). To mask: (True, findings). Cancelled: (False, [])."""
    masked: dict[int, str] = {}

    def keep_context(rid: int, _name: str, text: str, found: list) -> None:
        masked[rid] = mask(text, found)

    QGuiApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
    try:
        findings = scan_project(project, status, on_record=keep_context)
    finally:
        QGuiApplication.restoreOverrideCursor()
    if not findings:
        return True, []
    lines = [f"{f.record_name} · {kind_name(f.kind)} · {context(masked[f.record_id], f)}" for f in findings[:SHOWN]]
    if len(findings) > SHOWN:
        lines.append(trn("… and {n} more", "… and {n} more", len(findings) - SHOWN))
    records = len({f.record_id for f in findings})
    box = QMessageBox(QMessageBox.Icon.Warning, tr("Personal information in the export"),
                      trn("The records to export hold {n} piece of personal information",
                          "The records to export hold {n} pieces of personal information", len(findings))
                      + " " + trn("(in {n} record).", "(in {n} records).", records), parent=parent)
    box.setInformativeText(tr("Mask it: each character becomes ＊ in the exported file, offsets unchanged; the "
                              "project keeps its text."))
    box.setDetailedText("\n".join(lines))
    mask_button = box.addButton(tr("Mask them in the export"), QMessageBox.ButtonRole.AcceptRole)
    as_is = box.addButton(tr("Export as they are"), QMessageBox.ButtonRole.DestructiveRole)
    box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(mask_button)
    box.exec()
    if box.clickedButton() is mask_button:
        return True, findings
    if box.clickedButton() is as_is:
        return True, []
    return False, []
