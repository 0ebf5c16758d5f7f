"""How long does the UI thread stall while the model works? (issue 6; goal: under 50 ms)

Opens the real main window offscreen on a project of N records (CEHRNER texts when ../shared/data
has them, else generated ones; every fifth record has an X-ray), runs a 10 ms QTimer heartbeat and
records the gaps between its ticks in four phases, each bounded in time:

    (a) idle (the window's pre-label child starts and loads the active model meanwhile, as in the app)
    (b) the first pre-label of every record, as Model ▸ Pre-label runs it: in the pre-label child
        process, here a fresh one, so that its start and the model's load fall in this phase
    (c) training in the child process (as Model ▸ Train…)
    (d) for comparison: the same training in a QThread inside the GUI process

    QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/ui_stall.py          # ~5 minutes on 2 cores
    QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/ui_stall.py --records 200 --phase-seconds 30

The "bundled" model pre-labelling uses is a madpg-lite (GCN, gate, EMA, ResNet-18) trained for one
epoch in a setup subprocess: its weights do not matter here, its cost does. Nothing is written
outside a temporary folder.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from madpg_core.domain import LabelSchema, Record, RecordStatus, Span  # noqa: E402
from madpg_core.paths import RESOURCES, SHARED_DATA  # noqa: E402

CEHRNER = SHARED_DATA / "ner" / "cehrner" / "train.json"
XRAY = RESOURCES / "demo" / "images" / "00000001_000.png"
TICK_MS = 10


# ---------------------------------------------------------------- setup (own process: the GUI process starts torch-free)


def gold_records(n: int) -> tuple[list[Record], list[str]]:
    if CEHRNER.is_file():
        from madpg_core.formats import read_records

        recs, _ = read_records(CEHRNER, "cehrner")
        recs = recs[:n]
        types = sorted({sp.label for r in recs for sp in r.spans})
        if len(recs) == n:
            return recs, types
    rng = random.Random(0)
    parts = [("胸闷", "Symptom"), ("气促", "Symptom"), ("发热", "Symptom"), ("高血压", "Disease"),
             ("右下肺", "Organ"), ("肺炎", "Disease"), ("阿莫西林", "Treatment"), ("左心室", "Organ")]
    out = []
    for i in range(n):
        text, spans = f"患者{i}号，", []
        for _ in range(rng.randint(8, 20)):
            word, label = rng.choice(parts)
            spans.append(Span(len(text), len(text) + len(word), label))
            text += word + rng.choice(["，", "明显，", "3天，", "。复查示"])
        out.append(Record(text + "。", tuple(spans)))
    return out, ["Disease", "Symptom", "Organ", "Treatment"]


def setup(folder: Path, n: int) -> None:
    """Project of ``n`` new records without spans + a bundled-model stand-in in ``folder/bundled``."""
    from madpg_core.model.config import build_config
    from madpg_core.storage import repo
    from madpg_core.storage.project import Project
    from madpg_core.train.loop import fit

    recs, types = gold_records(n)
    with Project.create(folder / "project", LabelSchema.from_names(types)) as p, p.transaction() as s:
        image = p.store_image(XRAY)
        for i, r in enumerate(recs):
            repo.add_record(s, Record(r.text, name=f"r{i:03d}"), [image] if i % 5 == 0 else [])
    train = [Record(r.text, r.spans, images=(str(XRAY),) if i % 5 == 0 else ()) for i, r in enumerate(recs[:16])]
    cfg = build_config("madpg-lite", epochs=1, entity_types=tuple(types))
    fit(cfg, train, [], out_dir=folder / "bundled", version="v0", device="cpu")
    (folder / "gold.txt").write_text("\n".join(repr([(s.start, s.end, s.label) for s in r.spans]) for r in recs),
                                     "utf-8")


# ---------------------------------------------------------------- measurement


class Heartbeat:
    def __init__(self) -> None:
        from PySide6.QtCore import Qt, QTimer

        self.timer = QTimer()
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.setInterval(TICK_MS)
        self.timer.timeout.connect(lambda: self.stamps.append(time.perf_counter()))
        self.stamps: list[float] = []

    def start(self) -> None:
        self.stamps = [time.perf_counter()]
        self.timer.start()

    def stop(self) -> dict:
        self.timer.stop()
        self.stamps.append(time.perf_counter())
        gaps = sorted(1000 * (b - a) for a, b in zip(self.stamps, self.stamps[1:]))
        p99 = gaps[min(len(gaps) - 1, int(0.99 * len(gaps)))]
        return {"seconds": self.stamps[-1] - self.stamps[0], "ticks": len(gaps), "longest gap (ms)": gaps[-1],
                "p99 gap (ms)": p99, "median gap (ms)": statistics.median(gaps)}


def StepLabel(window: object) -> object:  # noqa: N802 - builds a QObject subclass lazily (PySide import)
    from PySide6.QtCore import QObject, Slot

    class _StepLabel(QObject):
        def __init__(self) -> None:
            super().__init__(window)
            self.step = 0

        @Slot(int, int)
        def show(self, done: int, total: int) -> None:
            self.step = done
            window.statusBar().showMessage(f"step {done}/{total}")

    return _StepLabel()


def run_for(app: object, seconds: float, done: object = None) -> None:
    """Run the event loop for ``seconds`` or until ``done()`` is true."""
    from PySide6.QtCore import QEventLoop, QTimer

    loop = QEventLoop()
    QTimer.singleShot(int(seconds * 1000), loop.quit)
    poll = QTimer(interval=100)
    if done is not None:
        poll.timeout.connect(lambda: done() and loop.quit())
        poll.start()
    loop.exec()
    poll.stop()


def phase_prelabel(app: object, w: object, args: argparse.Namespace, hb: Heartbeat) -> dict:
    from madpg_core.storage import repo

    loop = w.model_loop
    loop.service.stop()  # the child of phase (a) has the model loaded: this first run starts from nothing
    loaded: list[float] = []
    loop.service.loaded.connect(lambda ev: loaded.append(ev.get("seconds") or 0.0))
    hb.start()
    loop.prelabel(None)  # what Model ▸ Pre-label all unreviewed records calls
    run_for(app, args.phase_seconds, lambda: not loop.is_prelabelling())
    stats = hb.stop()
    finished = not loop.is_prelabelling()
    if not finished:
        loop.cancel_prelabel()
        run_for(app, 120, lambda: not loop.is_prelabelling())
    with w.project.reading() as s:
        labelled = repo.stats(s).records_by_status.get("pre-labelled", 0)
    load = f", model loaded in {loaded[0]:.1f} s" if loaded else ", model not loaded in time"
    return {"phase": "(b) first pre-label, child process (start and model load included)", **stats,
            "work done": f"{labelled}/{args.records} records" + ("" if finished else " (then cancelled)") + load}


def mark_reviewed(w: object, tmp: Path, n: int) -> None:
    """Give the first ``n`` records their gold spans and mark them reviewed: the training data."""
    from ast import literal_eval

    from madpg_core.storage import repo

    gold = (tmp / "gold.txt").read_text("utf-8").splitlines()
    with w.project.transaction() as s:
        for rid, spans in list(zip(repo.record_ids(s), gold))[:n]:
            repo.replace_spans(s, rid, [Span(a, b, t) for a, b, t in literal_eval(spans)])
            repo.set_status(s, rid, RecordStatus.REVIEWED)
    w.records.refresh()


def phase_child(app: object, w: object, args: argparse.Namespace, hb: Heartbeat) -> dict:
    from madpg_gui.training_process import TrainOptions

    loop = w.model_loop
    steps: list[int] = []
    loop.training.progress.connect(lambda ev: steps.append(ev.get("step") or 0))  # GUI thread: QProcess
    hb.start()
    loop.training.start(w.project.folder, TrainOptions(preset=args.preset, epochs=100, device="cpu"))
    run_for(app, args.phase_seconds, lambda: not loop.training.is_running())
    stats = hb.stop()
    loop.cancel_training()
    run_for(app, 120, lambda: not loop.training.is_running())
    return {"phase": "(c) train, child process", **stats, "work done": f"{max(steps, default=0)} steps"}


def phase_thread(app: object, w: object, args: argparse.Namespace, hb: Heartbeat) -> dict:
    from madpg_core.retrain import TrainRequest, train_from_project
    from madpg_gui import workers

    request = TrainRequest(preset=args.preset, epochs=100, device="cpu")
    project = w.project
    done = [0]

    def task(on_progress: object, stop: object) -> object:
        def report(p: object) -> None:
            done[0] = p.step
            on_progress(p.step, max(p.total_steps, 1))

        return train_from_project(project, request, on_progress=report, stop=stop)

    worker = workers.TaskWorker(task)
    shown = StepLabel(w)  # a QObject slot runs in the GUI thread, as the app's progress display would
    worker.progress.connect(shown.show)
    hb.start()
    thread = workers.start(worker, w)
    run_for(app, args.phase_seconds, lambda: not thread.isRunning())
    stats = hb.stop()
    worker.stop.set()
    run_for(app, 120, lambda: not thread.isRunning())
    thread.wait()
    return {"phase": "(d) train, QThread in the GUI process", **stats, "work done": f"{done[0]} steps"}


def print_table(rows: list[dict], args: argparse.Namespace) -> None:
    import torch

    cols = ["phase", "seconds", "ticks", "longest gap (ms)", "p99 gap (ms)", "median gap (ms)", "work done"]
    print()
    print(f"UI heartbeat every {TICK_MS} ms; {args.records} records "
          f"({'CEHRNER' if CEHRNER.is_file() else 'generated'}), training preset {args.preset} on "
          f"{args.reviewed} reviewed records; {os.cpu_count()} CPUs, torch {torch.__version__} with "
          f"{torch.get_num_threads()} threads; the child processes run madpg train PROJECT and "
          f"python -m madpg_core.prelabel_service PROJECT.")
    print()
    print("| " + " | ".join(cols) + " |")
    print("|" + "|".join("---" for _ in cols) + "|")
    for r in rows:
        print("| " + " | ".join(f"{r[c]:.1f}" if isinstance(r[c], float) else str(r[c]) for c in cols) + " |")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--records", type=int, default=200)
    ap.add_argument("--phase-seconds", type=float, default=40, help="bound of phases b, c, d")
    ap.add_argument("--idle-seconds", type=float, default=10)
    ap.add_argument("--preset", default="madpg-lite", help="preset trained in phases c and d")
    ap.add_argument("--reviewed", type=int, default=120, help="records marked reviewed before training")
    ap.add_argument("--setup", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.setup:
        setup(args.setup, args.records)
        return 0
    tmp = Path(tempfile.mkdtemp(prefix="madpg-ui-stall-"))
    os.environ["MADPG_HOME"] = str(tmp / "home")
    t0 = time.monotonic()
    subprocess.run([sys.executable, __file__, "--setup", str(tmp), "--records", str(args.records)], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    print(f"setup: {args.records} records and a one-epoch madpg-lite in {time.monotonic() - t0:.0f} s", flush=True)

    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication(sys.argv[:1])
    from madpg_core import registry
    from madpg_gui import settings
    from madpg_gui.main_window import MainWindow

    registry.default_model_dir = lambda: tmp / "bundled"  # the stand-in for resources/models/default
    w = MainWindow(settings.Preferences(language="en", device="cpu"))
    w.show()
    assert w.open_project(tmp / "project")
    hb = Heartbeat()
    hb.start()
    run_for(app, args.idle_seconds)
    rows = [{"phase": "(a) idle", **hb.stop(), "work done": ""}]
    rows.append(phase_prelabel(app, w, args, hb))
    print("pre-label done", flush=True)
    mark_reviewed(w, tmp, args.reviewed)
    rows.append(phase_child(app, w, args, hb))
    print("child-process training done", flush=True)
    rows.append(phase_thread(app, w, args, hb))
    print_table(rows, args)
    w.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
