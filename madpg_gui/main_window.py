"""The main window: composes the widgets, turns their intent signals into undo commands.

Later features plug in as their own docks/menus through ``add_dock`` and ``menus``: the model
loop (pre-labelling, training, versions) is composed in from model_loop.py. Nothing here imports torch.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QByteArray, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QActionGroup, QCloseEvent, QKeySequence, QUndoStack
from PySide6.QtWidgets import (
    QDockWidget,
    QFileDialog,
    QLabel,
    QMainWindow,
    QMenu,
    QMessageBox,
    QVBoxLayout,
    QWidget,
)

from madpg_core.domain import LabelSchema, RecordStatus
from madpg_core.errors import MadpgError
from madpg_core.storage import repo
from madpg_core.storage.project import Project
from madpg_gui import __version__, commands, place, settings
from madpg_gui.annotation import Annotation
from madpg_gui.attention_view import AttentionView
from madpg_gui.dialogs.backups import BackupsDialog, WriteWaitNotifier, open_failed
from madpg_gui.dialogs.server_project import open_server_project
from madpg_gui.dialogs.schema_editor import SchemaEditor
from madpg_gui.dialogs.transfer import ExportDialog, ImportDialog
from madpg_gui.editing import SpanEditor
from madpg_gui.i18n import LANGUAGES, system_language, tr, trn
from madpg_gui.model_loop import ModelLoop
from madpg_gui.team.desk import TeamDesk
from madpg_gui.region_editing import RegionEditor
from madpg_gui.widgets.image_pane import ImagePane
from madpg_gui.widgets.palette import LabelPalette
from madpg_gui.widgets.record_list import RecordList, status_text
from madpg_gui.widgets.tables import BioTable, EntityTable
from madpg_gui.widgets.text_view import SpanTextView


class MainWindow(QMainWindow):
    languageRequested = Signal(str)
    projectOpened = Signal()  # after a project is shown
    projectClosing = Signal()  # before the project closes: background work on it must stop

    def __init__(self, prefs: settings.Preferences) -> None:
        super().__init__()
        self.prefs = prefs
        self.project: Project | None = None
        self.ann: Annotation | None = None
        self.undo = QUndoStack(self)
        self.undo.indexChanged.connect(lambda _i: self.statusBar().clearMessage())  # an edit: the next action
        self.setWindowTitle("MADPG Annotator")
        self.setDockNestingEnabled(True)
        self._build_central()
        self._build_docks()
        self._build_menus()
        self.regions = RegionEditor(self)  # regions on the images and their links to spans (issue 18)
        self.regions.add_to(self.menuBar(), self.menus["help"], self)
        self.model_loop = ModelLoop(self)
        self.attention = AttentionView(self)  # the model's attention over the image (issue 18)
        self.team = TeamDesk(self)  # who is annotating, assignment, sheets, adjudication (issue 17)
        self.write_wait = WriteWaitNotifier(self)  # on_wait of the open project, from any thread
        self.status_label, self.offset_label = QLabel(), QLabel()
        self.statusBar().addPermanentWidget(self.offset_label)
        self.statusBar().addPermanentWidget(self.status_label)
        self._refresh_timer = QTimer(self, singleShot=True, interval=30)  # coalesce list refreshes
        self._refresh_timer.timeout.connect(self.records.refresh)
        self._restore_layout()
        self._enable(False)

    # ---------------------------------------------------------------- construction

    def _build_central(self) -> None:
        self.header = QLabel()
        self.header.setTextFormat(Qt.TextFormat.PlainText)
        self.palette_ = LabelPalette()
        self.text = SpanTextView()
        self.text.set_font_size(self.prefs.text_font_size)
        central = QWidget()
        lay = QVBoxLayout(central)
        lay.setContentsMargins(4, 4, 4, 0)
        lay.addWidget(self.header)
        lay.addWidget(self.palette_)
        lay.addWidget(self.text, 1)
        self.setCentralWidget(central)
        self.editor = SpanEditor(self)
        self.palette_.labelChosen.connect(self.editor.apply_label)
        self.text.labelKeyPressed.connect(self.editor.label_key)
        self.text.deleteRequested.connect(self.editor.delete_span)
        self.text.spanClicked.connect(self.editor.span_clicked)
        self.text.contextRequested.connect(self.editor.context_menu)
        self.text.cursorMoved.connect(self._cursor_moved)

    def add_dock(self, widget: QWidget, title: str, name: str, area: Qt.DockWidgetArea) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(name)  # saveState() needs stable names
        dock.setWidget(widget)
        self.addDockWidget(area, dock)
        return dock

    def _build_docks(self) -> None:
        self.records = RecordList()
        self.images = ImagePane()
        self.entities = EntityTable()
        self.bio = BioTable()
        self.records.recordChosen.connect(self.show_record)
        self.images.message.connect(self.message)
        self.entities.spanActivated.connect(self.editor.span_from_table)
        self.bio.charActivated.connect(lambda i: self.text.select_range(i, i))
        self.bio.model_.tagEdited.connect(self.editor.tag_edited)
        L, R, B = (Qt.DockWidgetArea.LeftDockWidgetArea, Qt.DockWidgetArea.RightDockWidgetArea,
                   Qt.DockWidgetArea.BottomDockWidgetArea)
        self.docks = {
            "records": self.add_dock(self.records, tr("Records"), "records", L),
            "images": self.add_dock(self.images, tr("Images"), "images", R),
            "entities": self.add_dock(self.entities, tr("Entities"), "entities", B),
            "bio": self.add_dock(self.bio, tr("BIO tags"), "bio", R),
        }
        self.tabifyDockWidget(self.docks["images"], self.docks["bio"])
        self.docks["images"].raise_()
        self.resizeDocks([self.docks["records"], self.docks["images"]], [260, 520], Qt.Orientation.Horizontal)
        self.resizeDocks([self.docks["entities"]], [220], Qt.Orientation.Vertical)

    def add_action(self, menu: QMenu, text: str, slot: object, keys: object = None, enabled_with_project: bool = True) -> QAction:
        a = QAction(text, self)
        if keys is not None:
            a.setShortcuts(keys if isinstance(keys, list) else [QKeySequence(keys)])
        a.triggered.connect(slot)
        menu.addAction(a)
        if enabled_with_project:
            self._project_actions.append(a)
        return a

    def _build_menus(self) -> None:
        self._project_actions: list[QAction] = []
        K, SK = QKeySequence, QKeySequence.StandardKey
        m = self.menus = {}
        m["file"] = f = self.menuBar().addMenu(tr("&File"))
        self.add_action(f, tr("New project…"), self.new_project, K(SK.New), False)
        self.add_action(f, tr("Open project…"), self.open_project_dialog, K(SK.Open), False)
        self.add_action(f, tr("Open project from server…"), lambda: open_server_project(self), None, False)
        self.recent_menu = f.addMenu(tr("Open recent"))
        self.recent_menu.aboutToShow.connect(self._fill_recent)
        f.addSeparator()
        self.add_action(f, tr("Import…"), self.import_records)
        self.add_action(f, tr("Export…"), self.export_records)
        self.add_action(f, tr("Restore backup…"), lambda: BackupsDialog(self, self.project.folder).exec())
        f.addSeparator()
        self.add_action(f, tr("Quit"), self.close, K("Ctrl+Q"), False)
        m["edit"] = e = self.menuBar().addMenu(tr("&Edit"))
        undo, redo = self.undo.createUndoAction(self, tr("Undo")), self.undo.createRedoAction(self, tr("Redo"))
        undo.setShortcut(K(SK.Undo))
        redo.setShortcuts([K("Ctrl+Shift+Z"), K("Ctrl+Y")])
        e.addActions([undo, redo])
        e.addSeparator()
        self.add_action(e, tr("Delete entity"), self.editor.delete_span)
        self.add_action(e, tr("Label schema…"), self.edit_schema)
        self._project_actions += self.editor.assertions.add_menu_actions(e)  # statuses: keys named, not taken
        m["record"] = r = self.menuBar().addMenu(tr("&Record"))
        self.add_action(r, tr("Accept as reviewed and next"), self.accept_and_next, [K("Ctrl+Return"), K("Ctrl+Enter")])
        self.add_action(r, tr("Next unreviewed"), self.next_unreviewed, K("Ctrl+J"))
        self.add_action(r, tr("Next record"), lambda: self.step(1), [K("Ctrl+PgDown"), K("Alt+Right")])
        self.add_action(r, tr("Previous record"), lambda: self.step(-1), [K("Ctrl+PgUp"), K("Alt+Left")])
        self.add_action(r, tr("Mark as not reviewed"), lambda: self.set_status(RecordStatus.NEW))
        r.addSeparator()
        self._project_actions += self.editor.add_menu_actions(r)  # the review loop's keys, named
        m["view"] = v = self.menuBar().addMenu(tr("&View"))
        self.add_action(v, tr("Zoom in"), lambda: self.images.zoom(1.25), [K("Ctrl+="), K("Ctrl++")], False)
        self.add_action(v, tr("Zoom out"), lambda: self.images.zoom(0.8), K("Ctrl+-"), False)
        self.add_action(v, tr("Actual size"), self.images.reset_zoom, K("Ctrl+0"), False)
        self.add_action(v, tr("Fit image"), self.images.fit, K("Ctrl+9"), False)
        v.addSeparator()
        for d in self.docks.values():
            v.addAction(d.toggleViewAction())
        lang = v.addMenu(tr("Language"))
        group = QActionGroup(self)
        for code, name in LANGUAGES.items():
            a = lang.addAction(name)
            a.setCheckable(True)
            a.setChecked(code == (self.prefs.language or system_language()))  # the one shown
            a.triggered.connect(lambda _=False, c=code: self.languageRequested.emit(c))
            group.addAction(a)
        m["help"] = h = self.menuBar().addMenu(tr("&Help"))
        self.add_action(h, tr("About"), self.about, None, False)

    def _enable(self, on: bool) -> None:
        for a in self._project_actions:
            a.setEnabled(on)

    # ---------------------------------------------------------------- project

    def open_project(self, folder: str | Path) -> bool:
        project = None
        try:
            project = Project.open(folder, on_wait=self.write_wait.report)
            self._set_project(project)  # damage in the records shows only when they are read
        except MadpgError as e:  # shown; for a damaged file, its last good backup is offered
            return open_failed(self, folder, e, half_open=project is not None)
        return True

    def _set_project(self, project: Project) -> None:
        self.close_project()
        self.project = project
        self.ann = Annotation(project, self)
        self.ann.recordLoaded.connect(self._record_loaded)
        self.ann.spansChanged.connect(self._spans_changed)
        self.ann.schemaChanged.connect(self._schema_changed)
        self.ann.dataChanged.connect(self._refresh_timer.start)
        self._schema_changed(self.ann.schema)
        self.records.set_project(project)
        self.setWindowTitle(f"{project.name} — MADPG Annotator")
        settings.add_recent(project.location)  # a server project's address, not its local working folder
        self.prefs.last_project = str(project.folder)
        settings.save_prefs(self.prefs)
        self._enable(True)
        where = place.load(project.folder)  # where the user left this project, if ever
        self.show_record(place.restore(self, where))
        place.restore_cursor(self, where)
        self.projectOpened.emit()

    def close_project(self) -> None:
        self.undo.clear()
        if self.project is not None:
            place.save(self.project.folder, place.capture(self))
            self.projectClosing.emit()
            self.images.set_images([])
            self.images.loader.wait()
            self.project.close()
        self.project, self.ann = None, None
        self.records.set_project(None)
        self._record_loaded(None)
        self._enable(False)

    def new_project(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, tr("Folder for the new project (empty)"))
        if not folder:
            return
        try:
            project = Project.create(folder, LabelSchema.default())
        except MadpgError as e:
            QMessageBox.warning(self, tr("New project"), str(e))
            return
        self._set_project(project)

    def open_project_dialog(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, tr("Open project folder"))
        if folder:
            self.open_project(folder)

    def _fill_recent(self) -> None:
        self.recent_menu.clear()
        for p in settings.recent_projects():
            self.recent_menu.addAction(p, lambda p=p: self.open_project(p))
        if self.recent_menu.isEmpty():
            self.recent_menu.addAction(tr("(none)")).setEnabled(False)

    # ---------------------------------------------------------------- showing a record

    def show_record(self, record_id: int | None) -> None:
        if self.ann is None:
            return
        self.statusBar().clearMessage()  # the last action's line: this is the next action
        try:
            self.ann.load(record_id)
        except MadpgError as e:
            self.message(str(e))

    def _record_loaded(self, record: object) -> None:
        schema = self.ann.schema if self.ann else LabelSchema(())
        self.text.set_record(record)
        self.entities.set_record(record, schema)
        self.bio.set_record(record, schema)
        self.images.set_images(record.images if record else [], record.image_names if record else ())
        self.regions.record_loaded(record)
        if record is not None:
            self.records.select(record.id)
        self._update_header()

    def _spans_changed(self, record: object) -> None:
        schema = self.ann.schema
        self.text.set_spans(record)
        self.entities.set_record(record, schema)
        self.bio.set_record(record, schema)
        self.entities.select_span(self.text.current_span)
        self.regions.reload()
        self._update_header()

    def _schema_changed(self, schema: LabelSchema) -> None:
        self.palette_.set_schema(schema)
        self.text.set_schema(schema)
        self.model_loop.panel.set_schema(schema)  # per-type scores under the types' display names

    def _update_header(self) -> None:
        rec = self.ann.record if self.ann else None
        if rec is None:
            self.header.setText(tr("No record") if self.project else tr("Open or create a project (File menu)"))
            self.status_label.setText("")
            return
        self.header.setText(f"{rec.name or '#' + str(rec.id)}  ·  "
                            + trn("{n} character", "{n} characters", len(rec.text)) + "  ·  "
                            + trn("{n} entity", "{n} entities", len(rec.spans)))
        self.status_label.setText(status_text(rec.status))

    def _cursor_moved(self, offset: int) -> None:
        self.offset_label.setText(tr("Offset {n}").format(n=offset))
        self.bio.show_char(offset)

    # ---------------------------------------------------------------- editing

    def message(self, text: str) -> None:
        """Say what an action did or why it was refused. The line stays until the user's next
        action (an edit, an undo, another record) clears it: a line gone after a few seconds was
        missed by anyone looking at the text (issue 20)."""
        self.statusBar().showMessage(text)

    # ---------------------------------------------------------------- review flow

    def set_status(self, status: RecordStatus) -> None:
        rec = self.ann.record if self.ann else None
        if rec is not None and rec.status != status:
            self.undo.push(commands.SetStatus(self.ann, rec.id, rec.status, status, self.message))

    def accept_and_next(self) -> None:
        rec = self.ann.record if self.ann else None
        if rec is None:
            return
        ids = self.records.ids()
        after = ids[ids.index(rec.id) + 1:] if rec.id in ids else []
        self.set_status(RecordStatus.REVIEWED)
        if after:
            self.show_record(after[0])
        else:
            self.message(tr("Accepted; this was the last record in the list"))

    def step(self, delta: int) -> None:
        rec = self.ann.record if self.ann else None
        ids = self.records.ids()
        if rec is None or not ids:
            return
        i = ids.index(rec.id) + delta if rec.id in ids else 0
        if 0 <= i < len(ids):
            self.show_record(ids[i])

    def next_unreviewed(self) -> None:
        if self.ann is None:
            return
        with self.project.reading() as s:
            rows = [r.id for r in repo.list_records(s) if r.status != RecordStatus.REVIEWED]
        cur = self.ann.record_id or 0
        target = next((i for i in rows if i > cur), rows[0] if rows else None)
        if target is None:
            self.message(tr("Every record is reviewed"))
        else:
            self.show_record(target)

    # ---------------------------------------------------------------- dialogs

    def edit_schema(self) -> None:
        if self.ann is None:
            return
        with self.project.reading() as s:
            usage = repo.type_usage(s)
        dlg = SchemaEditor(self.ann.schema, usage, self)
        if not dlg.exec() or dlg.result_schema is None:
            return
        try:
            self.ann.set_schema(lambda s: repo.set_schema(s, dlg.result_schema, renames=dlg.renames,
                                                          delete_spans_of_removed=bool(dlg.removed)))
        except MadpgError as e:
            QMessageBox.warning(self, tr("Label schema"), str(e))
            return
        self.undo.clear()  # earlier commands may name types that no longer exist

    def import_records(self) -> None:
        dlg = ImportDialog(self.project, self)
        # then parse the new records ahead in the pre-label process, so pre-labelling finds them cached
        dlg.done.connect(lambda _r: (self.records.refresh(), self.model_loop.warm_parse(None)))
        dlg.done.connect(self._imported)
        dlg.exec()
        if self.ann and self.ann.record is None and self.records.ids():
            self.show_record(self.records.ids()[0])

    def _imported(self, result: object) -> None:
        """A re-import that replaced records gave their spans new ids: the open record is read
        again, and undo commands that name the old state are dropped."""
        if getattr(result, "replaced", 0) and self.ann is not None:
            self.undo.clear()
            self.show_record(self.ann.record_id)

    def export_records(self) -> None:
        ExportDialog(self.project, self).exec()

    def about(self) -> None:
        QMessageBox.about(self, tr("About"), f"MADPG Annotator {__version__}\n"
                          + tr("Annotate Chinese medical records with their images."))

    # ---------------------------------------------------------------- layout

    def _restore_layout(self) -> None:
        qs = settings.qsettings()
        geometry = qs.value("geometry")
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)
        else:
            self.resize(1400, 900)
        state = qs.value("state")
        if isinstance(state, QByteArray) and int(qs.value("layout_version", 0)) == settings.LAYOUT_VERSION:
            self.restoreState(state, settings.LAYOUT_VERSION)

    def closeEvent(self, e: QCloseEvent) -> None:  # noqa: N802
        if not self.model_loop.confirm_close():
            e.ignore()
            return
        qs = settings.qsettings()
        qs.setValue("geometry", self.saveGeometry())
        qs.setValue("state", self.saveState(settings.LAYOUT_VERSION))
        qs.setValue("layout_version", settings.LAYOUT_VERSION)
        qs.sync()
        self.close_project()
        super().closeEvent(e)
