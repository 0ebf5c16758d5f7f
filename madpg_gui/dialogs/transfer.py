"""Import and Export dialogs over the core's formats, with progress and Cancel."""

from __future__ import annotations

import inspect
import threading
from contextlib import nullcontext
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QStandardPaths, QThread, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from madpg_core import formats, transfer
from madpg_core.domain import ImportReport, RecordStatus
from madpg_core.storage import repo
from madpg_core.phi_gate import masked_copy
from madpg_core.storage.project import Project
from madpg_gui import workers
from madpg_gui.dialogs.phi_check import check_before_export
from madpg_gui.i18n import tr, trn

SHOWN_WARNINGS = 5  # the first warnings under the summary; the rest are counted


def default_export_folder() -> Path:
    """The user's documents folder (where a clinician looks for a file), else the home folder."""
    docs = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
    return Path(docs) if docs and Path(docs).is_dir() else Path.home()


def format_label(fmt: str) -> str:
    """A format as the combo box shows it: its identifier (as the command line names it), except
    "folder", which is a word to translate."""
    return tr("folder (texts with their images)") if fmt == "folder" else fmt


def import_summary(report: ImportReport) -> str:
    """What an import did, in the user's language, from the report's counts (the core's
    ``ImportReport.summary()`` says the same in English, for the command line)."""
    text = tr("Imported {records}, {entities} and {images}.").format(
        records=trn("{n} record", "{n} records", report.records),
        entities=trn("{n} entity", "{n} entities", report.spans),
        images=trn("{n} image", "{n} images", report.images))
    if report.dropped_by_type:
        # the source file's own type names: they are not in the schema, so they have no display name
        dropped = ", ".join(f"{k}: {v}" for k, v in sorted(report.dropped_by_type.items()))
        text += "\n" + tr("Entities of types without a mapping were left out ({types}).").format(types=dropped)
    if isinstance(report, transfer.ImportResult):
        text += "".join("\n" + line for line in duplicate_lines(report))
    warnings = report.warnings
    if warnings:
        text += "\n" + trn("{n} warning:", "{n} warnings:", len(warnings))
        text += "\n" + "\n".join(warnings[:SHOWN_WARNINGS]) + ("\n…" if len(warnings) > SHOWN_WARNINGS else "")
    return text


def duplicate_lines(result: transfer.ImportResult) -> list[str]:
    """What became of the records the project already had (same name and text), one line per
    outcome that happened: nothing is said when the file brought only new records."""
    lines = []
    if result.replaced:
        lines.append(trn("{n} record already in the project was replaced by the file's version.",
                         "{n} records already in the project were replaced by the file's version.", result.replaced))
    if result.replaced_reviewed:
        lines.append(trn("Of them, {n} had been reviewed.", "Of them, {n} had been reviewed.",
                         result.replaced_reviewed))
    if result.kept_reviewed:
        lines.append(trn("{n} reviewed record already in the project was kept as it is.",
                         "{n} reviewed records already in the project were kept as they are.", result.kept_reviewed))
    if result.skipped:
        lines.append(trn("{n} record already in the project was skipped.",
                         "{n} records already in the project were skipped.", result.skipped))
    if result.added_again:
        lines.append(trn("{n} record already in the project was added again as a new record.",
                         "{n} records already in the project were added again as new records.", result.added_again))
    if result.repeated:
        lines.append(trn("{n} record repeats an earlier one in the file and was added too.",
                         "{n} records repeat earlier ones in the file and were added too.", result.repeated)
                     if result.on_duplicate == "add" else
                     trn("{n} record repeats an earlier one in the file and was skipped.",
                         "{n} records repeat earlier ones in the file and were skipped.", result.repeated))
    return lines


def loss_names() -> dict[str, str]:
    """What a format could not carry (WriteCounts.not_carried), in the UI's language."""
    from madpg_core.formats import conll2003 as c

    return {c.NAMES: tr("record names"), c.STATUSES: tr("record statuses"), c.IMAGES: tr("images"),
            c.ASSERTIONS: tr("assertion statuses"), c.ORIGINS: tr("model origins (source, version, confidence)"),
            c.LAYERS: tr("layer numbers"), transfer.LOST_REGION_LINKS: tr("region links (export the grounding file "
                                                                           "for them)"),
            transfer.LOST_NOT_VISIBLE: tr("entities marked not visible in the images")}


