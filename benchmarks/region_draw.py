"""Drawing and moving a region on a 2,048 × 2,048 DICOM: ms per interaction frame (issue 18; goal
16 ms, one frame at 60 Hz).

Opens the real main window offscreen on a project of one record whose image is a 16-bit CT DICOM of
2,048 × 2,048 pixels (written with pydicom in a temporary folder) with 20 regions on it already, 10
of them linked to spans. Then, with synthetic mouse events on the image view:

    draw   B, press, 60 moves, release: a new box
    move   press inside a box, 60 moves, release: the box moved

once with the image fitted to the pane and once at actual size (one image pixel per screen pixel,
so the 2,048² pixmap is drawn unscaled under the pointer). One interaction frame is one mouse event
handled plus the repaint it causes: the time in ``sendEvent`` and ``processEvents``, plus the time
spent painting the dirty part of the view into the offscreen backing store when Qt's update timer
fires (timed by an event filter that paints the viewport itself; the idle wait for the timer is not
counted). Press and release have rows of their own:
the release saves the region in SQLite (one committed transaction, as every edit is), re-reads the
record's regions and redraws them.

    QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/region_draw.py [--moves 60] [--rounds 3]

The pre-label child process is not started (it would load a model on the same two cores): this
measures the drawing alone. Nothing is written outside a temporary folder.
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

SIZE = 2048
TEXT = "胸部CT：心影增大，双肺纹理增粗，右下肺见斑片影，纵隔淋巴结未见肿大。"
GOAL_MS = 16.0


def write_dicom(path: Path) -> Path:
    import numpy as np

    from tests.synthetic_dicom import write_ct

    yy, xx = np.mgrid[0:SIZE, 0:SIZE]
    body = ((xx - SIZE / 2) ** 2 / (0.42 * SIZE) ** 2 + (yy - SIZE / 2) ** 2 / (0.36 * SIZE) ** 2) < 1
    noise = np.random.default_rng(0).normal(0, 30, (SIZE, SIZE))
    arr = np.where(body, 1064 + noise, 24).clip(0, 4095)  # soft tissue in air, in HU + 1024
    return write_ct(path, arr, window=(40, 400))


def make_project(folder: Path, dicom: Path) -> None:
    from madpg_core.domain import LabelSchema, Record, Span
    from madpg_core.regions import Region
    from madpg_core.storage import regions, repo
    from madpg_core.storage.project import Project

    words = ["心影增大", "双肺纹理", "斑片影", "纵隔淋巴结"]
    spans = tuple(Span(TEXT.index(w), TEXT.index(w) + len(w), "Disease") for w in words)
    with Project.create(folder, LabelSchema.default()) as p, p.transaction() as s:
        rid = repo.add_record(s, Record(TEXT, spans, name="ct"), [p.store_image(dicom)])
        for k in range(20):  # 20 regions spread over the image, half of them linked
            x, y = 100 + (k % 5) * 380, 100 + (k // 5) * 450
            kind = "box" if k % 2 else "polygon"
            pts = ((x, y), (x + 250, y + 200)) if kind == "box" else ((x, y), (x + 250, y + 40), (x + 120, y + 220))
            region = regions.add_region(s, Region(None, rid, 0, 0, kind, pts))
            if k % 2 == 0:
                sp = spans[k % len(spans)]
                regions.link(s, region, sp.start, sp.end, sp.layer)


def paint_timer(view):
    """Times every paint of the view's viewport: the filter paints it itself (``viewportEvent``, what
    the view would call) between two clock reads, and reports the event handled."""
    from PySide6.QtCore import QEvent, QObject

    class Filter(QObject):
        def __init__(self) -> None:
            super().__init__(view)
            self.n, self.ms = 0, 0.0

        def eventFilter(self, obj, e) -> bool:
            if e.type() != QEvent.Type.Paint:
                return False
            t0 = time.perf_counter()
            view.viewportEvent(e)
            self.ms += (time.perf_counter() - t0) * 1000
            self.n += 1
            return True

    f = Filter()
    view.viewport().installEventFilter(f)
    return f


def summary(name: str, samples: list[float]) -> dict:
    samples = sorted(samples)
    p95 = samples[min(len(samples) - 1, round(0.95 * (len(samples) - 1)))]
    return {"interaction": name, "n": len(samples), "mean": statistics.fmean(samples), "p95": p95,
            "max": samples[-1], "goal": GOAL_MS, "ok": "yes" if p95 <= GOAL_MS else "NO"}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--moves", type=int, default=60, help="mouse moves per drag")
    ap.add_argument("--rounds", type=int, default=3, help="drags of each kind per zoom")
    args = ap.parse_args()
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    with tempfile.TemporaryDirectory(prefix="madpg-regions-") as tmp:
        os.environ["MADPG_HOME"] = str(Path(tmp) / "home")
        run(Path(tmp), args.moves, args.rounds)


def run(tmp: Path, moves: int, rounds: int) -> None:
    from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
    from PySide6.QtGui import QMouseEvent
    from PySide6.QtWidgets import QApplication

    from benchmarks.common import markdown
    from madpg_gui import model_loop, settings
    from madpg_gui.main_window import MainWindow

    make_project(tmp / "proj", write_dicom(tmp / "ct-2048.dcm"))
    model_loop.PRELOAD_AFTER_MS = 2_000_000_000  # no pre-label child: drawing alone is measured
    app = QApplication.instance() or QApplication([])
    w = MainWindow(settings.Preferences(language="en", device="cpu"))
    w.resize(1400, 860)
    w.show()
    assert w.open_project(tmp / "proj")
    w.show_record(w.records.ids()[0])
    pane, view = w.images, w.images.view
    end = time.monotonic() + 60
    while not (pane.showing_image and len(w.regions.layer.items) == 20) and time.monotonic() < end:
        app.processEvents()
        time.sleep(0.01)
    assert len(w.regions.layer.items) == 20, "the image or its regions did not show"
    vp = view.viewport()
    paints = paint_timer(view)

    def at(x: float, y: float) -> QPointF:
        return QPointF(view.mapFromScene(view.item.mapToScene(QPointF(x, y))))

    def send(kind: QEvent.Type, pos: QPointF, button: Qt.MouseButton, buttons: Qt.MouseButton) -> float:
        """One frame: the event handled, then the repaint it asked for. Qt paints on its own update
        timer (a few ms later), so the frame's cost is the handling time plus the time spent in the
        paints that follow it (waiting for the timer is idle, not counted)."""
        n, ms = paints.n, paints.ms
        t0 = time.perf_counter()
        QApplication.sendEvent(vp, QMouseEvent(kind, pos, QPointF(vp.mapToGlobal(QPoint(int(pos.x()), int(pos.y())))),
                                               button, buttons, Qt.KeyboardModifier.NoModifier))
        app.processEvents()
        handled = (time.perf_counter() - t0) * 1000 - (paints.ms - ms)  # paints inside are counted below
        until = time.perf_counter() + 0.05
        while paints.n == n and time.perf_counter() < until:  # the repaint, if the event asked for one
            app.processEvents()
            time.sleep(0.0005)
        app.processEvents()
        return handled + (paints.ms - ms)

    left, none = Qt.MouseButton.LeftButton, Qt.MouseButton.NoButton

    def drag(a: tuple[float, float], b: tuple[float, float]) -> tuple[float, list[float], float]:
        press = send(QEvent.Type.MouseButtonPress, at(*a), left, left)
        steps = [send(QEvent.Type.MouseMove, at(a[0] + (b[0] - a[0]) * k / moves, a[1] + (b[1] - a[1]) * k / moves),
                      none, left) for k in range(1, moves + 1)]
        release = send(QEvent.Type.MouseButtonRelease, at(*b), left, none)
        return press, steps, release

    rows = []
    for zoom in ("fit", "1:1"):
        if zoom == "fit":
            pane.fit()
        else:
            view.set_zoom(1.0, view.item.mapToScene(QPointF(1000, 900)))
        app.processEvents()
        draw_moves, move_moves, presses, releases = [], [], [], []
        paints.n, paints.ms = 0, 0.0
        for r in range(rounds):
            w.regions.draw_box.trigger()
            x, y = 760 + 40 * r, 700 + 30 * r  # visible at 1:1 too (the view's middle is near 1000, 900)
            press, steps, release = drag((x, y), (x + 300, y + 240))
            draw_moves += steps
            presses.append(press)
            releases.append(release)
            new = w.regions.layer.selected_id
            assert new is not None, "the box was not stored"
            press, steps, release = drag((x + 150, y + 120), (x + 150 + 160, y + 120 + 90))
            move_moves += steps
            presses.append(press)
            releases.append(release)
            w.undo.undo()  # the move and the box: the next round starts from the same 20 regions
            w.undo.undo()
        frames = len(draw_moves) + len(move_moves) + len(presses) + len(releases)
        print(f"{zoom}: {paints.n} paints of the view for {frames} mouse events, {paints.ms / max(paints.n, 1):.2f} ms "
              "per paint on average")
        rows += [summary(f"draw a box, mouse move ({zoom})", draw_moves),
                 summary(f"move a box, mouse move ({zoom})", move_moves),
                 summary(f"press: start a box / pick a box ({zoom})", presses),
                 summary(f"release: save in SQLite + redraw ({zoom})", releases)]
    w.model_loop.shutdown()
    w.close()
    print(f"2,048 × 2,048 16-bit CT DICOM, 20 regions present, {rounds} drags × {moves} moves per row; "
          f"window 1400 × 860, Qt {__import__('PySide6').__version__} offscreen")
    print(markdown(rows, ["interaction", "n", "mean", "p95", "max", "goal", "ok"]))


if __name__ == "__main__":
    main()
