"""Team annotation at the desk, composed into the main window: who is annotating (asked once per
project and desk, remembered; Team ▸ Switch annotator…), the Team menu (assignment, adjudication,
agreement, history), the annotator's name in the status bar and title, and the banner that says
when the text shows the annotator's own sheet of a double-annotated record.

Knows the window only as ``TeamHost`` (no import of main_window.py), as the model loop does.
"""

from __future__ import annotations

import os
from typing import Protocol

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QUndoStack
from PySide6.QtWidgets import QLabel, QMessageBox, QWidget

from madpg_core.agreement import compute_agreement
from madpg_core.errors import MadpgError
from madpg_core.storage import team
from madpg_core.storage.annotators import UNKNOWN
from madpg_gui import settings
from madpg_gui.host import WindowHost
from madpg_gui.i18n import tr, trn
from madpg_gui.team.adjudication import AdjudicationDialog
from madpg_gui.team.agreement_dialog import AgreementDialog
from madpg_gui.team.annotator_dialog import AnnotatorDialog
from madpg_gui.team.assign_dialog import AssignDialog
from madpg_gui.team.history_view import HistoryDialog

BANNER_STYLE = "background: #FFF4D6; border: 1px solid #E69F00; border-radius: 3px; padding: 3px 6px;"


class TeamHost(WindowHost, Protocol):
    undo: QUndoStack

    def show_record(self, record_id: int | None) -> None: ...

    def centralWidget(self) -> QWidget: ...  # noqa: N802

    def setWindowTitle(self, title: str) -> None: ...  # noqa: N802


def env_annotator() -> str:
    """MADPG_ANNOTATOR: a name set for this process (scripts, tests, a shared login) — never asked."""
    return os.environ.get("MADPG_ANNOTATOR", "").strip()


