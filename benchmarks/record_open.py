"""How long does a long record take to open at the desk? (issue 20: a 5,000-character record with
500 entities opens in ≤ 200 ms)

The real main window runs offscreen on a throw-away project holding the long record and a short
one. Each run shows the short record, then times showing the long one: reading it from SQLite,
filling the text view with its 500 coloured spans, the entity table, the BIO table and the header
(`show_record` + the events it posts), and then one full paint of the window (`grab`), which is
when a user sees it. The same for the short record, as a baseline.

    QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/record_open.py [--runs 10] [--chars 5000 --spans 500]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def long_record(chars: int, spans: int):  # noqa: ANN201 - Record
    from madpg_core.domain import Record, Span

    unit = "患者反复胸闷、气促三年，加重伴发热两天。查体：右下肺呼吸音低，可闻及湿啰音。诊断：社区获得性肺炎。"
    text = (unit * (chars // len(unit) + 1))[:chars]
    labels = ("Symptom", "Disease", "Organ", "Attribute", "Treatment")
    step = chars // spans
    out = [Span(i * step, i * step + min(4, step - 1), labels[i % 5]) for i in range(spans)]
    return Record(text, tuple(out), name="long")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--chars", type=int, default=5000)
    ap.add_argument("--spans", type=int, default=500)
    args = ap.parse_args()
    home = tempfile.mkdtemp(prefix="madpg-open-")
    os.environ["MADPG_HOME"] = home
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    from madpg_core.domain import LabelSchema, Record
    from madpg_core.storage import repo
    from madpg_core.storage.project import Project
    from madpg_gui import settings
    from madpg_gui.main_window import MainWindow

    app = QApplication.instance() or QApplication([])
    folder = Path(home) / "proj"
    project = Project.create(folder, LabelSchema.default())
    with project.transaction() as s:
        short_id = repo.add_record(s, Record("咳嗽、咳痰2周，伴低热。", name="short"))
        long_id = repo.add_record(s, long_record(args.chars, args.spans))
    project.close()
    w = MainWindow(settings.Preferences(language="en"))
    w.resize(1400, 900)
    w.show()
    w.open_project(folder)
    app.processEvents()

    def timed(record_id: int) -> tuple[float, float]:
        t = time.perf_counter()
        w.show_record(record_id)
        app.processEvents()
        shown = time.perf_counter() - t
        w.grab()  # one full paint, as the screen would get it
        return 1000 * shown, 1000 * (time.perf_counter() - t)

    rows: dict[str, list[tuple[float, float]]] = {"short": [], "long": []}
    for _ in range(args.runs):
        rows["short"].append(timed(short_id))
        rows["long"].append(timed(long_id))
        w.show_record(short_id)
        app.processEvents()
    n_spans = len(w.ann.record.spans) if w.ann and w.ann.record else 0
    print(f"{args.runs} runs; the long record: {args.chars} characters, {args.spans} entities "
          f"(short record shown last: {n_spans} entities)\n")
    print("| record | show ms (median) | show + paint ms (median) | show + paint ms (max) |")
    print("|---|---|---|---|")
    for name, vals in rows.items():
        shows, totals = [v[0] for v in vals], [v[1] for v in vals]
        print(f"| {name} | {statistics.median(shows):.1f} | {statistics.median(totals):.1f} | {max(totals):.1f} |")
    w.close()


if __name__ == "__main__":
    main()
