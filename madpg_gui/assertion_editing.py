"""Assertion status at the desk: Alt+1..Alt+9 give the current span the n-th status the project
offers (in the order the project lists them: Alt+1 is "present"), the context menu and the Edit menu
have an "Assertion status" submenu with the offered ones, and Edit ▸ Assertion statuses… chooses
which the project offers. Each status change is one undo command (commands.SetAssertion), saved at
once.

Composed into the span editor (editing.py); knows the window only as ``EditingHost``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QMenu, QMessageBox, QWidget

from madpg_core.domain import Span
from madpg_core.errors import MadpgError
from madpg_gui import commands
from madpg_gui.dialogs.statuses import StatusesDialog
from madpg_gui.i18n import tr, type_name
from madpg_gui.span_marks import status_help, status_label, status_name

if TYPE_CHECKING:
    from madpg_gui.editing import EditingHost, SpanEditor


def status_keys(n: int) -> str:
    """The key that gives the n-th offered status (1-based), as menus write it."""
    return QKeySequence(f"Alt+{n}").toString(QKeySequence.SequenceFormat.NativeText) if n <= 9 else ""


class AssertionEditor(QObject):
    def __init__(self, editor: SpanEditor) -> None:
        super().__init__(editor)
        self.editor = editor
        self.w: EditingHost = editor.w
        self.w.text.assertionKeyPressed.connect(self.status_key)

    def target(self) -> Span | None:
        """The span a status key acts on: the current one, else the one exactly selected, else the
        innermost one under the cursor."""
        ann, text = self.w.ann, self.w.text
        if ann is None or ann.record is None:
            return None
        if text.current_span is not None:
            return text.current_span
        sel = text.selection_range()
        if sel is not None:
            return ann.span_exactly(*sel)
        return ann.span_at(text.cursor_offset())

    def status_key(self, n: int) -> None:
        """Alt+n: the n-th status the project offers."""
        ann = self.w.ann
        if ann is None or ann.record is None:
            return
        if not 1 <= n <= len(ann.statuses):
            self.w.message(tr("The project offers {n} assertion statuses; Alt+{k} gives none of them").format(
                n=len(ann.statuses), k=n))
            return
        self.set_status(ann.statuses[n - 1])

    def set_status(self, status: str, span: Span | None = None) -> None:
        ann = self.w.ann
        span = span or self.target()
        if ann is None or ann.record is None:
            return
        if span is None:
            self.w.message(tr("Click an entity first, then give its assertion status (Alt+1…)"))
            return
        if span.assertion == status and span.source.value == "annotator":
            self.editor.select(span)
            return
        cmd = commands.SetAssertion(ann, ann.record_id, span, status, self.w.message)
        self.w.undo.push(cmd)
        if cmd.done:
            self.editor.select(ann.span_exactly(span.start, span.end, span.layer))
            self.w.message(tr("{type} «{text}»: {status}").format(
                type=type_name(span.label, ann.schema), text=span.text_in(ann.record.text),
                status=status_label(status)))

    # ---------------------------------------------------------------- menus

    def fill_menu(self, menu: QMenu, span: Span | None) -> None:
        """The offered statuses, the span's checked, each with its key and mark; the legend as tips."""
        menu.clear()
        menu.setToolTipsVisible(True)
        ann = self.w.ann
        if ann is None or span is None:
            menu.addAction(tr("Click an entity first")).setEnabled(False)
            return
        group = QActionGroup(menu)
        for i, status in enumerate(ann.statuses, 1):
            keys = status_keys(i)
            a = QAction(status_label(status) + (f"\t{keys}" if keys else ""), menu)
            a.setCheckable(True)
            a.setChecked(status == span.assertion)
            a.setToolTip(status_help(status))
            a.triggered.connect(lambda _=False, st=status, sp=span: self.set_status(st, sp))
            group.addAction(a)
            menu.addAction(a)

    def add_menu_actions(self, menu: QMenu) -> list[QAction]:
        """For the window's Edit menu: the "Assertion status" submenu (for the current span; the keys
        are shown, not registered: the text pane takes Alt+digits itself, so that no dialog or list
        loses them) and "Assertion statuses…" to choose which the project offers."""
        sub = QMenu(tr("Assertion status"), menu)
        sub.aboutToShow.connect(lambda: self.fill_menu(sub, self.target()))
        sub.menuAction().setStatusTip(tr("Alt+1, Alt+2, … give the current entity a status"))
        menu.addMenu(sub)
        edit = QAction(tr("Assertion statuses…"), menu)
        edit.triggered.connect(self.edit_statuses)
        menu.addAction(edit)
        return [sub.menuAction(), edit]

    # ---------------------------------------------------------------- the project's statuses

    def edit_statuses(self) -> None:
        ann = self.w.ann
        if ann is None:
            return
        dlg = StatusesDialog(ann.statuses, self.w if isinstance(self.w, QWidget) else None)
        if dlg.exec():
            self.apply_statuses(dlg.chosen)

    def apply_statuses(self, chosen: list[str]) -> bool:
        """Offer ``chosen``; where spans still carry a status left out, the core refuses, and the
        user is asked whether to make those spans present. True when the project's list changed."""
        ann = self.w.ann
        try:
            ann.set_statuses(chosen)
        except MadpgError as e:
            removed = [s for s in ann.statuses if s not in chosen]
            if not removed:  # not a status in use: a rule the dialog does not know
                QMessageBox.warning(self._parent(), tr("Assertion statuses"), str(e))
                return False
            box = QMessageBox(QMessageBox.Icon.Warning, tr("Assertion statuses"),
                              tr("Entities still carry the statuses you left out ({statuses}). Make them "
                                 "present?").format(statuses=", ".join(status_name(s) for s in removed)),
                              QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel, self._parent())
            box.setDetailedText(str(e))  # the core's count per status
            box.setDefaultButton(QMessageBox.StandardButton.Cancel)
            if box.exec() != QMessageBox.StandardButton.Yes:
                return False
            ann.set_statuses(chosen, reset_spans_of_removed=True)
        self.w.undo.clear()  # earlier commands may give a status the project no longer offers
        self.w.message(tr("Assertion statuses offered: {statuses}").format(
            statuses=", ".join(status_name(s) for s in ann.statuses)))
        return True

    def _parent(self) -> QWidget | None:
        return self.w if isinstance(self.w, QWidget) else None
