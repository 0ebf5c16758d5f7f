"""Regions on the images at the desk (issue 18 item 1): drawing, moving and deleting boxes and
outlines, linking them to spans, and marking a span "not visible in the images". Every change is an
undo command on the window's stack, committed at once like a span edit (commands.py).

The core (madpg_core/storage/regions.py) stores; the layer (widgets/region_layer.py) draws and
reports intents; the text marks (widgets/linked_spans.py) frame the spans of the selected region.
This class ties them: a span made current highlights its regions (showing the image they are on),
a region selected frames its spans.

Composed into the main window and knowing it only as ``RegionHost``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from PySide6.QtCore import QObject, QTimer
from PySide6.QtGui import QAction, QKeySequence, QUndoStack
from PySide6.QtWidgets import QMenu, QMenuBar, QToolBar, QWidget

from madpg_core.domain import Span
from madpg_core.errors import MadpgError
from madpg_core.regions import Region, RegionLink
from madpg_core.storage import regions as store
from madpg_gui.annotation import Annotation
from madpg_gui.commands import ErrorSink, RecordCommand
from madpg_gui.i18n import tr
from madpg_gui.widgets.image_pane import ImagePane
from madpg_gui.widgets.linked_spans import LinkedSpanMarks
from madpg_gui.widgets.region_layer import NEUTRAL, RegionLayer, RegionShape
from madpg_gui.widgets.text_view import SpanTextView

SpanKey = tuple[int, int, int]


class RegionHost(Protocol):
    ann: Annotation | None
    text: SpanTextView
    images: ImagePane
    undo: QUndoStack

    def message(self, text: str) -> None: ...

    def menuBar(self) -> QMenuBar: ...


def span_key(span: Span) -> SpanKey:
    return (span.start, span.end, span.layer)


# ---------------------------------------------------------------- undo commands


class RegionCommand(RecordCommand):
    """Base: a region is named by the id it had when the command was made; ``ids`` maps an id to the
    one a later undo gave the same region back under (the core keeps the old id where it is free,
    so the map is usually empty)."""

    def __init__(self, ann: Annotation, record_id: int, text: str, on_error: ErrorSink, ids: dict[int, int],
                 shown: Callable[[], None] | None = None) -> None:
        super().__init__(ann, record_id, text, on_error)
        self.ids, self.shown = ids, shown

    def _run(self, fn: Callable) -> bool:
        # Not ``Annotation.edit``: a region edit changes no span, and re-reading the record would
        # redraw the text, the entity table and the BIO tags on every release of the mouse
        # (benchmarks/region_draw.py). Only the regions are read again (``shown``); an undo of an
        # edit on a record no longer shown opens that record, as a span edit's undo does.
        try:
            with self.ann.project.transaction() as s:
                fn(s)
        except Exception as e:  # noqa: BLE001 - a refused edit or a storage error: a message
            self.on_error(str(e) if isinstance(e, MadpgError) else f"{type(e).__name__}: {e}")
            if not self._done_once:
                self.setObsolete(True)
            return False
        self._done_once = True
        if self.ann.record_id != self.record_id:
            self.ann.load(self.record_id)
        elif self.shown is not None:
            self.shown()
        return True  # (no dataChanged: the record list shows nothing of regions)

    def rid(self, region_id: int) -> int:
        seen = set()
        while region_id in self.ids and region_id not in seen:
            seen.add(region_id)
            region_id = self.ids[region_id]
        return region_id

    def _restore(self, s, region: Region, links: list[RegionLink]) -> int:
        new = store.restore_region(s, region, links)
        if region.id is not None and new != region.id:
            self.ids[region.id] = new
        return new


class AddRegion(RegionCommand):
    def __init__(self, ann: Annotation, region: Region, on_error: ErrorSink, ids: dict[int, int],
                 shown: Callable[[], None] | None = None) -> None:
        super().__init__(ann, region.record_id, tr("Draw region"), on_error, ids, shown)
        self.region = region
        self.region_id: int | None = None
        self.removed: tuple[Region, list[RegionLink]] | None = None

    def _do(self, s) -> None:
        if self.removed is None:
            self.region_id = store.add_region(s, self.region)
        else:  # redo after an undo: the same region, under its id, with the links made since
            self.region_id = self._restore(s, *self.removed)

    def _undo(self, s) -> None:
        self.removed = store.delete_region(s, self.rid(self.region_id))


class DeleteRegion(RegionCommand):
    def __init__(self, ann: Annotation, record_id: int, region_id: int, on_error: ErrorSink,
                 ids: dict[int, int], shown: Callable[[], None] | None = None) -> None:
        super().__init__(ann, record_id, tr("Delete region"), on_error, ids, shown)
        self.region_id = region_id
        self.removed: tuple[Region, list[RegionLink]] | None = None

    def _do(self, s) -> None:
        self.removed = store.delete_region(s, self.rid(self.region_id))

    def _undo(self, s) -> None:
        self._restore(s, *self.removed)


class MoveRegion(RegionCommand):
    def __init__(self, ann: Annotation, record_id: int, region_id: int, old: tuple, new: tuple,
                 on_error: ErrorSink, ids: dict[int, int], shown: Callable[[], None] | None = None) -> None:
        super().__init__(ann, record_id, tr("Move region"), on_error, ids, shown)
        self.region_id, self.old, self.new = region_id, old, new

    def _do(self, s) -> None:
        store.move_region(s, self.rid(self.region_id), self.new)

    def _undo(self, s) -> None:
        store.move_region(s, self.rid(self.region_id), self.old)


class LinkRegion(RegionCommand):
    def __init__(self, ann: Annotation, record_id: int, region_id: int, key: SpanKey, on_error: ErrorSink,
                 ids: dict[int, int], unlink: bool = False, shown: Callable[[], None] | None = None) -> None:
        super().__init__(ann, record_id, tr("Unlink region from entity") if unlink else tr("Link region to entity"),
                         on_error, ids, shown)
        self.region_id, self.key, self.unlink = region_id, key, unlink

    def _do(self, s) -> None:
        (store.unlink if self.unlink else store.link)(s, self.rid(self.region_id), *self.key)

    def _undo(self, s) -> None:
        (store.link if self.unlink else store.unlink)(s, self.rid(self.region_id), *self.key)


class SetNotVisible(RegionCommand):
    def __init__(self, ann: Annotation, record_id: int, key: SpanKey, value: bool, on_error: ErrorSink,
                 shown: Callable[[], None] | None = None) -> None:
        super().__init__(ann, record_id, tr("Mark entity not visible in the images") if value
                         else tr("Clear \"not visible in the images\""), on_error, {}, shown)
        self.key, self.value = key, value

    def _do(self, s) -> None:
        store.set_not_visible(s, self.record_id, *self.key, value=self.value)

    def _undo(self, s) -> None:
        store.set_not_visible(s, self.record_id, *self.key, value=not self.value)


# ---------------------------------------------------------------- the desk


class RegionEditor(QObject):
    def __init__(self, window: RegionHost) -> None:
        super().__init__(window if isinstance(window, QObject) else None)
        self.w = window
        self.layer = RegionLayer(window.images.view, self)
        self.marks = LinkedSpanMarks(window.text)
        self.ids: dict[int, int] = {}  # shared by this window's region commands
        self.regions: list[Region] = []  # the shown record's
        self.links: list[RegionLink] = []
        self.hidden: set[SpanKey] = set()
        self.selected: int | None = None  # the selected region's id
        self._shown: tuple[int, int] = (-1, 0)  # (image index, frame) the layer draws
        self._build_actions()
        self.layer.regionDrawn.connect(self.add)
        self.layer.regionMoved.connect(self.move)
        self.layer.deleteRequested.connect(self.delete)
        self.layer.selectionChanged.connect(self._region_selected)
        self.layer.drawModeChanged.connect(self._draw_mode_changed)
        window.images.imageShown.connect(self._image_shown)
        # the current span changes by a click, a key, the review loop or the entity table: each
        # moves the text cursor, or repaints the spans; the check runs once events settle
        self._span_timer = QTimer(self, singleShot=True, interval=0)
        self._span_timer.timeout.connect(self._span_changed)
        window.text.cursorMoved.connect(lambda _o: self._span_timer.start())
        window.text.spanClicked.connect(lambda _s: self._span_timer.start())
        window.text.spansShown.connect(lambda _r: self._span_timer.start())
        self._span: SpanKey | None = None

    # ---------------------------------------------------------------- actions

    def _build_actions(self) -> None:
        def action(text: str, slot: Callable, keys: str | None = None, tip: str = "") -> QAction:
            a = QAction(text, self)
            if keys:
                a.setShortcut(QKeySequence(keys))
            a.setStatusTip(tip)
            a.setToolTip(f"{text} ({keys})" if keys else text)
            a.triggered.connect(slot)
            return a

        self.draw_box = action(tr("Draw box"), lambda: self.start_drawing("box"), "B",
                               tr("Drag on the image to draw a box; Esc cancels"))
        self.draw_outline = action(tr("Draw outline"), lambda: self.start_drawing("polygon"), "P",
                                   tr("Click point by point (double-click or Enter closes), or drag freehand; "
                                      "Esc cancels"))
        for a in (self.draw_box, self.draw_outline):
            a.setCheckable(True)
        self.link_action = action(tr("Link region to entity"), self.link, "L",
                                  tr("Link the selected region to the current entity in the text"))
        self.unlink_action = action(tr("Unlink region from entity"), self.unlink, "Shift+L")
        self.delete_action = action(tr("Delete region"), lambda: self.delete(self.selected))
        self.hidden_action = action(tr("Not visible in the images"), self.toggle_not_visible, None,
                                    tr("The current entity cannot be seen in the images (negated or not imageable)"))
        self.hidden_action.setCheckable(True)
        self.actions = [self.draw_box, self.draw_outline, self.link_action, self.unlink_action, self.delete_action,
                        self.hidden_action]
        for a in self.actions:
            a.setEnabled(False)
        for a, short in ((self.draw_box, tr("Box")), (self.draw_outline, tr("Outline")), (self.link_action, tr("Link")),
                         (self.unlink_action, tr("Unlink")), (self.hidden_action, tr("Not visible"))):
            a.setIconText(short)  # the tool bar's narrow buttons; the menu says it in full
        self.tool_bar = QToolBar()
        self.tool_bar.addActions([self.draw_box, self.draw_outline])
        self.tool_bar.addSeparator()
        self.tool_bar.addActions([self.link_action, self.unlink_action, self.hidden_action])

    def add_to(self, menu_bar: QMenuBar, before: QMenu | None, pane_host: QWidget) -> QMenu:
        """The "Regions" menu (before ``before``), and the tool bar above the image."""
        menu = QMenu(tr("Re&gions"), menu_bar)
        menu.addActions([self.draw_box, self.draw_outline])
        menu.addSeparator()
        menu.addActions([self.link_action, self.unlink_action, self.hidden_action, self.delete_action])
        menu.addSeparator()
        menu.addAction(tr("Export grounding file…"), self.export_grounding)
        if before is not None:
            menu_bar.insertMenu(before.menuAction(), menu)
        else:
            menu_bar.addMenu(menu)
        for a in self.actions:  # window-wide keys, also while the text has the focus (L after a span)
            pane_host.addAction(a)
        self.w.images.layout().insertWidget(0, self.tool_bar)
        return menu

    def export_grounding(self) -> None:
        """File ▸ Export with the grounding file chosen: region links for a grounding model."""
        from madpg_gui.dialogs.transfer import GROUNDING, ExportDialog

        if self.w.project is not None:
            ExportDialog(self.w.project, self.w, fmt=GROUNDING).exec()

    def fill_span_menu(self, menu: QMenu, span: Span) -> None:
        """The region entries of a span's context menu (the text pane's, built in editing.py): link
        to or unlink from the selected region, and "not visible in the images"."""
        rec = self.w.ann.record if self.w.ann else None
        if rec is None or not rec.images:
            return
        key = span_key(span)
        menu.addSeparator()
        if self.selected is not None:
            linked = RegionLink(self.selected, *key) in self.links
            menu.addAction(self.unlink_action if linked else self.link_action)
        a = menu.addAction(tr("Not visible in the images"), self.toggle_not_visible)
        a.setCheckable(True)
        a.setChecked(key in self.hidden)

    def _update_actions(self) -> None:
        rec = self.w.ann.record if self.w.ann else None
        on_image = rec is not None and self.w.images.showing_image and self._shown[0] >= 0
        self.draw_box.setEnabled(on_image)
        self.draw_outline.setEnabled(on_image)
        # Enabled by what is sure now; link() and the others check the current span themselves (it
        # is read once events settle, and a key pressed at once must not find its action disabled).
        span = self._span
        self.link_action.setEnabled(self.selected is not None)
        self.unlink_action.setEnabled(any(ln.region_id == self.selected for ln in self.links))
        self.delete_action.setEnabled(self.selected is not None)
        self.hidden_action.setEnabled(bool(rec and rec.images))
        self.hidden_action.setChecked(span is not None and span in self.hidden)

    # ---------------------------------------------------------------- reading

    def reload(self) -> None:
        """Read the shown record's regions, links and marks again (after any edit), and draw them."""
        ann = self.w.ann
        if ann is None or ann.record is None:
            self.regions, self.links, self.hidden = [], [], set()
        else:
            with ann.project.reading() as s:
                self.regions = store.list_regions(s, ann.record.id)
                self.links = store.links(s, ann.record.id)
                self.hidden = store.not_visible(s, ann.record.id)
        if self.selected is not None and self.selected not in {r.id for r in self.regions}:
            self.selected = None
        self.redraw()

    def record_loaded(self, _record: object = None) -> None:
        self.layer.cancel_drawing()
        self.selected, self._span, self._shown = None, None, (-1, 0)
        self.reload()

    def redraw(self) -> None:
        ann = self.w.ann
        text = ann.record.text if ann and ann.record else ""
        index, frame = self._shown
        spans_of: dict[int, list[SpanKey]] = {}
        for ln in self.links:
            spans_of.setdefault(ln.region_id, []).append(ln.span)
        shapes = []
        for r in self.regions:
            if (r.image_index, r.frame) != (index, frame):
                continue
            keys = spans_of.get(r.id, [])
            color = NEUTRAL
            if keys and ann is not None:
                sp = next((sp for sp in ann.record.spans if span_key(sp) == keys[0]), None)
                color = _type_color(ann, sp.label) if sp else NEUTRAL
            shapes.append(RegionShape(r.id, r.kind, r.points, color, " · ".join(text[a:b] for a, b, _ in keys)))
        self.layer.set_regions(shapes, self.selected, self._regions_of_span())
        self._mark_text()
        self._update_actions()

    def _regions_of_span(self) -> list[int]:
        return [ln.region_id for ln in self.links if ln.span == self._span]

    def _mark_text(self) -> None:
        linked = [ln.span for ln in self.links if ln.region_id == self.selected] if self.selected is not None else []
        self.marks.set_marks(linked, self.hidden)

    # ---------------------------------------------------------------- selection, both ways

    def _image_shown(self, index: int, frame: int) -> None:
        if (index, frame) != self._shown:
            self._shown = (index, frame)
            self.redraw()
        else:
            self._update_actions()

    def _span_changed(self) -> None:
        cur = self.w.text.current_span
        key = span_key(cur) if cur is not None else None
        if key == self._span:
            return
        self._span = key
        ids = self._regions_of_span()
        self.layer.set_highlighted(ids)
        here = [r for r in self.regions if r.id in ids]
        if here and not any((r.image_index, r.frame) == self._shown for r in here):
            # its regions are on another image (or frame): show the first of them
            target = here[0]
            self.w.images.show_index(target.image_index)
            if target.frame != self.w.images.frame:
                self.w.images.show_frame(target.frame)
        self._update_actions()

    def _region_selected(self, region_id: int | None) -> None:
        self.selected = region_id
        self._mark_text()
        self._update_actions()
        if region_id is not None:
            keys = [ln.span for ln in self.links if ln.region_id == region_id]
            text = self.w.ann.record.text if self.w.ann and self.w.ann.record else ""
            if keys:
                self.w.message(tr("Region linked to {spans}").format(
                    spans=", ".join(f"«{text[a:b]}»" for a, b, _ in keys)))
            else:
                self.w.message(tr("Region not linked yet: select an entity in the text and press {key}")
                               .format(key=self.link_action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)))

    def select_region(self, region_id: int | None) -> None:
        self.layer.select(region_id)
        self._region_selected(region_id if region_id in self.layer.items else None)

    # ---------------------------------------------------------------- intents → commands

    def start_drawing(self, kind: str) -> None:
        if not self.draw_box.isEnabled():
            self.w.message(tr("Open a record with an image to draw on"))
            return
        if self.layer.mode == kind:
            self.layer.cancel_drawing()  # the button again: stop drawing
            return
        self.layer.start_drawing(kind)
        self.w.images.view.setFocus()  # Esc and Enter reach the layer
        self.w.message(self.draw_box.statusTip() if kind == "box" else self.draw_outline.statusTip())

    def _draw_mode_changed(self, mode: str) -> None:
        self.draw_box.setChecked(mode == "box")
        self.draw_outline.setChecked(mode == "polygon")

    def add(self, kind: str, points: tuple) -> None:
        self.layer.cancel_drawing()
        ann, (index, frame) = self.w.ann, self._shown
        if ann is None or ann.record is None or index < 0:
            return
        try:
            region = Region(None, ann.record.id, index, frame, kind, points)
        except MadpgError as e:
            self.w.message(str(e))
            return
        cmd = AddRegion(ann, region, self.w.message, self.ids, self.reload)
        self.w.undo.push(cmd)
        if cmd.done:
            self.select_region(cmd.region_id)

    def move(self, region_id: int, points: tuple) -> None:
        old = next((r.points for r in self.regions if r.id == region_id), None)
        if old is None or self.w.ann is None:
            return
        self.w.undo.push(MoveRegion(self.w.ann, self.w.ann.record_id, region_id, old, points, self.w.message,
                                    self.ids, self.reload))
        self.redraw()  # a refused move puts the region back where it was

    def delete(self, region_id: int | None) -> None:
        if region_id is None or self.w.ann is None:
            return
        self.w.undo.push(DeleteRegion(self.w.ann, self.w.ann.record_id, region_id, self.w.message, self.ids,
                                      self.reload))

    def _span_and_region(self) -> tuple[SpanKey, int] | None:
        self._span_changed()  # the current span now, not when the timer last ran
        if self.selected is None or self._span is None:
            self.w.message(tr("Select a region on the image and an entity in the text, then link them"))
            return None
        return self._span, self.selected

    def link(self) -> None:
        both = self._span_and_region()
        if both is not None:
            self.w.undo.push(LinkRegion(self.w.ann, self.w.ann.record_id, both[1], both[0], self.w.message, self.ids,
                                        shown=self.reload))

    def unlink(self) -> None:
        both = self._span_and_region()
        if both is not None and RegionLink(both[1], *both[0]) not in self.links:
            self.w.message(tr("This region is not linked to the current entity"))
        elif both is not None:
            self.w.undo.push(LinkRegion(self.w.ann, self.w.ann.record_id, both[1], both[0], self.w.message, self.ids,
                                        unlink=True, shown=self.reload))

    def toggle_not_visible(self) -> None:
        self._span_changed()
        if self._span is None or self.w.ann is None:
            self.w.message(tr("Select an entity in the text first"))
            return
        self.w.undo.push(SetNotVisible(self.w.ann, self.w.ann.record_id, self._span, self._span not in self.hidden,
                                       self.w.message, self.reload))
        self._update_actions()  # a refused mark (the span is linked) unticks the button Qt ticked


def _type_color(ann: Annotation, label: str) -> str:
    try:
        return ann.schema.get(label).color
    except Exception:  # noqa: BLE001 - a type gone from the schema: the neutral colour, never a crash
        return NEUTRAL
