"""Where the user was in a project: the record and the cursor in it, the list's search, filter and
order, the dock and splitter layout, and the image pane's zoom. Saved when the project closes (also
when the window closes, and when the language switch rebuilds the window) and restored when it
opens again, so a clinician resumes at the record they left, not at record 1 in the default order.

Kept in the window-state .ini (QSettings), one JSON entry per project folder; the project's own
files hold only annotations. A saved record that no longer exists, or a filter value this version
does not know, is skipped: restoring is best effort and never fails an open.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from typing import Protocol

from PySide6.QtCore import QByteArray
from PySide6.QtWidgets import QComboBox

from madpg_core.domain import RecordStatus
from madpg_gui import settings
from madpg_gui.annotation import Annotation
from madpg_gui.widgets.image_pane import ImagePane
from madpg_gui.widgets.record_list import RecordList
from madpg_gui.widgets.text_view import SpanTextView

GROUP = "places"


@dataclass
class Place:
    record_id: int | None = None
    offset: int = 0  # the text cursor in that record
    search: str = ""
    status: str | None = None  # a RecordStatus value, record_list.CHECK_FILTER, or None for all
    order: str = "id"
    layout: str = ""  # QMainWindow.saveState(), base64: docks and their splitter sizes
    image: dict = field(default_factory=dict)  # ImagePane.view_state(): image, zoom, centre


class PlaceHost(Protocol):
    """What of the main window a place reads and restores (no import of main_window.py)."""

    ann: Annotation | None
    records: RecordList
    text: SpanTextView
    images: ImagePane

    def saveState(self, version: int = 0) -> QByteArray: ...  # noqa: N802

    def restoreState(self, state: QByteArray, version: int = 0) -> bool: ...  # noqa: N802


def _key(folder: object) -> str:
    # QSettings keys treat "/" and "\" as separators: a digest of the resolved folder is one key
    return hashlib.sha1(settings.project_key(str(folder)).encode()).hexdigest()[:16]


def capture(w: PlaceHost) -> Place:
    status = w.records.status.currentData()
    rec = w.ann.record if w.ann else None
    return Place(
        record_id=rec.id if rec else None,
        offset=w.text.cursor_offset() if rec else 0,
        search=w.records.search.text(),
        status=status.value if isinstance(status, RecordStatus) else status,
        order=str(w.records.order.currentData() or "id"),
        layout=bytes(w.saveState(settings.LAYOUT_VERSION).toBase64().data()).decode("ascii"),
        image=w.images.view_state(),
    )


def save(folder: object, place: Place) -> None:
    qs = settings.qsettings()
    qs.setValue(f"{GROUP}/{_key(folder)}", json.dumps(asdict(place)))
    qs.sync()


def load(folder: object) -> Place | None:
    raw = settings.qsettings().value(f"{GROUP}/{_key(folder)}")
    if not isinstance(raw, str):
        return None
    try:
        data = json.loads(raw)
        known = {k: v for k, v in data.items() if k in Place.__dataclass_fields__}
        return Place(**known)
    except (ValueError, TypeError):
        return None  # an entry from another version or hand-edited: start fresh


def _choose(box: QComboBox, value: object) -> None:
    for i in range(box.count()):
        data = box.itemData(i)
        if (data.value if isinstance(data, RecordStatus) else data) == value:
            box.setCurrentIndex(i)
            return


def restore(w: PlaceHost, place: Place | None) -> int | None:
    """Apply ``place`` to the list, layout and image pane; returns the record to show (the saved one
    when it is still in the list, else the first listed, else None). The caller shows it, then
    calls :func:`restore_cursor`."""
    lst = w.records
    if place is not None:
        for box in (lst.search, lst.status, lst.order):
            box.blockSignals(True)  # one refresh below, not three
        lst.search.setText(place.search)
        _choose(lst.status, place.status)
        _choose(lst.order, place.order)
        for box in (lst.search, lst.status, lst.order):
            box.blockSignals(False)
        lst.refresh()
        if place.layout:
            w.restoreState(QByteArray.fromBase64(place.layout.encode("ascii")), settings.LAYOUT_VERSION)
        if place.image:
            w.images.restore_view_state(place.image)
    ids = lst.ids()
    if place is not None and place.record_id in ids:
        return place.record_id
    return ids[0] if ids else None


def restore_cursor(w: PlaceHost, place: Place | None) -> None:
    rec = w.ann.record if w.ann else None
    if place is not None and rec is not None and rec.id == place.record_id and 0 < place.offset <= len(rec.text):
        w.text.select_range(place.offset, place.offset)