class TeamDesk(QObject):
    def __init__(self, window: TeamHost) -> None:
        super().__init__(window if isinstance(window, QObject) else None)
        self.w = window
        self.dialog: AnnotatorDialog | None = None  # the open "who is annotating?" question
        self.name_label = QLabel()
        self.name_label.setToolTip(tr("The annotator this desk edits as (Team ▸ Switch annotator…)"))
        window.statusBar().addPermanentWidget(self.name_label)
        self.banner = QLabel()
        self.banner.setStyleSheet(BANNER_STYLE)
        self.banner.setWordWrap(True)
        self.banner.hide()
        lay = window.centralWidget().layout()
        lay.insertWidget(1, self.banner)  # under the record's header line, above the palette
        self._build_menu()
        window.projectOpened.connect(self.project_opened)
        window.projectClosing.connect(self._closing)

    def _build_menu(self) -> None:
        w = self.w
        m = w.menuBar().addMenu(tr("&Team"))
        w.menuBar().insertMenu(w.menus["help"].menuAction(), m)
        w.menus["team"] = m
        w.add_action(m, tr("Switch annotator…"), self.ask_annotator)
        m.addSeparator()
        w.add_action(m, tr("Assign records…"), self.assign_dialog)
        w.add_action(m, tr("Adjudicate this record…"), self.adjudicate_dialog)
        w.add_action(m, tr("Agreement report…"), self.agreement_dialog)
        m.addSeparator()
        w.add_action(m, tr("History of this record…"), lambda: self.history_dialog(this_record=True))
        w.add_action(m, tr("History of the project…"), lambda: self.history_dialog(this_record=False))

    # ---------------------------------------------------------------- who is annotating

    def project_opened(self) -> None:
        p = self.w.project
        self.w.ann.recordLoaded.connect(self._record_shown)
        self.w.ann.spansChanged.connect(self._record_shown)
        env = env_annotator()
        remembered = "" if env else settings.remembered_annotator(p.folder)
        name = env or remembered or p.annotator  # p.annotator: the OS user name by default
        self.set_annotator(name, remember=False)
        self._record_shown(self.w.ann.record)  # the record opened before this desk was told
        if not env and not remembered and self._team_project():
            self.ask_annotator()

    def _team_project(self) -> bool:
        """Someone other than this desk's default name has annotated or been assigned here: the
        name matters, so it is asked for. A project one person works on is never interrupted."""
        with self.w.project.reading() as s:
            others = set(team.list_annotators(s)) - {UNKNOWN, self.w.project.annotator}
        return bool(others)

    def ask_annotator(self) -> None:
        """Ask who is annotating (not blocking: the window stays usable, the answer applies when given)."""
        p = self.w.project
        if p is None:
            return
        with p.reading() as s:
            names = team.list_annotators(s)
        self.dialog = AnnotatorDialog(names, p.annotator, p.name, self.w if isinstance(self.w, QWidget) else None)
        self.dialog.accepted.connect(lambda d=self.dialog: self.set_annotator(d.chosen, remember=True))
        self.dialog.finished.connect(self._asked)
        self.dialog.open()

    def _asked(self, _result: int) -> None:
        self.dialog = None

    def set_annotator(self, name: str, remember: bool = True) -> None:
        """Edit as ``name`` from now on: the open record is read again (it may be their own sheet
        now), and undo forgets edits made under the previous name (they were on another sheet)."""
        p = self.w.project
        if p is None or not name:
            return
        changed = name != p.annotator
        p.annotator = name
        if remember:
            settings.remember_annotator(p.folder, name)
            if not p.read_only:
                with p.transaction() as s:
                    team.ensure_annotator(s, name)  # listed for assignment from now on
        self.name_label.setText(tr("Annotator: {name}").format(name=name))
        self.w.setWindowTitle(f"{p.name} — {name} — MADPG Annotator")
        if changed:
            self.w.undo.clear()
            self.w.records.refresh()
            if self.w.ann is not None:
                self.w.show_record(self.w.ann.record_id)

    def _closing(self) -> None:
        if self.dialog is not None:
            self.dialog.reject()
            self.dialog = None
        self.banner.hide()
        self.name_label.setText("")

    # ---------------------------------------------------------------- the banner

    def _record_shown(self, record: object) -> None:
        ann = self.w.ann
        if record is None or ann is None:
            self.banner.hide()
            return
        if ann.sheet is not None:
            self.banner.setText(tr("Your sheet (blind double annotation) — {name}. Other annotators' sheets "
                                   "are hidden; a curator adjudicates them into the gold spans.").format(name=ann.sheet))
            self.banner.show()
            return
        with self.w.project.reading() as s:
            double = team.is_double(s, record.id)
            sheets = team.sheet_names(s, record.id) if double else []
        if double:
            self.banner.setText(tr("Double-annotated record: these are its gold spans. Sheets: {names}. "
                                   "Team ▸ Adjudicate this record… compares them.").format(names=", ".join(sheets) or "–"))
            self.banner.show()
        else:
            self.banner.hide()

    # ---------------------------------------------------------------- dialogs

    def _parent(self) -> QWidget | None:
        return self.w if isinstance(self.w, QWidget) else None

    def assign_dialog(self) -> AssignDialog | None:
        p = self.w.project
        if p is None:
            return None
        with p.reading() as s:
            names = team.list_annotators(s)
        selected = self.w.records.selected_ids()
        dlg = AssignDialog(names, len(selected), p.annotator, self._parent())
        dlg.accepted.connect(lambda: self.apply_assignment(dlg, selected))
        dlg.open()
        return dlg

    def apply_assignment(self, dlg: AssignDialog, selected: list[int]) -> None:
        c = dlg.choice
        if c is None:
            return
        try:
            with self.w.project.transaction() as s:
                for n in c.names:
                    team.ensure_annotator(s, n)
                if c.sample:
                    ids = team.assign_double_sample(s, list(c.names), c.fraction, c.seed)
                else:
                    team.assign(s, selected, list(c.names))
                    ids = selected
        except MadpgError as e:
            QMessageBox.warning(self._parent(), tr("Assign records"), str(e))
            return
        self.w.records.refresh()
        if self.w.ann is not None:  # the open record may have become double-annotated
            self.w.show_record(self.w.ann.record_id)
        # after showing the record, which clears the status line
        self.w.message(trn("{n} record assigned to {names}", "{n} records assigned to {names}", len(ids),
                           names=", ".join(c.names)))

    def adjudicate_dialog(self) -> AdjudicationDialog | None:
        ann = self.w.ann
        if ann is None or ann.record is None:
            return None
        try:
            dlg = AdjudicationDialog.for_record(self.w, ann.record.id)
        except MadpgError as e:
            self.w.message(str(e))
            return None
        dlg.open()
        return dlg

    def agreement_dialog(self) -> AgreementDialog | None:
        p = self.w.project
        if p is None:
            return None
        with p.reading() as s:
            shared = team.double_annotated_sheets(s)  # (id, text, annotator → sheet), 4 queries
        try:
            if not shared:
                raise MadpgError(tr("no double-annotated record has two sheets yet (Team ▸ Assign records…, "
                                    "then each annotator opens their records)"))
            report = compute_agreement([(text, sheets) for _, text, sheets in shared])
        except (MadpgError, ValueError) as e:
            self.w.message(tr("No agreement to report yet: {why}").format(why=e))
            return None
        dlg = AgreementDialog(report, self.w.ann.schema if self.w.ann else None, self._parent())
        dlg.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dlg.open()
        return dlg

    def history_dialog(self, this_record: bool = True) -> HistoryDialog | None:
        p, ann = self.w.project, self.w.ann
        if p is None:
            return None
        rec = ann.record if ann is not None and this_record else None
        if this_record and rec is None:
            self.w.message(tr("No record is open"))
            return None
        dlg = HistoryDialog(p, rec.id if rec else None, (rec.name or "") if rec else "", self._parent())
        dlg.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dlg.open()
        return dlg
