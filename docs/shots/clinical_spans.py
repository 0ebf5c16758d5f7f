"""Screenshots of assertion statuses and nested spans at the desk: docs/negated-span.png and
docs/nested-spans.png.

A throw-away project with two records, shown in the real main window offscreen:

* negated-span.png — 否认高血压、糖尿病史 marked absent (struck through, tagged), 肺炎 possible, and
  the other statuses, as the context detector proposes them; the annotator has just confirmed
  高血压 as absent with Alt+2 (the status bar says so), and the entity table lists every status.
* nested-spans.png — 右下肺感染 (Disease) containing 右下肺 (Organ), and 左侧胸腔积液 containing
  胸腔: the inner spans drawn as underlines below the line, the entity table listing both, the inner
  one indented under the outer.

Re-run after a change to the window:

    QT_QPA_PLATFORM=offscreen .venv/bin/python docs/shots/clinical_spans.py [OUT_DIR]
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from shot import ROOT, close, open_window, run, save, wait  # noqa: E402

NEGATED = "患者男，67岁，咳嗽、咳痰3天，伴发热。否认高血压、糖尿病史。考虑肺炎可能。既往慢性胃炎病史。父亲有冠心病史。如出现胸痛需及时就诊。"
NEGATED_SPANS = [("咳嗽", "Symptom"), ("咳痰", "Symptom"), ("发热", "Symptom"), ("高血压", "Disease"),
                 ("糖尿病", "Disease"), ("肺炎", "Disease"), ("慢性胃炎", "Disease"), ("冠心病", "Disease"),
                 ("胸痛", "Symptom")]
NESTED = "胸部CT示右下肺感染，左侧胸腔积液。予头孢曲松抗感染治疗。"
NESTED_SPANS = [("右下肺感染", "Disease", 0), ("右下肺", "Organ", 1), ("左侧胸腔积液", "Disease", 0),
                ("胸腔", "Organ", 1), ("头孢曲松", "Treatment", 0)]


def make_project(folder: Path) -> Path:
    from dataclasses import replace

    from madpg_core.assertion import detect
    from madpg_core.domain import LabelSchema, Record, Span, SpanSource
    from madpg_core.storage import repo
    from madpg_core.storage.project import Project

    def at(text: str, word: str) -> int:
        return text.index(word)

    spans = [Span(at(NEGATED, w), at(NEGATED, w) + len(w), t) for w, t in NEGATED_SPANS]
    # as pre-labelling proposes them: model spans, the detector's status (高血压 stays a pre-label)
    statuses = detect(NEGATED, spans)
    spans = [replace(sp, assertion=st.value, source=SpanSource.MODEL, model_version="v1", confidence=0.93)
             for sp, st in zip(spans, statuses)]
    nested = [Span(at(NESTED, w), at(NESTED, w) + len(w), t, layer=layer) for w, t, layer in NESTED_SPANS]
    p = Project.create(folder, LabelSchema.default())
    with p.transaction() as s:
        repo.add_record(s, Record(NEGATED, tuple(spans), name="门诊病历 0412"))
        repo.add_record(s, Record(NESTED, tuple(nested), name="影像报告 0413"))
    p.close()
    return folder


def main(out_dir: Path) -> None:
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    app, w = open_window(make_project(Path(os.environ["MADPG_HOME"]) / "clinic"), size=(1280, 760),
                         text_font_size=17)
    w.docks["entities"].raise_()
    w.resizeDocks([w.docks["entities"]], [300], Qt.Orientation.Vertical)
    out_dir.mkdir(parents=True, exist_ok=True)

    ids = w.records.ids()
    w.show_record(ids[0])
    text = w.ann.record.text
    a = text.index("高血压")
    w.editor.span_clicked(w.ann.span_at(a))
    w.activateWindow()
    w.text.setFocus()
    QTest.keyClick(w.text, Qt.Key.Key_2, Qt.KeyboardModifier.AltModifier)  # Alt+2: absent, confirmed
    wait(app, lambda: False, 0.4)  # let the paints land
    save(w, out_dir / "negated-span.png")

    w.show_record(ids[1])
    text = w.ann.record.text
    w.editor.span_clicked(w.ann.span_at(text.index("右下肺")))  # the innermost: the Organ
    wait(app, lambda: False, 0.4)  # let the paints land
    save(w, out_dir / "nested-spans.png")
    close(w)


if __name__ == "__main__":
    run(main, ROOT / "docs")
