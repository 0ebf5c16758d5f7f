"""What the model looked at: the attention toggle of the image pane, wired to the pre-label process.

With the toggle on (View ▸ Model attention, Ctrl+Shift+A, or the image pane's "Model attention"
button), the open record's images get the active model's 7×7 attention as a heat map with its
relation-gate value r (``madpg_core.model.attention_probe``; asked of the pre-label process, so
the window never imports torch). Where the model has nothing to show — trained without images, no
image path — the pane says so in words instead of drawing; a record without images draws nothing
(the pane already says it has none). The map follows the shown image; a new record or a newly
active model asks again.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol, cast

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QToolButton

from madpg_core.errors import MadpgError
from madpg_core.model.attention_probe import (  # torch-free: the answer's shape
    AttentionMap,
    ImageAttention,
)
from madpg_gui.host import WindowHost
from madpg_gui.i18n import tr
from madpg_gui.model_loop import ModelLoop
from madpg_gui.widgets.attention_overlay import TOP_RATIO, AttentionOverlay
from madpg_gui.widgets.image_pane import ImagePane

SHORTCUT = "Ctrl+Shift+A"  # no bare letters: input methods take them (see EntityType.key)


def map_lines(found: AttentionMap, im: ImageAttention, n_images: int) -> list[str]:
    """The legend of a drawn map, short (it lies over the image): what it is first, then how much
    the text looked at the image and the range of the cells, r for several images, and the model."""
    if im.r is not None:
        lines = [tr("Model attention (r = {r}) — not a finding").format(r=f"{im.r:.2f}")]
    else:
        lines = [tr("Model attention — not a finding")]
    lo, hi = min(im.weights), max(im.weights)
    lines.append(tr("{share} of the text's attention on the image; cells {lo}–{hi} (even {even})").format(
        share=f"{im.visual_share:.0%}", lo=f"{lo:.1%}", hi=f"{hi:.1%}", even=f"{1 / len(im.weights):.1%}"))
    if im.r is not None and n_images > 1:
        lines.append(tr("r for this image alone; all {n} images together: r = {c}").format(
            n=n_images, c=f"{found.combined_r:.2f}" if found.combined_r is not None else "–"))
    if found.note:
        lines.append(found.note)
    model = tr("Model {version}").format(version=found.model_version) if found.model_version else ""
    if im.r is not None:
        model += ("; " if model else "") + tr("r: the image's relevance to the text, as its gate judged (0–1)")
    if model:
        lines.append(model)
    return lines


class AttentionHost(WindowHost, Protocol):
    """The window as this view uses it: the host surface plus the image pane and the model loop."""

    images: ImagePane
    model_loop: ModelLoop


class AttentionView(QObject):
    """The toggle, the overlay on the image pane, and the requests to the pre-label process."""

    def __init__(self, window: AttentionHost) -> None:
        super().__init__(cast(QObject, window))
        self.w = window
        self.pane = window.images
        self.service = window.model_loop.service
        self.action = QAction(tr("Model attention"), self, checkable=True)
        self.action.setShortcut(QKeySequence(SHORTCUT))
        self.action.setToolTip(tr("Show where the active model's attention went in this image ({key}): the "
                                  "model's attention, not a finding").format(key=SHORTCUT))
        self.action.toggled.connect(self._toggled)
        window.menus["view"].addAction(self.action)
        self.button = QToolButton()
        self.button.setDefaultAction(self.action)
        self.button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.pane.set_attention_toggle(self.button)
        self.overlay: AttentionOverlay | None = None
        self.found: AttentionMap | None = None  # the answer for ``record_id``
        self.record_id: int | None = None
        self._job: int | None = None
        self._shown: tuple[int, int] | None = None  # (image index, pixmap key) the overlay was drawn for
        self.service.attention.connect(self._answer)
        self.service.loaded.connect(self._model_loaded)
        self.service.died.connect(self._died)
        window.projectOpened.connect(self._project_opened)
        window.projectClosing.connect(self._forget)
        # Another image, or the image's pixmap replaced (loaded, re-windowed): the pane draws it on
        # its view's scene, whose ``changed`` follows every such change; the check below is cheap.
        self.pane.view.scene().changed.connect(lambda _rects: self._follow_image())

    @property
    def on(self) -> bool:
        return self.action.isChecked()

    # ---------------------------------------------------------------- events

    def _project_opened(self) -> None:
        self._forget()
        if self.w.ann is not None:
            self.w.ann.recordLoaded.connect(self._record_loaded)
            self._record_loaded(self.w.ann.record)

    def _forget(self) -> None:
        self.found, self.record_id, self._job, self._shown = None, None, None, None
        if self.overlay is not None:
            self.overlay.hide_all()

    def _record_loaded(self, record: object) -> None:
        rid = getattr(record, "id", None)
        if rid == self.record_id:
            return  # the same record again (after an edit): same text, same images, same answer
        self.found, self.record_id, self._job = None, rid, None
        if self.on:
            self.ask()
        self.render()

    def _toggled(self, on: bool) -> None:
        if on and self.found is None and self._job is None:
            self.ask()
        self.render()

    def _model_loaded(self, ev: dict) -> None:
        """Another version became active and the child loaded it: the answer shown is stale."""
        if self.found is not None and self.found.model_version != f"v{ev.get('version')}":
            self.found = None
            if self.on:
                self.ask()
            self.render()

    def _died(self, message: str) -> None:
        if self._job is not None:
            self._job = None
            self._error(message)

    # ---------------------------------------------------------------- asking

    def ask(self) -> None:
        """Ask the pre-label process about the open record (the answer arrives in ``_answer``)."""
        ann = self.w.ann
        if ann is None or ann.record is None or not ann.record.images:
            return  # nothing to look at: the pane already says "No image for this record"
        self.record_id = ann.record.id
        self.w.model_loop.preload()  # starts the child when needed; loads the active model once
        self._job = self.service.request_attention(self.record_id)

    def _answer(self, ev: dict) -> None:
        if ev.get("job") != self._job or self._job is None:
            return  # an answer for a record no longer open
        self._job = None
        if ev.get("event") != "done":
            self._error(str(ev.get("message") or tr("cancelled")))
            return
        try:
            self.found = AttentionMap.from_dict(ev)  # model_version: the project's "vN"
        except MadpgError as e:
            self._error(str(e))
            return
        self._shown = None
        self.render()

    def _error(self, message: str) -> None:
        self.found = AttentionMap(reason=tr("The model could not be asked: {m}").format(m=message))
        self.render()

    # ---------------------------------------------------------------- drawing

    def _overlay(self) -> AttentionOverlay:
        if self.overlay is None:
            self.overlay = AttentionOverlay(self.pane.view.item, self.pane.view)
        return self.overlay

    def _follow_image(self) -> None:
        if self.on and self.overlay is not None and self._key() != self._shown:
            self.render()

    def _key(self) -> tuple[int, int]:
        return self.pane.index, self.pane.view.item.pixmap().cacheKey()

    def render(self) -> None:
        """Draw what is known for the shown image: the map, a reason, or "asking"."""
        if not self.on or not self.pane.paths:  # off, or no image: the pane says "No image for this record"
            if self.overlay is not None:
                self.overlay.hide_all()
            return
        overlay = self._overlay()
        self._shown = self._key()
        found = self.found
        if found is None:
            overlay.show_message([tr("Model attention"), tr("Asking the model…")])
            return
        if not found.available:
            overlay.show_message([tr("Model attention: nothing to show"), found.reason])
            return
        im = found.image(self.pane.index)
        if im is None or not im.available:
            why = im.reason if im is not None else tr("no answer for this image")
            overlay.show_message([tr("Model attention: nothing to show"), self._own_names(why)])
            return
        overlay.show_map(im.weights, map_lines(found, im, len(found.images)), "0",
                         tr("≥ {n}× even").format(n=f"{TOP_RATIO:g}"))

    def _own_names(self, text: str) -> str:
        """The core names an image by its stored file (its content hash); the user knows its name."""
        for path, name in zip(self.pane.paths, self.pane.names):
            text = text.replace(path, name).replace(Path(path).name, name)
        return text

    def legend_text(self) -> str:
        """What the legend says now ("" when the overlay is off): for tests and screen readers."""
        if self.overlay is None or self.overlay.legend.isHidden():
            return ""
        return self.overlay.legend.text()


__all__ = ["AttentionView", "map_lines"]
