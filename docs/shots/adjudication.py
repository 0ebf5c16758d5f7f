"""Screenshot of adjudication: docs/adjudication.png.

The demo project's chest film record, double-annotated by alice and bob: alice's sheet holds the
demo's spans, bob's differs as two people do (one entity split differently, a longer boundary, a
type read otherwise, one missed, one more). The curator carol opens Team ▸ Adjudicate this record…
in the real window offscreen and decides the first disagreements with the keys (1 = alice's, 3 =
both); the next one is current. Re-run after a change to the dialog:

    QT_QPA_PLATFORM=offscreen .venv/bin/python docs/shots/adjudication.py [OUT.png]
"""

from __future__ import annotations

import os
import sys
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from shot import ROOT, close, open_window, run, wait  # noqa: E402

OUT = ROOT / "docs" / "adjudication.png"
RECORD = "胸片 · 心脏扩大"


def double_annotated_demo(folder: Path) -> Path:
    from madpg_core.domain import Span
    from madpg_core.storage import repo, team
    from madpg_gui.demo import create_demo_project

    project = create_demo_project(folder)
    with project.transaction() as s:
        rid = next(r.id for r in repo.list_records(s) if r.name == RECORD)
        rec = repo.get_record(s, rid)
        text = rec.text
        alice = [replace(sp, id=None, revision=None) for sp in rec.spans]

        def at(word: str, label: str) -> Span:
            i = text.index(word)
            return Span(i, i + len(word), label)

        drop = {"双下肢", "水肿", "高血压", "湿啰音", "心脏扩大", "慢性心力衰竭"}
        bob = [sp for sp in alice if sp.text_in(text) not in drop]
        bob += [at("双下肢水肿", "Symptom"), at("高血压病", "Disease"), at("湿啰音", "Attribute"),
                at("少量", "Attribute"), at("心力衰竭", "Disease")]
        team.assign(s, [rid], ["alice", "bob"])
        repo.replace_spans(s, rid, alice, sheet="alice")
        repo.replace_spans(s, rid, bob, sheet="bob")
        repo.replace_spans(s, rid, [])  # no gold spans yet: adjudication makes them
    project.close()
    return folder


def main(out: Path) -> None:
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    os.environ["MADPG_ANNOTATOR"] = "carol"  # the curator; set, so nobody is asked
    app, w = open_window(double_annotated_demo(Path(os.environ["MADPG_HOME"]) / "demo"))
    rid = next(i for i in w.records.ids() if w.records.model.rows[w.records.model.row_of(i)].name == RECORD)
    w.show_record(rid)
    dlg = w.team.adjudicate_dialog()
    dlg.resize(1000, 600)
    wait(app, lambda: dlg.isVisible())
    QTest.keyClick(dlg.table, Qt.Key.Key_1)  # 双下肢 + 水肿 (alice) over 双下肢水肿 (bob)
    QTest.keyClick(dlg.table, Qt.Key.Key_1)  # 高血压 (alice) over 高血压病 (bob)
    wait(app, lambda: False, 0.5)
    out.parent.mkdir(parents=True, exist_ok=True)
    if not dlg.grab().save(str(out)):  # the dialog alone: shot.save reads a main window's status bar
        raise SystemExit(f"could not write {out}")
    print(f"wrote {out}")
    print(dlg.summary.text())
    dlg.reject()
    close(w)


if __name__ == "__main__":
    run(main, OUT)
