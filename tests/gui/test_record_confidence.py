"""The record list shows the confidence "Least confident first" sorts by (issue 20, item 7): the same
values, in sorted order, an empty cell for records no model has pre-labelled, and no query per row."""

from __future__ import annotations

import random
import time
from pathlib import Path

from PySide6.QtCore import Qt
from sqlalchemy import event

from madpg_core.domain import LabelSchema, Record, RecordStatus, Span, SpanSource
from madpg_core.storage import repo
from madpg_core.storage.project import Project
from madpg_gui import settings
from madpg_gui.main_window import MainWindow
from madpg_gui.widgets.record_list import CONFIDENCE_COLUMN, CONFIDENCE_ROLE

TEXT = "咳嗽、咳痰2周，伴低热。"
H = Qt.Orientation.Horizontal


def model(start: int, end: int, label: str, conf: float) -> Span:
    return Span(start, end, label, SpanSource.MODEL, "v0", conf)


def make_project(folder: Path) -> Path:
    p = Project.create(folder, LabelSchema.default())
    with p.transaction() as s:
        ids = [repo.add_record(s, Record(TEXT, (), name=f"r{i}")) for i in range(1, 7)]
        # r1: the record's least confident character (0.70) is below its entity's (0.90)
        repo.replace_model_spans(s, ids[0], [model(0, 2, "Symptom", 0.9)], confidence=0.7)
        # r2: the model marked nothing, and was unsure doing so
        repo.replace_model_spans(s, ids[1], [], confidence=0.3)
        # r3: only an annotator's span, never pre-labelled
        repo.add_span(s, ids[2], Span(0, 2, "Symptom"))
        # r4: pre-labelled before record confidences were stored: its least confident entity counts
        repo.replace_model_spans(s, ids[3], [model(0, 2, "Symptom", 0.8), model(3, 5, "Symptom", 0.5)])
        # r5: pre-labelled, then reviewed
        repo.replace_model_spans(s, ids[4], [], confidence=0.1)
        repo.set_status(s, ids[4], RecordStatus.REVIEWED)
        # r6: new, nothing at all
    p.close()
    return folder


def column(w: MainWindow, role: int = Qt.ItemDataRole.DisplayRole) -> list[object]:
    m = w.records.model
    return [m.data(m.index(row, CONFIDENCE_COLUMN), role) for row in range(m.rowCount())]


def names(w: MainWindow) -> list[str]:
    return [r.name for r in w.records.model.rows]


def open_window(qtbot, folder: Path) -> MainWindow:  # noqa: ANN001
    w = MainWindow(settings.Preferences(language="en"))
    qtbot.addWidget(w)
    w.show()
    assert w.open_project(folder)
    return w


def test_the_column_shows_what_the_list_sorts_by(qtbot, tmp_path: Path) -> None:  # noqa: ANN001
    w = open_window(qtbot, make_project(tmp_path / "p"))
    m = w.records.model
    assert m.headerData(CONFIDENCE_COLUMN, H) == "Confidence"
    tip = m.headerData(CONFIDENCE_COLUMN, H, Qt.ItemDataRole.ToolTipRole)
    assert "least confident character" in tip and "Least confident first" in tip and "Empty" in tip

    assert names(w) == ["r1", "r2", "r3", "r4", "r5", "r6"]
    assert column(w) == ["0.70", "0.30", "", "0.50", "0.10", ""]  # empty, not 0.00, where no model looked

    w.records.order.setCurrentIndex(w.records.order.findData("uncertainty"))
    # least confident first; records without a confidence after them; reviewed ones last
    assert names(w) == ["r2", "r4", "r1", "r3", "r6", "r5"]
    assert column(w) == ["0.30", "0.50", "0.70", "", "", "0.10"]
    values = column(w, CONFIDENCE_ROLE)
    assert values == [r.order_confidence for r in m.rows]
    shown = [v for v, r in zip(values, m.rows) if v is not None and r.status != RecordStatus.REVIEWED]
    assert shown == sorted(shown) and len(shown) == 3
    # every cell of a row knows its record: a click on the confidence opens that record
    assert m.data(m.index(0, CONFIDENCE_COLUMN), Qt.ItemDataRole.UserRole) == m.rows[0].id
    w.records.view.setCurrentIndex(m.index(1, CONFIDENCE_COLUMN))
    assert w.ann.record.name == "r4"
    w.close()


def test_the_bar_is_drawn_only_where_there_is_a_value(qtbot, tmp_path: Path) -> None:  # noqa: ANN001
    w = open_window(qtbot, make_project(tmp_path / "p"))
    view, m = w.records.view, w.records.model
    w.show_record(m.rows[5].id)  # r6: keep the selection highlight off the rows looked at
    image = view.viewport().grab().toImage()
    ratio = image.width() / view.viewport().width()  # device pixels per logical pixel

    def pixel(row: int, x: float) -> int:
        rect = view.visualRect(m.index(row, CONFIDENCE_COLUMN))
        return image.pixel(int((rect.left() + x * rect.width()) * ratio), int(rect.center().y() * ratio))

    assert pixel(1, 0.1) != pixel(1, 0.45)  # r2, 0.30: the bar covers a tenth of the cell, not the half
    assert pixel(2, 0.1) == pixel(2, 0.45)  # r3: no value, no bar
    assert pixel(0, 0.1) == pixel(0, 0.45)  # r1, 0.70: the bar covers both
    w.close()


def test_ten_thousand_records_without_a_query_per_row(qtbot, tmp_path: Path) -> None:  # noqa: ANN001
    folder = tmp_path / "big"
    rng = random.Random(7)
    records = [Record(TEXT, (model(0, 2, "Symptom", round(rng.random(), 3)),), name=f"r{i}",
                      status=RecordStatus.PRELABELLED) for i in range(10_000)]
    p = Project.create(folder, LabelSchema.default())
    with p.transaction() as s:
        repo.add_records(s, records, [()] * len(records))
    p.close()
    w = open_window(qtbot, folder)
    queries: list[str] = []
    event.listen(w.project.engine, "before_cursor_execute", lambda *a: queries.append(a[2]))
    t = time.perf_counter()
    w.records.order.setCurrentIndex(w.records.order.findData("uncertainty"))
    seconds = time.perf_counter() - t
    print(f"\nrefresh 10,000 records, least confident first: {seconds * 1000:.0f} ms, {len(queries)} queries")
    assert len(w.records.ids()) == 10_000 and len(queries) < 10
    values = column(w, CONFIDENCE_ROLE)
    assert values == sorted(values) and None not in values
    queries.clear()
    w.records.view.viewport().grab()  # painting the visible rows reads only the rows in memory
    w.records.view.scrollToBottom()
    w.records.view.viewport().grab()
    assert queries == []
    assert seconds < 3.0
    w.close()