def writer_takes(fmt: str, option: str) -> bool:
    """Whether the export writer of ``fmt`` takes ``option`` ("layer", "assertion_column"), as
    transfer.export_project decides it: by the writer's keyword parameters."""
    write = formats.WRITERS.get(fmt)
    return write is not None and option in inspect.signature(write).parameters


def _safe_name(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name).strip("._") or "export"


def _path_row(edit: QLineEdit, *buttons: QPushButton) -> QWidget:
    w = QWidget()
    lay = QHBoxLayout(w)
    lay.setContentsMargins(0, 0, 0, 0)
    lay.addWidget(edit, 1)
    for b in buttons:
        lay.addWidget(b)
    return w


class _TransferDialog(QDialog):
    done = Signal(object)  # the task's result, after success

    def __init__(self, project: Project, title: str, action: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.project = project
        self.setWindowTitle(title)
        self.form = QFormLayout()
        self.bar = QProgressBar()
        self.bar.setValue(0)
        self.info = QLabel(wordWrap=True)
        self.buttons = QDialogButtonBox()
        self.go = self.buttons.addButton(action, QDialogButtonBox.ButtonRole.AcceptRole)
        self.cancel = self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.close_ = self.buttons.addButton(QDialogButtonBox.StandardButton.Close)
        self.close_.hide()
        self.go.clicked.connect(self._start)
        self.cancel.clicked.connect(self._cancel)
        self.close_.clicked.connect(self.accept)
        lay = QVBoxLayout(self)
        lay.addLayout(self.form)
        lay.addWidget(self.bar)
        lay.addWidget(self.info)
        lay.addWidget(self.buttons)
        self.resize(560, 0)
        self.worker: workers.TaskWorker | None = None
        self.thread: QThread | None = None
        write_wait = getattr(parent, "write_wait", None)  # the main window's WriteWaitNotifier
        if write_wait is not None:
            write_wait.waiting.connect(self._waiting)

    def _waiting(self, seconds: float) -> None:
        """The task's write waits for another program holding the project's write lock."""
        if self.thread is not None and self.thread.isRunning():
            self.info.setText(tr("Waiting for another program writing this project… {n} s").format(n=round(seconds)))

    def task(self) -> Callable[[Callable[[int, int], None], threading.Event], object] | None:
        raise NotImplementedError

    def describe(self, result: object) -> str:
        raise NotImplementedError

    def _start(self) -> None:
        task = self.task()
        if task is None:
            return
        self.go.setEnabled(False)
        self.info.setText(tr("Working…"))
        self.bar.setRange(0, 0)  # busy until the first progress report
        self.worker = workers.TaskWorker(task)
        self.worker.progress.connect(self._progress)
        self.worker.finished.connect(self._finished)
        self.worker.failed.connect(self._failed)
        self.worker.cancelled.connect(self._cancelled)
        self.thread = workers.start(self.worker, self)

    def _progress(self, done: int, total: int) -> None:
        if self.info.text() != tr("Working…"):  # a write that waited for another program went on
            self.info.setText(tr("Working…"))
        self.bar.setRange(0, max(total, 1))
        self.bar.setValue(done)

    def _finished(self, result: object) -> None:
        self.bar.setRange(0, 1)
        self.bar.setValue(1)
        self.info.setText(self.describe(result))
        self._ended()
        self.done.emit(result)

    def _failed(self, message: str) -> None:
        self.bar.setRange(0, 1)
        self.bar.setValue(0)
        self.info.setText(message)
        self.go.setEnabled(True)
        self._ended(keep_go=True)

    def _cancelled(self) -> None:
        self.bar.setRange(0, 1)
        self.bar.setValue(0)
        self.info.setText(tr("Cancelled; nothing was changed."))
        self._ended(keep_go=True)

    def _ended(self, keep_go: bool = False) -> None:
        if self.thread is not None:
            self.thread.wait(5000)
        self.go.setEnabled(keep_go)
        self.cancel.setVisible(keep_go)
        self.close_.setVisible(not keep_go)

    def _cancel(self) -> None:
        if self.worker is not None and self.thread is not None and self.thread.isRunning():
            self.worker.stop.set()  # the core stops between two units of work
        else:
            self.reject()

    def reject(self) -> None:
        if self.thread is not None and self.thread.isRunning():
            self.worker.stop.set()
            self.thread.wait(10000)
        super().reject()


class ImportDialog(_TransferDialog):
    def __init__(self, project: Project, parent: QWidget | None = None) -> None:
        super().__init__(project, tr("Import records"), tr("Import"), parent)
        self.path = QLineEdit()
        pick_file, pick_dir = QPushButton(tr("File…")), QPushButton(tr("Folder…"))
        pick_file.clicked.connect(lambda: self._pick(False))
        pick_dir.clicked.connect(lambda: self._pick(True))
        self.fmt = QComboBox()
        for f in formats.FORMATS:
            self.fmt.addItem(format_label(f), f)
        self.type_map = QLineEdit(placeholderText=tr("optional: source<TAB>target per line, or JSON"))
        pick_map = QPushButton(tr("File…"))
        pick_map.clicked.connect(self._pick_map)
        self.form.addRow(tr("Source"), _path_row(self.path, pick_file, pick_dir))
        self.form.addRow(tr("Format"), self.fmt)
        self.form.addRow(tr("Type mapping"), _path_row(self.type_map, pick_map))
        self.allow_outside = QCheckBox(tr("Allow images from outside the file's folder"))
        self.allow_outside.setToolTip(tr("Image paths in the imported file must lie in its folder unless this is "
                                         "checked: only check it for files you trust."))
        self.form.addRow("", self.allow_outside)
        # The project's setting (strip unless changed), for this import: patient identity in DICOM
        # headers never enters the project unless the user unticks it (issue 18).
        self.strip_dicom = QCheckBox(tr("Remove patient identity from DICOM headers"))
        self.strip_dicom.setChecked(project.dicom_identity != "keep")
        self.strip_dicom.setToolTip(tr("Names, IDs, birth dates, institution and private tags are removed or "
                                       "replaced (DICOM PS3.15 basic profile); the pixels stay as they are, and "
                                       "the original file is not copied into the project."))
        self.form.addRow("", self.strip_dicom)
        # A record with the same name and text as one in the project is a duplicate. Skip is the
        # default: importing a file twice changes nothing. Replacing reviewed work is its own entry,
        # so that it is never the side effect of choosing "replace".
        self.on_duplicate = QComboBox()
        for label, value in ((tr("Skip them"), ("skip", False)),
                             (tr("Replace them, except reviewed records"), ("replace", False)),
                             (tr("Replace them, reviewed records too"), ("replace", True)),
                             (tr("Add them as new records"), ("add", False))):
            self.on_duplicate.addItem(label, value)
        self.on_duplicate.setToolTip(tr("A record is already in the project when a record with the same name and "
                                        "the same text is. Replacing gives it the file's entities, status and "
                                        "images; it keeps its place, note and check-set role."))
        self.form.addRow(tr("Records already in the project"), self.on_duplicate)

    def _pick(self, folder: bool) -> None:
        p = (QFileDialog.getExistingDirectory(self, tr("Import folder")) if folder
             else QFileDialog.getOpenFileName(self, tr("Import file"))[0])
        if p:
            self.path.setText(p)

    def _pick_map(self) -> None:
        p = QFileDialog.getOpenFileName(self, tr("Type mapping"))[0]
        if p:
            self.type_map.setText(p)

    def task(self) -> Callable | None:
        path, fmt, map_path = self.path.text().strip(), self.fmt.currentData(), self.type_map.text().strip()
        allow_outside = self.allow_outside.isChecked()
        identity = "strip" if self.strip_dicom.isChecked() else "keep"
        on_duplicate, replace_reviewed = self.on_duplicate.currentData()
        if not path:
            self.info.setText(tr("Choose a file or folder to import."))
            return None
        project = self.project

        def run(on_progress: Callable[[int, int], None], stop: threading.Event) -> object:
            type_map = formats.load_type_map(map_path) if map_path else None
            return transfer.import_into(project, path, fmt, type_map, on_progress=on_progress, stop=stop,
                                        allow_outside_images=allow_outside, on_duplicate=on_duplicate,
                                        replace_reviewed=replace_reviewed, dicom_identity=identity)

        return run

    def describe(self, result: object) -> str:
        if not isinstance(result, ImportReport):
            return str(result)
        text = import_summary(result)
        if getattr(result, "dicom", ""):  # the core's line is English: say it here
            text += "\n" + (tr("DICOM headers de-identified: patient names, IDs, dates and institution removed or "
                                "replaced.") if self.strip_dicom.isChecked()
                             else tr("DICOM headers kept as they are, patient identity included."))
        return text


GROUNDING = "grounding"  # the grounding file of region links (formats/grounding.py), beside the record formats


class ExportDialog(_TransferDialog):
    def __init__(self, project: Project, parent: QWidget | None = None, fmt: str | None = None) -> None:
        super().__init__(project, tr("Export records"), tr("Export"), parent)
        # The user's documents folder, not the project folder (hidden in the data folder for the
        # demo) — and reviewed records only: unreviewed spans are the model's, not gold.
        self.path = QLineEdit(str(default_export_folder() / f"{_safe_name(project.name)}-reviewed.jsonl"))
        pick = QPushButton(tr("File…"))
        pick.clicked.connect(self._pick)
        self.fmt = QComboBox()
        for f in formats.EXPORT_FORMATS:
            self.fmt.addItem(f, f)
        self.fmt.addItem(tr("grounding file (region links)"), GROUNDING)
        self.fmt.currentIndexChanged.connect(lambda _i: self._suffix(self.format))
        self.status = QComboBox()
        self.status.addItem(tr("All records"), "all")
        self.status.addItem(tr("Reviewed records only"), "reviewed")
        self.status.setCurrentIndex(self.status.findData("reviewed"))
        self.form.addRow(tr("Destination"), _path_row(self.path, pick))
        self.form.addRow(tr("Format"), self.fmt)
        self.form.addRow(tr("Records"), self.status)
        # A format of one flat layer (BIO) cannot hold nested entities: which layer it writes, and
        # whether the assertion status goes along as a third column. Shown for the formats that take them.
        self.layer = QComboBox()
        self.layer.addItem(tr("The outer entities"), "outer")
        self.layer.addItem(tr("The inner entities"), "inner")
        self.layer.setToolTip(tr("Where entities nest (a disease containing an organ), a BIO file holds one of "
                                 "them; the others are counted below when the export is done."))
        self.assertion_column = QCheckBox(tr("Add the assertion status as a third column"))
        self.assertion_column.setToolTip(tr("present, absent, possible, … per character of an entity; O elsewhere"))
        self.form.addRow(tr("Nested entities"), self.layer)
        self.form.addRow("", self.assertion_column)
        self.fmt.currentIndexChanged.connect(lambda _i: self._options(self.format))
        if fmt is not None:
            self.fmt.setCurrentIndex(self.fmt.findData(fmt))
        self._suffix(self.format)
        self._options(self.format)

    @property
    def format(self) -> str:
        return self.fmt.currentData() or self.fmt.currentText()

    def _options(self, fmt: str) -> None:
        """Enable the layer and status-column options where the format's writer takes them."""
        for widget, name in ((self.layer, "layer"), (self.assertion_column, "assertion_column")):
            on = writer_takes(fmt, name)
            widget.setEnabled(on)
            label = self.form.labelForField(widget)
            if label is not None:
                label.setEnabled(on)

    def _suffix(self, fmt: str) -> None:
        p = Path(self.path.text() or "export")
        self.path.setText(str(p.with_suffix(".jsonl" if fmt in ("jsonl", GROUNDING) else ".txt")))

    def _pick(self) -> None:
        p = QFileDialog.getSaveFileName(self, tr("Export to"), self.path.text())[0]
        if p:
            self.path.setText(p)

    def task(self) -> Callable | None:
        out, fmt, status = self.path.text().strip(), self.format, self.status.currentData()
        if not out:
            self.info.setText(tr("Choose where to write the export."))
            return None
        project = self.project
        if status == "all" and not self._confirm_unreviewed():
            self.info.setText(tr("Not exported. Choose “Reviewed records only” to export gold spans."))
            return None
        go_on, to_mask = check_before_export(self, project, status)  # personal information (issue 18)
        if not go_on:
            self.info.setText(tr("Not exported: personal information was found and you cancelled."))
            return None
        layer = self.layer.currentData() if self.layer.isEnabled() else "outer"
        column = self.assertion_column.isChecked() and self.assertion_column.isEnabled()
        self._target = (out, fmt, layer)  # what describe() reports, whatever the fields say by then

        def run(on_progress: Callable[[int, int], None], stop: threading.Event) -> object:
            with masked_copy(project, to_mask) if to_mask else nullcontext(project) as source:
                if fmt == GROUNDING:  # the same gate as the records: it carries the entities' text
                    from madpg_core.formats.grounding import export_grounding

                    return export_grounding(source, out, status, stop=stop)
                return transfer.export_project(source, out, fmt, status, on_progress=on_progress, stop=stop,
                                               layer=layer, assertion_column=column)

        return run

    def _confirm_unreviewed(self) -> bool:
        """Exporting all records sends unreviewed model spans out as if they were gold: say how many."""
        with self.project.reading() as s:
            counts = repo.stats(s).records_by_status
        unreviewed = sum(n for st, n in counts.items() if st != RecordStatus.REVIEWED.value)
        if not unreviewed:
            return True
        answer = QMessageBox.question(
            self, tr("Export all records"),
            trn("{n} of the records is not reviewed: its spans are the model's proposals, not checked "
                "by a person. Export it too?",
                "{n} of the records are not reviewed: their spans are the model's proposals, not checked "
                "by a person. Export them too?", unreviewed),
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, QMessageBox.StandardButton.No)
        return answer == QMessageBox.StandardButton.Yes

    def describe(self, result: object) -> str:
        out, fmt, layer = self._target
        if fmt == GROUNDING:
            text = tr("Exported {links} and {hidden} marked not visible, from {records}, to {path}").format(
                links=trn("{n} region link", "{n} region links", result.links),
                hidden=trn("{n} entity", "{n} entities", result.not_visible),
                records=trn("{n} record", "{n} records", result.records), path=out)
            if not result.lines:
                text += "\n" + tr("No region links yet: draw a region on an image (Regions ▸ Box) and link it "
                                  "to an entity (L).")
            return text
        text = tr("Exported {records} to {path}").format(
            records=trn("{n} record", "{n} records", result.written), path=out)
        if result.skipped_empty:
            text += "\n" + trn("{n} empty record was not written: the {format} format cannot hold it.",
                                "{n} empty records were not written: the {format} format cannot hold them.",
                                result.skipped_empty, format=fmt)
        left_out = getattr(result, "spans_left_out", 0)
        if left_out:
            text += "\n" + (trn("{n} nested or overlapping entity was left out: the file holds the outer ones.",
                                 "{n} nested or overlapping entities were left out: the file holds the outer ones.",
                                 left_out) if layer == "outer" else
                             trn("{n} nested or overlapping entity was left out: the file holds the inner ones.",
                                 "{n} nested or overlapping entities were left out: the file holds the inner ones.",
                                 left_out))
        if result.not_carried:
            names = loss_names()
            text += "\n" + tr("The {format} format cannot hold: {what}").format(
                format=fmt, what="; ".join(f"{names.get(what, what)} ({n})" for what, n in result.not_carried))
        if result.images:
            text += "\n" + trn("{n} image copied under its original name to {folder}",
                                "{n} images copied under their original names to {folder}",
                                result.images, folder=result.images_folder)
        if result.missing_images:
            text += "\n" + trn("{n} image is missing from the project and was left out: {names}",
                                "{n} images are missing from the project and were left out: {names}",
                                len(result.missing_images), names="; ".join(result.missing_images[:5]))
        return text
