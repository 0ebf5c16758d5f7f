"""A per-type text style (issue 20 item 6): a second cue besides colour, chosen in the schema
editor, stored in the project, drawn by the text view."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QTextCharFormat

from madpg_core.domain import TEXT_STYLES, EntityType, LabelSchema
from madpg_core.errors import MadpgError
from madpg_core.storage import repo
from madpg_core.storage.project import Project
from madpg_gui.dialogs.schema_editor import COL_STYLE, SchemaEditor
from madpg_gui.main_window import MainWindow


def test_an_unknown_style_is_refused() -> None:
    with pytest.raises(MadpgError, match="text style"):
        EntityType("Disease", "#D55E00", style="blink")


def test_the_style_is_stored_and_an_old_project_reads_fill(tmp_path: Path) -> None:
    schema = LabelSchema.default()
    styled = LabelSchema(tuple(replace(t, style=TEXT_STYLES[i % len(TEXT_STYLES)]) for i, t in enumerate(schema.types)))
    with Project.create(tmp_path / "p", styled) as p:
        assert [t.style for t in p.schema().types] == [t.style for t in styled.types]
        with p.transaction() as s:  # as a project from before revision 0005 has it
            s.execute(repo.EntityTypeRow.__table__.update().values(style=None))
        assert {t.style for t in p.schema().types} == {"fill"}


def _format(w: MainWindow, label: str) -> QTextCharFormat:
    return w.text._format(label, False, False)


def test_the_editor_sets_a_style_and_the_text_draws_it(qtbot, window: MainWindow, project_dir: Path) -> None:  # noqa: ANN001
    w = window
    fill = _format(w, "Symptom")
    assert fill.background().style() != Qt.BrushStyle.NoBrush and fill.fontWeight() != QFont.Weight.Bold
    dlg = SchemaEditor(w.ann.schema, {"Symptom": 1})
    qtbot.addWidget(dlg)
    row = w.ann.schema.names.index("Symptom")
    box = dlg.table.cellWidget(row, COL_STYLE)
    box.setCurrentIndex(box.findData("bold"))
    dlg.accept()
    assert dlg.result_schema.get("Symptom").style == "bold"
    w.ann.set_schema(lambda s: repo.set_schema(s, dlg.result_schema))
    bold = _format(w, "Symptom")
    assert bold.foreground().color().name() != "#000000"
    assert bold.background().style() == Qt.BrushStyle.NoBrush  # no fill: the style, not the colour, marks it
    span = next(sp for sp in w.ann.record.spans if sp.label == "Symptom")
    # the weight is the document's own format (an ExtraSelection's weight is never drawn)
    assert all(w.text.char_format(i).fontWeight() == QFont.Weight.Bold for i in range(span.start, span.end))
    assert w.text.char_format(span.end).fontWeight() != QFont.Weight.Bold
    with Project.open(project_dir, read_only=True) as p:
        assert p.schema().get("Symptom").style == "bold"


def test_frames_are_painted_around_framed_spans(qtbot, window: MainWindow) -> None:  # noqa: ANN001
    w = window
    schema = LabelSchema(tuple(replace(t, style="frame") if t.name == "Symptom" else t for t in w.ann.schema.types))
    w.ann.set_schema(lambda s: repo.set_schema(s, schema))
    w.text._current = None
    w.text.viewport().repaint()
    span = next(sp for sp in w.ann.record.spans if sp.label == "Symptom")
    rect = w.text._line_rects(span)[0]
    image = w.text.viewport().grab().toImage()
    edge = image.pixelColor(rect.left(), rect.center().y())
    inside = image.pixelColor(rect.center())
    assert edge != inside  # the frame's line, not the faint tint inside
